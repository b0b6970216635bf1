//! The rules between entries: refs point backwards, amendments keep the amendment rules,
//! `key` entries keep the key rules, and each feature's checker sees the entries of the
//! kinds it owns or watches (and the amendments its entries order).

use super::source::Body;
use super::{fail, ulid_text, ulid_value, Known, Step, Verifier};
use crate::ledger::amend::{Named, Status};
use crate::ledger::entry::Entry;
use crate::ledger::kinds::{self, Checked};

impl Verifier<'_> {
    /// An id's first position: from memory, or (incremental mode, before the trusted
    /// size) from the stored id index, checked against the entry bytes.
    pub(super) fn lookup(&self, id: u128) -> Step<Option<Known>> {
        if let Some(k) = self.ids.get(&id) {
            return Ok(Some(*k));
        }
        if !self.incremental() {
            return Ok(None);
        }
        let text = ulid_text(id);
        let db = self.db()?;
        let Some((seq, _)) = db.locate(&text)?.filter(|(seq, _)| *seq < self.checked_from) else {
            return Ok(None);
        };
        let parsed = db.body(seq)?.map(|b| Entry::parse_canonical(&b));
        match parsed {
            Some(Ok(e)) if e.id == text && e.seq == seq => match self.kinds.index(&e.kind) {
                Some(kind) => Ok(Some(Known {
                    seq,
                    kind: kind as u16,
                })),
                None => fail(
                    seq,
                    Some(&text),
                    format!("unknown kind {}", crate::text::quoted(&e.kind)),
                ),
            },
            _ => fail(
                seq,
                Some(&text),
                "a referenced entry under the trusted checkpoint is damaged",
            ),
        }
    }

    fn status(&self, target: u64) -> Step<Status> {
        if let Some(s) = self.statuses.get(&target) {
            return Ok(s.clone());
        }
        if self.incremental() && target < self.checked_from {
            return Ok(crate::ledger::status_of(self.db()?, target, self.checked_from)?);
        }
        Ok(Status::Active)
    }

    fn kind_name(&self, k: &Known) -> &'static str {
        self.kinds.kind_at(k.kind as usize)
    }

    pub(super) fn check_refs(&mut self, e: &Body, id: Option<&str>) -> Step {
        let seq = e.seq;
        for (i, r) in e.refs.iter().enumerate() {
            if e.refs[..i].contains(r) {
                return fail(seq, id, format!("ref {} appears twice", ulid_text(*r)));
            }
            if self.lookup(*r)?.is_none() {
                return fail(
                    seq,
                    id,
                    format!("ref {} does not name an earlier entry", ulid_text(*r)),
                );
            }
        }
        let a = match &e.amendment {
            None => return Ok(()),
            Some(Ok(a)) => a,
            Some(Err(why)) => return fail(seq, id, why.to_string()),
        };
        let (Some(t), replacement) = (self.lookup(ulid_value(&a.target))?, a.superseded_by.as_deref()) else {
            return fail(seq, id, "the amendment target does not exist");
        };
        let t_status = self.status(t.seq)?;
        let target = Named {
            id: &a.target,
            kind: self.kind_name(&t),
            status: &t_status,
        };
        let r_info = match replacement {
            Some(r) => match self.lookup(ulid_value(r))? {
                Some(k) => Some((k, self.status(k.seq)?)),
                None => return fail(seq, id, "the replacement does not exist"),
            },
            None => None,
        };
        let named = r_info.as_ref().zip(replacement).map(|((k, s), rid)| Named {
            id: rid,
            kind: self.kind_name(k),
            status: s,
        });
        if let Err(why) = a.check_against(&target, named.as_ref()) {
            return fail(seq, id, format!("amendment breaks the rules: {why}"));
        }
        if let Some(order) = &a.ordered_by {
            self.check_order(ulid_value(order), ulid_value(&a.target), seq, id)?;
        }
        self.statuses.insert(t.seq, a.resulting_status());
        self.amendment_rows.push((t.seq, seq));
        Ok(())
    }

    /// An amendment ordered by an entry: the feature owning that entry's kind decides.
    fn check_order(&mut self, order: u128, target: u128, seq: u64, id: Option<&str>) -> Step {
        let Some(o) = self.lookup(order)? else {
            return fail(seq, id, "the entry that ordered the amendment does not exist");
        };
        let kind = self.kind_name(&o);
        let owner = self.kinds.owner_index(kind);
        let mut checkers = std::mem::take(&mut self.checkers);
        let verdict = match owner.and_then(|f| checkers[f].as_mut()) {
            Some(checker) => checker.check_order(order, target, &*self),
            None => Err(format!(
                "entry {} (a {kind}) orders no amendments",
                ulid_text(order)
            )),
        };
        self.checkers = checkers;
        match verdict {
            Ok(()) => Ok(()),
            Err(why) => fail(seq, id, why),
        }
    }

    pub(super) fn check_key_change(&mut self, e: &Body, signer: usize, id: Option<&str>) -> Step {
        match &e.key_change {
            None => Ok(()),
            Some(Err(why)) => fail(e.seq, id, format!("malformed key entry: {why}")),
            Some(Ok(change)) => match self.history.apply(e.seq, signer, change, &self.anchors.keys) {
                Ok(()) => Ok(()),
                Err(why) => fail(e.seq, id, format!("key entry breaks the rules: {why}")),
            },
        }
    }

    /// The inspections' verdicts, then each interested feature's checker.
    pub(super) fn check_features(&mut self, e: &mut Body, id: Option<&str>) -> Step {
        if let Some(why) = e.inspection.take() {
            return fail(e.seq, id, why);
        }
        let interested = self.kinds.interested(e.kind as usize);
        if interested.is_empty() {
            return Ok(());
        }
        let kind = self.kinds.kind_at(e.kind as usize);
        let mut checkers = std::mem::take(&mut self.checkers);
        let mut verdict = Ok(());
        for &f in interested {
            let Some(checker) = checkers[f].as_mut() else {
                continue;
            };
            let facts = e
                .facts
                .iter()
                .position(|(g, _)| *g == f)
                .map(|i| e.facts.swap_remove(i).1);
            let mut checked = Checked {
                seq: e.seq,
                id: e.id,
                kind,
                refs: &e.refs,
                facts,
            };
            verdict = checker.check(&mut checked, &*self);
            if verdict.is_err() {
                break;
            }
        }
        self.checkers = checkers;
        match verdict {
            Ok(()) => Ok(()),
            Err(why) => fail(e.seq, id, why),
        }
    }
}

impl kinds::Known for Verifier<'_> {
    fn kind_of(&self, id: u128) -> Option<&'static str> {
        self.lookup(id).ok().flatten().map(|k| self.kind_name(&k))
    }

    fn incremental(&self) -> bool {
        Verifier::incremental(self)
    }
}
