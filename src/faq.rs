//! The FAQ folder: pages, alternates and synonyms per language, turned into answer entries.
//!
//! Layout: `faq/<lang>/*.md` are pages (`<lang>` is `pt` or `es`);
//! `faq/<lang>/<page>.alternates.toml` maps entry ids of that page to extra phrasings;
//! `faq/<lang>/synonyms.toml` lists groups of interchangeable words;
//! `faq/<lang>/off-topic.toml` lists questions the pages do not answer. Reading the sources
//! ([`Sources::read`]) is separate from parsing them ([`Sources::parse`]) so that a matching
//! index is opened without parsing anything.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::lang::Lang;
use crate::markdown::{self, Block, Inline};

/// Bumped whenever parsing, analysis or the index schema change: old indexes are rebuilt.
pub const FORMAT_VERSION: u32 = 4;

/// The id of an entry: `<page anchor>/<section anchor>` or `<page>/<section>-<n>`; the same
/// in every language.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntryId(String);

impl EntryId {
    pub fn new(page: &str, local: &str) -> EntryId {
        EntryId(format!("{page}/{local}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the page: `aws-faq-1`.
    pub fn local(&self) -> &str {
        self.0.split_once('/').map_or(&self.0, |(_, local)| local)
    }

    /// 16 hex digits standing for the id where its length is capped (Telegram's 64-byte
    /// callback data); stable across builds and processes.
    pub fn digest(&self) -> String {
        let mut hash = Fnv::default();
        hash.write(self.0.as_bytes());
        format!("{:016x}", hash.0)
    }
}

impl From<String> for EntryId {
    fn from(s: String) -> EntryId {
        EntryId(s)
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One answer: a section of a page, or one question of its FAQ list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    pub lang: Lang,
    pub title: String,
    pub body: Vec<Block>,
    /// Extra phrasings from the page's alternates file.
    pub alternates: Vec<String>,
}

impl Entry {
    /// The body as plain text.
    pub fn body_text(&self) -> String {
        markdown::plain_blocks(&self.body)
    }
}

/// Where a page sends questions it does not answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareLink {
    pub label: String,
    pub url: String,
}

/// Everything the FAQ folder says about one language.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LangFaq {
    pub entries: Vec<Entry>,
    /// Required: a language without one cannot hand anyone off, so it does not load (a
    /// stored index whose metadata lacks it is damaged, and rebuilt).
    pub care: CareLink,
    /// Groups of words and phrases customers use interchangeably.
    pub synonyms: Vec<Vec<String>>,
    /// Questions the desk gets that no page answers: a question nearer one of them than
    /// any entry's phrasing is handed to Customer Care.
    #[serde(default)]
    pub off_topic: Vec<String>,
    pub pages: usize,
}

/// One language's FAQ while its files are read: the Customer Care link may come from any
/// page, so it is optional until the end.
#[derive(Default)]
struct Draft {
    entries: Vec<Entry>,
    care: Option<CareLink>,
    synonyms: Vec<Vec<String>>,
    off_topic: Vec<String>,
    pages: usize,
}

/// The parsed FAQ folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Faq {
    langs: [LangFaq; 2],
}

impl Faq {
    pub fn lang(&self, lang: Lang) -> &LangFaq {
        &self.langs[lang.index()]
    }

    pub(crate) fn from_langs(langs: [LangFaq; 2]) -> Faq {
        Faq { langs }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Page,
    Alternates,
    Synonyms,
    OffTopic,
}

/// One source file, read but not parsed.
#[derive(Clone, Debug)]
struct Source {
    lang: Lang,
    kind: Kind,
    path: PathBuf,
    /// Path relative to the FAQ folder, with `/`: what the fingerprint covers.
    name: String,
    text: String,
}

/// The repository's FAQ folder, built into the binary: `("<lang>/<file>", text)`.
pub static EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_faq.rs"));

/// Writes the FAQ built into the binary as a FAQ folder under `cache`, once per version of
/// its content, and returns that folder: the default FAQ of a `faqbot` run outside the
/// repository.
pub fn embedded_dir(cache: &Path) -> Result<PathBuf> {
    let mut hash = Fnv::default();
    for (name, text) in EMBEDDED {
        hash.write(name.as_bytes());
        hash.write(&[0]);
        hash.write(text.as_bytes());
    }
    let dir = cache.join(format!("faq-{:016x}", hash.0));
    if dir.is_dir() {
        return Ok(dir);
    }
    // Written beside and renamed, so that a reader never sees half a folder.
    std::fs::create_dir_all(cache).map_err(|e| Error::io(cache, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".faq-")
        .tempdir_in(cache)
        .map_err(|e| Error::io(cache, e))?;
    for (name, text) in EMBEDDED {
        let file = tmp.path().join(name);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&file, text).map_err(|e| Error::io(&file, e))?;
    }
    let tmp = tmp.keep();
    if let Err(error) = std::fs::rename(&tmp, &dir) {
        let _ = std::fs::remove_dir_all(&tmp);
        // Another process won the race: its folder is the same.
        if !dir.is_dir() {
            return Err(Error::io(&dir, error));
        }
    }
    Ok(dir)
}

/// The FAQ folder's files, read.
#[derive(Clone, Debug)]
pub struct Sources {
    pub(crate) dir: PathBuf,
    files: Vec<Source>,
}

/// A page, alternates or synonyms file larger than this is an error: the real pages are
/// tens of kilobytes, and a runaway file must not stall every start.
pub const MAX_SOURCE_BYTES: u64 = 1 << 20;

/// Reads one source file: a regular file (a FIFO would block every command), or a symlink
/// to one that stays under the FAQ folder, of at most [`MAX_SOURCE_BYTES`].
fn read_source(dir: &Path, file: &Path) -> Result<String> {
    use std::io::Read;
    let refuse = |message: &str| Error::Layout {
        path: file.to_path_buf(),
        message: message.to_string(),
    };
    let link = std::fs::symlink_metadata(file).map_err(|e| Error::io(file, e))?;
    if link.file_type().is_symlink() {
        let target = std::fs::canonicalize(file).map_err(|e| Error::io(file, e))?;
        let root = std::fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?;
        if !target.starts_with(&root) {
            return Err(refuse("a symbolic link to outside the FAQ folder"));
        }
    }
    let meta = std::fs::metadata(file).map_err(|e| Error::io(file, e))?;
    if !meta.is_file() {
        return Err(refuse("not a regular file"));
    }
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(refuse(&format!(
            "{} bytes, over the limit of {MAX_SOURCE_BYTES}",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(file, e))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(refuse("grew over the size limit while read"));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::io(
            file,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
        )
    })
}

impl Sources {
    /// Reads every source file under `dir`. A folder that is not a language is an error.
    pub fn read(dir: &Path) -> Result<Sources> {
        let mut files = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        let mut langs = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !path.is_dir() || name.starts_with('.') {
                continue;
            }
            // A linked language folder must stay under the FAQ folder too.
            if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                let target = std::fs::canonicalize(&path).map_err(|e| Error::io(&path, e))?;
                let root = std::fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?;
                if !target.starts_with(&root) {
                    return Err(Error::Layout {
                        path,
                        message: "a symbolic link to outside the FAQ folder".into(),
                    });
                }
            }
            let lang: Lang = name.parse().map_err(|_| Error::Layout {
                path: path.clone(),
                message: format!("folder {name:?} is not a language (expected pt or es)"),
            })?;
            langs.push((lang, path));
        }
        langs.sort();
        for (lang, path) in langs {
            let mut names: Vec<_> = std::fs::read_dir(&path)
                .map_err(|e| Error::io(&path, e))?
                .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<std::io::Result<_>>()
                .map_err(|e| Error::io(&path, e))?;
            names.sort();
            for name in names {
                let kind = if name == "synonyms.toml" {
                    Kind::Synonyms
                } else if name == "off-topic.toml" {
                    Kind::OffTopic
                } else if name.ends_with(".alternates.toml") {
                    Kind::Alternates
                } else if name.ends_with(".md") && !name.eq_ignore_ascii_case("README.md") {
                    Kind::Page
                } else {
                    continue;
                };
                let file = path.join(&name);
                let text = read_source(dir, &file)?;
                // Editors on Windows may save a byte-order mark: it is not text.
                let text = match text.strip_prefix('\u{feff}') {
                    Some(rest) => rest.to_string(),
                    None => text,
                };
                files.push(Source {
                    lang,
                    kind,
                    name: format!("{}/{name}", lang.code()),
                    path: file,
                    text,
                });
            }
        }
        Ok(Sources {
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// A stable hash of the format version, the analyzer's word lists and every source
    /// file's name and bytes: an edited stop-word list rebuilds the index like an edited
    /// page does (two builds sharing an index folder never serve each other's terms).
    pub fn fingerprint(&self) -> String {
        let mut hash = Fnv::default();
        hash.write(&FORMAT_VERSION.to_le_bytes());
        hash.write(env!("CARGO_PKG_VERSION").as_bytes());
        for list in crate::locale::analysis_lists() {
            hash.write(&(list.len() as u64).to_le_bytes());
            hash.write(list.as_bytes());
        }
        for file in &self.files {
            for part in [file.name.as_bytes(), file.text.as_bytes()] {
                hash.write(&(part.len() as u64).to_le_bytes());
                hash.write(part);
            }
        }
        format!("{:016x}", hash.0)
    }

    /// Parses every file into entries.
    /// The file of `lang`'s page whose anchor is `page`, as the alternates files are
    /// named: `<stem>.alternates.toml` beside `<stem>.md`.
    pub(crate) fn page_stem(&self, lang: Lang, page: &str) -> Result<Option<String>> {
        for file in self
            .files
            .iter()
            .filter(|f| f.kind == Kind::Page && f.lang == lang)
        {
            if parse_page(file)?.anchor == page {
                let name = file.name.rsplit('/').next().unwrap_or(&file.name);
                return Ok(Some(name.trim_end_matches(".md").to_string()));
            }
        }
        Ok(None)
    }

    pub fn parse(&self) -> Result<Faq> {
        let mut langs: [Draft; 2] = Default::default();
        let mut page_ids: BTreeMap<(Lang, String), String> = BTreeMap::new();
        for file in self.files.iter().filter(|f| f.kind == Kind::Page) {
            let page = parse_page(file)?;
            let stem = file.name.trim_end_matches(".md").to_string();
            page_ids.insert((file.lang, stem), page.anchor.clone());
            let faq = &mut langs[file.lang.index()];
            for entry in page.entries {
                if faq.entries.iter().any(|e| e.id == entry.id) {
                    return Err(Error::format(
                        &file.path,
                        1,
                        format!("entry {} is defined by another page too", entry.id),
                    ));
                }
                faq.entries.push(entry);
            }
            faq.care = faq.care.take().or(page.care);
            faq.pages += 1;
        }
        for file in self.files.iter().filter(|f| f.kind == Kind::Alternates) {
            let stem = file.name.trim_end_matches(".alternates.toml").to_string();
            let Some(page) = page_ids.get(&(file.lang, stem)) else {
                return Err(Error::Layout {
                    path: file.path.clone(),
                    message: "alternates file has no page of the same name beside it".into(),
                });
            };
            add_alternates(file, page, &mut langs[file.lang.index()].entries)?;
        }
        for file in self.files.iter().filter(|f| f.kind == Kind::Synonyms) {
            langs[file.lang.index()].synonyms = parse_synonyms(file)?;
        }
        for file in self.files.iter().filter(|f| f.kind == Kind::OffTopic) {
            langs[file.lang.index()].off_topic = parse_off_topic(file)?;
        }
        let [pt, es] = langs;
        Ok(Faq {
            langs: [self.finish(Lang::Pt, pt)?, self.finish(Lang::Es, es)?],
        })
    }

    /// A language's draft, once every file is read: it needs entries and a Customer Care link.
    fn finish(&self, lang: Lang, draft: Draft) -> Result<LangFaq> {
        let layout = |message: &str| Error::Layout {
            path: self.dir.join(lang.code()),
            message: message.into(),
        };
        if draft.entries.is_empty() {
            return Err(layout("no FAQ page (*.md) for this language"));
        }
        let care = draft.care.ok_or_else(|| {
            layout("no page ends with a contact line holding a link (the Customer Care link)")
        })?;
        Ok(LangFaq {
            entries: draft.entries,
            care,
            synonyms: draft.synonyms,
            off_topic: draft.off_topic,
            pages: draft.pages,
        })
    }
}

/// FNV-1a, 64 bits: stable across Rust versions, unlike `DefaultHasher`.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

struct Page {
    anchor: String,
    entries: Vec<Entry>,
    care: Option<CareLink>,
}

fn parse_page(file: &Source) -> Result<Page> {
    let fail = |line: usize, message: String| Error::format(&file.path, line, message);
    let doc = markdown::parse(&file.text).map_err(|e| fail(e.line, e.message))?;
    let mut sections = doc.sections;

    // The page's closing line "for any other question, contact [Customer Care](url)" is its
    // last paragraph when that paragraph holds a link.
    let mut care = None;
    if let Some(last) = sections.last_mut() {
        let closing = last.blocks.last().and_then(|b| match &b.value {
            Block::Paragraph(inlines) => first_link(inlines).map(|link| (b.line, link)),
            _ => None,
        });
        if let Some((line, link)) = closing {
            // Every hand-off carries this link as a button: Telegram refuses anything but an
            // absolute web address, and a `javascript:` one must never reach a customer.
            let web = url::Url::parse(&link.url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !web {
                return Err(fail(
                    line,
                    format!(
                        "the Customer Care link {:?} is not an absolute http(s) address",
                        link.url
                    ),
                ));
            }
            last.blocks.pop();
            care = Some(link);
        }
    }

    let mut entries = Vec::new();
    for section in sections {
        if let Some(items) = faq_items(&section.blocks) {
            if let Some(extra) = section.blocks.get(1) {
                return Err(fail(
                    extra.line,
                    format!(
                        "text after the question list of section {{#{}}}: only the page's \
                         closing contact line may follow it",
                        section.anchor
                    ),
                ));
            }
            for (n, item) in items.iter().enumerate() {
                let (title, body) = item.split_first().unwrap_or_else(|| unreachable!());
                let Block::Paragraph(title) = title else {
                    unreachable!("faq_items checked the first block")
                };
                entries.push(Entry {
                    id: EntryId::new(&doc.anchor, &format!("{}-{}", section.anchor, n + 1)),
                    lang: file.lang,
                    title: markdown::plain(title),
                    body: body.to_vec(),
                    alternates: Vec::new(),
                });
            }
        } else {
            if section.blocks.is_empty() {
                return Err(fail(
                    section.line,
                    format!("section {{#{}}} has no text", section.anchor),
                ));
            }
            entries.push(Entry {
                id: EntryId::new(&doc.anchor, &section.anchor),
                lang: file.lang,
                title: section.title,
                body: section.blocks.into_iter().map(|b| b.value).collect(),
                alternates: Vec::new(),
            });
        }
    }
    if entries.is_empty() {
        return Err(fail(
            1,
            "the page has no `## Title {#anchor}` section".into(),
        ));
    }
    Ok(Page {
        anchor: doc.anchor,
        entries,
        care,
    })
}

/// The items of a FAQ list: a section opening with a list whose every item starts with a
/// bold-only paragraph (the question) followed by its answer.
fn faq_items(blocks: &[markdown::Located<Block>]) -> Option<&Vec<Vec<Block>>> {
    let Block::List { items, .. } = &blocks.first()?.value else {
        return None;
    };
    let is_question = |item: &Vec<Block>| {
        item.len() > 1
            && matches!(&item[0], Block::Paragraph(inlines)
                if inlines.iter().all(|i| match i {
                    Inline::Bold(_) => true,
                    Inline::Text(t) => t.trim().is_empty(),
                    Inline::Link { .. } => false,
                }) && inlines.iter().any(|i| matches!(i, Inline::Bold(_))))
    };
    items.iter().all(is_question).then_some(items)
}

fn first_link(inlines: &[Inline]) -> Option<CareLink> {
    inlines.iter().find_map(|inline| match inline {
        Inline::Link { text, url } => Some(CareLink {
            label: markdown::plain(text),
            url: url.clone(),
        }),
        Inline::Bold(inner) => first_link(inner),
        Inline::Text(_) => None,
    })
}

fn toml_error(file: &Source, err: &toml::de::Error) -> Error {
    let line = err
        .span()
        .map_or(1, |span| file.text[..span.start].matches('\n').count() + 1);
    Error::format(&file.path, line, err.message().to_string())
}

fn line_of(file: &Source, needle: &str) -> usize {
    file.text
        .lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}

fn add_alternates(file: &Source, page: &str, entries: &mut [Entry]) -> Result<()> {
    let map: BTreeMap<String, Vec<String>> =
        toml::from_str(&file.text).map_err(|e| toml_error(file, &e))?;
    for (key, phrasings) in map {
        let local = key.strip_prefix(&format!("{page}/")).unwrap_or(&key);
        let id = EntryId::new(page, local);
        let Some(entry) = entries.iter_mut().find(|e| e.id == id) else {
            return Err(Error::format(
                &file.path,
                line_of(file, &key),
                format!("no entry {id} on page {page}"),
            ));
        };
        let mut seen: HashSet<String> = entry.alternates.iter().cloned().collect();
        for phrasing in phrasings {
            let phrasing = phrasing.trim().to_string();
            if !phrasing.is_empty() && seen.insert(phrasing.clone()) {
                entry.alternates.push(phrasing);
            }
        }
    }
    Ok(())
}

fn parse_off_topic(file: &Source) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct OffTopic {
        phrasings: Vec<String>,
    }
    let parsed: OffTopic = toml::from_str(&file.text).map_err(|e| toml_error(file, &e))?;
    Ok(parsed
        .phrasings
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect())
}

fn parse_synonyms(file: &Source) -> Result<Vec<Vec<String>>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Synonyms {
        groups: Vec<Vec<String>>,
    }
    let parsed: Synonyms = toml::from_str(&file.text).map_err(|e| toml_error(file, &e))?;
    for group in &parsed.groups {
        if group.len() < 2 {
            let first = group.first().map_or("[]", String::as_str);
            return Err(Error::format(
                &file.path,
                line_of(file, first),
                "a synonym group needs at least two members",
            ));
        }
    }
    Ok(parsed.groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_faq() -> Faq {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        Sources::read(&dir).unwrap().parse().unwrap()
    }

    #[test]
    fn both_pages_give_the_same_ten_ids() {
        let faq = repo_faq();
        let want: Vec<String> = [
            "aws-changes",
            "aws-impact",
            "aws-timeline",
            "impact",
            "aws-faq-1",
            "aws-faq-2",
            "aws-faq-3",
            "aws-faq-4",
            "aws-faq-5",
            "aws-faq-6",
        ]
        .iter()
        .map(|l| format!("migrate-infra-to-aws/{l}"))
        .collect();
        for lang in Lang::ALL {
            let ids: Vec<&str> = faq
                .lang(lang)
                .entries
                .iter()
                .map(|e| e.id.as_str())
                .collect();
            assert_eq!(ids, want, "{lang}");
            let care = &faq.lang(lang).care;
            assert!(care.url.starts_with("https://"), "{lang}: {care:?}");
        }
        assert_eq!(
            faq.lang(Lang::Pt).care.label,
            "Atendimento ao cliente Adobe"
        );
        assert_eq!(
            faq.lang(Lang::Es).care.label,
            "Servicio de atención al cliente de Adobe"
        );
    }

    #[test]
    fn faq_items_keep_titles_and_structured_answers() {
        let faq = repo_faq();
        let es = faq.lang(Lang::Es);
        let mandatory = &es.entries[4];
        assert_eq!(mandatory.title, "¿Es obligatoria esta actualización?");
        assert!(
            mandatory
                .body_text()
                .starts_with("Sí. Como cliente de Campaign")
        );
        let tests = &es.entries[8];
        let Block::Paragraph(inlines) = &tests.body[0] else {
            panic!("answer is not a paragraph");
        };
        assert!(inlines.iter().any(|i| matches!(i, Inline::Link { .. })));
        let timeline = &faq.lang(Lang::Pt).entries[2];
        assert!(
            matches!(&timeline.body[0], Block::Paragraph(i) if i.iter().any(|i| matches!(i, Inline::Bold(_))))
        );
        // The closing contact line is not part of the last answer.
        let last = &faq.lang(Lang::Pt).entries[9];
        assert!(!last.body_text().contains("Para qualquer outra pergunta"));
    }

    #[test]
    fn fingerprint_follows_content() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let a = Sources::read(&dir).unwrap();
        let mut b = a.clone();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.files[0].text.push(' ');
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
