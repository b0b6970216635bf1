//! The read routes: the tlog-tiles paths and `checkpoint`, entries by id or seq, their
//! receipts, consistency proofs between stored checkpoints, and `/health`.

use super::answer::{failed, on_ledger, Answer, Pool};
use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::error::LedgerError;
use crate::ledger::json::EntryJson;
use crate::ledger::proof;
use crate::ledger::tiles::{self, TileRef};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use std::sync::Arc;

/// Full tiles and partial tiles never change once written (a partial tile of width W is
/// the same bytes forever; a wider one has another path): cache them for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The checkpoint moves with every write: revalidate every time.
const FRESH: &str = "no-cache";

pub async fn checkpoint(State(pool): State<Arc<Pool>>) -> Answer {
    on_ledger(pool, |l| match proof::stored_checkpoint(l, None) {
        Ok(note) => Answer::ok("text/plain; charset=utf-8", Some(FRESH), note.into_bytes()),
        Err(e) => failed(e),
    })
    .await
}

pub async fn tile(State(pool): State<Arc<Pool>>, Path(rest): Path<String>) -> Answer {
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

/// The seq `id` names: a seq or an entry id. Anything else is not looked up (a store may
/// refuse text it cannot hold, a NUL byte in PostgreSQL, say).
fn resolve(l: &crate::ledger::Ledger, id: &str) -> crate::ledger::Result<u64> {
    let seq = !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit());
    if seq || crate::ledger::entry::is_valid_ulid(id) {
        l.resolve(id)
    } else {
        Err(LedgerError::NotFound {
            id: id.to_owned(),
            path: None,
        })
    }
}

pub async fn entry(State(pool): State<Arc<Pool>>, Path(id): Path<String>) -> Answer {
    on_ledger(pool, move |l| {
        let found = resolve(l, &id).and_then(|seq| l.entry_by_seq(seq));
        match found {
            Ok(Some(e)) => {
                let body = serde_json::json!({ "seq": e.entry.seq, "entry": EntryJson::from(&e) });
                Answer::json(&body)
            }
            Ok(None) => failed(LedgerError::NotFound { id, path: None }),
            Err(e) => failed(e),
        }
    })
    .await
}

pub async fn entry_proof(State(pool): State<Arc<Pool>>, Path(id): Path<String>) -> Answer {
    on_ledger(pool, move |l| {
        match resolve(l, &id).and_then(|seq| proof::receipt(l, seq, None)) {
            Ok(r) => Answer::ok("text/plain; charset=utf-8", None, r.encode().into_bytes()),
            Err(e) => failed(e),
        }
    })
    .await
}

#[derive(Deserialize)]
pub struct Sizes {
    from: u64,
    to: Option<u64>,
}

pub async fn consistency(
    State(pool): State<Arc<Pool>>,
    q: Result<Query<Sizes>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let Ok(Query(q)) = q else {
        return Answer::error(
            StatusCode::BAD_REQUEST,
            "give the sizes as ?from=N&to=M (to: default the latest checkpoint)",
        );
    };
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

pub async fn health(State(pool): State<Arc<Pool>>) -> Answer {
    on_ledger(pool, |l| match l.size() {
        Ok(size) => Answer::json(&serde_json::json!({ "status": "ok", "size": size })),
        Err(e) => failed(e),
    })
    .await
}
