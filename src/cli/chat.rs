//! `faqbot chat`: the bot's conversation in a terminal.

use std::io::Write;
use std::process::ExitCode;

use faqbot::render;
use faqbot::{Engine, Lang, Reply};

/// Reads questions until end of input or `/quit`. `/lang pt|es|auto` fixes the language;
/// a number picks one of the alternatives last offered.
pub fn run(engine: &Engine, mut lang: Option<Lang>) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut offered: Vec<String> = Vec::new();
    let mut last_lang = lang.unwrap_or(Lang::Pt);
    writeln!(out, "faqbot: pergunte / pregunte (/lang pt|es|auto, /quit)")?;
    write!(out, "> ")?;
    out.flush()?;
    for line in super::input_lines() {
        let line = line?;
        let text = line.trim();
        if text == "/quit" || text == "/exit" {
            break;
        }
        if let Some(arg) = text.strip_prefix("/lang") {
            let arg = arg.trim();
            match arg {
                "auto" => lang = None,
                other => match other.parse::<Lang>() {
                    Ok(l) => lang = Some(l),
                    Err(err) => writeln!(out, "{err}")?,
                },
            }
            writeln!(out, "lang: {}", lang.map_or("auto", Lang::code))?;
        } else if let Some(id) = text
            .parse::<usize>()
            .ok()
            .and_then(|n| offered.get(n.wrapping_sub(1)))
        {
            if let Some(entry) = engine.entry(last_lang, id) {
                writeln!(out, "{}", render::entry_plain(&entry))?;
            }
        } else {
            let reply = engine.ask_in(text, lang);
            offered.clear();
            match &reply {
                Reply::Answer(answer) => {
                    last_lang = answer.lang;
                    if answer.suggest {
                        offered = answer
                            .alternatives
                            .iter()
                            .map(|c| c.entry.id.to_string())
                            .collect();
                    }
                }
                Reply::Clarify(clarify) => {
                    last_lang = clarify.lang;
                    offered = clarify
                        .choices
                        .iter()
                        .map(|c| c.entry.id.to_string())
                        .collect();
                }
                Reply::Escalation(_) => {}
            }
            writeln!(out, "{}", render::reply_plain(&reply))?;
        }
        write!(out, "\n> ")?;
        out.flush()?;
    }
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}
