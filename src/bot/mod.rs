//! The Telegram front end: translates updates into engine questions and replies into
//! messages. No answering logic lives here.
//!
//! [`run`] is handed its `Bot` and a shutdown future, so tests point it at a fake Bot API
//! server on 127.0.0.1 and stop it when they are done. The whole handler tree is in
//! [`schema`].

use std::error::Error as StdError;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use teloxide::adaptors::Throttle;
pub use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::UpdateHandler;
use teloxide::dispatching::dialogue::{self, ErasedStorage};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResult,
    InlineQueryResultArticle, InputMessageContent, InputMessageContentText, Me, ParseMode,
};
use teloxide::update_listeners;
use teloxide::utils::command::BotCommands;
use teloxide::{ApiError, RequestError};

pub use crate::unanswered::{UnansweredLog, mask_personal_data, review};
pub use storage::{StorageError, StorageKind};
pub use webhook::{HEALTH_PATH, Secret, Webhook, register as register_webhook};

mod storage;
mod webhook;

use crate::engine::Engine;
use crate::faq::{Entry, EntryId};
use crate::lang::Lang;
use crate::live::Live;
use crate::render::{self, TELEGRAM_MAX};
use crate::reply::{Reason, Reply};

/// The bot as handlers see it: every outgoing request goes through Telegram's rate limits.
pub type FaqBot = Throttle<Bot>;
type HandlerResult = Result<(), Box<dyn StdError + Send + Sync>>;
type ChatDialogue = Dialogue<ChatState, ErasedStorage<ChatState>>;

/// What the bot remembers of a chat.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ChatState {
    /// Fixed with `/lang`; `None` answers in each question's own language.
    pub lang: Option<Lang>,
    /// The alternatives last offered ("did you mean"), in their language: typing `2`
    /// picks the second.
    #[serde(default)]
    pub offered: Vec<String>,
    #[serde(default)]
    pub offered_lang: Option<Lang>,
    /// The last message updates answered in this chat (at most [`RECENT_UPDATES`]): one
    /// delivered again (a webhook retry, a restart before the confirmation, another
    /// replica) is not answered twice. A set, not a high-water mark: Telegram may restart
    /// its numbering after a quiet week, and replicas may finish updates out of order.
    #[serde(default)]
    pub answered: Vec<u32>,
}

/// How many answered update ids a chat remembers.
pub const RECENT_UPDATES: usize = 16;

impl ChatState {
    fn answered(&mut self, update: u32) {
        self.answered.push(update);
        let excess = self.answered.len().saturating_sub(RECENT_UPDATES);
        self.answered.drain(..excess);
    }
}

/// Why the bot could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot open the unanswered log {}", path.display())]
    Unanswered {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The webhook's address is taken or not ours to bind.
    #[error("cannot listen on {addr}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// Retrying cannot help: the token is wrong or revoked.
    #[error("Telegram refused the bot token: check TELOXIDE_TOKEN (and TELOXIDE_API_URL)")]
    InvalidToken,
}

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

/// Options of a bot run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where escalated questions are appended, one JSON line each.
    pub unanswered: Option<std::path::PathBuf>,
    /// Receive updates on a webhook instead of long polling.
    pub webhook: Option<Webhook>,
    /// Where per-chat state lives.
    pub storage: StorageKind,
    /// Outgoing rate limits; Telegram's own by default. Load tests raise them.
    pub limits: Limits,
    /// How long after the shutdown signal replies still being retried may take; then the
    /// bot stops without them (they are logged as dropped).
    pub shutdown_deadline: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            unanswered: None,
            webhook: None,
            storage: StorageKind::Memory,
            limits: Limits::default(),
            // Under systemd's and Docker's default stop timeouts (90 s and 10 s are the
            // defaults; deploy/faqbot.service gives 30 s).
            shutdown_deadline: Duration::from_secs(8),
        }
    }
}

/// Runs the bot (long polling, or a webhook) until `shutdown` completes; then stops taking updates,
/// finishes the ones in flight and confirms them to Telegram. Never returns early because
/// Telegram is unreachable: it keeps retrying until told to stop. A token Telegram refuses
/// is an error at once. Questions are answered by `live`'s engine of the moment.
pub async fn run<F>(
    bot: Bot,
    live: Arc<Live>,
    options: Options,
    shutdown: F,
) -> Result<(), RunError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let log = Arc::new(
        UnansweredLog::new(options.unanswered.clone()).map_err(|source| RunError::Unanswered {
            path: options.unanswered.clone().unwrap_or_default(),
            source,
        })?,
    );
    // One secret for every try: the one registered is the one checked.
    let secret = options
        .webhook
        .as_ref()
        .and_then(|hook| hook.secret.clone())
        .unwrap_or_else(Secret::generate);
    let server = match &options.webhook {
        Some(hook) => {
            let listener = webhook::bind(hook.listen)
                .await
                .map_err(|source| RunError::Listen {
                    addr: hook.listen,
                    source,
                })?;
            Some(webhook::Server::start(
                listener,
                hook.url.path(),
                secret.clone(),
            ))
        }
        None => None,
    };
    let storage = storage::open(&options.storage).await?;
    let bot = bot.throttle(options.limits);
    // The menu is a nicety: registering it (and retrying) must not hold up answering.
    let menu_bot = bot.clone();
    let menu = tokio::spawn(async move { register_commands(&menu_bot).await });
    let dispatcher_bot = bot.clone();
    let mut dispatcher = Dispatcher::builder(bot, schema())
        .dependencies(dptree::deps![live, log, storage])
        .default_handler(|_| async {})
        .build();
    let token = dispatcher.shutdown_token();
    let (stopping, mut stop_requested) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stopping.send(true);
        // The dispatcher may be starting, or retrying its start: tell it to stop once it
        // runs, or give up when `run` returned without it running.
        while !stopping.is_closed() {
            match token.shutdown() {
                Ok(done) => {
                    done.await;
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    });
    // Starting asks Telegram who the bot is; a network or server failure there is retried
    // with growing pauses, never a reason to exit.
    let mut pause = Duration::from_secs(1);
    loop {
        if *stop_requested.borrow() {
            break;
        }
        let errors = LoggingErrorHandler::with_custom_text("cannot fetch updates");
        let dispatching = async {
            match &options.webhook {
                None => {
                    let listener = update_listeners::polling_default(dispatcher_bot.clone()).await;
                    dispatcher
                        .try_dispatch_with_listener(listener, errors)
                        .await
                }
                Some(hook) => match webhook::register(&dispatcher_bot, &hook.url, &secret).await {
                    Ok(()) => match &server {
                        Some(server) => {
                            dispatcher
                                .try_dispatch_with_listener(server.listener(), errors)
                                .await
                        }
                        None => Ok(()),
                    },
                    Err(error) => Err(error),
                },
            }
        };
        let result = tokio::select! {
            result = dispatching => result,
            () = deadline_after(stop_requested.clone(), options.shutdown_deadline) => {
                tracing::error!(
                    deadline_s = options.shutdown_deadline.as_secs(),
                    "stopped at the shutdown deadline: replies still being retried are dropped"
                );
                break;
            }
        };
        match result {
            Ok(()) => break,
            Err(RequestError::Api(ApiError::InvalidToken)) => {
                menu.abort();
                return Err(RunError::InvalidToken);
            }
            Err(error) => {
                tracing::warn!(%error, retry_in_s = pause.as_secs(), "cannot reach Telegram");
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop_requested.changed() => {}
                }
                pause = (pause * 2).min(Duration::from_secs(60));
            }
        }
    }
    menu.abort();
    tracing::info!("bot stopped");
    Ok(())
}

/// Completes `after` the stop was requested.
async fn deadline_after(mut stop: tokio::sync::watch::Receiver<bool>, after: Duration) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
    tokio::time::sleep(after).await;
}

/// The whole handler tree.
pub fn schema() -> UpdateHandler<Box<dyn StdError + Send + Sync + 'static>> {
    let commands = teloxide::filter_command::<Command, _>().endpoint(command);
    let messages = Update::filter_message()
        .filter(addressed_to_bot)
        .branch(commands)
        .branch(dptree::filter(|msg: Message| msg.text().is_some()).endpoint(question))
        .branch(dptree::filter(|msg: Message| msg.chat.is_private()).endpoint(not_text));
    let callbacks = Update::filter_callback_query().endpoint(alternative_chosen);
    dptree::entry()
        .branch(Update::filter_inline_query().endpoint(inline_lookup))
        .branch(
            dialogue::enter::<Update, ErasedStorage<ChatState>, ChatState, _>()
                .branch(messages)
                .branch(callbacks),
        )
}

/// In groups the bot speaks only when mentioned, replied to, or given a command that is not
/// addressed to another bot (`/start@other_bot` is that bot's).
fn addressed_to_bot(msg: Message, me: Me) -> bool {
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
    state.lang.or_else(|| {
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

/// A fixed phrase of `lang`, escaped for Telegram HTML.
fn phrase(lang: Lang, pick: impl Fn(&render::Messages) -> &'static str) -> String {
    render::escape_html(pick(render::messages(lang)))
}

async fn command(bot: FaqBot, msg: Message, cmd: Command, dialogue: ChatDialogue) -> HandlerResult {
    let started = Instant::now();
    let mut state = dialogue.get().await?.unwrap_or_default();
    let text = match cmd {
        Command::Start | Command::Help => in_langs(
            &langs_or_both(chat_lang(&state, &msg)),
            render::welcome_html,
        ),
        Command::Lang(arg) => {
            let arg = arg.trim();
            let parsed = match arg {
                "auto" => Ok(None),
                other => other.parse::<Lang>().map(Some),
            };
            match parsed {
                Ok(lang) => {
                    state.lang = lang;
                    dialogue.update(state.clone()).await?;
                    let setting = lang.map_or("auto", Lang::code);
                    in_langs(&langs_or_both(lang), |l| {
                        format!("{} {setting}", phrase(l, |m| m.lang_set))
                    })
                }
                Err(_) => in_langs(&Lang::ALL, |l| phrase(l, |m| m.lang_usage)),
            }
        }
    };
    send_html(&bot, msg.chat.id, &text, None).await?;
    tracing::info!(
        update = "command",
        chat = chat_kind(&msg),
        lang = lang_field(chat_lang(&state, &msg)),
        elapsed_us = started.elapsed().as_micros() as u64,
        "handled"
    );
    Ok(())
}

async fn question(
    bot: FaqBot,
    update: Update,
    msg: Message,
    me: Me,
    live: Arc<Live>,
    log: Arc<UnansweredLog>,
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
    let picked = raw
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| state.offered.get(n.wrapping_sub(1)))
        .zip(state.offered_lang)
        .and_then(|(id, lang)| engine.entry(lang, id));
    if let Some(entry) = picked {
        send_entry(&bot, msg.chat.id, &entry).await?;
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
    // In groups, the mention is addressing, not part of the question.
    let text = raw.replace(&format!("@{}", me.username()), " ");
    // Embedding a question takes milliseconds of CPU: off the runtime's threads.
    let reply = {
        let (engine, text, lang) = (engine.clone(), text.clone(), state.lang);
        tokio::task::spawn_blocking(move || engine.ask_in(&text, lang)).await?
    };
    // Masked at every level: debug logs end up in the same journal as the rest.
    tracing::debug!(question = %mask_personal_data(&text), "question");
    let (offered, offered_lang) = match &reply {
        Reply::Answer(a) if a.suggest && !a.alternatives.is_empty() => (
            a.alternatives
                .iter()
                .map(|c| c.entry.id.to_string())
                .collect(),
            Some(a.lang),
        ),
        Reply::Clarify(c) => (
            c.choices.iter().map(|c| c.entry.id.to_string()).collect(),
            Some(c.lang),
        ),
        _ => (Vec::new(), None),
    };
    match &reply {
        Reply::Answer(answer) => {
            send_entry(&bot, msg.chat.id, &answer.best.entry).await?;
            if answer.suggest && !answer.alternatives.is_empty() {
                let buttons = entry_buttons(answer.lang, &answer.alternatives);
                let text = phrase(answer.lang, |m| m.did_you_mean);
                send_html(
                    &bot,
                    msg.chat.id,
                    &text,
                    Some(InlineKeyboardMarkup::new(buttons)),
                )
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
            send_html(
                &bot,
                msg.chat.id,
                &text,
                Some(InlineKeyboardMarkup::new(buttons)),
            )
            .await?;
        }
        Reply::Escalation(escalation) => {
            if !matches!(escalation.reason, Reason::Greeting | Reason::Thanks) {
                log.record(&text, escalation);
            }
            let (text, keyboard) = escalation_message(escalation, chat_lang(&state, &msg));
            send_html(&bot, msg.chat.id, &text, keyboard).await?;
        }
    }
    // Saved once the reply is out, so that the id marks a reply that went out.
    state.offered = offered;
    state.offered_lang = offered_lang;
    state.answered(update.id.0);
    dialogue.update(state).await?;
    log_reply("message", chat_kind(&msg), &reply, started);
    Ok(())
}

/// One button a row per entry; a press sends that entry.
fn entry_buttons(
    lang: Lang,
    entries: &[crate::reply::Candidate],
) -> Vec<Vec<InlineKeyboardButton>> {
    entries
        .iter()
        .map(|c| {
            vec![InlineKeyboardButton::callback(
                c.entry.title.clone(),
                callback_data(lang, &c.entry.id),
            )]
        })
        .collect()
}

/// The words and the Customer Care button(s) of an escalation; a greeting gets a greeting.
fn escalation_message(
    escalation: &crate::reply::Escalation,
    fallback: Option<Lang>,
) -> (String, Option<InlineKeyboardMarkup>) {
    if matches!(escalation.reason, Reason::Greeting | Reason::Thanks) {
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

async fn not_text(bot: FaqBot, msg: Message, dialogue: ChatDialogue) -> HandlerResult {
    let started = Instant::now();
    let state = dialogue.get().await?.unwrap_or_default();
    let lang = chat_lang(&state, &msg);
    let text = in_langs(&langs_or_both(lang), |l| phrase(l, |m| m.text_only));
    send_html(&bot, msg.chat.id, &text, None).await?;
    tracing::info!(
        update = "non_text",
        chat = chat_kind(&msg),
        lang = lang_field(lang),
        elapsed_us = started.elapsed().as_micros() as u64,
        "handled"
    );
    Ok(())
}

/// Telegram's cap on callback data and inline result ids, in bytes.
const TELEGRAM_ID_MAX: usize = 64;

/// `e:<lang>:<entry id>`, or `h:<lang>:<digest>` when the id would pass Telegram's cap.
fn callback_data(lang: Lang, id: &EntryId) -> String {
    let full = format!("e:{}:{}", lang.code(), id.as_str());
    if full.len() <= TELEGRAM_ID_MAX {
        full
    } else {
        format!("h:{}:{}", lang.code(), id.digest())
    }
}

/// The entry a button stands for, if it still exists.
fn chosen_entry(engine: &Engine, data: &str) -> Option<Arc<Entry>> {
    let (kind, rest) = data.split_once(':')?;
    let (lang, key) = rest.split_once(':')?;
    let lang = lang.parse().ok()?;
    match kind {
        "e" => engine.entry(lang, key),
        "h" => engine
            .entries(lang)
            .iter()
            .find(|entry| entry.id.digest() == key)
            .cloned(),
        _ => None,
    }
}

/// An inline result id: unique per entry and language, within Telegram's cap.
fn result_id(entry: &Entry) -> String {
    let id = format!("{}:{}", entry.lang, entry.id.local());
    if id.len() <= TELEGRAM_ID_MAX {
        id
    } else {
        format!("{}:{}", entry.lang, entry.id.digest())
    }
}

async fn alternative_chosen(bot: FaqBot, q: CallbackQuery, live: Arc<Live>) -> HandlerResult {
    let engine = live.engine();
    let started = Instant::now();
    let id = q.id.clone();
    retry("answerCallbackQuery", || {
        bot.answer_callback_query(id.clone()).send()
    })
    .await?;
    let chosen = q
        .data
        .as_deref()
        .and_then(|data| chosen_entry(&engine, data));
    let chat = q.regular_message().map(|m| m.chat.id);
    if let (Some(entry), Some(chat)) = (chosen, chat) {
        send_entry(&bot, chat, &entry).await?;
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
async fn inline_lookup(bot: FaqBot, q: InlineQuery, live: Arc<Live>) -> HandlerResult {
    let engine = live.engine();
    let started = Instant::now();
    let mut query_lang = None;
    let results: Vec<InlineQueryResult> = if q.query.trim().is_empty() {
        Vec::new()
    } else {
        let (lang, hits) = engine.search(&q.query, None);
        query_lang = Some(lang);
        hits.iter()
            .take(5)
            .map(|hit| {
                let html = render::entry_html(&hit.entry);
                let html = render::split_html(&html, TELEGRAM_MAX)
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

/// Sends an entry as Telegram HTML, in as many messages as its length needs.
async fn send_entry(bot: &FaqBot, chat: ChatId, entry: &Entry) -> Result<(), RequestError> {
    for part in render::split_html(&render::entry_html(entry), TELEGRAM_MAX) {
        send_html(bot, chat, &part, None).await?;
    }
    Ok(())
}

/// Sends HTML text, retrying what Telegram asks to retry.
async fn send_html(
    bot: &FaqBot,
    chat: ChatId,
    html: &str,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<(), RequestError> {
    retry("sendMessage", || {
        let mut request = bot
            .send_message(chat, html.to_string())
            .parse_mode(ParseMode::Html);
        if let Some(keyboard) = &keyboard {
            request = request.reply_markup(keyboard.clone());
        }
        request.send()
    })
    .await
    .map(drop)
}

/// How long a reply is retried before it is given up (and logged as lost): minutes, so that
/// a Telegram or network outage of a few minutes delays replies instead of losing them.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(600);
/// The longest pause between two tries.
const RETRY_PAUSE_MAX: Duration = Duration::from_secs(30);

/// Retries a request on 429 (after the delay Telegram gives), network loss and 5xx, with
/// growing pauses, until [`DELIVERY_DEADLINE`]; other errors are final.
async fn retry<T, F, Fut>(method: &'static str, mut send: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let started = Instant::now();
    let mut pause = Duration::from_millis(200);
    for attempt in 1.. {
        let error = match send().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let wait = match &error {
            RequestError::RetryAfter(after) => after.duration(),
            // No answer in time: Telegram may have delivered it. Sending it again would
            // show the customer the reply twice; a reply lost is the lesser harm.
            RequestError::Network(e) if e.is_timeout() => {
                tracing::warn!(method, %error, "no answer in time: not sent again, it may have arrived");
                return Err(error);
            }
            // Network loss; a proxy's 5xx page (not JSON); Telegram's own 5xx.
            RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
                pause
            }
            RequestError::Api(ApiError::Unknown(text))
                if [
                    "Internal",
                    "Bad Gateway",
                    "Service Unavailable",
                    "Gateway Timeout",
                ]
                .iter()
                .any(|server| text.contains(server)) =>
            {
                pause
            }
            _ => return Err(error),
        };
        if started.elapsed() + wait > DELIVERY_DEADLINE {
            tracing::error!(method, attempt, %error, "given up after the delivery deadline");
            return Err(error);
        }
        tracing::warn!(method, attempt, wait_ms = wait.as_millis() as u64, %error, "retrying");
        tokio::time::sleep(wait).await;
        pause = (pause * 2).min(RETRY_PAUSE_MAX);
    }
    unreachable!("the loop returns")
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

/// The command menu in pt, es and the default language.
async fn register_commands(bot: &FaqBot) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_stays_under_telegrams_cap() {
        let short = EntryId::new("migrate-infra-to-aws", "aws-faq-6");
        assert_eq!(
            callback_data(Lang::Pt, &short),
            "e:pt:migrate-infra-to-aws/aws-faq-6"
        );
        let long = EntryId::new(&"a-very-long-page-anchor".repeat(3), "section-1");
        let data = callback_data(Lang::Es, &long);
        assert!(data.len() <= TELEGRAM_ID_MAX, "{data}");
        assert_eq!(data, format!("h:es:{}", long.digest()));
        assert_ne!(long.digest(), short.digest());
    }

    #[test]
    fn buttons_lead_back_to_their_entry_by_id_or_digest() {
        let (engine, _index) = crate::engine::tests::repo_engine();
        for lang in Lang::ALL {
            for entry in engine.entries(lang) {
                let by_id = chosen_entry(&engine, &callback_data(lang, &entry.id));
                let by_digest =
                    chosen_entry(&engine, &format!("h:{}:{}", lang.code(), entry.id.digest()));
                for chosen in [by_id, by_digest] {
                    let chosen = chosen.expect("an entry");
                    assert_eq!((chosen.lang, &chosen.id), (lang, &entry.id));
                }
            }
        }
        assert!(chosen_entry(&engine, "h:pt:0000000000000000").is_none());
        assert!(chosen_entry(&engine, "x:pt:whatever").is_none());
    }
}
