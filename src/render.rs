//! Writes entries and replies for people: the walk over an entry's blocks for any medium
//! ([`Markup`]), plain text, and access to the customer-facing phrases of each language
//! (the phrases themselves are in `locale/<lang>/`).
//!
//! The wording a customer reads (escalation messages, "did you mean") lives here so that
//! `faqbot chat` and the Telegram bot say the same thing.

use crate::faq::Entry;
use crate::lang::Lang;
use crate::markdown::{Block, Inline};
use crate::reply::{Reason, Reply};

pub use crate::locale::Messages;

/// The phrases of `lang`.
pub fn messages(lang: Lang) -> &'static Messages {
    &crate::locale::of(lang).messages
}

impl Messages {
    /// The sentence that explains an escalation.
    pub fn reason(&self, reason: Reason) -> &'static str {
        match reason {
            Reason::Empty => self.empty,
            Reason::Greeting => self.greeting,
            Reason::Thanks => self.thanks,
            Reason::Acknowledgement => self.acknowledgement,
            Reason::OtherLanguage => self.other_language,
            Reason::OutOfScope => self.out_of_scope,
            Reason::LowConfidence => self.not_sure,
            Reason::Vague => self.vague,
        }
    }
}

/// What a number none of the `count` offered entries has gets.
pub fn pick_range(lang: Lang, count: usize) -> String {
    format!("{} {count}.", messages(lang).pick_range)
}

/// How a medium writes inline marks; the walk over blocks is the same for every medium.
/// Plain text is here; Telegram HTML is the bot's (`bot::html`).
pub trait Markup {
    /// Text as the medium shows it (escaped, for HTML).
    fn text(&self, text: &str, out: &mut String);
    /// `inner`, already written in the medium, in bold.
    fn bold(&self, inner: &str, out: &mut String);
    /// `text`, already written in the medium, linking to `url`.
    fn link(&self, text: &str, url: &str, out: &mut String);
}

/// Plain text: bold is dropped, a link is `text <url>`.
pub struct Plain;

impl Markup for Plain {
    fn text(&self, text: &str, out: &mut String) {
        out.push_str(text);
    }

    fn bold(&self, inner: &str, out: &mut String) {
        out.push_str(inner);
    }

    fn link(&self, text: &str, url: &str, out: &mut String) {
        out.push_str(&format!("{text} <{url}>"));
    }
}

/// An entry in a medium: the title in bold, a blank line, the body; lists as `•` or `n.`
/// lines, links as the medium writes them.
pub fn entry(markup: &impl Markup, entry: &Entry) -> String {
    let mut title = String::new();
    markup.text(&entry.title, &mut title);
    let mut out = String::new();
    markup.bold(&title, &mut out);
    out.push_str("\n\n");
    blocks(markup, &entry.body, 0, &mut out);
    out.trim_end().to_string()
}

/// An entry as plain text.
pub fn entry_plain(entry: &Entry) -> String {
    self::entry(&Plain, entry)
}

/// Writes blocks: paragraphs separated by blank lines at the top level, list items as
/// `•` or `n.` lines, nested content indented by two spaces a level.
fn blocks(markup: &impl Markup, blocks_: &[Block], depth: usize, out: &mut String) {
    for block in blocks_ {
        match block {
            Block::Paragraph(inlines) => {
                out.push_str(&"  ".repeat(depth));
                self::inlines(markup, inlines, out);
                out.push_str(if depth == 0 { "\n\n" } else { "\n" });
            }
            Block::Heading(inlines) => {
                let bold = Inline::Bold(inlines.clone());
                self::inlines(markup, std::slice::from_ref(&bold), out);
                out.push('\n');
            }
            Block::List { ordered, items } => {
                for (n, item) in items.iter().enumerate() {
                    out.push_str(&"  ".repeat(depth));
                    out.push_str(&if *ordered {
                        format!("{}. ", n + 1)
                    } else {
                        "• ".into()
                    });
                    let mut inner = String::new();
                    blocks(markup, item, 0, &mut inner);
                    let indent = format!("\n{}", "  ".repeat(depth + 1));
                    out.push_str(&inner.trim().replace("\n\n", "\n").replace('\n', &indent));
                    out.push('\n');
                }
                if depth == 0 {
                    out.push('\n');
                }
            }
        }
    }
}

fn inlines(markup: &impl Markup, inlines_: &[Inline], out: &mut String) {
    for inline in inlines_ {
        match inline {
            Inline::Text(text) => markup.text(text, out),
            Inline::Bold(inner) => {
                let mut written = String::new();
                inlines(markup, inner, &mut written);
                markup.bold(&written, out);
            }
            Inline::Link { text, url } => {
                let mut written = String::new();
                inlines(markup, text, &mut written);
                markup.link(&written, url, out);
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
        Reply::Clarify(clarify) => {
            let m = messages(clarify.lang);
            let mut out = m.clarify.to_string();
            for (n, choice) in clarify.choices.iter().enumerate() {
                out.push_str(&format!("\n  {}. {}", n + 1, choice.entry.title));
            }
            out.push_str(&format!(
                "\n{} {} <{}>",
                m.contact, clarify.care.label, clarify.care.url
            ));
            out
        }
        // Small talk gets small talk, in the question's language (both when unknown): no
        // hand-off, as in the bot.
        Reply::Escalation(e) if e.reason.is_small_talk() => {
            let langs: Vec<Lang> = e.detected.lang.map_or(Lang::ALL.to_vec(), |l| vec![l]);
            langs
                .iter()
                .map(|&l| messages(l).reason(e.reason))
                .collect::<Vec<_>>()
                .join("\n\n")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::EntryId;

    #[test]
    fn plain_text_drops_bold_writes_links_out_and_lists_as_lines() {
        let entry = Entry {
            id: EntryId::new("p", "e"),
            lang: Lang::Pt,
            title: "Título <b>".into(),
            body: vec![
                Block::Paragraph(vec![
                    Inline::Bold(vec![Inline::Text("Sim.".into())]),
                    Inline::Text(" Veja ".into()),
                    Inline::Link {
                        text: vec![Inline::Text("a página".into())],
                        url: "https://x.com/a".into(),
                    },
                ]),
                Block::List {
                    ordered: false,
                    items: vec![
                        vec![Block::Paragraph(vec![Inline::Text("um".into())])],
                        vec![Block::Paragraph(vec![Inline::Text("dois".into())])],
                    ],
                },
            ],
            alternates: Vec::new(),
        };
        assert_eq!(
            entry_plain(&entry),
            "Título <b>\n\nSim. Veja a página <https://x.com/a>\n\n• um\n• dois"
        );
    }
}
