//! Schema v4 of the ledger file, the append-only triggers, migrations from older
//! versions, and the identity checks of a file that claims to be a ledger.

use super::{Sql, APPLICATION_ID, SCHEMA_VERSION};
use crate::ledger::store::{StoreError, StoreResult};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

pub(super) const SCHEMA_V1: &str = r#"
CREATE TABLE entries (
    seq   INTEGER PRIMARY KEY,       -- 0-based position
    id    TEXT NOT NULL UNIQUE,      -- ULID, copied from body for lookups
    kind  TEXT NOT NULL,             -- copied from body for filters
    ts    TEXT NOT NULL,             -- copied from body for filters
    leaf  BLOB NOT NULL,             -- RFC 9162 leaf hash of body (a cache; verify recomputes)
    body  BLOB NOT NULL              -- RFC 8785 canonical entry bytes: the record itself
);
-- Interior Merkle nodes (level >= 1), immutable once complete; leaves are entries.leaf.
CREATE TABLE tree_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
-- Signed checkpoints (C2SP signed notes), one per state-changing command.
CREATE TABLE checkpoints (
    size  INTEGER PRIMARY KEY,
    note  TEXT NOT NULL
);
-- Index of amendments by target, for show and for the writer's rule checks.
CREATE TABLE amendments (
    target_seq INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (target_seq, seq)
) WITHOUT ROWID;
"#;

/// v2: witness cosignatures of checkpoints, one signature line a row.
pub(super) const SCHEMA_V2: &str = r#"
CREATE TABLE IF NOT EXISTS cosignatures (
    size INTEGER NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (size, line)
) WITHOUT ROWID;
"#;

/// v3: the `key` entries (key history), found without scanning every entry.
pub(super) const SCHEMA_V3: &str =
    "CREATE INDEX IF NOT EXISTS entries_keys ON entries (seq) WHERE kind = 'key';";

/// Every entry of a kind an operator does not append (the ledger's own, and every
/// feature's) by kind: the few entries commands look up by kind (cases, rulings,
/// emergency statements, the genesis entry) are found without scanning every entry.
/// Derived, and created when missing on any open for writing: no schema version of its
/// own, and older echoctl versions keep it up to date as SQLite does for any index.
pub(super) const RARE_KINDS: &str =
    "kind NOT IN ('observation', 'decision', 'outcome', 'constraint', 'test')";

pub(super) fn ensure_rare_kinds_index(conn: &Connection) -> StoreResult<()> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'entries_rare_kinds'")
        .and_then(|mut s| s.query_row([], |_| Ok(())).optional())
        .sql()?
        .is_some();
    if !exists {
        conn.execute_batch(&format!(
            "CREATE INDEX IF NOT EXISTS entries_rare_kinds ON entries (kind, seq) WHERE {RARE_KINDS};"
        ))
        .sql()?;
    }
    Ok(())
}

/// v4: records a feature keeps beside the ledger (append-only, one value a key).
pub(super) const SCHEMA_V4: &str = r#"
CREATE TABLE IF NOT EXISTS records (
    space TEXT NOT NULL,
    key   BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (space, key)
) WITHOUT ROWID;
"#;

pub(super) fn triggers(tables: &[&str]) -> String {
    let mut s = String::new();
    for table in tables {
        for op in ["UPDATE", "DELETE"] {
            s.push_str(&format!(
                "CREATE TRIGGER IF NOT EXISTS {table}_no_{low} BEFORE {op} ON {table} BEGIN \
                 SELECT RAISE(ABORT, 'echoctl ledger is append-only: {op} on {table} refused'); END;\n",
                low = op.to_lowercase()
            ));
        }
    }
    s
}

pub(super) fn has_table(conn: &Connection, name: &str) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")
        .and_then(|mut s| s.query_row([name], |_| Ok(())).optional())
        .sql()?
        .is_some())
}

/// Brings an older schema up to date, in one transaction.
pub(super) fn migrate(conn: &Connection, from: i32) -> StoreResult<()> {
    let tx = conn.unchecked_transaction().sql()?;
    if from < 2 {
        tx.execute_batch(SCHEMA_V2).sql()?;
        tx.execute_batch(&triggers(&["cosignatures"])).sql()?;
    }
    if from < 3 {
        tx.execute_batch(SCHEMA_V3).sql()?;
    }
    if from < 4 {
        tx.execute_batch(SCHEMA_V4).sql()?;
        tx.execute_batch(&triggers(&["records"])).sql()?;
        // Version 3 validators kept their votes in a table of their own: they move into
        // records (space "bft/votes", key subject ‖ 0x00 ‖ round (u64 BE) ‖ step), so that
        // a restarted validator still never signs a second vote for a slot.
        if has_table(&tx, "bft_votes")? {
            let mut stmt = tx
                .prepare("SELECT subject, round, step, frame FROM bft_votes")
                .sql()?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, u8>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .sql()?
                .collect::<Result<Vec<_>, _>>()
                .sql()?;
            let mut put = tx
                .prepare("INSERT OR IGNORE INTO records (space, key, value) VALUES ('bft/votes', ?1, ?2)")
                .sql()?;
            for (subject, round, step, frame) in rows {
                let mut key = subject.into_bytes();
                key.push(0);
                key.extend_from_slice(&(round as u64).to_be_bytes());
                key.push(step);
                put.execute(params![key, frame.into_bytes()]).sql()?;
            }
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION).sql()?;
    tx.commit().sql()
}

pub(super) fn check_identity(conn: &Connection, path: &Path) -> StoreResult<i32> {
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .sql()?;
    if app != APPLICATION_ID {
        return Err(StoreError::NotALedger(path.display().to_string()));
    }
    let version: i32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .sql()?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            location: path.display().to_string(),
            version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < 1 {
        return Err(StoreError::Unfinished {
            location: path.display().to_string(),
            version,
        });
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_rare_kinds_index_leaves_out_exactly_the_kinds_an_operator_appends() {
        let listed: Vec<&str> = super::RARE_KINDS.split('\'').skip(1).step_by(2).collect();
        assert_eq!(listed, crate::ledger::kinds::USER_KINDS);
    }
}
