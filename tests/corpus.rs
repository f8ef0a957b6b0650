//! The regression corpus: the bars a change must not drop below.
//!
//! Figures measured when the bars were set are in the README; the bars sit a little under
//! them so that a real regression fails and a one-line wobble does not.

use faqbot::eval::{self, Report};

use crate::util::{Scratch, repo, semantic_engine};

fn report() -> Report {
    let s = Scratch::new();
    let engine = semantic_engine(&s);
    let mut questions = Vec::new();
    for lang in ["pt", "es"] {
        let path = repo().join(format!("tests/questions/{lang}.tsv"));
        let file = eval::load(&path).expect("corpus");
        assert!(file.len() >= 150, "{lang}: at least 150 lines");
        questions.extend(file);
    }
    Report::new(&eval::run(&engine, &questions))
}

#[test]
fn corpus_stays_above_its_bars() {
    let r = report();
    let summary = r.to_string();
    assert!(r.accuracy() >= 0.92, "accuracy fell\n{summary}");
    assert!(r.wrong_rate() <= 0.03, "too many wrong answers\n{summary}");
    assert!(r.one_tap_rate() >= 0.97, "one tap fell\n{summary}");
    // With the sentence encoder near-scope lines are offered choices or answered more
    // often than before it (README, "Regression corpus"): these bars hold that line. The
    // near-scope off-topic lines moved it from 88.4% to 86.6–87.5% here while the held-out
    // blind sets went from 75.6% to 84.7% handed off (README, "Quality"); the bar followed.
    assert!(
        r.escalation_recall() >= 0.85,
        "out-of-scope not handed off\n{summary}"
    );
    assert!(
        r.out_of_scope_answered as f64 <= 0.06 * r.must_escalate as f64,
        "out-of-scope answered\n{summary}"
    );
    assert!(
        r.lang_accuracy() >= 0.97,
        "language detection fell\n{summary}"
    );
    assert!(
        r.top1 as f64 >= 0.93 * r.in_scope as f64,
        "ranking fell\n{summary}"
    );
    assert!(
        r.top3 as f64 >= 0.96 * r.in_scope as f64,
        "ranking fell\n{summary}"
    );
    // The fusion ranks better than either semantic part alone (README, "Quality").
    assert!(r.by_cosine[1] > 0 && r.by_classifier[1] > 0, "{summary}");
    assert!(
        r.top1 >= r.by_cosine[0] && r.top1 >= r.by_classifier[0],
        "a part alone ranks better than the fusion\n{summary}"
    );
    assert!(summary.contains("cosine alone"), "{summary}");
    for (lang, (right, total)) in &r.by_lang {
        assert!(
            *right as f64 >= 0.90 * *total as f64,
            "{lang} fell\n{summary}"
        );
    }
}
