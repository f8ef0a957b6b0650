//! Question corpora and the accuracy report `faqbot eval` prints and the tests check.
//!
//! `corpus` reads the files (single questions and dialogues), this file runs them through
//! the engine as the bot would read them, `report` adds the outcomes up (accuracy,
//! hand-offs, small talk) and prints them, `slices` holds the same figures per file, per
//! message length and per dialogue turn and the calibration bands, and `json` writes it all
//! for scripts.

use crate::confidence::Features;
use crate::engine::{Context, Engine, Outcome, Ranking, Scored, Settings};
use crate::lang::Lang;
use crate::reply::Reply;

mod corpus;
mod json;
mod report;
mod slices;

pub use corpus::{Expected, Question, Turn, builtin, load, load_all, load_from};
pub use report::Report;
pub use slices::{Band, LENGTHS, Summary};

impl Question {
    fn accepts(&self, scored: &Scored) -> bool {
        self.expected.iter().any(|e| e == scored.entry.id.local())
    }
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
    /// The first-ranked entry, answered or not, and its confidence.
    pub top: Option<String>,
    pub top_confidence: Option<f32>,
    pub top3: Vec<String>,
    /// The first three by one signal alone: the encoder's nearest-phrasing cosine, and
    /// the entry classifier (empty without the encoder): whether the fusion beats each.
    pub top3_by_cosine: Vec<String>,
    pub top3_by_classifier: Vec<String>,
    pub reason: Option<&'static str>,
    /// The reply was small talk (a greeting, thanks, a nod).
    pub small_talk: bool,
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
            None if self.question.small_talk => self.small_talk,
            None => !self.question.in_scope(),
        }
    }

    /// The first-ranked entry is an expected one.
    pub fn top_right(&self) -> bool {
        self.top
            .as_ref()
            .is_some_and(|t| self.question.expected.contains(t))
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

/// Ranks every question once, for [`sweep`]. A dialogue's turns are read as the bot reads
/// them live: each after the engine's own replies to the turns before (with its
/// thresholds), a `clarify` taken as tapped by nobody.
pub fn rank<'q>(engine: &Engine, questions: &'q [Question]) -> Vec<(&'q Question, Ranking)> {
    let mut context: Option<Context> = None;
    let mut dialogue = None;
    questions
        .iter()
        .map(|q| {
            let this = q.turn.map(|t| t.dialogue);
            if this != dialogue || this.is_none() {
                context = None;
            }
            dialogue = this;
            let reading = engine.read(&q.text, None, context.as_ref());
            if q.turn.is_some() {
                let reply = engine.decide(reading.ranking.clone());
                context = reading.context_after(&q.text, &reply, context.take());
            }
            (q, reading.ranking)
        })
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
    let (ranked, top_confidence): (Vec<String>, Option<f32>) = match &ranking.outcome {
        Outcome::Ranked { candidates, .. } => (
            candidates
                .iter()
                .map(|s| s.entry.id.local().to_string())
                .collect(),
            candidates.first().map(|s| s.confidence),
        ),
        _ => (Vec::new(), None),
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
    let small_talk = matches!(&reply, Reply::Escalation(e) if e.reason.is_small_talk());
    Outcome1 {
        question: question.clone(),
        detected,
        answered,
        confidence,
        top: ranked.first().cloned(),
        top_confidence,
        top3: ranked.into_iter().take(3).collect(),
        top3_by_cosine,
        top3_by_classifier,
        reason,
        small_talk,
        choices,
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
