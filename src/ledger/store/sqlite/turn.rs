//! One writer per file inside a process, handed over the moment it finishes. SQLite's own
//! wait for a busy file sleeps in steps of milliseconds; two handles of one process on one
//! file (a validator's persister and its ledger writer) take turns here first, so each
//! finds the file free when its `BEGIN IMMEDIATE` runs. Writers in other processes still
//! meet SQLite's lock and its busy timeout.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

#[derive(Default)]
pub(super) struct Turn {
    busy: Mutex<bool>,
    freed: Condvar,
}

/// The turn while it is held; dropping it hands it on.
pub(super) struct Held(Arc<Turn>);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Turn {
    /// The turn of the file at `path` (one per file, however it is named).
    pub(super) fn of(path: &Path) -> Arc<Turn> {
        static TURNS: OnceLock<Mutex<HashMap<PathBuf, Arc<Turn>>>> = OnceLock::new();
        let key = path.canonicalize().unwrap_or_else(|_| path.to_owned());
        let mut turns = lock(TURNS.get_or_init(Default::default));
        Arc::clone(turns.entry(key).or_default())
    }

    /// Waits up to `timeout` for the turn; None when another handle kept it that long.
    pub(super) fn take(self: &Arc<Self>, timeout: Duration) -> Option<Held> {
        let deadline = Instant::now() + timeout;
        let mut busy = lock(&self.busy);
        while *busy {
            let left = deadline.checked_duration_since(Instant::now())?;
            busy = self
                .freed
                .wait_timeout(busy, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *busy = true;
        Some(Held(Arc::clone(self)))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        *lock(&self.0.busy) = false;
        self.0.freed.notify_one();
    }
}
