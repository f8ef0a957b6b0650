//! The on-disk tantivy index: build, and open-or-rebuild with an atomic swap. The schema,
//! the queries and the collector are in [`search`].
//!
//! `index/CURRENT` names the live generation folder `gen-<fingerprint>-<nonce>`, whose
//! `faqbot.json` records the fingerprint of the FAQ sources it was built from. A rebuild
//! writes a whole new generation in `.build-…`, renames it, then replaces `CURRENT` by
//! renaming a temporary file over it: readers see the old index or the new one, never a
//! half-built one, and a failed build leaves the last good generation in place.
//!
//! A generation is read whole into memory and its checksums verified when it is opened, and
//! a new one is opened that way before it becomes current: a damaged generation is rebuilt,
//! never served, and a read-only index folder serves without lock files. When the sources
//! cannot be read or parsed (an edit in progress, a broken page), the last good generation
//! keeps serving and [`Store::stale`] says why.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tantivy::schema::Value;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

use crate::analysis;
use crate::embed::{self, Vectors};
use crate::error::{Error, Result};
use crate::faq::{Entry, Faq, LangFaq, Sources};
use crate::lang::Lang;
use crate::semantic::Encoder;
use crate::tuning::{RETIRED_GENERATION, RETIRED_KEPT, STALE_BUILD};

mod search;

pub use search::EntryScores;
use search::{DocRef, Fields, Part, schema};

const CURRENT: &str = "CURRENT";
const META: &str = "faqbot.json";

/// What a generation records beside the tantivy files.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    fingerprint: String,
    /// The FAQ folder it was built from (canonical): the last good index of one folder is
    /// never served for another.
    #[serde(default)]
    faq_dir: Option<PathBuf>,
    /// Everything of the FAQ but the entries, which live in the index documents.
    langs: Vec<LangFaq>,
}

/// The fingerprint of a generation: the sources, and the model its vectors come from.
fn fingerprint(sources: &Sources, encoder: Option<&Encoder>) -> String {
    match encoder {
        Some(encoder) => format!("{}-{}", sources.fingerprint(), &encoder.identity()[..16]),
        None => sources.fingerprint(),
    }
}

/// An open index with the FAQ it was built from.
pub struct Store {
    pub(crate) faq: Faq,
    reader: IndexReader,
    fields: Fields,
    /// Which entry each document belongs to, and which part of it.
    docs: HashMap<DocAddress, DocRef>,
    /// The phrasings' embeddings, when built with a sentence encoder.
    pub(crate) vectors: Option<Vectors>,
    path: PathBuf,
    stale: Option<Error>,
}

impl Store {
    /// Opens the index in `index_dir` if it was built from the current `faq_dir` (and with
    /// `encoder`'s model), otherwise rebuilds it first. When the sources cannot be read or
    /// parsed, the last good generation is served, with the reason in [`Store::stale`] and
    /// a warning; only when there is none is that an error.
    pub fn open(faq_dir: &Path, index_dir: &Path, encoder: Option<&Encoder>) -> Result<Store> {
        let built = Sources::read(faq_dir).and_then(|sources| {
            let fingerprint = fingerprint(&sources, encoder);
            match open_current(index_dir, Some(&fingerprint), None, encoder) {
                Ok(store) => return Ok(store),
                Err(reason) => {
                    tracing::info!(index = %index_dir.display(), %reason, "rebuilding index")
                }
            }
            build(&sources, index_dir, encoder)
        });
        match built {
            Ok(store) => Ok(store),
            Err(error @ (Error::Format { .. } | Error::Layout { .. } | Error::Io { .. })) => {
                let same_folder = std::fs::canonicalize(faq_dir).ok();
                match open_current(index_dir, None, same_folder.as_deref(), encoder) {
                    Ok(mut store) => {
                        // Front ends say it loudly, each in its medium.
                        tracing::info!(
                            error = %crate::error::chain(&error),
                            generation = %store.path.display(),
                            "cannot build from the FAQ sources: serving the last good index"
                        );
                        store.stale = Some(error);
                        Ok(store)
                    }
                    Err(_) => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// Rebuilds the index from `faq_dir`, whatever state it is in.
    pub fn rebuild(faq_dir: &Path, index_dir: &Path, encoder: Option<&Encoder>) -> Result<Store> {
        build(&Sources::read(faq_dir)?, index_dir, encoder)
    }

    /// The FAQ the index was built from.
    pub fn faq(&self) -> &Faq {
        &self.faq
    }

    /// The generation folder in use.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn take_stale(&mut self) -> Option<Error> {
        self.stale.take()
    }

    /// Why this is the last good index rather than one of the current sources.
    pub fn stale(&self) -> Option<&Error> {
        self.stale.as_ref()
    }
}

/// Opens the live generation, if it was built from `fingerprint` when one is given; the
/// error says why it cannot be used.
fn open_current(
    index_dir: &Path,
    fingerprint: Option<&str>,
    faq_dir: Option<&Path>,
    encoder: Option<&Encoder>,
) -> std::result::Result<Store, String> {
    let current = std::fs::read_to_string(index_dir.join(CURRENT))
        .map_err(|e| format!("no {CURRENT}: {e}"))?;
    let name = current.trim();
    if !name.starts_with("gen-") || name.contains(['/', '\\']) {
        return Err(format!("{CURRENT} names {name:?}, not a generation"));
    }
    let path = index_dir.join(name);
    let meta: Meta = std::fs::read(path.join(META))
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
        .map_err(|e| format!("{META}: {e}"))?;
    if fingerprint.is_some_and(|f| f != meta.fingerprint) {
        return Err("FAQ sources changed".into());
    }
    if fingerprint.is_none() && (faq_dir.is_none() || meta.faq_dir.as_deref() != faq_dir) {
        return Err("built from another FAQ folder".into());
    }
    let mut store = load(path, meta).map_err(|e| format!("unreadable: {e}"))?;
    if let Some(encoder) = encoder {
        match Vectors::read(&store.path, &store.faq, encoder.identity()) {
            Some(vectors) => store.vectors = Some(vectors),
            // The last good index of another model still answers, by words.
            None if fingerprint.is_none() => {}
            None => return Err(format!("{} missing or damaged", embed::FILE)),
        }
    }
    Ok(store)
}

/// Reads a generation's tantivy files into memory and verifies their checksums. Memory,
/// because the files are small (tens of kilobytes), it needs no lock file (so a read-only
/// folder serves), and a file replaced on disk later cannot change what is served.
fn open_verified(path: &Path) -> tantivy::Result<Index> {
    use tantivy::directory::{Directory, RamDirectory};
    let ram = RamDirectory::create();
    let io =
        |e: std::io::Error| tantivy::TantivyError::SystemError(format!("{}: {e}", path.display()));
    for file in std::fs::read_dir(path).map_err(io)? {
        let file = file.map_err(io)?;
        let name = file.file_name();
        let name = name.to_string_lossy();
        let ours = name == META || name == embed::FILE;
        if ours || name.ends_with(".lock") || !file.file_type().map_err(io)?.is_file() {
            continue;
        }
        let bytes = std::fs::read(file.path()).map_err(io)?;
        ram.atomic_write(Path::new(name.as_ref()), &bytes)
            .map_err(io)?;
    }
    let index = Index::open(ram)?;
    let damaged = index.validate_checksum()?;
    if !damaged.is_empty() {
        let mut names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
        names.sort();
        return Err(tantivy::TantivyError::SystemError(format!(
            "checksum mismatch in {}",
            names.join(", ")
        )));
    }
    Ok(index)
}

/// Opens a generation folder and reads the entries back from its documents.
fn load(path: PathBuf, meta: Meta) -> tantivy::Result<Store> {
    let index = open_verified(&path)?;
    let (schema, fields) = schema();
    if index.schema() != schema {
        return Err(tantivy::TantivyError::SchemaError(
            "schema differs from this version's".into(),
        ));
    }
    analysis::register(index.tokenizers());
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    let mut langs: Vec<LangFaq> = meta.langs;
    if langs.len() != Lang::ALL.len() {
        return Err(tantivy::TantivyError::SchemaError(
            "meta lists no languages".into(),
        ));
    }
    let searcher = reader.searcher();
    let schema_error = |m: &str| tantivy::TantivyError::SchemaError(m.to_string());
    let mut entries: Vec<(DocAddress, Entry)> = Vec::new();
    let mut questions: Vec<(DocAddress, Lang, String)> = Vec::new();
    for (segment, segment_reader) in searcher.segment_readers().iter().enumerate() {
        let store = segment_reader.get_store_reader(1)?;
        for doc_id in segment_reader.doc_ids_alive() {
            let doc: TantivyDocument = store.get(doc_id)?;
            let address = DocAddress::new(segment as u32, doc_id);
            let text = |field| doc.get_first(field).and_then(|v| v.as_str());
            match text(fields.entry) {
                Some(json) => {
                    let entry: Entry = serde_json::from_str(json)
                        .map_err(|e| tantivy::TantivyError::SchemaError(e.to_string()))?;
                    entries.push((address, entry));
                }
                None => {
                    let lang = text(fields.lang)
                        .and_then(|l| l.parse::<Lang>().ok())
                        .ok_or_else(|| schema_error("question document without language"))?;
                    let id = text(fields.id).ok_or_else(|| schema_error("document without id"))?;
                    questions.push((address, lang, id.to_string()));
                }
            }
        }
    }
    // Page order is insertion order: one segment, documents in the order written.
    entries.sort_by_key(|(address, _)| (address.segment_ord, address.doc_id));
    let mut docs = HashMap::new();
    let mut by_id: HashMap<(Lang, String), usize> = HashMap::new();
    for (address, entry) in entries {
        let list = &mut langs[entry.lang.index()].entries;
        docs.insert(
            address,
            DocRef {
                lang: entry.lang,
                entry: list.len(),
                part: Part::Answer,
            },
        );
        by_id.insert((entry.lang, entry.id.to_string()), list.len());
        list.push(entry);
    }
    for (address, lang, id) in questions {
        let i = by_id
            .get(&(lang, id))
            .ok_or_else(|| schema_error("question document of no entry"))?;
        docs.insert(
            address,
            DocRef {
                lang,
                entry: *i,
                part: Part::Question,
            },
        );
    }
    let langs: [LangFaq; 2] = langs
        .try_into()
        .map_err(|_| tantivy::TantivyError::SchemaError("meta lists no languages".into()))?;
    Ok(Store {
        faq: Faq::from_langs(langs),
        reader,
        fields,
        docs,
        vectors: None,
        path,
        stale: None,
    })
}

fn nonce() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// Parses the sources and builds a new generation, then makes it current.
fn build(sources: &Sources, index_dir: &Path, encoder: Option<&Encoder>) -> Result<Store> {
    let faq = sources.parse()?;
    std::fs::create_dir_all(index_dir).map_err(|e| Error::io(index_dir, e))?;
    let fingerprint = fingerprint(sources, encoder);
    let building = index_dir.join(format!(".build-{}", nonce()));
    let vectors = encoder.map(|encoder| embed::compute(&faq, encoder));
    let result =
        write_generation(&faq, &fingerprint, &sources.dir, &building).and_then(
            |()| match &vectors {
                Some(vectors) => vectors.write(&building),
                None => Ok(()),
            },
        );
    // Opened as a reader will open it before it becomes current: a generation that cannot
    // be loaded must never be swapped in.
    let result = result.and_then(|()| {
        load(building.clone(), read_meta(&building)?).map_err(|source| Error::Index {
            path: building.clone(),
            source,
        })
    });
    let generation = format!("gen-{fingerprint}-{}", nonce());
    let live = index_dir.join(&generation);
    let result = result.and_then(|mut store| {
        std::fs::rename(&building, &live).map_err(|e| Error::io(&live, e))?;
        let tmp = index_dir.join(format!(".{CURRENT}-{}", nonce()));
        std::fs::write(&tmp, format!("{generation}\n")).map_err(|e| Error::io(&tmp, e))?;
        // A `CURRENT` that is a folder (a bad copy, a hand edit) is damage like any
        // other: replaced, not a reason to fail (a rename cannot replace a folder).
        let current = index_dir.join(CURRENT);
        if std::fs::symlink_metadata(&current).is_ok_and(|m| m.is_dir()) {
            std::fs::remove_dir_all(&current).map_err(|e| Error::io(&current, e))?;
        }
        std::fs::rename(&tmp, &current).map_err(|e| Error::io(&tmp, e))?;
        store.path = live.clone();
        Ok(store)
    });
    let mut store = match result {
        Ok(store) => store,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&building);
            return Err(err);
        }
    };
    remove_old_generations(index_dir, &generation);
    store.vectors = vectors;
    let total: usize = Lang::ALL.iter().map(|l| faq.lang(*l).entries.len()).sum();
    tracing::info!(generation = %generation, entries = total, "index built");
    Ok(store)
}

fn read_meta(path: &Path) -> Result<Meta> {
    let file = path.join(META);
    let bytes = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
    serde_json::from_slice(&bytes).map_err(|source| Error::Metadata { path: file, source })
}

fn write_generation(faq: &Faq, fingerprint: &str, faq_dir: &Path, dir: &Path) -> Result<()> {
    let index_error = |source| Error::Index {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let (schema, fields) = schema();
    let index = Index::create_in_dir(dir, schema).map_err(index_error)?;
    analysis::register(index.tokenizers());
    // One thread and the smallest arena tantivy accepts: twenty short documents.
    let mut writer: IndexWriter = index
        .writer_with_num_threads(1, 15_000_000)
        .map_err(index_error)?;
    for lang in Lang::ALL {
        for entry in &faq.lang(lang).entries {
            let l = lang.index();
            let mut doc = TantivyDocument::default();
            doc.add_text(fields.id, entry.id.as_str());
            doc.add_text(fields.lang, lang.code());
            let json = serde_json::to_string(entry).map_err(|e| Error::io(dir, e.into()))?;
            doc.add_text(fields.entry, &json);
            doc.add_text(fields.body[l], entry.body_text());
            writer.add_document(doc).map_err(index_error)?;
            for phrasing in std::iter::once(&entry.title).chain(&entry.alternates) {
                let mut doc = TantivyDocument::default();
                doc.add_text(fields.id, entry.id.as_str());
                doc.add_text(fields.lang, lang.code());
                doc.add_text(fields.question[l], phrasing);
                writer.add_document(doc).map_err(index_error)?;
            }
        }
    }
    writer.commit().map_err(index_error)?;
    writer.wait_merging_threads().map_err(index_error)?;
    let meta = Meta {
        fingerprint: fingerprint.to_string(),
        faq_dir: std::fs::canonicalize(faq_dir).ok(),
        langs: Lang::ALL
            .iter()
            .map(|&lang| LangFaq {
                entries: Vec::new(),
                ..faq.lang(lang).clone()
            })
            .collect(),
    };
    let file = dir.join(META);
    let json = serde_json::to_vec_pretty(&meta).map_err(|source| Error::Metadata {
        path: file.clone(),
        source,
    })?;
    std::fs::write(&file, json).map_err(|e| Error::io(&file, e))
}

/// Deletes old generations other than `keep`, and build folders left by crashed builds.
/// Open readers hold their generation in memory, so deleting under them is safe; a
/// generation another process is still building or opening is young, and kept, but never
/// more than [`RETIRED_KEPT`] of them.
fn remove_old_generations(index_dir: &Path, keep: &str) {
    let Ok(entries) = std::fs::read_dir(index_dir) else {
        return;
    };
    let mut retired: Vec<(Duration, PathBuf)> = Vec::new();
    let mut stale_builds: Vec<PathBuf> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let age = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .unwrap_or_default();
        if name.starts_with("gen-") && name != keep {
            retired.push((age, entry.path()));
        } else if name.starts_with(".build-") && age > STALE_BUILD {
            stale_builds.push(entry.path());
        }
    }
    retired.sort();
    let too_many = retired
        .iter()
        .enumerate()
        .filter(|(rank, (age, _))| *rank >= RETIRED_KEPT || *age > RETIRED_GENERATION)
        .map(|(_, (_, path))| path.clone());
    for path in too_many.chain(stale_builds) {
        if let Err(error) = std::fs::remove_dir_all(&path) {
            tracing::warn!(folder = %path.display(), %error, "could not remove an old index generation");
        }
    }
}
