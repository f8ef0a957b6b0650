//! The vocabulary and statistics of each language, built once from the FAQ an index holds:
//! analyzed terms per entry and per phrasing, document frequencies and idf, the known words
//! typo correction draws on, the synonym groups, and the Customer Care link.

use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use tantivy::tokenizer::TextAnalyzer;

use crate::analysis;
use crate::faq::{CareLink, Entry, EntryId, LangFaq};
use crate::lang::Lang;

/// The analyzed terms of one entry.
#[derive(Clone, Debug, Default)]
pub(super) struct EntryTerms {
    pub(super) all: HashSet<String>,
    /// Each phrasing of the question: the title, then the alternates.
    pub(super) questions: Vec<HashSet<String>>,
}

/// Everything the engine keeps per language.
pub(super) struct LangData {
    pub(super) entries: Vec<Arc<Entry>>,
    pub(super) by_id: HashMap<EntryId, usize>,
    pub(super) terms: Vec<EntryTerms>,
    pub(super) doc_freq: HashMap<String, u32>,
    /// Inverse document frequency of every term of the entries, computed once.
    pub(super) idf: HashMap<String, f32>,
    /// The idf of a term no entry has.
    pub(super) unknown_idf: f32,
    /// Known terms: the entries' and the synonyms'.
    pub(super) vocabulary: HashSet<String>,
    /// The terms of the page itself (titles and answers, not the alternates written for
    /// it): the topics the FAQ talks about.
    pub(super) page: HashSet<String>,
    /// The same as characters, for typo correction.
    pub(super) vocabulary_chars: Vec<(String, Vec<char>)>,
    /// Term → the phrasings (flat numbering over all entries) that contain it.
    pub(super) phrasings: HashMap<String, Vec<usize>>,
    /// Per phrasing: its entry and its idf mass. Off-topic phrasings count as one more
    /// entry, numbered `entries.len()`.
    pub(super) phrasing_entry: Vec<usize>,
    pub(super) phrasing_mass: Vec<f32>,
    /// Group → member → analyzed terms.
    pub(super) synonyms: Vec<Vec<Vec<String>>>,
    pub(super) analyzer: TextAnalyzer,
    pub(super) care: CareLink,
}

impl LangData {
    pub(super) fn idf(&self, term: &str) -> f32 {
        self.idf.get(term).copied().unwrap_or(self.unknown_idf)
    }

    /// The tables of one language, adding every word of its texts to `words` (what the
    /// language detector learns the FAQ's vocabulary from).
    pub(super) fn build(faq: &LangFaq, lang: Lang, words: &mut HashSet<String>) -> LangData {
        let mut analyzer = analysis::analyzer(lang);
        let mut doc_freq: HashMap<String, u32> = HashMap::default();
        let mut page: HashSet<String> = HashSet::default();
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
                page.extend(all.iter().cloned());
                page.extend(analysis::terms(&mut analyzer, &entry.title));
                all.extend(questions.iter().flatten().cloned());
                for term in &all {
                    *doc_freq.entry(term.clone()).or_default() += 1;
                }
                EntryTerms { all, questions }
            })
            .collect();
        let n = faq.entries.len() as f32;
        let idf_of = |df: u32| (1.0 + n / (df as f32 + 0.5)).ln();
        let idf: HashMap<String, f32> = doc_freq
            .iter()
            .map(|(t, &df)| (t.clone(), idf_of(df)))
            .collect();
        let unknown_idf = idf_of(0);
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
                phrasing_mass.push(
                    question
                        .iter()
                        .map(|t| idf.get(t).copied().unwrap_or(unknown_idf))
                        .sum(),
                );
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
            idf,
            unknown_idf,
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
            page,
            synonyms,
            analyzer,
            care: faq.care.clone(),
        }
    }
}
