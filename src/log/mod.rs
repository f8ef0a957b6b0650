//! The traffic log: what the bot did with each message and what customers thought of it,
//! one JSON line each, masked, for the learning loop. `review` groups what it failed by
//! meaning, `stats` counts per entry; both read several files (one per replica).
//!
//! A line is `{"time", "kind", …}`; `kind` is `handoff`, `clarify`, `answer`, `feedback` or
//! `picked` ([`Event`]). Lines written before `kind` existed (the unanswered log) read as
//! `handoff`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::mask::mask_personal_data;
use crate::reply::{Reason, Reply};

pub mod review;
pub mod stats;

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// RFC 3339, UTC.
    pub time: String,
    #[serde(flatten)]
    pub event: Event,
}

/// What happened. Questions are masked before they are written; `read_as` is what the
/// question was read as when that was not the text typed (a follow-up with the question
/// before it, a long message's clause that asks).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Handed to Customer Care, or small talk back (`reason` says which).
    Handoff {
        lang: String,
        reason: String,
        question: String,
        best: Option<String>,
        confidence: f32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read_as: Option<String>,
    },
    /// Entries offered to choose from, best first.
    Clarify {
        lang: String,
        question: String,
        choices: Vec<String>,
        confidence: f32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read_as: Option<String>,
    },
    /// An entry given as the answer.
    Answer {
        lang: String,
        question: String,
        entry: String,
        confidence: f32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read_as: Option<String>,
        /// The answer's message reference ([`message_ref`]), where it has buttons.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// 👍 or 👎 under an answer; the last vote per message counts.
    Feedback {
        lang: String,
        entry: String,
        vote: Vote,
        message: String,
        /// The question answered, when the chat still remembered it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<String>,
    },
    /// An entry tapped among the choices offered.
    Picked {
        lang: String,
        entry: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<String>,
    },
}

/// A customer's verdict on an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    Up,
    Down,
}

impl Event {
    /// The event of a reply to `question`. Small talk is a hand-off with its reason.
    pub fn of_reply(
        question: &str,
        read_as: Option<&str>,
        reply: &Reply,
        message: Option<String>,
    ) -> Event {
        let lang = reply.detected().code().to_string();
        let question = mask_personal_data(question);
        let read_as = read_as.map(mask_personal_data);
        match reply {
            Reply::Answer(answer) => Event::Answer {
                lang,
                question,
                entry: answer.best.entry.id.to_string(),
                confidence: answer.best.confidence,
                read_as,
                message,
            },
            Reply::Clarify(clarify) => Event::Clarify {
                lang,
                question,
                choices: clarify
                    .choices
                    .iter()
                    .map(|c| c.entry.id.to_string())
                    .collect(),
                confidence: clarify.choices.first().map_or(0.0, |c| c.confidence),
                read_as,
            },
            Reply::Escalation(escalation) => Event::Handoff {
                lang,
                reason: escalation.reason.as_str().to_string(),
                question,
                best: escalation.best.as_ref().map(|b| b.entry.id.to_string()),
                confidence: escalation.best.as_ref().map_or(0.0, |b| b.confidence),
                read_as,
            },
        }
    }

    pub fn lang(&self) -> &str {
        match self {
            Event::Handoff { lang, .. }
            | Event::Clarify { lang, .. }
            | Event::Answer { lang, .. }
            | Event::Feedback { lang, .. }
            | Event::Picked { lang, .. } => lang,
        }
    }

    /// A hand-off that was small talk back, not a question nobody could answer.
    pub fn is_small_talk(&self) -> bool {
        matches!(self, Event::Handoff { reason, .. } if SMALL_TALK.contains(&reason.as_str()))
    }
}

/// The reasons of small talk, as logged.
const SMALL_TALK: [&str; 3] = [
    Reason::Greeting.as_str(),
    Reason::Thanks.as_str(),
    Reason::Acknowledgement.as_str(),
];

/// A short, stable reference to one message of one chat: neither id is written down.
pub fn message_ref(chat: i64, message: i32) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{chat}:{message}").as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends lines to a file, if one was given.
pub struct Log {
    file: Option<Mutex<std::fs::File>>,
    path: Option<PathBuf>,
}

impl Log {
    /// Opens (or creates, readable by its owner only: it holds customers' words) the log
    /// for appending, so that logrotate's `copytruncate` leaves later lines at the new
    /// end. A path that cannot be written is an error at start, not a silent loss later.
    pub fn new(path: Option<PathBuf>) -> std::io::Result<Log> {
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
        Ok(Log { file, path })
    }

    /// Appends one line, in one write; a failure is logged, never fatal to the
    /// conversation.
    pub fn record(&self, event: Event) {
        let Some(file) = &self.file else {
            return;
        };
        let line = Line {
            time: rfc3339(SystemTime::now()),
            event,
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
            tracing::error!(path = %path.display(), %error, "cannot write the log");
        }
    }
}

/// The lines of one or more logs, and what had to be skipped.
#[derive(Debug, Default)]
pub struct Read {
    /// In file order, the files in the order given.
    pub lines: Vec<Line>,
    /// Lines that are not log lines, as `file:line: why`.
    pub skipped: Vec<String>,
}

/// Reads logs. A line cut short by a crash, or written by hand, is reported, not a reason
/// to show nothing of the rest.
pub fn read<P: AsRef<Path>>(paths: &[P]) -> Result<Read> {
    let mut read = Read::default();
    for path in paths {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        for (n, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
            let line = line.map_err(|e| Error::io(path, e))?;
            let line = String::from_utf8_lossy(&line);
            if line.trim().is_empty() {
                continue;
            }
            match parse(&line) {
                Ok(line) => read.lines.push(line),
                Err(error) => read
                    .skipped
                    .push(format!("{}:{}: {error}", path.display(), n + 1)),
            }
        }
    }
    Ok(read)
}

/// One line; without `kind` it is the unanswered log's, a hand-off.
fn parse(line: &str) -> serde_json::Result<Line> {
    let mut value: serde_json::Value = serde_json::from_str(line)?;
    if let Some(object) = value.as_object_mut()
        && !object.contains_key("kind")
    {
        object.insert("kind".into(), "handoff".into());
    }
    serde_json::from_value(value)
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
    fn rfc3339_dates() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_704_067_200 + 3661);
        assert_eq!(rfc3339(t), "2024-01-01T01:01:01Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn every_kind_reads_back_and_an_old_line_is_a_handoff() {
        let events = [
            Event::Handoff {
                lang: "pt".into(),
                reason: "low_confidence".into(),
                question: "quando?".into(),
                best: Some("p/a".into()),
                confidence: 0.5,
                read_as: None,
            },
            Event::Clarify {
                lang: "es".into(),
                question: "¿cuándo?".into(),
                choices: vec!["p/a".into(), "p/b".into()],
                confidence: 0.6,
                read_as: Some("¿y eso cuándo?".into()),
            },
            Event::Answer {
                lang: "pt".into(),
                question: "é obrigatória?".into(),
                entry: "p/a".into(),
                confidence: 0.9,
                read_as: None,
                message: Some(message_ref(1, 2)),
            },
            Event::Feedback {
                lang: "pt".into(),
                entry: "p/a".into(),
                vote: Vote::Down,
                message: message_ref(1, 2),
                question: None,
            },
            Event::Picked {
                lang: "es".into(),
                entry: "p/b".into(),
                question: Some("¿cuándo?".into()),
            },
        ];
        for event in events {
            let line = Line {
                time: "2026-12-01T00:00:00Z".into(),
                event,
            };
            let json = serde_json::to_string(&line).unwrap();
            assert!(
                json.starts_with(r#"{"time":"2026-12-01T00:00:00Z","kind":"#),
                "{json}"
            );
            assert_eq!(parse(&json).unwrap(), line);
        }
        let old = r#"{"time":"2026-11-01T00:00:00Z","lang":"pt","reason":"out_of_scope","question":"preço?","best":null,"confidence":0.1}"#;
        assert!(matches!(
            parse(old).unwrap().event,
            Event::Handoff { ref reason, .. } if reason == "out_of_scope"
        ));
        assert!(parse(r#"{"time":"x","kind":"unknown"}"#).is_err());
    }

    #[test]
    fn message_references_are_short_and_tell_messages_apart() {
        let a = message_ref(-100123, 7);
        assert_eq!(a.len(), 12);
        assert_ne!(a, message_ref(-100123, 8));
        assert_ne!(a, message_ref(100123, 7));
        assert!(!a.contains("100123"));
    }
}
