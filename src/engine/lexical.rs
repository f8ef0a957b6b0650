//! The word signals: concepts (analyzed terms, corrected and widened by synonyms), BM25 over
//! the index, and the overlap of the question with each phrasing.

use super::spelling::{MIN_CORRECTED_LEN, correction};
use super::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader, Term};

use crate::analysis;
use crate::lang::Lang;

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
        searcher: &Searcher,
        lang: Lang,
        concepts: &[Concept],
        with_body: bool,
    ) -> HashMap<usize, f32> {
        let fields = &self.store.fields;
        let l = lang.index();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let data = &self.langs[l];
        let mut seen: HashSet<&str> = HashSet::default();
        for concept in concepts {
            // A term no document of the language has cannot score: no clause for it.
            for (term, weight) in concept
                .terms
                .iter()
                .filter(|(t, _)| data.doc_freq.contains_key(t) && seen.insert(t))
            {
                let body = with_body.then_some(fields.body[l]);
                for field in std::iter::once(fields.question[l]).chain(body) {
                    let query = TermQuery::new(
                        Term::from_field_text(field, term),
                        IndexRecordOption::WithFreqs,
                    );
                    clauses.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(query), *weight)),
                    ));
                }
            }
        }
        if clauses.is_empty() {
            return HashMap::default();
        }
        let hits = match searcher.search(&BooleanQuery::new(clauses), &AllHits) {
            Ok(hits) => hits,
            Err(error) => {
                tracing::error!(%error, "index search failed");
                return HashMap::default();
            }
        };
        let mut question: HashMap<usize, f32> = HashMap::default();
        let mut body: HashMap<usize, f32> = HashMap::default();
        for (score, address) in hits {
            match self.store.docs.get(&address) {
                Some(&(doc_lang, i, true)) if doc_lang == lang => {
                    body.insert(i, score);
                }
                Some(&(doc_lang, i, false)) if doc_lang == lang => {
                    let best = question.entry(i).or_default();
                    *best = best.max(score);
                }
                _ => {}
            }
        }
        for (i, score) in body {
            *question.entry(i).or_default() += BODY_WEIGHT * score;
        }
        question
    }

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

/// Collects every matching document with its score, unsorted: the engine needs all hits
/// (a few hundred documents at most), so a top-k heap would only cost time.
pub(super) struct AllHits;

pub(super) struct SegmentHits {
    segment: SegmentOrdinal,
    hits: Vec<(Score, DocAddress)>,
}

impl Collector for AllHits {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = SegmentHits;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        _: &SegmentReader,
    ) -> tantivy::Result<SegmentHits> {
        Ok(SegmentHits {
            segment,
            hits: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentHits {
    type Fruit = Vec<(Score, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.hits.push((score, DocAddress::new(self.segment, doc)));
    }

    fn harvest(self) -> Self::Fruit {
        self.hits
    }
}
