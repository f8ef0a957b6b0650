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
    let mut questions = Vec::new();
    for file in files {
        questions.extend(eval::load(file).context("cannot read the corpus")?);
    }
    Ok(questions)
}

pub fn eval(
    engine: &Engine,
    files: &[PathBuf],
    min_accuracy: Option<f64>,
) -> anyhow::Result<ExitCode> {
    let questions = load(files)?;
    let report = Report::new(&eval::run(engine, &questions));
    write!(std::io::stdout().lock(), "{report}")?;
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
    for q in &fit {
        if let Outcome::Ranked { candidates, .. } = engine.rank(&q.text, None).outcome {
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
    writeln!(
        out,
        "answer clarify   right  wrong  one-tap   out of scope: handed off  choices  answered"
    )?;
    let pairs: Vec<(f32, f32)> = [0.6f32, 0.7, 0.75, 0.8, 0.85, 0.9]
        .iter()
        .flat_map(|&a| [0.1f32, 0.2, 0.3, 0.4, 0.5].map(|c| (a, c)))
        .collect();
    for ((answer, clarify), r) in eval::sweep(&engine, &ranked, &pairs) {
        let mark = if (answer, clarify) == (current.threshold, current.clarify) {
            "*"
        } else {
            " "
        };
        let oos = r.must_escalate.max(1) as f64;
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
    writeln!(
        out,
        "\nweights: {:?}\nbias: {:?}",
        model.weights, model.bias
    )?;
    Ok(ExitCode::SUCCESS)
}
