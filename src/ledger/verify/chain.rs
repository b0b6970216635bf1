//! The chain: every entry at its position, hashing to the leaf recorded for it and to the
//! `prev` of the next, with a unique id and a signer the key history allows there.

use super::source::{Class, Summary};
use super::{fail, ulid_text, Known, Step, Verifier};
use crate::ledger::entry::Entry;
use crate::ledger::keys::KeyHistory;
use crate::ledger::Genesis;

impl Verifier<'_> {
    pub(super) fn read_genesis(&mut self) -> Step {
        let Some(body) = self.db()?.body(0)? else {
            return fail(0, None, "the ledger has no genesis entry");
        };
        let e = match Entry::parse_canonical(&body) {
            Ok(e) => e,
            Err(why) => return fail(0, None, why.to_string()),
        };
        match Genesis::from_entry(&e) {
            Ok(g) => self.adopt_genesis(g, &e.id),
            Err(why) => fail(0, Some(&e.id), why.to_string()),
        }
    }

    /// Checks the genesis facts against the anchors, then trusts its keys.
    pub(super) fn adopt_genesis(&mut self, g: Genesis, id: &str) -> Step {
        if let Some((origin, keys)) = &self.expected {
            if *origin != g.origin {
                return fail(
                    0,
                    Some(id),
                    "the bundle header's origin is not the genesis entry's origin",
                );
            }
            if *keys != g.keys {
                return fail(
                    0,
                    Some(id),
                    "the bundle header's keys are not the genesis entry's keys",
                );
            }
        }
        for cp in [&self.anchors.checkpoint, &self.anchors.since]
            .into_iter()
            .flatten()
        {
            if cp.origin != g.origin {
                return fail(
                    0,
                    Some(id),
                    format!(
                        "the trusted checkpoint is for origin {}, the ledger is {}",
                        crate::text::quoted(&cp.origin),
                        crate::text::quoted(&g.origin)
                    ),
                );
            }
        }
        self.history = KeyHistory::from_genesis(&g.keys, &self.anchors.keys);
        self.genesis = Some(g);
        Ok(())
    }

    pub(super) fn check_entry(&mut self, p: Summary) -> Step {
        let seq = self.next_seq;
        let mut e = match p.body {
            Ok(e) => e,
            Err((why, id_col)) => return fail(seq, Some(&id_col), why),
        };
        let id_text = ulid_text(e.id);
        let id = Some(id_text.as_str());
        if e.seq != seq {
            if seq > 0 && e.seq + 1 == seq && e.prev == self.last_prev {
                let prev_id = self.prev_id.map(ulid_text);
                return fail(seq - 1, prev_id.as_deref(), format!(
                    "entry {} was inserted: the entry after it also claims to be entry {} and to follow entry {}",
                    seq - 1, seq - 1, seq.saturating_sub(2)
                ));
            }
            return fail(seq, id, format!(
                "the entry stored at position {seq} says it is entry {}: entries were deleted, inserted or moved",
                e.seq
            ));
        }
        if !e.leaf_matches {
            return fail(seq, id, "the entry bytes no longer hash to the leaf hash recorded when it was written: the entry was changed");
        }
        if e.prev != self.prev {
            if seq == 0 {
                return fail(0, id, "the genesis entry's prev must be 64 zeros");
            }
            let prev_id = self.prev_id.map(ulid_text);
            return fail(seq - 1, prev_id.as_deref(), format!(
                "entry {} does not hash to the prev recorded by entry {seq}: entry {} was changed (or the chain rewritten)",
                seq - 1, seq - 1
            ));
        }
        if !e.columns_match {
            return fail(
                seq,
                id,
                "the stored index columns (id, kind, ts) disagree with the entry bytes",
            );
        }
        if (seq == 0) != (e.class == Class::Genesis) {
            return fail(seq, id, "only entry 0 is a genesis entry");
        }
        if seq == 0 && self.genesis.is_none() {
            match e.genesis.take() {
                Some(Ok(g)) => self.adopt_genesis(g, &id_text)?,
                Some(Err(why)) => return fail(0, id, why.to_string()),
                None => return fail(0, id, "entry 0 is not a genesis entry"),
            }
        }
        let signer = match &e.signer {
            Ok(i) => *i,
            Err(name) => match self.history.position(name) {
                Some(i) => i,
                None => return fail(seq, id, format!("signer {name} is not a key of this ledger")),
            },
        };
        let record = &self.history.keys[signer];
        if !record.active_at(seq) {
            let why = match (record.revoked, record.added) {
                (Some(r), _) if r < seq => format!("key {} was revoked at seq {r}", record.key.identity()),
                (_, Some(a)) => format!("key {} was only added at seq {a}", record.key.identity()),
                _ => format!("key {} is not active", record.key.identity()),
            };
            return fail(
                seq,
                id,
                format!("the entry is signed by a key that may not sign it: {why}"),
            );
        }
        if self.lookup(e.id)?.is_some() {
            return fail(seq, id, format!("id {id_text} is used by an earlier entry"));
        }
        self.check_refs(&e, id)?;
        self.check_key_change(&e, signer, id)?;
        self.check_features(&mut e, id)?;
        self.ids.insert(e.id, Known { seq, kind: e.kind });
        if !self.uncovered_signers.iter().any(|(s, _)| *s == signer) {
            self.uncovered_signers.push((signer, seq));
        }
        self.push_leaf(e.leaf, seq, id)?;
        self.prev = e.leaf;
        self.last_prev = e.prev;
        self.prev_id = Some(e.id);
        self.next_seq += 1;
        self.after_entry()
    }
}
