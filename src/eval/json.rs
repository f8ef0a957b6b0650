//! The report for scripts: `faqbot eval --json`.

use std::collections::BTreeMap;

use super::report::Report;
use super::slices::LENGTHS;
use crate::lang::Lang;

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
