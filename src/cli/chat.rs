//! `faqbot chat`: the bot's conversation in a terminal, where agents try phrasings.
//!
//! On a terminal, lines are edited and recalled (Up, Down, Ctrl-R) with rustyline; piped,
//! lines are read as they come, so scripts and tests drive the same loop.

use std::io::Write;
use std::process::ExitCode;

use faqbot::conversation::{Conversation, LangCommand, Pick, setting_name};
use faqbot::render;
use faqbot::{Engine, Lang};

const HELP: &str = "\
Type a question in Portuguese or Spanish. Commands:
  /lang            show the answer language
  /lang pt|es|auto fix it, or follow each question's language
  /help            this help
  /quit            leave (also Ctrl-D)
A number picks one of the entries just offered.";

/// One line of input, understood.
#[derive(Debug, PartialEq)]
enum Input<'a> {
    Quit,
    Help,
    /// `/lang` with its argument, empty if none.
    Lang(&'a str),
    Unknown(&'a str),
    Question(&'a str),
    Blank,
}

impl<'a> Input<'a> {
    /// Commands are whole words, case-insensitive: `/LANG es` is `/lang`, `/language es`
    /// is an unknown command, not `/lang` with "uage es".
    fn parse(text: &'a str) -> Input<'a> {
        let text = text.trim();
        if text.is_empty() {
            return Input::Blank;
        }
        if let Some(command) = text.strip_prefix('/') {
            let (word, arg) = command
                .split_once(char::is_whitespace)
                .map_or((command, ""), |(w, a)| (w, a.trim()));
            return match word.to_ascii_lowercase().as_str() {
                "quit" | "exit" | "q" => Input::Quit,
                "help" | "start" | "?" => Input::Help,
                "lang" => Input::Lang(arg),
                _ => Input::Unknown(word),
            };
        }
        Input::Question(text)
    }
}

/// The conversation's state between lines.
struct Chat<'e> {
    engine: &'e Engine,
    talk: Conversation,
}

impl Chat<'_> {
    /// The reply to one line; `None` ends the conversation.
    fn reply(&mut self, line: &str) -> Option<String> {
        if let Some(pick) = self.talk.pick(self.engine, line) {
            return Some(match pick {
                Pick::Entry(entry) => render::entry_plain(&entry),
                Pick::OutOfRange { count, lang } => render::pick_range(lang, count),
            });
        }
        Some(match Input::parse(line) {
            Input::Quit => return None,
            Input::Blank => String::new(),
            Input::Help => HELP.to_string(),
            Input::Unknown(word) => format!("unknown command /{word}\n{HELP}"),
            Input::Lang(arg) => match LangCommand::parse(arg) {
                LangCommand::Invalid => {
                    format!("unknown language {arg:?}: use /lang pt, es or auto")
                }
                command => {
                    self.talk.lang_command(command);
                    format!("lang: {}", setting_name(self.talk.lang))
                }
            },
            Input::Question(text) => render::reply_plain(&self.talk.ask(self.engine, text)),
        })
    }
}

/// Reads lines until end of input or `/quit`.
pub fn run(engine: &Engine, lang: Option<Lang>) -> anyhow::Result<ExitCode> {
    let mut chat = Chat {
        engine,
        talk: Conversation::new(lang),
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "faqbot: pergunte / pregunte (/help, /quit)")?;
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        drop(out);
        return edited(&mut chat);
    }
    write!(out, "> ")?;
    out.flush()?;
    for line in super::input_lines() {
        let Some(reply) = chat.reply(&line?) else {
            break;
        };
        if !reply.is_empty() {
            writeln!(out, "{reply}")?;
        }
        write!(out, "\n> ")?;
        out.flush()?;
    }
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}

/// The terminal loop, with line editing and history.
fn edited(chat: &mut Chat) -> anyhow::Result<ExitCode> {
    use rustyline::error::ReadlineError;
    let mut editor = rustyline::DefaultEditor::new()?;
    loop {
        // Read each time: the terminal may have been resized.
        let width = editor
            .dimensions()
            .map_or(80, |(columns, _)| usize::from(columns));
        let line = match editor.readline("> ") {
            Ok(line) => line,
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => break,
            Err(error) => return Err(error.into()),
        };
        if !line.trim().is_empty() {
            let _ = editor.add_history_entry(line.as_str());
        }
        let Some(reply) = chat.reply(&line) else {
            break;
        };
        // Not println!: it panics when stdout is a closed pipe.
        let reply = wrap(&reply, width.saturating_sub(1).max(20));
        if !reply.is_empty() && writeln!(std::io::stdout(), "{reply}\n").is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Wraps each line of `text` at spaces to at most `width` characters (a longer word stays
/// whole), so that long answers read well in a narrow terminal.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut column = 0;
        for word in line.split(' ') {
            let len = word.chars().count();
            if column > 0 && column + 1 + len > width {
                out.push('\n');
                column = 0;
            } else if column > 0 {
                out.push(' ');
                column += 1;
            }
            out.push_str(word);
            column += len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_spaces_to_the_width() {
        let text = "As atualizações de ambientes de produção iniciaram em Janeiro de 2024.\n\nSim.";
        let wrapped = wrap(text, 30);
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 30),
            "{wrapped}"
        );
        assert_eq!(
            wrapped
                .replace('\n', " ")
                .split_whitespace()
                .collect::<Vec<_>>(),
            text.split_whitespace().collect::<Vec<_>>()
        );
        assert!(
            wrapped.ends_with("\n\nSim."),
            "blank lines kept: {wrapped:?}"
        );
        assert_eq!(wrap("curto", 30), "curto");
    }

    #[test]
    fn commands_are_whole_words_in_any_case() {
        assert_eq!(Input::parse("/lang es"), Input::Lang("es"));
        assert_eq!(Input::parse("/LANG es"), Input::Lang("es"));
        assert_eq!(Input::parse("/lang"), Input::Lang(""));
        assert_eq!(Input::parse("/language es"), Input::Unknown("language"));
        assert_eq!(Input::parse("/quit"), Input::Quit);
        assert_eq!(Input::parse("/Help"), Input::Help);
        assert_eq!(Input::parse("  "), Input::Blank);
        assert_eq!(Input::parse("2"), Input::Question("2"));
        assert_eq!(Input::parse("prazo?"), Input::Question("prazo?"));
    }
}
