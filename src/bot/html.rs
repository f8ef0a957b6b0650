//! Telegram HTML: entries and fixed phrases written in the subset Telegram accepts, and
//! long texts split into messages under its limit, each valid on its own.

use crate::faq::Entry;
use crate::lang::Lang;
use crate::render::{self, Markup};

/// Telegram HTML: `<b>`, `<a href>`, everything else escaped. Attribute blocks such as
/// `{target="_blank"}` were dropped by the parser.
pub struct Html;

impl Markup for Html {
    fn text(&self, text: &str, out: &mut String) {
        out.push_str(&escape_html(text));
    }

    fn bold(&self, inner: &str, out: &mut String) {
        out.push_str(&format!("<b>{inner}</b>"));
    }

    fn link(&self, text: &str, url: &str, out: &mut String) {
        out.push_str(&format!("<a href=\"{}\">{text}</a>", escape_html(url)));
    }
}

/// An entry as Telegram HTML.
pub fn entry_html(entry: &Entry) -> String {
    render::entry(&Html, entry)
}

/// A fixed phrase of `lang`, escaped.
pub fn phrase(lang: Lang, pick: impl Fn(&render::Messages) -> &'static str) -> String {
    escape_html(pick(render::messages(lang)))
}

/// The `/start` and `/help` text of one language, as Telegram HTML.
pub fn welcome_html(lang: Lang) -> String {
    let m = render::messages(lang);
    let mut out = escape_html(m.greeting);
    for example in m.examples {
        out.push_str(&format!("\n• <i>{}</i>", escape_html(example)));
    }
    out
}

/// Telegram's limit on one message's text.
pub const TELEGRAM_MAX: usize = 4096;

/// Escapes text for Telegram HTML: `&`, `<`, `>` (and `"`, for attribute values).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Splits Telegram HTML into messages of at most `max` characters: between paragraphs if
/// it can, else between lines, else between words, else inside a word, never inside a tag
/// or an entity. Tags open at a cut are closed at the end of one message and opened again
/// at the start of the next, so that each message is valid HTML on its own. The entries of
/// these pages are far shorter, but a page added later may not be.
pub fn split_html(html: &str, max: usize) -> Vec<String> {
    fn tag_name(tag: &str) -> String {
        tag.trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect()
    }
    fn visible_chars(html: &str) -> usize {
        let mut in_tag = false;
        html.chars()
            .filter(|&c| {
                match c {
                    '<' => in_tag = true,
                    '>' if in_tag => {
                        in_tag = false;
                        return false;
                    }
                    _ => {}
                }
                !in_tag
            })
            .count()
    }
    /// A place to cut: its byte offset in the message being built, and the tags open there.
    struct Cut {
        at: usize,
        chars: usize,
        visible: usize,
        open: Vec<(String, String)>,
        rank: u8,
    }
    let closing = |open: &[(String, String)]| -> String {
        open.iter()
            .rev()
            .map(|(name, _)| format!("</{name}>"))
            .collect()
    };
    let opening = |open: &[(String, String)]| -> String {
        open.iter().map(|(_, tag)| tag.as_str()).collect()
    };
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = 0;
    // Characters of text (not tags) in the message being built: a message is never cut
    // before it has some, which Telegram would refuse as empty.
    let mut visible = 0;
    let mut open: Vec<(String, String)> = Vec::new();
    let mut cuts: Vec<Cut> = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        // The next unit: a whole tag, a whole entity, or one character.
        let len = if rest.starts_with('<') {
            rest.find('>').map_or(1, |end| end + 1)
        } else if rest.starts_with('&') {
            rest.find(';')
                .filter(|&end| end < 10)
                .map_or(1, |end| end + 1)
        } else {
            rest.chars().next().map_or(1, char::len_utf8)
        };
        let (unit, tail) = rest.split_at(len);
        rest = tail;
        let unit_chars = unit.chars().count();
        // The tags open once this unit is in, whose closing tags must still fit.
        let mut open_after = open.clone();
        if let Some(tag) = unit.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
            let name = tag_name(tag);
            if tag.starts_with('/') {
                if let Some(i) = open_after.iter().rposition(|(n, _)| *n == name) {
                    open_after.truncate(i);
                }
            } else if !tag.ends_with('/') {
                open_after.push((name, unit.to_string()));
            }
        }
        let reserve: usize = open_after.iter().map(|(name, _)| name.len() + 3).sum();
        if chars + unit_chars + reserve > max && visible > 0 {
            // The latest cut of the best kind that keeps text before it and leaves room
            // for what follows it; else here.
            let fits = |c: &&Cut| {
                let reopened: usize = c.open.iter().map(|(_, tag)| tag.chars().count()).sum();
                c.visible > 0 && chars - c.chars + reopened + unit_chars + reserve <= max
            };
            let (at, open_there) = cuts
                .iter()
                .filter(fits)
                .max_by_key(|c| (c.rank, c.at))
                .map_or((current.len(), open.clone()), |c| (c.at, c.open.clone()));
            let tail = current.split_off(at);
            let mut part = std::mem::take(&mut current);
            part = part.trim_end().to_string();
            part.push_str(&closing(&open_there));
            if !part.trim().is_empty() {
                parts.push(part);
            }
            current = opening(&open_there);
            current.push_str(tail.trim_start());
            chars = current.chars().count();
            visible = visible_chars(&current);
            // Cuts inside the carried text are not recorded again: the next message cuts
            // at a later one, or mid-word.
            cuts.clear();
        }
        open = open_after;
        current.push_str(unit);
        chars += unit_chars;
        if !unit.starts_with('<') {
            visible += 1;
        }
        let rank = match unit {
            "\n" if current.ends_with("\n\n") => 3,
            "\n" => 2,
            " " => 1,
            _ => 0,
        };
        // Within a word, a cut of the lowest rank every 64 bytes or so: a word longer than
        // a message is cut there.
        if rank > 0
            || cuts
                .last()
                .is_none_or(|c| c.rank > 0 || c.at + 64 < current.len())
        {
            cuts.push(Cut {
                at: current.len(),
                chars,
                visible,
                open: open.clone(),
                rank,
            });
        }
    }
    if !current.trim().is_empty() {
        parts.push(current.trim_end().to_string());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::{EntryId, Sources};
    use crate::markdown::{Block, Inline};

    /// A strict reader of Telegram's HTML subset: only known tags, balanced, `href` only on
    /// `<a>`, entities only `&lt; &gt; &amp; &quot;`.
    fn check_telegram_html(html: &str) -> Result<(), String> {
        let allowed = [
            "b",
            "strong",
            "i",
            "em",
            "u",
            "s",
            "a",
            "code",
            "pre",
            "blockquote",
        ];
        let mut stack: Vec<String> = Vec::new();
        let mut rest = html;
        while let Some(i) = rest.find(['<', '&', '>']) {
            let (c, after) = (rest.as_bytes()[i], &rest[i..]);
            match c {
                b'>' => return Err(format!("bare > at {:?}", &after[..after.len().min(20)])),
                b'&' => {
                    let ok = ["&lt;", "&gt;", "&amp;", "&quot;"]
                        .iter()
                        .any(|e| after.starts_with(e));
                    if !ok {
                        return Err(format!("bad entity at {:?}", &after[..after.len().min(20)]));
                    }
                    rest = &after[1..];
                }
                _ => {
                    let end = after.find('>').ok_or("unclosed tag")?;
                    let tag = &after[1..end];
                    if let Some(name) = tag.strip_prefix('/') {
                        if stack.pop().as_deref() != Some(name) {
                            return Err(format!("unbalanced </{name}>"));
                        }
                    } else {
                        let name = tag.split(' ').next().unwrap_or_default();
                        if !allowed.contains(&name) {
                            return Err(format!("tag <{name}> is not Telegram HTML"));
                        }
                        let attrs = tag[name.len()..].trim();
                        let href_on_a =
                            name == "a" && attrs.starts_with("href=\"") && attrs.ends_with('"');
                        if !attrs.is_empty() && !href_on_a {
                            return Err(format!("attributes {attrs:?} on <{name}>"));
                        }
                        stack.push(name.to_string());
                    }
                    rest = &after[end + 1..];
                }
            }
        }
        match stack.pop() {
            Some(open) => Err(format!("<{open}> never closed")),
            None => Ok(()),
        }
    }

    #[test]
    fn every_entry_of_both_pages_is_valid_telegram_html() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let faq = Sources::read(&dir).unwrap().parse().unwrap();
        for lang in Lang::ALL {
            for entry in &faq.lang(lang).entries {
                let html = entry_html(entry);
                assert!(html.chars().count() <= TELEGRAM_MAX, "{}", entry.id);
                check_telegram_html(&html)
                    .map_err(|e| format!("{}: {e}\n{html}", entry.id))
                    .unwrap();
                assert!(!html.contains("target="), "{}", entry.id);
            }
        }
        let tests = &faq.lang(Lang::Pt).entries[8];
        assert!(
            entry_html(tests).contains("<a href=\"https://"),
            "links become <a href>"
        );
        let impact = &faq.lang(Lang::Es).entries[1];
        assert!(
            entry_html(impact).contains("\n• Clientes de Adobe Campaign Classic"),
            "lists are lines"
        );
    }

    #[test]
    fn markup_in_text_is_escaped_and_the_checker_is_strict() {
        let entry = Entry {
            id: EntryId::new("p", "e"),
            lang: Lang::Pt,
            title: "<script> & \"x\"".into(),
            body: vec![Block::Paragraph(vec![Inline::Text(
                "1 < 2 > 0 &amp;".into(),
            )])],
            alternates: Vec::new(),
        };
        let html = entry_html(&entry);
        check_telegram_html(&html).unwrap();
        assert!(html.starts_with("<b>&lt;script&gt; &amp; &quot;x&quot;</b>"));
        assert!(check_telegram_html("<b>x").is_err());
        assert!(check_telegram_html("<div>x</div>").is_err());
        assert!(check_telegram_html("a > b").is_err());
        assert!(check_telegram_html("a &nbsp; b").is_err());
    }

    #[test]
    fn a_long_line_in_bold_and_a_long_word_split_into_valid_messages() {
        // One line over the limit, inside <b>…</b>: each message opens and closes it.
        let html = format!("<b>{}</b>\n<i>fim</i>", "palavra ".repeat(1000));
        let parts = split_html(&html, TELEGRAM_MAX);
        assert!(parts.len() > 1);
        for part in &parts {
            assert!(part.chars().count() <= TELEGRAM_MAX, "{}", part.len());
            check_telegram_html(part).unwrap();
            assert!(
                part.starts_with("<b>") || part.starts_with("<i>"),
                "{part:.40}"
            );
        }
        // A single word longer than a message, with an entity and a link in it.
        let word = format!(
            "<a href=\"https://x.com\">{}&amp;{}</a>",
            "a".repeat(5000),
            "b".repeat(5000)
        );
        let parts = split_html(&word, TELEGRAM_MAX);
        assert!(parts.len() >= 3, "{}", parts.len());
        let mut text = String::new();
        for part in &parts {
            assert!(part.chars().count() <= TELEGRAM_MAX);
            check_telegram_html(part).unwrap();
            text.push_str(
                part.trim_start_matches("<a href=\"https://x.com\">")
                    .trim_end_matches("</a>"),
            );
        }
        assert_eq!(
            text,
            format!("{}&amp;{}", "a".repeat(5000), "b".repeat(5000)),
            "nothing lost"
        );
    }

    #[test]
    fn messages_that_fit_are_not_split_and_no_message_is_only_tags() {
        assert_eq!(split_html("<b>abc</b>", 10), vec!["<b>abc</b>"]);
        for html in [
            "aaaaaaa<b>bbb</b>",
            "<b>aaaa</b> <i>bbbbbbbbbbbbbbbbbbbb</i>",
        ] {
            for part in split_html(html, 10) {
                assert!(part.chars().count() <= 10, "{part:?} of {html:?}");
                check_telegram_html(&part).unwrap();
                assert!(
                    part.chars().any(char::is_alphabetic) && !part.contains("<b></b>"),
                    "{part:?}"
                );
            }
        }
    }

    #[test]
    fn long_html_splits_under_the_limit_between_lines() {
        let line = "<b>palavra</b> ".repeat(20) + "\n";
        let html = line.repeat(100);
        let parts = split_html(&html, TELEGRAM_MAX);
        assert!(parts.len() > 1);
        for part in &parts {
            assert!(part.chars().count() <= TELEGRAM_MAX);
            check_telegram_html(part).unwrap();
        }
    }
}
