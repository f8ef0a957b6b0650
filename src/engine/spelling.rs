//! Spelling: a question word one typo away from a term of the FAQ is read as that term.

use super::LangData;
pub(super) use crate::tuning::MIN_CORRECTED_LEN;

/// The known term one edit (insert, delete, substitute, swap) away from `term`, preferring
/// the most frequent one.
pub(super) fn correction(term: &str, data: &LangData) -> Option<String> {
    let term: Vec<char> = term.chars().collect();
    data.vocabulary_chars
        .iter()
        .filter(|(_, known)| {
            known.len() >= MIN_CORRECTED_LEN - 1
                && known.len().abs_diff(term.len()) <= 1
                && one_edit(&term, known)
        })
        .max_by_key(|(known, _)| {
            (
                data.doc_freq.get(known).copied().unwrap_or(0),
                std::cmp::Reverse(known.clone()),
            )
        })
        .map(|(known, _)| known.clone())
}

/// Whether `a` and `b` differ by exactly one insertion, deletion, substitution or swap of
/// neighbours.
fn one_edit(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match diff[..] {
                [_] => true,
                [i, j] => j == i + 1 && a[i] == b[j] && a[j] == b[i],
                _ => false,
            }
        }
        1 => {
            let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
            short[prefix..] == long[prefix + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_distance() {
        let e = |a: &str, b: &str| {
            one_edit(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        assert!(e("atualizaca", "atualisaca"));
        assert!(e("obrigatori", "obrigatri"));
        assert!(e("inatividad", "inatvidad"));
        assert!(e("ambient", "ambeint"));
        assert!(e("ambient", "ambientx"));
        assert!(!e("ambient", "ambient"));
        assert!(!e("ambient", "abmeint"));
        assert!(!e("ambient", "ambientxy"));
    }
}
