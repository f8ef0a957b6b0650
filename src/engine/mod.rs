//! The answer engine: question in, [`Reply`] out.
//!
//! 1. Detect the language (or take the caller's).
//! 2. Analyze the question into *concepts*: each analyzed term, corrected to a known term
//!    when it is one typo away, and widened by the synonym groups it belongs to.
//! 3. Rank entries with BM25 over title, body and alternates in the question's language,
//!    plus, at a lower weight, the same ids on the other language's page.
//! 4. Turn match signals into a calibrated confidence ([`crate::confidence`]) per entry,
//!    order the entries by it, and answer only above the threshold; otherwise, or when the
//!    question is nearer a known off-topic question than the first entry, hand off to
//!    Customer Care.
//!
//! One file per step: `spelling` corrects typos, `lexical` builds the concepts and asks
//! the index for BM25 and phrasing overlap, `semantic` embeds the question and compares
//! it with the phrasings' vectors, and `decide` turns a ranking into a reply. This file
//! holds the engine's tables, the ranking that combines the signals, and the public API.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use tantivy::tokenizer::TextAnalyzer;

use crate::analysis;
use crate::confidence::{Features, Model};
use crate::detect::Detector;
use crate::embed::Vectors;
use crate::error::{Error, Result};
use crate::faq::{CareLink, Entry, EntryId};
use crate::index::Store;
use crate::lang::{Detected, Lang};
use crate::reply::Reply;
use crate::semantic::{Embedding, Encoder};
use crate::smalltalk;

mod decide;
mod lexical;
mod semantic;
mod spelling;

use semantic::Semantic;

use crate::tuning::{
    self, BODY_WEIGHT, CORRECTION_WEIGHT, CROSS_WEIGHT, MAX_TERMS, RANK_BM25, SYNONYM_WEIGHT,
};
/// Characters of a question the engine reads, as Telegram caps a message: the rest of a
/// longer text is ignored, so no input costs more than a message does.
pub const MAX_QUESTION_CHARS: usize = 4_096;

/// The first [`MAX_QUESTION_CHARS`] characters of `question`.
pub fn within_limit(question: &str) -> &str {
    match question.char_indices().nth(MAX_QUESTION_CHARS) {
        Some((end, _)) => &question[..end],
        None => question,
    }
}

/// Which matcher ranked a question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matcher {
    /// Words only: no sentence encoder was available.
    Lexical,
    /// Words and sentence embeddings.
    Semantic,
}

impl Matcher {
    pub fn as_str(self) -> &'static str {
        match self {
            Matcher::Lexical => "lexical",
            Matcher::Semantic => "semantic",
        }
    }
}

/// Tunable behaviour of the engine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Answer only at or above this confidence; below it, offer choices or escalate.
    pub threshold: f32,
    /// Below the answer threshold, offer the best entries as choices when the first is at
    /// least this likely; below it, hand off.
    pub clarify: f32,
    /// Below this confidence an answer comes with "did you mean" alternatives.
    pub suggest_below: f32,
    /// The confidence model with the sentence encoder, and without it.
    pub semantic_model: Model,
    pub lexical_model: Model,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            threshold: tuning::ANSWER_THRESHOLD,
            clarify: tuning::CLARIFY_THRESHOLD,
            suggest_below: tuning::SUGGEST_BELOW,
            semantic_model: Model::SEMANTIC,
            lexical_model: Model::LEXICAL,
        }
    }
}

/// An entry ranked for a question, with the signals behind its confidence.
#[derive(Clone, Debug)]
pub struct Scored {
    pub entry: Arc<Entry>,
    pub features: Features,
    pub confidence: f32,
}

/// What the engine made of a question before deciding to answer.
#[derive(Clone, Debug)]
pub enum Outcome {
    Empty,
    Greeting,
    Thanks,
    OtherLanguage,
    /// Entries ranked best first (possibly none).
    Ranked {
        lang: Lang,
        candidates: Vec<Scored>,
        /// The question is nearer a known off-topic question than any entry's phrasing.
        off_topic: bool,
    },
}

/// A question's language and ranked entries.
#[derive(Clone, Debug)]
pub struct Ranking {
    pub detected: Detected,
    pub outcome: Outcome,
}

/// One meaning of the question: the term the customer wrote and what it may also be.
#[derive(Clone, Debug)]
struct Concept {
    terms: Vec<(String, f32)>,
    idf: f32,
    known: bool,
}

/// The analyzed terms of one entry.
#[derive(Clone, Debug, Default)]
struct EntryTerms {
    all: HashSet<String>,
    /// Each phrasing of the question: the title, then the alternates.
    questions: Vec<HashSet<String>>,
}

/// Everything the engine keeps per language.
struct LangData {
    entries: Vec<Arc<Entry>>,
    by_id: HashMap<EntryId, usize>,
    terms: Vec<EntryTerms>,
    doc_freq: HashMap<String, u32>,
    /// Known terms: the entries' and the synonyms'.
    vocabulary: HashSet<String>,
    /// The same as characters, for typo correction.
    vocabulary_chars: Vec<(String, Vec<char>)>,
    /// Term → the phrasings (flat numbering over all entries) that contain it.
    phrasings: HashMap<String, Vec<usize>>,
    /// Per phrasing: its entry and its idf mass. Off-topic phrasings count as one more
    /// entry, numbered `entries.len()`.
    phrasing_entry: Vec<usize>,
    phrasing_mass: Vec<f32>,
    /// Group → member → analyzed terms.
    synonyms: Vec<Vec<Vec<String>>>,
    analyzer: TextAnalyzer,
    care: CareLink,
}

impl LangData {
    fn idf(&self, term: &str) -> f32 {
        let n = self.entries.len() as f32;
        let df = self.doc_freq.get(term).copied().unwrap_or(0) as f32;
        (1.0 + n / (df + 0.5)).ln()
    }
}

/// The answer engine over an open index.
pub struct Engine {
    store: Store,
    /// The entry classifier's classes (ids shared by both languages).
    classes: Vec<EntryId>,
    detector: Detector,
    langs: [LangData; 2],
    settings: Settings,
    semantic: Option<Semantic>,
}

impl Engine {
    /// Opens (or rebuilds) the index of `faq_dir` in `index_dir`, lexical only.
    pub fn open(faq_dir: &Path, index_dir: &Path, settings: Settings) -> Result<Engine> {
        Engine::open_with(faq_dir, index_dir, settings, None)
    }

    /// Opens (or rebuilds) the index with the sentence encoder when one is given: the
    /// index then holds the FAQ's embeddings for that model.
    pub fn open_with(
        faq_dir: &Path,
        index_dir: &Path,
        settings: Settings,
        encoder: Option<Arc<Encoder>>,
    ) -> Result<Engine> {
        let store = Store::open(faq_dir, index_dir, encoder.as_deref())?;
        let mut engine = Engine::new(store, settings);
        engine.semantic = encoder.map(|encoder| Semantic {
            encoder,
            recent: Mutex::default(),
        });
        Ok(engine)
    }

    /// Why this engine answers from the last good index instead of the current FAQ
    /// sources (a broken edit, a page that cannot be read); `None` when they agree.
    pub fn stale(&self) -> Option<&Error> {
        self.store.stale()
    }

    /// This engine if it serves the current sources; the error that kept it on the last
    /// good index otherwise.
    pub fn fresh(mut self) -> Result<Engine> {
        match self.store.take_stale() {
            Some(error) => Err(error),
            None => Ok(self),
        }
    }

    /// Which matcher ranks questions.
    pub fn matcher(&self) -> Matcher {
        match (&self.semantic, &self.store.vectors) {
            (Some(_), Some(_)) => Matcher::Semantic,
            _ => Matcher::Lexical,
        }
    }

    fn vectors(&self) -> Option<(&Semantic, &Vectors)> {
        Some((self.semantic.as_ref()?, self.store.vectors.as_ref()?))
    }

    /// The confidence model of the matcher in use.
    fn model(&self) -> &Model {
        match self.matcher() {
            Matcher::Semantic => &self.settings.semantic_model,
            Matcher::Lexical => &self.settings.lexical_model,
        }
    }

    /// Builds the engine's in-memory tables over an open store.
    pub fn new(store: Store, settings: Settings) -> Engine {
        let mut surface: [HashSet<String>; 2] = Default::default();
        let langs = Lang::ALL.map(|lang| {
            let faq = store.faq().lang(lang);
            let mut analyzer = analysis::analyzer(lang);
            let words = &mut surface[lang.index()];
            let mut doc_freq: HashMap<String, u32> = HashMap::default();
            let terms: Vec<EntryTerms> = faq
                .entries
                .iter()
                .map(|entry| {
                    let body = entry.body_text();
                    let questions: Vec<HashSet<String>> = std::iter::once(&entry.title)
                        .chain(&entry.alternates)
                        .map(|text| {
                            words.extend(analysis::words(text));
                            analysis::terms(&mut analyzer, text).into_iter().collect()
                        })
                        .collect();
                    words.extend(analysis::words(&body));
                    let mut all: HashSet<String> =
                        analysis::terms(&mut analyzer, &body).into_iter().collect();
                    all.extend(questions.iter().flatten().cloned());
                    for term in &all {
                        *doc_freq.entry(term.clone()).or_default() += 1;
                    }
                    EntryTerms { all, questions }
                })
                .collect();
            let n = faq.entries.len() as f32;
            let idf =
                |t: &String| (1.0 + n / (doc_freq.get(t).copied().unwrap_or(0) as f32 + 0.5)).ln();
            let off_topic: Vec<HashSet<String>> = faq
                .off_topic
                .iter()
                .map(|text| {
                    words.extend(analysis::words(text));
                    analysis::terms(&mut analyzer, text).into_iter().collect()
                })
                .collect();
            let mut phrasings: HashMap<String, Vec<usize>> = HashMap::default();
            let mut phrasing_entry = Vec::new();
            let mut phrasing_mass = Vec::new();
            let off_topic_entry = EntryTerms {
                all: HashSet::default(),
                questions: off_topic,
            };
            for (entry, t) in terms.iter().chain([&off_topic_entry]).enumerate() {
                for question in &t.questions {
                    for term in question {
                        phrasings
                            .entry(term.clone())
                            .or_default()
                            .push(phrasing_entry.len());
                    }
                    phrasing_entry.push(entry);
                    phrasing_mass.push(question.iter().map(idf).sum());
                }
            }
            let synonyms: Vec<Vec<Vec<String>>> = faq
                .synonyms
                .iter()
                .map(|group| {
                    group
                        .iter()
                        .map(|member| {
                            words.extend(analysis::words(member));
                            analysis::terms(&mut analyzer, member)
                        })
                        .filter(|terms| !terms.is_empty())
                        .collect()
                })
                .collect();
            let mut vocabulary: HashSet<String> = doc_freq.keys().cloned().collect();
            vocabulary.extend(synonyms.iter().flatten().flatten().cloned());
            // Known off-topic words are words, not typos of the pages' words.
            vocabulary.extend(off_topic_entry.questions.iter().flatten().cloned());
            let entries: Vec<Arc<Entry>> = faq.entries.iter().cloned().map(Arc::new).collect();
            let vocabulary_chars = vocabulary
                .iter()
                .map(|t| (t.clone(), t.chars().collect()))
                .collect();
            LangData {
                vocabulary_chars,
                phrasings,
                phrasing_entry,
                phrasing_mass,
                by_id: entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.id.clone(), i))
                    .collect(),
                entries,
                terms,
                doc_freq,
                vocabulary,
                synonyms,
                analyzer,
                care: faq.care.clone(),
            }
        });
        Engine {
            classes: crate::embed::classes(store.faq()),
            detector: Detector::new(surface),
            store,
            langs,
            settings,
            semantic: None,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
    }

    /// The index and FAQ behind the engine.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The entries of `lang`, in page order.
    pub fn entries(&self, lang: Lang) -> &[Arc<Entry>] {
        &self.langs[lang.index()].entries
    }

    /// One entry by id.
    pub fn entry(&self, lang: Lang, id: &str) -> Option<Arc<Entry>> {
        let data = &self.langs[lang.index()];
        let i = *data.by_id.get(&EntryId::from(id.to_string()))?;
        Some(data.entries[i].clone())
    }

    /// The Customer Care link the pages of `lang` give.
    pub fn care(&self, lang: Lang) -> &CareLink {
        &self.langs[lang.index()].care
    }

    /// Judges the language of `text`.
    pub fn detect(&self, text: &str) -> Detected {
        self.detector.detect(text)
    }

    /// Answers `question` in its own language.
    pub fn ask(&self, question: &str) -> Reply {
        self.ask_in(question, None)
    }

    /// Answers `question`, in `lang` when given, else in the detected language.
    pub fn ask_in(&self, question: &str, lang: Option<Lang>) -> Reply {
        let ranking = self.rank(question, lang);
        self.decide(ranking)
    }

    /// Detects the language and ranks the entries, without deciding.
    pub fn rank(&self, question: &str, lang: Option<Lang>) -> Ranking {
        let question = within_limit(question);
        let forced = lang.map(|lang| Detected {
            lang: Some(lang),
            confidence: 1.0,
        });
        if !question.chars().any(char::is_alphanumeric) {
            return Ranking {
                detected: forced.unwrap_or(Detected {
                    lang: None,
                    confidence: 0.0,
                }),
                outcome: Outcome::Empty,
            };
        }
        let detected = forced.unwrap_or_else(|| self.detector.detect(question));
        let outcome = if let Some(talk) = smalltalk::classify(question) {
            match talk {
                smalltalk::SmallTalk::Greeting => Outcome::Greeting,
                smalltalk::SmallTalk::Thanks => Outcome::Thanks,
            }
        } else {
            match detected.lang {
                None => Outcome::OtherLanguage,
                Some(lang) => {
                    let embedding = self.vectors().map(|(s, _)| s.embed(question));
                    let (candidates, off_topic) =
                        self.candidates(question, lang, detected.confidence, embedding.as_ref());
                    Outcome::Ranked {
                        lang,
                        candidates,
                        off_topic,
                    }
                }
            }
        };
        Ranking { detected, outcome }
    }

    /// Ranked entries for agents: in `lang`, or the detected language, or whichever
    /// language matches better when the query is in neither.
    pub fn search(&self, query: &str, lang: Option<Lang>) -> (Lang, Vec<Scored>) {
        let lang = lang.or_else(|| self.detector.detect(query).lang);
        let embedding = self.vectors().map(|(s, _)| s.embed(query));
        let run = |lang: Lang| {
            (
                lang,
                self.candidates(query, lang, 1.0, embedding.as_ref()).0,
            )
        };
        match lang {
            Some(lang) => run(lang),
            None => {
                let (pt, es) = (run(Lang::Pt), run(Lang::Es));
                let top = |r: &(Lang, Vec<Scored>)| r.1.first().map_or(0.0, |s| s.features.score);
                if top(&es) > top(&pt) { es } else { pt }
            }
        }
    }

    /// Ranks the entries of `lang` for `question`, best first, with confidences; and tells
    /// whether a known off-topic question matches it better than the first entry does.
    fn candidates(
        &self,
        question: &str,
        lang: Lang,
        lang_confidence: f32,
        embedding: Option<&Embedding>,
    ) -> (Vec<Scored>, bool) {
        let searcher = self.store.reader.searcher();
        let data = &self.langs[lang.index()];
        let concepts = self.concepts(question, lang);
        let semantic = embedding.and_then(|q| self.semantic_signals(lang, q));
        if concepts.is_empty() && semantic.is_none() {
            return (Vec::new(), false);
        }
        let own = self.bm25(&searcher, lang, &concepts, true);
        let other_lang = lang.other();
        let other_concepts = self.concepts(question, other_lang);
        // The other page's phrasings only: its answer text adds time, not evidence.
        let other = self.bm25(&searcher, other_lang, &other_concepts, false);
        let other_data = &self.langs[other_lang.index()];
        let other_top = other
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(&i, _)| &other_data.entries[i].id);

        let mut combined: Vec<(usize, f32)> = (0..data.entries.len())
            .map(|i| {
                let id = &data.entries[i].id;
                let cross = other_data
                    .by_id
                    .get(id)
                    .and_then(|j| other.get(j))
                    .copied()
                    .unwrap_or(0.0);
                (
                    i,
                    own.get(&i).copied().unwrap_or(0.0) + CROSS_WEIGHT * cross,
                )
            })
            // With the encoder every entry is a candidate: a paraphrase shares no word.
            .filter(|(_, s)| *s > 0.0 || semantic.is_some())
            .collect();
        combined.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

        // No concept: no idf mass; the ratios below then read 0, not NaN.
        let total_idf: f32 = concepts
            .iter()
            .map(|c| c.idf)
            .sum::<f32>()
            .max(f32::EPSILON);
        // Symmetric similarity of the question with each entry's best phrasing: the idf
        // mass both share over the mass of both, so that a phrasing is not preferred for
        // matching one more ubiquitous word while leaving most of itself unexplained.
        let dice = self.phrasing_similarity(data, &concepts, total_idf);
        let top_bm25 = combined.first().map_or(1.0, |c| c.1).max(f32::EPSILON);
        let mut combined: Vec<(usize, f32, f32)> = combined
            .into_iter()
            .map(|(i, s)| {
                let d = dice[i];
                (i, s, d + RANK_BM25 * s / top_bm25)
            })
            .collect();
        combined.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        let concept_count = concepts.len().max(1) as f32;
        let unknown = concepts.iter().filter(|c| !c.known).count() as f32 / concept_count;
        let brevity = 1.0 / concept_count;
        let mut scored: Vec<Scored> = combined
            .iter()
            .enumerate()
            .map(|(rank, &(i, score, rank_score))| {
                let best_other = combined
                    .iter()
                    .enumerate()
                    .filter(|(r, _)| *r != rank)
                    .map(|(_, c)| c.2)
                    .fold(0.0f32, f32::max);
                let explained = |set: &HashSet<String>| {
                    concepts
                        .iter()
                        .filter(|c| c.terms.iter().any(|(t, _)| set.contains(t)))
                        .map(|c| c.idf)
                        .sum::<f32>()
                        / total_idf
                };
                let mut features = Features {
                    coverage: explained(&data.terms[i].all),
                    unknown,
                    score: score.ln_1p(),
                    margin: if rank_score > 0.0 {
                        (rank_score - best_other) / rank_score
                    } else {
                        -1.0
                    },
                    lang: lang_confidence,
                    brevity,
                    agreement: f32::from(u8::from(other_top == Some(&data.entries[i].id))),
                    question: data.terms[i]
                        .questions
                        .iter()
                        .map(explained)
                        .fold(0.0, f32::max),
                    ..Features::default()
                };
                if let Some(semantic) = &semantic {
                    semantic.fill(i, &mut features);
                }
                Scored {
                    entry: data.entries[i].clone(),
                    confidence: self.model().predict(&features),
                    features,
                }
            })
            .collect();
        // The final order is the calibrated confidence: it weighs how much of the question
        // each entry explains, which the retrieval score alone mixes with term frequency.
        // Ties keep the retrieval order (the sort is stable).
        scored.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        scored.truncate(data.entries.len());
        if let Some(top) = scored.first() {
            tracing::debug!(
                lang = lang.code(),
                entry = %top.entry.id,
                confidence = top.confidence,
                features = ?top.features,
                "ranked"
            );
        }
        // The off-topic "entry" follows the real ones in the similarity table.
        let off_topic_similarity = dice[data.entries.len()];
        let top_similarity = scored
            .first()
            .and_then(|top| data.by_id.get(&top.entry.id))
            .map_or(0.0, |&i| dice[i]);
        let off_topic = off_topic_similarity > 0.0 && off_topic_similarity > top_similarity;
        (scored, off_topic)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::reply::Reason;

    /// An engine over the repository's FAQ pages, its index in a folder that lives as
    /// long as the returned guard.
    pub(crate) fn repo_engine() -> (Engine, tempfile::TempDir) {
        let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let index = tempfile::tempdir().unwrap();
        let engine = Engine::open(&faq, index.path(), Settings::default()).unwrap();
        (engine, index)
    }

    #[test]
    fn alternatives_are_offered_when_unsure_or_when_the_runner_up_is_as_likely() {
        let (engine, _index) = repo_engine();
        let entries = engine.entries(Lang::Es);
        let suggest = |first: f32, second: f32| {
            let scored = |i: usize, confidence| Scored {
                entry: entries[i].clone(),
                features: Features::default(),
                confidence,
            };
            let ranking = Ranking {
                detected: Detected {
                    lang: Some(Lang::Es),
                    confidence: 1.0,
                },
                outcome: Outcome::Ranked {
                    lang: Lang::Es,
                    candidates: vec![scored(0, first), scored(1, second)],
                    off_topic: false,
                },
            };
            match engine.decide(ranking) {
                Reply::Answer(answer) => answer.suggest,
                other => panic!("{other:?}"),
            }
        };
        assert!(!suggest(0.98, 0.50), "sure, and far ahead");
        assert!(suggest(0.98, 0.96), "sure, but the runner-up is as likely");
        assert!(suggest(0.90, 0.10), "unsure");
    }

    #[test]
    fn off_topic_questions_escalate_whatever_the_confidence() {
        let (engine, _index) = repo_engine();
        let ranking = Ranking {
            detected: Detected {
                lang: Some(Lang::Pt),
                confidence: 1.0,
            },
            outcome: Outcome::Ranked {
                lang: Lang::Pt,
                candidates: vec![Scored {
                    entry: engine.entries(Lang::Pt)[0].clone(),
                    features: Features::default(),
                    confidence: 0.99,
                }],
                off_topic: true,
            },
        };
        match engine.decide(ranking) {
            Reply::Escalation(e) => assert_eq!(e.reason, Reason::OutOfScope),
            other => panic!("{other:?}"),
        }
    }
}
