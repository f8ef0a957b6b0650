//! Sending: entries and HTML texts out to Telegram, retried through rate limits, network
//! loss and server errors until a deadline.

use std::future::Future;
use std::time::Instant;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, ParseMode};
use teloxide::{ApiError, RequestError};

use super::FaqBot;
use super::html::{self, TELEGRAM_MAX};
use crate::faq::Entry;
use crate::tuning::{DELIVERY_DEADLINE, RETRY_PAUSE_MAX, RETRY_PAUSE_MIN};

/// Sends an entry as Telegram HTML, in as many messages as its length needs.
pub(super) async fn send_entry(
    bot: &FaqBot,
    chat: ChatId,
    entry: &Entry,
) -> Result<(), RequestError> {
    for part in html::split_html(&html::entry_html(entry), TELEGRAM_MAX) {
        send_html(bot, chat, &part, None).await?;
    }
    Ok(())
}

/// Sends HTML text, retrying what Telegram asks to retry.
pub(super) async fn send_html(
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

/// Retries a request on 429 (after the delay Telegram gives), network loss and 5xx, with
/// growing pauses, until [`DELIVERY_DEADLINE`]; other errors are final.
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
