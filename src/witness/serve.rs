//! `echoctl witness serve`: `POST /add-checkpoint` over the program's one HTTP stack
//! (`serve::http`: the connection cap, the header timeout, graceful shutdown), and
//! `GET /metrics`. Each request is handled in a blocking thread (the state's write
//! transaction and the signature); the body is read with a 64 KiB cap.

use super::request::{self, MAX_BODY_BYTES};
use super::{Outcome, Witness};
use crate::serve::ConnLimits;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct App {
    witness: Witness,
    /// Per-log request buckets (logs with a rate).
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

fn text(status: StatusCode, kind: &'static str, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    r
}

fn plain(status: StatusCode, body: impl Into<String>) -> Response {
    let mut b = body.into();
    b.push('\n');
    text(status, "text/plain; charset=utf-8", b)
}

impl App {
    /// Whether `origin` may be served now (its rate), else how long to wait.
    fn admit(&self, origin: &str) -> Result<(), Duration> {
        let rate = match self.witness.log(origin) {
            Some(l) if l.rate > 0 => f64::from(l.rate),
            _ => return Ok(()),
        };
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (level, at) = b.entry(origin.to_owned()).or_insert((rate, now));
        *level = (*level + now.duration_since(*at).as_secs_f64() * rate).min(rate);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *level) / rate))
        }
    }
}

async fn add_checkpoint(State(app): State<Arc<App>>, body: Body) -> Response {
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {MAX_BODY_BYTES} bytes, or was cut off"),
            )
        }
    };
    let req = match request::parse(&bytes) {
        Ok(r) => r,
        Err(why) => return plain(StatusCode::BAD_REQUEST, why),
    };
    if let Err(wait) = app.admit(&req.checkpoint.origin) {
        let mut r = plain(StatusCode::TOO_MANY_REQUESTS, "this log is over its rate");
        let secs = wait.as_secs() + 1;
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return r;
    }
    let done = tokio::task::spawn_blocking(move || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        app.witness.add_checkpoint(&req, now)
    })
    .await;
    let outcome = match done {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            tracing::error!(error = %crate::text::with_causes(&e), "add-checkpoint failed");
            metrics::counter!("echoctl_witness_requests_total", "outcome" => "error").increment(1);
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the witness could not store its state",
            );
        }
        Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"),
    };
    let (label, r) = match outcome {
        Outcome::Cosigned(lines) => (
            "cosigned",
            text(StatusCode::OK, "text/plain; charset=utf-8", lines),
        ),
        Outcome::BadRequest(why) => ("bad_request", plain(StatusCode::BAD_REQUEST, why)),
        Outcome::Forbidden => (
            "forbidden",
            plain(
                StatusCode::FORBIDDEN,
                "no signature by a key of this log verifies",
            ),
        ),
        Outcome::UnknownLog => (
            "unknown_log",
            plain(StatusCode::NOT_FOUND, "this witness does not follow that log"),
        ),
        Outcome::Conflict { size, why } => {
            tracing::info!(size, why, "add-checkpoint conflict");
            (
                "conflict",
                text(StatusCode::CONFLICT, "text/x.tlog.size", format!("{size}\n")),
            )
        }
        Outcome::Unprocessable(why) => ("unprocessable", plain(StatusCode::UNPROCESSABLE_ENTITY, why)),
    };
    metrics::counter!("echoctl_witness_requests_total", "outcome" => label).increment(1);
    r
}

async fn prometheus() -> Response {
    text(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        crate::telemetry::render(),
    )
}

/// Serves `witness` on `listener` until SIGTERM or SIGINT.
pub fn run(witness: Witness, listener: std::net::TcpListener, limits: ConnLimits) -> std::io::Result<()> {
    crate::telemetry::install();
    let app = Arc::new(App {
        witness,
        buckets: Mutex::new(HashMap::new()),
    });
    let routes = Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/metrics", get(prometheus))
        .fallback(|| async { plain(StatusCode::NOT_FOUND, "no such path") })
        .with_state(app.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .enable_io()
        .enable_time()
        .build()?;
    let served = rt.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let stop = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        crate::serve::http::serve(listener, routes, limits, stop).await;
        Ok(())
    });
    // The state's store outlives the runtime (a PostgreSQL connection owns a runtime).
    drop(rt);
    drop(app);
    served
}
