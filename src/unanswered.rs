//! The unanswered-questions log: every escalated question, one JSON line, for agents to
//! see which alternates to add (`faqbot review`).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::reply::Escalation;

/// One logged question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unanswered {
    /// RFC 3339, UTC.
    pub time: String,
    pub lang: String,
    pub reason: String,
    /// With e-mail addresses and phone numbers masked.
    pub question: String,
    pub best: Option<String>,
    pub confidence: f32,
    /// What the question was read as when it was not the text typed: a follow-up with
    /// the question before it, a long message's clause that asks (masked too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_as: Option<String>,
}

/// Appends escalations to a file, if one was given.
pub struct UnansweredLog {
    file: Option<Mutex<std::fs::File>>,
    path: Option<PathBuf>,
}

impl UnansweredLog {
    /// Opens (or creates, readable by its owner only: it holds customers' words) the log.
    /// A path that cannot be written is an error at start, not a silent loss later.
    pub fn new(path: Option<PathBuf>) -> std::io::Result<UnansweredLog> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = match &path {
            Some(p) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .mode(0o600)
                    .open(p)?,
            )),
            None => None,
        };
        Ok(UnansweredLog { file, path })
    }

    /// Appends one line; a failure is logged, never fatal to the conversation.
    pub fn record(&self, question: &str, read_as: Option<&str>, escalation: &Escalation) {
        let Some(file) = &self.file else {
            return;
        };
        let line = Unanswered {
            time: rfc3339(SystemTime::now()),
            lang: escalation.detected.code().to_string(),
            reason: escalation.reason.as_str().to_string(),
            question: mask_personal_data(question),
            best: escalation.best.as_ref().map(|b| b.entry.id.to_string()),
            confidence: escalation.best.as_ref().map_or(0.0, |b| b.confidence),
            read_as: read_as.map(mask_personal_data),
        };
        let Ok(mut json) = serde_json::to_string(&line) else {
            return;
        };
        json.push('\n');
        let written = file
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))
            .and_then(|mut f| f.write_all(json.as_bytes()));
        if let Err(error) = written {
            let path = self.path.as_deref().unwrap_or(Path::new("?"));
            tracing::error!(path = %path.display(), %error, "cannot write the unanswered log");
        }
    }
}

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

/// What `faqbot review` shows, and what it had to skip.
#[derive(Debug)]
pub struct Review {
    /// Escalated questions grouped by language and best candidate, most frequent first.
    pub report: String,
    /// Lines that are not log entries, as `file:line: why`.
    pub skipped: Vec<String>,
    /// How many entries were read.
    pub entries: usize,
}

/// `faqbot review`: escalated questions grouped per language (alternates are written per
/// language) and best candidate, most frequent first. Logged text is escaped, so that a
/// question holding terminal escapes, newlines or bidi overrides cannot forge lines in an
/// agent's terminal.
pub fn review(path: &Path) -> Result<Review> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut groups: BTreeMap<(String, String), Vec<Unanswered>> = BTreeMap::new();
    // A line cut short by a crash, or written by hand, is reported, not a reason to show
    // nothing of the rest.
    let mut skipped = Vec::new();
    let mut entries = 0;
    for (n, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let line = String::from_utf8_lossy(&line);
        if line.trim().is_empty() {
            continue;
        }
        let entry: Unanswered = match serde_json::from_str(&line) {
            Ok(entry) => entry,
            Err(error) => {
                skipped.push(format!("{}:{}: {error}", path.display(), n + 1));
                continue;
            }
        };
        entries += 1;
        let best = entry
            .best
            .clone()
            .unwrap_or_else(|| "(no candidate)".into());
        groups
            .entry((entry.lang.clone(), best))
            .or_default()
            .push(entry);
    }
    let mut langs: BTreeMap<String, Vec<(String, Vec<Unanswered>)>> = BTreeMap::new();
    for ((lang, best), questions) in groups {
        langs.entry(lang).or_default().push((best, questions));
    }
    let mut report = String::new();
    if entries == 0 {
        report.push_str(&format!(
            "no escalated questions in {}\n",
            escape(&path.display().to_string())
        ));
    }
    for (lang, mut groups) in langs {
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let total: usize = groups.iter().map(|g| g.1.len()).sum();
        report.push_str(&format!("{}: {total} question(s)\n", escape(&lang)));
        for (best, questions) in groups {
            report.push_str(&format!("{:>4}  {}\n", questions.len(), escape(&best)));
            for q in questions.iter().take(10) {
                report.push_str(&format!(
                    "      [{} {:.2}] {}\n",
                    escape(&q.reason),
                    q.confidence,
                    escape(&q.question)
                ));
            }
            if questions.len() > 10 {
                report.push_str(&format!("      … and {} more\n", questions.len() - 10));
            }
        }
    }
    Ok(Review {
        report,
        skipped,
        entries,
    })
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

/// Formats a time as RFC 3339 in UTC, to the second: `2024-01-01T01:01:01Z`.
fn rfc3339(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).unwrap_or(i64::MAX))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        // Beyond year 9999: not a clock this log will meet.
        .unwrap_or_else(|| "9999-12-31T23:59:59Z".to_string())
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

    #[test]
    fn rfc3339_dates() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_704_067_200 + 3661);
        assert_eq!(rfc3339(t), "2024-01-01T01:01:01Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }
}

#[cfg(test)]
mod review_tests {
    use super::*;

    #[test]
    fn review_groups_per_language_and_escapes_what_could_forge_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let line = |lang: &str, best: &str, question: &str| {
            serde_json::to_string(&Unanswered {
                time: "2026-12-01T00:00:00Z".into(),
                lang: lang.into(),
                reason: "low_confidence".into(),
                question: question.into(),
                best: Some(best.into()),
                confidence: 0.5,
                read_as: None,
            })
            .unwrap()
        };
        let text = [
            line("pt", "a/b", "quando?"),
            line("es", "a/b", "¿cuándo?"),
            line("pt", "a/b", "fake\n   1  forged/entry\u{1b}[2J\u{202e}txt"),
            "{not json".to_string(),
        ]
        .join("\n");
        std::fs::write(&path, text).unwrap();
        let review = review(&path).unwrap();
        assert_eq!(review.entries, 3);
        assert_eq!(review.skipped.len(), 1);
        assert!(
            review.skipped[0].contains("log.jsonl:4:"),
            "{:?}",
            review.skipped
        );
        let report = &review.report;
        assert!(
            report.find("es: 1").unwrap() < report.find("pt: 2").unwrap(),
            "{report}"
        );
        assert!(
            !report.contains('\u{1b}') && !report.contains('\u{202e}'),
            "{report}"
        );
        assert!(report.contains("\\u{a}"), "{report}");
        assert_eq!(report.lines().count(), 7, "{report}");
    }
}
