//! The detector's word vote: naive Bayes over how often each word is used in general text
//! and chat of the seven languages it tells apart.
//!
//! Character n-grams see `-ció` and `-ción` as near neighbours; whole words do not: `amb`,
//! `els`, `aquest` are everyday Catalan and rare anywhere else, and two ordinary words
//! ("muito mais", "preguntas frecuentes") usually settle Portuguese against Spanish. The
//! frequencies are wordfreq's (`src/locale/word-frequencies.tsv`, written by
//! `scripts/word-frequencies.sh`), fitted on nothing this repository measures.

use std::borrow::Cow;
use std::sync::LazyLock;

#[cfg(test)]
use super::BadLine;
use super::LANGS;
use crate::analysis;

const N: usize = LANGS.len();

/// Centibels of a word a language's list does not hold: the lists stop at 10^-6 (599), so
/// an absent word is taken as ten times rarer than the rarest listed.
const ABSENT: u16 = 700;

/// How much more often (in centibels: 100 is ten times) another language must use a word
/// both FAQs use before the word is taken for a loanword and left out of the vote.
const LOANWORD_LEAD: u16 = 100;

/// The Portuguese and Spanish columns.
const PT: usize = 0;
const ES: usize = 1;

/// What a missing accent costs, in centibels: "esta" read as "está" is a little less
/// likely than a word typed as listed, so that where both forms exist the typed one leads.
const FOLDED: u16 = 30;

/// Word frequencies per language, in centibels (a word at `b` has frequency 10^(-b/100)):
/// the sorted lines of `src/locale/word-frequencies.tsv`, searched in place.
///
/// 190,000 words read into a map took 90 ms and 12 MB on every start of `faqbot ask`; a
/// binary search over the text built into the binary, narrowed by the lines' first two
/// bytes, costs one pass over the text on the first question (a few ms) and a few
/// microseconds a question.
#[derive(Debug)]
pub(super) struct Frequencies {
    /// The lines after the header comments, each `word<TAB>as listed<TAB>as folded`,
    /// sorted by the word's bytes.
    body: &'static str,
    /// Where the lines starting with each two bytes start, in order. A one-byte word's
    /// second byte is its tab, which sorts before every letter, so this order is the
    /// words' order.
    buckets: Vec<([u8; 2], usize)>,
}

/// One word's centibels per language, `ABSENT` where a list lacks it.
type Row = [u16; N];

/// The file built into the binary; `tests::the_embedded_file_is_well_formed` keeps it
/// from shipping damaged, and a damaged line reads as an absent word, never a panic.
pub(super) fn embedded() -> &'static Frequencies {
    static EMBEDDED: LazyLock<Frequencies> =
        LazyLock::new(|| Frequencies::new(include_str!("../locale/word-frequencies.tsv")));
    &EMBEDDED
}

impl Frequencies {
    /// Takes the file's text: skips the comment lines at the top and notes where each
    /// two-byte prefix starts, in one pass and without copying.
    pub(super) fn new(text: &'static str) -> Frequencies {
        let mut body = text;
        while body.starts_with('#') {
            body = body.split_once('\n').map_or("", |(_, rest)| rest);
        }
        let mut buckets: Vec<([u8; 2], usize)> = Vec::new();
        let mut start = 0;
        for line in body.split_inclusive('\n') {
            let prefix = two_bytes(line);
            if buckets.last().is_none_or(|&(last, _)| last != prefix) {
                buckets.push((prefix, start));
            }
            start += line.len();
        }
        Frequencies { body, buckets }
    }

    /// Checks every line: three fields, a word of letters, cells of a language and a
    /// bucket from 0 to 699, words in strictly increasing byte order, and every language
    /// present. Line numbers count from the first line after the comments. Only the tests
    /// run it: the file is built into the binary, and reading it whole costs the start-up
    /// time the search saves.
    #[cfg(test)]
    pub(super) fn check(&self) -> Result<(), BadLine> {
        let mut previous: Option<&str> = None;
        let mut seen = [false; N];
        for (i, line) in self.body.lines().enumerate() {
            let at = i + 1;
            let mut fields = line.split('\t');
            let (Some(word), Some(listed), Some(folded), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(BadLine(at, "three tab-separated fields expected"));
            };
            if word.is_empty() || !word.chars().all(char::is_alphabetic) {
                return Err(BadLine(at, "a word with something other than letters"));
            }
            if previous.is_some_and(|p| p >= word) {
                return Err(BadLine(at, "words out of order or repeated"));
            }
            previous = Some(word);
            for cell in [listed, folded] {
                let row = parse_cell(cell).ok_or(BadLine(at, "a cell is not `pt123 es456…`"))?;
                for (s, &b) in seen.iter_mut().zip(&row) {
                    *s |= b < ABSENT;
                }
            }
        }
        if seen.contains(&false) {
            return Err(BadLine(
                self.body.lines().count(),
                "a language has no word at all",
            ));
        }
        Ok(())
    }

    /// The line of `word`, by binary search over the lines sharing its first two bytes.
    fn line(&self, word: &str) -> Option<&'static str> {
        let body = self.body;
        let bytes = body.as_bytes();
        let prefix = two_bytes(word);
        let i = self
            .buckets
            .binary_search_by(|(p, _)| p.cmp(&prefix))
            .ok()?;
        let (mut lo, mut hi) = (
            self.buckets[i].1,
            self.buckets.get(i + 1).map_or(body.len(), |&(_, at)| at),
        );
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let start = bytes[lo..mid]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(lo, |p| lo + p + 1);
            let end = bytes[mid..hi]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(hi, |p| mid + p);
            let line = body.get(start..end)?;
            let key = line.split('\t').next().unwrap_or_default();
            match key.cmp(word) {
                std::cmp::Ordering::Equal => return Some(line),
                std::cmp::Ordering::Less => lo = end + 1,
                std::cmp::Ordering::Greater => hi = start,
            }
        }
        None
    }

    /// A word's rows as listed and as the folded form of accented words.
    fn rows(&self, word: &str) -> (Option<Row>, Option<Row>) {
        let Some(line) = self.line(word) else {
            return (None, None);
        };
        let mut fields = line.split('\t').skip(1);
        let mut next = || {
            fields
                .next()
                .and_then(parse_cell)
                .filter(|row| row.iter().any(|&b| b < ABSENT))
        };
        let listed = next();
        (listed, next())
    }

    /// A word's centibels per language: as typed when a list holds it that way (an accent
    /// the customer typed tells the language: `qué`, `què`, `é`), else with its accents
    /// restored ("atualizacao" for "atualização") or wrong ones dropped; `None` when no
    /// list holds it.
    fn lookup(&self, word: &str) -> Option<Row> {
        if word.is_empty() {
            return None;
        }
        // Lower-case ASCII folds to itself: most chat words skip the normalization.
        // wordfreq case-folds, so its German lists spell `ß` as `ss`.
        let plain = if word.bytes().all(|b| b.is_ascii_lowercase()) {
            Cow::Borrowed(word)
        } else {
            Cow::Owned(analysis::fold(word).replace('ß', "ss"))
        };
        let (as_typed, typed_folded) = self.rows(word);
        let (as_plain, unaccented) = if plain != word {
            if as_typed.is_some() {
                return as_typed;
            }
            self.rows(&plain)
        } else {
            (None, typed_folded)
        };
        if as_typed.is_none() && unaccented.is_none() && as_plain.is_none() {
            return None;
        }
        Some(std::array::from_fn(|l| {
            let typed = as_typed.map_or(ABSENT, |row| row[l]);
            let loose = [unaccented, as_plain]
                .into_iter()
                .flatten()
                .map(|row| row[l].saturating_add(FOLDED))
                .min()
                .unwrap_or(ABSENT);
            typed.min(loose).min(ABSENT)
        }))
    }

    /// P(language | words), or `None` when no word is listed.
    ///
    /// `topic` names the words both FAQs use. Product names and loanwords among them
    /// ("campaign standard on demand", "managed services") are English to general text; a
    /// customer writes them for the topic, not for the language, so a topic word that
    /// another language uses far more than Portuguese and Spanish (`LOANWORD_LEAD`) is left
    /// out. Ordinary words the FAQs share with Catalan or Italian (`ha`, `entre`) still count.
    pub(super) fn posteriors<'w>(
        &self,
        words: impl IntoIterator<Item = &'w str>,
        topic: impl Fn(&str) -> bool,
    ) -> Option<[f32; N]> {
        let mut centibels = [0u64; N];
        let mut known = false;
        for word in words {
            let Some(row) = self.lookup(word) else {
                continue;
            };
            let faq_langs = row[PT].min(row[ES]);
            let others = row.iter().enumerate().filter(|&(l, _)| l != PT && l != ES);
            let elsewhere = others.map(|(_, &c)| c).min().unwrap_or(ABSENT);
            if elsewhere.saturating_add(LOANWORD_LEAD) <= faq_langs && topic(&analysis::fold(word))
            {
                continue;
            }
            known = true;
            for (sum, &c) in centibels.iter_mut().zip(&row) {
                *sum += u64::from(c);
            }
        }
        if !known {
            return None;
        }
        // Relative to the best before the cast, so that a long text keeps its precision.
        let least = centibels.iter().copied().min().unwrap_or(0);
        let ln = centibels.map(|c| -((c - least) as f32) / 100.0 * std::f32::consts::LN_10);
        Some(super::posterior(ln))
    }
}

/// The first two bytes of a line or a word, a word's end read as the tab that ends it on
/// its line.
fn two_bytes(text: &str) -> [u8; 2] {
    let mut bytes = text.bytes().chain(std::iter::repeat(b'\t'));
    [bytes.next().unwrap_or(b'\t'), bytes.next().unwrap_or(b'\t')]
}

/// `pt123 es456`: a language's code and a bucket from 0 to 699, per language it lists;
/// `None` if anything else is there.
fn parse_cell(cell: &str) -> Option<Row> {
    let mut row = [ABSENT; N];
    for item in cell.split(' ').filter(|item| !item.is_empty()) {
        let (code, bucket) = (item.get(..2)?, item.get(2..)?);
        let l = LANGS.iter().position(|&c| c == code)?;
        row[l] = bucket.parse().ok().filter(|&b| b < ABSENT)?;
    }
    Some(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::samples;

    fn words(text: &str) -> impl Iterator<Item = &str> {
        text.split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
    }

    /// The best language of `text`, every word of it counting.
    fn best(text: &str) -> &'static str {
        let post = embedded()
            .posteriors(words(text), |_| false)
            .expect("known words");
        samples::best(post)
    }

    #[test]
    fn the_embedded_lists_tell_the_languages_apart() {
        for (text, lang) in samples::SENTENCES {
            assert_eq!(best(text), lang, "{text}");
        }
        assert!(
            embedded()
                .posteriors(["🙂", "123", "zzqx"], |_| false)
                .is_none()
        );
    }

    #[test]
    fn a_word_typed_without_its_accents_still_counts() {
        assert_eq!(best("atualizacao obrigatoria"), "pt");
        assert_eq!(best("actualizacion obligatoria"), "es");
    }

    #[test]
    fn an_accent_the_customer_typed_tells_the_language() {
        // Folded, each of these is a commoner word of another language (`que`, `e`, `es`).
        assert_eq!(best("qué"), "es");
        assert_eq!(best("què"), "ca");
        assert_eq!(best("é"), "pt");
        assert_eq!(best("és"), "ca");
        assert_eq!(best("heißt"), "de");
    }

    #[test]
    fn only_the_faqs_loanwords_are_left_out() {
        // Every word a FAQ word: `ha` and `més` (folded `mes`) are Catalan first, but
        // Spanish uses them too, so they still count; English product names do not.
        let everything = |_: &str| true;
        let post = embedded().posteriors(words("hi ha més"), everything);
        assert_eq!(post.map(samples::best), Some("ca"));
        let post = embedded().posteriors(words("campaign standard managed services"), everything);
        assert_eq!(post, None);
    }

    #[test]
    fn the_columns_named_here_are_the_files() {
        assert_eq!((LANGS[PT], LANGS[ES]), ("pt", "es"));
    }

    #[test]
    fn the_embedded_file_is_well_formed() {
        let text = include_str!("../locale/word-frequencies.tsv");
        if let Err(BadLine(line, why)) = Frequencies::new(text).check() {
            panic!("word-frequencies.tsv, line {line} after the comments: {why}");
        }
    }

    #[test]
    fn every_listed_word_is_found() {
        let model = embedded();
        for (i, line) in model.body.lines().enumerate() {
            let word = line.split('\t').next().unwrap_or_default();
            assert_eq!(model.line(word), Some(line), "line {i}");
        }
        assert_eq!(model.line(""), None);
        assert_eq!(model.line("zzzzzzzzzz"), None);
        assert_eq!(model.line("\u{10ffff}"), None);
    }

    #[test]
    fn a_damaged_file_names_its_line() {
        let good = "# c\na\tpt1 es1 ca1\t\nb\tfr1 it1 en1 de1\tpt9\n";
        assert!(Frequencies::new(good).check().is_ok());
        let bad = |lines: &'static str| Frequencies::new(lines).check().expect_err(lines).0;
        assert_eq!(bad("a\tpt1 es1 ca1\t\nb\tfr1 it1 en1 de1\n"), 2);
        assert_eq!(bad("a\tpt1 es1 ca1\t\nb\tfr1 it1 en1 de1\t\tx\n"), 2);
        assert_eq!(bad("a\tpt1 es1 ca1\t\nb1\tfr1 it1 en1 de1\t\n"), 2);
        assert_eq!(bad("b\tpt1 es1 ca1\t\na\tfr1 it1 en1 de1\t\n"), 2);
        assert_eq!(bad("a\tpt1 es1 ca1\t\na\tfr1 it1 en1 de1\t\n"), 2);
        assert_eq!(bad("a\tpt1 es1 ca1\t\nb\txx1 fr1 it1 en1 de1\t\n"), 2);
        assert_eq!(bad("a\tpt1 es1 ca1\t\nb\tfr-1 it1 en1 de1\t\n"), 2);
        assert_eq!(bad("a\tpt1 es1 ca1\t\nb\tfr700 it1 en1 de1\t\n"), 2);
        assert_eq!(bad("a\tpt1 es1 ca1\t\nb\tfrinf it1 en1 de1\t\n"), 2);
        assert_eq!(bad("a\tpt1 es1 ca1\t\nb\tit1 en1 de1\t\n"), 2, "no French");
        // A damaged line is an absent word to the search, not a panic.
        let damaged = Frequencies::new("a\tpt1\t\nb\tfr0 xx\nc\tes1\t\n");
        assert_eq!(damaged.rows("b"), (None, None));
        assert_eq!(damaged.rows("c").0.map(|row| row[1]), Some(1));
    }
}
