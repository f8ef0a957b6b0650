//! `faqbot eval` and `faqbot calibrate`: the engine against question corpora.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use faqbot::confidence::Features;
use faqbot::eval::{self, Question, Report};
use faqbot::{Engine, Settings};

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

/// Fits on even lines, reports on odd lines at several thresholds, prints the model.
pub fn calibrate(mut engine: Engine, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let questions = load(files)?;
    let (fit, check): (Vec<_>, Vec<_>) =
        questions.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    // Questions with no candidate (greetings, other languages, nothing matched) escalate
    // before the model is asked: they are not part of what it must tell apart.
    let samples = |part: &[(usize, &Question)], engine: &Engine| -> Vec<(Features, bool)> {
        part.iter()
            .filter_map(|(_, q)| {
                let ranking = engine.rank(&q.text, None);
                eval::top_candidate(&ranking, q).map(|(s, right)| (s.features, right))
            })
            .collect()
    };
    let model = engine.settings().model.calibrate(&samples(&fit, &engine));
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "fitted on {} questions, checked on {}",
        fit.len(),
        check.len()
    )?;
    writeln!(
        out,
        "Model {{ weights: {:?}, bias: {:?} }}",
        model.weights, model.bias
    )?;
    for (name, w) in Features::NAMES.iter().zip(model.weights) {
        writeln!(out, "  {name:<10} {w:+.3}")?;
    }
    let check: Vec<Question> = check.into_iter().map(|(_, q)| q.clone()).collect();
    writeln!(
        out,
        "held-out half: answered right (in scope) / wrong answers / out-of-scope escalated"
    )?;
    writeln!(out, "threshold  current model          refitted model")?;
    let current = *engine.settings();
    for threshold in [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9] {
        let mut cells = Vec::new();
        for model in [current.model, model] {
            engine.set_settings(Settings {
                threshold,
                model,
                ..current
            });
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
    Ok(ExitCode::SUCCESS)
}
