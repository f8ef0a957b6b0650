//! The decision: answer, offer choices, or hand off, from a ranking and the settings.

use super::{Engine, Outcome, Ranking, Scored, Settings};
use crate::lang::Lang;
use crate::reply::{Answer, Candidate, Clarify, Escalation, Reason, Reply};

use crate::tuning::{
    CHOICES, CLOSE_RUNNER_UP, MIN_ALTERNATIVE, OFF_TOPIC_CLARIFY, OUT_OF_SCOPE_COVERAGE,
};

impl Engine {
    /// Turns a ranking into a reply with the engine's thresholds.
    pub fn decide(&self, ranking: Ranking) -> Reply {
        self.decide_with(ranking, &self.settings)
    }

    /// Turns a ranking into a reply with other thresholds (the confidences are already
    /// in the ranking): what a threshold sweep needs.
    pub fn decide_with(&self, ranking: Ranking, settings: &Settings) -> Reply {
        let Ranking { detected, outcome } = ranking;
        let escalate = |reason, lang: Option<Lang>, best| {
            let contacts = match lang {
                Some(lang) => vec![(lang, self.care(lang).clone())],
                None => Lang::ALL
                    .iter()
                    .map(|&l| (l, self.care(l).clone()))
                    .collect(),
            };
            Reply::Escalation(Escalation {
                detected,
                reason,
                contacts,
                best,
            })
        };
        let candidate = |s: &Scored| Candidate {
            entry: s.entry.clone(),
            confidence: s.confidence,
        };
        let clarify = |lang: Lang, candidates: &[Scored]| {
            Reply::Clarify(Clarify {
                detected,
                lang,
                choices: candidates
                    .iter()
                    .take(CHOICES)
                    .filter(|s| s.confidence >= MIN_ALTERNATIVE)
                    .map(candidate)
                    .collect(),
                care: self.care(lang).clone(),
            })
        };
        let (lang, candidates) = match outcome {
            Outcome::Empty => return escalate(Reason::Empty, detected.lang, None),
            Outcome::Greeting => return escalate(Reason::Greeting, detected.lang, None),
            Outcome::Thanks => return escalate(Reason::Thanks, detected.lang, None),
            Outcome::Acknowledgement => {
                return escalate(Reason::Acknowledgement, detected.lang, None);
            }
            Outcome::OtherLanguage => return escalate(Reason::OtherLanguage, None, None),
            Outcome::Ranked {
                lang,
                candidates,
                off_topic,
                vague,
            } => {
                // One word that could be any of several entries: choices when one is
                // plausible, else a request to say more; never an answer.
                if vague {
                    return match candidates.first() {
                        Some(best) if best.confidence >= settings.clarify.max(MIN_ALTERNATIVE) => {
                            clarify(lang, &candidates)
                        }
                        best => escalate(Reason::Vague, Some(lang), best.map(candidate)),
                    };
                }
                // Nearer a question the FAQ does not answer than to its best entry, in
                // words: never answered, but an entry the confidence finds plausible is
                // still offered (the words of an off-topic line are often a real
                // question's too).
                if off_topic {
                    return match candidates.first() {
                        Some(best)
                            if best.confidence >= OFF_TOPIC_CLARIFY.max(settings.clarify) =>
                        {
                            clarify(lang, &candidates)
                        }
                        best => escalate(Reason::OutOfScope, Some(lang), best.map(candidate)),
                    };
                }
                (lang, candidates)
            }
        };
        let Some(best) = candidates.first() else {
            return escalate(Reason::OutOfScope, Some(lang), None);
        };
        // Choices below MIN_ALTERNATIVE are left out, so a lower clarify threshold would
        // offer an empty list.
        if best.confidence < settings.threshold
            && best.confidence >= settings.clarify.max(MIN_ALTERNATIVE)
        {
            return clarify(lang, &candidates);
        }
        if best.confidence < settings.threshold {
            let reason = if best.features.coverage < OUT_OF_SCOPE_COVERAGE {
                Reason::OutOfScope
            } else {
                Reason::LowConfidence
            };
            return escalate(reason, Some(lang), Some(candidate(best)));
        }
        Reply::Answer(Answer {
            detected,
            lang,
            best: candidate(best),
            alternatives: candidates[1..]
                .iter()
                .filter(|s| s.confidence >= MIN_ALTERNATIVE)
                .take(CHOICES)
                .map(candidate)
                .collect(),
            suggest: best.confidence < settings.suggest_below
                || candidates
                    .get(1)
                    .is_some_and(|next| best.confidence - next.confidence < CLOSE_RUNNER_UP),
        })
    }
}
