//! A served log as a tiles `Source` (`ledger verify --url`, `ledger mirror`): one HTTP
//! client (reqwest, rustls, keep-alive), 30 s per request, at most one full entry bundle of
//! the largest entries per answer; and a read-ahead: the walk hints the next
//! `READ_AHEAD` bundles and their hash tiles, and four threads fetch them while it hashes
//! the current one. What is fetched ahead waits in memory until the walk takes it: at most
//! 2 × `READ_AHEAD` files, each at most `MAX_FILE` bytes (README, "Serving the ledger").

use super::exit::{Failure, Result};
use crate::ledger::tiles::check::Source;
use crate::ledger::LedgerError;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The most a served file may hold: a full entry bundle of the largest entries.
const MAX_FILE: u64 = 256 * (65_535 + 2);
/// Threads fetching ahead of the walk.
const FETCHERS: usize = 4;
/// Files fetched ahead and not yet taken, at most (twice the read-ahead: bundles and tiles).
const MAX_AHEAD: usize = 2 * crate::ledger::tiles::check::READ_AHEAD as usize;

type Fetched = std::result::Result<Option<Vec<u8>>, String>;

#[derive(Default)]
struct Ahead {
    wanted: VecDeque<String>,
    busy: HashSet<String>,
    done: HashMap<String, Fetched>,
    started: bool,
    stop: bool,
}

struct Inner {
    base: String,
    client: reqwest::blocking::Client,
    ahead: Mutex<Ahead>,
    changed: Condvar,
}

pub struct Http {
    inner: Arc<Inner>,
}

impl Http {
    pub(super) fn new(url: &str) -> Result<Self> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Failure::usage(format!(
                "--url {}: not an http:// or https:// URL",
                crate::text::quoted(url)
            ))
            .hint("pass the log's base URL, under which /checkpoint and /tile/... are served"));
        }
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| Failure::env(format!("cannot make an HTTP client: {e}")))?;
        Ok(Http {
            inner: Arc::new(Inner {
                base: url.trim_end_matches('/').to_owned(),
                client,
                ahead: Mutex::new(Ahead::default()),
                changed: Condvar::new(),
            }),
        })
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Ahead> {
        self.ahead.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, path: &str) -> Fetched {
        use std::io::Read;
        let url = format!("{}/{path}", self.base);
        let r = self
            .client
            .get(&url)
            .send()
            .map_err(|e| crate::text::with_causes(&e))?;
        match r.status() {
            reqwest::StatusCode::NOT_FOUND => return Ok(None),
            s if !s.is_success() => return Err(format!("the server answered {s}")),
            _ => {}
        }
        let mut body = Vec::new();
        r.take(MAX_FILE + 1)
            .read_to_end(&mut body)
            .map_err(|e| e.to_string())?;
        if body.len() as u64 > MAX_FILE {
            return Err("it is larger than any tile can be".into());
        }
        Ok(Some(body))
    }

    /// A fetcher thread: takes wanted paths while there is room for their answers.
    fn fetcher(&self) {
        let mut a = self.lock();
        loop {
            if a.stop {
                return;
            }
            let room = a.done.len() + a.busy.len() < MAX_AHEAD;
            let next = if room { a.wanted.pop_front() } else { None };
            match next {
                Some(path) => {
                    a.busy.insert(path.clone());
                    drop(a);
                    let got = self.get(&path);
                    a = self.lock();
                    a.busy.remove(&path);
                    a.done.insert(path, got);
                    self.changed.notify_all();
                }
                None => a = self.changed.wait(a).unwrap_or_else(|p| p.into_inner()),
            }
        }
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        self.inner.lock().stop = true;
        self.inner.changed.notify_all();
    }
}

impl Source for Http {
    fn fetch(&self, path: &str) -> crate::ledger::Result<Option<Vec<u8>>> {
        let mut a = self.inner.lock();
        a.wanted.retain(|p| p != path);
        let got = loop {
            if let Some(got) = a.done.remove(path) {
                self.inner.changed.notify_all();
                break got;
            }
            if !a.busy.contains(path) {
                drop(a);
                break self.inner.get(path);
            }
            a = self.inner.changed.wait(a).unwrap_or_else(|p| p.into_inner());
        };
        got.map_err(|why| LedgerError::Io {
            what: format!("fetch {}/{path}", self.inner.base),
            source: std::io::Error::other(why),
        })
    }

    fn will_fetch(&self, paths: &[String]) {
        let mut a = self.inner.lock();
        for p in paths {
            if !a.done.contains_key(p) && !a.busy.contains(p) && !a.wanted.contains(p) {
                a.wanted.push_back(p.clone());
            }
        }
        if !a.started {
            a.started = true;
            for i in 0..FETCHERS {
                let inner = Arc::clone(&self.inner);
                // A fetcher that cannot start leaves the walk to fetch for itself.
                let _ = std::thread::Builder::new()
                    .name(format!("fetch-{i}"))
                    .spawn(move || inner.fetcher());
            }
        }
        drop(a);
        self.inner.changed.notify_all();
    }
}
