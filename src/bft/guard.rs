//! The persisted vote guard: at most one proposal, one prevote and one precommit per
//! (subject, round) for this validator, written durably (the ledger file's records,
//! `synchronous=FULL`) before the signed vote leaves the process. A node that would sign
//! again for a slot it already used (after a crash and restart, say) gets the stored vote
//! back and sends that, never a different one.

use crate::ledger::store::{Reads, StoreResult, Writes};

/// The records space of the votes.
const SPACE: &str = "bft/votes";

/// subject ‖ 0x00 ‖ round (u64 BE) ‖ step: in key order, the votes of a subject by round
/// and step (subjects hold no control characters).
fn key(subject: &str, round: u64, step: u8) -> Vec<u8> {
    let mut k = Vec::with_capacity(subject.len() + 10);
    k.extend_from_slice(subject.as_bytes());
    k.push(0);
    k.extend_from_slice(&round.to_be_bytes());
    k.push(step);
    k
}

/// The vote already stored for this slot, if any.
pub fn stored(r: &dyn Reads, subject: &str, round: u64, step: u8) -> StoreResult<Option<String>> {
    Ok(r.record(SPACE, &key(subject, round, step))?
        .map(|v| String::from_utf8_lossy(&v).into_owned()))
}

/// Stores a signed vote; durable when the transaction commits. Storing a second,
/// different vote for a slot is refused.
pub fn store(tx: &mut dyn Writes, subject: &str, round: u64, step: u8, frame: &str) -> StoreResult<()> {
    tx.put_record(SPACE, &key(subject, round, step), frame.as_bytes())
        .map(drop)
}

/// Every stored vote, oldest subject first: what a restarted node re-sends.
pub fn all(r: &dyn Reads) -> StoreResult<Vec<String>> {
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = r.records_after(SPACE, after.as_deref(), 4096)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        out.extend(
            page.into_iter()
                .map(|(_, v)| String::from_utf8_lossy(&v).into_owned()),
        );
    }
    Ok(out)
}
