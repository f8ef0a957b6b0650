//! The word signals of a question's concepts: BM25 from the index, and the overlap of the
//! question with each phrasing.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::{Concept, Engine, LangData};
use crate::index::EntryScores;
use crate::lang::Lang;
use crate::tuning::BODY_WEIGHT;

impl Engine {
    /// For each entry, the idf-weighted Dice similarity of the question with its best
    /// phrasing, walking the term → phrasing map instead of every phrasing.
    pub(super) fn phrasing_similarity(
        &self,
        data: &LangData,
        concepts: &[Concept],
        total_idf: f32,
    ) -> Vec<f32> {
        let n = data.phrasing_mass.len();
        let mut shared = vec![0.0f32; n];
        let mut stamp = vec![usize::MAX; n];
        let mut seen: HashSet<&str> = HashSet::default();
        for (c, concept) in concepts.iter().enumerate() {
            for (term, _) in &concept.terms {
                let Some(postings) = data.phrasings.get(term) else {
                    continue;
                };
                let first_time = seen.insert(term);
                let idf = data.idf(term);
                for &p in postings {
                    if stamp[p] != c {
                        stamp[p] = c;
                        shared[p] += concept.idf;
                    }
                    if first_time {
                        shared[p] += idf;
                    }
                }
            }
        }
        let mut best = vec![0.0f32; data.entries.len() + 1];
        for (p, (&entry, &mass)) in data
            .phrasing_entry
            .iter()
            .zip(&data.phrasing_mass)
            .enumerate()
        {
            best[entry] = best[entry].max(shared[p] / (total_idf + mass));
        }
        best
    }

    /// BM25 of every entry of `lang` that matches any concept: its best phrasing plus its
    /// answer text at a lower weight.
    pub(super) fn bm25(
        &self,
        lang: Lang,
        concepts: &[Concept],
        with_body: bool,
    ) -> HashMap<usize, f32> {
        let data = &self.langs[lang.index()];
        let mut seen: HashSet<&str> = HashSet::default();
        // A term no document of the language has cannot score: no clause for it.
        let terms: Vec<(&str, f32)> = concepts
            .iter()
            .flat_map(|concept| &concept.terms)
            .filter(|(t, _)| data.doc_freq.contains_key(t) && seen.insert(t))
            .map(|(t, w)| (t.as_str(), *w))
            .collect();
        let EntryScores {
            mut question,
            answer,
        } = self.store.scores(lang, &terms, with_body);
        for (i, score) in answer {
            *question.entry(i).or_default() += BODY_WEIGHT * score;
        }
        question
    }
}
