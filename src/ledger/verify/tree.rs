//! The tree: every leaf is pushed into the frontier, and every interior node it completes
//! must equal the one stored; at the end no stored node may be left over, and the stored
//! amendment index must hold exactly the amendments seen.

use super::{fail, Step, Verifier};
use crate::ledger::merkle::Hash;
use std::collections::{HashSet, VecDeque};

/// Stored nodes read ahead per level.
const NODES_AHEAD: usize = 4096;

impl Verifier<'_> {
    pub(super) fn push_leaf(&mut self, leaf: Hash, seq: u64, id: Option<&str>) -> Step {
        let mut completed = Vec::new();
        self.frontier
            .push(leaf, |level, idx, h| completed.push((level, idx, *h)));
        for (level, idx, h) in completed {
            if self.db.is_some() && self.next_stored_node(level, idx)? != Some(h) {
                return fail(
                    seq,
                    id,
                    format!("the stored Merkle node ({level}, {idx}) disagrees with the entries"),
                );
            }
            self.nodes_checked += 1;
        }
        Ok(())
    }

    fn next_stored_node(&mut self, level: u32, idx: u64) -> Step<Option<Hash>> {
        let l = level as usize;
        if self.node_buffers.len() <= l {
            self.node_buffers.resize_with(l + 1, VecDeque::new);
        }
        if self.node_buffers[l].is_empty() {
            let nodes = self.db()?.nodes_from(level, idx, NODES_AHEAD)?;
            self.node_buffers[l].extend(nodes);
        }
        match self.node_buffers[l].pop_front() {
            Some((i, h)) if i == idx => Ok(Some(h)),
            _ => Ok(None),
        }
    }

    /// The derived data in the file agrees with the entries.
    pub(super) fn check_derived(&mut self) -> Step {
        let n = self.next_seq;
        let db = self.db()?;
        if !self.incremental() {
            let stored = db.node_count()?;
            if stored != self.nodes_checked {
                return fail(
                    n - 1,
                    None,
                    format!(
                        "{stored} Merkle nodes are stored where the entries make {}",
                        self.nodes_checked
                    ),
                );
            }
        }
        let stored: HashSet<(u64, u64)> = db
            .amendment_index(self.checked_from, u64::MAX)?
            .into_iter()
            .collect();
        let expected: HashSet<(u64, u64)> = self.amendment_rows.iter().copied().collect();
        if stored != expected {
            let seq = stored
                .symmetric_difference(&expected)
                .map(|(_, s)| *s)
                .min()
                .unwrap_or(0);
            return fail(
                seq,
                None,
                "the stored amendment index disagrees with the amendment entries",
            );
        }
        Ok(())
    }
}
