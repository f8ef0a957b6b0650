//! The command menu: `/start`, `/help`, `/lang`, registered with Telegram in pt, es and
//! the default language.

use teloxide::prelude::*;
use teloxide::types::BotCommand;
use teloxide::utils::command::BotCommands;

use super::FaqBot;
use super::send::retry;
use crate::lang::Lang;
use crate::render;

/// Commands; the doc comments are the `/help` text of the default language.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Greeting and example questions.
    Start,
    /// Greeting and example questions.
    Help,
    /// Fix the answer language: /lang pt, /lang es or /lang auto.
    Lang(String),
}

/// The command menu in pt, es and the default language.
pub(super) async fn register_commands(bot: &FaqBot) {
    let menu = |lang: Option<Lang>| -> Vec<BotCommand> {
        match lang {
            None => Command::bot_commands().to_vec(),
            Some(l) => {
                let m = render::messages(l);
                vec![
                    BotCommand::new("start", m.command_start),
                    BotCommand::new("help", m.command_start),
                    BotCommand::new("lang", m.command_lang),
                ]
            }
        }
    };
    for lang in [None, Some(Lang::Pt), Some(Lang::Es)] {
        let result = retry("setMyCommands", || {
            let mut request = bot.set_my_commands(menu(lang));
            if let Some(l) = lang {
                request = request.language_code(l.code());
            }
            request.send()
        })
        .await;
        if let Err(error) = result {
            tracing::warn!(%error, "could not register the command menu");
        }
    }
}
