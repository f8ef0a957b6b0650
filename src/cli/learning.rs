//! The learning loop's commands: `review` and `stats` read the bot's log.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use faqbot::Engine;
use faqbot::log::{self, review, stats};

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
