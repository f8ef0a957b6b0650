//! A run's figures: accuracy, hand-offs, small talk, calibration, and the same per file,
//! per message length and per dialogue turn.

use std::collections::BTreeMap;
use std::fmt;

use super::Outcome1;
use super::slices::{Band, LENGTHS, Summary, bands};
use crate::lang::Lang;

pub(super) fn ratio(n: usize, d: usize) -> f64 {
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
