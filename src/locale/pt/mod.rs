//! Portuguese.

use super::{Locale, Messages};

pub(super) const LOCALE: Locale = Locale {
    stop_words: include_str!("stop-words.txt"),
    chat_stop_words: include_str!("chat-stop-words.txt"),
    kept_words: include_str!("kept-words.txt"),
    shorthands: include_str!("shorthands.txt"),
    question_pairs: include_str!("question-pairs.txt"),
    opening: None,
    small_talk: include_str!("small-talk.txt"),
    thanks: include_str!("thanks.txt"),
    greetings: include_str!("greetings.txt"),
    acknowledgements: include_str!("acknowledgements.txt"),
    detector_words: include_str!("detector-words.txt"),
    messages: Messages {
        did_you_mean: "Você quis dizer…",
        thanks: "De nada! Se tiver outra pergunta sobre a atualização, é só escrever.",
        acknowledgement: "👍 Se tiver mais alguma pergunta sobre a atualização, é só escrever.",
        clarify: "Não tenho certeza do que você procura. É sobre um destes?",
        not_sure: "Não tenho certeza de ter entendido a sua pergunta.",
        vague: "Pode me dizer um pouco mais sobre a sua dúvida? Por exemplo: \"a atualização é obrigatória?\" ou \"quanto tempo os envios ficam parados?\"",
        out_of_scope: "Essa pergunta não está coberta pelas perguntas frequentes sobre a \
                   atualização da infraestrutura de envio de email.",
        greeting: "Olá! Pergunte o que quiser sobre a atualização da infraestrutura de \
               envio de email do Campaign.",
        empty: "Não recebi nenhuma pergunta. Escreva a sua dúvida sobre a atualização.",
        other_language: "Respondo em português e espanhol.",
        contact: "Para qualquer outra pergunta, entre em contato com",
        text_only: "Por enquanto só entendo mensagens de texto. Escreva a sua pergunta.",
        lang_set: "Idioma das respostas:",
        lang_usage: "Use /lang pt, /lang es ou /lang auto.",
        pick_range: "Escolha um número de 1 a",
        command_start: "Apresentação e exemplos de perguntas",
        command_lang: "Idioma das respostas: pt, es ou auto",
        examples: [
            "A atualização é obrigatória?",
            "Quando os ambientes de produção serão atualizados?",
            "Vou conseguir enviar emails durante a atualização?",
            "Preciso fazer alguma coisa?",
        ],
    },
};
