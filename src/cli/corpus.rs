//! `faqbot eval` and `faqbot calibrate`: the engine against question corpora.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use faqbot::confidence::{Features, Model};
use faqbot::engine::Matcher;
use faqbot::eval::{self, Question, Report};
use faqbot::{Engine, Outcome, Settings};

fn load(files: &[PathBuf]) -> anyhow::Result<Vec<Question>> {
    let questions = eval::load_all(files).context("cannot read the corpus")?;
    anyhow::ensure!(!questions.is_empty(), "the corpus has no question");
    Ok(questions)
}

/// A typo in an expected id would pass as a failure of the engine: it is an error.
fn check_ids(engine: &Engine, questions: &[Question]) -> anyhow::Result<()> {
    for q in questions {
        for id in &q.expected {
            let known = faqbot::Lang::ALL
                .iter()
                .any(|&l| engine.entries(l).iter().any(|e| e.id.local() == id));
            anyhow::ensure!(known, "{}: no page has an entry {id:?}", q.origin);
        }
    }
    Ok(())
}

pub fn eval(
    engine: &Engine,
    files: &[PathBuf],
    min_accuracy: Option<f64>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let questions = load(files)?;
    check_ids(engine, &questions)?;
    let ranked = eval::rank(engine, &questions);
    let results: Vec<_> = ranked
        .iter()
        .map(|(q, ranking)| eval::judge(engine, q, ranking.clone(), engine.settings()))
        .collect();
    let report = Report::new(&results);
    let sweep = eval::sweep(engine, &ranked, &eval::threshold_pairs());
    let mut out = std::io::stdout().lock();
    if json {
        let mut value = report.to_json();
        value["matcher"] = engine.matcher().as_str().into();
        value["thresholds"] = sweep
            .iter()
            .map(|((answer, clarify), r)| {
                serde_json::json!({
                    "answer": answer, "clarify": clarify,
                    "answered_right": r.answered_right, "answered_wrong": r.answered_wrong,
                    "answered": r.answered, "one_tap": r.one_tap,
                    "out_of_scope_handed_off": r.escalated_right,
                    "out_of_scope_offered_choices": r.out_of_scope_clarified,
                    "out_of_scope_answered": r.out_of_scope_answered,
                })
            })
            .collect();
        writeln!(out, "{value}")?;
    } else {
        write!(out, "{report}")?;
        write_sweep(&mut out, engine.settings(), &sweep, report.must_escalate)?;
    }
    match min_accuracy {
        Some(min) if report.accuracy() < min => {
            eprintln!(
                "faqbot: accuracy {:.1}% is below the minimum {:.1}%",
                100.0 * report.accuracy(),
                100.0 * min
            );
            Ok(ExitCode::FAILURE)
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// The table of answer/clarify threshold pairs.
fn write_sweep(
    out: &mut impl Write,
    current: &Settings,
    sweep: &[((f32, f32), Report)],
    out_of_scope: usize,
) -> std::io::Result<()> {
    writeln!(
        out,
        "answer clarify   right  wrong  one-tap   out of scope: handed off  choices  answered"
    )?;
    let oos = out_of_scope.max(1) as f64;
    for ((answer, clarify), r) in sweep {
        let mark = if (*answer, *clarify) == (current.threshold, current.clarify) {
            "*"
        } else {
            " "
        };
        writeln!(
            out,
            "{answer:>6.2} {clarify:>6.2}{mark} {:>6.1}% {:>5.1}% {:>6.1}%   {:>24.1}% {:>7.1}% {:>8.1}%",
            100.0 * r.accuracy(),
            100.0 * r.wrong_rate(),
            100.0 * r.one_tap_rate(),
            100.0 * r.escalation_recall(),
            100.0 * r.out_of_scope_clarified as f64 / oos,
            100.0 * r.out_of_scope_answered as f64 / oos,
        )?;
    }
    Ok(())
}

/// Fits the confidence model of the engine's matcher on `train` (every candidate of every
/// question a sample: right entry or not), prints it, and reports the current and the
/// refitted model on `report` at several thresholds.
pub fn calibrate(
    mut engine: Engine,
    train: &[PathBuf],
    report: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let fit = load(train)?;
    let check = if report.is_empty() {
        fit.clone()
    } else {
        load(report)?
    };
    let mut samples: Vec<(Features, bool)> = Vec::new();
    for (q, ranking) in eval::rank(&engine, &fit) {
        if let Outcome::Ranked { candidates, .. } = ranking.outcome {
            samples.extend(candidates.iter().map(|s| {
                (
                    s.features,
                    q.expected.iter().any(|e| e == s.entry.id.local()),
                )
            }));
        }
    }
    let matcher = engine.matcher();
    let current = *engine.settings();
    let using = |model: Model| match matcher {
        Matcher::Semantic => Settings {
            semantic_model: model,
            ..current
        },
        Matcher::Lexical => Settings {
            lexical_model: model,
            ..current
        },
    };
    // The free fit ranks; Platt scaling of its logit on the first-ranked candidates then
    // makes a confidence read as "the answer is right this often", which a threshold needs.
    let ranker = Model::fit(&samples);
    engine.set_settings(using(ranker));
    let tops: Vec<(Features, bool)> = eval::rank(&engine, &fit)
        .iter()
        .filter_map(|(q, ranking)| eval::top_candidate(ranking, q))
        .map(|(s, right)| (s.features, right))
        .collect();
    let model = ranker.calibrate(&tops);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} matcher: fitted on {} questions ({} candidates)\n{model}",
        matcher.as_str(),
        fit.len(),
        samples.len()
    )?;
    engine.set_settings(using(model));
    let ranked = eval::rank(&engine, &check);
    writeln!(
        out,
        "\nrefitted model on {} questions ({} in scope); * the current thresholds",
        check.len(),
        check.iter().filter(|q| q.in_scope()).count()
    )?;
    let sweep = eval::sweep(&engine, &ranked, &eval::threshold_pairs());
    let oos = check.iter().filter(|q| !q.in_scope()).count();
    write_sweep(&mut out, &current, &sweep, oos)?;
    writeln!(
        out,
        "\nweights: {:?}\nbias: {:?}",
        model.weights, model.bias
    )?;
    Ok(ExitCode::SUCCESS)
}
