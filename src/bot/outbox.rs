//! Replies on their way: kept in the chat storage while Telegram refuses them, so that a
//! restart, or another replica, delivers what a stopped process could not, until the
//! delivery deadline.
//!
//! A reply is written here only when a send fails: the usual reply costs no storage call.
//! Each kept reply is leased to the process retrying it, and the lease is renewed at every
//! try. A process that stops releases its leases; one that dies lets them lapse
//! ([`OUTBOX_LEASE`]); any bot on the same storage then takes the reply over
//! ([`Outbox::orphans`]). With `memory` storage nothing outlives the process.
//!
//! The outbox is a convenience like the chat state: when the store fails, the reply is still
//! retried by this process, and the log says it would not survive a restart.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use teloxide::types::InlineKeyboardMarkup;

use super::storage::{StorageError, StorageKind};
use crate::tuning::STORE_CALL_TIMEOUT;

/// One message of a reply: Telegram HTML and its buttons.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Outgoing {
    pub html: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyboard: Option<InlineKeyboardMarkup>,
}

/// A reply not yet delivered: the messages one chat still has to get, in order.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Pending {
    pub chat: i64,
    pub messages: Vec<Outgoing>,
    /// When the reply is given up: Unix time in milliseconds.
    pub expires_ms: u64,
}

impl Pending {
    /// A reply to `chat` given up after `deadline` from now.
    pub fn new(chat: i64, messages: Vec<Outgoing>, deadline: Duration) -> Pending {
        Pending {
            chat,
            messages,
            expires_ms: now_ms().saturating_add(deadline.as_millis() as u64),
        }
    }

    /// Whether waiting `wait` more would pass the deadline.
    pub fn expired_after(&self, wait: Duration) -> bool {
        now_ms().saturating_add(wait.as_millis() as u64) > self.expires_ms
    }
}

/// A kept reply's name in the store.
pub(crate) type KeptId = String;

/// Where kept replies live.
pub(crate) struct Outbox {
    backend: Backend,
    /// This process, as lease holder.
    #[cfg_attr(not(any(feature = "redis", feature = "sqlite")), allow(dead_code))]
    owner: String,
    /// The replies this process holds, released when it stops.
    held: Mutex<HashSet<KeptId>>,
    /// Set once the process stopped: a retry still running is then left to the next one.
    closed: AtomicBool,
}

enum Backend {
    /// Nothing is kept: the retrying task is the only copy.
    Memory,
    #[cfg(feature = "redis")]
    Redis(redis::Client),
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The store's failures, logged and otherwise forgiven.
type StoreResult<T> = Result<T, String>;

// Without sqlite and Redis the store is memory only, and the stores' arguments go unused.
#[cfg_attr(
    not(any(feature = "redis", feature = "sqlite")),
    allow(unused_variables, unused_mut, clippy::ptr_arg)
)]
impl Outbox {
    /// The outbox beside the chat state of `kind` (called after the chat store opened, so
    /// that the place exists and answers).
    pub async fn open(kind: &StorageKind) -> Result<Outbox, StorageError> {
        let fail = |message: String| StorageError::new(kind, message);
        let backend = match kind {
            #[cfg(feature = "redis")]
            StorageKind::Redis(url) => {
                Backend::Redis(redis::Client::open(url.as_str()).map_err(|e| fail(e.to_string()))?)
            }
            #[cfg(feature = "sqlite")]
            StorageKind::Sqlite(path) => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite:{path}?mode=rwc"))
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                sqlx::query(
                    "CREATE TABLE IF NOT EXISTS faqbot_outbox (
                        id TEXT PRIMARY KEY,
                        reply TEXT NOT NULL,
                        expires_ms INTEGER NOT NULL,
                        owner TEXT NOT NULL,
                        lease_ms INTEGER NOT NULL
                    )",
                )
                .execute(&pool)
                .await
                .map_err(|e| fail(e.to_string()))?;
                Backend::Sqlite(pool)
            }
            _ => Backend::Memory,
        };
        Ok(Outbox {
            backend,
            owner: format!("{:016x}", rand::random::<u64>()),
            held: Mutex::new(HashSet::new()),
            closed: AtomicBool::new(false),
        })
    }

    /// Whether kept replies outlive this process.
    pub fn persistent(&self) -> bool {
        !matches!(self.backend, Backend::Memory)
    }

    /// Whether this process stopped: retries still running leave their replies to the next.
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Keeps `pending`, leased to this process for `lease`. `None` when nothing was kept
    /// (memory storage, or a store that failed: logged).
    pub async fn keep(&self, pending: &Pending, lease: Duration) -> Option<KeptId> {
        if !self.persistent() || self.closed() {
            return None;
        }
        let id = format!("{:016x}", rand::random::<u64>());
        match within(self.insert(&id, pending, lease)).await {
            Ok(()) => {
                self.hold(&id, true);
                Some(id)
            }
            Err(error) => {
                tracing::warn!(%error, "reply not kept: it will not survive a restart");
                None
            }
        }
    }

    /// Writes what is left of a kept reply and renews its lease, if this process still
    /// holds it. `false` when another process took it over (its lease had lapsed): that
    /// process delivers it now. A store that fails is forgiven (`true`).
    pub async fn renew(&self, id: &KeptId, pending: &Pending, lease: Duration) -> bool {
        if self.closed() {
            return true;
        }
        match within(self.update(id, pending, lease)).await {
            Ok(ours) => {
                if !ours {
                    self.hold(id, false);
                }
                ours
            }
            Err(error) => {
                tracing::warn!(%error, "kept reply not updated");
                true
            }
        }
    }

    /// Forgets a reply delivered or given up.
    pub async fn done(&self, id: &KeptId) {
        self.hold(id, false);
        if let Err(error) = within(self.remove(id)).await {
            tracing::warn!(%error, "kept reply not removed: it may be sent again");
        }
    }

    /// On stop: the replies this process still holds are left for the next one, at once.
    /// All released together, within one store timeout, so that a store that is down does
    /// not hold up the exit.
    pub async fn release(&self) {
        self.closed.store(true, Ordering::Release);
        let held: Vec<KeptId> = self.lock_held().drain().collect();
        if held.is_empty() {
            return;
        }
        let releases = futures::future::join_all(held.iter().map(|id| self.unlease(id)));
        let failed = match tokio::time::timeout(STORE_CALL_TIMEOUT, releases).await {
            Ok(results) => results.iter().filter(|r| r.is_err()).count(),
            Err(_) => held.len(),
        };
        if failed > 0 {
            tracing::warn!(
                replies = failed,
                "kept replies not released: another process takes them over when their lease lapses"
            );
        }
        tracing::warn!(
            replies = held.len(),
            "replies left undelivered are kept for the next start"
        );
    }

    /// Takes over the kept replies no live process holds, and drops the expired ones. A
    /// store that fails midway keeps what was claimed before.
    pub async fn orphans(&self, lease: Duration) -> Vec<(KeptId, Pending)> {
        if !self.persistent() || self.closed() {
            return Vec::new();
        }
        let mut claimed = Vec::new();
        if let Err(error) = self.claim_orphans(lease, &mut claimed).await {
            tracing::warn!(%error, "cannot look for kept replies");
        }
        for (id, _) in &claimed {
            self.hold(id, true);
        }
        claimed
    }

    fn lock_held(&self) -> std::sync::MutexGuard<'_, HashSet<KeptId>> {
        // A panic elsewhere while holding the lock leaves a valid set.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn hold(&self, id: &KeptId, held: bool) {
        let mut set = self.lock_held();
        if held {
            set.insert(id.clone());
        } else {
            set.remove(id);
        }
    }

    async fn insert(&self, id: &KeptId, pending: &Pending, lease: Duration) -> StoreResult<()> {
        let reply = serde_json::to_string(pending).map_err(|e| e.to_string())?;
        match &self.backend {
            Backend::Memory => Ok(()),
            #[cfg(feature = "redis")]
            Backend::Redis(client) => {
                let mut conn = redis_conn(client).await?;
                let ttl = pending.expires_ms.saturating_sub(now_ms()).max(1);
                redis::pipe()
                    .atomic()
                    .cmd("SET")
                    .arg(reply_key(id))
                    .arg(reply)
                    .arg("PX")
                    .arg(ttl)
                    .ignore()
                    .cmd("SET")
                    .arg(lease_key(id))
                    .arg(&self.owner)
                    .arg("PX")
                    .arg(lease.as_millis() as u64)
                    .ignore()
                    .cmd("ZADD")
                    .arg(INDEX_KEY)
                    .arg(pending.expires_ms)
                    .arg(id)
                    .ignore()
                    .query_async::<()>(&mut conn)
                    .await
                    .map_err(|e| e.to_string())
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                let query = sqlx::query(
                    "INSERT INTO faqbot_outbox (id, reply, expires_ms, owner, lease_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .bind(id)
                .bind(reply)
                .bind(pending.expires_ms as i64)
                .bind(&self.owner)
                .bind(lease_until(now_ms(), lease));
                sqlite_exec(pool, query).await.map(drop)
            }
        }
    }

    /// Whether the reply was still this process's, and so updated.
    async fn update(&self, id: &KeptId, pending: &Pending, lease: Duration) -> StoreResult<bool> {
        let reply = serde_json::to_string(pending).map_err(|e| e.to_string())?;
        match &self.backend {
            Backend::Memory => Ok(true),
            #[cfg(feature = "redis")]
            Backend::Redis(client) => {
                let mut conn = redis_conn(client).await?;
                let ttl = pending.expires_ms.saturating_sub(now_ms()).max(1);
                // Compare and set: only the lease holder writes.
                let updated: i64 = query(
                    &mut conn,
                    redis::cmd("EVAL")
                        .arg(
                            "if redis.call('GET', KEYS[2]) == ARGV[1] then \
                           redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) \
                           redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[4]) \
                           return 1 \
                         end \
                         return 0",
                        )
                        .arg(2)
                        .arg(reply_key(id))
                        .arg(lease_key(id))
                        .arg(&self.owner)
                        .arg(reply)
                        .arg(ttl)
                        .arg(lease.as_millis() as u64),
                )
                .await?;
                Ok(updated == 1)
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                let query = sqlx::query(
                    "UPDATE faqbot_outbox SET reply = ?1, lease_ms = ?2 WHERE id = ?3 AND owner = ?4",
                )
                .bind(reply)
                .bind(lease_until(now_ms(), lease))
                .bind(id)
                .bind(&self.owner);
                Ok(sqlite_exec(pool, query).await? == 1)
            }
        }
    }

    async fn remove(&self, id: &KeptId) -> StoreResult<()> {
        match &self.backend {
            Backend::Memory => Ok(()),
            #[cfg(feature = "redis")]
            Backend::Redis(client) => {
                let mut conn = redis_conn(client).await?;
                redis_forget(&mut conn, id).await
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                let query = sqlx::query("DELETE FROM faqbot_outbox WHERE id = ?1").bind(id);
                sqlite_exec(pool, query).await.map(drop)
            }
        }
    }

    async fn unlease(&self, id: &KeptId) -> StoreResult<()> {
        match &self.backend {
            Backend::Memory => Ok(()),
            #[cfg(feature = "redis")]
            Backend::Redis(client) => {
                let mut conn = redis_conn(client).await?;
                // Compare and delete: another process's lease is not ours to free.
                query::<()>(
                    &mut conn,
                    redis::cmd("EVAL")
                        .arg(
                            "if redis.call('GET', KEYS[1]) == ARGV[1] then \
                               return redis.call('DEL', KEYS[1]) \
                             end \
                             return 0",
                        )
                        .arg(1)
                        .arg(lease_key(id))
                        .arg(&self.owner),
                )
                .await
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                let query = sqlx::query(
                    "UPDATE faqbot_outbox SET lease_ms = 0 WHERE id = ?1 AND owner = ?2",
                )
                .bind(id)
                .bind(&self.owner);
                sqlite_exec(pool, query).await.map(drop)
            }
        }
    }

    /// Claims free replies into `claimed`, one store call at a time, each within the store
    /// timeout.
    async fn claim_orphans(
        &self,
        lease: Duration,
        claimed: &mut Vec<(KeptId, Pending)>,
    ) -> StoreResult<()> {
        match &self.backend {
            Backend::Memory => {}
            #[cfg(feature = "redis")]
            Backend::Redis(client) => {
                let mut conn = within(redis_conn(client)).await?;
                let now = now_ms();
                // The index holds every kept reply by its deadline: no scan of the chats.
                within(query::<()>(
                    &mut conn,
                    redis::cmd("ZREMRANGEBYSCORE")
                        .arg(INDEX_KEY)
                        .arg("-inf")
                        .arg(now),
                ))
                .await?;
                let ids: Vec<String> = within(query(
                    &mut conn,
                    redis::cmd("ZRANGE").arg(INDEX_KEY).arg(0).arg(-1),
                ))
                .await?;
                for id in ids {
                    // The lease key is the lock: only one process sets it while it is free.
                    let took: Option<String> = within(query(
                        &mut conn,
                        redis::cmd("SET")
                            .arg(lease_key(&id))
                            .arg(&self.owner)
                            .arg("NX")
                            .arg("PX")
                            .arg(lease.as_millis() as u64),
                    ))
                    .await?;
                    if took.is_none() {
                        continue;
                    }
                    let reply: Option<String> =
                        within(query(&mut conn, redis::cmd("GET").arg(reply_key(&id)))).await?;
                    match reply.as_deref().map(serde_json::from_str::<Pending>) {
                        Some(Ok(pending)) => claimed.push((id, pending)),
                        // Delivered or expired meanwhile.
                        None => within(redis_forget(&mut conn, &id)).await?,
                        Some(Err(error)) => {
                            tracing::warn!(%error, "a kept reply cannot be read: dropped");
                            within(redis_forget(&mut conn, &id)).await?;
                        }
                    }
                }
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                use sqlx::Row;
                let now = now_ms();
                let to_string = |e: sqlx::Error| e.to_string();
                let expired =
                    sqlx::query("DELETE FROM faqbot_outbox WHERE expires_ms < ?1").bind(now as i64);
                within(sqlite_exec(pool, expired)).await?;
                let free = within(async {
                    sqlx::query("SELECT id FROM faqbot_outbox WHERE lease_ms < ?1")
                        .bind(now as i64)
                        .fetch_all(pool)
                        .await
                        .map_err(to_string)
                })
                .await?;
                for row in free {
                    let id: String = row.try_get("id").map_err(to_string)?;
                    // Only one process's update matches while the lease is free.
                    let row = within(async {
                        sqlx::query(
                            "UPDATE faqbot_outbox SET owner = ?1, lease_ms = ?2
                             WHERE id = ?3 AND lease_ms < ?4 RETURNING reply",
                        )
                        .bind(&self.owner)
                        .bind(lease_until(now, lease))
                        .bind(&id)
                        .bind(now as i64)
                        .fetch_optional(pool)
                        .await
                        .map_err(to_string)
                    })
                    .await?;
                    let Some(row) = row else { continue };
                    let reply: String = row.try_get("reply").map_err(to_string)?;
                    match serde_json::from_str::<Pending>(&reply) {
                        Ok(pending) => claimed.push((id, pending)),
                        Err(error) => {
                            tracing::warn!(%error, "a kept reply cannot be read: dropped");
                            self.remove(&id).await?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The end of a lease taken at `now`, as sqlite stores it (ms since the epoch).
#[cfg(feature = "sqlite")]
fn lease_until(now: u64, lease: Duration) -> i64 {
    now.saturating_add(lease.as_millis() as u64) as i64
}

/// Runs a statement; how many rows it changed.
#[cfg(feature = "sqlite")]
async fn sqlite_exec<'q>(
    pool: &sqlx::SqlitePool,
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
) -> StoreResult<u64> {
    query
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        .map_err(|e| e.to_string())
}

/// `call`, or an error when the store takes over [`STORE_CALL_TIMEOUT`].
async fn within<T>(call: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
    tokio::time::timeout(STORE_CALL_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {STORE_CALL_TIMEOUT:?}")))
}

#[cfg(feature = "redis")]
const REPLY_PREFIX: &str = "faqbot:outbox:";

#[cfg(feature = "redis")]
fn reply_key(id: &str) -> String {
    format!("{REPLY_PREFIX}{id}")
}

#[cfg(feature = "redis")]
fn lease_key(id: &str) -> String {
    format!("faqbot:lease:{id}")
}

/// Every kept reply's id, scored by its deadline (Unix ms).
#[cfg(feature = "redis")]
const INDEX_KEY: &str = "faqbot:outbox";

#[cfg(feature = "redis")]
async fn query<T: redis::FromRedisValue>(
    conn: &mut redis::aio::MultiplexedConnection,
    cmd: &redis::Cmd,
) -> StoreResult<T> {
    cmd.query_async(conn).await.map_err(|e| e.to_string())
}

/// Removes a kept reply, its lease and its place in the index.
#[cfg(feature = "redis")]
async fn redis_forget(conn: &mut redis::aio::MultiplexedConnection, id: &str) -> StoreResult<()> {
    redis::pipe()
        .atomic()
        .cmd("DEL")
        .arg(reply_key(id))
        .arg(lease_key(id))
        .ignore()
        .cmd("ZREM")
        .arg(INDEX_KEY)
        .arg(id)
        .ignore()
        .query_async::<()>(conn)
        .await
        .map_err(|e| e.to_string())
}

/// A connection per call: the outbox is written only when Telegram fails, and a fresh
/// connection survives a Redis restart without a reconnecting client.
#[cfg(feature = "redis")]
async fn redis_conn(client: &redis::Client) -> StoreResult<redis::aio::MultiplexedConnection> {
    client
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_reply_expires_at_its_deadline() {
        let pending = Pending::new(1, Vec::new(), Duration::from_secs(60));
        assert!(!pending.expired_after(Duration::from_secs(30)));
        assert!(pending.expired_after(Duration::from_secs(61)));
    }

    #[test]
    fn a_kept_reply_reads_back_as_written() {
        let pending = Pending::new(
            -100_123,
            vec![Outgoing {
                html: "<b>Sim</b>".into(),
                keyboard: None,
            }],
            Duration::from_secs(600),
        );
        let json = serde_json::to_string(&pending).unwrap();
        let back: Pending = serde_json::from_str(&json).unwrap();
        assert_eq!(back.chat, -100_123);
        assert_eq!(back.messages[0].html, "<b>Sim</b>");
        assert_eq!(back.expires_ms, pending.expires_ms);
    }
}

/// The claim protocol against a real sqlite file: processes are `Outbox`es with their own
/// owner ids on one storage.
#[cfg(all(test, feature = "sqlite"))]
mod sqlite_tests {
    use super::*;

    fn pending() -> Pending {
        let message = Outgoing {
            html: "<b>Sim</b>".into(),
            keyboard: None,
        };
        Pending::new(7, vec![message], Duration::from_secs(600))
    }

    async fn rows(outbox: &Outbox) -> i64 {
        let Backend::Sqlite(pool) = &outbox.backend else {
            panic!("a sqlite outbox")
        };
        sqlx::query_scalar("SELECT COUNT(*) FROM faqbot_outbox")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_kept_reply_is_claimed_once_renewed_by_its_holder_only_and_forgotten_when_done() {
        let dir = tempfile::tempdir().unwrap();
        let kind: StorageKind = format!("sqlite:{}", dir.path().join("s.db").display())
            .parse()
            .unwrap();
        let lease = Duration::from_secs(60);
        let first = Outbox::open(&kind).await.unwrap();
        let second = Outbox::open(&kind).await.unwrap();
        let third = Outbox::open(&kind).await.unwrap();

        let id = first.keep(&pending(), lease).await.expect("kept");
        assert!(second.orphans(lease).await.is_empty(), "leased by first");
        first.release().await;
        let claimed = second.orphans(lease).await;
        assert_eq!(claimed.len(), 1, "free once first stopped");
        assert_eq!(claimed[0].0, id);
        assert_eq!(claimed[0].1.messages[0].html, "<b>Sim</b>");
        assert!(
            third.orphans(lease).await.is_empty(),
            "claimed by second only"
        );
        assert!(
            !third.renew(&id, &pending(), lease).await,
            "a process that does not hold a reply cannot renew it"
        );
        assert!(second.renew(&id, &pending(), lease).await);

        second.done(&id).await;
        assert_eq!(rows(&second).await, 0, "delivered means forgotten");
    }
}
