//! The regression corpus: the bars a change must not drop below.
//!
//! Figures measured when the bars were set are in the README; the bars sit a little under
//! them so that a real regression fails and a one-line wobble does not.

use faqbot::eval::{self, Report};
use faqbot::{Engine, Settings};

use crate::util::{Scratch, repo};

fn report() -> Report {
    let s = Scratch::new();
    let engine = Engine::open(&s.faq(), &s.index(), Settings::default()).expect("engine");
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
    assert!(r.accuracy() >= 0.82, "accuracy fell\n{summary}");
    assert!(r.wrong_rate() <= 0.05, "too many wrong answers\n{summary}");
    assert!(
        r.escalation_recall() >= 0.95,
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
    for (lang, (right, total)) in &r.by_lang {
        assert!(
            *right as f64 >= 0.78 * *total as f64,
            "{lang} fell\n{summary}"
        );
    }
}
