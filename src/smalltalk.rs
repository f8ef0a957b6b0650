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
    certo entendi vale listo sim nao n s no ñ si yes nope";

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
