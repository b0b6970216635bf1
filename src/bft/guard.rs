//! The persisted vote guard: at most one proposal, one prevote and one precommit per
//! (subject, round) for this validator, written durably (SQLite, `synchronous=FULL`)
//! before the signed vote leaves the process. A node that would sign again for a slot it
//! already used (after a crash and restart, say) gets the stored vote back and sends that,
//! never a different one.

use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// The table, in the node's ledger file (through the store layer's connection).
pub fn init(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS bft_votes (
            subject TEXT NOT NULL,
            round   INTEGER NOT NULL,
            step    INTEGER NOT NULL,
            frame   TEXT NOT NULL,
            PRIMARY KEY (subject, round, step)
        ) WITHOUT ROWID;
        CREATE TRIGGER IF NOT EXISTS bft_votes_no_update BEFORE UPDATE ON bft_votes BEGIN
            SELECT RAISE(ABORT, 'echoctl bft votes are append-only'); END;
        CREATE TRIGGER IF NOT EXISTS bft_votes_no_delete BEFORE DELETE ON bft_votes BEGIN
            SELECT RAISE(ABORT, 'echoctl bft votes are append-only'); END;",
    )?;
    Ok(())
}

/// The vote already stored for this slot, if any.
pub fn stored(conn: &Connection, subject: &str, round: u64, step: u8) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT frame FROM bft_votes WHERE subject = ?1 AND round = ?2 AND step = ?3",
            params![subject, round as i64, step],
            |r| r.get(0),
        )
        .optional()?)
}

/// Stores a signed vote; durable when this returns.
pub fn store(conn: &Connection, subject: &str, round: u64, step: u8, frame: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO bft_votes (subject, round, step, frame) VALUES (?1, ?2, ?3, ?4)",
        params![subject, round as i64, step, frame],
    )?;
    Ok(())
}

/// Every stored vote, oldest subject first: what a restarted node re-sends.
pub fn all(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT frame FROM bft_votes ORDER BY subject, round, step")?;
    let rows = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(rows)
}
