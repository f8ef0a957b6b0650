//! Language detection for short chat questions: Portuguese, Spanish, or something else.
//!
//! General detectors are unreliable on two-word, accent-less chat lines, so the evidence is
//! summed per candidate language (pt, es, and the languages customers fall back to: en,
//! fr, it, de, ca) from:
//!
//! - function and chat words (`não`/`você`/`vc` vs `usted`/`los`/`hay`…), a word shared by
//!   several languages split between them;
//! - letters and endings: `ã õ` and `-ção` vs `ñ ¿ ¡` and `-ción`, `l·l` and `-ció`…;
//! - the FAQ itself: a word that only one language's pages, alternates or synonyms use;
//! - one vote from `whichlang`, a small n-gram model, for what the lists do not cover;
//! - one vote spread by the posterior of a character n-gram model of general text that,
//!   unlike whichlang, knows Catalan (`ngrams`);
//! - a heavier vote spread by the posterior of word frequencies in general text and chat
//!   (`frequencies`): whole words tell Catalan from Spanish, and two ordinary words
//!   Portuguese from Spanish, where letters and endings cannot.
//!
//! The README gives the measurements behind this choice.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::analysis;
use crate::lang::{Detected, Lang};
use crate::locale;
use crate::tuning::{
    FAQ_WORD, FAQ_WORDS_MAX, GALICIAN_WORD, GALICIAN_X, NGRAM_VOTE, SHORT_MESSAGE, WHICHLANG,
    WORD_VOTE,
};

mod frequencies;
mod ngrams;

/// The languages of the statistical votes, in their files' column order.
const LANGS: [&str; 7] = ["pt", "es", "ca", "fr", "it", "en", "de"];

/// Why an embedded model file could not be read: a line number and what was wrong.
#[derive(Debug)]
struct BadLine(usize, &'static str);

/// P(language | text) from natural-log likelihoods summed over the text; shifted by the
/// best first, because a long text sums enough evidence to underflow `exp`.
fn posterior(log_likelihood: [f32; LANGS.len()]) -> [f32; LANGS.len()] {
    let top = log_likelihood
        .iter()
        .copied()
        .fold(f32::NEG_INFINITY, f32::max);
    let mut post = log_likelihood.map(|l| (l - top).exp());
    let total: f32 = post.iter().sum();
    for p in &mut post {
        *p /= total;
    }
    post
}

/// One sentence a language for the statistical models' tests, and the model's best guess.
#[cfg(test)]
mod samples {
    pub(super) const SENTENCES: [(&str, &str); 7] = [
        ("o que acontece com os nossos clientes", "pt"),
        ("qué pasa con nuestros clientes", "es"),
        ("què passa amb els nostres clients", "ca"),
        ("que se passe-t-il avec nos clients", "fr"),
        ("cosa succede ai nostri clienti", "it"),
        ("what happens to our customers", "en"),
        ("was passiert mit unseren kunden", "de"),
    ];

    pub(super) fn best(post: [f32; super::LANGS.len()]) -> &'static str {
        let (i, _) = post
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("seven languages");
        super::LANGS[i]
    }
}

/// The candidate languages; the last five are "other" to faqbot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cand {
    Pt,
    Es,
    En,
    Fr,
    It,
    De,
    Ca,
    /// Galician: between Portuguese and Spanish, which none of the statistical votes
    /// knows; only its own words tell it.
    Gl,
    /// Any other language (non-Latin scripts, whichlang's other languages).
    Xx,
}

const CANDS: usize = 9;

/// The detector words of every language it tells apart.
fn word_lists() -> impl Iterator<Item = (Cand, &'static str)> {
    let faq = [(Cand::Pt, Lang::Pt), (Cand::Es, Lang::Es)]
        .map(|(cand, lang)| (cand, locale::of(lang).detector_words));
    let others = locale::OTHER_DETECTOR_WORDS
        .iter()
        .map(|&(code, list)| (Cand::of(code), list));
    faq.into_iter().chain(others)
}

impl Cand {
    fn of(code: &str) -> Cand {
        match code {
            "pt" => Cand::Pt,
            "es" => Cand::Es,
            "en" => Cand::En,
            "fr" => Cand::Fr,
            "it" => Cand::It,
            "de" => Cand::De,
            "ca" => Cand::Ca,
            "gl" => Cand::Gl,
            _ => Cand::Xx,
        }
    }
}

/// Endings that mark a language, on folded words.
const SUFFIXES: &[(&str, Cand, f32)] = &[
    ("cao", Cand::Pt, 1.0),
    ("coes", Cand::Pt, 1.0),
    ("oes", Cand::Pt, 0.5),
    ("cion", Cand::Es, 1.0),
    ("ciones", Cand::Es, 1.0),
    ("zione", Cand::It, 1.0),
    ("zioni", Cand::It, 1.0),
    ("tion", Cand::En, 0.5),
    ("tion", Cand::Fr, 0.5),
    ("ung", Cand::De, 1.0),
    ("keit", Cand::De, 1.0),
    ("itzacio", Cand::Ca, 1.5),
    // Catalan `-itat` (ciutat, universitat) against Spanish `-idad`, Portuguese `-idade`.
    ("itat", Cand::Ca, 1.0),
    ("itats", Cand::Ca, 1.0),
    // Catalan `-eix` (mateix, coneix, creix).
    ("eix", Cand::Ca, 0.8),
    // French `-eux`, `-eau`, `-eaux`; the imperfect and conditional `-ait`, `-aient`
    // (était, pourrait); `-eur` (serveur, erreur); `-ique` (technique).
    ("eux", Cand::Fr, 1.0),
    ("eau", Cand::Fr, 1.0),
    ("eaux", Cand::Fr, 1.0),
    ("ait", Cand::Fr, 0.8),
    ("aient", Cand::Fr, 1.0),
    ("eur", Cand::Fr, 0.8),
    ("eurs", Cand::Fr, 0.8),
    ("ique", Cand::Fr, 0.8),
    ("iques", Cand::Fr, 0.8),
];

/// Whole words that folding would confuse: `é` (Portuguese "is") folds to `e` ("and").
const RAW_WORDS: &[(&str, Cand, f32)] = &[
    ("é", Cand::Pt, 1.5),
    // Galician accents where Portuguese has none (mais, tua, sua, minha) and its "not".
    ("máis", Cand::Gl, 2.0),
    ("túa", Cand::Gl, 2.0),
    ("súa", Cand::Gl, 2.0),
    ("miña", Cand::Gl, 2.0),
    ("non", Cand::Gl, 1.5),
    ("è", Cand::It, 1.5),
    ("és", Cand::Ca, 1.5),
    ("què", Cand::Ca, 1.5),
    ("però", Cand::Ca, 1.5),
];

/// Accented endings, on raw words: Catalan `-ció` and `-rà` against Spanish `-ción`.
const RAW_SUFFIXES: &[(&str, Cand, f32)] = &[
    ("ció", Cand::Ca, 1.5),
    ("rà", Cand::Ca, 1.0),
    // French `-ée`, `-ées` (année, entrée): no Portuguese or Spanish word ends so.
    ("ée", Cand::Fr, 1.0),
    ("ées", Cand::Fr, 1.0),
];

/// Letters that mark a language, on the raw lower-cased text.
const LETTERS: &[(char, Cand, f32)] = &[
    ('ã', Cand::Pt, 2.0),
    ('õ', Cand::Pt, 2.0),
    ('ç', Cand::Pt, 0.8),
    ('ç', Cand::Fr, 0.4),
    ('ç', Cand::Ca, 0.6),
    ('ê', Cand::Pt, 0.6),
    ('ê', Cand::Fr, 0.6),
    ('ô', Cand::Pt, 0.6),
    ('ô', Cand::Fr, 0.6),
    ('ñ', Cand::Es, 2.0),
    ('¿', Cand::Es, 3.0),
    ('¡', Cand::Es, 2.0),
    ('è', Cand::It, 1.0),
    ('è', Cand::Fr, 1.0),
    ('è', Cand::Ca, 1.0),
    ('ò', Cand::It, 1.0),
    ('ò', Cand::Ca, 1.0),
    ('ù', Cand::Fr, 1.0),
    ('ù', Cand::It, 1.0),
    ('ß', Cand::De, 2.0),
    ('ä', Cand::De, 2.0),
    ('ö', Cand::De, 2.0),
    ('ü', Cand::De, 1.5),
    ('ï', Cand::Ca, 1.0),
    ('ï', Cand::Fr, 1.0),
    ('·', Cand::Ca, 3.0),
];

/// Detects pt, es or other; built once from the FAQ's own words.
#[derive(Clone, Debug)]
pub struct Detector {
    words: HashMap<&'static str, Vec<Cand>>,
    /// Folded words that only the pt (index 0) or only the es (1) FAQ uses.
    faq_only: [HashSet<String>; 2],
    /// Folded words that both FAQs use (loanwords such as "downtime", product names).
    faq_shared: HashSet<String>,
}

impl Detector {
    /// `faq_words[lang]`: every word of that language's entries, alternates and synonyms.
    pub fn new(faq_words: [HashSet<String>; 2]) -> Detector {
        let mut words: HashMap<&'static str, Vec<Cand>> = HashMap::default();
        for (cand, list) in word_lists() {
            for word in locale::words(list) {
                let cands = words.entry(word).or_default();
                if !cands.contains(&cand) {
                    cands.push(cand);
                }
            }
        }
        let fold = |set: &HashSet<String>| -> HashSet<String> {
            set.iter().map(|w| analysis::fold(w)).collect()
        };
        let (pt, es) = (fold(&faq_words[0]), fold(&faq_words[1]));
        let faq_only = [
            pt.difference(&es).cloned().collect(),
            es.difference(&pt).cloned().collect(),
        ];
        let faq_shared = pt.intersection(&es).cloned().collect();
        Detector {
            words,
            faq_only,
            faq_shared,
        }
    }

    /// Judges the language of `text`.
    pub fn detect(&self, text: &str) -> Detected {
        let scores = self.scores(text);
        let (best, &top) = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap_or((Cand::Xx as usize, &0.0));
        // Softmax over the candidates, with "no language" at 0; shifted by the top score
        // because a long message sums enough evidence to overflow `exp`.
        let total: f32 = scores.iter().map(|s| (s - top).exp()).sum::<f32>() + (-top).exp();
        let confidence = (1.0 / total).clamp(0.0, 1.0);
        let lang = match best {
            _ if top <= 0.0 => None,
            b if b == Cand::Pt as usize => Some(Lang::Pt),
            b if b == Cand::Es as usize => Some(Lang::Es),
            _ => None,
        };
        let confidence = if top <= 0.0 { 0.0 } else { confidence };
        Detected { lang, confidence }
    }

    fn scores(&self, text: &str) -> [f32; CANDS] {
        let mut scores = [0.0f32; CANDS];
        let mut faq = [0.0f32; 2];
        // A short message made only of the FAQ's words ("fechas", "downtime") is about
        // the FAQ, whatever a general detector makes of a loanword.
        let (mut words, mut faq_words) = (0usize, 0usize);
        let lower = text.to_lowercase();
        let (mut latin, mut other) = (0usize, 0usize);
        for c in lower.chars().filter(|c| c.is_alphabetic()) {
            if c.is_ascii() || ('\u{c0}'..='\u{24f}').contains(&c) {
                latin += 1;
            } else {
                other += 1;
            }
        }
        if other > latin {
            scores[Cand::Xx as usize] = 3.0 + other.min(20) as f32 / 4.0;
            return scores;
        }
        for &(letter, cand, weight) in LETTERS {
            if lower.contains(letter) {
                scores[cand as usize] += weight;
            }
        }
        let tokens = analysis::words(&lower);
        for word in tokens.iter().map(String::as_str) {
            for &(raw, cand, weight) in RAW_WORDS {
                if word == raw {
                    scores[cand as usize] += weight;
                }
            }
            for &(suffix, cand, weight) in RAW_SUFFIXES {
                if word.len() > suffix.len() + 2 && word.ends_with(suffix) {
                    scores[cand as usize] += weight;
                }
            }
            if let Some(cand) = laughter(word) {
                scores[cand as usize] += 1.5;
            }
            let folded = analysis::fold(word);
            if let Some(cands) = self.words.get(folded.as_str()) {
                let share = 1.0 / cands.len() as f32;
                for cand in cands {
                    // Galician words are those Portuguese and Spanish do not use: each
                    // must outweigh the statistical votes, which read Galician as one of
                    // them.
                    scores[*cand as usize] += match cand {
                        Cand::Gl => GALICIAN_WORD,
                        _ => share,
                    };
                }
            }
            for &(suffix, cand, weight) in SUFFIXES {
                if folded.len() > suffix.len() + 2 && folded.ends_with(suffix) {
                    scores[cand as usize] += weight;
                }
            }
            // Galician writes the sound of "sh" as an x before a vowel at the head of
            // everyday words (xa, xente, xanela, xestión); no frequent Portuguese or
            // Spanish word starts so.
            if folded.len() >= 3
                && folded.starts_with('x')
                && folded[1..].starts_with(['a', 'e', 'i', 'o', 'u'])
            {
                scores[Cand::Gl as usize] += GALICIAN_X;
            }
            words += 1;
            if self.faq_only[0].contains(&folded) {
                faq[0] += FAQ_WORD;
                faq_words += 1;
            } else if self.faq_only[1].contains(&folded) {
                faq[1] += FAQ_WORD;
                faq_words += 1;
            } else if self.faq_shared.contains(&folded) {
                faq_words += 1;
            }
        }
        scores[Cand::Pt as usize] += faq[0].min(FAQ_WORDS_MAX);
        scores[Cand::Es as usize] += faq[1].min(FAQ_WORDS_MAX);
        if latin > 0 {
            let vote = match whichlang::detect_language(text) {
                whichlang::Lang::Por => Cand::Pt,
                whichlang::Lang::Spa => Cand::Es,
                whichlang::Lang::Eng => Cand::En,
                whichlang::Lang::Fra => Cand::Fr,
                whichlang::Lang::Ita => Cand::It,
                whichlang::Lang::Deu => Cand::De,
                _ => Cand::Xx,
            };
            scores[vote as usize] += WHICHLANG;
        }
        if let Some(post) = ngrams::embedded().and_then(|m| m.posteriors(&lower)) {
            for (code, p) in LANGS.iter().zip(post) {
                scores[Cand::of(code) as usize] += NGRAM_VOTE * p;
            }
        }
        // Words both FAQs use are product names and loanwords ("campaign standard on
        // demand", "managed services"): English to the lists, the topic to the customer.
        let shared = |word: &str| self.faq_shared.contains(word);
        if let Some(post) =
            frequencies::embedded().posteriors(tokens.iter().map(String::as_str), shared)
        {
            for (code, p) in LANGS.iter().zip(post) {
                scores[Cand::of(code) as usize] += WORD_VOTE * p;
            }
        }
        if words > 0 && words <= SHORT_MESSAGE && faq_words == words {
            let faq_langs = scores[Cand::Pt as usize].max(scores[Cand::Es as usize]);
            for (i, score) in scores.iter_mut().enumerate() {
                if i != Cand::Pt as usize && i != Cand::Es as usize {
                    *score = score.min(faq_langs);
                }
            }
            // Shared words alone: both equally, ties going to the first FAQ language.
            scores[Cand::Pt as usize] += FAQ_WORD / 2.0 + f32::EPSILON;
            scores[Cand::Es as usize] += FAQ_WORD / 2.0;
        }
        scores
    }
}

/// Chat laughter marks its language: `kkkk` and `rsrs` in Brazil, `jajaja` and `jeje` in
/// Spanish.
fn laughter(word: &str) -> Option<Cand> {
    let only = |unit: &str| {
        word.len() >= 2 * unit.len()
            && word
                .as_bytes()
                .chunks(unit.len())
                .all(|c| unit.as_bytes().starts_with(c))
    };
    if word.len() >= 3 && word.bytes().all(|b| b == b'k') || only("rs") {
        Some(Cand::Pt)
    } else if only("ja") || only("je") || only("ji") {
        Some(Cand::Es)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> Detector {
        let words = |s: &str| s.split_whitespace().map(String::from).collect();
        Detector::new([
            words("atualização obrigatória clientes quando"),
            words("actualización obligatoria clientes cuando"),
        ])
    }

    fn code(text: &str) -> &'static str {
        detector().detect(text).code()
    }

    #[test]
    fn a_short_message_of_faq_words_is_in_a_faq_language() {
        let words = |s: &str| s.split_whitespace().map(String::from).collect();
        let detector = Detector::new([
            words("atualização datas downtime email"),
            words("actualización fechas downtime email"),
        ]);
        assert!(
            detector.detect("downtime").lang.is_some(),
            "a loanword of both pages"
        );
        assert!(detector.detect("downtime email").lang.is_some());
        assert_eq!(detector.detect("fechas").lang, Some(Lang::Es));
        assert_eq!(detector.detect("datas").lang, Some(Lang::Pt));
        assert_eq!(
            detector.detect("is the downtime long").lang,
            None,
            "English around it"
        );
        assert_eq!(detector.detect("hello world").lang, None);
    }

    #[test]
    fn pt_and_es_without_accents() {
        assert_eq!(code("a atualizacao e obrigatoria?"), "pt");
        assert_eq!(code("la actualizacion es obligatoria?"), "es");
        assert_eq!(code("vc sabe qnd vai ser?"), "pt");
        assert_eq!(code("¿cuándo?"), "es");
        assert_eq!(code("não"), "pt");
        assert_eq!(code("é opcional?"), "pt");
        assert_eq!(code("kkkkkk"), "pt");
        assert_eq!(code("jajaja"), "es");
    }

    #[test]
    fn the_faq_words_cannot_outvote_another_languages_grammar() {
        // Words of the Spanish pages (campaign, infrastructure, migration…) in a French
        // sentence: one FAQ word's worth of evidence, not one per word.
        let words = |s: &str| s.split_whitespace().map(String::from).collect();
        let d = Detector::new([
            words("atualização campanhas infraestrutura"),
            words("campañas infraestructura migración fechas correo actualización plataforma"),
        ]);
        let french = "nous avons une question sur la infraestructura de la plataforma et les \
                      fechas de la migración pour nos campañas de correo";
        assert_eq!(d.detect(french).code(), "other");
        assert_eq!(d.detect("fechas migración?").code(), "es");
    }

    #[test]
    fn every_language_of_the_ngram_counts_is_a_candidate() {
        for code in LANGS {
            assert_ne!(Cand::of(code), Cand::Xx, "{code}");
        }
    }

    #[test]
    fn whole_words_tell_catalan_and_short_lines_apart() {
        assert_eq!(code("Quins clients estan afectats?"), "other");
        assert_eq!(code("He de fer alguna cosa?"), "other");
        assert_eq!(code("lorem ipsum dolor sit amet"), "other");
        assert_eq!(code("o que esperar?"), "pt");
        assert_eq!(code("hay forma de no participar?"), "es");
    }

    #[test]
    fn product_names_both_faqs_use_do_not_make_a_line_english() {
        let words = |s: &str| s.split_whitespace().map(String::from).collect();
        let d = Detector::new([
            words("campaign standard on demand managed cloud services clientes afetados"),
            words("campaign standard on demand managed cloud services clientes afectados"),
        ]);
        assert_eq!(
            d.detect("isso vale pro campaign standard on demand?")
                .code(),
            "pt"
        );
        assert_eq!(
            d.detect("aplica a Campaign Classic con Managed Services??")
                .code(),
            "es"
        );
        assert_eq!(
            d.detect("does it apply to campaign standard on demand?")
                .code(),
            "other"
        );
    }

    #[test]
    fn long_messages_keep_a_finite_confidence() {
        let d = detector();
        for text in ["atualização ".repeat(400), "actualización ".repeat(400)] {
            let got = d.detect(&text);
            assert!(got.lang.is_some(), "{got:?}");
            assert!(
                got.confidence.is_finite() && got.confidence > 0.9,
                "{got:?}"
            );
        }
    }

    #[test]
    fn foreign_languages_are_other() {
        assert_eq!(code("When will the upgrade happen?"), "other");
        assert_eq!(code("Quand aura lieu la mise à jour ?"), "other");
        assert_eq!(code("Quando avverrà l'aggiornamento?"), "other");
        assert_eq!(code("Wann findet die Aktualisierung statt?"), "other");
        assert_eq!(code("Quan es farà l'actualització?"), "other");
        // Catalan function words Portuguese and Spanish lack (read as pt without them),
        // and the French ending `-ée` (read as es without it).
        assert_eq!(code("Fins ara no ho sabem"), "other");
        assert_eq!(code("Entrée principale"), "other");
        assert_eq!(code("Когда будет обновление?"), "other");
        assert_eq!(code("🙂🙂"), "other");
        assert_eq!(detector().detect("").confidence, 0.0);
    }
}
