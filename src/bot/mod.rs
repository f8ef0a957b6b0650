//! The Telegram front end: translates updates into engine questions and replies into
//! messages. No answering logic lives here.
//!
//! [`run`] is handed its `Bot` and a shutdown future, so tests point it at a fake Bot API
//! server on 127.0.0.1 and stop it when they are done. The whole handler tree is in
//! [`schema`].

use std::error::Error as StdError;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use teloxide::adaptors::Throttle;
pub use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::UpdateHandler;
use teloxide::dispatching::dialogue::{self, ErasedStorage};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;
use teloxide::{ApiError, RequestError};

pub use menu::Command;
pub use storage::{StorageError, StorageKind};
pub use webhook::{HEALTH_PATH, Secret, Webhook, register as register_webhook};

mod buttons;
mod handlers;
pub mod html;
mod menu;
mod outbox;
mod polling;
mod send;
mod storage;
mod webhook;

use crate::conversation::Conversation;
use crate::live::Live;
use crate::log::Log;
use crate::tuning;

/// The bot as handlers see it: every outgoing request goes through Telegram's rate limits.
pub type FaqBot = Throttle<Bot>;
type HandlerResult = Result<(), Box<dyn StdError + Send + Sync>>;
type ChatDialogue = Dialogue<ChatState, ErasedStorage<ChatState>>;

/// What the bot remembers of a chat.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ChatState {
    /// The language setting and the entries last offered, as `faqbot chat` keeps them.
    #[serde(flatten)]
    pub talk: Conversation,
    /// The last message updates answered in this chat (at most [`RECENT_UPDATES`]): one
    /// delivered again (a webhook retry, a restart before the confirmation, another
    /// replica) is not answered twice. A set, not a high-water mark: Telegram may restart
    /// its numbering after a quiet week, and replicas may finish updates out of order.
    #[serde(default)]
    pub answered: Vec<u32>,
}

pub use crate::tuning::RECENT_UPDATES;

impl ChatState {
    pub(crate) fn answered(&mut self, update: u32) {
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
    #[error("cannot open the log {}", path.display())]
    Log {
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
    /// The Bot API URL cannot take a method's path (`TELOXIDE_API_URL` is not an http(s) URL).
    #[error("the Bot API URL cannot take a path: check TELOXIDE_API_URL")]
    ApiUrl,
    /// Retrying cannot help: the token is wrong or revoked.
    #[error("Telegram refused the bot token: check TELOXIDE_TOKEN (and TELOXIDE_API_URL)")]
    InvalidToken,
}

/// Options of a bot run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where every reply, choice picked and vote is appended, one JSON line each
    /// ([`crate::log`]).
    pub log: Option<std::path::PathBuf>,
    /// Receive updates on a webhook instead of long polling.
    pub webhook: Option<Webhook>,
    /// Where per-chat state lives.
    pub storage: StorageKind,
    /// Outgoing rate limits; Telegram's own by default. Load tests raise them.
    pub limits: Limits,
    /// How long after the shutdown signal replies still being retried may take; then the
    /// bot stops without them: kept for the next start with sqlite or Redis storage, lost
    /// (and logged) in memory.
    pub shutdown_deadline: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            log: None,
            webhook: None,
            storage: StorageKind::Memory,
            limits: Limits::default(),
            shutdown_deadline: tuning::SHUTDOWN_DEADLINE,
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
        Log::new(options.log.clone()).map_err(|source| RunError::Log {
            path: options.log.clone().unwrap_or_default(),
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
    let outbox = Arc::new(outbox::Outbox::open(&options.storage).await?);
    let endpoint = polling::Endpoint::of(&bot).ok_or(RunError::ApiUrl)?;
    // Telegram's limits are kept by the throttle; its 429s come back to `send`, which keeps
    // the reply while it waits and gives up at the delivery deadline (the throttle alone
    // would retry forever, out of the outbox's sight).
    let bot = Throttle::spawn_with_settings(
        bot,
        teloxide::adaptors::throttle::Settings::default()
            .limits(options.limits)
            .no_retry(),
    );
    // The menu is a nicety: registering it (and retrying) must not hold up answering.
    let menu_bot = bot.clone();
    let menu = tokio::spawn(async move { menu::register_commands(&menu_bot).await });
    let dispatcher_bot = bot.clone();
    let mut dispatcher = Dispatcher::builder(bot, schema())
        .dependencies(dptree::deps![
            live,
            log,
            storage,
            send::Replies {
                bot: dispatcher_bot.clone(),
                outbox: outbox.clone(),
            }
        ])
        .default_handler(|_| async {})
        .build();
    let token = dispatcher.shutdown_token();
    let (stopping, mut stop_requested) = tokio::sync::watch::channel(false);
    let resumer = tokio::spawn(resume_kept(
        dispatcher_bot.clone(),
        outbox.clone(),
        stop_requested.clone(),
    ));
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
    let mut pause = tuning::START_PAUSE_MIN;
    let outcome = loop {
        if *stop_requested.borrow() {
            break Ok(());
        }
        let errors = LoggingErrorHandler::with_custom_text("cannot fetch updates");
        let dispatching = async {
            match &options.webhook {
                None => {
                    let listener = polling::listener(endpoint.clone());
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
                    "stopped at the shutdown deadline: replies still being retried are left to the next start (lost with memory storage)"
                );
                break Ok(());
            }
        };
        match result {
            Ok(()) => break Ok(()),
            // No stop was asked for: the resumed deliveries are stopped here.
            Err(RequestError::Api(ApiError::InvalidToken)) => {
                resumer.abort();
                break Err(RunError::InvalidToken);
            }
            Err(error) => {
                tracing::warn!(%error, retry_in_s = pause.as_secs(), "cannot reach Telegram");
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop_requested.changed() => {}
                }
                pause = (pause * 2).min(tuning::START_PAUSE_MAX);
            }
        }
    };
    menu.abort();
    // The resumed deliveries stop (they stay kept) before their leases are released.
    let _ = resumer.await;
    // Replies still being retried are left, kept, to the next process.
    outbox.release().await;
    outcome?;
    tracing::info!("bot stopped");
    Ok(())
}

/// Delivers the replies a stopped or dead process left in the outbox: at start, then every
/// [`tuning::OUTBOX_SCAN`] (a replica that died lets its replies' leases lapse).
async fn resume_kept(
    bot: FaqBot,
    outbox: Arc<outbox::Outbox>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    if !outbox.persistent() {
        return;
    }
    let mut deliveries = tokio::task::JoinSet::new();
    while !*stop.borrow_and_update() {
        for (id, pending) in outbox.orphans(tuning::OUTBOX_LEASE).await {
            tracing::info!(
                messages = pending.messages.len(),
                "delivering a reply kept by a stopped process"
            );
            let (bot, outbox) = (bot.clone(), outbox.clone());
            deliveries.spawn(async move {
                if let Err(error) = send::deliver(&bot, &outbox, pending, Some(id)).await {
                    tracing::warn!(%error, "kept reply not delivered");
                }
            });
        }
        tokio::select! {
            () = tokio::time::sleep(tuning::OUTBOX_SCAN) => {}
            changed = stop.changed() => if changed.is_err() { break },
        }
        while deliveries.try_join_next().is_some() {}
    }
    deliveries.shutdown().await;
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

/// The kinds of update [`schema`] answers; long polling asks Telegram for these only.
pub(crate) const HANDLED: [AllowedUpdate; 3] = [
    AllowedUpdate::Message,
    AllowedUpdate::CallbackQuery,
    AllowedUpdate::InlineQuery,
];

/// The whole handler tree.
pub fn schema() -> UpdateHandler<Box<dyn StdError + Send + Sync + 'static>> {
    use handlers::{
        addressed_to_bot, alternative_chosen, command, inline_lookup, not_text, question,
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{Offer, Remembered};
    use crate::engine::Context;
    use crate::faq::EntryId;
    use crate::lang::Lang;

    #[test]
    fn stored_chat_state_has_the_documented_shape() {
        let state = ChatState {
            talk: Conversation {
                lang: Some(Lang::Pt),
                offer: Some(Offer {
                    lang: Lang::Pt,
                    ids: vec![EntryId::new("p", "aws-faq-1")],
                }),
                context: Some(Remembered {
                    context: Context {
                        text: "qual o prazo?".into(),
                        lang: Lang::Pt,
                    },
                    at: 1_764_806_400,
                }),
            },
            answered: vec![7],
        };
        // deploy/README.md, "Chat state storage".
        assert_eq!(
            serde_json::to_string(&state).unwrap(),
            r#"{"lang":"pt","offer":{"lang":"pt","ids":["p/aws-faq-1"]},"context":{"text":"qual o prazo?","lang":"pt","at":1764806400},"answered":[7]}"#
        );
    }
}
