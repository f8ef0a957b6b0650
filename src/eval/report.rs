//! A run's figures: accuracy, hand-offs, small talk, calibration, and the same per file,
//! per message length and per dialogue turn.

use std::collections::BTreeMap;
use std::fmt;

use super::Outcome1;
use crate::lang::Lang;

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 1.0 } else { n as f64 / d as f64 }
}

/// Aggregate figures over a run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub questions: usize,
    pub in_scope: usize,
    /// In-scope questions answered with a right entry.
    pub answered_right: usize,
    /// Answers (in scope or not) with a wrong entry.
    pub answered_wrong: usize,
    pub answered: usize,
    /// In-scope questions whose first-ranked entry is right, answered or not.
    pub top1: usize,
    pub top3: usize,
    /// The same ranked by one signal alone: `[top-1, top-3]` by the encoder's cosine and by
    /// the entry classifier; zero without the encoder.
    pub by_cosine: [usize; 2],
    pub by_classifier: [usize; 2],
    /// In-scope questions answered right or with the right entry among the choices.
    pub one_tap: usize,
    /// Questions offered choices; out-of-scope ones offered choices, and answered.
    pub clarified: usize,
    pub out_of_scope_clarified: usize,
    pub out_of_scope_answered: usize,
    /// Questions that must be escalated, and those that were.
    pub must_escalate: usize,
    pub escalated_right: usize,
    pub escalated: usize,
    /// pt/es questions and those whose language was right.
    pub pt_es: usize,
    pub pt_es_lang_right: usize,
    pub foreign: usize,
    pub foreign_lang_right: usize,
    /// Per language, in-scope: (right, total).
    pub by_lang: BTreeMap<String, (usize, usize)>,
    /// Per expected entry (first listed), in-scope: (right, total).
    pub by_entry: BTreeMap<String, (usize, usize)>,
    /// Per language and per expected entry, in-scope: one tap away.
    pub one_tap_by_lang: BTreeMap<String, usize>,
    pub one_tap_by_entry: BTreeMap<String, usize>,
    /// In-scope questions whose first-ranked entry is wrong: (expected, taken for) → count.
    pub confusion: BTreeMap<(String, String), usize>,
    /// `SMALLTALK` lines, and those that got small talk back.
    pub small_talk: usize,
    pub small_talk_right: usize,
    /// The first-ranked entry's confidence against how often it is right, per band.
    pub bands: Vec<Band>,
    /// Per corpus file, per message length (up to 5 words, 6 to 20, more), and for the
    /// first turns and the follow-ups of dialogues.
    pub by_file: BTreeMap<String, Summary>,
    pub by_length: [Summary; 3],
    pub first_turns: Summary,
    pub follow_ups: Summary,
    pub failures: Vec<Outcome1>,
}

/// The lengths [`Report::by_length`] tells apart, by their largest word count.
pub const LENGTHS: [(usize, &str); 3] = [
    (5, "up to 5 words"),
    (20, "6-20 words"),
    (usize::MAX, "over 20 words"),
];

/// The figures of one slice of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub questions: usize,
    pub in_scope: usize,
    pub answered_right: usize,
    pub one_tap: usize,
    pub answered: usize,
    pub answered_wrong: usize,
    /// `NONE` lines, and those answered.
    pub out_of_scope: usize,
    pub out_of_scope_answered: usize,
    pub small_talk: usize,
    pub small_talk_right: usize,
}

impl Summary {
    fn add(&mut self, res: &Outcome1) {
        let q = &res.question;
        self.questions += 1;
        if res.answered.is_some() {
            self.answered += 1;
            self.answered_wrong += usize::from(!res.correct());
        }
        if q.in_scope() {
            self.in_scope += 1;
            self.answered_right += usize::from(res.correct());
            self.one_tap += usize::from(res.one_tap());
        } else if q.small_talk {
            self.small_talk += 1;
            self.small_talk_right += usize::from(res.correct());
        } else {
            self.out_of_scope += 1;
            self.out_of_scope_answered += usize::from(res.answered.is_some());
        }
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "questions": self.questions, "in_scope": self.in_scope,
            "answered_right": self.answered_right, "one_tap": self.one_tap,
            "answered": self.answered, "answered_wrong": self.answered_wrong,
            "out_of_scope": self.out_of_scope,
            "out_of_scope_answered": self.out_of_scope_answered,
            "small_talk": self.small_talk, "small_talk_right": self.small_talk_right,
        })
    }
}

impl fmt::Display for Summary {
    /// One line: right, one tap, wrong, out of scope answered, small talk.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A share of nothing is shown as "-", not as a perfect score.
        let pct = |n: usize, d: usize| {
            if d == 0 {
                "    -".to_string()
            } else {
                format!("{:>5.1}%", 100.0 * n as f64 / d as f64)
            }
        };
        write!(
            f,
            "{:>4} lines  right {}  one tap {}  wrong {}  out of scope answered {}/{}",
            self.questions,
            pct(self.answered_right, self.in_scope),
            pct(self.one_tap, self.in_scope),
            pct(self.answered_wrong, self.answered),
            self.out_of_scope_answered,
            self.out_of_scope,
        )?;
        if self.small_talk > 0 {
            write!(
                f,
                "  small talk {}/{}",
                self.small_talk_right, self.small_talk
            )?;
        }
        Ok(())
    }
}

/// First-ranked candidates whose confidence is in `low..high`: how many, how many right.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Band {
    pub low: f32,
    pub high: f32,
    pub count: usize,
    pub right: usize,
    pub confidence_sum: f64,
}

/// The bands' edges: tenths, with the answering range cut finer.
const BAND_EDGES: [f32; 13] = [
    0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0,
];

fn bands(results: &[Outcome1]) -> Vec<Band> {
    let mut bands: Vec<Band> = BAND_EDGES
        .windows(2)
        .map(|w| Band {
            low: w[0],
            high: w[1],
            ..Band::default()
        })
        .collect();
    for res in results {
        let Some(c) = res.top_confidence else {
            continue;
        };
        let i = bands
            .iter()
            .position(|b| c < b.high)
            .unwrap_or(bands.len() - 1);
        let band = &mut bands[i];
        band.count += 1;
        band.right += usize::from(res.top_right());
        band.confidence_sum += f64::from(c);
    }
    bands
}

impl Report {
    pub fn new(results: &[Outcome1]) -> Report {
        let mut r = Report {
            questions: results.len(),
            bands: bands(results),
            ..Report::default()
        };
        for res in results {
            let q = &res.question;
            r.by_file.entry(q.file.clone()).or_default().add(res);
            let words = crate::analysis::words(&q.text).len();
            let length = LENGTHS
                .iter()
                .position(|&(max, _)| words <= max)
                .unwrap_or(2);
            r.by_length[length].add(res);
            match q.turn {
                Some(t) if t.index > 0 => r.follow_ups.add(res),
                Some(_) => r.first_turns.add(res),
                None => {}
            }
            let correct = res.correct();
            if res.answered.is_some() {
                r.answered += 1;
                if !correct {
                    r.answered_wrong += 1;
                }
            } else if !res.choices.is_empty() {
                r.clarified += 1;
            } else {
                r.escalated += 1;
            }
            if q.in_scope() {
                r.in_scope += 1;
                r.answered_right += usize::from(correct);
                r.one_tap += usize::from(res.one_tap());
                let lang_key = q.lang.map_or("other", Lang::code).to_string();
                *r.one_tap_by_lang.entry(lang_key).or_default() += usize::from(res.one_tap());
                *r.one_tap_by_entry.entry(q.expected[0].clone()).or_default() +=
                    usize::from(res.one_tap());
                if let Some(top) = res.top.as_ref().filter(|t| !q.expected.contains(t)) {
                    *r.confusion
                        .entry((q.expected[0].clone(), top.clone()))
                        .or_default() += 1;
                }
                r.top1 += usize::from(res.top.as_ref().is_some_and(|t| q.expected.contains(t)));
                r.top3 += usize::from(res.top3.iter().any(|t| q.expected.contains(t)));
                for (count, top3) in [
                    (&mut r.by_cosine, &res.top3_by_cosine),
                    (&mut r.by_classifier, &res.top3_by_classifier),
                ] {
                    count[0] += usize::from(top3.first().is_some_and(|t| q.expected.contains(t)));
                    count[1] += usize::from(top3.iter().any(|t| q.expected.contains(t)));
                }
                let lang = q.lang.map_or("other", Lang::code).to_string();
                let cell = r.by_lang.entry(lang).or_default();
                cell.0 += usize::from(correct);
                cell.1 += 1;
                let cell = r.by_entry.entry(q.expected[0].clone()).or_default();
                cell.0 += usize::from(correct);
                cell.1 += 1;
            } else if q.small_talk {
                r.small_talk += 1;
                r.small_talk_right += usize::from(correct);
            } else {
                r.must_escalate += 1;
                r.escalated_right += usize::from(res.answered.is_none() && res.choices.is_empty());
                r.out_of_scope_clarified += usize::from(!res.choices.is_empty());
                r.out_of_scope_answered += usize::from(res.answered.is_some());
            }
            if q.lang.is_some() {
                r.pt_es += 1;
                r.pt_es_lang_right += usize::from(res.lang_right());
            } else {
                r.foreign += 1;
                r.foreign_lang_right += usize::from(res.lang_right());
            }
            if !correct || !res.lang_right() {
                r.failures.push(res.clone());
            }
        }
        r
    }

    /// In-scope questions answered right, over all in-scope questions.
    pub fn accuracy(&self) -> f64 {
        ratio(self.answered_right, self.in_scope)
    }

    /// In-scope questions answered right or one tap away, over all in-scope questions.
    pub fn one_tap_rate(&self) -> f64 {
        ratio(self.one_tap, self.in_scope)
    }

    /// Wrong answers over all answers.
    pub fn wrong_rate(&self) -> f64 {
        if self.answered == 0 {
            0.0
        } else {
            self.answered_wrong as f64 / self.answered as f64
        }
    }

    /// Escalated questions that had to be, over those that had to be.
    pub fn escalation_recall(&self) -> f64 {
        ratio(self.escalated_right, self.must_escalate)
    }

    /// Escalated questions that had to be, over all escalations.
    pub fn escalation_precision(&self) -> f64 {
        ratio(self.escalated_right, self.escalated)
    }

    /// Expected calibration error: the bands' gaps between mean confidence and share
    /// right, weighted by their counts.
    pub fn calibration_error(&self) -> f64 {
        let total: usize = self.bands.iter().map(|b| b.count).sum();
        if total == 0 {
            return 0.0;
        }
        self.bands
            .iter()
            .filter(|b| b.count > 0)
            .map(|b| {
                let n = b.count as f64;
                (n / total as f64) * (b.confidence_sum / n - b.right as f64 / n).abs()
            })
            .sum()
    }

    /// pt/es questions whose language was detected right.
    pub fn lang_accuracy(&self) -> f64 {
        ratio(self.pt_es_lang_right, self.pt_es)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |x: f64| 100.0 * x;
        writeln!(f, "questions            {}", self.questions)?;
        writeln!(
            f,
            "accuracy (in scope)  {:.1}%  ({}/{} answered right)",
            pct(self.accuracy()),
            self.answered_right,
            self.in_scope
        )?;
        writeln!(
            f,
            "one tap (in scope)   {:.1}%  ({}/{} answered right or among the choices)",
            pct(self.one_tap_rate()),
            self.one_tap,
            self.in_scope
        )?;
        writeln!(
            f,
            "out of scope         {}/{} handed off, {} offered choices, {} answered",
            self.escalated_right,
            self.must_escalate,
            self.out_of_scope_clarified,
            self.out_of_scope_answered
        )?;
        writeln!(
            f,
            "ranking top-1/top-3  {:.1}% / {:.1}%  (whatever the confidence)",
            pct(ratio(self.top1, self.in_scope)),
            pct(ratio(self.top3, self.in_scope))
        )?;
        if self.by_cosine[1] + self.by_classifier[1] > 0 {
            let part = |[one, three]: [usize; 2]| {
                format!(
                    "{:.1}% / {:.1}%",
                    pct(ratio(one, self.in_scope)),
                    pct(ratio(three, self.in_scope))
                )
            };
            writeln!(
                f,
                "  by one part        cosine alone {}, classifier alone {}",
                part(self.by_cosine),
                part(self.by_classifier)
            )?;
        }
        writeln!(
            f,
            "wrong answers        {:.1}%  ({}/{} answered)",
            pct(self.wrong_rate()),
            self.answered_wrong,
            self.answered
        )?;
        writeln!(
            f,
            "escalation recall    {:.1}%  ({}/{} out-of-scope or foreign escalated)",
            pct(self.escalation_recall()),
            self.escalated_right,
            self.must_escalate
        )?;
        writeln!(
            f,
            "escalation precision {:.1}%  ({}/{} escalations were due)",
            pct(self.escalation_precision()),
            self.escalated_right,
            self.escalated
        )?;
        writeln!(
            f,
            "language (pt/es)     {:.1}%  ({}/{}); foreign as other {}/{}",
            pct(self.lang_accuracy()),
            self.pt_es_lang_right,
            self.pt_es,
            self.foreign_lang_right,
            self.foreign
        )?;
        if self.small_talk > 0 {
            writeln!(
                f,
                "small talk           {:.1}%  ({}/{} got small talk back)",
                pct(ratio(self.small_talk_right, self.small_talk)),
                self.small_talk_right,
                self.small_talk
            )?;
        }
        writeln!(
            f,
            "calibration          expected error {:.3} (first-ranked entry's confidence vs right):",
            self.calibration_error()
        )?;
        for b in self.bands.iter().filter(|b| b.count > 0) {
            writeln!(
                f,
                "  {:.2}-{:.2}  {:>5} ranked  {:>5.1}% right  (mean confidence {:.2})",
                b.low,
                b.high,
                b.count,
                pct(ratio(b.right, b.count)),
                b.confidence_sum / b.count as f64
            )?;
        }
        if self.by_file.len() > 1 {
            writeln!(f, "per file:")?;
            for (file, s) in &self.by_file {
                writeln!(f, "  {file:<26} {s}")?;
            }
        }
        writeln!(f, "per message length:")?;
        for ((_, name), s) in LENGTHS.iter().zip(&self.by_length) {
            if s.questions > 0 {
                writeln!(f, "  {name:<26} {s}")?;
            }
        }
        if self.first_turns.questions > 0 {
            writeln!(f, "dialogues:")?;
            writeln!(f, "  {:<26} {}", "first turns", self.first_turns)?;
            writeln!(f, "  {:<26} {}", "follow-ups", self.follow_ups)?;
        }
        writeln!(f, "in scope, answered right / one tap:")?;
        let rows = self
            .by_lang
            .iter()
            .map(|(k, v)| (k, v, self.one_tap_by_lang.get(k)))
            .chain(
                self.by_entry
                    .iter()
                    .map(|(k, v)| (k, v, self.one_tap_by_entry.get(k))),
            );
        for (key, (right, total), tap) in rows {
            let tap = tap.copied().unwrap_or(0);
            writeln!(
                f,
                "  {key:<22} {:>5.1}% / {:>5.1}%  ({right}, {tap} of {total})",
                pct(ratio(*right, *total)),
                pct(ratio(tap, *total))
            )?;
        }
        if !self.confusion.is_empty() {
            writeln!(f, "first-ranked entry wrong (expected → taken for):")?;
            let mut pairs: Vec<_> = self.confusion.iter().collect();
            pairs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for ((expected, taken), n) in pairs {
                writeln!(f, "  {n:>3}  {expected} → {taken}")?;
            }
        }
        if !self.failures.is_empty() {
            writeln!(f, "failures ({}):", self.failures.len())?;
        }
        for res in &self.failures {
            let q = &res.question;
            let expected = if q.in_scope() {
                q.expected.join("|")
            } else if q.small_talk {
                "SMALLTALK".into()
            } else {
                "NONE".into()
            };
            let got = res
                .answered
                .clone()
                .or_else(|| res.reason.map(|r| format!("escalated:{r}")))
                .unwrap_or_default();
            writeln!(
                f,
                "  {} [{}→{}] want {expected}, got {got} ({:.2}; top {}): {}",
                q.origin,
                q.lang.map_or("other", Lang::code),
                res.detected,
                res.confidence,
                res.top.as_deref().unwrap_or("-"),
                q.text
            )?;
        }
        Ok(())
    }
}

impl Report {
    /// The report for scripts (`faqbot eval --json`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let table = |m: &BTreeMap<String, (usize, usize)>, tap: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, (right, total))| {
                    (
                        k.clone(),
                        json!({
                            "in_scope": total,
                            "answered_right": right,
                            "one_tap": tap.get(k).copied().unwrap_or(0),
                        }),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
        };
        let mut value = json!({
            "questions": self.questions,
            "in_scope": self.in_scope,
            "answered_right": self.answered_right,
            "one_tap": self.one_tap,
            "answered": self.answered,
            "answered_wrong": self.answered_wrong,
            "top1": self.top1,
            "top3": self.top3,
            "top1_by_cosine": self.by_cosine[0],
            "top3_by_cosine": self.by_cosine[1],
            "top1_by_classifier": self.by_classifier[0],
            "top3_by_classifier": self.by_classifier[1],
            "out_of_scope": self.must_escalate,
            "out_of_scope_handed_off": self.escalated_right,
            "out_of_scope_offered_choices": self.out_of_scope_clarified,
            "out_of_scope_answered": self.out_of_scope_answered,
            "handed_off": self.escalated,
            "offered_choices": self.clarified,
            "language_right": self.pt_es_lang_right,
            "language_lines": self.pt_es,
            "foreign_as_other": self.foreign_lang_right,
            "foreign_lines": self.foreign,
            "by_lang": table(&self.by_lang, &self.one_tap_by_lang),
            "by_entry": table(&self.by_entry, &self.one_tap_by_entry),
            "confusion": self.confusion.iter().map(|((e, t), n)| json!({
                "expected": e, "taken_for": t, "count": n,
            })).collect::<Vec<_>>(),
            "failures": self.failures.iter().map(|r| json!({
                "origin": r.question.origin,
                "question": r.question.text,
                "expected": r.question.expected,
                "lang": r.question.lang.map_or("other", Lang::code),
                "detected": r.detected,
                "answered": r.answered,
                "choices": r.choices,
                "reason": r.reason,
                "confidence": r.confidence,
                "top": r.top,
            })).collect::<Vec<_>>(),
        });
        value["small_talk"] = self.small_talk.into();
        value["small_talk_right"] = self.small_talk_right.into();
        value["calibration_error"] = self.calibration_error().into();
        value["calibration"] = self
            .bands
            .iter()
            .map(|b| {
                json!({
                    "low": b.low, "high": b.high, "count": b.count, "right": b.right,
                    "mean_confidence": if b.count == 0 { 0.0 } else { b.confidence_sum / b.count as f64 },
                })
            })
            .collect();
        value["by_file"] = self
            .by_file
            .iter()
            .map(|(k, s)| (k.clone(), s.to_json()))
            .collect::<serde_json::Map<_, _>>()
            .into();
        value["by_length"] = LENGTHS
            .iter()
            .zip(&self.by_length)
            .map(|((_, name), s)| ((*name).to_string(), s.to_json()))
            .collect::<serde_json::Map<_, _>>()
            .into();
        value["first_turns"] = self.first_turns.to_json();
        value["follow_ups"] = self.follow_ups.to_json();
        value
    }
}
