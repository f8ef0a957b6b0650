//! A parser for the subset of Experience League markdown that FAQ pages use.
//!
//! Front matter between `---` lines, one `# Title {#anchor}`, `## Title{#anchor}` sections,
//! paragraphs, nested `*`/`-`/`1.` lists with indented continuation, and inline `**bold**`,
//! `[text](url)` and `{attribute}` blocks (dropped). The result keeps the structure (runs of
//! text, bold, links) so that each front end renders it in its own medium. Errors carry the
//! line they were found on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A piece of inline text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Inline {
    Text(String),
    Bold(Vec<Inline>),
    Link { text: Vec<Inline>, url: String },
}

/// A block of body text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Block {
    Paragraph(Vec<Inline>),
    /// A heading below H2 inside a section.
    Heading(Vec<Inline>),
    /// Each item is a sequence of blocks (its first paragraph, then nested lists…).
    List {
        ordered: bool,
        items: Vec<Vec<Block>>,
    },
}

/// A block with the line it starts on (1-based), for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    pub line: usize,
    pub value: T,
}

/// An H2 section: title, anchor and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub line: usize,
    pub title: String,
    pub anchor: String,
    pub blocks: Vec<Located<Block>>,
}

/// A whole page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub front_matter: BTreeMap<String, String>,
    pub title: String,
    pub anchor: String,
    /// Blocks between the H1 and the first H2.
    pub intro: Vec<Located<Block>>,
    pub sections: Vec<Section>,
}

/// A format error at a line of the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

type Result<T> = std::result::Result<T, ParseError>;

/// Lists nested deeper than this are an error: FAQ pages use two or three levels, and every
/// level costs stack in the parser and in every reader of the stored entry.
pub const MAX_LIST_DEPTH: usize = 8;
/// The same for links and bold inside each other.
pub const MAX_INLINE_DEPTH: usize = 8;
/// A `[label]` longer than this is text, not a link label, and a `(url "title")` longer
/// than this is not a link target: bounding both keeps parsing linear when a page holds
/// thousands of unmatched brackets.
const MAX_LINK_PART: usize = 2048;

fn error<T>(line: usize, message: impl Into<String>) -> Result<T> {
    Err(ParseError {
        line,
        message: message.into(),
    })
}

/// One source line with its number; tabs are expanded so indentation is in columns.
#[derive(Clone, Debug)]
struct Line {
    no: usize,
    text: String,
}

impl Line {
    fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start_matches(' ').len()
    }

    fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// Removes up to `n` leading spaces.
    fn dedent(&self, n: usize) -> Line {
        let cut = self.indent().min(n);
        Line {
            no: self.no,
            text: self.text[cut..].to_string(),
        }
    }
}

/// Parses a page.
pub fn parse(source: &str) -> Result<Document> {
    let lines: Vec<Line> = source
        .lines()
        .enumerate()
        .map(|(i, text)| Line {
            no: i + 1,
            text: text.replace('\t', "    ").trim_end().to_string(),
        })
        .collect();
    let (front_matter, rest) = front_matter(&lines)?;

    let mut title = None;
    let mut intro = Vec::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut anchors: std::collections::HashMap<String, usize> = Default::default();
    let mut body: Vec<Line> = Vec::new();
    let flush = |body: &mut Vec<Line>,
                 sections: &mut Vec<Section>,
                 intro: &mut Vec<Located<Block>>|
     -> Result<()> {
        let blocks = blocks(body, 0)?;
        match sections.last_mut() {
            Some(section) => section.blocks = blocks,
            None => *intro = blocks,
        }
        body.clear();
        Ok(())
    };
    for line in rest {
        if let Some(text) = line.text.strip_prefix("# ") {
            if title.is_some() {
                return error(line.no, "a second H1 (`# …`): a page has one title");
            }
            if let Some(previous) = body.iter().find(|l| !l.is_blank()) {
                return error(previous.no, "text before the page's H1 title");
            }
            body.clear();
            title = Some(heading(text, line.no)?);
        } else if let Some(text) = line.text.strip_prefix("## ") {
            if title.is_none() {
                return error(line.no, "an H2 section before the page's H1 title");
            }
            flush(&mut body, &mut sections, &mut intro)?;
            let (title, anchor) = heading(text, line.no)?;
            if let Some(same) = anchors.insert(anchor.clone(), line.no) {
                return error(
                    line.no,
                    format!("anchor {{#{anchor}}} is already used on line {same}"),
                );
            }
            sections.push(Section {
                line: line.no,
                title,
                anchor,
                blocks: Vec::new(),
            });
        } else {
            body.push(line.clone());
        }
    }
    let Some((title, anchor)) = title else {
        return error(
            lines.len().max(1),
            "no H1 title (`# Title {#anchor}`) in the page",
        );
    };
    flush(&mut body, &mut sections, &mut intro)?;
    Ok(Document {
        front_matter,
        title,
        anchor,
        intro,
        sections,
    })
}

/// Splits off the `---` front matter and reads its `key: value` lines.
fn front_matter(lines: &[Line]) -> Result<(BTreeMap<String, String>, &[Line])> {
    let mut map = BTreeMap::new();
    let Some(first) = lines.iter().position(|l| !l.is_blank()) else {
        return error(1, "the page is empty");
    };
    if lines[first].text != "---" {
        return Ok((map, &lines[first..]));
    }
    for (i, line) in lines.iter().enumerate().skip(first + 1) {
        if line.text == "---" {
            return Ok((map, &lines[i + 1..]));
        }
        if line.is_blank() || line.text.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.text.split_once(':') else {
            return error(line.no, "front matter line is not `key: value`");
        };
        let value = value.trim();
        let value = value
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
            .unwrap_or(value);
        map.insert(key.trim().to_string(), value.to_string());
    }
    error(
        lines[first].no,
        "front matter opened with `---` is never closed",
    )
}

/// Splits `Title {#anchor}` (the space is optional) into plain title and anchor.
fn heading(text: &str, line: usize) -> Result<(String, String)> {
    let text = text.trim();
    let Some(open) = text.rfind("{#").filter(|_| text.ends_with('}')) else {
        return error(line, format!("heading {text:?} has no {{#anchor}}"));
    };
    let anchor = &text[open + 2..text.len() - 1];
    if anchor.is_empty()
        || !anchor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return error(
            line,
            format!("anchor {{#{anchor}}} is not made of letters, digits, - and _"),
        );
    }
    let title = plain(&inlines(&text[..open], line)?);
    if title.is_empty() {
        return error(line, "heading has an anchor but no title");
    }
    Ok((title, anchor.to_string()))
}

/// A list marker at the start of `text`: its width including the following space.
fn list_marker(text: &str) -> Option<(usize, bool)> {
    let bytes = text.as_bytes();
    match bytes {
        [b'*' | b'-' | b'+', b' ', ..] => Some((2, false)),
        _ => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            (digits > 0 && bytes.get(digits) == Some(&b'.') && bytes.get(digits + 1) == Some(&b' '))
                .then_some((digits + 2, true))
        }
    }
}

/// Parses a run of lines (already de-indented to their container) into blocks.
/// `depth` counts the lists around them.
fn blocks(lines: &[Line], depth: usize) -> Result<Vec<Located<Block>>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if line.is_blank() {
            i += 1;
            continue;
        }
        let indent = line.indent();
        let text = &line.text[indent..];
        if let Some((width, ordered)) = list_marker(text) {
            if depth >= MAX_LIST_DEPTH {
                return error(
                    line.no,
                    format!("lists nested deeper than {MAX_LIST_DEPTH} levels"),
                );
            }
            let (list, next) = list(lines, i, indent, width, ordered, depth + 1)?;
            out.push(Located {
                line: line.no,
                value: list,
            });
            i = next;
        } else if let Some(rest) = text.strip_prefix('#') {
            let title = rest.trim_start_matches('#').trim();
            let title = match title.rfind("{#") {
                Some(open) if title.ends_with('}') => &title[..open],
                _ => title,
            };
            out.push(Located {
                line: line.no,
                value: Block::Heading(inlines(title, line.no)?),
            });
            i += 1;
        } else {
            let start = i;
            let mut text = String::new();
            while i < lines.len() && !lines[i].is_blank() {
                let t = lines[i].text.trim();
                if i > start && (list_marker(t).is_some() || t.starts_with('#')) {
                    break;
                }
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(t);
                i += 1;
            }
            out.push(Located {
                line: line.no,
                value: Block::Paragraph(inlines(&text, line.no)?),
            });
        }
    }
    Ok(out)
}

/// Parses the list starting at `lines[start]`; returns it and the index after it.
fn list(
    lines: &[Line],
    start: usize,
    indent: usize,
    width: usize,
    ordered: bool,
    depth: usize,
) -> Result<(Block, usize)> {
    let content = indent + width;
    let mut items = Vec::new();
    let mut i = start;
    loop {
        // `lines[i]` is a marker line at `indent`.
        let first = &lines[i];
        let mut item = vec![Line {
            no: first.no,
            text: first.text[content.min(first.text.len())..].to_string(),
        }];
        i += 1;
        while i < lines.len() {
            let line = &lines[i];
            if line.is_blank() {
                item.push(line.clone());
            } else if line.indent() >= content {
                item.push(line.dedent(content));
            } else if item.last().is_some_and(|l| !l.is_blank())
                && list_marker(line.text.trim_start()).is_none()
                && !line.text.trim_start().starts_with('#')
            {
                // A lazy continuation of the item's last paragraph.
                item.push(line.dedent(content));
            } else {
                break;
            }
            i += 1;
        }
        while item.last().is_some_and(Line::is_blank) {
            item.pop();
            i -= 1;
        }
        items.push(blocks(&item, depth)?.into_iter().map(|b| b.value).collect());
        // Skip blank lines, then continue only with a sibling marker.
        let mut next = i;
        while next < lines.len() && lines[next].is_blank() {
            next += 1;
        }
        let sibling = lines.get(next).filter(|l| {
            l.indent() == indent
                && list_marker(&l.text[indent..]).is_some_and(|(_, o)| o == ordered)
        });
        match sibling {
            Some(_) => i = next,
            None => return Ok((Block::List { ordered, items }, i)),
        }
    }
}

/// Parses inline markup. `line` is the line `text` starts on; newlines in `text` advance it.
pub fn inlines(text: &str, line: usize) -> Result<Vec<Inline>> {
    nested_inlines(text, line, 0)
}

fn nested_inlines(text: &str, line: usize, depth: usize) -> Result<Vec<Inline>> {
    if depth > MAX_INLINE_DEPTH {
        return error(
            line,
            format!("links and bold nested deeper than {MAX_INLINE_DEPTH} levels"),
        );
    }
    let mut parser = InlineParser {
        text,
        pos: 0,
        line,
        counted: (0, line),
        depth,
    };
    let out = parser.run(None)?;
    Ok(merge(out))
}

struct InlineParser<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    /// A position and its line, so that finding a later one's line counts only the
    /// newlines in between.
    counted: (usize, usize),
    depth: usize,
}

impl<'a> InlineParser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn line_at(&mut self, pos: usize) -> usize {
        let (from, line) = if pos >= self.counted.0 {
            self.counted
        } else {
            (0, self.line)
        };
        let line = line + self.text[from..pos].matches('\n').count();
        self.counted = (pos, line);
        line
    }

    /// Reads inlines up to `until` (consumed) or the end of the text.
    fn run(&mut self, until: Option<&str>) -> Result<Vec<Inline>> {
        let opened = self.pos.saturating_sub(2);
        let mut out = Vec::new();
        let mut text = String::new();
        let flush = |text: &mut String, out: &mut Vec<Inline>| {
            if !text.is_empty() {
                out.push(Inline::Text(std::mem::take(text)));
            }
        };
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                if until.is_some() {
                    return error(
                        self.line_at(opened),
                        "`**` opens bold text that is never closed",
                    );
                }
                flush(&mut text, &mut out);
                return Ok(out);
            }
            if let Some(end) = until.filter(|u| rest.starts_with(u)) {
                self.pos += end.len();
                flush(&mut text, &mut out);
                return Ok(out);
            }
            let c = rest.chars().next().unwrap_or_default();
            if c == '\\' {
                if let Some(escaped) = rest[1..]
                    .chars()
                    .next()
                    .filter(|c| c.is_ascii_punctuation())
                {
                    text.push(escaped);
                    self.pos += 1 + escaped.len_utf8();
                    continue;
                }
            } else if rest.starts_with("**") {
                self.pos += 2;
                flush(&mut text, &mut out);
                if self.depth >= MAX_INLINE_DEPTH {
                    let line = self.line_at(self.pos);
                    return error(
                        line,
                        format!("links and bold nested deeper than {MAX_INLINE_DEPTH} levels"),
                    );
                }
                self.depth += 1;
                let inner = self.run(Some("**"));
                self.depth -= 1;
                let inner = inner?;
                out.push(Inline::Bold(merge(inner)));
                continue;
            } else if c == '[' {
                if let Some((label, url, len)) = link(rest) {
                    flush(&mut text, &mut out);
                    let line = self.line_at(self.pos);
                    out.push(Inline::Link {
                        text: nested_inlines(label, line, self.depth + 1)?,
                        url: url.to_string(),
                    });
                    self.pos += len;
                    self.pos += attribute_len(self.rest());
                    continue;
                }
            } else if c == '{' {
                let len = attribute_len(rest);
                if len > 0 {
                    self.pos += len;
                    continue;
                }
            } else if c == '\n' {
                text.push(' ');
                self.pos += 1;
                continue;
            }
            text.push(c);
            self.pos += c.len_utf8();
        }
    }
}

/// `[label](url)` at the start of `s`: label, url and the length consumed.
fn link(s: &str) -> Option<(&str, &str, usize)> {
    let mut depth = 0;
    let mut close = None;
    for (i, c) in s.char_indices().take_while(|(i, _)| *i < MAX_LINK_PART) {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            '\n' if depth == 0 => return None,
            _ => {}
        }
    }
    let close = close?;
    let after = s[close + 1..].strip_prefix('(')?;
    let end = after
        .char_indices()
        .take_while(|(i, c)| *i < MAX_LINK_PART && *c != '\n')
        .find(|(_, c)| *c == ')')?
        .0;
    let url = after[..end].trim();
    let url = url.split_once(' ').map_or(url, |(u, _title)| u);
    if url.is_empty() || url.contains(char::is_whitespace) {
        return None;
    }
    Some((&s[1..close], url, close + 2 + end + 1))
}

/// The length of a `{#id}`, `{.class}` or `{key="value"}` attribute block at the start of `s`.
fn attribute_len(s: &str) -> usize {
    let Some(body) = s.strip_prefix('{') else {
        return 0;
    };
    // Bounded like links, so that many `{` without `}` stay linear.
    let Some(end) = body
        .char_indices()
        .take_while(|(i, c)| *i < MAX_LINK_PART && *c != '\n')
        .find(|(_, c)| *c == '}')
        .map(|(i, _)| i)
    else {
        return 0;
    };
    let inner = body[..end].trim();
    let is_attr = inner.starts_with('#') || inner.starts_with('.') || inner.contains('=');
    if is_attr && !inner.contains('\n') {
        end + 2
    } else {
        0
    }
}

/// Joins adjacent text runs.
fn merge(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match (out.last_mut(), inline) {
            (Some(Inline::Text(a)), Inline::Text(b)) => a.push_str(&b),
            (_, inline) => out.push(inline),
        }
    }
    out
}

/// The text of inlines without markup.
pub fn plain(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain(inlines, &mut out);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn push_plain(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(t) => out.push_str(t),
            Inline::Bold(inner) | Inline::Link { text: inner, .. } => push_plain(inner, out),
        }
    }
}

/// The text of blocks without markup, one line per paragraph or list item.
pub fn plain_blocks(blocks: &[Block]) -> String {
    let mut lines = Vec::new();
    collect_lines(blocks, &mut lines);
    lines.join("\n")
}

fn collect_lines(blocks: &[Block], lines: &mut Vec<String>) {
    for block in blocks {
        match block {
            Block::Paragraph(inlines) | Block::Heading(inlines) => lines.push(plain(inlines)),
            Block::List { items, .. } => {
                for item in items {
                    collect_lines(item, lines);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.to_string())
    }

    #[test]
    fn inline_markup() {
        let got = inlines(
            "Veja **Outubro de 2023** e [Atendimento](https://x.example/?a=b#c){target=\"_blank\"}..",
            1,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                text("Veja "),
                Inline::Bold(vec![text("Outubro de 2023")]),
                text(" e "),
                Inline::Link {
                    text: vec![text("Atendimento")],
                    url: "https://x.example/?a=b#c".into()
                },
                text(".."),
            ]
        );
        assert_eq!(
            inlines(r"a \*b\* [c] d", 1).unwrap(),
            vec![text("a *b* [c] d")]
        );
    }

    #[test]
    fn unclosed_bold_names_its_line() {
        let err = inlines("one\ntwo **three\nfour", 7).unwrap_err();
        assert_eq!(err.line, 8);
    }

    #[test]
    fn headings_sections_and_lists() {
        let page = "---\ntitle: T\nexl-id: 'x'\n---\n\n# Page {#page}\n\n## First?{#first}\n\n\
                    * a\n* b\n  * nested\n\n## Q {#q}\n\n* **Question one?**\n\n  Answer one\n  \
                    goes on.\n\n\n* **Question two?**\n\n  Answer two.\n\nClosing [care](u).\n";
        let doc = parse(page).unwrap();
        assert_eq!(doc.front_matter["title"], "T");
        assert_eq!(doc.front_matter["exl-id"], "x");
        assert_eq!((doc.title.as_str(), doc.anchor.as_str()), ("Page", "page"));
        assert_eq!(doc.sections.len(), 2);
        assert_eq!(doc.sections[0].anchor, "first");
        assert_eq!(doc.sections[0].title, "First?");
        let Block::List { items, .. } = &doc.sections[0].blocks[0].value else {
            panic!("not a list");
        };
        assert_eq!(items.len(), 2);
        assert!(matches!(items[1][1], Block::List { .. }));
        let q = &doc.sections[1];
        assert_eq!(q.blocks.len(), 2);
        let Block::List { items, .. } = &q.blocks[0].value else {
            panic!("not a list");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0][0],
            Block::Paragraph(vec![Inline::Bold(vec![text("Question one?")])])
        );
        assert_eq!(
            items[0][1],
            Block::Paragraph(vec![text("Answer one goes on.")])
        );
        assert_eq!(q.blocks[1].line, 26);
    }

    #[test]
    fn format_errors_name_lines() {
        assert_eq!(parse("---\ntitle: x\n").unwrap_err().line, 1);
        assert_eq!(parse("# Title\n").unwrap_err().line, 1);
        assert_eq!(
            parse("# T {#t}\n\n## A {#a}\n\n## B {#a}\n")
                .unwrap_err()
                .line,
            5
        );
        assert_eq!(parse("# T {#t}\n\n## A\n").unwrap_err().line, 3);
        assert_eq!(parse("hello\n# T {#t}\n").unwrap_err().line, 1);
        assert_eq!(parse("## A {#a}\n").unwrap_err().line, 1);
        assert_eq!(
            parse("# T {#t}\n\n## A {#a}\n\nx **y\n").unwrap_err().line,
            5
        );
        assert_eq!(parse("# T {#t}\n## A {#a b}\n").unwrap_err().line, 2);
    }

    #[test]
    fn nesting_is_bounded_and_named_by_line() {
        let deep: String = (0..=MAX_LIST_DEPTH)
            .map(|level| format!("{}- level {level}\n", "  ".repeat(level)))
            .collect();
        let err = parse(&format!("# T {{#t}}\n\n## A {{#a}}\n\n{deep}")).unwrap_err();
        assert_eq!(err.line, 5 + MAX_LIST_DEPTH, "{err:?}");
        assert!(err.message.contains("nested deeper"), "{err:?}");
        let shallow: String = (0..MAX_LIST_DEPTH)
            .map(|level| format!("{}- level {level}\n", "  ".repeat(level)))
            .collect();
        assert!(parse(&format!("# T {{#t}}\n\n## A {{#a}}\n\n{shallow}")).is_ok());

        // Links nested 20,000 deep overflowed the stack before there was a limit.
        let links = format!("{}x{}", "[".repeat(20_000), "](http://a)".repeat(20_000));
        let err = parse(&format!("# T {{#t}}\n\n## A {{#a}}\n\ntext\n{links}\n")).unwrap_err();
        assert_eq!(err.line, 6, "{err:?}");
    }

    #[test]
    fn unmatched_brackets_and_open_links_are_text() {
        let text = format!("{}[a](b c{}", "[".repeat(50_000), "[x](".repeat(50_000));
        let parsed = inlines(&text, 1).unwrap();
        assert_eq!(plain(&parsed), text);
    }
}
