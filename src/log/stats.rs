//! `faqbot stats`: how each entry does with customers, from the log: how often it was
//! asked, answered, offered, picked, 👍 and 👎, and the bot's overall figures.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{Event, Line, Vote};

/// The figures of one entry in one language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EntryStats {
    /// Questions whose answer, first choice or best candidate was this entry.
    pub asked: usize,
    pub answered: usize,
    /// Offered among the choices.
    pub offered: usize,
    /// Tapped among the choices.
    pub picked: usize,
    /// Last votes per message.
    pub up: usize,
    pub down: usize,
}

/// The bot's figures over the whole log.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Overall {
    pub answered: usize,
    pub clarified: usize,
    /// Handed to Customer Care (small talk not counted).
    pub handed_off: usize,
    pub small_talk: usize,
    pub picked: usize,
    pub up: usize,
    pub down: usize,
}

impl Overall {
    /// The share of answers whose last vote is not 👎; `None` before any answer.
    pub fn not_rejected(&self) -> Option<f64> {
        (self.answered > 0)
            .then(|| 1.0 - self.down.min(self.answered) as f64 / self.answered as f64)
    }
}

/// Per language and entry id, and overall.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub entries: BTreeMap<(String, String), EntryStats>,
    pub overall: Overall,
}

/// Adds the log up. A message voted twice counts its last vote (lines are read in the
/// order given; a vote's time breaks the tie between replicas' files).
pub fn stats(lines: &[Line]) -> Stats {
    let mut entries: BTreeMap<(String, String), EntryStats> = BTreeMap::new();
    fn at<'a>(
        entries: &'a mut BTreeMap<(String, String), EntryStats>,
        lang: &str,
        id: &str,
    ) -> &'a mut EntryStats {
        entries
            .entry((lang.to_string(), id.to_string()))
            .or_default()
    }
    let mut votes: HashMap<&str, (&str, &str, &str, Vote)> = HashMap::new();
    let mut overall = Overall::default();
    for line in lines {
        match &line.event {
            Event::Answer {
                lang, entry: id, ..
            } => {
                let e = at(&mut entries, lang, id);
                e.asked += 1;
                e.answered += 1;
                overall.answered += 1;
            }
            Event::Clarify { lang, choices, .. } => {
                overall.clarified += 1;
                for (i, id) in choices.iter().enumerate() {
                    let e = at(&mut entries, lang, id);
                    e.offered += 1;
                    e.asked += usize::from(i == 0);
                }
            }
            event @ Event::Handoff { lang, best, .. } => {
                if event.is_small_talk() {
                    overall.small_talk += 1;
                } else {
                    overall.handed_off += 1;
                    if let Some(id) = best {
                        at(&mut entries, lang, id).asked += 1;
                    }
                }
            }
            Event::Picked {
                lang, entry: id, ..
            } => {
                at(&mut entries, lang, id).picked += 1;
                overall.picked += 1;
            }
            Event::Feedback {
                lang,
                entry: id,
                vote,
                message,
                ..
            } => {
                let later = votes
                    .get(message.as_str())
                    .is_none_or(|(time, ..)| *time <= line.time.as_str());
                if later {
                    votes.insert(message, (&line.time, lang, id, *vote));
                }
            }
        }
    }
    for (_, lang, id, vote) in votes.into_values() {
        let e = at(&mut entries, lang, id);
        match vote {
            Vote::Up => {
                e.up += 1;
                overall.up += 1;
            }
            Vote::Down => {
                e.down += 1;
                overall.down += 1;
            }
        }
    }
    Stats { entries, overall }
}

impl Stats {
    /// A table per language, the most asked entries first.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let mut rows: Vec<(&(String, String), &EntryStats)> = self.entries.iter().collect();
        rows.sort_by(|a, b| {
            (&a.0.0, std::cmp::Reverse(a.1.asked), &a.0.1).cmp(&(
                &b.0.0,
                std::cmp::Reverse(b.1.asked),
                &b.0.1,
            ))
        });
        out.push_str(&format!(
            "{:<4} {:<44} {:>6} {:>8} {:>7} {:>6} {:>4} {:>4}\n",
            "lang", "entry", "asked", "answered", "offered", "picked", "👍", "👎"
        ));
        for ((lang, id), e) in rows {
            out.push_str(&format!(
                "{:<4} {:<44} {:>6} {:>8} {:>7} {:>6} {:>4} {:>4}\n",
                crate::mask::escape(lang),
                crate::mask::escape(short(id)),
                e.asked,
                e.answered,
                e.offered,
                e.picked,
                e.up,
                e.down
            ));
        }
        let o = &self.overall;
        let not_rejected = o
            .not_rejected()
            .map_or("-".to_string(), |s| format!("{:.1}%", 100.0 * s));
        out.push_str(&format!(
            "\nanswered {}, offered choices {}, handed off {}, small talk {}; picked {}, 👍 {}, 👎 {}; answers not rejected {not_rejected}\n",
            o.answered, o.clarified, o.handed_off, o.small_talk, o.picked, o.up, o.down
        ));
        out
    }

    /// One JSON object per line per entry, then the overall figures with `"id": null`.
    pub fn json_lines(&self) -> String {
        let mut out = String::new();
        for ((lang, id), e) in &self.entries {
            let mut object = serde_json::json!({ "lang": lang, "id": id });
            if let (Some(object), Ok(serde_json::Value::Object(figures))) =
                (object.as_object_mut(), serde_json::to_value(e))
            {
                object.extend(figures);
            }
            out.push_str(&object.to_string());
            out.push('\n');
        }
        let o = &self.overall;
        let overall = serde_json::json!({
            "lang": null, "id": null,
            "asked": o.answered + o.clarified + o.handed_off,
            "answered": o.answered, "offered": o.clarified, "picked": o.picked,
            "up": o.up, "down": o.down,
            "handed_off": o.handed_off, "small_talk": o.small_talk,
            "not_rejected": o.not_rejected(),
        });
        out.push_str(&overall.to_string());
        out.push('\n');
        out
    }
}

/// An id as `eval` writes it: the part after the page.
fn short(id: &str) -> &str {
    id.rsplit_once('/').map_or(id, |(_, local)| local)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(time: &str, event: Event) -> Line {
        Line {
            time: time.into(),
            event,
        }
    }

    #[test]
    fn counts_per_entry_and_the_last_vote_per_message() {
        let t = "2026-12-01T00:00:00Z";
        let later = "2026-12-01T00:00:09Z";
        let answer = |id: &str, message: &str| Event::Answer {
            lang: "pt".into(),
            question: "q".into(),
            entry: id.into(),
            confidence: 0.9,
            read_as: None,
            message: Some(message.into()),
        };
        let vote = |id: &str, message: &str, vote: Vote| Event::Feedback {
            lang: "pt".into(),
            entry: id.into(),
            vote,
            message: message.into(),
            question: None,
        };
        let lines = vec![
            line(t, answer("p/a", "m1")),
            line(t, answer("p/a", "m2")),
            line(t, answer("p/b", "m3")),
            line(t, vote("p/a", "m1", Vote::Down)),
            // Changed their mind: the last vote counts, once.
            line(later, vote("p/a", "m1", Vote::Up)),
            line(later, vote("p/b", "m3", Vote::Down)),
            // An earlier line read later (another replica's file) does not win.
            line(t, vote("p/b", "m3", Vote::Up)),
            line(
                t,
                Event::Clarify {
                    lang: "pt".into(),
                    question: "q".into(),
                    choices: vec!["p/b".into(), "p/a".into()],
                    confidence: 0.5,
                    read_as: None,
                },
            ),
            line(
                t,
                Event::Picked {
                    lang: "pt".into(),
                    entry: "p/a".into(),
                    question: None,
                },
            ),
            line(
                t,
                Event::Handoff {
                    lang: "pt".into(),
                    reason: "thanks".into(),
                    question: "valeu".into(),
                    best: None,
                    confidence: 0.0,
                    read_as: None,
                },
            ),
            line(
                t,
                Event::Handoff {
                    lang: "es".into(),
                    reason: "low_confidence".into(),
                    question: "q".into(),
                    best: Some("p/a".into()),
                    confidence: 0.3,
                    read_as: None,
                },
            ),
        ];
        let stats = stats(&lines);
        let a = &stats.entries[&("pt".to_string(), "p/a".to_string())];
        assert_eq!(
            *a,
            EntryStats {
                asked: 2,
                answered: 2,
                offered: 1,
                picked: 1,
                up: 1,
                down: 0
            }
        );
        let b = &stats.entries[&("pt".to_string(), "p/b".to_string())];
        assert_eq!(
            (b.asked, b.answered, b.offered, b.down, b.up),
            (2, 1, 1, 1, 0)
        );
        assert_eq!(
            stats.entries[&("es".to_string(), "p/a".to_string())].asked,
            1
        );
        let o = &stats.overall;
        assert_eq!(
            (
                o.answered,
                o.clarified,
                o.handed_off,
                o.small_talk,
                o.up,
                o.down
            ),
            (3, 1, 1, 1, 1, 1)
        );
        assert!((o.not_rejected().unwrap() - 2.0 / 3.0).abs() < 1e-9);
        let json = stats.json_lines();
        let last: serde_json::Value = serde_json::from_str(json.lines().last().unwrap()).unwrap();
        assert_eq!(last["id"], serde_json::Value::Null);
        assert_eq!(last["answered"], 3);
        assert_eq!(json.lines().count(), stats.entries.len() + 1);
    }
}
