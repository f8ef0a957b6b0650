//! Long polling, done here rather than by teloxide's `Polling`: teloxide's client sleeps
//! 10 s after every 5xx answer and its polling then backs off up to 64 s, so four 5xx from
//! Telegram left the bot deaf for about a minute after Telegram had recovered. Here a
//! failed `getUpdates` is tried again after at most [`POLL_PAUSE_MAX`].
//!
//! Unlike teloxide's polling it never deletes a webhook: replicas may be receiving through
//! it, and which mode the bot runs in is the operator's choice (`faqbot webhook delete`).
//!
//! Updates are confirmed as teloxide does it: the offset of the next `getUpdates` confirms
//! every update handed to the dispatcher, and on stop one last short call confirms the
//! last of them. A batch is fetched only once the previous one has been handed over, so an
//! update confirmed is an update being handled.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::time::Duration;

use futures::Stream;
use serde_json::{Value, json};
use teloxide::prelude::*;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::AllowedUpdate;
use teloxide::update_listeners::{StatefulListener, UpdateListener};

use crate::tuning::{POLL_PAUSE_MAX, POLL_PAUSE_MIN, POLL_PAUSE_REFUSED, POLL_TIMEOUT};

/// Why one `getUpdates` gave no updates.
#[derive(Debug)]
struct Failed {
    /// What went wrong, for the log: never the URL, which holds the token.
    what: String,
    /// Telegram's `retry_after`, when it gave one.
    retry_after: Option<Duration>,
    /// Telegram refused (401, 403, 409): retrying soon cannot help.
    refused: bool,
}

/// The state of the polling stream.
pub(super) struct Poller {
    api: GetUpdates,
    buffer: VecDeque<Update>,
    pause: Duration,
    stop: StopToken,
    stopped: Pin<Box<StopFlag>>,
}

/// Where `getUpdates` is, and the client to call it with.
#[derive(Clone)]
pub(super) struct Endpoint {
    /// The `Bot`'s own client: the same TLS set-up, timeout and proxy settings.
    client: reqwest::Client,
    /// `…/bot<token>/getUpdates`: a secret, never logged.
    url: url::Url,
}

impl Endpoint {
    /// `None` when the bot's API URL cannot take a path.
    pub(super) fn of(bot: &Bot) -> Option<Endpoint> {
        let mut url = bot.api_url();
        url.path_segments_mut()
            .ok()?
            .pop_if_empty()
            .push(&format!("bot{}", bot.token()))
            .push("getUpdates");
        Some(Endpoint {
            client: bot.client().clone(),
            url,
        })
    }
}

/// A listener that long-polls `getUpdates`, for one run of the dispatcher.
pub(super) fn listener(endpoint: Endpoint) -> impl UpdateListener<Err = Infallible> {
    let (stop, stopped) = mk_stop_token();
    let poller = Poller {
        api: GetUpdates {
            client: endpoint.client,
            url: endpoint.url,
            offset: None,
            allowed: None,
        },
        buffer: VecDeque::new(),
        pause: POLL_PAUSE_MIN,
        stop,
        stopped: Box::pin(stopped),
    };
    StatefulListener::new_with_hints(
        poller,
        updates,
        |poller: &mut Poller| poller.stop.clone(),
        Some(allowed_updates),
    )
}

/// The dispatcher hints which kinds of update its handlers take, but the chat-state step
/// of the schema takes every kind, so the hint is all of them: narrowed to what the
/// handlers answer, Telegram sends nothing else, and an edited message or a member change
/// never costs a chat-state read.
fn allowed_updates(poller: &mut Poller, kinds: &mut dyn Iterator<Item = AllowedUpdate>) {
    poller.api.allowed = Some(kinds.filter(|k| super::HANDLED.contains(k)).collect());
}

/// `getUpdates` and where it stands.
struct GetUpdates {
    client: reqwest::Client,
    /// A secret, never logged.
    url: url::Url,
    /// The id after the last update fetched: what the next call confirms.
    offset: Option<i64>,
    /// The kinds of update asked for; `None` leaves Telegram's last setting.
    allowed: Option<Vec<AllowedUpdate>>,
}

// A named function, not a closure: the stream borrows the state for as long as the
// state is borrowed, which closures cannot say.
fn updates(poller: &mut Poller) -> impl Stream<Item = Result<Update, Infallible>> + '_ {
    futures::stream::unfold(poller, |poller| async move {
        let update = poller.next().await?;
        Some((Ok(update), poller))
    })
}

impl Poller {
    /// The next update; `None` once stopped (after confirming what was handed over).
    async fn next(&mut self) -> Option<Update> {
        loop {
            if let Some(update) = self.buffer.pop_front() {
                return Some(update);
            }
            if self.stopped.is_stopped() {
                self.confirm().await;
                return None;
            }
            let fetched = tokio::select! {
                fetched = self.api.fetch(POLL_TIMEOUT, None) => fetched,
                () = &mut self.stopped => continue,
            };
            let wait = match fetched {
                Ok(updates) => {
                    self.pause = POLL_PAUSE_MIN;
                    self.buffer.extend(updates);
                    continue;
                }
                // A refusal (revoked token, another poller, a webhook set elsewhere) does
                // not clear up in seconds: asked again rarely, and said louder.
                // A webhook set for replicas is not this process's to remove: the operator
                // decides which mode the bot runs in.
                Err(failed) if failed.refused => {
                    tracing::error!(
                        error = %failed.what,
                        retry_in_s = POLL_PAUSE_REFUSED.as_secs(),
                        "Telegram refuses to give updates (a webhook is set, another process \
                         polls, or the token was revoked): `faqbot webhook info` tells which, \
                         `faqbot webhook delete` switches the bot to polling"
                    );
                    POLL_PAUSE_REFUSED
                }
                Err(failed) => {
                    let wait = failed.retry_after.unwrap_or(self.pause);
                    tracing::warn!(
                        error = %failed.what,
                        retry_in_ms = wait.as_millis() as u64,
                        "cannot fetch updates"
                    );
                    self.pause = (self.pause * 2).min(POLL_PAUSE_MAX);
                    wait
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut self.stopped => {}
            }
        }
    }

    /// Tells Telegram that every update handed over is handled: the offset after the last.
    async fn confirm(&mut self) {
        if self.api.offset.is_none() {
            return;
        }
        if let Err(failed) = self.api.fetch(Duration::ZERO, Some(1)).await {
            // Unconfirmed updates come again after a restart; the chat state's answered
            // ids keep them from being answered twice.
            tracing::warn!(error = %failed.what, "could not confirm the last updates");
        }
    }
}

impl GetUpdates {
    /// One `getUpdates`: the updates that parse, in order. An update teloxide cannot read
    /// (a kind newer than it) is skipped, with its size in the log, never its content.
    async fn fetch(&mut self, timeout: Duration, limit: Option<u8>) -> Result<Vec<Update>, Failed> {
        let mut body = json!({ "timeout": timeout.as_secs() });
        if let Some(offset) = self.offset {
            body["offset"] = json!(offset);
        }
        if let Some(limit) = limit {
            body["limit"] = json!(limit);
        }
        if let Some(allowed) = &self.allowed {
            body["allowed_updates"] = json!(allowed);
        }
        let failed = |what: String| Failed {
            what,
            retry_after: None,
            refused: false,
        };
        let response = self
            .client
            .post(self.url.clone())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            // reqwest's error names the URL: without it, the token stays out of the log.
            .map_err(|e| failed(format!("network: {}", e.without_url())))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| failed(format!("network: {}", e.without_url())))?;
        let reply: Value = serde_json::from_slice(&bytes)
            .map_err(|_| failed(format!("HTTP {status}, not JSON ({} bytes)", bytes.len())))?;
        if reply["ok"] != Value::Bool(true) {
            return Err(Failed {
                what: format!(
                    "HTTP {status}: {}",
                    reply["description"].as_str().unwrap_or("no description")
                ),
                retry_after: reply["parameters"]["retry_after"]
                    .as_u64()
                    .map(Duration::from_secs),
                refused: matches!(reply["error_code"].as_i64(), Some(401 | 403 | 409)),
            });
        }
        let results = match reply {
            Value::Object(mut map) => match map.remove("result") {
                Some(Value::Array(results)) => results,
                _ => return Err(failed(format!("HTTP {status}: no list of updates"))),
            },
            _ => return Err(failed(format!("HTTP {status}: not an object"))),
        };
        let before = self.offset;
        let mut updates = Vec::with_capacity(results.len());
        for result in &results {
            if let Some(id) = result["update_id"].as_i64() {
                self.offset = Some(self.offset.map_or(id + 1, |o| o.max(id + 1)));
            }
            // From text, not from the `Value`: teloxide's `Update` reads only from text (from
            // a `Value` every message becomes an unknown kind). A kind teloxide does not
            // know still parses, as `UpdateKind::Error`; only a broken one is skipped.
            let text = result.to_string();
            match serde_json::from_str::<Update>(&text) {
                Ok(update) => updates.push(update),
                Err(error) => {
                    tracing::warn!(size = text.len(), %error, "skipped an update that does not parse")
                }
            }
        }
        // Updates that do not move the offset would come back at once, for ever.
        if !results.is_empty() && self.offset == before {
            return Err(failed(format!(
                "HTTP {status}: {} updates without an id",
                results.len()
            )));
        }
        Ok(updates)
    }
}
