//! `POST /entries`: a bearer token, a rate limit per token, a bounded body, then the
//! entries go to the writer thread and the answer carries each entry's receipt against
//! the checkpoint of the batch that wrote it (README, "Appending over HTTP").

use super::answer::{on_ledger, Answer, Pool};
use super::append::{Appender, QueueError};
use super::tokens::{StoredToken, Tokens};
use crate::ledger::canon::parse_strict;
use crate::ledger::new_entry::Defaults;
use crate::ledger::proof;
use crate::ledger::NewEntry;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The largest request body (a batch of small entries, or one entry of 64 KiB with room).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// The most entries one request may carry.
pub const MAX_ENTRIES_PER_REQUEST: usize = 1_000;

/// The write side of the server: present only when it was given tokens.
pub struct Writes {
    pub tokens: Tokens,
    pub appender: Appender,
    /// Entries per second per token (0: no limit); a token may burst one second's worth.
    pub rate: u32,
    /// Bodies being read, parsed or written at once; others wait (bounds their memory).
    pub in_flight: Semaphore,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Writes {
    pub fn new(tokens: Tokens, appender: Appender, rate: u32, in_flight: usize) -> Writes {
        Writes {
            tokens,
            appender,
            rate,
            in_flight: Semaphore::new(in_flight.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `n` entries from `token`'s bucket, or says how long to wait. A request larger
    /// than the bucket is let through when the bucket is full, and leaves it in debt.
    fn take(&self, token: &str, n: usize) -> Result<(), Duration> {
        if self.rate == 0 {
            return Ok(());
        }
        let rate = f64::from(self.rate);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = buckets
            .entry(token.to_owned())
            .or_insert(Bucket { level: rate, at: now });
        b.level = (b.level + now.duration_since(b.at).as_secs_f64() * rate).min(rate);
        b.at = now;
        let n = n as f64;
        if b.level >= n.min(rate) {
            b.level -= n;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((n.min(rate) - b.level) / rate))
        }
    }
}

struct Bucket {
    level: f64,
    at: Instant,
}

/// The shared state of the routes.
#[derive(Clone)]
pub struct App {
    pub pool: Arc<Pool>,
    pub writes: Option<Arc<Writes>>,
}

fn unauthorized(message: &str) -> Answer {
    Answer::error(StatusCode::UNAUTHORIZED, message).with_header(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"echoctl\""),
    )
}

fn retry_after(a: Answer, wait: Duration) -> Answer {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    a.with_header(header::RETRY_AFTER, HeaderValue::from(secs.max(1)))
}

fn too_large() -> Answer {
    Answer::error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the body is larger than {MAX_BODY_BYTES} bytes, or was cut off"),
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The entries a body holds: one entry object, or `{"entries": [...]}`. The source each
/// records is `token:NAME`, or `token:NAME/SOURCE` when the client names one.
fn parse(body: &[u8], token: &StoredToken) -> Result<Vec<NewEntry>, Answer> {
    let bad = |m: String| Answer::error(StatusCode::BAD_REQUEST, &m);
    let text = std::str::from_utf8(body).map_err(|_| bad("the body is not UTF-8".into()))?;
    let value = parse_strict(text).map_err(|why| bad(format!("the body is not valid JSON: {why}")))?;
    let Value::Object(mut obj) = value else {
        return Err(bad("the body must be a JSON object".into()));
    };
    let objects = match obj.remove("entries") {
        Some(Value::Array(items)) if obj.is_empty() => items,
        Some(_) if !obj.is_empty() => return Err(bad("a batch has only the field \"entries\"".into())),
        Some(_) => return Err(bad("\"entries\" must be an array of entries".into())),
        None => vec![Value::Object(obj)],
    };
    if objects.is_empty() {
        return Err(bad("\"entries\" is empty".into()));
    }
    if objects.len() > MAX_ENTRIES_PER_REQUEST {
        return Err(Answer::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("a request holds at most {MAX_ENTRIES_PER_REQUEST} entries"),
        ));
    }
    let mut entries = Vec::with_capacity(objects.len());
    for (i, v) in objects.into_iter().enumerate() {
        let at = |m: String| bad(format!("entry {}: {m}", i + 1));
        let Value::Object(mut o) = v else {
            return Err(at("an entry is a JSON object".into()));
        };
        let source = match o.remove("source") {
            None => format!("token:{}", token.name),
            Some(Value::String(s)) if !s.is_empty() => format!("token:{}/{s}", token.name),
            Some(_) => return Err(at("\"source\" must be a non-empty string".into())),
        };
        let defaults = Defaults {
            kind: None,
            source: Some(&source),
        };
        let e = NewEntry::from_object(o, defaults).map_err(|e| at(e.0))?;
        if !token.allows(&e.kind) {
            return Err(Answer::error(
                StatusCode::FORBIDDEN,
                &format!(
                    "entry {}: the token {:?} may not append kind {:?}",
                    i + 1,
                    token.name,
                    e.kind
                ),
            ));
        }
        entries.push(e);
    }
    Ok(entries)
}

pub async fn post_entries(State(app): State<App>, headers: HeaderMap, body: Body) -> Answer {
    let Some(writes) = app.writes.clone() else {
        return Answer::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "this server is read-only: it was started without --tokens",
        )
        .with_header(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    };
    let token = match bearer(&headers) {
        None => return unauthorized("no bearer token: send 'Authorization: Bearer TOKEN'"),
        Some(secret) => match writes.tokens.find(secret) {
            Some(t) => t.clone(),
            None => return unauthorized("the bearer token is not valid"),
        },
    };
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let json = ct
            .to_str()
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/json")
            })
            .unwrap_or(false);
        if !json {
            return Answer::error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be application/json",
            );
        }
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    let Ok(_turn) = writes.in_flight.acquire().await else {
        return Answer::error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
    };
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return too_large(),
    };
    let entries = match parse(&bytes, &token) {
        Ok(e) => e,
        Err(a) => return a,
    };
    drop(bytes);
    if let Err(wait) = writes.take(&token.name, entries.len()) {
        let a = Answer::error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "the token {:?} is over its rate of {} entries/s",
                token.name, writes.rate
            ),
        );
        return retry_after(a, wait);
    }
    let written = match writes.appender.append(entries).await {
        Ok(Ok(w)) => w,
        Ok(Err(refused)) if refused.by_rule => {
            return Answer::error(StatusCode::UNPROCESSABLE_ENTITY, &refused.message)
        }
        Ok(Err(refused)) => {
            return retry_after(
                Answer::error(StatusCode::SERVICE_UNAVAILABLE, &refused.message),
                Duration::from_secs(1),
            )
        }
        Err(QueueError::Full) => {
            return retry_after(
                Answer::error(StatusCode::SERVICE_UNAVAILABLE, "the write queue is full"),
                Duration::from_secs(1),
            )
        }
        Err(QueueError::Stopped) => {
            return Answer::error(StatusCode::SERVICE_UNAVAILABLE, "the writer has stopped")
        }
    };
    metrics::counter!("echoctl_http_appended_entries_total", "token" => token.name.clone())
        .increment(written.ids.len() as u64);
    on_ledger(app.pool, move |l| {
        let mut out = Vec::with_capacity(written.ids.len());
        for (i, id) in written.ids.iter().enumerate() {
            let seq = written.first_seq + i as u64;
            let receipt = match proof::receipt(l, seq, Some(written.size)) {
                Ok(r) => r.encode(),
                Err(e) => {
                    tracing::error!(error = %e, seq, "receipt failed");
                    return Answer::error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "the entries were written, but their receipts could not be read",
                    );
                }
            };
            let mut m = Map::new();
            m.insert("seq".into(), seq.into());
            m.insert("id".into(), id.clone().into());
            m.insert("receipt".into(), receipt.into());
            out.push(Value::Object(m));
        }
        Answer::json(&serde_json::json!({ "size": written.size, "entries": out }))
            .with_status(StatusCode::CREATED)
    })
    .await
}
