//! Where per-chat state lives, opened and checked at start, forgiving once running.
//!
//! A chat's state (its `/lang` setting, the alternatives last offered) is a convenience:
//! when the store stops answering mid-run, the question is still answered, as if the chat
//! were new, and the log says so. At start, a store that cannot be reached is an error, so
//! that a wrong URL or a down Redis is seen at once, not at the first customer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use teloxide::dispatching::dialogue::{ErasedStorage, InMemStorage, Storage};
use teloxide::types::ChatId;

use super::ChatState;

use crate::tuning::{STORE_CALL_TIMEOUT as CALL_TIMEOUT, STORE_PROBE_TIMEOUT as PROBE_TIMEOUT};

/// Where per-chat state lives: in memory (one process), or in a store replicas share.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StorageKind {
    #[default]
    Memory,
    /// `sqlite:PATH`
    Sqlite(String),
    /// `redis://…`
    Redis(String),
}

impl std::str::FromStr for StorageKind {
    type Err = String;

    fn from_str(s: &str) -> Result<StorageKind, String> {
        let kind = if s == "memory" {
            StorageKind::Memory
        } else if let Some(path) = s.strip_prefix("sqlite:") {
            StorageKind::Sqlite(path.to_string())
        } else if s.starts_with("redis://") || s.starts_with("rediss://") {
            StorageKind::Redis(s.to_string())
        } else {
            return Err(format!(
                "{s:?}: expected memory, sqlite:PATH or redis://HOST"
            ));
        };
        if !kind.built() {
            return Err(StorageKind::not_built(kind.name()));
        }
        Ok(kind)
    }
}

impl StorageKind {
    /// The kind's name, which is also its cargo feature.
    fn name(&self) -> &'static str {
        match self {
            StorageKind::Memory => "memory",
            StorageKind::Sqlite(_) => "sqlite",
            StorageKind::Redis(_) => "redis",
        }
    }

    /// Whether this build has the storage (sqlite and Redis are cargo features).
    pub fn built(&self) -> bool {
        match self {
            StorageKind::Memory => true,
            StorageKind::Sqlite(_) => cfg!(feature = "sqlite"),
            StorageKind::Redis(_) => cfg!(feature = "redis"),
        }
    }

    fn not_built(name: &str) -> String {
        format!("this faqbot was built without {name} storage: build it with `--features {name}`")
    }
}

/// The per-chat store could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the chat storage {what}: {message}")]
pub struct StorageError {
    what: String,
    message: String,
}

impl StorageError {
    /// A failure of the store of `kind`, named by its kind only (a Redis URL may hold a
    /// password).
    pub(super) fn new(kind: &StorageKind, message: String) -> StorageError {
        StorageError {
            what: kind.name().to_string(),
            message,
        }
    }
}

/// Opens the store of `kind`, reads from it once to prove it answers, and wraps it so that
/// a failure later costs the chat's state, never the reply.
pub(super) async fn open(
    kind: &StorageKind,
) -> Result<Arc<ErasedStorage<ChatState>>, StorageError> {
    let store = open_inner(kind).await?;
    // A Redis URL may hold a password: name the kind only.
    let fail = |message: String| StorageError {
        what: kind.name().to_string(),
        message,
    };
    match tokio::time::timeout(PROBE_TIMEOUT, store.clone().get_dialogue(ChatId(0))).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => return Err(fail(error.to_string())),
        Err(_) => return Err(fail(format!("no answer within {PROBE_TIMEOUT:?}"))),
    }
    Ok(Arc::new(Forgiving(store)).erase())
}

async fn open_inner(kind: &StorageKind) -> Result<Arc<ErasedStorage<ChatState>>, StorageError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| StorageError {
        // A Redis URL may hold a password: name the scheme only.
        what: what.to_string(),
        message: e.to_string(),
    };
    Ok(match kind {
        StorageKind::Memory => InMemStorage::<ChatState>::new().erase(),
        #[cfg(feature = "sqlite")]
        StorageKind::Sqlite(path) => teloxide::dispatching::dialogue::SqliteStorage::open(
            path,
            teloxide::dispatching::dialogue::serializer::Json,
        )
        .await
        .map_err(|e| fail(&format!("sqlite:{path}"), &e))?
        .erase(),
        #[cfg(feature = "redis")]
        StorageKind::Redis(url) => teloxide::dispatching::dialogue::RedisStorage::open(
            url,
            teloxide::dispatching::dialogue::serializer::Json,
        )
        .await
        .map_err(|e| fail("redis", &e))?
        .erase(),
        #[allow(unreachable_patterns)]
        other => return Err(fail(other.name(), &StorageKind::not_built(other.name()))),
    })
}

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, std::convert::Infallible>> + Send>>;

/// A store whose failures are logged and forgiven: a read that fails is a new chat, a
/// write that fails is lost.
struct Forgiving(Arc<ErasedStorage<ChatState>>);

/// `call`'s result, or `fallback` (logged) when it fails or takes over [`CALL_TIMEOUT`].
async fn forgiven<T, E: std::fmt::Display>(
    call: impl Future<Output = Result<T, E>>,
    fallback: T,
    what: &'static str,
) -> Result<T, std::convert::Infallible> {
    Ok(match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(Ok(value)) => value,
        Ok(Err(error)) => {
            tracing::warn!(%error, "{what}: storage unavailable");
            fallback
        }
        Err(_) => {
            tracing::warn!("{what}: storage timed out");
            fallback
        }
    })
}

impl Storage<ChatState> for Forgiving {
    type Error = std::convert::Infallible;

    fn remove_dialogue(self: Arc<Self>, chat_id: ChatId) -> Boxed<()> {
        let call = self.0.clone().remove_dialogue(chat_id);
        Box::pin(forgiven(call, (), "chat state not removed"))
    }

    fn update_dialogue(self: Arc<Self>, chat_id: ChatId, state: ChatState) -> Boxed<()> {
        let call = self.0.clone().update_dialogue(chat_id, state);
        Box::pin(forgiven(call, (), "chat state not saved"))
    }

    fn get_dialogue(self: Arc<Self>, chat_id: ChatId) -> Boxed<Option<ChatState>> {
        let call = self.0.clone().get_dialogue(chat_id);
        Box::pin(forgiven(call, None, "answering without the chat's state"))
    }
}
