//! What the engine says to a question: an answer, a choice of likely entries, or a hand-off
//! to Customer Care.

use std::sync::Arc;

use crate::faq::{CareLink, Entry};
use crate::lang::{Detected, Lang};

/// An entry with the engine's confidence that it answers the question.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub entry: Arc<Entry>,
    /// Estimated probability, in 0..1, that this entry is the right answer.
    pub confidence: f32,
}

/// The engine's reply to one question.
#[derive(Clone, Debug)]
pub enum Reply {
    Answer(Answer),
    /// Plausible entries, none sure enough to answer with: the customer picks one, or goes
    /// to Customer Care.
    Clarify(Clarify),
    Escalation(Escalation),
}

/// The engine's decision, by name: what `ask --json` calls `decision`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Answer,
    Clarify,
    Handoff,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Answer => "answer",
            Decision::Clarify => "clarify",
            Decision::Handoff => "handoff",
        }
    }
}

impl Reply {
    /// The language of the question, as detected or forced.
    pub fn detected(&self) -> Detected {
        match self {
            Reply::Answer(a) => a.detected,
            Reply::Clarify(c) => c.detected,
            Reply::Escalation(e) => e.detected,
        }
    }

    pub fn decision(&self) -> Decision {
        match self {
            Reply::Answer(_) => Decision::Answer,
            Reply::Clarify(_) => Decision::Clarify,
            Reply::Escalation(_) => Decision::Handoff,
        }
    }
}

/// Up to three plausible entries, best first, with the way to Customer Care.
#[derive(Clone, Debug)]
pub struct Clarify {
    pub detected: Detected,
    pub lang: Lang,
    pub choices: Vec<Candidate>,
    pub care: CareLink,
}

/// The best entry, in the question's language.
#[derive(Clone, Debug)]
pub struct Answer {
    pub detected: Detected,
    pub lang: Lang,
    pub best: Candidate,
    /// Up to three runners-up, best first.
    pub alternatives: Vec<Candidate>,
    /// The engine is unsure enough that front ends should offer the alternatives.
    pub suggest: bool,
}

/// Why a question goes to Customer Care instead of getting an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Nothing to read: no letter or digit.
    Empty,
    /// Only a greeting (or a bare yes or no).
    Greeting,
    /// Only thanks.
    Thanks,
    /// Only a nod or a reaction: "ok", "blz", "vale", "kkkk", "👍".
    Acknowledgement,
    /// Neither Portuguese nor Spanish.
    OtherLanguage,
    /// Nothing in the FAQ is about this.
    OutOfScope,
    /// Some entry matches, not well enough to risk a wrong answer.
    LowConfidence,
    /// One word that names no entry ("custo", "problema"): the person is asked to say more.
    Vague,
}

impl Reason {
    /// Greetings and thanks get small talk back, not Customer Care: a conversation, not a
    /// question nobody could answer.
    pub fn is_small_talk(self) -> bool {
        matches!(
            self,
            Reason::Greeting | Reason::Thanks | Reason::Acknowledgement
        )
    }

    /// Stable snake_case name, for logs and JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Empty => "empty",
            Reason::Greeting => "greeting",
            Reason::Thanks => "thanks",
            Reason::Acknowledgement => "acknowledgement",
            Reason::OtherLanguage => "other_language",
            Reason::OutOfScope => "out_of_scope",
            Reason::LowConfidence => "low_confidence",
            Reason::Vague => "vague",
        }
    }
}

/// A hand-off to the Customer Care link(s) the FAQ pages give.
#[derive(Clone, Debug)]
pub struct Escalation {
    pub detected: Detected,
    pub reason: Reason,
    /// In the question's language, or in both when it is neither.
    pub contacts: Vec<(Lang, CareLink)>,
    /// The best entry found, if any, for agents and logs: never shown as an answer.
    pub best: Option<Candidate>,
}
