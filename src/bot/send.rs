//! Sending: entries and HTML texts out to Telegram, retried through rate limits, network
//! loss and server errors until a deadline, and kept in the [`Outbox`] while they wait.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, ParseMode};
use teloxide::{ApiError, RequestError};

use super::FaqBot;
use super::html::{self, TELEGRAM_MAX};
use super::outbox::{KeptId, Outbox, Outgoing, Pending};
use crate::faq::Entry;
use crate::tuning::{DELIVERY_DEADLINE, OUTBOX_LEASE, RETRY_PAUSE_MAX, RETRY_PAUSE_MIN};

/// The way replies go out: to Telegram through its rate limits, and into the outbox while
/// Telegram refuses them. Handlers take it as their one way to answer.
#[derive(Clone)]
pub(super) struct Replies {
    pub bot: FaqBot,
    pub outbox: Arc<Outbox>,
}

impl Replies {
    /// Sends an entry as Telegram HTML, in as many messages as its length needs.
    pub async fn entry(&self, chat: ChatId, entry: &Entry) -> Result<(), RequestError> {
        let messages = html::split_html(&html::entry_html(entry), TELEGRAM_MAX)
            .into_iter()
            .map(|html| Outgoing {
                html,
                keyboard: None,
            })
            .collect();
        self.send(chat, messages).await
    }

    /// Sends HTML text with its buttons.
    pub async fn html(
        &self,
        chat: ChatId,
        html: &str,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Result<(), RequestError> {
        let message = Outgoing {
            html: html.to_string(),
            keyboard,
        };
        self.send(chat, vec![message]).await
    }

    async fn send(&self, chat: ChatId, messages: Vec<Outgoing>) -> Result<(), RequestError> {
        let pending = Pending::new(chat.0, messages, DELIVERY_DEADLINE);
        deliver(&self.bot, &self.outbox, pending, None).await
    }
}

/// Sends what is left of `pending`, in order, retrying what Telegram asks to retry until
/// the reply's deadline. From the first failure on, the rest of the reply is kept in the
/// outbox (`kept`: already there, taken over from a stopped process) until it is
/// delivered or given up.
pub(super) async fn deliver(
    bot: &FaqBot,
    outbox: &Outbox,
    mut pending: Pending,
    mut kept: Option<KeptId>,
) -> Result<(), RequestError> {
    let mut pause = RETRY_PAUSE_MIN;
    let mut attempt = 0u32;
    let result = loop {
        let Some(message) = pending.messages.first().cloned() else {
            break Ok(());
        };
        if kept.is_some() && outbox.closed() {
            // This process stopped: the kept reply is the next one's to send.
            tracing::info!("a kept reply is left to the next start");
            return Ok(());
        }
        attempt += 1;
        let error = match send_holding(bot, outbox, &pending, &message, kept.as_ref()).await {
            Sent::Yes => {
                pending.messages.remove(0);
                (attempt, pause) = (0, RETRY_PAUSE_MIN);
                if let (Some(id), false) = (&kept, pending.messages.is_empty())
                    && !outbox.renew(id, &pending, OUTBOX_LEASE).await
                {
                    return taken_over();
                }
                continue;
            }
            Sent::TakenOver => return taken_over(),
            Sent::No(error) => error,
        };
        let Some(wait) = retry_wait(&error, pause, "sendMessage") else {
            if matches!(error, RequestError::Api(ApiError::InvalidToken)) {
                // The token is wrong, not the reply: kept for a process with a good one.
                return Err(error);
            }
            break Err(error);
        };
        if pending.expired_after(wait) {
            tracing::error!(attempt, %error, "reply given up after the delivery deadline");
            break Err(error);
        }
        if outbox.closed() {
            // This process stopped; a kept reply is the next one's to send.
            return Err(error);
        }
        // Held past the pause, so that no other process takes it over while we wait.
        let lease = wait + OUTBOX_LEASE;
        match &kept {
            None => kept = outbox.keep(&pending, lease).await,
            Some(id) => {
                if !outbox.renew(id, &pending, lease).await {
                    return taken_over();
                }
            }
        }
        tracing::warn!(method = "sendMessage", attempt, wait_ms = wait.as_millis() as u64, %error, "retrying");
        tokio::time::sleep(wait).await;
        pause = (pause * 2).min(RETRY_PAUSE_MAX);
    };
    if let Some(id) = &kept {
        outbox.done(id).await;
    }
    result
}

/// Another process holds the reply now and delivers it: nothing failed here.
fn taken_over() -> Result<(), RequestError> {
    tracing::warn!("a kept reply was taken over by another process, which delivers it");
    Ok(())
}

enum Sent {
    Yes,
    No(RequestError),
    /// The reply's lease lapsed while the send waited and another process holds it now.
    TakenOver,
}

/// Sends one message of a reply; while the send waits (rate limits, a slow Telegram) the
/// lease of a kept reply is renewed, so that no other process takes it over meanwhile.
async fn send_holding(
    bot: &FaqBot,
    outbox: &Outbox,
    pending: &Pending,
    message: &Outgoing,
    kept: Option<&KeptId>,
) -> Sent {
    let send = send_message(bot, ChatId(pending.chat), message);
    tokio::pin!(send);
    let Some(id) = kept else {
        return send.await.map_or_else(Sent::No, |()| Sent::Yes);
    };
    loop {
        tokio::select! {
            result = &mut send => return result.map_or_else(Sent::No, |()| Sent::Yes),
            () = tokio::time::sleep(OUTBOX_LEASE / 3) => {
                if !outbox.renew(id, pending, OUTBOX_LEASE).await {
                    return Sent::TakenOver;
                }
            }
        }
    }
}

async fn send_message(bot: &FaqBot, chat: ChatId, message: &Outgoing) -> Result<(), RequestError> {
    let mut request = bot
        .send_message(chat, message.html.clone())
        .parse_mode(ParseMode::Html);
    if let Some(keyboard) = &message.keyboard {
        request = request.reply_markup(keyboard.clone());
    }
    request.send().await.map(drop)
}

/// How long to wait before trying `method` again after `error`, or `None` when trying
/// again cannot help (or could show the customer a reply twice).
fn retry_wait(error: &RequestError, pause: Duration, method: &'static str) -> Option<Duration> {
    match error {
        RequestError::RetryAfter(after) => Some(after.duration()),
        // No answer in time: Telegram may have delivered it. Sending it again would
        // show the customer the reply twice; a reply lost is the lesser harm.
        RequestError::Network(e) if e.is_timeout() => {
            tracing::warn!(method, %error, "no answer in time: not sent again, it may have arrived");
            None
        }
        // Network loss; a proxy's 5xx page (not JSON); Telegram's own 5xx.
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            Some(pause)
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
            Some(pause)
        }
        _ => None,
    }
}

/// Retries a request that is not a reply (answering a button press or an inline query,
/// registering the menu) on 429, network loss and 5xx, with growing pauses, until
/// [`DELIVERY_DEADLINE`]; other errors are final. Such requests are not kept: past a
/// restart they mean nothing.
pub(super) async fn retry<T, F, Fut>(method: &'static str, mut send: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let started = Instant::now();
    let mut pause = RETRY_PAUSE_MIN;
    for attempt in 1.. {
        let error = match send().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let Some(wait) = retry_wait(&error, pause, method) else {
            return Err(error);
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
