//! Webhook mode: an HTTP server that takes Telegram's POSTs and feeds them to the dispatcher.
//!
//! faqbot serves its own instead of teloxide's `webhooks::axum` because that one panics when
//! the port is taken, panics on a secret Telegram would refuse, logs a malformed body verbatim
//! (personal data), and deletes the webhook when the process stops, which cuts off every other
//! replica behind the same URL. Here the address is bound before anything else (a taken port
//! is an error at start), the secret is a validated type, a bad body is logged by size and
//! parse error only, and the webhook is registered at start but deleted only by an operator
//! (`faqbot webhook delete`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use teloxide::prelude::*;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::Update;
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;

/// Where the health check is answered, on the same address as the webhook.
pub const HEALTH_PATH: &str = "/healthz";

/// Webhook mode: Telegram posts updates to `url`, which reaches this process at `listen`.
#[derive(Clone)]
pub struct Webhook {
    pub url: url::Url,
    pub listen: SocketAddr,
    /// Telegram sends it back in `X-Telegram-Bot-Api-Secret-Token`; requests without it
    /// are refused. Replicas behind one URL must share it; `None` generates one.
    pub secret: Option<Secret>,
}

impl std::fmt::Debug for Webhook {
    // The secret is a credential: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url.as_str())
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

/// A webhook secret as Telegram accepts it: 1 to 256 of `A-Z a-z 0-9 _ -`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A random one, for a single process that was given none.
    pub fn generate() -> Secret {
        use rand::Rng;
        // thread_rng is a CSPRNG seeded from the OS; alphanumerics are all valid.
        Secret(
            rand::thread_rng()
                .sample_iter(&rand::distributions::Alphanumeric)
                .take(48)
                .map(char::from)
                .collect(),
        )
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares in time independent of where the first difference is, so the secret
    /// cannot be guessed byte by byte from response times.
    fn matches(&self, sent: &[u8]) -> bool {
        let mine = self.0.as_bytes();
        mine.len() == sent.len() && mine.iter().zip(sent).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Why a text is not a webhook secret.
#[derive(Debug, thiserror::Error)]
#[error("a webhook secret is 1 to 256 characters of A-Z, a-z, 0-9, _ and -")]
pub struct BadSecret;

impl FromStr for Secret {
    type Err = BadSecret;
    fn from_str(text: &str) -> Result<Secret, BadSecret> {
        let valid = (1..=256).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if valid {
            Ok(Secret(text.to_string()))
        } else {
            Err(BadSecret)
        }
    }
}

/// Binds the webhook's address, before anything else runs, so a port in use stops the
/// process with an error instead of leaving a bot that receives nothing.
pub async fn bind(listen: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(listen).await
}

/// Registers `url` with Telegram (pending updates kept). Replicas registering the same URL
/// and secret leave each other undisturbed.
pub async fn register<R: Requester>(
    bot: &R,
    url: &url::Url,
    secret: &Secret,
) -> Result<(), R::Err> {
    // Only what the handlers answer, as long polling asks: nothing else is worth a request.
    bot.set_webhook(url.clone())
        .secret_token(secret.expose().to_string())
        .allowed_updates(super::HANDLED)
        .await?;
    Ok(())
}

/// Where the server hands updates: the dispatcher's current listener, if one is running.
struct Slot {
    updates: mpsc::UnboundedSender<Result<Update, Infallible>>,
    stopped: StopFlag,
}

#[derive(Clone)]
struct Shared {
    secret: Secret,
    path: String,
    slot: Arc<Mutex<Option<Slot>>>,
}

/// The webhook's HTTP server, serving from start to drop. The dispatcher takes updates from
/// it through [`Server::listener`], once per start: a start that fails (Telegram not
/// reachable) and is retried gets a new listener on the same server.
pub struct Server {
    slot: Arc<Mutex<Option<Slot>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Serves `listener`: POST on `path` (routed by hand, so that no path can trip the
    /// router's own syntax), GET [`HEALTH_PATH`], 404 for the rest.
    pub fn start(listener: TcpListener, path: &str, secret: Secret) -> Server {
        let slot = Arc::new(Mutex::new(None));
        let shared = Shared {
            secret,
            path: path.to_string(),
            slot: Arc::clone(&slot),
        };
        let app = axum::Router::new()
            .route(HEALTH_PATH, axum::routing::get(|| async { "ok\n" }))
            .fallback(take_update)
            .with_state(shared);
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the webhook server stopped");
            }
        });
        Server { slot, task }
    }

    /// A listener for one run of the dispatcher; stopping it makes the server answer 503
    /// (Telegram sends those updates again later, to this replica or another).
    pub fn listener(&self) -> impl UpdateListener<Err = Infallible> + use<> {
        let (updates, received) = mpsc::unbounded_channel();
        let (stop_token, stopped) = mk_stop_token();
        *lock(&self.slot) = Some(Slot { updates, stopped });
        StatefulListener::new(
            (UnboundedReceiverStream::new(received), stop_token),
            first,
            |state: &mut (_, StopToken)| state.1.clone(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(slot: &Mutex<Option<Slot>>) -> std::sync::MutexGuard<'_, Option<Slot>> {
    // A panic while holding it cannot leave a half-written slot: take it as it is.
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// A named function, not a closure: the stream borrows the state for as long as the
// state is borrowed, which closures cannot say.
fn first<A, B>(pair: &mut (A, B)) -> &mut A {
    &mut pair.0
}

async fn take_update(
    State(shared): State<Shared>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if uri.path() != shared.path {
        return StatusCode::NOT_FOUND;
    }
    if method != axum::http::Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED;
    }
    let sent = headers
        .get("x-telegram-bot-api-secret-token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !shared.secret.matches(sent) {
        return StatusCode::UNAUTHORIZED;
    }
    let update = match serde_json::from_slice::<Update>(&body) {
        Ok(update) => update,
        Err(error) => {
            // The body may hold a customer's message: its size and where parsing
            // failed, never its text. Acknowledged, since sending it again cannot help.
            tracing::warn!(
                bytes = body.len(),
                line = error.line(),
                column = error.column(),
                kind = ?error.classify(),
                "a webhook body that is not an update was dropped"
            );
            return StatusCode::OK;
        }
    };
    match &*lock(&shared.slot) {
        Some(slot) if !slot.stopped.is_stopped() => match slot.updates.send(Ok(update)) {
            Ok(()) => StatusCode::OK,
            Err(_) => StatusCode::SERVICE_UNAVAILABLE,
        },
        // Not started yet, or stopping: Telegram sends it again later.
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_telegram_would_refuse_are_rejected() {
        for bad in ["", "with space", "ünïcode", "semi;colon", &"a".repeat(257)] {
            assert!(bad.parse::<Secret>().is_err(), "{bad:?}");
        }
        for good in ["a", "s3cret-shared_by-replicas", &"Z".repeat(256)] {
            assert!(good.parse::<Secret>().is_ok(), "{good:?}");
        }
        let generated = Secret::generate();
        assert!(generated.expose().parse::<Secret>().is_ok());
        assert_ne!(generated, Secret::generate());
    }

    #[test]
    fn the_secret_matches_only_itself_and_never_shows() {
        let secret: Secret = "abc".parse().unwrap();
        assert!(secret.matches(b"abc"));
        assert!(!secret.matches(b"abd"));
        assert!(!secret.matches(b"ab"));
        assert!(!secret.matches(b""));
        assert!(!format!("{secret:?}").contains("abc"));
    }
}
