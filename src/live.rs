//! A serving engine that follows edits of the FAQ folder without a restart.
//!
//! Agents add alternates and fix pages during the day. [`Live`] holds the engine questions
//! are answered with; [`Live::reload`] opens the FAQ again (rebuilding the index when the
//! sources changed) and swaps the new engine in, so that a question is answered wholly by
//! the old engine or wholly by the new one. A broken edit swaps nothing: the engine keeps
//! serving the last good index, and the error names the file and line. [`Live::watch`]
//! reloads when the folder changes, debounced.
//!
//! Watching polls file sizes and times once a second instead of using inotify: it needs no
//! dependency, and it sees edits on bind mounts and network shares, where kernel events do
//! not arrive. A scan is a few `stat` calls.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::lang::Lang;

type Open = dyn Fn() -> Result<Engine> + Send + Sync;

/// The engine in service, and how to open it again.
pub struct Live {
    current: RwLock<Arc<Engine>>,
    open: Option<Box<Open>>,
    /// Serializes reloads: a signal and the watcher at once build once, then find no change.
    reloading: Mutex<()>,
}

/// What a reload did.
#[derive(Debug)]
pub enum Reload {
    /// The sources are those of the engine in service.
    Unchanged,
    /// A new engine serves from now on.
    Swapped(Changes),
    /// The sources are broken: the engine in service stays.
    Kept(Error),
}

/// Entries added, removed or edited by a reload, as `lang:id`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub edited: Vec<String>,
    /// Alternates, synonyms, off-topic phrasings or the Customer Care link changed.
    pub settings: bool,
}

impl Changes {
    fn between(old: &Engine, new: &Engine) -> Changes {
        let mut changes = Changes::default();
        for lang in Lang::ALL {
            let before: BTreeMap<_, _> = old.entries(lang).iter().map(|e| (&e.id, e)).collect();
            let after: BTreeMap<_, _> = new.entries(lang).iter().map(|e| (&e.id, e)).collect();
            let name = |id: &crate::faq::EntryId| format!("{}:{id}", lang.code());
            for (id, entry) in &after {
                match before.get(id) {
                    None => changes.added.push(name(id)),
                    Some(old) if old != entry => changes.edited.push(name(id)),
                    Some(_) => {}
                }
            }
            changes.removed.extend(
                before
                    .keys()
                    .filter(|id| !after.contains_key(*id))
                    .map(|id| name(id)),
            );
            let (a, b) = (old.store().faq().lang(lang), new.store().faq().lang(lang));
            changes.settings |=
                a.synonyms != b.synonyms || a.off_topic != b.off_topic || a.care != b.care;
        }
        changes
    }
}

impl Live {
    /// Serves `engine`, reopened with `open` on [`Live::reload`].
    pub fn new(engine: Engine, open: impl Fn() -> Result<Engine> + Send + Sync + 'static) -> Live {
        Live {
            current: RwLock::new(Arc::new(engine)),
            open: Some(Box::new(open)),
            reloading: Mutex::new(()),
        }
    }

    /// Serves `engine` as long as it lives: reloading finds nothing to do.
    pub fn fixed(engine: Engine) -> Live {
        Live {
            current: RwLock::new(Arc::new(engine)),
            open: None,
            reloading: Mutex::new(()),
        }
    }

    /// The engine to answer one question with.
    pub fn engine(&self) -> Arc<Engine> {
        // A panic while swapping cannot leave a half-written Arc: take it as it is.
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Opens the FAQ again and serves it if it differs from the engine in service. Blocks
    /// while the index is rebuilt: call it off any async runtime's threads.
    pub fn reload(&self) -> Reload {
        let Some(open) = &self.open else {
            return Reload::Unchanged;
        };
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let new = match open().and_then(Engine::fresh) {
            Ok(engine) => engine,
            Err(error) => return Reload::Kept(error),
        };
        let old = self.engine();
        if new.store().path() == old.store().path() {
            return Reload::Unchanged;
        }
        let changes = Changes::between(&old, &new);
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(new);
        Reload::Swapped(changes)
    }

    /// Reloads (and logs what happened) whenever the files under `faq_dir` change and then
    /// stay unchanged for one more scan, `every` apart. Stops when the returned handle is
    /// dropped.
    pub fn watch(self: &Arc<Self>, faq_dir: &Path, every: Duration) -> Watcher {
        let (stop, stopped) = mpsc::channel::<()>();
        let live = Arc::clone(self);
        let dir = faq_dir.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("faq-watcher".into())
            .spawn(move || {
                let mut seen = Snapshot::scan(&dir);
                let mut pending = false;
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    let now = Snapshot::scan(&dir);
                    if now != seen {
                        // Still being written: wait for a quiet scan.
                        seen = now;
                        pending = true;
                    } else if pending {
                        pending = false;
                        log(&live.reload(), "files changed");
                    }
                }
            });
        if let Err(error) = &thread {
            tracing::error!(%error, "cannot watch the FAQ folder: edits need SIGHUP or a restart");
        }
        Watcher {
            _stop: stop,
            thread: thread.ok(),
        }
    }
}

/// One log event per reload: what changed, or why nothing did.
pub fn log(reload: &Reload, cause: &str) {
    match reload {
        Reload::Unchanged => tracing::debug!(cause, "FAQ unchanged"),
        Reload::Swapped(changes) => tracing::info!(
            cause,
            added = ?changes.added,
            removed = ?changes.removed,
            edited = ?changes.edited,
            lists = changes.settings,
            "FAQ reloaded"
        ),
        Reload::Kept(error) => tracing::error!(
            cause,
            error = %crate::error::chain(error),
            "FAQ edit not applied: still serving the last good index"
        ),
    }
}

/// Stops the watcher thread when dropped.
pub struct Watcher {
    _stop: mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        // Dropping `_stop` after this body ends the thread's wait; joining here would wait
        // for a reload in progress, which shutdown must not.
        drop(self.thread.take());
    }
}

/// Sizes and modification times of every file one level under each language folder.
#[derive(PartialEq, Eq)]
struct Snapshot(BTreeMap<PathBuf, (u64, Option<SystemTime>)>);

impl Snapshot {
    fn scan(dir: &Path) -> Snapshot {
        let mut files = BTreeMap::new();
        let Ok(langs) = std::fs::read_dir(dir) else {
            return Snapshot(files);
        };
        for lang in langs.flatten() {
            let Ok(entries) = std::fs::read_dir(lang.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                // Followed: an edit to a linked page is an edit.
                if let Ok(meta) = std::fs::metadata(entry.path()) {
                    files.insert(entry.path(), (meta.len(), meta.modified().ok()));
                }
            }
        }
        Snapshot(files)
    }
}
