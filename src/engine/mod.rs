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
//! One file per step: `vocabulary` builds the tables and statistics of each language once,
//! `concepts` reads a question into concepts with `spelling`'s typo correction, `lexical`
//! asks the index for BM25 and measures phrasing overlap, `semantic` embeds the question
//! and compares it with the phrasings' vectors, `features` turns the signals into each
//! candidate's confidence, and `decide` turns a ranking into a reply. This file holds the
//! public types and the API.

use rustc_hash::FxHashSet as HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::confidence::{Features, Model};
use crate::detect::Detector;
use crate::embed::Vectors;
use crate::error::{Error, Result};
use crate::faq::{CareLink, Entry, EntryId};
use crate::index::Store;
use crate::lang::{Detected, Lang};
use crate::reply::Reply;
use crate::semantic::Encoder;
use crate::smalltalk;

mod concepts;
mod decide;
mod features;
mod lexical;
mod reading;
mod semantic;
mod spelling;
mod vocabulary;

use concepts::Concept;
use reading::How;
pub use reading::{Context, Reading};
use semantic::Semantic;
use vocabulary::LangData;

use crate::tuning;

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
    Acknowledgement,
    OtherLanguage,
    /// Entries ranked best first (possibly none).
    Ranked {
        lang: Lang,
        candidates: Vec<Scored>,
        /// The question is nearer a known off-topic question than any entry's phrasing.
        off_topic: bool,
        /// One word that is not in the first entry's own question ("cancelar",
        /// "problema"): too little to answer with, however well it matches.
        vague: bool,
    },
}

/// A question's language and ranked entries.
#[derive(Clone, Debug)]
pub struct Ranking {
    pub detected: Detected,
    pub outcome: Outcome,
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
        Ok(Engine::new(store, settings).with_encoder(encoder))
    }

    /// Builds a new index generation of `faq_dir` whatever the current one, and opens it:
    /// what `faqbot index` does. Unlike [`Engine::open_with`], a FAQ folder that cannot be
    /// read or parsed is an error, never the last good index.
    pub fn rebuild(
        faq_dir: &Path,
        index_dir: &Path,
        settings: Settings,
        encoder: Option<Arc<Encoder>>,
    ) -> Result<Engine> {
        let store = Store::rebuild(faq_dir, index_dir, encoder.as_deref())?;
        Ok(Engine::new(store, settings).with_encoder(encoder))
    }

    fn with_encoder(mut self, encoder: Option<Arc<Encoder>>) -> Engine {
        self.semantic = encoder.map(|encoder| Semantic {
            encoder,
            recent: Mutex::default(),
        });
        self
    }

    /// How many pages the FAQ of `lang` has.
    pub fn pages(&self, lang: Lang) -> usize {
        self.store.faq().lang(lang).pages
    }

    /// The index generation this engine serves.
    pub fn generation(&self) -> &Path {
        self.store.path()
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
    pub(crate) fn new(store: Store, settings: Settings) -> Engine {
        let mut surface: [HashSet<String>; 2] = Default::default();
        let langs = Lang::ALL
            .map(|lang| LangData::build(store.faq().lang(lang), lang, &mut surface[lang.index()]));
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
    pub(crate) fn store(&self) -> &Store {
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
        self.read(question, lang, None).ranking
    }

    /// Ranks `text`, a reading of `message`: small talk, emptiness and the language are
    /// judged on the whole message, the entries on the reading.
    fn rank_text(&self, text: &str, lang: Option<Lang>, message: &str, how: How) -> Ranking {
        let forced = lang.map(|lang| Detected {
            lang: Some(lang),
            confidence: 1.0,
        });
        let talk = smalltalk::classify(message);
        if !message.chars().any(char::is_alphanumeric) {
            return Ranking {
                detected: forced.unwrap_or(Detected {
                    lang: None,
                    confidence: 0.0,
                }),
                outcome: match talk {
                    Some(_) => Outcome::Acknowledgement,
                    None => Outcome::Empty,
                },
            };
        }
        let detected = forced.unwrap_or_else(|| self.detector.detect(message));
        let talk = talk.or_else(|| self.small_talk_around(message, detected.lang));
        let outcome = if let Some(talk) = talk {
            match talk {
                smalltalk::SmallTalk::Greeting => Outcome::Greeting,
                smalltalk::SmallTalk::Thanks => Outcome::Thanks,
                smalltalk::SmallTalk::Acknowledgement => Outcome::Acknowledgement,
            }
        } else {
            match detected.lang {
                None => Outcome::OtherLanguage,
                Some(lang) => {
                    let embedding = self.vectors().map(|(s, _)| s.embed(text));
                    let ranked =
                        self.candidates(text, lang, detected.confidence, embedding.as_ref(), how);
                    Outcome::Ranked {
                        lang,
                        candidates: ranked.ranked,
                        off_topic: ranked.off_topic,
                        vague: ranked.vague,
                    }
                }
            }
        };
        Ranking { detected, outcome }
    }

    /// Small talk with words around it that name nothing the FAQ talks about: "perfeito,
    /// era só isso mesmo", but not "obrigado, e o prazo".
    fn small_talk_around(&self, message: &str, lang: Option<Lang>) -> Option<smalltalk::SmallTalk> {
        let (talk, rest) = smalltalk::around(message)?;
        (!self.names_a_topic(&rest, lang)).then_some(talk)
    }

    /// Whether `text` says a word of the pages themselves (titles and answers, or a
    /// synonym of one), in `lang` or, when not given, in either language.
    fn names_a_topic(&self, text: &str, lang: Option<Lang>) -> bool {
        Lang::ALL
            .iter()
            .filter(|&&l| lang.is_none_or(|d| d == l))
            .any(|&l| {
                let page = &self.langs[l.index()].page;
                self.concepts(text, l)
                    .iter()
                    .any(|c| c.terms.iter().any(|(t, _)| page.contains(t)))
            })
    }

    /// Ranked entries for agents: in `lang`, or the detected language, or whichever
    /// language matches better when the query is in neither.
    pub fn search(&self, query: &str, lang: Option<Lang>) -> (Lang, Vec<Scored>) {
        let lang = lang.or_else(|| self.detector.detect(query).lang);
        let embedding = self.vectors().map(|(s, _)| s.embed(query));
        let run = |lang: Lang| {
            (
                lang,
                self.candidates(query, lang, 1.0, embedding.as_ref(), How::Whole)
                    .ranked,
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
}

#[cfg(test)]
pub(crate) mod tests;
