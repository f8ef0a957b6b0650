//! Teaching the bot (`faqbot accept`): phrasings added to an entry's alternates or to the
//! off-topic list (or taken out), in the file an agent would edit by hand, its comments,
//! order and layout kept; checked against a regression corpus on the FAQ as it would be
//! before anything is written; written atomically, under a lock, and only if nobody
//! changed the file meanwhile.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use toml_edit::{Array, DocumentMut, Item, Value};

use crate::engine::{Engine, Settings};
use crate::eval::{self, Question};
use crate::faq::{EntryId, Sources};
use crate::lang::Lang;
use crate::semantic::Encoder;

/// What to teach.
#[derive(Clone, Debug)]
pub struct Lesson {
    pub lang: Lang,
    pub target: Target,
    pub phrasings: Vec<String>,
    /// Take the phrasings out instead.
    pub remove: bool,
}

/// Where the phrasings go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An entry, by its id in full (`page/local`) or its local part as `eval` writes it.
    Entry(String),
    /// The language's off-topic list.
    OffTopic,
}

/// Why a lesson cannot be taught.
#[derive(Debug, thiserror::Error)]
pub enum TeachError {
    #[error(transparent)]
    Faq(#[from] crate::Error),
    #[error("no entry {id:?} in {lang}; ids look like `aws-faq-4` (see `faqbot index`)")]
    UnknownEntry { id: String, lang: Lang },
    #[error("{id:?} names several entries ({}): give the id in full", candidates.join(", "))]
    Ambiguous { id: String, candidates: Vec<String> },
    #[error("{phrasing:?} is already in {place}")]
    AlreadyListed { phrasing: String, place: String },
    #[error("{phrasing:?} is not in {place}")]
    NotListed { phrasing: String, place: String },
    #[error("no phrasing given")]
    Nothing,
    #[error("cannot edit {}: {message}", path.display())]
    Toml { path: PathBuf, message: String },
    #[error("{} changed since it was read (another agent?): nothing written; run again", path.display())]
    Changed { path: PathBuf },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A lesson as it would change its file.
#[derive(Clone, Debug)]
pub struct Planned {
    pub lang: Lang,
    /// The file written: `faq/<lang>/<page>.alternates.toml` or `off-topic.toml`.
    pub path: PathBuf,
    /// Its text when read (`None`: it does not exist yet).
    pub original: Option<String>,
    pub edited: String,
    /// Where the phrasings go, for people: `entry page/local` or `the off-topic list`.
    pub place: String,
}

impl Planned {
    /// The sha256 of the file as read: what a confirming write must still find.
    pub fn hash(&self) -> String {
        hash(self.original.as_deref().unwrap_or_default())
    }
}

/// The sha256 of a file's text, in hex.
pub fn hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Phrasings compare as a customer would read them: case and spacing aside.
fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

/// Works out the edit of `lesson` on the FAQ in `faq_dir`, refusing unknown ids, phrasings
/// already in a list of that language (adding) or not in the target's (removing).
pub fn plan(faq_dir: &Path, lesson: &Lesson) -> Result<Planned, TeachError> {
    let phrasings: Vec<&str> = lesson
        .phrasings
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect();
    if phrasings.is_empty() {
        return Err(TeachError::Nothing);
    }
    let sources = Sources::read(faq_dir)?;
    let faq = sources.parse()?;
    let lang_faq = faq.lang(lesson.lang);
    let lang_dir = faq_dir.join(lesson.lang.code());
    let (path, key, place, listed): (PathBuf, String, String, Vec<String>) = match &lesson.target {
        Target::Entry(id) => {
            let matches: Vec<&EntryId> = lang_faq
                .entries
                .iter()
                .map(|e| &e.id)
                .filter(|e| e.as_str() == id || e.local() == id)
                .collect();
            let entry_id = match matches.as_slice() {
                [] => {
                    return Err(TeachError::UnknownEntry {
                        id: id.clone(),
                        lang: lesson.lang,
                    });
                }
                [one] => (*one).clone(),
                several => {
                    return Err(TeachError::Ambiguous {
                        id: id.clone(),
                        candidates: several.iter().map(|e| e.to_string()).collect(),
                    });
                }
            };
            let page = entry_id
                .as_str()
                .strip_suffix(&format!("/{}", entry_id.local()))
                .unwrap_or_default()
                .to_string();
            let stem =
                sources
                    .page_stem(lesson.lang, &page)?
                    .ok_or_else(|| TeachError::UnknownEntry {
                        id: id.clone(),
                        lang: lesson.lang,
                    })?;
            let listed = lang_faq
                .entries
                .iter()
                .find(|e| e.id == entry_id)
                .map(|e| e.alternates.clone())
                .unwrap_or_default();
            (
                lang_dir.join(format!("{stem}.alternates.toml")),
                entry_id.local().to_string(),
                format!("the alternates of {entry_id}"),
                listed,
            )
        }
        Target::OffTopic => (
            lang_dir.join("off-topic.toml"),
            "phrasings".to_string(),
            format!("the {} off-topic list", lesson.lang),
            lang_faq.off_topic.clone(),
        ),
    };
    for phrasing in &phrasings {
        if lesson.remove {
            if !listed.iter().any(|l| same(l, phrasing)) {
                return Err(TeachError::NotListed {
                    phrasing: phrasing.to_string(),
                    place,
                });
            }
            continue;
        }
        let elsewhere = lang_faq
            .entries
            .iter()
            .find(|e| e.alternates.iter().any(|a| same(a, phrasing)) || same(&e.title, phrasing))
            .map(|e| format!("the alternates of {}", e.id))
            .or_else(|| {
                lang_faq
                    .off_topic
                    .iter()
                    .any(|o| same(o, phrasing))
                    .then(|| format!("the {} off-topic list", lesson.lang))
            });
        if let Some(place) = elsewhere {
            return Err(TeachError::AlreadyListed {
                phrasing: phrasing.to_string(),
                place,
            });
        }
    }
    let original = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(TeachError::Write { path, source }),
    };
    let edited = edit(
        original.as_deref().unwrap_or_default(),
        &key,
        &phrasings,
        lesson.remove,
    )
    .map_err(|message| TeachError::Toml {
        path: path.clone(),
        message,
    })?;
    Ok(Planned {
        lang: lesson.lang,
        path,
        original,
        edited,
        place,
    })
}

/// Adds `phrasings` to the array `key` (or takes them out), keeping everything else of
/// the text as it was: a new line is laid out like the one before it.
fn edit(text: &str, key: &str, phrasings: &[&str], remove: bool) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    // An alternates file may name its entries in full (`page/local`).
    let existing = doc
        .iter()
        .map(|(k, _)| k.to_string())
        .find(|k| k == key || k.ends_with(&format!("/{key}")));
    let key = existing.unwrap_or_else(|| key.to_string());
    if doc.get(&key).is_none() {
        let mut array = Array::new();
        array.set_trailing("\n");
        array.set_trailing_comma(true);
        doc.insert(&key, Item::Value(Value::Array(array)));
    }
    let array = doc
        .get_mut(&key)
        .and_then(Item::as_array_mut)
        .ok_or_else(|| format!("{key} is not a list of phrasings"))?;
    if remove {
        array.retain(|v| {
            !v.as_str()
                .is_some_and(|s| phrasings.iter().any(|p| same(s, p)))
        });
    } else {
        let prefix = array
            .iter()
            .last()
            .and_then(|v| v.decor().prefix())
            .and_then(|p| p.as_str())
            // The indentation only: a comment before the last line stays where it is.
            .map_or_else(
                || "\n  ".to_string(),
                |p| match p.rfind('\n') {
                    Some(at) => p[at..].to_string(),
                    None => p.to_string(),
                },
            );
        for phrasing in phrasings {
            if prefix.contains('\n') {
                let mut value = Value::from(*phrasing);
                value.decor_mut().set_prefix(prefix.clone());
                value.decor_mut().set_suffix("");
                array.push_formatted(value);
            } else {
                array.push(*phrasing);
            }
        }
        if array.trailing().as_str().is_none_or(str::is_empty) && prefix.contains('\n') {
            array.set_trailing("\n");
            array.set_trailing_comma(true);
        }
    }
    Ok(doc.to_string())
}

/// A corpus line the lesson would change for the worse.
#[derive(Clone, Debug, PartialEq)]
pub struct Worse {
    /// `file:line`.
    pub origin: String,
    pub question: String,
    /// What it got, before and after: `answered aws-faq-1`, `choices`, `handed off`.
    pub before: String,
    pub after: String,
}

/// The regression check of a lesson: the corpus figures before and after, and every line
/// that would change for the worse.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub lines: usize,
    pub right_before: usize,
    pub right_after: usize,
    pub wrong_before: usize,
    pub wrong_after: usize,
    pub worse: Vec<Worse>,
}

impl Check {
    /// Nothing answered right is lost and no new wrong answer appears.
    pub fn passed(&self) -> bool {
        self.right_after >= self.right_before && !self.worse.iter().any(|w| w.after_wrong())
    }
}

impl Worse {
    fn after_wrong(&self) -> bool {
        self.after.starts_with("answered") && !self.before.eq(&self.after)
    }
}

/// Runs `corpus` on the FAQ of `faq_dir` as it is (`current`) and as `planned` would leave
/// it: a copy of the folder with the edit, indexed in a scratch folder (the embedding cache
/// beside the model spares all but the new phrasings).
pub fn check(
    current: &Engine,
    faq_dir: &Path,
    planned: &Planned,
    settings: Settings,
    encoder: Option<Arc<Encoder>>,
    corpus: &[Question],
) -> Result<Check, TeachError> {
    let scratch = tempfile::tempdir().map_err(|source| TeachError::Write {
        path: std::env::temp_dir(),
        source,
    })?;
    let copy = scratch.path().join("faq");
    copy_faq(faq_dir, &copy)?;
    let relative = planned.path.strip_prefix(faq_dir).unwrap_or(&planned.path);
    let target = copy.join(relative);
    std::fs::write(&target, &planned.edited).map_err(|source| TeachError::Write {
        path: target.clone(),
        source,
    })?;
    let after = Engine::open_with(&copy, &scratch.path().join("index"), settings, encoder)?;
    if let Some(error) = after.stale() {
        return Err(TeachError::Toml {
            path: planned.path.clone(),
            message: crate::error::chain(error),
        });
    }
    let before = eval::run(current, corpus);
    let after = eval::run(&after, corpus);
    let describe = |o: &eval::Outcome1| match (&o.answered, o.choices.is_empty()) {
        (Some(id), _) => format!("answered {id}"),
        (None, false) => format!("choices {}", o.choices.join(", ")),
        (None, true) => "handed off".to_string(),
    };
    let wrong = |o: &eval::Outcome1| o.answered.is_some() && !o.correct();
    let mut check = Check {
        lines: corpus.len(),
        right_before: before.iter().filter(|o| o.correct()).count(),
        right_after: after.iter().filter(|o| o.correct()).count(),
        wrong_before: before.iter().filter(|o| wrong(o)).count(),
        wrong_after: after.iter().filter(|o| wrong(o)).count(),
        worse: Vec::new(),
    };
    for (b, a) in before.iter().zip(&after) {
        let lost = b.correct() && !a.correct();
        let newly_wrong = wrong(a) && a.answered != b.answered;
        if lost || newly_wrong {
            check.worse.push(Worse {
                origin: a.question.origin.clone(),
                question: a.question.text.clone(),
                before: describe(b),
                after: describe(a),
            });
        }
    }
    Ok(check)
}

/// Copies the language folders' files (pages, alternates, synonyms, off-topic lists).
fn copy_faq(from: &Path, to: &Path) -> Result<(), TeachError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TeachError::Write { path, source }
    };
    for lang in Lang::ALL {
        let (src, dst) = (from.join(lang.code()), to.join(lang.code()));
        if !src.is_dir() {
            continue;
        }
        std::fs::create_dir_all(&dst).map_err(io(&dst))?;
        for entry in std::fs::read_dir(&src).map_err(io(&src))? {
            let entry = entry.map_err(io(&src))?;
            if entry.path().is_file() {
                let target = dst.join(entry.file_name());
                std::fs::copy(entry.path(), &target).map_err(io(&target))?;
            }
        }
    }
    Ok(())
}

/// Writes a planned edit: under a lock on the FAQ folder, only if the file is still as it
/// was read (its hash is `expected`), through a temporary file and a rename, so that the
/// hot reload never reads half a file.
pub fn write(faq_dir: &Path, planned: &Planned, expected: &str) -> Result<(), TeachError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TeachError::Write { path, source }
    };
    let lock_path = faq_dir.join(".faqbot-accept.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(&lock_path))?;
    lock.lock().map_err(io(&lock_path))?;
    let now = match std::fs::read_to_string(&planned.path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(TeachError::Write {
                path: planned.path.clone(),
                source,
            });
        }
    };
    if hash(&now) != expected {
        return Err(TeachError::Changed {
            path: planned.path.clone(),
        });
    }
    let dir = planned.path.parent().unwrap_or(faq_dir);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    std::io::Write::write_all(&mut tmp, planned.edited.as_bytes()).map_err(io(tmp.path()))?;
    // The file keeps its permissions (a new one gets the folder's usual ones).
    if let Ok(meta) = std::fs::metadata(&planned.path) {
        std::fs::set_permissions(tmp.path(), meta.permissions()).map_err(io(tmp.path()))?;
    } else {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(&planned.path).map_err(|e| TeachError::Write {
        path: planned.path.clone(),
        source: e.error,
    })?;
    drop(lock);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# Agents' phrasings.\n\naws-changes = [\n  \"O que vai mudar?\", # the first\n  \"Que atualização é essa?\",\n]\n\n# Timing.\naws-timeline = [\"Quando?\"]\n";

    #[test]
    fn an_added_phrasing_is_laid_out_like_its_neighbours_and_nothing_else_moves() {
        let edited = edit(FILE, "aws-changes", &["o q muda?"], false).unwrap();
        assert_eq!(
            edited,
            FILE.replace(
                "  \"Que atualização é essa?\",\n",
                "  \"Que atualização é essa?\",\n  \"o q muda?\",\n"
            )
        );
        let removed = edit(&edited, "aws-changes", &["O Q MUDA?"], true).unwrap();
        assert_eq!(removed, FILE);
        let one_line = edit(FILE, "aws-timeline", &["E quando?"], false).unwrap();
        assert!(
            one_line.contains("aws-timeline = [\"Quando?\", \"E quando?\"]"),
            "{one_line}"
        );
        let new_key = edit(FILE, "aws-new", &["Nova?"], false).unwrap();
        assert!(new_key.starts_with(FILE), "{new_key}");
        let parsed: toml::Table = toml::from_str(&new_key).unwrap();
        assert_eq!(parsed["aws-new"].as_array().unwrap().len(), 1);
        assert!(edit("x = 1", "x", &["a"], false).is_err());
        assert!(edit("x = [", "x", &["a"], false).is_err());
    }

    #[test]
    fn a_phrasing_that_could_break_the_toml_is_quoted() {
        let nasty = "ele disse \"sim\"\\n e # não [fim]";
        let edited = edit(FILE, "aws-changes", &[nasty], false).unwrap();
        let parsed: toml::Table = toml::from_str(&edited).unwrap();
        let list = parsed["aws-changes"].as_array().unwrap();
        assert_eq!(list.last().unwrap().as_str(), Some(nasty));
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.alternates.toml");
        std::fs::write(&path, "a = [\"one\"]\n").unwrap();
        let planned = Planned {
            lang: Lang::Pt,
            path: path.clone(),
            original: Some("a = [\"one\"]\n".into()),
            edited: "a = [\"one\", \"two\"]\n".into(),
            place: "the alternates of p/a".into(),
        };
        // Another agent's edit lands first.
        std::fs::write(&path, "a = [\"one\", \"three\"]\n").unwrap();
        let err = write(dir.path(), &planned, &planned.hash()).unwrap_err();
        assert!(matches!(err, TeachError::Changed { .. }), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "a = [\"one\", \"three\"]\n"
        );
        std::fs::write(&path, "a = [\"one\"]\n").unwrap();
        write(dir.path(), &planned, &planned.hash()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), planned.edited);
    }
}
