//! The handlers: one per kind of update, each taking what it needs from the dispatcher. They
//! translate between Telegram and the conversation; the engine decides.

use std::sync::Arc;
use std::time::Instant;

use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResult, InlineQueryResultArticle,
    InputMessageContent, InputMessageContentText, Me, ParseMode,
};

use super::buttons::{chosen_entry, entry_buttons, result_id};
use super::html::{self, TELEGRAM_MAX, phrase};
use super::menu::Command;
use super::send::{Replies, retry};
use super::{ChatDialogue, ChatState, FaqBot, HandlerResult};
use crate::conversation::{LangCommand, Pick, setting_name};
use crate::lang::Lang;
use crate::live::Live;
use crate::log::{Event, Log};
use crate::mask::mask_personal_data;
use crate::render;
use crate::reply::{Escalation, Reply};
use crate::tuning;

/// In groups the bot speaks only when mentioned, replied to, or given a command that is not
/// addressed to another bot (`/start@other_bot` is that bot's).
pub(super) fn addressed_to_bot(msg: Message, me: Me) -> bool {
    let text = msg.text().unwrap_or_default();
    if let Some(command) = text.strip_prefix('/') {
        let word = command.split_whitespace().next().unwrap_or_default();
        if let Some((_, bot)) = word.split_once('@') {
            return bot.eq_ignore_ascii_case(me.username());
        }
    }
    if msg.chat.is_private() {
        return true;
    }
    let mention = format!("@{}", me.username());
    text.starts_with('/')
        || text.to_lowercase().contains(&mention.to_lowercase())
        || msg
            .reply_to_message()
            .and_then(|r| r.from.as_ref())
            .is_some_and(|u| u.id == me.id)
}

/// The language to talk in when no question says it: the chat's setting, else the user's
/// Telegram language when it is pt or es.
fn chat_lang(state: &ChatState, msg: &Message) -> Option<Lang> {
    state.talk.lang.or_else(|| {
        msg.from
            .as_ref()
            .and_then(|u| u.language_code.as_deref())
            .and_then(|code| code.get(..2))
            .and_then(|code| code.parse().ok())
    })
}

fn langs_or_both(lang: Option<Lang>) -> Vec<Lang> {
    lang.map_or_else(|| Lang::ALL.to_vec(), |l| vec![l])
}

/// The same message in each of `langs`, one paragraph each.
fn in_langs(langs: &[Lang], phrase: impl Fn(Lang) -> String) -> String {
    langs
        .iter()
        .map(|&l| phrase(l))
        .collect::<Vec<_>>()
        .join("\n\n")
}

pub(super) async fn command(
    replies: Replies,
    msg: Message,
    cmd: Command,
    dialogue: ChatDialogue,
) -> HandlerResult {
    let started = Instant::now();
    let mut state = dialogue.get().await?.unwrap_or_default();
    let text = match cmd {
        Command::Start | Command::Help => {
            if matches!(cmd, Command::Start) && state.talk.context.is_some() {
                state.talk.forget();
                dialogue.update(state.clone()).await?;
            }
            in_langs(&langs_or_both(chat_lang(&state, &msg)), html::welcome_html)
        }
        Command::Lang(arg) => match LangCommand::parse(&arg) {
            LangCommand::Invalid => in_langs(&Lang::ALL, |l| phrase(l, |m| m.lang_usage)),
            command => {
                if state.talk.lang_command(command).is_some() {
                    dialogue.update(state.clone()).await?;
                }
                let lang = state.talk.lang;
                in_langs(&langs_or_both(lang), |l| {
                    format!("{} {}", phrase(l, |m| m.lang_set), setting_name(lang))
                })
            }
        },
    };
    replies.html(msg.chat.id, &text, None).await?;
    tracing::info!(
        update = "command",
        chat = chat_kind(&msg),
        lang = lang_field(chat_lang(&state, &msg)),
        elapsed_us = started.elapsed().as_micros() as u64,
        "handled"
    );
    Ok(())
}

pub(super) async fn question(
    replies: Replies,
    update: Update,
    msg: Message,
    me: Me,
    live: Arc<Live>,
    log: Arc<Log>,
    dialogue: ChatDialogue,
) -> HandlerResult {
    let started = Instant::now();
    let engine = live.engine();
    let mut state = dialogue.get().await?.unwrap_or_default();
    if state.answered.contains(&update.id.0) {
        tracing::info!(update = update.id.0, "already answered: not again");
        return Ok(());
    }
    let raw = msg.text().unwrap_or_default();
    match state.talk.pick(&engine, raw) {
        Some(Pick::Entry(entry)) => {
            replies.entry(msg.chat.id, &entry).await?;
            log.record(Event::Picked {
                lang: entry.lang.code().to_string(),
                entry: entry.id.to_string(),
                question: None,
            });
            state.answered(update.id.0);
            dialogue.update(state).await?;
            tracing::info!(
                update = "message",
                chat = chat_kind(&msg),
                lang = entry.lang.code(),
                entry = %entry.id,
                elapsed_us = started.elapsed().as_micros() as u64,
                "picked an alternative"
            );
            return Ok(());
        }
        Some(Pick::OutOfRange { count, lang }) => {
            let text = html::escape_html(&render::pick_range(lang, count));
            replies.html(msg.chat.id, &text, None).await?;
            state.answered(update.id.0);
            dialogue.update(state).await?;
            return Ok(());
        }
        None => {}
    }
    // In groups, the mention is addressing, not part of the question.
    let text = raw.replace(&format!("@{}", me.username()), " ");
    // Embedding a question takes milliseconds of CPU: off the runtime's threads.
    let now = crate::conversation::now();
    let (reading, reply) = {
        let (engine, text, lang) = (engine.clone(), text.clone(), state.talk.lang);
        let context = state.talk.context_at(now).cloned();
        tokio::task::spawn_blocking(move || {
            let reading = engine.read(&text, lang, context.as_ref());
            let reply = engine.decide(reading.ranking.clone());
            (reading, reply)
        })
        .await?
    };
    if let Some(read_as) = &reading.read_as {
        tracing::debug!(read_as = %mask_personal_data(read_as), "read as");
    }
    // Masked at every level: debug logs end up in the same journal as the rest.
    tracing::debug!(question = %mask_personal_data(&text), "question");
    match &reply {
        Reply::Answer(answer) => {
            replies.entry(msg.chat.id, &answer.best.entry).await?;
            if answer.suggest && !answer.alternatives.is_empty() {
                let buttons = entry_buttons(answer.lang, &answer.alternatives);
                let text = phrase(answer.lang, |m| m.did_you_mean);
                replies
                    .html(msg.chat.id, &text, Some(InlineKeyboardMarkup::new(buttons)))
                    .await?;
            }
        }
        Reply::Clarify(clarify) => {
            let mut buttons = entry_buttons(clarify.lang, &clarify.choices);
            if let Ok(url) = clarify.care.url.parse() {
                buttons.push(vec![InlineKeyboardButton::url(
                    clarify.care.label.clone(),
                    url,
                )]);
            }
            let text = phrase(clarify.lang, |m| m.clarify);
            replies
                .html(msg.chat.id, &text, Some(InlineKeyboardMarkup::new(buttons)))
                .await?;
        }
        Reply::Escalation(escalation) => {
            let (text, keyboard) = escalation_message(escalation, chat_lang(&state, &msg));
            replies.html(msg.chat.id, &text, keyboard).await?;
        }
    }
    log.record(Event::of_reply(
        &text,
        reading.read_as.as_deref(),
        &reply,
        None,
    ));
    // Saved once the reply is out, so that the id marks a reply that went out.
    state.talk.replied(&text, &reading, &reply, now);
    state.answered(update.id.0);
    dialogue.update(state).await?;
    log_reply("message", chat_kind(&msg), &reply, started);
    Ok(())
}

/// The words and the Customer Care button(s) of an escalation; a greeting gets a greeting.
fn escalation_message(
    escalation: &Escalation,
    fallback: Option<Lang>,
) -> (String, Option<InlineKeyboardMarkup>) {
    if escalation.reason.is_small_talk() {
        let langs = langs_or_both(escalation.detected.lang.or(fallback));
        return (
            in_langs(&langs, |l| phrase(l, |m| m.reason(escalation.reason))),
            None,
        );
    }
    let langs: Vec<Lang> = escalation.contacts.iter().map(|(l, _)| *l).collect();
    let text = in_langs(&langs, |l| phrase(l, |m| m.reason(escalation.reason)));
    let buttons: Vec<Vec<InlineKeyboardButton>> = escalation
        .contacts
        .iter()
        .filter_map(|(_, care)| care.url.parse().ok().map(|url| (care, url)))
        .map(|(care, url)| vec![InlineKeyboardButton::url(care.label.clone(), url)])
        .collect();
    let keyboard = (!buttons.is_empty()).then(|| InlineKeyboardMarkup::new(buttons));
    (text, keyboard)
}

pub(super) async fn not_text(
    replies: Replies,
    msg: Message,
    dialogue: ChatDialogue,
) -> HandlerResult {
    let started = Instant::now();
    let state = dialogue.get().await?.unwrap_or_default();
    let lang = chat_lang(&state, &msg);
    let text = in_langs(&langs_or_both(lang), |l| phrase(l, |m| m.text_only));
    replies.html(msg.chat.id, &text, None).await?;
    tracing::info!(
        update = "non_text",
        chat = chat_kind(&msg),
        lang = lang_field(lang),
        elapsed_us = started.elapsed().as_micros() as u64,
        "handled"
    );
    Ok(())
}

pub(super) async fn alternative_chosen(
    replies: Replies,
    q: CallbackQuery,
    live: Arc<Live>,
    log: Arc<Log>,
) -> HandlerResult {
    let engine = live.engine();
    let started = Instant::now();
    let id = q.id.clone();
    retry("answerCallbackQuery", || {
        replies.bot.answer_callback_query(id.clone()).send()
    })
    .await?;
    let chosen = q
        .data
        .as_deref()
        .and_then(|data| chosen_entry(&engine, data));
    let chat = q.regular_message().map(|m| m.chat.id);
    if let (Some(entry), Some(chat)) = (chosen, chat) {
        replies.entry(chat, &entry).await?;
        log.record(Event::Picked {
            lang: entry.lang.code().to_string(),
            entry: entry.id.to_string(),
            question: None,
        });
        // What a customer taps is the best evidence of what they meant.
        tracing::info!(
            update = "callback",
            lang = entry.lang.code(),
            entry = %entry.id,
            elapsed_us = started.elapsed().as_micros() as u64,
            "customer chose"
        );
    }
    Ok(())
}

/// Inline mode for agents: up to five entries in the query's language.
pub(super) async fn inline_lookup(bot: FaqBot, q: InlineQuery, live: Arc<Live>) -> HandlerResult {
    let engine = live.engine();
    let started = Instant::now();
    let mut query_lang = None;
    let results: Vec<InlineQueryResult> = if q.query.trim().is_empty() {
        Vec::new()
    } else {
        let (lang, hits) = engine.search(&q.query, None);
        query_lang = Some(lang);
        hits.iter()
            .take(tuning::INLINE_RESULTS)
            .map(|hit| {
                let html = html::entry_html(&hit.entry);
                let html = html::split_html(&html, TELEGRAM_MAX)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                let content = InputMessageContentText::new(html).parse_mode(ParseMode::Html);
                InlineQueryResult::Article(
                    InlineQueryResultArticle::new(
                        result_id(&hit.entry),
                        hit.entry.title.clone(),
                        InputMessageContent::Text(content),
                    )
                    .description(format!("{:.0}%", 100.0 * hit.confidence)),
                )
            })
            .collect()
    };
    let count = results.len();
    let id = q.id.clone();
    retry("answerInlineQuery", || {
        bot.answer_inline_query(id.clone(), results.clone()).send()
    })
    .await?;
    tracing::info!(
        update = "inline_query",
        lang = lang_field(query_lang),
        results = count,
        elapsed_us = started.elapsed().as_micros() as u64,
        "handled"
    );
    Ok(())
}

/// A language for the logs: its code, or `both` when the bot spoke both.
fn lang_field(lang: Option<Lang>) -> &'static str {
    lang.map_or("both", Lang::code)
}

fn chat_kind(msg: &Message) -> &'static str {
    if msg.chat.is_private() {
        "private"
    } else if msg.chat.is_group() || msg.chat.is_supergroup() {
        "group"
    } else {
        "channel"
    }
}

/// One structured event per answered update.
fn log_reply(update: &'static str, chat: &'static str, reply: &Reply, started: Instant) {
    let elapsed_us = started.elapsed().as_micros() as u64;
    let lang = reply.detected().code();
    match reply {
        Reply::Answer(a) => tracing::info!(
            update, chat, lang, entry = %a.best.entry.id, confidence = a.best.confidence,
            elapsed_us, "answered"
        ),
        Reply::Clarify(c) => tracing::info!(
            update,
            chat,
            lang,
            choices = c.choices.len(),
            confidence = c.choices.first().map_or(0.0, |b| b.confidence),
            elapsed_us,
            "offered choices"
        ),
        Reply::Escalation(e) => tracing::info!(
            update,
            chat,
            lang,
            reason = e.reason.as_str(),
            confidence = e.best.as_ref().map_or(0.0, |b| b.confidence),
            elapsed_us,
            "escalated"
        ),
    }
}
