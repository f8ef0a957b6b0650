//! The FAQ's phrasings as sentence embeddings: computed when the index is built, stored in
//! its generation, and cached beside the model so that a rebuild embeds only new text.
//!
//! Every entry's phrasings (its title and each alternate) are embedded as questions, its
//! answer's lines as passages, and each off-topic phrasing as a question. The order is a
//! function of the parsed FAQ ([`texts`]), so the stored file is a plain array of
//! vectors with the model's checksum in front.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::faq::{EntryId, Faq};
use crate::lang::Lang;
use crate::semantic::{Embedding, Encoder, Prefix};

const MAGIC: &[u8; 4] = b"FQV2";
const CACHE_MAGIC: &[u8; 4] = b"FQC1";
/// The stored vectors' file in a generation.
pub(crate) const FILE: &str = "vectors.bin";

/// One entry's embedded phrasings.
#[derive(Clone, Debug, Default)]
pub struct EntryVectors {
    /// The title, then each alternate.
    pub questions: Vec<Embedding>,
    /// The answer, line by line.
    pub passages: Vec<Embedding>,
}

/// One language's embedded phrasings, in page order.
#[derive(Clone, Debug, Default)]
pub struct LangVectors {
    pub entries: Vec<EntryVectors>,
    pub off_topic: Vec<Embedding>,
}

/// The FAQ's embeddings under one model.
#[derive(Clone, Debug)]
pub struct Vectors {
    /// The model's sha256.
    pub model: String,
    pub langs: [LangVectors; 2],
    pub classifier: Classifier,
}

/// The entries as classes, in a fixed order: the ids of every language's entries, first
/// seen first, then "none" (the off-topic phrasings).
pub fn classes(faq: &Faq) -> Vec<EntryId> {
    let mut out: Vec<EntryId> = Vec::new();
    for lang in Lang::ALL {
        for entry in &faq.lang(lang).entries {
            if !out.contains(&entry.id) {
                out.push(entry.id.clone());
            }
        }
    }
    out
}

/// A softmax regression from a question's embedding to the entry it asks for, or to
/// "none" (the last class), trained on the FAQ's own phrasings in both languages when the
/// index is built. Where the nearest phrasing looks at one example, this weighs them all:
/// a question between two entries' phrasings goes to the entry whose phrasings, together,
/// it resembles.
#[derive(Clone, Debug, Default)]
pub struct Classifier {
    /// The phrasings' mean: e5 vectors share a large common part that says nothing.
    mean: Vec<f32>,
    /// `classes × dim`, then one bias per class.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

use crate::tuning::{CLASSIFIER_RATE, CLASSIFIER_SCALE, CLASSIFIER_STEPS, L2 as CLASSIFIER_L2};

impl Classifier {
    fn train(examples: &[(&Embedding, usize)], classes: usize) -> Classifier {
        let Some(dim) = examples.first().map(|(v, _)| v.as_slice().len()) else {
            return Classifier::default();
        };
        let n = examples.len() as f32;
        let mut mean = vec![0.0f32; dim];
        for (v, _) in examples {
            for (m, x) in mean.iter_mut().zip(v.as_slice()) {
                *m += x / n;
            }
        }
        let xs: Vec<Vec<f32>> = examples
            .iter()
            .map(|(v, _)| {
                v.as_slice()
                    .iter()
                    .zip(&mean)
                    .map(|(x, m)| (x - m) * CLASSIFIER_SCALE)
                    .collect()
            })
            .collect();
        let mut c = Classifier {
            mean,
            weights: vec![0.0; classes * dim],
            bias: vec![0.0; classes],
        };
        let mut grad_w = vec![0.0f32; classes * dim];
        let mut grad_b = vec![0.0f32; classes];
        for _ in 0..CLASSIFIER_STEPS {
            grad_w.iter_mut().for_each(|g| *g = 0.0);
            grad_b.iter_mut().for_each(|g| *g = 0.0);
            for (x, &(_, label)) in xs.iter().zip(examples) {
                let p = c.softmax_scaled(x);
                for k in 0..classes {
                    let err = (p[k] - f32::from(u8::from(k == label))) / n;
                    grad_b[k] += err;
                    for (g, xi) in grad_w[k * dim..(k + 1) * dim].iter_mut().zip(x) {
                        *g += err * xi;
                    }
                }
            }
            for (w, g) in c.weights.iter_mut().zip(&grad_w) {
                *w -= CLASSIFIER_RATE * (g + CLASSIFIER_L2 * *w);
            }
            for (b, g) in c.bias.iter_mut().zip(&grad_b) {
                *b -= CLASSIFIER_RATE * g;
            }
        }
        c
    }

    fn softmax_scaled(&self, x: &[f32]) -> Vec<f32> {
        let dim = x.len();
        let mut logits: Vec<f32> = self
            .bias
            .iter()
            .enumerate()
            .map(|(k, b)| {
                b + self.weights[k * dim..(k + 1) * dim]
                    .iter()
                    .zip(x)
                    .map(|(w, x)| w * x)
                    .sum::<f32>()
            })
            .collect();
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for l in &mut logits {
            *l = (*l - max).exp();
            sum += *l;
        }
        logits.iter_mut().for_each(|l| *l /= sum);
        logits
    }

    /// The probability of each class (the entries of [`classes`], then "none"); empty when
    /// there was nothing to train on.
    pub fn probabilities(&self, q: &Embedding) -> Vec<f32> {
        if self.bias.is_empty() || q.as_slice().len() != self.mean.len() {
            return Vec::new();
        }
        let x: Vec<f32> = q
            .as_slice()
            .iter()
            .zip(&self.mean)
            .map(|(x, m)| (x - m) * CLASSIFIER_SCALE)
            .collect();
        self.softmax_scaled(&x)
    }

    /// `q` less the phrasings' mean, normalized: the part of a vector that tells questions
    /// of this domain apart. `q` itself before training.
    pub fn centred(&self, q: &Embedding) -> Embedding {
        if q.as_slice().len() != self.mean.len() {
            return q.clone();
        }
        let x: Vec<f32> = q
            .as_slice()
            .iter()
            .zip(&self.mean)
            .map(|(x, m)| x - m)
            .collect();
        let norm = x.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            Embedding::from_normalized(x.iter().map(|x| x / norm).collect())
        } else {
            q.clone()
        }
    }

    fn examples<'v>(faq: &Faq, langs: &'v [LangVectors; 2]) -> Vec<(&'v Embedding, usize)> {
        let classes = classes(faq);
        let none = classes.len();
        let mut out = Vec::new();
        for lang in Lang::ALL {
            let vectors = &langs[lang.index()];
            for (entry, v) in faq.lang(lang).entries.iter().zip(&vectors.entries) {
                let class = classes.iter().position(|c| *c == entry.id).unwrap_or(none);
                out.extend(v.questions.iter().map(|q| (q, class)));
            }
            out.extend(vectors.off_topic.iter().map(|q| (q, none)));
        }
        out
    }
}

/// What to embed, in storage order.
fn texts(faq: &Faq) -> Vec<(Prefix, String)> {
    let mut out = Vec::new();
    for lang in Lang::ALL {
        let faq = faq.lang(lang);
        for entry in &faq.entries {
            for q in std::iter::once(&entry.title).chain(&entry.alternates) {
                out.push((Prefix::Query, q.clone()));
            }
            for line in passages(&entry.body_text()) {
                out.push((Prefix::Passage, line));
            }
        }
        for q in &faq.off_topic {
            out.push((Prefix::Query, q.clone()));
        }
    }
    out
}

fn passages(body: &str) -> Vec<String> {
    body.lines()
        .map(str::trim)
        .filter(|l| l.chars().any(char::is_alphanumeric))
        .map(str::to_string)
        .collect()
}

/// Lays a flat array of vectors out in the FAQ's shape; the classifier is trained after.
fn shape(faq: &Faq, model: String, flat: Vec<Embedding>) -> Vectors {
    let mut flat = flat.into_iter();
    let mut take = |n: usize| -> Vec<Embedding> { flat.by_ref().take(n).collect() };
    let langs = Lang::ALL.map(|lang| {
        let faq = faq.lang(lang);
        let entries = faq
            .entries
            .iter()
            .map(|entry| EntryVectors {
                questions: take(1 + entry.alternates.len()),
                passages: take(passages(&entry.body_text()).len()),
            })
            .collect();
        LangVectors {
            entries,
            off_topic: take(faq.off_topic.len()),
        }
    });
    Vectors {
        model,
        langs,
        classifier: Classifier::default(),
    }
}

/// Embeds the FAQ, taking what it can from the cache beside the model.
pub(crate) fn compute(faq: &Faq, encoder: &Encoder) -> Vectors {
    let mut cache = Cache::load(encoder);
    let texts = texts(faq);
    let started = std::time::Instant::now();
    let mut fresh = 0;
    let flat: Vec<Embedding> = texts
        .into_iter()
        .map(|(prefix, text)| {
            let key = (prefix, text);
            if let Some(v) = cache.vectors.get(&key) {
                return v.clone();
            }
            fresh += 1;
            let v = encoder.embed(&key.1, prefix);
            cache.vectors.insert(key, v.clone());
            v
        })
        .collect();
    tracing::info!(
        embedded = fresh,
        cached = flat.len() - fresh,
        ms = started.elapsed().as_millis() as u64,
        "FAQ phrasings embedded"
    );
    if fresh > 0 {
        cache.save();
    }
    let mut vectors = shape(faq, encoder.identity().to_string(), flat);
    let started = std::time::Instant::now();
    let examples = Classifier::examples(faq, &vectors.langs);
    vectors.classifier = Classifier::train(&examples, classes_of(faq));
    tracing::info!(
        examples = examples.len(),
        ms = started.elapsed().as_millis() as u64,
        "entry classifier trained"
    );
    vectors
}

/// Embeds questions (up to [`SEMANTIC_MAX_PIECES`] pieces each) through the cache beside the
/// model, on every core: a re-run over a grown log embeds only its new lines.
pub(crate) fn embed_cached(encoder: &Encoder, texts: &[&str]) -> Vec<Embedding> {
    use crate::tuning::SEMANTIC_MAX_PIECES;
    let mut cache = Cache::load(encoder);
    let missing: Vec<&str> = {
        let mut seen = std::collections::HashSet::new();
        texts
            .iter()
            .copied()
            .filter(|t| !cache.vectors.contains_key(&(Prefix::Query, t.to_string())))
            .filter(|t| seen.insert(*t))
            .collect()
    };
    let started = std::time::Instant::now();
    if !missing.is_empty() {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = missing.len().div_ceil(threads);
        let fresh: Vec<(String, Embedding)> = std::thread::scope(|scope| {
            let workers: Vec<_> = missing
                .chunks(chunk)
                .map(|texts| {
                    scope.spawn(move || {
                        texts
                            .iter()
                            .map(|t| {
                                let v = encoder.embed_within(t, Prefix::Query, SEMANTIC_MAX_PIECES);
                                (t.to_string(), v)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_default())
                .collect()
        });
        for (text, v) in fresh {
            cache.vectors.insert((Prefix::Query, text), v);
        }
        cache.save();
    }
    tracing::info!(
        embedded = missing.len(),
        cached = texts.len() - missing.len(),
        ms = started.elapsed().as_millis() as u64,
        "questions embedded"
    );
    texts
        .iter()
        .map(|t| {
            cache
                .vectors
                .get(&(Prefix::Query, t.to_string()))
                .cloned()
                // Only a worker that panicked leaves one out: embed it here.
                .unwrap_or_else(|| encoder.embed_within(t, Prefix::Query, SEMANTIC_MAX_PIECES))
        })
        .collect()
}

fn write_vectors(out: &mut Vec<u8>, v: &Embedding) {
    for x in v.as_slice() {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

fn read_vector(bytes: &[u8]) -> Embedding {
    Embedding::from_normalized(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// The classifier's class count: the entries and "none".
fn classes_of(faq: &Faq) -> usize {
    classes(faq).len() + 1
}

impl Vectors {
    fn flat(&self) -> impl Iterator<Item = &Embedding> {
        self.langs.iter().flat_map(|l| {
            l.entries
                .iter()
                .flat_map(|e| e.questions.iter().chain(&e.passages))
                .chain(&l.off_topic)
        })
    }

    /// Writes the vectors into a generation folder.
    pub(crate) fn write(&self, dir: &Path) -> Result<()> {
        let dim = self.flat().next().map_or(0, |v| v.as_slice().len());
        let count = self.flat().count();
        let mut out = Vec::with_capacity(80 + count * dim * 4);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(format!("{:<64}", self.model).as_bytes());
        out.extend_from_slice(&(dim as u32).to_le_bytes());
        out.extend_from_slice(&(count as u32).to_le_bytes());
        for v in self.flat() {
            write_vectors(&mut out, v);
        }
        let c = &self.classifier;
        out.extend_from_slice(&(c.bias.len() as u32).to_le_bytes());
        for x in c.mean.iter().chain(&c.weights).chain(&c.bias) {
            out.extend_from_slice(&x.to_le_bytes());
        }
        let path = dir.join(FILE);
        std::fs::write(&path, out).map_err(|e| Error::io(&path, e))
    }

    /// Reads the vectors of a generation built from `faq`; `None` when the file is
    /// missing, was made by another model or does not fit the FAQ.
    pub(crate) fn read(dir: &Path, faq: &Faq, model: &str) -> Option<Vectors> {
        let bytes = std::fs::read(dir.join(FILE)).ok()?;
        let header = 4 + 64 + 8;
        if bytes.len() < header || &bytes[..4] != MAGIC {
            return None;
        }
        let stored = std::str::from_utf8(&bytes[4..68]).ok()?.trim_end();
        if stored != model {
            return None;
        }
        let dim = u32::from_le_bytes(bytes[68..72].try_into().ok()?) as usize;
        let count = u32::from_le_bytes(bytes[72..76].try_into().ok()?) as usize;
        let vectors_end = header + count * dim * 4;
        if dim == 0 || count != texts(faq).len() || bytes.len() < vectors_end + 4 {
            return None;
        }
        let flat = bytes[header..vectors_end]
            .chunks_exact(dim * 4)
            .map(read_vector)
            .collect();
        let mut vectors = shape(faq, model.to_string(), flat);
        let classes = u32::from_le_bytes(bytes[vectors_end..vectors_end + 4].try_into().ok()?);
        let classes = classes as usize;
        let floats = |bytes: &[u8]| -> Vec<f32> {
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        };
        let rest = floats(&bytes[vectors_end + 4..]);
        if classes != classes_of(faq) || rest.len() != dim + classes * dim + classes {
            return None;
        }
        vectors.classifier = Classifier {
            mean: rest[..dim].to_vec(),
            weights: rest[dim..dim + classes * dim].to_vec(),
            bias: rest[dim + classes * dim..].to_vec(),
        };
        Some(vectors)
    }
}

/// Embeddings by role and text, for one model, in a file beside it.
struct Cache {
    path: PathBuf,
    model: String,
    vectors: HashMap<(Prefix, String), Embedding>,
}

impl Cache {
    fn path(encoder: &Encoder) -> PathBuf {
        let mut name = encoder.path().as_os_str().to_owned();
        name.push(".cache");
        PathBuf::from(name)
    }

    /// The cache file's vectors when it was written for this model; empty otherwise.
    fn load(encoder: &Encoder) -> Cache {
        let path = Cache::path(encoder);
        let model = encoder.identity().to_string();
        let vectors = std::fs::read(&path)
            .ok()
            .and_then(|bytes| Cache::parse(&bytes, &model, encoder.dim()))
            .unwrap_or_default();
        Cache {
            path,
            model,
            vectors,
        }
    }

    fn parse(
        bytes: &[u8],
        model: &str,
        dim: usize,
    ) -> Option<HashMap<(Prefix, String), Embedding>> {
        if bytes.len() < 68 || &bytes[..4] != CACHE_MAGIC || bytes[4..68] != *model.as_bytes() {
            return None;
        }
        let mut out = HashMap::new();
        let mut at = 68;
        while at < bytes.len() {
            let prefix = match bytes.get(at)? {
                0 => Prefix::Query,
                _ => Prefix::Passage,
            };
            let len = u32::from_le_bytes(bytes.get(at + 1..at + 5)?.try_into().ok()?) as usize;
            let text = std::str::from_utf8(bytes.get(at + 5..at + 5 + len)?).ok()?;
            at += 5 + len;
            let vector = read_vector(bytes.get(at..at + dim * 4)?);
            at += dim * 4;
            out.insert((prefix, text.to_string()), vector);
        }
        Some(out)
    }

    /// Writes the cache through a temporary file and a rename: concurrent builders each
    /// leave a whole file, the last one's.
    fn save(&self) {
        let mut out = Vec::new();
        out.extend_from_slice(CACHE_MAGIC);
        out.extend_from_slice(self.model.as_bytes());
        for ((prefix, text), v) in &self.vectors {
            out.push(u8::from(*prefix == Prefix::Passage));
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
            write_vectors(&mut out, v);
        }
        let Some(dir) = self.path.parent() else {
            return;
        };
        let result = tempfile::NamedTempFile::new_in(dir).and_then(|mut tmp| {
            tmp.write_all(&out)?;
            tmp.persist(&self.path).map_err(|e| e.error)?;
            Ok(())
        });
        if let Err(error) = result {
            // Only speed is lost: the next build embeds again.
            tracing::warn!(path = %self.path.display(), %error, "could not write the embedding cache");
        }
    }
}
