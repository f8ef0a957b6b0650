//! Question corpora: the files `faqbot eval` reads.
//!
//! A corpus is a TSV file, one question a line: `lang<TAB>expected<TAB>question`. `lang` is
//! `pt`, `es`, or any other code (`en`, `fr`…, `other`) for a question in another language;
//! `expected` lists entry ids without the page prefix, joined by `|` (any of them is right),
//! or is `NONE` for a question that must be escalated, or `SMALLTALK` for a message that is
//! no question (an acknowledgement, a "testing 1 2 3") and must get small talk back. Lines
//! starting with `#` are skipped.
//!
//! A file whose name ends in `.dialogues.tsv` holds conversations: the same lines, one turn
//! each, a blank line between two dialogues. Elsewhere blank lines are skipped.

use std::path::Path;

use crate::error::{Error, Result};
use crate::lang::Lang;

/// Where a turn stands in its dialogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Turn {
    /// The dialogue, counted from 0 across a run's files.
    pub dialogue: usize,
    /// 0 for the first turn, then 1, 2…: the follow-ups.
    pub index: usize,
}

/// What a corpus line expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// Any of these entries (local ids).
    Entries(Vec<String>),
    /// A hand-off: nothing on the pages answers it.
    Handoff,
    /// Small talk back: it is no question.
    SmallTalk,
}

/// One corpus line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// `file:line`, for failure listings.
    pub origin: String,
    /// The file's name, for the per-file figures (a style is a file).
    pub file: String,
    /// `None`: a language other than pt and es.
    pub lang: Option<Lang>,
    /// Acceptable local entry ids; empty when the question must not be answered.
    pub expected: Vec<String>,
    /// The line expects small talk back (`SMALLTALK`).
    pub small_talk: bool,
    pub text: String,
    /// Set for the turns of a dialogue.
    pub turn: Option<Turn>,
}

impl Question {
    pub fn in_scope(&self) -> bool {
        !self.expected.is_empty()
    }

    /// What the line expects, by kind.
    pub fn expects(&self) -> Expected {
        if self.small_talk {
            Expected::SmallTalk
        } else if self.expected.is_empty() {
            Expected::Handoff
        } else {
            Expected::Entries(self.expected.clone())
        }
    }

    /// A follow-up turn of a dialogue.
    pub fn follow_up(&self) -> bool {
        self.turn.is_some_and(|t| t.index > 0)
    }
}

/// Reads a corpus file; dialogues are numbered from `0`.
pub fn load(path: &Path) -> Result<Vec<Question>> {
    load_from(path, 0)
}

/// Reads a corpus file, numbering its dialogues from `first_dialogue` so that the
/// dialogues of several files stay apart.
pub fn load_from(path: &Path, first_dialogue: usize) -> Result<Vec<Question>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(path, &text, first_dialogue)
}

/// The regression corpus built into the binary (`tests/questions/pt.tsv` and `es.tsv`),
/// as `faqbot accept` checks an edit against it where there is no checkout.
pub fn builtin() -> Vec<Question> {
    const FILES: [(&str, &str); 2] = [
        (
            "tests/questions/pt.tsv",
            include_str!("../../tests/questions/pt.tsv"),
        ),
        (
            "tests/questions/es.tsv",
            include_str!("../../tests/questions/es.tsv"),
        ),
    ];
    FILES
        .iter()
        // Checked by a test: the shipped files parse.
        .flat_map(|(name, text)| parse(Path::new(name), text, 0).unwrap_or_default())
        .collect()
}

fn parse(path: &Path, text: &str, first_dialogue: usize) -> Result<Vec<Question>> {
    let dialogues = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".dialogues.tsv"));
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let mut out = Vec::new();
    let mut dialogue = first_dialogue;
    let mut index = 0;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if dialogues && index > 0 {
                dialogue += 1;
                index = 0;
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let fail = |message: &str| Error::Corpus {
            path: path.to_path_buf(),
            line: i + 1,
            message: message.to_string(),
        };
        let mut fields = line.splitn(3, '\t');
        let (Some(lang), Some(expected), Some(text)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(fail("expected `lang<TAB>expected<TAB>question`"));
        };
        let lang = lang.trim();
        if lang.is_empty() || !lang.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
            return Err(fail(
                "the language must be a code such as pt, es, en or other",
            ));
        }
        let (expected, small_talk) = match expected.trim() {
            "NONE" => (Vec::new(), false),
            "SMALLTALK" => (Vec::new(), true),
            "" => {
                return Err(fail(
                    "expected ids are missing (use NONE for an escalation)",
                ));
            }
            ids => (
                ids.split('|').map(|id| id.trim().to_string()).collect(),
                false,
            ),
        };
        out.push(Question {
            origin: format!("{}:{}", path.display(), i + 1),
            file: file.clone(),
            lang: lang.parse().ok(),
            expected,
            small_talk,
            text: text.to_string(),
            turn: dialogues.then_some(Turn { dialogue, index }),
        });
        index += 1;
    }
    Ok(out)
}

/// Reads several corpus files into one run, their dialogues kept apart.
pub fn load_all<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<Question>> {
    let mut out: Vec<Question> = Vec::new();
    for path in paths {
        let next = out
            .iter()
            .filter_map(|q| q.turn)
            .map(|t| t.dialogue + 1)
            .max()
            .unwrap_or(0);
        out.extend(load_from(path.as_ref(), next)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialogues_are_split_at_blank_lines_and_kinds_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.dialogues.tsv");
        std::fs::write(
            &path,
            "# comment\npt\taws-faq-1\tÉ obrigatório?\npt\tSMALLTALK\tok\n\n\
             es\taws-timeline\t¿Cuándo?\nes\tNONE\t¿y el precio?\n",
        )
        .unwrap();
        let qs = load_all(&[&path, &path]).unwrap();
        let turns: Vec<(usize, usize)> = qs
            .iter()
            .map(|q| q.turn.map(|t| (t.dialogue, t.index)).unwrap())
            .collect();
        assert_eq!(
            turns,
            [
                (0, 0),
                (0, 1),
                (1, 0),
                (1, 1),
                (2, 0),
                (2, 1),
                (3, 0),
                (3, 1)
            ]
        );
        assert_eq!(qs[1].expects(), Expected::SmallTalk);
        assert_eq!(qs[3].expects(), Expected::Handoff);
        assert!(qs[1].follow_up() && !qs[2].follow_up());
        assert_eq!(qs[0].file, "x.dialogues.tsv");

        let single = dir.path().join("single.tsv");
        std::fs::write(&single, "pt\taws-faq-1\ta\n\npt\tNONE\tb\n").unwrap();
        assert!(load(&single).unwrap().iter().all(|q| q.turn.is_none()));
    }

    #[test]
    fn the_builtin_corpus_is_the_shipped_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let files = load_all(&[
            root.join("tests/questions/pt.tsv"),
            root.join("tests/questions/es.tsv"),
        ])
        .unwrap();
        let builtin = builtin();
        assert_eq!(builtin.len(), files.len());
        assert!(builtin.len() > 100);
        assert!(builtin.iter().zip(&files).all(|(a, b)| a.text == b.text));
    }
}
