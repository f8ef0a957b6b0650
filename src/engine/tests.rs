//! The engine's decision rules, on rankings made by hand, and the repository's FAQ as the
//! engine other modules' tests share.

use super::*;
use crate::reply::Reason;

/// An engine over the repository's FAQ pages, its index in a folder that lives as
/// long as the returned guard.
pub(crate) fn repo_engine() -> (Engine, tempfile::TempDir) {
    let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
    let index = tempfile::tempdir().unwrap();
    let engine = Engine::open(&faq, index.path(), Settings::default()).unwrap();
    (engine, index)
}

#[test]
fn alternatives_are_offered_when_unsure_or_when_the_runner_up_is_as_likely() {
    let (engine, _index) = repo_engine();
    let entries = engine.entries(Lang::Es);
    let suggest = |first: f32, second: f32| {
        let scored = |i: usize, confidence| Scored {
            entry: entries[i].clone(),
            features: Features::default(),
            confidence,
        };
        let ranking = Ranking {
            detected: Detected {
                lang: Some(Lang::Es),
                confidence: 1.0,
            },
            outcome: Outcome::Ranked {
                lang: Lang::Es,
                candidates: vec![scored(0, first), scored(1, second)],
                off_topic: false,
                vague: false,
            },
        };
        match engine.decide(ranking) {
            Reply::Answer(answer) => answer.suggest,
            other => panic!("{other:?}"),
        }
    };
    assert!(!suggest(0.98, 0.50), "sure, and far ahead");
    assert!(suggest(0.98, 0.96), "sure, but the runner-up is as likely");
    assert!(suggest(0.90, 0.10), "unsure");
}

/// A Portuguese ranking of one candidate, the first entry, at `confidence`.
fn one_candidate(engine: &Engine, confidence: f32, off_topic: bool) -> Ranking {
    Ranking {
        detected: Detected {
            lang: Some(Lang::Pt),
            confidence: 1.0,
        },
        outcome: Outcome::Ranked {
            lang: Lang::Pt,
            candidates: vec![Scored {
                entry: engine.entries(Lang::Pt)[0].clone(),
                features: Features::default(),
                confidence,
            }],
            off_topic,
            vague: false,
        },
    }
}

#[test]
fn a_clarify_threshold_under_the_choices_floor_never_offers_an_empty_list() {
    let (engine, _index) = repo_engine();
    let settings = Settings {
        clarify: 0.0,
        ..Settings::default()
    };
    match engine.decide_with(one_candidate(&engine, 0.01, false), &settings) {
        Reply::Escalation(_) => {}
        other => panic!("nothing to offer: handed off, not {other:?}"),
    }
}

#[test]
fn off_topic_questions_are_never_answered_but_a_likely_entry_is_offered() {
    let (engine, _index) = repo_engine();
    let first = engine.entries(Lang::Pt)[0].id.clone();
    match engine.decide(one_candidate(&engine, 0.99, true)) {
        Reply::Clarify(c) => assert_eq!(c.choices[0].entry.id, first),
        other => panic!("sure but off-topic: choices, not an answer: {other:?}"),
    }
    match engine.decide(one_candidate(&engine, 0.5, true)) {
        Reply::Escalation(e) => assert_eq!(e.reason, Reason::OutOfScope),
        other => panic!("plausible but off-topic: handed off: {other:?}"),
    }
}
