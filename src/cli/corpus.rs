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
    let model = Model::fit(&samples);
    let matcher = engine.matcher();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} matcher: fitted on {} questions ({} candidates)\n{model}",
        matcher.as_str(),
        fit.len(),
        samples.len()
    )?;
    writeln!(
        out,
        "\nreported on {} questions: answered right (in scope) / wrong answers / out-of-scope escalated",
        check.len()
    )?;
    writeln!(out, "threshold  current model          refitted model")?;
    let current = *engine.settings();
    let with = |model: Model, threshold: f32| match matcher {
        Matcher::Semantic => Settings {
            threshold,
            semantic_model: model,
            ..current
        },
        Matcher::Lexical => Settings {
            threshold,
            lexical_model: model,
            ..current
        },
    };
    let current_model = match matcher {
        Matcher::Semantic => current.semantic_model,
        Matcher::Lexical => current.lexical_model,
    };
    for threshold in [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95] {
        let mut cells = Vec::new();
        for model in [current_model, model] {
            engine.set_settings(with(model, threshold));
            let report = Report::new(&eval::run(&engine, &check));
            cells.push(format!(
                "{:>5.1}% {:>4.1}% {:>5.1}%",
                100.0 * report.accuracy(),
                100.0 * report.wrong_rate(),
                100.0 * report.escalation_recall()
            ));
        }
        let mark = if threshold == current.threshold {
            "*"
        } else {
            " "
        };
        writeln!(out, "{threshold:>8.2}{mark}  {}   {}", cells[0], cells[1])?;
    }
    writeln!(
        out,
        "\nweights: {:?}\nbias: {:?}",
        model.weights, model.bias
    )?;
    Ok(ExitCode::SUCCESS)
}
