//! Question corpora and the accuracy report `faqbot eval` prints and the tests check.
//!
//! A corpus is a TSV file, one question a line: `lang<TAB>expected<TAB>question`. `lang` is
//! `pt`, `es`, or any other code (`en`, `fr`…, `other`) for a question in another language;
//! `expected` lists entry ids without the page prefix, joined by `|` (any of them is right),
//! or is `NONE` for a question that must be escalated. Blank lines and lines starting with
//! `#` are skipped.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::confidence::Features;
use crate::engine::{Engine, Outcome, Ranking, Scored, Settings};
use crate::error::{Error, Result};
use crate::lang::Lang;
use crate::reply::Reply;

/// One corpus line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// `file:line`, for failure listings.
    pub origin: String,
    /// `None`: a language other than pt and es.
    pub lang: Option<Lang>,
    /// Acceptable local entry ids; empty when the question must be escalated.
    pub expected: Vec<String>,
    pub text: String,
}

impl Question {
    pub fn in_scope(&self) -> bool {
        !self.expected.is_empty()
    }

    fn accepts(&self, scored: &Scored) -> bool {
        self.expected.iter().any(|e| e == scored.entry.id.local())
    }
}

/// Reads a corpus file.
pub fn load(path: &Path) -> Result<Vec<Question>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fail = |message: &str| Error::Corpus {
            path: path.to_path_buf(),
            line: i + 1,
            message: message.to_string(),
        };
        let mut fields = line.splitn(3, '\t');
        let (Some(lang), Some(expected), Some(text)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(fail("expected `lang<TAB>expected<TAB>question`"));
        };
        let lang = lang.trim();
        if lang.is_empty() || !lang.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
            return Err(fail(
                "the language must be a code such as pt, es, en or other",
            ));
        }
        let expected: Vec<String> = match expected.trim() {
            "NONE" => Vec::new(),
            "" => {
                return Err(fail(
                    "expected ids are missing (use NONE for an escalation)",
                ));
            }
            ids => ids.split('|').map(|id| id.trim().to_string()).collect(),
        };
        out.push(Question {
            origin: format!("{}:{}", path.display(), i + 1),
            lang: lang.parse().ok(),
            expected,
            text: text.to_string(),
        });
    }
    Ok(out)
}

/// The outcome of one question.
#[derive(Clone, Debug)]
pub struct Outcome1 {
    pub question: Question,
    /// The detected language code.
    pub detected: &'static str,
    /// The answered entry's local id, `None` when escalated.
    pub answered: Option<String>,
    pub confidence: f32,
    /// The first-ranked entry, answered or not.
    pub top: Option<String>,
    pub top3: Vec<String>,
    /// The first three by one signal alone: the encoder's nearest-phrasing cosine, and
    /// the entry classifier (empty without the encoder): whether the fusion beats each.
    pub top3_by_cosine: Vec<String>,
    pub top3_by_classifier: Vec<String>,
    pub reason: Option<&'static str>,
    /// The entries offered to choose from, when the engine asked instead of answering.
    pub choices: Vec<String>,
}

impl Outcome1 {
    /// Answered right, or the right entry is one tap away among the choices.
    pub fn one_tap(&self) -> bool {
        self.question.in_scope()
            && (self.correct()
                || self
                    .choices
                    .iter()
                    .any(|c| self.question.expected.contains(c)))
    }

    pub fn correct(&self) -> bool {
        match &self.answered {
            Some(id) => self.question.expected.contains(id),
            None => !self.question.in_scope(),
        }
    }

    fn lang_right(&self) -> bool {
        self.detected == self.question.lang.map_or("other", Lang::code)
    }
}

/// Runs every question through the engine.
pub fn run(engine: &Engine, questions: &[Question]) -> Vec<Outcome1> {
    rank(engine, questions)
        .into_iter()
        .map(|(q, ranking)| judge(engine, q, ranking, engine.settings()))
        .collect()
}

/// Ranks every question once, for [`sweep`].
pub fn rank<'q>(engine: &Engine, questions: &'q [Question]) -> Vec<(&'q Question, Ranking)> {
    questions
        .iter()
        .map(|q| (q, engine.rank(&q.text, None)))
        .collect()
}

/// Reports at each `(answer, clarify)` threshold pair, over rankings made once.
pub fn sweep(
    engine: &Engine,
    ranked: &[(&Question, Ranking)],
    pairs: &[(f32, f32)],
) -> Vec<((f32, f32), Report)> {
    pairs
        .iter()
        .map(|&(threshold, clarify)| {
            let settings = Settings {
                threshold,
                clarify,
                ..*engine.settings()
            };
            let results: Vec<Outcome1> = ranked
                .iter()
                .map(|(q, ranking)| judge(engine, q, ranking.clone(), &settings))
                .collect();
            ((threshold, clarify), Report::new(&results))
        })
        .collect()
}

pub fn judge(
    engine: &Engine,
    question: &Question,
    ranking: Ranking,
    settings: &Settings,
) -> Outcome1 {
    let detected = ranking.detected.code();
    let by = |signal: fn(&Features) -> f32| -> Vec<String> {
        let Outcome::Ranked { candidates, .. } = &ranking.outcome else {
            return Vec::new();
        };
        if candidates.iter().all(|s| signal(&s.features) == 0.0) {
            return Vec::new();
        }
        let mut order: Vec<&Scored> = candidates.iter().collect();
        // Stable: ties keep the fused order.
        order.sort_by(|a, b| signal(&b.features).total_cmp(&signal(&a.features)));
        order
            .iter()
            .take(3)
            .map(|s| s.entry.id.local().to_string())
            .collect()
    };
    let top3_by_cosine = by(|f| f.semantic);
    let top3_by_classifier = by(|f| f.class);
    let ranked: Vec<String> = match &ranking.outcome {
        Outcome::Ranked { candidates, .. } => candidates
            .iter()
            .map(|s| s.entry.id.local().to_string())
            .collect(),
        _ => Vec::new(),
    };
    let reply = engine.decide_with(ranking, settings);
    let choices = match &reply {
        Reply::Clarify(c) => c
            .choices
            .iter()
            .map(|c| c.entry.id.local().to_string())
            .collect(),
        _ => Vec::new(),
    };
    let (answered, confidence, reason) = match &reply {
        Reply::Answer(a) => (
            Some(a.best.entry.id.local().to_string()),
            a.best.confidence,
            None,
        ),
        Reply::Clarify(c) => (
            None,
            c.choices.first().map_or(0.0, |b| b.confidence),
            Some("clarify"),
        ),
        Reply::Escalation(e) => (
            None,
            e.best.as_ref().map_or(0.0, |b| b.confidence),
            Some(e.reason.as_str()),
        ),
    };
    Outcome1 {
        question: question.clone(),
        detected,
        answered,
        confidence,
        top: ranked.first().cloned(),
        top3: ranked.into_iter().take(3).collect(),
        top3_by_cosine,
        top3_by_classifier,
        reason,
        choices,
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
        json!({
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
        })
    }
}

/// The answer/clarify threshold pairs `faqbot eval` and `calibrate` tabulate.
pub fn threshold_pairs() -> Vec<(f32, f32)> {
    [0.6f32, 0.7, 0.75, 0.8, 0.85, 0.9]
        .iter()
        .flat_map(|&a| [0.1f32, 0.2, 0.3, 0.4, 0.5].map(|c| (a, c)))
        .collect()
}

/// The top-ranked candidate of a question and whether it is right, for calibration.
pub fn top_candidate(ranking: &Ranking, question: &Question) -> Option<(Scored, bool)> {
    match &ranking.outcome {
        Outcome::Ranked { candidates, .. } => candidates
            .first()
            .map(|top| (top.clone(), question.accepts(top))),
        _ => None,
    }
}

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
    pub failures: Vec<Outcome1>,
}

impl Report {
    pub fn new(results: &[Outcome1]) -> Report {
        let mut r = Report {
            questions: results.len(),
            ..Report::default()
        };
        for res in results {
            let q = &res.question;
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
