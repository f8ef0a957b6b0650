//! Concepts: what each word of a question may mean. The analyzed terms, a typo corrected
//! to a known word, and the words of a synonym group the question matches, each weighted.

use super::Engine;
use super::spelling::{MIN_CORRECTED_LEN, correction};
use crate::analysis;
use crate::lang::Lang;
use crate::tuning::{CORRECTION_WEIGHT, MAX_TERMS, SYNONYM_WEIGHT};

/// One meaning of the question: the term the customer wrote and what it may also be.
#[derive(Clone, Debug)]
pub(super) struct Concept {
    pub(super) terms: Vec<(String, f32)>,
    pub(super) idf: f32,
    pub(super) known: bool,
}

impl Engine {
    /// The question's concepts in `lang`: terms, typo corrections and synonym groups.
    pub(super) fn concepts(&self, question: &str, lang: Lang) -> Vec<Concept> {
        let data = &self.langs[lang.index()];
        let mut analyzer = data.analyzer.clone();
        let mut terms = analysis::terms(&mut analyzer, question);
        terms.truncate(MAX_TERMS);
        let mut weights = vec![1.0f32; terms.len()];
        for (term, weight) in terms.iter_mut().zip(&mut weights) {
            if term.chars().count() >= MIN_CORRECTED_LEN
                && !data.vocabulary.contains(term.as_str())
                && let Some(fix) = correction(term, data)
            {
                *term = fix;
                *weight = CORRECTION_WEIGHT;
            }
        }

        let mut covered = vec![false; terms.len()];
        let mut concepts = Vec::new();
        for group in &data.synonyms {
            let mut matched: Vec<(String, f32)> = Vec::new();
            for member in group {
                for start in 0..terms.len().saturating_sub(member.len() - 1) {
                    if terms[start..start + member.len()] == member[..] {
                        for k in start..start + member.len() {
                            covered[k] = true;
                            matched.push((terms[k].clone(), weights[k]));
                        }
                    }
                }
            }
            if matched.is_empty() {
                continue;
            }
            // A phrase member is matched as a whole above; searching its words one by one
            // would let `fecha` alone stand for "cambiar la fecha".
            for member in group.iter().filter(|m| m.len() == 1) {
                if !matched.iter().any(|(t, _)| *t == member[0]) {
                    matched.push((member[0].clone(), SYNONYM_WEIGHT));
                }
            }
            concepts.push(matched);
        }
        for (k, term) in terms.iter().enumerate() {
            if !covered[k] && !concepts.iter().flatten().any(|(t, _)| t == term) {
                concepts.push(vec![(term.clone(), weights[k])]);
            }
        }
        concepts
            .into_iter()
            .map(|terms| {
                let known = terms.iter().any(|(t, _)| data.doc_freq.contains_key(t));
                let idf = terms
                    .iter()
                    .filter(|(t, _)| data.doc_freq.contains_key(t))
                    .map(|(t, _)| data.idf(t))
                    .fold(f32::INFINITY, f32::min);
                let idf = if idf.is_finite() { idf } else { data.idf("") };
                Concept { terms, idf, known }
            })
            .collect()
    }
}
