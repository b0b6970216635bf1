//! `echoctl serve`: the ledger over HTTP, read-only, straight from the store (either
//! engine): the c2sp.org/tlog-tiles paths and `checkpoint`, entries by id or seq, their
//! receipts, consistency proofs between stored checkpoints, and `/health`. A front end
//! beside the CLI, on the library's read-only view (`Ledger`, `tiles`); it never calls the
//! CLI. Requests run on a small pool of read-only ledgers (one database connection each)
//! in tokio's blocking threads; the async side only moves bytes. Stops on SIGTERM or
//! SIGINT after the requests in flight are answered (README, "Serving the ledger").

use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::error::LedgerError;
use crate::ledger::tiles::{self, TileRef};
use crate::ledger::{proof, Ledger};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::sync::{Arc, Condvar, Mutex};

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot start the HTTP server: {0}")]
    Start(std::io::Error),
    #[error("the HTTP server failed: {0}")]
    Failed(std::io::Error),
}

/// Full tiles and partial tiles never change once written (a partial tile of width W is
/// the same bytes forever; a wider one has another path): cache them for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The checkpoint moves with every write: revalidate every time.
const FRESH: &str = "no-cache";

/// Read-only ledgers, one per concurrent request.
struct Pool {
    free: Mutex<Vec<Ledger>>,
    returned: Condvar,
}

impl Pool {
    fn with<T>(&self, f: impl FnOnce(&Ledger) -> T) -> T {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        let ledger = loop {
            match free.pop() {
                Some(l) => break l,
                None => free = self.returned.wait(free).unwrap_or_else(|p| p.into_inner()),
            }
        };
        drop(free);
        let out = f(&ledger);
        self.free.lock().unwrap_or_else(|p| p.into_inner()).push(ledger);
        self.returned.notify_one();
        out
    }
}

type Shared = Arc<Pool>;

/// An answer: status, content type, cache policy and body.
struct Answer {
    status: StatusCode,
    kind: &'static str,
    cache: Option<&'static str>,
    body: Vec<u8>,
}

impl Answer {
    fn ok(kind: &'static str, cache: Option<&'static str>, body: Vec<u8>) -> Self {
        Answer {
            status: StatusCode::OK,
            kind,
            cache,
            body,
        }
    }

    fn error(status: StatusCode, message: &str) -> Self {
        let body = serde_json::json!({ "error": message }).to_string().into_bytes();
        Answer {
            status,
            kind: "application/json",
            cache: None,
            body,
        }
    }

    fn json(value: &serde_json::Value) -> Self {
        Answer::ok("application/json", None, value.to_string().into_bytes())
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut r = (self.status, self.body).into_response();
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.kind));
        if let Some(c) = self.cache {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(c));
        }
        h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
        r
    }
}

/// A ledger error as an answer: what the client asked for is missing (404) or malformed
/// (400); anything else is the server's problem (500), logged, its text not sent.
fn failed(e: LedgerError) -> Answer {
    match &e {
        LedgerError::NotFound { id, .. } => {
            Answer::error(StatusCode::NOT_FOUND, &format!("entry {id} not found"))
        }
        LedgerError::NoCheckpoint { size, .. } => Answer::error(
            StatusCode::NOT_FOUND,
            &format!("there is no checkpoint of size {size}"),
        ),
        LedgerError::NoCheckpoints => Answer::error(StatusCode::NOT_FOUND, "the ledger has no checkpoint"),
        LedgerError::NotCovered { .. } | LedgerError::Mismatch(_) | LedgerError::Invalid(_) => {
            Answer::error(StatusCode::BAD_REQUEST, &e.to_string())
        }
        _ => {
            tracing::error!(error = %e, "request failed");
            Answer::error(StatusCode::INTERNAL_SERVER_ERROR, "the ledger could not be read")
        }
    }
}

/// Runs `f` on a pooled ledger in a blocking thread.
async fn on_ledger(pool: Shared, f: impl FnOnce(&Ledger) -> Answer + Send + 'static) -> Answer {
    tokio::task::spawn_blocking(move || pool.with(f))
        .await
        .unwrap_or_else(|_| Answer::error(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"))
}

async fn checkpoint(State(pool): State<Shared>) -> Answer {
    on_ledger(pool, |l| match proof::stored_checkpoint(l, None) {
        Ok(note) => Answer::ok("text/plain; charset=utf-8", Some(FRESH), note.into_bytes()),
        Err(e) => failed(e),
    })
    .await
}

async fn tile(State(pool): State<Shared>, Path(rest): Path<String>) -> Answer {
    let t = match TileRef::parse(&format!("tile/{rest}")) {
        Ok(t) => t,
        Err(e) => return Answer::error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    on_ledger(pool, move |l| {
        let r = l.store();
        let size = match r.checkpoint(None) {
            Ok(Some((size, _))) => size,
            Ok(None) => return failed(LedgerError::NoCheckpoints),
            Err(e) => return failed(e.into()),
        };
        match tiles::read(r, &t, size) {
            Ok(Some(data)) => Answer::ok("application/octet-stream", Some(IMMUTABLE), data),
            Ok(None) => Answer::error(
                StatusCode::NOT_FOUND,
                &format!("{} is not a tile of the tree of size {size}", t.path()),
            ),
            Err(e) => failed(e),
        }
    })
    .await
}

async fn entry(State(pool): State<Shared>, Path(id): Path<String>) -> Answer {
    on_ledger(pool, move |l| {
        let found = l.resolve(&id).and_then(|seq| Ok((seq, l.store().body(seq)?)));
        match found {
            Ok((seq, Some(body))) => {
                let entry: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                Answer::json(&serde_json::json!({ "seq": seq, "entry": entry }))
            }
            Ok((_, None)) => failed(LedgerError::NotFound { id, path: None }),
            Err(e) => failed(e),
        }
    })
    .await
}

async fn entry_proof(State(pool): State<Shared>, Path(id): Path<String>) -> Answer {
    on_ledger(pool, move |l| {
        match l.resolve(&id).and_then(|seq| proof::receipt(l, seq, None)) {
            Ok(r) => Answer::ok("text/plain; charset=utf-8", None, r.encode().into_bytes()),
            Err(e) => failed(e),
        }
    })
    .await
}

#[derive(Deserialize)]
struct Sizes {
    from: u64,
    to: Option<u64>,
}

async fn consistency(State(pool): State<Shared>, Query(q): Query<Sizes>) -> Answer {
    on_ledger(pool, move |l| {
        let made = (|| {
            let old_note = proof::stored_checkpoint(l, Some(q.from))?;
            let new_note = proof::stored_checkpoint(l, q.to)?;
            let old = Checkpoint::parse(&old_note)?;
            proof::consistency(l, &old, &old_note, Some(&new_note))
        })();
        match made {
            Ok(p) => Answer::json(&serde_json::to_value(&p).unwrap_or_default()),
            Err(e) => failed(e),
        }
    })
    .await
}

async fn health(State(pool): State<Shared>) -> Answer {
    on_ledger(pool, |l| match l.size() {
        Ok(size) => Answer::json(&serde_json::json!({ "status": "ok", "size": size })),
        Err(e) => failed(e),
    })
    .await
}

async fn not_found() -> Answer {
    Answer::error(StatusCode::NOT_FOUND, "no such path")
}

/// The routes, on a pool of read-only ledgers.
fn app(pool: Shared) -> Router {
    Router::new()
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*rest}", get(tile))
        .route("/entries/{id}", get(entry))
        .route("/entries/{id}/proof", get(entry_proof))
        .route("/consistency", get(consistency))
        .route("/health", get(health))
        .fallback(not_found)
        .with_state(pool)
}

/// Serves `ledgers` on `listener` until SIGTERM or SIGINT, then lets the requests in
/// flight finish.
pub fn run(ledgers: Vec<Ledger>, listener: std::net::TcpListener) -> Result<(), ServeError> {
    let workers = ledgers.len().max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(workers)
        .enable_io()
        .enable_time()
        .build()
        .map_err(ServeError::Start)?;
    // The pool outlives the runtime: a PostgreSQL connection owns a runtime of its own,
    // which must not be dropped inside this one's async context.
    let pool = Arc::new(Pool {
        free: Mutex::new(ledgers),
        returned: Condvar::new(),
    });
    let routes = app(pool.clone());
    let served = rt.block_on(async move {
        listener.set_nonblocking(true).map_err(ServeError::Start)?;
        let listener = tokio::net::TcpListener::from_std(listener).map_err(ServeError::Start)?;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(ServeError::Start)?;
        let stop = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            tracing::info!("stopping: answering the requests in flight");
        };
        axum::serve(listener, routes)
            .with_graceful_shutdown(stop)
            .await
            .map_err(ServeError::Failed)
    });
    drop(rt);
    drop(pool);
    served
}
