//! Features: the signals of each entry's match with a question (coverage, BM25, margin,
//! agreement across languages, the encoder's similarities), and the confidence the model
//! gives them. The order of the candidates is that confidence.

use rustc_hash::FxHashSet as HashSet;

use super::reading::How;
use super::{Engine, Scored};
use crate::confidence::Features;
use crate::lang::Lang;
use crate::semantic::Embedding;
use crate::tuning::{CROSS_WEIGHT, RANK_BM25};

/// The entries of one language ranked for a question.
#[derive(Debug, Default)]
pub(super) struct Candidates {
    /// Best first, with confidences.
    pub ranked: Vec<Scored>,
    /// A known off-topic question matches the question better than the first entry does.
    pub off_topic: bool,
    /// The question is one word, which the first entry's own question (its title) does
    /// not name.
    pub vague: bool,
}

impl Engine {
    /// Ranks the entries of `lang` for `question`, best first, with confidences; and tells
    /// whether a known off-topic question matches it better than the first entry does.
    pub(super) fn candidates(
        &self,
        question: &str,
        lang: Lang,
        lang_confidence: f32,
        embedding: Option<&Embedding>,
        how: How,
    ) -> Candidates {
        let data = &self.langs[lang.index()];
        let concepts = self.concepts(question, lang);
        let semantic = embedding.and_then(|q| self.semantic_signals(lang, q));
        if concepts.is_empty() && semantic.is_none() {
            return Candidates::default();
        }
        let own = self.bm25(lang, &concepts, true);
        let other_lang = lang.other();
        let other_concepts = self.concepts(question, other_lang);
        // The other page's phrasings only: its answer text adds time, not evidence.
        let other = self.bm25(other_lang, &other_concepts, false);
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
                    clause: f32::from(u8::from(how == How::Clause)),
                    follow_up: f32::from(u8::from(how == How::FollowUp)),
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
        // One word names an entry when it is in the entry's own question ("obrigatória?",
        // "prazo?" through its synonyms); elsewhere it may be in any of several answers.
        let vague = concepts.len() == 1
            && crate::analysis::words(question).len() == 1
            && scored
                .first()
                .and_then(|top| data.by_id.get(&top.entry.id))
                .and_then(|&i| data.terms[i].questions.first())
                .is_some_and(|title| !concepts[0].terms.iter().any(|(t, _)| title.contains(t)));
        Candidates {
            ranked: scored,
            off_topic,
            vague,
        }
    }
}
