//! Spanish.

use super::{Locale, Messages};

pub(super) const LOCALE: Locale = Locale {
    stop_words: include_str!("stop-words.txt"),
    chat_stop_words: include_str!("chat-stop-words.txt"),
    kept_words: include_str!("kept-words.txt"),
    shorthands: include_str!("shorthands.txt"),
    question_pairs: include_str!("question-pairs.txt"),
    opening: Some(("que", "qué")),
    small_talk: include_str!("small-talk.txt"),
    thanks: include_str!("thanks.txt"),
    greetings: include_str!("greetings.txt"),
    acknowledgements: include_str!("acknowledgements.txt"),
    detector_words: include_str!("detector-words.txt"),
    messages: Messages {
        did_you_mean: "¿Quisiste decir…?",
        thanks: "¡De nada! Si tienes otra pregunta sobre la actualización, escríbeme.",
        acknowledgement: "👍 Si tienes alguna otra pregunta sobre la actualización, escríbeme.",
        clarify: "No estoy seguro de lo que buscas. ¿Es sobre alguno de estos?",
        not_sure: "No estoy seguro de haber entendido tu pregunta.",
        vague: "¿Puedes contarme un poco más sobre tu duda? Por ejemplo: \"¿la actualización es obligatoria?\" o \"¿cuánto tiempo se detienen los envíos?\"",
        out_of_scope: "Esa pregunta no está cubierta por las preguntas frecuentes sobre la \
                   actualización de la infraestructura de envío de correo electrónico.",
        greeting: "¡Hola! Pregunta lo que quieras sobre la actualización de la \
               infraestructura de envío de correo electrónico de Campaign.",
        empty: "No recibí ninguna pregunta. Escribe tu duda sobre la actualización.",
        other_language: "Respondo en portugués y en español.",
        contact: "Para cualquier otra pregunta, comunícate con",
        text_only: "Por ahora solo entiendo mensajes de texto. Escribe tu pregunta.",
        lang_set: "Idioma de las respuestas:",
        lang_usage: "Usa /lang pt, /lang es o /lang auto.",
        pick_range: "Elige un número del 1 al",
        command_start: "Presentación y ejemplos de preguntas",
        command_lang: "Idioma de las respuestas: pt, es o auto",
        examples: [
            "¿Es obligatoria la actualización?",
            "¿Cuándo se actualizan los entornos de producción?",
            "¿Podré enviar correos durante la actualización?",
            "¿Tengo que hacer algo?",
        ],
    },
};
