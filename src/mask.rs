//! Customers' words made safe to keep and to show: personal data masked before anything is
//! written down, and control characters escaped before a logged line reaches a terminal.

/// Masks personal data in a customer's text: e-mail addresses (also written `ana @x.com`,
/// `ana(at)x.com`, `ana arroba x.com`) become `[email]`, what follows "senha", "contraseña"
/// or "password" becomes `[secret]`, and runs of seven or more digits (phones, tax and
/// identity numbers, split by spaces, dashes, dots, slashes, underscores or brackets, with
/// `O`/`l`/`S` look-alikes among them) become `[number]`; short identity numbers with
/// letters (a NIE, a CPF's last part) too. Dates, times and years are kept
/// (`15/01/2024 10`, `2023-2024`, `entre 2023 o 2024`).
///
/// It works on a normalized copy (NFKC, so full-width `＠` and digits are plain ones, and
/// other scripts' digits as ASCII): a mask that only knew ASCII leaked the rest.
pub fn mask_personal_data(text: &str) -> String {
    use std::sync::LazyLock;
    use unicode_normalization::UnicodeNormalization;

    use regex::{Captures, Regex};
    static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)[\w.+-]+(?:\s*@\s*|\s*[(\[]\s*at\s*[)\]]\s*|\s+arroba\s+)[\w-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*[\w-]+)*\.[a-z]{2,}\b",
        )
        .expect("a valid pattern")
    });
    static SECRET: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\b(senha|contrase[ñn]a|password|passwd|clave|pwd)(\s*(?:[ée]|es|is|:|=)\s*)(\S+)",
        )
        .expect("a valid pattern")
    });
    // Digits and look-alike letters between them, with separators.
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
        // Pieces holding a real digit (look-alikes only beside digits: `o` alone is a word),
        // joined by up to three separators.
        Regex::new(r"\+?\(?[OolIS]*\d[\dOolIS]*(?:[\s./_()-]{1,3}[OolIS]*\d[\dOolIS]*)*\)?")
            .expect("a valid pattern")
    });

    // Letters and at least five digits in one word: identity and document numbers.
    static ID: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b[\dA-Za-z][\dA-Za-z-]*\b").expect("a valid pattern"));
    let normalized: String = text.nfkc().map(ascii_digit).collect();
    let masked = EMAIL.replace_all(&normalized, "[email]");
    let masked = SECRET.replace_all(&masked, "$1$2[secret]");
    let masked = NUMBER.replace_all(&masked, |c: &Captures| {
        let run = c[0].trim();
        let digits = run.chars().filter(char::is_ascii_digit).count();
        let real = digits >= 5 && digits * 2 > run.chars().filter(|c| c.is_alphanumeric()).count();
        if real && digits >= 7 && !is_date(run) {
            let trailing = &c[0][c[0].trim_end().len()..];
            format!("[number]{trailing}")
        } else {
            c[0].to_string()
        }
    });
    ID.replace_all(&masked, |c: &Captures| {
        let word = &c[0];
        let digits = word.chars().filter(char::is_ascii_digit).count();
        let letters = word.chars().any(|c| c.is_ascii_alphabetic());
        if digits >= 5 && letters {
            "[number]".to_string()
        } else {
            word.to_string()
        }
    })
    .into_owned()
}

/// Dates, times and years (`15/01/2024 10`, `2023-2024`): groups of one or two digits and
/// years, with at least one year. A phone number has longer groups that are not years.
fn is_date(run: &str) -> bool {
    let groups: Vec<&str> = run
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|g| !g.is_empty())
        .collect();
    let year = |g: &&str| g.len() == 4 && (g.starts_with("19") || g.starts_with("20"));
    groups.iter().any(year)
        && groups
            .iter()
            .all(|g| year(g) || (g.len() <= 2 && g.bytes().all(|b| b.is_ascii_digit())))
}

/// A decimal digit of any script as its ASCII digit (NFKC leaves Arabic-Indic, Devanagari
/// and other scripts' digits as they are).
fn ascii_digit(c: char) -> char {
    const ZEROS: [u32; 6] = [0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0E50];
    let code = u32::from(c);
    ZEROS
        .iter()
        .find(|&&zero| (zero..zero + 10).contains(&code))
        .and_then(|&zero| char::from_digit(code - zero, 10))
        .unwrap_or(c)
}

/// Control characters (ESC, newlines, DEL, C1) and bidirectional overrides as `\u{…}`:
/// the rest of the text as it is.
pub fn escape(text: &str) -> String {
    let bidi = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || bidi(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_masked() {
        assert_eq!(
            mask_personal_data("sou ana@empresa.com.br, tel +55 (11) 98765-4321, ok?"),
            "sou [email], tel [number], ok?"
        );
        assert_eq!(
            mask_personal_data("janeiro de 2024, 3 dias"),
            "janeiro de 2024, 3 dias"
        );
        assert_eq!(mask_personal_data("@bot hola"), "@bot hola");
    }

    #[test]
    fn personal_data_in_disguise_is_masked() {
        let leaks = [
            ("escreva para ana @empresa.com", "ana"),
            ("escreva para ana (at) empresa.com", "ana"),
            ("mi correo: ana arroba empresa.es", "ana"),
            ("correo ana＠empresa.com", "ana"),
            ("ligue 98765/4321 ou 11_98765_4321", "4321"),
            ("tel ９８７６５-４３２１", "４３２１"),
            ("tel ٩٨٧٦٥٤٣٢١٠", "٤٣٢"),
            ("fone 9876S-432l", "432"),
            ("NIE X1234567L", "1234567"),
            ("mi NIE es Y-123456", "123456"),
            ("CNPJ 12.345.678/0001-90", "0001"),
            ("minha senha é Hunter2!2024", "Hunter2"),
            ("mi contraseña: Secreta99", "Secreta99"),
        ];
        for (text, private) in leaks {
            let masked = mask_personal_data(text);
            assert!(!masked.contains(private), "{text:?} → {masked:?}");
        }
        for kept in [
            "janeiro de 2024, 3 dias",
            "o envio de 15/01/2024 falhou",
            "a migração de 2023 para 2024",
            "a senha do SFTP muda?",
            "de 2023-2024 ou 2023/2024",
            "entre 2023 o 2024",
            "el 15/01/2024 10 de la mañana",
        ] {
            assert_eq!(mask_personal_data(kept), kept);
        }
    }
}
