//! Greetings and thanks: a message made only of them is small talk, not a question.

use crate::analysis;
use crate::locale;

/// What a message of small talk is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
}

/// Whether `text` is only small talk, and which.
pub fn classify(text: &str) -> Option<SmallTalk> {
    if !is_smalltalk(text) {
        return None;
    }
    let thanks = analysis::words(text)
        .iter()
        .any(|w| locale::THANKS.contains(&analysis::fold(w).as_str()));
    Some(if thanks {
        SmallTalk::Thanks
    } else {
        SmallTalk::Greeting
    })
}

/// Whether `text` is only a greeting, thanks or goodbye.
pub fn is_smalltalk(text: &str) -> bool {
    let words = analysis::words(text);
    !words.is_empty()
        && words.iter().all(|w| {
            let folded = analysis::fold(w);
            locale::SMALL_TALK.contains(&folded.as_str())
        })
}

#[cfg(test)]
mod tests {
    use super::is_smalltalk;

    #[test]
    fn thanks_are_told_from_greetings() {
        use super::{SmallTalk, classify};
        for text in [
            "valeu, obrigado pela ajuda",
            "obrigado!",
            "gracias",
            "muchas gracias por tu ayuda",
        ] {
            assert_eq!(classify(text), Some(SmallTalk::Thanks), "{text}");
        }
        for text in ["Oi!", "bom dia", "¡Hola!", "não"] {
            assert_eq!(classify(text), Some(SmallTalk::Greeting), "{text}");
        }
        assert_eq!(classify("obrigado, e o prazo?"), None);
    }

    #[test]
    fn greetings_and_thanks_only() {
        for text in [
            "Oi!",
            "bom dia",
            "Olá, tudo bem?",
            "¡Hola!",
            "muchas gracias",
            "valeu 👍",
            "não",
            "nao",
            "Sim",
            "no",
            "ñ",
            "n",
        ] {
            assert!(is_smalltalk(text), "{text}");
        }
        for text in [
            "oi, a atualização é obrigatória?",
            "hola, ¿cuándo?",
            "",
            "🙂",
        ] {
            assert!(!is_smalltalk(text), "{text}");
        }
    }
}
