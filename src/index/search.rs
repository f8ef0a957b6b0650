//! Everything that reads tantivy's fields: the schema, the queries, and the collector. The
//! engine asks for scores by entry and never sees a field or a document address.

use rustc_hash::FxHashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, Term};

use super::Store;
use crate::analysis;
use crate::lang::Lang;

/// The index fields, by role.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fields {
    pub id: Field,
    pub lang: Field,
    /// The entry as JSON, on its answer document: what rendering needs.
    pub entry: Field,
    /// One phrasing of the question: the title or one alternate.
    pub question: [Field; 2],
    /// The answer text.
    pub body: [Field; 2],
}

/// The schema, in one place: per-language text fields, each with its language's analyzer.
///
/// Each entry is one *answer* document (id, lang, entry, body) and one *question* document
/// per phrasing (its title and each alternate), so that BM25 compares a question with one
/// phrasing at a time, as QnA systems do, instead of with all of them run together.
pub(super) fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let id = builder.add_text_field("id", STRING | STORED);
    let lang = builder.add_text_field("lang", STRING | STORED);
    let entry = builder.add_text_field("entry", STORED);
    let text = |lang: Lang| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analysis::analyzer_name(lang))
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let mut field = |name: &str, lang: Lang| {
        builder.add_text_field(&format!("{name}_{}", lang.code()), text(lang))
    };
    let question = Lang::ALL.map(|l| field("question", l));
    let body = Lang::ALL.map(|l| field("body", l));
    let fields = Fields {
        id,
        lang,
        entry,
        question,
        body,
    };
    (builder.build(), fields)
}

/// Which part of an entry a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    /// The answer document: id, language, the entry as JSON, the answer text.
    Answer,
    /// One phrasing of the question.
    Question,
}

/// What a document stands for: `faq.lang(lang).entries[entry]`, and which part of it.
#[derive(Clone, Copy, Debug)]
pub(super) struct DocRef {
    pub lang: Lang,
    pub entry: usize,
    pub part: Part,
}

/// BM25 scores of one language's entries, by entry index: of their best-matching phrasing,
/// and of their answer text.
#[derive(Debug, Default)]
pub struct EntryScores {
    pub question: FxHashMap<usize, f32>,
    pub answer: FxHashMap<usize, f32>,
}

impl Store {
    /// Scores the entries of `lang` for weighted terms, each term a `Should` clause boosted
    /// by its weight, on the question phrasings and, `with_answer`, on the answer text.
    pub fn scores(&self, lang: Lang, terms: &[(&str, f32)], with_answer: bool) -> EntryScores {
        let l = lang.index();
        let answer = with_answer.then_some(self.fields.body[l]);
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .flat_map(|&(term, weight)| {
                std::iter::once(self.fields.question[l])
                    .chain(answer)
                    .map(move |field| {
                        let query = TermQuery::new(
                            Term::from_field_text(field, term),
                            IndexRecordOption::WithFreqs,
                        );
                        let boosted: Box<dyn Query> =
                            Box::new(BoostQuery::new(Box::new(query), weight));
                        (Occur::Should, boosted)
                    })
            })
            .collect();
        let mut scores = EntryScores::default();
        if clauses.is_empty() {
            return scores;
        }
        let searcher = self.reader.searcher();
        let hits = match searcher.search(&BooleanQuery::new(clauses), &AllHits) {
            Ok(hits) => hits,
            Err(error) => {
                tracing::error!(%error, "index search failed");
                return scores;
            }
        };
        for (score, address) in hits {
            let Some(doc) = self.docs.get(&address).filter(|d| d.lang == lang) else {
                continue;
            };
            match doc.part {
                Part::Answer => {
                    scores.answer.insert(doc.entry, score);
                }
                Part::Question => {
                    let best = scores.question.entry(doc.entry).or_default();
                    *best = best.max(score);
                }
            }
        }
        scores
    }
}

/// Collects every matching document with its score, unsorted: the engine needs all hits
/// (a few hundred documents at most), so a top-k heap would only cost time.
struct AllHits;

struct SegmentHits {
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
