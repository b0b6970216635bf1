//! `echoctl serve`: the ledger over HTTP, straight from the store (either engine): the
//! c2sp.org/tlog-tiles paths and `checkpoint`, entries by id or seq, their receipts,
//! consistency proofs between stored checkpoints, `/health`, `/metrics` and
//! `/openapi.json`; the web view (`/`, `/view/{id}`, `/search`, `/reader`: plain HTML);
//! and, given tokens, `POST /entries`. A front end beside the CLI, on the
//! library's read-only view (`Ledger`, `tiles`, `proof`); it never calls the CLI. Reads
//! run on a small pool of read-only ledgers (one database connection each) in tokio's
//! blocking threads; writes go to one writer thread that batches them; the async side
//! only moves bytes. Stops on SIGTERM or SIGINT after the requests in flight are answered
//! (README, "Serving the ledger").

mod answer;
pub mod append;
pub mod http;
mod post;
mod read;
pub mod tokens;
mod web;

use crate::clock::Clock;
use crate::ledger::Ledger;
use crate::sign::Signers;
use answer::{Answer, Pool};
use append::{Appender, Batching};
use axum::extract::{FromRef, MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use post::{App, Writes};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokens::Tokens;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

pub use http::ConnLimits;
pub use post::{MAX_BODY_BYTES, MAX_ENTRIES_PER_REQUEST};

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot start the HTTP server: {0}")]
    Start(std::io::Error),
}

/// What `POST /entries` needs: the tokens, a writable ledger and its signers.
pub struct WriteSetup {
    pub tokens: Tokens,
    pub ledger: Ledger,
    pub signers: Signers,
    pub clock: Box<dyn Fn() -> Clock + Send>,
    pub batching: Batching,
    /// Entries per second per token; 0: no limit.
    pub rate: u32,
    /// Request bodies read and written at once.
    pub in_flight: usize,
}

/// The whole server's configuration.
pub struct Config {
    /// One read-only ledger per concurrent read.
    pub readers: Vec<Ledger>,
    /// Present: the server appends.
    pub writes: Option<WriteSetup>,
    pub limits: ConnLimits,
    /// A request is answered within this (else 503), its body read within it (else 408).
    pub request_timeout: Duration,
}

impl FromRef<App> for Arc<Pool> {
    fn from_ref(app: &App) -> Arc<Pool> {
        app.pool.clone()
    }
}

/// The OpenAPI 3.1 description of the JSON API (kept true by tests/cli/serve.rs).
const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Answer {
    Answer::ok("application/json", None, OPENAPI.as_bytes().to_vec())
}

async fn prometheus() -> Answer {
    Answer::ok(
        "text/plain; version=0.0.4; charset=utf-8",
        Some("no-store"),
        crate::telemetry::render().into_bytes(),
    )
}

async fn not_found() -> Answer {
    Answer::error(StatusCode::NOT_FOUND, "no such path")
}

/// Counts every request by route and status, and times it.
async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // A client may send any method name: only the standard ones become labels, so that
    // the series stay bounded.
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS") => m.to_owned(),
        _ => "other".to_owned(),
    };
    let started = Instant::now();
    let r = next.run(req).await;
    let status = r.status().as_u16().to_string();
    metrics::counter!("echoctl_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("echoctl_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    r
}

/// The routes.
fn app(state: App, request_timeout: Duration) -> Router {
    Router::new()
        .route("/", get(web::home))
        .route("/view/{id}", get(web::entry))
        .route("/search", get(web::search))
        .route("/reader", get(web::reader_edition))
        .route("/checkpoint", get(read::checkpoint))
        .route("/tile/{*rest}", get(read::tile))
        .route("/entries", axum::routing::post(post::post_entries))
        .route("/entries/{id}", get(read::entry))
        .route("/entries/{id}/proof", get(read::entry_proof))
        .route("/consistency", get(read::consistency))
        .route("/health", get(read::health))
        .route("/metrics", get(prometheus))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(track))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyTimeoutLayer::new(request_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            request_timeout,
        ))
        .layer(CompressionLayer::new())
}

/// Serves until SIGTERM or SIGINT, then lets the requests in flight finish and the
/// writer commit what it was given.
pub fn run(cfg: Config, listener: std::net::TcpListener) -> Result<(), ServeError> {
    crate::telemetry::install();
    let workers = cfg.readers.len().max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(workers)
        .enable_io()
        .enable_time()
        .build()
        .map_err(ServeError::Start)?;
    // The ledgers outlive the runtime: a PostgreSQL connection owns a runtime of its own,
    // which must not be dropped inside this one's async context.
    let pool = Arc::new(Pool::new(cfg.readers));
    let mut writer = None;
    let writes = match cfg.writes {
        None => None,
        Some(w) => {
            let (appender, handle) =
                Appender::start(w.ledger, w.signers, w.clock, w.batching).map_err(ServeError::Start)?;
            writer = Some(handle);
            Some(Arc::new(Writes::new(w.tokens, appender, w.rate, w.in_flight)))
        }
    };
    let routes = app(
        App {
            pool: pool.clone(),
            writes,
        },
        cfg.request_timeout,
    );
    let limits = cfg.limits;
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
        };
        http::serve(listener, routes, limits, stop).await;
        Ok(())
    });
    // Every route (and with it every Appender) is gone: the writer commits what it holds
    // and stops.
    drop(rt);
    if let Some(h) = writer {
        let _ = h.join();
    }
    drop(pool);
    served
}
