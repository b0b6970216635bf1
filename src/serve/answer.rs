//! What a handler answers: a status, a content type, a cache policy and a body; errors
//! as JSON `{"error": "..."}`. And the pool of read-only ledgers handlers read through.

use crate::ledger::error::LedgerError;
use crate::ledger::Ledger;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Condvar, Mutex};

/// Read-only ledgers, one per concurrent request.
pub struct Pool {
    free: Mutex<Vec<Ledger>>,
    returned: Condvar,
}

impl Pool {
    pub fn new(ledgers: Vec<Ledger>) -> Pool {
        Pool {
            free: Mutex::new(ledgers),
            returned: Condvar::new(),
        }
    }

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

/// An answer: status, content type, cache policy and body.
pub struct Answer {
    status: StatusCode,
    kind: &'static str,
    cache: Option<&'static str>,
    body: bytes::Bytes,
    /// Headers beyond the content type and the cache policy.
    extra: Vec<(HeaderName, HeaderValue)>,
}

impl Answer {
    pub fn ok(kind: &'static str, cache: Option<&'static str>, body: impl Into<bytes::Bytes>) -> Self {
        Answer {
            status: StatusCode::OK,
            kind,
            cache,
            body: body.into(),
            extra: Vec::new(),
        }
    }

    pub fn error(status: StatusCode, message: &str) -> Self {
        let body = serde_json::json!({ "error": message }).to_string().into_bytes();
        Answer {
            status,
            kind: "application/json",
            cache: None,
            body: body.into(),
            extra: Vec::new(),
        }
    }

    pub fn json(value: &serde_json::Value) -> Self {
        Answer::ok("application/json", None, value.to_string().into_bytes())
    }

    /// The same answer with another status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The same answer with one more header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.extra.push((name, value));
        self
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
        for (k, v) in self.extra {
            h.insert(k, v);
        }
        r
    }
}

/// A ledger error as an answer: what the client asked for is missing (404) or malformed
/// (400); anything else is the server's problem (500), logged, its text not sent.
pub fn failed(e: LedgerError) -> Answer {
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
        LedgerError::Store(_) => {
            tracing::error!(error = %e, "request failed");
            Answer::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the ledger's database is unavailable",
            )
        }
        _ => {
            tracing::error!(error = %e, "request failed");
            Answer::error(StatusCode::INTERNAL_SERVER_ERROR, "the ledger could not be read")
        }
    }
}

/// Runs `f` on a pooled ledger in a blocking thread.
pub async fn on_ledger(pool: Arc<Pool>, f: impl FnOnce(&Ledger) -> Answer + Send + 'static) -> Answer {
    tokio::task::spawn_blocking(move || pool.with(f))
        .await
        .unwrap_or_else(|_| Answer::error(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"))
}
