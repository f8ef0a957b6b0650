//! The detector's statistical vote: a naive Bayes model over character 1-3-grams of
//! general text in the seven languages it tells apart.
//!
//! The word lists know chat and the FAQ; they know little of general Catalan, French or
//! Italian, and two general words often carry none of their words at all. The counts come
//! from langdetect's Wikipedia profiles (`src/locale/ngrams.tsv`, written by
//! `scripts/ngram-profiles.sh`), so they were fitted on nothing this repository measures.

use std::sync::LazyLock;

use rustc_hash::FxHashMap as HashMap;

use super::{BadLine, LANGS};

const N: usize = LANGS.len();

/// Log-probabilities of character n-grams per language.
#[derive(Debug)]
pub(super) struct Ngrams {
    /// ln P(gram | language), for grams some language's profile kept.
    grams: HashMap<Box<str>, [f32; N]>,
}

static EMBEDDED: LazyLock<Option<Ngrams>> = LazyLock::new(|| {
    Ngrams::parse(include_str!("../locale/ngrams.tsv"))
        .map_err(|BadLine(line, why)| {
            tracing::error!(
                line,
                why,
                "src/locale/ngrams.tsv unreadable; no n-gram vote"
            )
        })
        .ok()
});

/// The model built into the binary, parsed once; `None` if the file is damaged (a test
/// keeps it from shipping so).
pub(super) fn embedded() -> Option<&'static Ngrams> {
    EMBEDDED.as_ref()
}

impl Ngrams {
    /// Reads the counts: comment lines, a `total` header and one line per gram length
    /// with the number of grams counted, a `gram` header, then one line per gram.
    pub(super) fn parse(text: &str) -> Result<Ngrams, BadLine> {
        let mut totals: Vec<[u64; N]> = Vec::new();
        let mut counts: Vec<(&str, [u64; N])> = Vec::new();
        let mut in_grams = false;
        let mut last = 0;
        for (i, line) in text.lines().enumerate() {
            let at = i + 1;
            last = at;
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let key = fields.next().unwrap_or_default();
            if key == "total" {
                if !fields.eq(LANGS) {
                    return Err(BadLine(at, "the columns are not pt es ca fr it en de"));
                }
                continue;
            }
            if key == "gram" {
                if totals.len() != 3 || totals.iter().flatten().any(|&t| t == 0) {
                    return Err(BadLine(
                        at,
                        "three lines of positive totals expected before",
                    ));
                }
                in_grams = true;
                continue;
            }
            let mut row = [0u64; N];
            for slot in &mut row {
                let field = fields.next().ok_or(BadLine(at, "too few columns"))?;
                *slot = field
                    .parse()
                    .map_err(|_| BadLine(at, "a count is not a whole number"))?;
            }
            if fields.next().is_some() {
                return Err(BadLine(at, "too many columns"));
            }
            if in_grams {
                let len = key.chars().count();
                if !(1..=3).contains(&len) {
                    return Err(BadLine(at, "a gram has 1 to 3 characters"));
                }
                counts.push((key, row));
            } else {
                totals.push(row);
            }
        }
        if !in_grams {
            return Err(BadLine(last, "no `gram` header"));
        }
        // The profiles were cut at different depths (Catalan's keeps grams ten times
        // rarer than the others'), and a gram one profile left out is rarer there than
        // its cut. Every language is cut as shallowly as the shallowest, so that a gram
        // only Catalan kept does not count against Catalan; what falls under the cut
        // weighs half of it.
        let mut rarest = [[f64::INFINITY; N]; 3];
        for (gram, row) in &counts {
            let n = gram.chars().count() - 1;
            for (l, &c) in row.iter().enumerate() {
                if c > 0 {
                    rarest[n][l] = rarest[n][l].min(c as f64 / totals[n][l] as f64);
                }
            }
        }
        let mut cut = [0f64; 3];
        for n in 0..3 {
            if rarest[n].iter().any(|r| !r.is_finite()) {
                return Err(BadLine(last, "a language has no gram of some length"));
            }
            cut[n] = rarest[n].iter().copied().fold(0.0, f64::max);
        }
        let grams = counts
            .into_iter()
            .map(|(gram, row)| {
                let n = gram.chars().count() - 1;
                let mut logp = [0f32; N];
                for l in 0..N {
                    let share = row[l] as f64 / totals[n][l] as f64;
                    let share = if share < cut[n] { cut[n] / 2.0 } else { share };
                    logp[l] = share.ln() as f32;
                }
                (Box::from(gram), logp)
            })
            .collect();
        Ok(Ngrams { grams })
    }

    /// P(language | text) for lower-cased text, or `None` when no gram of it is known.
    pub(super) fn posteriors(&self, lower: &str) -> Option<[f32; N]> {
        let mut sum = [0f32; N];
        let mut known = 0usize;
        let mut gram = String::with_capacity(12);
        let mut padded: Vec<char> = Vec::new();
        for word in lower.split(|c: char| !c.is_alphabetic()) {
            if word.is_empty() {
                continue;
            }
            padded.clear();
            padded.push('_');
            padded.extend(word.chars());
            padded.push('_');
            for n in 1..=3 {
                for window in padded.windows(n) {
                    if n == 1 && window[0] == '_' {
                        continue;
                    }
                    gram.clear();
                    gram.extend(window);
                    if let Some(logp) = self.grams.get(gram.as_str()) {
                        for (s, lp) in sum.iter_mut().zip(logp) {
                            *s += lp;
                        }
                        known += 1;
                    }
                }
            }
        }
        if known == 0 {
            return None;
        }
        Some(super::posterior(sum))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_counts_parse_and_tell_the_languages_apart() {
        let model = embedded().expect("the embedded counts parse");
        for (text, lang) in crate::detect::samples::SENTENCES {
            let post = model.posteriors(text).expect("known grams");
            assert_eq!(crate::detect::samples::best(post), lang, "{text}");
        }
        assert!(embedded().and_then(|m| m.posteriors("🙂 123")).is_none());
    }

    #[test]
    fn a_damaged_file_names_its_line() {
        let good = "total\tpt\tes\tca\tfr\tit\ten\tde\n1\t9\t9\t9\t9\t9\t9\t9\n\
                    2\t9\t9\t9\t9\t9\t9\t9\n3\t9\t9\t9\t9\t9\t9\t9\ngram\n\
                    a\t1\t1\t1\t1\t1\t1\t1\nab\t1\t1\t1\t1\t1\t1\t1\nabc\t1\t1\t1\t1\t1\t1\t1\n";
        assert!(Ngrams::parse(good).is_ok());
        assert!(Ngrams::parse(&format!("{good}b\t1\t0\t0\t0\t0\t0\t0\n")).is_ok());
        let swapped = good.replacen("pt\tes", "es\tpt", 1);
        assert_eq!(Ngrams::parse(&swapped).expect_err("columns").0, 1);
        let bad = |line: &str| Ngrams::parse(&format!("{good}{line}\n")).map(|_| ());
        assert_eq!(bad("b\t1\t0").expect_err("short line").0, 9);
        assert_eq!(bad("abcd\t1\t0\t0\t0\t0\t0\t0").expect_err("long").0, 9);
        assert_eq!(bad("b\tinf\t0\t0\t0\t0\t0\t0").expect_err("inf").0, 9);
        assert_eq!(bad("b\t-1\t0\t0\t0\t0\t0\t0").expect_err("negative").0, 9);
        let err = Ngrams::parse("gram\na\t1\t1\t1\t1\t1\t1\t1\n").expect_err("no totals");
        assert_eq!(err.0, 1);
        let no_trigram = good.replace("abc\t1\t1\t1\t1\t1\t1\t1\n", "abc\t1\t0\t1\t1\t1\t1\t1\n");
        assert!(
            Ngrams::parse(&no_trigram).is_err(),
            "Spanish without a trigram"
        );
    }
}
