//! The web view: plain HTML and CSS, no JavaScript. `/` (the ledger now and its newest
//! entries), `/view/{id}` (an entry, its status, its amendments and refs as links, its
//! receipt, its history through `?at=SIZE`), `/search?kind=&source=` and `/reader` (the
//! Reader Edition, compiled from the store as `ledger reader --format html` does, with
//! `?at=` and `?kind=`).

use super::answer::{on_ledger, Answer, Pool};
use crate::ledger::amend::Status;
use crate::ledger::entry::hex;
use crate::ledger::error::LedgerError;
use crate::ledger::reader::{self, Format, Options};
use crate::ledger::{Ledger, LogFilter, StoredEntry};
use crate::text::html as h;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::Arc;

const HTML: &str = "text/html; charset=utf-8";
/// Nothing but inline styles: no scripts, frames, images or forms posting elsewhere.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";
const PAGE_ENTRIES: usize = 50;

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:0 1rem;color:#222}\
header{border-bottom:1px solid #ccc;padding:.5rem 0;display:flex;gap:1rem;flex-wrap:wrap;align-items:center}\
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #eee;vertical-align:top}\
pre{background:#f6f6f6;padding:.5rem;overflow-x:auto}code{font-size:90%}.status-withdrawn{color:#a00}.status-superseded{color:#a60}";

fn page(origin: &str, title: &str, body: &str) -> Answer {
    let mut s = String::with_capacity(body.len() + 2048);
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{} — {}</title><style>{STYLE}</style></head><body>\
<header><a href=\"/\"><strong>{}</strong></a><a href=\"/reader\">Reader Edition</a>\
<form action=\"/search\" method=\"get\"><label>kind <select name=\"kind\"><option value=\"\">any</option>",
        h(title),
        h(origin),
        h(origin)
    );
    for k in reader::KIND_ORDER {
        let _ = write!(s, "<option>{k}</option>");
    }
    let _ = write!(
        s,
        "</select></label> <label>source <input name=\"source\" size=\"16\"></label> <button>Search</button></form></header><main>{body}</main></body></html>"
    );
    Answer::ok(HTML, None, s.into_bytes())
        .with_header(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP))
}

fn problem(l: &Ledger, status: StatusCode, message: &str) -> Answer {
    page(
        &l.genesis.origin,
        "Not shown",
        &format!("<h1>Not shown</h1><p>{}</p>", h(message)),
    )
    .with_status(status)
}

fn failed(l: &Ledger, e: LedgerError) -> Answer {
    match e {
        LedgerError::NotFound { id, .. } => {
            problem(l, StatusCode::NOT_FOUND, &format!("There is no entry {id}."))
        }
        LedgerError::NoCheckpoint { size, .. } => problem(
            l,
            StatusCode::NOT_FOUND,
            &format!("There is no checkpoint of size {size}."),
        ),
        e => {
            tracing::error!(error = %e, "page failed");
            problem(
                l,
                StatusCode::SERVICE_UNAVAILABLE,
                "The ledger could not be read.",
            )
        }
    }
}

fn entry_rows(s: &mut String, entries: &[StoredEntry]) {
    s.push_str("<table><thead><tr><th>seq</th><th>entry</th><th>kind</th><th>source</th><th>time</th></tr></thead><tbody>");
    for e in entries {
        let x = &e.entry;
        let _ = write!(
            s,
            "<tr><td>{}</td><td><a href=\"/view/{}\"><code>{}</code></a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            x.seq,
            x.id,
            x.id,
            h(&x.kind),
            h(&x.source),
            h(&x.ts)
        );
    }
    s.push_str("</tbody></table>");
}

pub async fn home(State(pool): State<Arc<Pool>>) -> Answer {
    on_ledger(pool, |l| {
        let shown = (|| {
            let size = l.size()?;
            let note = l.latest_checkpoint()?;
            let from = size.saturating_sub(PAGE_ENTRIES as u64);
            let mut newest = Vec::new();
            l.log::<LedgerError>(
                &LogFilter {
                    from_seq: Some(from),
                    ..LogFilter::default()
                },
                |e| {
                    newest.push(e);
                    Ok(())
                },
            )?;
            newest.reverse();
            Ok::<_, LedgerError>((size, note, newest))
        })();
        match shown {
            Ok((size, note, newest)) => {
                let mut s = format!(
                    "<h1>{}</h1><p>{size} entries. The newest checkpoint, signed:</p><pre>{}</pre><h2>Newest entries</h2>",
                    h(&l.genesis.origin),
                    h(&note)
                );
                entry_rows(&mut s, &newest);
                page(&l.genesis.origin, "Ledger", &s)
            }
            Err(e) => failed(l, e),
        }
    })
    .await
}

#[derive(Deserialize)]
pub struct At {
    at: Option<String>,
}

fn parse_at(at: Option<&str>) -> Result<Option<u64>, String> {
    match at.filter(|a| !a.is_empty()) {
        None => Ok(None),
        Some(a) => a
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("?at={a} is not a ledger size")),
    }
}

pub async fn entry(State(pool): State<Arc<Pool>>, Path(id): Path<String>, Query(q): Query<At>) -> Answer {
    on_ledger(pool, move |l| {
        let at = match parse_at(q.at.as_deref()) {
            Ok(at) => at,
            Err(m) => return problem(l, StatusCode::BAD_REQUEST, &m),
        };
        let valid = crate::ledger::entry::is_valid_ulid(&id)
            || (id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()));
        if !valid {
            return failed(l, LedgerError::NotFound { id, path: None });
        }
        match l.show_at(&id, at) {
            Ok(v) => page(
                &l.genesis.origin,
                &format!("{} {}", v.entry.entry.kind, v.entry.entry.id),
                &entry_page(&v, at),
            ),
            Err(e) => failed(l, e),
        }
    })
    .await
}

fn entry_page(v: &crate::ledger::EntryView, at: Option<u64>) -> String {
    let e = &v.entry.entry;
    let mut s = String::new();
    let _ = write!(s, "<h1>{} <code>{}</code></h1>", h(&e.kind), e.id);
    if let Some(size) = at {
        let _ = write!(
            s,
            "<p>As it stood when the ledger held {size} entries. <a href=\"/view/{}\">As it stands now</a>.</p>",
            e.id
        );
    }
    let status = match &v.status {
        Status::Superseded { by } => format!("superseded by <a href=\"/view/{by}\"><code>{by}</code></a>"),
        other => other.as_str().to_owned(),
    };
    let _ = write!(
        s,
        "<table><tr><th>status</th><td class=\"status-{}\">{status}</td></tr>\
<tr><th>seq</th><td>{}</td></tr><tr><th>time</th><td>{}</td></tr><tr><th>source</th><td>{}</td></tr>\
<tr><th>signer</th><td><code>{}</code></td></tr><tr><th>leaf hash</th><td><code>{}</code></td></tr>\
<tr><th>previous entry hash</th><td><code>{}</code></td></tr></table>",
        v.status.as_str(),
        e.seq,
        h(&e.ts),
        h(&e.source),
        h(&e.signer),
        hex(&v.entry.leaf),
        hex(&e.prev)
    );
    let pretty =
        |m: &serde_json::Map<String, serde_json::Value>| serde_json::to_string_pretty(m).unwrap_or_default();
    let _ = write!(
        s,
        "<h2>Content</h2><pre>{}</pre>",
        h(&pretty(&v.effective_content))
    );
    if v.effective_content != e.content {
        let _ = write!(
            s,
            "<h2>Content as first written</h2><pre>{}</pre>",
            h(&pretty(&e.content))
        );
    }
    if !e.refs.is_empty() {
        s.push_str("<h2>Refers to</h2><ul>");
        for r in &e.refs {
            let _ = write!(s, "<li><a href=\"/view/{r}\"><code>{r}</code></a></li>");
        }
        s.push_str("</ul>");
    }
    s.push_str("<h2>Amendments</h2>");
    if v.amendments.is_empty() {
        s.push_str("<p>None.</p>");
    } else {
        s.push_str("<ol>");
        for (stored, a) in &v.amendments {
            let x = &stored.entry;
            let _ = write!(
                s,
                "<li><a href=\"/view/{}\"><code>{}</code></a> (seq {}, {}): {} — <a href=\"/view/{}?at={}\">as it stood before</a></li>",
                x.id,
                x.id,
                x.seq,
                h(a.kind.as_str()),
                h(&a.reason),
                e.id,
                x.seq
            );
        }
        s.push_str("</ol>");
    }
    let _ = write!(
        s,
        "<h2>Proof</h2><p><a href=\"/entries/{id}/proof\">Receipt</a> (C2SP tlog-proof, checked offline with <code>echoctl ledger proof verify</code>) · \
<a href=\"/entries/{id}\">JSON</a> · <a href=\"/reader#e-{id}\">In the Reader Edition</a></p>",
        id = e.id
    );
    s
}

#[derive(Deserialize)]
pub struct Search {
    kind: Option<String>,
    source: Option<String>,
    from: Option<u64>,
}

pub async fn search(State(pool): State<Arc<Pool>>, Query(q): Query<Search>) -> Answer {
    on_ledger(pool, move |l| {
        let kind = q.kind.filter(|k| !k.is_empty());
        // A kind that is no kind name matches nothing (and never reaches the store, which
        // may refuse text it cannot hold).
        if kind
            .as_deref()
            .is_some_and(|k| !crate::ledger::entry::is_kind_name(k))
        {
            let s = format!(
                "<h1>Search</h1><p>{} is not a kind. No entries match.</p>",
                h(kind.as_deref().unwrap_or(""))
            );
            return page(&l.genesis.origin, "Search", &s);
        }
        let source = q.source.unwrap_or_default();
        let mut found = Vec::new();
        let mut next = None;
        let filter = LogFilter {
            kind: kind.clone(),
            from_seq: q.from,
            ..LogFilter::default()
        };
        let scanned = l.log::<LedgerError>(&filter, |e| {
            if found.len() == PAGE_ENTRIES {
                next.get_or_insert(e.entry.seq);
                return Err(LedgerError::Invalid("page full".into()));
            }
            if source.is_empty() || e.entry.source.contains(source.as_str()) {
                found.push(e);
            }
            Ok(())
        });
        if let Err(e) = scanned {
            if next.is_none() {
                return failed(l, e);
            }
        }
        let mut s = format!(
            "<h1>Search</h1><p>kind: {}, source containing: {}</p>",
            h(kind.as_deref().unwrap_or("any")),
            h(if source.is_empty() { "anything" } else { &source })
        );
        if found.is_empty() {
            s.push_str("<p>No entries match.</p>");
        } else {
            entry_rows(&mut s, &found);
        }
        if let Some(n) = next {
            let _ = write!(
                s,
                "<p><a href=\"/search?kind={}&amp;source={}&amp;from={n}\">More</a></p>",
                h(&form_value(kind.as_deref().unwrap_or(""))),
                h(&form_value(&source))
            );
        }
        page(&l.genesis.origin, "Search", &s)
    })
    .await
}

/// A query value, percent-encoded.
fn form_value(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Deserialize)]
pub struct ReaderQuery {
    at: Option<String>,
    kind: Option<String>,
}

/// One edition is compiled at a time (its memory is `ledger reader`'s, README
/// "Performance"); the last one is kept for the requests that ask for it again.
static READER_TURN: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// The last edition compiled: (ledger size, ?at, ?kind) and the page.
type Compiled = (u64, Option<u64>, Vec<String>, bytes::Bytes);
static LAST_EDITION: std::sync::Mutex<Option<Compiled>> = std::sync::Mutex::new(None);

pub async fn reader_edition(State(pool): State<Arc<Pool>>, Query(q): Query<ReaderQuery>) -> Answer {
    let Ok(_turn) = READER_TURN.acquire().await else {
        return Answer::error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
    };
    on_ledger(pool, move |l| {
        let at = match parse_at(q.at.as_deref()) {
            Ok(at) => at,
            Err(m) => return problem(l, StatusCode::BAD_REQUEST, &m),
        };
        let kinds: Vec<String> = q.kind.filter(|k| !k.is_empty()).into_iter().collect();
        if let Some(k) = kinds.iter().find(|k| !reader::KIND_ORDER.contains(&k.as_str())) {
            return problem(
                l,
                StatusCode::BAD_REQUEST,
                &format!("{k:?} is not a kind the Reader Edition shows"),
            );
        }
        let size = match l.size() {
            Ok(size) => size,
            Err(e) => return failed(l, e),
        };
        let kept = LAST_EDITION.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some((s, a, k, page)) = kept {
            if (s, a, &k) == (size, at, &kinds) {
                return edition_answer(page);
            }
        }
        let opts = Options {
            format: Format::Html,
            at,
            kinds: kinds.clone(),
            force: false,
        };
        let edition = match reader::compile(l, &opts, &mut |_, _| {}) {
            Ok(e) => e,
            Err(LedgerError::NoCheckpoint { size, .. }) => {
                return problem(
                    l,
                    StatusCode::NOT_FOUND,
                    &format!("There is no checkpoint of size {size}."),
                )
            }
            Err(e) => {
                tracing::error!(error = %e, "reader edition failed");
                return problem(
                    l,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The Reader Edition could not be compiled: the ledger does not verify or cannot be read.",
                );
            }
        };
        let mut out = Vec::new();
        if edition.write_to(&mut out).is_err() {
            return problem(
                l,
                StatusCode::INTERNAL_SERVER_ERROR,
                "The Reader Edition could not be written.",
            );
        }
        drop(edition);
        let page = bytes::Bytes::from(out);
        *LAST_EDITION.lock().unwrap_or_else(|p| p.into_inner()) = Some((size, at, kinds, page.clone()));
        edition_answer(page)
    })
    .await
}

fn edition_answer(page: bytes::Bytes) -> Answer {
    Answer::ok(HTML, None, page).with_header(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP))
}
