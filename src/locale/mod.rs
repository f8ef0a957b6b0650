//! What faqbot knows of each language, one folder per language: the words its analyzer
//! drops, keeps and writes out, its small talk, its words for the language detector, and
//! the phrases a customer reads. Lists are plain text files (`#` starts a comment) read with
//! `include_str!`, so adding a language, or a word, touches that language's folder only.
//! Languages without FAQ pages (en, fr, it, de, ca, gl) have only detector words.

use std::sync::LazyLock;

use crate::lang::Lang;

mod es;
mod pt;

/// Everything faqbot knows of one FAQ language.
pub struct Locale {
    /// The Snowball stop words, as tantivy ships them.
    pub stop_words: &'static str,
    /// Words of chat that carry no more meaning than stop words.
    pub chat_stop_words: &'static str,
    /// Stop words kept because they tell what is asked (question words, negation).
    pub kept_words: &'static str,
    /// `shorthand word` a line.
    pub shorthands: &'static str,
    /// `first second joined` a line.
    pub question_pairs: &'static str,
    /// The first word of a question and what it becomes there (Spanish `que` → `qué`).
    pub opening: Option<(&'static str, &'static str)>,
    /// Folded words of greetings, thanks, goodbyes and bare yes or no.
    pub small_talk: &'static str,
    /// The small-talk words that thank.
    pub thanks: &'static str,
    /// Folded words that greet or check that someone is there ("testando", "alguém aí").
    pub greetings: &'static str,
    /// Folded words that acknowledge an answer ("ok", "blz", "vale").
    pub acknowledgements: &'static str,
    /// Folded frequent words: votes for this language in the detector.
    pub detector_words: &'static str,
    pub messages: Messages,
}

/// The locale of a FAQ language.
pub fn of(lang: Lang) -> &'static Locale {
    match lang {
        Lang::Pt => &pt::LOCALE,
        Lang::Es => &es::LOCALE,
    }
}

/// Detector words of the languages the detector tells apart from the FAQ's, by code.
pub const OTHER_DETECTOR_WORDS: [(&str, &str); 6] = [
    ("en", include_str!("en/detector-words.txt")),
    ("fr", include_str!("fr/detector-words.txt")),
    ("it", include_str!("it/detector-words.txt")),
    ("de", include_str!("de/detector-words.txt")),
    ("ca", include_str!("ca/detector-words.txt")),
    ("gl", include_str!("gl/detector-words.txt")),
];

/// English small talk: customers of both pages greet and thank in it too.
pub const ENGLISH_SMALL_TALK: &str = include_str!("en/small-talk.txt");
/// The English words of it that thank.
pub const ENGLISH_THANKS: &str = include_str!("en/thanks.txt");

/// Every list the analyzer reads, in a fixed order: an index analyzed with other lists
/// than this build's is not served (its fingerprint says so).
pub fn analysis_lists() -> Vec<&'static str> {
    Lang::ALL
        .iter()
        .flat_map(|&lang| {
            let l = of(lang);
            let (from, to) = l.opening.unwrap_or(("", ""));
            [
                l.stop_words,
                l.chat_stop_words,
                l.kept_words,
                l.shorthands,
                l.question_pairs,
                from,
                to,
            ]
        })
        .collect()
}

/// The lines of a list without comments and blank lines.
pub fn lines(list: &'static str) -> impl Iterator<Item = &'static str> {
    list.lines()
        .map(|line| line.split_once('#').map_or(line, |(kept, _)| kept).trim())
        .filter(|line| !line.is_empty())
}

/// The words of a list.
pub fn words(list: &'static str) -> impl Iterator<Item = &'static str> {
    lines(list).flat_map(str::split_whitespace)
}

/// The rows of a list of `N` words a line; a line of another length is a mistake in the
/// file, caught by this module's tests.
pub fn rows<const N: usize>(list: &'static str) -> Vec<[&'static str; N]> {
    lines(list)
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words.try_into().ok()
        })
        .collect()
}

/// All small-talk words of both FAQ languages and English, folded: greetings,
/// acknowledgements, thanks and their fillers.
pub static SMALL_TALK: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    Lang::ALL
        .iter()
        .flat_map(|&l| [of(l).small_talk, of(l).greetings, of(l).acknowledgements])
        .chain([ENGLISH_SMALL_TALK])
        .flat_map(words)
        .collect()
});

/// The greeting and "anyone there?" words of both FAQ languages, folded.
pub static GREETINGS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    Lang::ALL
        .iter()
        .flat_map(|&l| words(of(l).greetings))
        .collect()
});

/// The words that make a message small talk whatever else it says (thanks, greetings,
/// acknowledgements, not their fillers), folded: "muito obrigado, ajudou bastante". Stop
/// words ("e", "de", "esta") and the weakest nods ("bom", "ah") mark nothing alone.
pub static MARKERS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let weak: Vec<&str> = Lang::ALL
        .iter()
        .flat_map(|&l| words(of(l).stop_words))
        .chain([
            "bom", "boa", "ah", "si", "sim", "ya", "ta", "tem", "hay", "ai", "va",
        ])
        .collect();
    Lang::ALL
        .iter()
        .flat_map(|&l| [of(l).thanks, of(l).greetings, of(l).acknowledgements])
        .flat_map(words)
        .chain(words(ENGLISH_THANKS))
        .filter(|w| !weak.contains(w))
        .collect()
});

/// Words that ask, folded: small talk around one of them is a question ("gracias, y
/// cuánto dura").
pub const QUESTION_WORDS: &[&str] = &[
    "que", "qual", "quais", "quando", "quanto", "quanta", "quantos", "como", "onde", "quem",
    "porque", "pq", "cual", "cuales", "cuando", "cuanto", "cuanta", "cuantos", "donde", "quien",
    "porque", "xq", "q", "oq",
];

/// The acknowledging words of both FAQ languages, folded.
pub static ACKNOWLEDGEMENTS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    Lang::ALL
        .iter()
        .flat_map(|&l| words(of(l).acknowledgements))
        .collect()
});

/// All thanking words of both FAQ languages and English, folded.
pub static THANKS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    Lang::ALL
        .iter()
        .map(|&l| of(l).thanks)
        .chain([ENGLISH_THANKS])
        .flat_map(words)
        .collect()
});

/// Fixed phrases in one language.
pub struct Messages {
    pub did_you_mean: &'static str,
    /// The answer to thanks.
    pub thanks: &'static str,
    /// The answer to "ok", "👍", "kkkk": a nod, and the door left open.
    pub acknowledgement: &'static str,
    /// Opens the choices offered when no entry is sure enough.
    pub clarify: &'static str,
    pub not_sure: &'static str,
    /// After one word that could be about several things: asks for a bit more.
    pub vague: &'static str,
    pub out_of_scope: &'static str,
    pub greeting: &'static str,
    pub empty: &'static str,
    pub other_language: &'static str,
    pub contact: &'static str,
    pub text_only: &'static str,
    pub lang_set: &'static str,
    pub lang_usage: &'static str,
    /// After a number none of the offered entries has; followed by the highest number.
    pub pick_range: &'static str,
    pub command_start: &'static str,
    pub command_lang: &'static str,
    /// Example questions shown by /start and /help.
    pub examples: [&'static str; 4],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_line_has_its_shape() {
        for lang in Lang::ALL {
            let l = of(lang);
            for (name, list, n) in [
                ("shorthands", l.shorthands, 2),
                ("question-pairs", l.question_pairs, 3),
            ] {
                for line in lines(list) {
                    assert_eq!(
                        line.split_whitespace().count(),
                        n,
                        "{lang}/{name}: {line:?}"
                    );
                }
            }
            assert_eq!(rows::<2>(l.shorthands).len(), lines(l.shorthands).count());
            for (name, list) in [
                ("small-talk", l.small_talk),
                ("thanks", l.thanks),
                ("greetings", l.greetings),
                ("acknowledgements", l.acknowledgements),
                ("detector-words", l.detector_words),
            ] {
                for word in words(list) {
                    assert_eq!(
                        word,
                        crate::analysis::fold(word),
                        "{lang}/{name}: folded words only"
                    );
                }
            }
            for thanks in words(l.thanks) {
                assert!(
                    words(l.small_talk).any(|w| w == thanks),
                    "{lang}: {thanks} is small talk"
                );
            }
            assert!(words(l.stop_words).count() > 100, "{lang}");
        }
        assert_eq!(rows::<2>("a b\n# c d e\nf g h\n"), vec![["a", "b"]]);
    }
}
