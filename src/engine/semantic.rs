//! The meaning signals: the question's embedding (cached for repeated questions) against
//! the phrasings' vectors and the entry classifier.

use super::Engine;
use rustc_hash::FxHashMap as HashMap;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::confidence::Features;
use crate::lang::Lang;
use crate::semantic::{Embedding, Encoder, Prefix};

use crate::tuning::{QUESTION_CACHE, SEMANTIC_MAX_CHARS, SEMANTIC_MAX_PIECES};

/// The sentence encoder with the FAQ's vectors and recent questions' embeddings.
pub(super) struct Semantic {
    pub(super) encoder: Arc<Encoder>,
    pub(super) recent: Mutex<Recent>,
}

/// Embeddings of the last questions, oldest first out.
#[derive(Default)]
pub(super) struct Recent {
    map: HashMap<String, Embedding>,
    order: VecDeque<String>,
}

impl Semantic {
    pub(super) fn embed(&self, question: &str) -> Embedding {
        // The cache's key is bounded too: the pieces read come from the first characters.
        let question: String = question.chars().take(SEMANTIC_MAX_CHARS).collect();
        if let Some(v) = self
            .recent
            .lock()
            .ok()
            .and_then(|r| r.map.get(&question).cloned())
        {
            return v;
        }
        let v = self
            .encoder
            .embed_within(&question, Prefix::Query, SEMANTIC_MAX_PIECES);
        if let Ok(mut recent) = self.recent.lock() {
            if recent.order.len() >= QUESTION_CACHE
                && let Some(old) = recent.order.pop_front()
            {
                recent.map.remove(&old);
            }
            recent.order.push_back(question.clone());
            recent.map.insert(question, v.clone());
        }
        v
    }
}

/// The sentence encoder's view of one question against every entry of a language.
pub(super) struct SemanticSignals {
    /// Per entry: best cosine with its phrasings (title, alternates), either language.
    question: Vec<f32>,
    /// Per entry: best cosine with a line of its answer.
    passage: Vec<f32>,
    /// Best cosine with an off-topic phrasing.
    off_topic: f32,
    /// Per entry: the entry classifier's probability.
    class: Vec<f32>,
    class_none: f32,
}

impl SemanticSignals {
    /// Fills the semantic signals of entry `i`.
    pub(super) fn fill(&self, i: usize, features: &mut Features) {
        let sim = self.question[i];
        let best_other = self
            .question
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, &s)| s)
            .fold(-1.0f32, f32::max);
        features.semantic = sim;
        features.semantic_margin = sim - best_other;
        features.passage = self.passage[i];
        features.off_topic_gap = self.off_topic - sim;
        features.class = self.class[i];
        features.class_none = self.class_none;
    }
}

impl Engine {
    /// Embeds questions through the cache beside the model, so that a re-run embeds only
    /// new text; `None` without an encoder.
    pub fn embed_questions(&self, texts: &[&str]) -> Option<Vec<Embedding>> {
        let semantic = self.semantic.as_ref()?;
        Some(crate::embed::embed_cached(&semantic.encoder, texts))
    }

    /// `v` less the FAQ phrasings' mean, normalized: cosines between such vectors tell
    /// this domain's questions apart (raw e5 vectors of unrelated questions of one domain
    /// sit near 0.8). `v` itself without an encoder.
    pub fn centred(&self, v: &Embedding) -> Embedding {
        self.vectors()
            .map_or_else(|| v.clone(), |(_, vectors)| vectors.classifier.centred(v))
    }

    /// The classifier's probability per class (the entries, then "none"), empty without
    /// an encoder.
    pub fn class_probabilities(&self, v: &Embedding) -> Vec<f32> {
        self.vectors()
            .map(|(_, vectors)| vectors.classifier.probabilities(v))
            .unwrap_or_default()
    }

    /// The entry the classifier finds likeliest for `v`, with its probability; `None`
    /// when "none of them" is likelier, or without an encoder.
    pub fn likeliest_entry(&self, v: &Embedding) -> Option<(crate::faq::EntryId, f32)> {
        let (_, vectors) = self.vectors()?;
        let probabilities = vectors.classifier.probabilities(v);
        let (k, &p) = probabilities
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))?;
        // The last class is "none".
        self.classes.get(k).map(|id| (id.clone(), p))
    }

    /// The question's cosine with every entry's phrasings (both languages: the ids are
    /// shared) and with the off-topic phrasings; `None` without an encoder.
    pub(super) fn semantic_signals(&self, lang: Lang, q: &Embedding) -> Option<SemanticSignals> {
        let (_, vectors) = self.vectors()?;
        let data = &self.langs[lang.index()];
        let best = |vs: &[Embedding]| vs.iter().map(|v| q.cosine(v)).fold(-1.0f32, f32::max);
        let other = lang.other();
        let other_data = &self.langs[other.index()];
        let [own, theirs] = [lang, other].map(|l| &vectors.langs[l.index()]);
        let mut question = Vec::with_capacity(data.entries.len());
        let mut passage = Vec::with_capacity(data.entries.len());
        for (i, entry) in data.entries.iter().enumerate() {
            let twin = other_data
                .by_id
                .get(&entry.id)
                .and_then(|&j| theirs.entries.get(j));
            let mine = own.entries.get(i);
            let pick = |f: fn(&crate::embed::EntryVectors) -> &[Embedding]| {
                mine.into_iter()
                    .chain(twin)
                    .map(|e| best(f(e)))
                    .fold(-1.0f32, f32::max)
            };
            question.push(pick(|e| &e.questions));
            passage.push(pick(|e| &e.passages));
        }
        let off_topic = best(&own.off_topic).max(best(&theirs.off_topic));
        let probabilities = vectors.classifier.probabilities(q);
        let class = data
            .entries
            .iter()
            .map(|entry| {
                self.classes
                    .iter()
                    .position(|c| *c == entry.id)
                    .and_then(|k| probabilities.get(k))
                    .copied()
                    .unwrap_or(0.0)
            })
            .collect();
        let class_none = probabilities.last().copied().unwrap_or(0.0);
        Some(SemanticSignals {
            question,
            passage,
            off_topic,
            class,
            class_none,
        })
    }
}
