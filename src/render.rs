//! Writes entries and replies for people: plain text here, each front end its own medium.
//!
//! The wording a customer reads (escalation messages, "did you mean") lives here so that
//! `faqbot chat` and the Telegram bot say the same thing.

use crate::faq::Entry;
use crate::lang::Lang;
use crate::markdown::{Block, Inline};
use crate::reply::{Reason, Reply};

/// Fixed phrases in one language.
pub struct Messages {
    pub did_you_mean: &'static str,
    pub not_sure: &'static str,
    pub out_of_scope: &'static str,
    pub greeting: &'static str,
    pub empty: &'static str,
    pub other_language: &'static str,
    pub contact: &'static str,
}

/// The phrases of `lang`.
pub fn messages(lang: Lang) -> &'static Messages {
    match lang {
        Lang::Pt => &Messages {
            did_you_mean: "Você quis dizer…",
            not_sure: "Não tenho certeza de ter entendido a sua pergunta.",
            out_of_scope: "Essa pergunta não está coberta pelas perguntas frequentes sobre a \
                           atualização da infraestrutura de envio de email.",
            greeting: "Olá! Pergunte o que quiser sobre a atualização da infraestrutura de \
                       envio de email do Campaign.",
            empty: "Não recebi nenhuma pergunta. Escreva a sua dúvida sobre a atualização.",
            other_language: "Respondo em português e espanhol.",
            contact: "Para qualquer outra pergunta, entre em contato com",
        },
        Lang::Es => &Messages {
            did_you_mean: "¿Quisiste decir…?",
            not_sure: "No estoy seguro de haber entendido tu pregunta.",
            out_of_scope: "Esa pregunta no está cubierta por las preguntas frecuentes sobre la \
                           actualización de la infraestructura de envío de correo electrónico.",
            greeting: "¡Hola! Pregunta lo que quieras sobre la actualización de la \
                       infraestructura de envío de correo electrónico de Campaign.",
            empty: "No recibí ninguna pregunta. Escribe tu duda sobre la actualización.",
            other_language: "Respondo en portugués y en español.",
            contact: "Para cualquier otra pregunta, comunícate con",
        },
    }
}

impl Messages {
    /// The sentence that explains an escalation.
    pub fn reason(&self, reason: Reason) -> &'static str {
        match reason {
            Reason::Empty => self.empty,
            Reason::Greeting => self.greeting,
            Reason::OtherLanguage => self.other_language,
            Reason::OutOfScope => self.out_of_scope,
            Reason::LowConfidence => self.not_sure,
        }
    }
}

/// An entry as plain text: title, blank line, body; lists as `•` lines, links as
/// `text <url>`.
pub fn entry_plain(entry: &Entry) -> String {
    let mut out = format!("{}\n\n", entry.title);
    blocks_plain(&entry.body, 0, &mut out);
    out.trim_end().to_string()
}

fn blocks_plain(blocks: &[Block], depth: usize, out: &mut String) {
    for block in blocks {
        match block {
            Block::Paragraph(inlines) | Block::Heading(inlines) => {
                out.push_str(&"  ".repeat(depth));
                inlines_plain(inlines, out);
                out.push_str(if depth == 0 { "\n\n" } else { "\n" });
            }
            Block::List { ordered, items } => {
                for (n, item) in items.iter().enumerate() {
                    let marker = if *ordered {
                        format!("{}. ", n + 1)
                    } else {
                        "• ".into()
                    };
                    out.push_str(&"  ".repeat(depth));
                    out.push_str(&marker);
                    let mut inner = String::new();
                    blocks_plain(item, 0, &mut inner);
                    let text = inner.trim().replace("\n\n", "\n");
                    let indent = format!("\n{}", "  ".repeat(depth + 1));
                    out.push_str(&text.replace('\n', &indent));
                    out.push('\n');
                }
                if depth == 0 {
                    out.push('\n');
                }
            }
        }
    }
}

fn inlines_plain(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(text) => out.push_str(text),
            Inline::Bold(inner) => inlines_plain(inner, out),
            Inline::Link { text, url } => {
                inlines_plain(text, out);
                out.push_str(&format!(" <{url}>"));
            }
        }
    }
}

/// A reply as plain text, as `faqbot ask` and `faqbot chat` print it.
pub fn reply_plain(reply: &Reply) -> String {
    match reply {
        Reply::Answer(answer) => {
            let mut out = entry_plain(&answer.best.entry);
            if answer.suggest && !answer.alternatives.is_empty() {
                out.push_str("\n\n");
                out.push_str(messages(answer.lang).did_you_mean);
                for (n, alt) in answer.alternatives.iter().enumerate() {
                    out.push_str(&format!("\n  {}. {}", n + 1, alt.entry.title));
                }
            }
            out
        }
        Reply::Escalation(escalation) => {
            let mut parts = Vec::new();
            for (lang, care) in &escalation.contacts {
                let m = messages(*lang);
                parts.push(format!(
                    "{}\n{} {} <{}>",
                    m.reason(escalation.reason),
                    m.contact,
                    care.label,
                    care.url
                ));
            }
            parts.join("\n\n")
        }
    }
}
