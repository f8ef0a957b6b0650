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
    pub fn record(&self, question: &str, escalation: &Escalation) {
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

/// Replaces e-mail addresses by `[email]` and phone numbers (7+ digits, with spaces,
/// dashes, dots, brackets or a leading +) by `[phone]`.
pub fn mask_personal_data(text: &str) -> String {
    let mut out = Vec::new();
    for word in text.split(' ') {
        let at = word.find('@');
        let is_email = at.is_some_and(|i| i > 0 && word[i + 1..].contains('.'));
        out.push(if is_email {
            "[email]".to_string()
        } else {
            word.to_string()
        });
    }
    let text = out.join(" ");
    // Phone numbers: runs of digits and separators holding seven digits or more.
    let chars: Vec<char> = text.chars().collect();
    let mut result = String::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit() || (chars[i] == '+' || chars[i] == '(');
        if starts {
            let mut j = i;
            let mut digits = 0;
            while j < chars.len() && (chars[j].is_ascii_digit() || " -.()+".contains(chars[j])) {
                digits += usize::from(chars[j].is_ascii_digit());
                j += 1;
            }
            // Do not swallow the separator after the number.
            while j > i && !chars[j - 1].is_ascii_digit() {
                j -= 1;
            }
            if digits >= 7 {
                result.push_str("[phone]");
                i = j;
                continue;
            }
        }
        result.push(chars[i]);
        i += 1;
    }
    result
}

/// `faqbot review`: escalated questions grouped by best candidate, most frequent first.
pub fn review(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut groups: BTreeMap<String, Vec<Unanswered>> = BTreeMap::new();
    // A line cut short by a crash, or written by hand, is reported, not a reason to show
    // nothing of the rest.
    let mut skipped: Vec<(usize, String)> = Vec::new();
    for (n, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let line = String::from_utf8_lossy(&line);
        if line.trim().is_empty() {
            continue;
        }
        let entry: Unanswered = match serde_json::from_str(&line) {
            Ok(entry) => entry,
            Err(error) => {
                skipped.push((n + 1, error.to_string()));
                continue;
            }
        };
        let key = entry
            .best
            .clone()
            .unwrap_or_else(|| "(no candidate)".into());
        groups.entry(key).or_default().push(entry);
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let mut out = String::new();
    if groups.is_empty() {
        out.push_str(&format!("no escalated questions in {}\n", path.display()));
    }
    for (best, questions) in groups {
        out.push_str(&format!("{:>4}  {best}\n", questions.len()));
        for q in questions.iter().take(10) {
            out.push_str(&format!(
                "      [{} {} {:.2}] {}\n",
                q.lang, q.reason, q.confidence, q.question
            ));
        }
        if questions.len() > 10 {
            out.push_str(&format!("      … and {} more\n", questions.len() - 10));
        }
    }
    if let Some((line, error)) = skipped.first() {
        out.push_str(&format!(
            "{} line(s) skipped, not log entries; the first: {}:{line}: {error}\n",
            skipped.len(),
            path.display()
        ));
    }
    Ok(out)
}

/// Formats a time as `YYYY-MM-DDTHH:MM:SSZ` (days-from-civil, after H. Hinnant).
fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_masked() {
        assert_eq!(
            mask_personal_data("sou ana@empresa.com.br, tel +55 (11) 98765-4321, ok?"),
            "sou [email] tel [phone], ok?"
        );
        assert_eq!(
            mask_personal_data("janeiro de 2024, 3 dias"),
            "janeiro de 2024, 3 dias"
        );
        assert_eq!(mask_personal_data("@bot hola"), "@bot hola");
    }

    #[test]
    fn rfc3339_dates() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_704_067_200 + 3661);
        assert_eq!(rfc3339(t), "2024-01-01T01:01:01Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }
}
