//! Catching up on decisions missed while cut off (docs/PROTOCOL.md §2): when the
//! connection to a peer comes up — at start, or again after it went down — the validator
//! asks that peer for the decisions in its ledger stamped since a little before the
//! moment the link went down (at start: since its own newest entry), page by page, and
//! adopts each certificate it does not hold once it verifies. The in-memory catch-up of
//! a reconnect carries only the 128 most recent decisions; this carries the rest.

use super::{lock, Node};
use crate::bft::frames::{CertificateFrame, Frame, Reply};
use crate::clock::Millis;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Certificates in one page at most, and about how many bytes (a frame is 128 KiB).
pub const SYNC_PAGE: usize = 64;
pub const SYNC_PAGE_BYTES: usize = 96 * 1024;
/// How far before the link went down a catch-up starts: it also covers clocks of
/// validators that disagree by up to this much.
pub const SYNC_MARGIN_MS: Millis = 60_000;
/// Pages asked of one peer in one catch-up at most (a million decisions).
const MAX_PAGES: usize = 16_384;

impl Node {
    /// Starts a catch-up from peer `i` in its own thread, unless one is running.
    pub(super) fn start_sync(self: &Arc<Self>, i: usize, down_at: Option<Millis>) {
        let Some(Some(peer)) = self.peers.0.get(i) else {
            return;
        };
        if peer.syncing.swap(true, Ordering::AcqRel) {
            return;
        }
        let since = down_at
            .or_else(|| self.newest_entry_ms())
            .map(|ms| crate::clock::format_ts(ms.saturating_sub(SYNC_MARGIN_MS)));
        let node = Arc::clone(self);
        let spawned = super::spawn(&format!("sync-{i}"), move || {
            node.sync_from(i, since);
            if let Some(Some(p)) = node.peers.0.get(i) {
                p.syncing.store(false, Ordering::Release);
            }
        });
        if spawned.is_err() {
            peer.syncing.store(false, Ordering::Release);
        }
    }

    /// The time of this validator's newest entry (None for a ledger of genesis only: it
    /// has decided nothing, so it needs every decision).
    fn newest_entry_ms(&self) -> Option<Millis> {
        let st = lock(&self.state);
        let size = st.ledger.size().ok()?;
        if size <= 1 {
            return None;
        }
        let e = st.ledger.entry_by_seq(size - 1).ok()??;
        crate::clock::parse_entry_ts(&e.entry.ts)
    }

    fn sync_from(&self, i: usize, since: Option<String>) {
        let addr = self.cfg.set.validators[i].address;
        let mut from = 0u64;
        let mut adopted = 0usize;
        for _ in 0..MAX_PAGES {
            let ask = Frame::Decisions {
                from: Some(from),
                since: since.clone(),
            };
            let Ok(Reply::Decisions {
                certificates,
                next,
                more,
            }) = crate::bft::client::request(addr, &ask, Duration::from_secs(10))
            else {
                break;
            };
            for c in certificates {
                adopted += usize::from(self.on_synced(c));
            }
            // A page must move on: a peer that does not is not followed further.
            if !more || next <= from {
                break;
            }
            from = next;
        }
        if adopted > 0 {
            tracing::info!(peer = %self.cfg.set.validators[i].name, adopted, "caught up on decisions missed");
        }
    }

    /// Adopts a certificate from a catch-up unless the subject is decided here already
    /// (checked before its signatures, which are not free). Whether it was adopted.
    fn on_synced(&self, frame: CertificateFrame) -> bool {
        {
            let st = lock(&self.state);
            if st
                .subjects
                .get(&frame.subject)
                .is_some_and(|s| s.decided.is_some())
            {
                return false;
            }
            if !matches!(self.decided_in_ledger(&st, &frame.subject), Ok(None)) {
                return false;
            }
        }
        self.on_certificate(frame).is_ok()
    }
}
