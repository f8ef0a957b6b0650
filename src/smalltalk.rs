//! Small talk: greetings, thanks, acknowledgements and reactions. A message made only of
//! them is a turn in a conversation, not a question, and gets a short reply in kind.

use crate::analysis;
use crate::locale;

/// What a message of small talk is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmallTalk {
    /// Hello, goodbye, "anyone there?", "testing 1 2 3": answered with an invitation to ask.
    Greeting,
    Thanks,
    /// "ok", "blz", "vale", "kkkk", "👍": a nod to what was said.
    Acknowledgement,
}

/// Whether `text` is only small talk, and which.
pub fn classify(text: &str) -> Option<SmallTalk> {
    let words: Vec<String> = analysis::words(text)
        .iter()
        .map(|w| analysis::fold(w))
        .collect();
    if words.is_empty() {
        // No word at all: a reaction when it holds an emoji ("👍", "🙏"), else nothing.
        return text
            .chars()
            .any(is_pictograph)
            .then_some(SmallTalk::Acknowledgement);
    }
    let talk = |w: &String| locale::SMALL_TALK.contains(&w.as_str()) || is_laughter(w);
    // "testando 1 2 3": numbers count only beside words of small talk, so that a bare
    // number stays a question (or the pick of an offered entry).
    let number = |w: &String| w.len() <= 3 && w.bytes().all(|b| b.is_ascii_digit());
    if !words.iter().all(|w| talk(w) || number(w)) || words.iter().all(number) {
        return None;
    }
    let any = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    Some(if any(&locale::THANKS) {
        SmallTalk::Thanks
    } else if any(&locale::GREETINGS) {
        SmallTalk::Greeting
    } else if any(&locale::ACKNOWLEDGEMENTS) || words.iter().any(|w| is_laughter(w)) {
        SmallTalk::Acknowledgement
    } else {
        SmallTalk::Greeting
    })
}

/// Small talk with other words around it ("muito obrigado, ajudou bastante", "só testando
/// se o bot funciona"): its kind and the other words, when the message asks nothing (no
/// question mark) and says at least one word of small talk. Whether the other words name
/// a topic of the FAQ is the engine's to judge.
pub fn around(text: &str) -> Option<(SmallTalk, String)> {
    if text.contains('?') || text.contains('¿') {
        return None;
    }
    let words: Vec<String> = analysis::words(text)
        .iter()
        .map(|w| analysis::fold(w))
        .collect();
    let (talk, rest): (Vec<&String>, Vec<&String>) = words
        .iter()
        .partition(|w| locale::MARKERS.contains(&w.as_str()) || is_laughter(w));
    if talk.is_empty()
        || rest
            .iter()
            .any(|w| locale::QUESTION_WORDS.contains(&w.as_str()))
    {
        return None;
    }
    let talk: Vec<&str> = talk.iter().map(|w| w.as_str()).collect();
    let kind = classify(&talk.join(" ")).unwrap_or(SmallTalk::Acknowledgement);
    let rest: Vec<&str> = rest.iter().map(|w| w.as_str()).collect();
    Some((kind, rest.join(" ")))
}

/// Laughter as chats write it: "kkkk", "rsrs", "haha", "jajaja", "jeje", "lol".
fn is_laughter(word: &str) -> bool {
    let b = word.as_bytes();
    if b.len() >= 3 && b.iter().all(|&c| c == b'k') {
        return true;
    }
    if word == "lol" || word == "lmao" {
        return true;
    }
    // Syllables of h/j and a vowel ("hahah", "jajaja", "hehe"), or "rs" repeated; one
    // dangling letter is how people stop typing.
    let b = match b.len() % 2 {
        1 => &b[..b.len() - 1],
        _ => b,
    };
    b.len() >= 4
        && b.chunks(2).all(|s| {
            matches!(
                s,
                [b'h' | b'j', b'a' | b'e' | b'i' | b'u']
                    | [b'a', b'h' | b'j']
                    | [b'r' | b'j', b's']
            )
        })
}

/// Emoji and pictographic symbols, by block: what people react with.
fn is_pictograph(c: char) -> bool {
    matches!(u32::from(c),
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2300..=0x23FF | 0x2190..=0x21FF | 0x3030 | 0x303D)
}

#[cfg(test)]
mod tests {
    use super::{SmallTalk, around, classify};

    #[test]
    fn thanks_greetings_and_acknowledgements_are_told_apart() {
        for text in [
            "valeu, obrigado pela ajuda",
            "obrigado!",
            "gracias",
            "muchas gracias",
            "valeu 👍",
        ] {
            assert_eq!(classify(text), Some(SmallTalk::Thanks), "{text}");
        }
        // With other words around it, the engine judges whether they name a topic.
        assert_eq!(
            around("muchas gracias por tu ayuda"),
            Some((SmallTalk::Thanks, "muchas por tu ayuda".to_string()))
        );
        assert_eq!(
            around("gracias, ¿y el plazo?"),
            None,
            "a question mark asks"
        );
        assert_eq!(around("ok, e quando"), None, "a question word asks");
        for text in [
            "Oi!",
            "bom dia",
            "¡Hola!",
            "não",
            "hola?",
            "alguém aí?",
            "¿hay alguien?",
            "testando 1 2 3",
            "probando probando",
            "teste",
            "oi, blz?",
        ] {
            assert_eq!(classify(text), Some(SmallTalk::Greeting), "{text}");
        }
        for text in [
            "ok",
            "blz",
            "vale",
            "okis",
            "👍",
            "🙏",
            "👍🏽",
            "kkkk",
            "kkkkkkk",
            "jajaja",
            "hahah",
            "rsrs",
            "ok 👍",
            "entendi",
            "ta bom",
            "dale",
            "de acuerdo",
            "perfecto",
        ] {
            assert_eq!(classify(text), Some(SmallTalk::Acknowledgement), "{text}");
        }
        assert_eq!(classify("obrigado, e o prazo?"), None);
    }

    #[test]
    fn questions_numbers_and_punctuation_are_not_small_talk() {
        for text in [
            "oi, a atualização é obrigatória?",
            "hola, ¿cuándo?",
            "",
            "?",
            "...",
            "1",
            "2 3",
            "ok, e o downtime?",
            "teste de envio é exigido?",
            "kkk que prazo é esse",
        ] {
            assert_eq!(classify(text), None, "{text}");
        }
        for text in [
            "Olá, tudo bem?",
            "muchas gracias",
            "Sim",
            "no",
            "ñ",
            "n",
            "🙂",
        ] {
            assert!(classify(text).is_some(), "{text}");
        }
    }
}
