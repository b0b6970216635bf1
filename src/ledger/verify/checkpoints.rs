//! Checkpoints and trust: every stored checkpoint has the root of the entries it covers
//! and a valid signature by every signer of those entries (as the key history allows);
//! the caller's anchors — pinned keys, a trusted checkpoint, `--since`, a witness policy —
//! hold.

use super::{fail, ulid_value, Step, Stop, Verifier};
use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::entry::Entry;
use crate::ledger::keys::{KeyChange, KeyRuleError, KIND_KEY};
use crate::ledger::merkle;
use crate::ledger::tree::{inclusion_path, load_frontier};

impl Verifier<'_> {
    pub(super) fn anchor_names(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .anchors
            .keys
            .iter()
            .map(|k| format!("key {}", k.identity()))
            .collect();
        if let Some(cp) = &self.anchors.checkpoint {
            out.push(format!("checkpoint {} at size {}", cp.origin, cp.size));
        }
        if let Some(cp) = &self.anchors.since {
            out.push(format!(
                "checkpoint {} at size {} (incremental)",
                cp.origin, cp.size
            ));
        }
        if let Some(p) = &self.anchors.policy {
            out.push(format!("witness policy ({} witnesses)", p.witnesses.len()));
        }
        out
    }

    /// Every stored checkpoint, each with its stored cosignature lines, so that every
    /// line is checked as the note it is published in (`checkpoint`, export): a line that
    /// is not a signature line, or one under the name and id of a key the ledger knows
    /// that does not verify, fails the ledger. Lines stored for a size that has no
    /// checkpoint fail it too: no writer stores them.
    pub(super) fn load_checkpoints(&mut self) -> Step {
        let db = self.db()?;
        let mut checkpoints: std::collections::VecDeque<(u64, String)> = db.checkpoints()?.into();
        let mut notes = checkpoints.iter_mut().peekable();
        for (size, line) in db.all_cosignatures()? {
            while notes.next_if(|(s, _)| *s < size).is_some() {}
            match notes.peek_mut() {
                Some((s, note)) if *s == size => {
                    if note.contains(line.as_str()) {
                        continue;
                    }
                    let before = Checkpoint::parse(note).is_ok();
                    note.push_str(&line);
                    if !line.ends_with('\n') {
                        note.push('\n');
                    }
                    // Name a line that breaks a note that was whole without it.
                    if let (true, Err(why)) = (before, Checkpoint::parse(note)) {
                        return fail(
                            size - 1,
                            None,
                            format!(
                                "the stored cosignature line {} of checkpoint {size} is not a signature line: {why}",
                                crate::text::quoted(line.trim_end_matches('\n'))
                            ),
                        );
                    }
                }
                _ => {
                    return fail(
                        size.saturating_sub(1),
                        None,
                        format!("cosignatures are stored for size {size}, which has no checkpoint"),
                    )
                }
            }
        }
        self.checkpoints = checkpoints;
        Ok(())
    }

    /// A checkpoint the caller gave must be signed by a key the ledger's history allows at
    /// its size. Returns whether a trusted key (pinned, or added by one) signed it.
    fn check_trusted_checkpoint(&self, cp: &Checkpoint) -> Step<bool> {
        let signed = self
            .history
            .check_checkpoint(cp, cp.size.saturating_sub(1), cp.size)
            .unwrap_or_default();
        if signed.is_empty() {
            return fail(
                cp.size.saturating_sub(1),
                None,
                "the trusted checkpoint carries no valid signature by a key of this ledger",
            );
        }
        Ok(signed.iter().any(|&i| self.history.keys[i].trusted))
    }

    /// Incremental mode: the key history below the trusted checkpoint, from the stored
    /// `key` entries (re-parsed, not re-hashed).
    fn load_key_history(&mut self, below: u64) -> Step {
        for (seq, body) in self.db()?.entries_of_kind(KIND_KEY, below)? {
            let applied = Entry::parse_canonical(&body)
                .map_err(|e| e.to_string())
                .and_then(|e| {
                    let change = KeyChange::from_content(&e.content).map_err(|e| e.to_string())?;
                    let signer = self
                        .history
                        .position(&e.signer)
                        .ok_or_else(|| KeyRuleError::UnknownSigner(e.signer.clone()).to_string())?;
                    self.history
                        .apply(seq, signer, &change, &self.anchors.keys)
                        .map_err(|e| e.to_string())
                });
            if let Err(why) = applied {
                return fail(
                    seq,
                    None,
                    format!("a key entry under the trusted checkpoint is damaged: {why}"),
                );
            }
        }
        Ok(())
    }

    /// Incremental mode: prove the stored tree of the trusted size has the trusted root,
    /// and the last entry it covers hashes into it; then continue from there.
    pub(super) fn start_after(&mut self, since: &Checkpoint, total: u64) -> Step {
        let m = since.size;
        if m == 0 {
            return fail(0, None, "the trusted checkpoint is empty");
        }
        if m > total {
            return fail(total, None, format!("the ledger is truncated: the trusted checkpoint covers {m} entries, the ledger holds {total}"));
        }
        let db = self.db()?;
        let frontier = load_frontier(db, m)?;
        if frontier.root() != since.root {
            return fail(
                m - 1,
                None,
                "the ledger does not extend the trusted checkpoint: its tree of that size has another root",
            );
        }
        let body = db.body(m - 1)?.unwrap_or_default();
        let last = Entry::parse_canonical(&body);
        let leaf = merkle::leaf_hash(&body);
        let path = inclusion_path(db, m - 1, m)?;
        if last.is_err() || merkle::verify_inclusion(m - 1, m, &leaf, &path, &since.root).is_err() {
            return fail(
                m - 1,
                None,
                "the last entry under the trusted checkpoint does not hash into it",
            );
        }
        self.load_key_history(m)?;
        self.newest_trusted = self.check_trusted_checkpoint(since)?;
        self.frontier = frontier;
        self.prev = leaf;
        self.prev_id = last.ok().map(|e| ulid_value(&e.id));
        self.next_seq = m;
        self.checked_from = m;
        self.last_checkpoint_size = m;
        while self.checkpoints.front().is_some_and(|(s, _)| *s <= m) {
            self.checkpoints.pop_front();
        }
        Ok(())
    }

    /// After each entry: the trusted checkpoint's root when its size is reached, and the
    /// stored checkpoints that this entry completes.
    pub(super) fn after_entry(&mut self) -> Step {
        if let Some(cp) = self
            .anchors
            .checkpoint
            .as_ref()
            .filter(|cp| cp.size == self.next_seq)
        {
            self.anchor_root = Some(self.frontier.root());
            self.check_trusted_checkpoint(cp)?;
        }
        while self
            .checkpoints
            .front()
            .is_some_and(|(size, _)| *size <= self.next_seq)
        {
            let (size, note) = self.checkpoints.pop_front().unwrap_or_default();
            self.check_checkpoint(size, &note)?;
        }
        Ok(())
    }

    fn check_checkpoint(&mut self, size: u64, note: &str) -> Step {
        let first = self.last_checkpoint_size.min(size.saturating_sub(1));
        let cp = match Checkpoint::parse(note) {
            Ok(cp) => cp,
            Err(e) => return fail(first, None, format!("checkpoint {size}: {e}")),
        };
        let origin = self
            .genesis
            .as_ref()
            .map(|g| g.origin.as_str())
            .unwrap_or_default();
        if cp.size != size || cp.origin != origin {
            return fail(
                first,
                None,
                format!("checkpoint {size} is stored under the wrong size or names another origin"),
            );
        }
        if cp.root != self.frontier.root() {
            return fail(
                first,
                None,
                format!("checkpoint {size} has a root that does not match the entries it covers"),
            );
        }
        let signers = match self
            .history
            .check_checkpoint(&cp, self.last_checkpoint_size, size)
        {
            Ok(s) => s,
            Err(why) => return fail(first, None, format!("checkpoint {size}: {why}")),
        };
        if signers.is_empty() {
            return fail(
                first,
                None,
                format!("checkpoint {size} carries no valid signature by a key of this ledger"),
            );
        }
        for (index, seq) in &self.uncovered_signers {
            if !signers.contains(index) {
                let signer = self.history.keys[*index].key.identity();
                return fail(
                    *seq,
                    None,
                    format!("entry {seq} names signer {signer}, who did not sign the checkpoint covering it"),
                );
            }
        }
        self.newest_trusted = signers.iter().any(|&i| self.history.keys[i].trusted);
        self.uncovered_signers.clear();
        self.newest_note = Some(note.to_owned());
        self.last_checkpoint_size = size;
        self.checkpoints_checked += 1;
        Ok(())
    }

    /// At the end: every entry covered, and the caller's anchors.
    pub(super) fn check_anchors(&mut self) -> Step {
        let n = self.next_seq;
        if let Some(cp) = &self.anchors.checkpoint {
            if cp.size > n {
                return fail(n, None, format!("the ledger is truncated: the trusted checkpoint covers {} entries, the ledger holds {n}", cp.size));
            }
        }
        if self.last_checkpoint_size < n {
            let seq = self.last_checkpoint_size;
            return fail(
                seq,
                None,
                format!(
                    "entries {seq}..{} are not covered by any signed checkpoint",
                    n - 1
                ),
            );
        }
        if !self.anchors.keys.is_empty() {
            let known = self.anchors.keys.iter().any(|k| {
                self.history
                    .position(&k.identity())
                    .is_some_and(|i| self.history.keys[i].key == *k)
            });
            if !known {
                return fail(0, None, "the ledger's key history names none of the trusted keys: this ledger was made or re-signed with another key");
            }
            if !self.newest_trusted {
                let seq = self.last_checkpoint_size.saturating_sub(1);
                return fail(seq, None, "the newest checkpoint carries no valid signature by a trusted key (a pinned key, or one that a trusted key added)");
            }
        }
        if let Some(cp) = self.anchors.checkpoint.clone() {
            if self.anchor_root.is_none() {
                self.check_trusted_checkpoint(&cp)?;
            }
            let root = match (self.anchor_root, self.db) {
                (Some(root), _) => root,
                // Incremental mode, trusted checkpoint below the re-checked part.
                (None, Some(db)) => load_frontier(db, cp.size)?.root(),
                (None, None) => [0; 32],
            };
            if root != cp.root {
                return fail(
                    cp.size - 1,
                    None,
                    "the ledger does not match the trusted checkpoint: its history was rewritten",
                );
            }
        }
        if let Some(policy) = &self.anchors.policy {
            let newest = self.newest_note.clone().unwrap_or_default();
            let note = match self.db {
                Some(db) => crate::ledger::witness::with_cosignatures(db, &newest)?,
                None => newest,
            };
            let cp = Checkpoint::parse(&note).map_err(Stop::Error)?;
            if let Err(why) = policy.check_quorum(&cp) {
                return fail(
                    n - 1,
                    None,
                    format!("the newest checkpoint (size {}): {why}", cp.size),
                );
            }
        }
        Ok(())
    }
}
