//! The learning loop's commands: `review` and `stats` read the bot's log.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use faqbot::Engine;
use faqbot::log::{self, review, stats};
use faqbot::teach;

/// Reads the logs, warning about each line skipped; `None` (exit 1) when there were
/// lines but none a log line: not a log, or the wrong file.
fn read(files: &[PathBuf]) -> anyhow::Result<Option<log::Read>> {
    let read = log::read(files).context("cannot read the log")?;
    for line in &read.skipped {
        eprintln!("faqbot: warning: skipped, not a log line: {line}");
    }
    if read.lines.is_empty() && !read.skipped.is_empty() {
        return Ok(None);
    }
    Ok(Some(read))
}

pub fn review(engine: &Engine, files: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let Some(read) = read(files)? else {
        return Ok(ExitCode::FAILURE);
    };
    let groups = review::review(&read.lines, Some(engine));
    let mut out = std::io::stdout().lock();
    if json {
        for group in &groups {
            writeln!(out, "{}", serde_json::to_string(group)?)?;
        }
    } else if groups.is_empty() {
        writeln!(
            out,
            "nothing to review: no question was handed off, offered choices or voted down"
        )?;
    } else {
        out.write_all(review::report(&groups).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn stats(files: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let Some(read) = read(files)? else {
        return Ok(ExitCode::FAILURE);
    };
    let stats = stats::stats(&read.lines);
    let text = if json {
        stats.json_lines()
    } else {
        stats.table()
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `faqbot accept`: plan the edit, check the corpus on the FAQ as it would be, write.
pub struct Accept<'a> {
    pub faq: &'a std::path::Path,
    pub builtin_faq: bool,
    pub settings: faqbot::Settings,
    pub encoder: Option<std::sync::Arc<faqbot::semantic::Encoder>>,
    pub corpus: &'a [PathBuf],
    pub force: bool,
}

impl Accept<'_> {
    pub fn run(self, engine: &Engine, lesson: &teach::Lesson) -> anyhow::Result<ExitCode> {
        let planned = teach::plan(self.faq, lesson)?;
        let corpus = if self.corpus.is_empty() {
            faqbot::eval::builtin()
        } else {
            faqbot::eval::load_all(self.corpus).context("cannot read the corpus")?
        };
        let check = teach::check(
            engine,
            self.faq,
            &planned,
            self.settings,
            self.encoder.clone(),
            &corpus,
        )?;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "regression corpus, {} lines: answered right {} -> {}, wrong {} -> {}",
            check.lines,
            check.right_before,
            check.right_after,
            check.wrong_before,
            check.wrong_after
        )?;
        for w in &check.worse {
            writeln!(
                out,
                "  worse {}: {} ({} -> {})",
                w.origin,
                faqbot::mask::escape(&w.question),
                w.before,
                w.after
            )?;
        }
        if !check.passed() && !self.force {
            writeln!(out, "refused: nothing written (--force writes anyway)")?;
            return Ok(ExitCode::FAILURE);
        }
        teach::write(self.faq, &planned, &planned.hash())?;
        let verb = if lesson.remove {
            "removed from"
        } else {
            "added to"
        };
        writeln!(
            out,
            "{} phrasing(s) {verb} {}: wrote {}",
            lesson.phrasings.len(),
            planned.place,
            planned.path.display()
        )?;
        writeln!(
            out,
            "a running bot on this FAQ folder picks it up by itself (hot reload) within seconds"
        )?;
        if self.builtin_faq {
            writeln!(
                out,
                "note: this is the cache's copy of the built-in FAQ, which an upgrade of faqbot replaces: deployments should use --faq DIR"
            )?;
        }
        Ok(ExitCode::SUCCESS)
    }
}
