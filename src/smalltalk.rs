//! Greetings and thanks: a message made only of them is small talk, not a question.

use crate::analysis;

/// Folded words that greet, thank or take leave in pt, es or en, the fillers that go with
/// them ("tudo bem", "muchas gracias", "thank you"), and a bare yes or no: a reply in a
/// conversation, never a question about the upgrade.
const WORDS: &str = "oi ola opa hey hi hello bom boa dia dias tarde tardes noite noches noche \
    buenos buenas obrigado obrigada obg brigado valeu vlw tchau ate logo mais blz beleza \
    tudo bem td como vai esta voce vc pessoal equipe gente hola gracias muchas mil saludos \
    chao adios que tal hasta luego pronto thanks thank you bye good morning afternoon evening \
    e y a muito muita agradeco agradezco perfeito perfecto otimo excelente genial ok okay \
    certo entendi vale listo sim nao n s no ñ si yes nope pela pelo ajuda ayuda por la el \
    su tu sua tua";

/// Folded words that thank: a message of small talk with one of them gets "you're welcome".
const THANKS: &str = "obrigado obrigada obg brigado valeu vlw gracias thanks thank agradeco \
    agradezco";

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
        .any(|w| THANKS.split_whitespace().any(|t| t == analysis::fold(w)));
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
            WORDS.split_whitespace().any(|s| s == folded)
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
