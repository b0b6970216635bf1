//! The Reader Edition: the ledger as it stands at a checkpoint, every amendment applied,
//! every paragraph linked back to the entries and amendments that shaped it.
//!
//! Compiled in two streaming passes inside one read snapshot: `plan` reads the amendments
//! (through the amendment index) and what ordered them; `pass` reads every entry in order
//! through the ledger's scanner, hashed into the Merkle tree and rendered on worker
//! threads a batch at a time. `paragraph` is the one model the renderers (`md`, `html`,
//! `json`) write; `document` keeps the rendered text per section and writes it out. This
//! module never prints.

mod document;
mod html;
mod json;
mod md;
mod paragraph;
mod pass;
mod plan;

use super::checkpoint::Checkpoint;
use super::error::{LedgerError, Result};
use super::kinds::Kinds;
use super::merkle::Hash;
use super::scan::{self, Feed};
use super::store::{Access, Reads};
use super::{key_history, Genesis, Ledger};
use document::{Doc, Header};
use std::fmt::Write as _;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Json,
}

/// The order of kind sections (after any named sections).
pub const KIND_ORDER: [&str; 5] = ["constraint", "decision", "outcome", "observation", "test"];

/// Content keys rendered as prose, the first one present wins.
pub const PROSE_KEYS: [&str; 3] = ["text", "claim", "summary"];

/// Rows per batch handed to a worker (a power of two: a whole batch at an aligned seq is
/// a perfect subtree, hashed on the worker).
const BATCH: usize = 512;

/// What to compile.
#[derive(Clone, Debug)]
pub struct Options {
    pub format: Format,
    /// Compile as of the checkpoint of this size (default: the newest).
    pub at: Option<u64>,
    /// Only these kinds (default: all).
    pub kinds: Vec<String>,
    /// Compile even when verification fails, marking the edition unverified.
    pub force: bool,
}

/// A compiled edition, ready to be written.
pub struct Edition {
    pub size: u64,
    pub root: Hash,
    /// None when verified; otherwise why not (only with `force`).
    pub problem: Option<String>,
    pub paragraphs: u64,
    doc: Doc,
    header: Header,
    /// The amendments the paragraphs borrowed from while rendering. Kept rather than
    /// freed inside `compile`: a caller that exits right after writing (the CLI) need
    /// not free a hundred thousand of them one by one (about 0.1 s).
    _plan: plan::Plan,
}

impl Edition {
    /// Writes the document.
    pub fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.doc.write_to(&self.header, out)
    }
}

/// Compiles the edition of `ledger` as `opts` asks.
pub fn compile(ledger: &Ledger, opts: &Options, progress: &mut dyn FnMut(u64, u64)) -> Result<Edition> {
    if let Some(k) = opts.kinds.iter().find(|k| !Kinds::is_user_kind(k)) {
        return Err(super::append::unknown_kind(ledger.kinds(), k));
    }
    let store = ledger.store();
    // One snapshot for both passes, even if a writer commits meanwhile.
    let snap = store.read()?;
    let (size, note) = source_checkpoint(snap.as_ref(), opts.at)?;
    let mut problems: Vec<String> = Vec::new();
    let cp = Checkpoint::parse(&note).map_err(|e| LedgerError::damaged(format!("checkpoint {size}: {e}")))?;
    // The keys that may sign it: the genesis keys as the key entries below it changed them.
    let history = key_history(snap.as_ref(), &ledger.genesis)?;
    let signed = history.check_checkpoint(&cp, size.saturating_sub(1), size);
    let signature_verified = signed.as_ref().is_ok_and(|s| !s.is_empty());
    if !signature_verified {
        problems.push(match signed {
            Err(why) => format!("checkpoint {size}: {why}"),
            Ok(_) => format!("checkpoint {size} carries no valid signature by a key of this ledger"),
        });
    }
    if cp.origin != ledger.genesis.origin || cp.size != size {
        problems.push(format!("checkpoint {size} names another origin or size"));
    }
    let plan = plan::read_amendments(ledger, snap.as_ref(), size, opts, &mut problems)?;
    let mut pass = pass::PassB::new(opts.format, &plan);
    {
        // Workers read and render batches of entries below the checkpoint over their own
        // read-only handles: those entries never change, and the root computed here from
        // every byte read proves what was read. This thread takes the batches back in
        // order and checks the chain.
        let plan = &plan;
        let feed = Feed::Store {
            store,
            from: 0,
            to: size,
            columns: false,
            access: Access::Sequential,
        };
        let work = |batch: &mut scan::Batch, (items, longest)| pass::render(batch, plan, items, longest);
        let mut batches = 0u64;
        let mut sink = |pass: &mut pass::PassB, rendered: pass::Rendered| -> Result<_> {
            let longest = rendered.text.len();
            let items = pass.place(plan, rendered, &mut problems);
            if batches % 64 == 0 {
                progress(pass.next, size);
            }
            batches += 1;
            Ok((items, longest))
        };
        scan::run(&mut pass, feed, BATCH, &work, &mut sink)?;
    }
    progress(pass.next, size);
    if pass.next != size {
        problems.push(format!(
            "the ledger holds {} entries below checkpoint {size}",
            pass.next
        ));
    }
    let root = pass.frontier.root();
    if root != cp.root {
        problems.push(format!(
            "the entries do not hash to the root of checkpoint {size}: the ledger was changed"
        ));
    }
    pass.finish(&plan, snap.as_ref(), &mut problems)?;

    let problem = (!problems.is_empty()).then(|| summarize(&problems));
    if let (Some(p), false) = (&problem, opts.force) {
        return Err(LedgerError::Unverified(p.clone()));
    }
    let genesis = pass.genesis.as_ref().and_then(|e| Genesis::from_entry(e).ok());
    let header = Header {
        origin: genesis
            .as_ref()
            .map_or(ledger.genesis.origin.clone(), |g| g.origin.clone()),
        keys: genesis
            .map(|g| g.keys.iter().map(|k| k.to_string()).collect())
            .unwrap_or_default(),
        size,
        root,
        as_of: pass.newest_ts.clone(),
        problem: problem.clone(),
        signature_verified,
        kinds: opts.kinds.clone(),
    };
    let mut orders: Vec<plan::OrderInfo> = plan.orders.values().cloned().collect();
    orders.sort_by_key(|r| r.seq);
    let mut doc = pass.doc;
    doc.set_orders(plan.views.clone(), orders);
    Ok(Edition {
        size,
        root,
        problem,
        paragraphs: doc.paragraphs,
        doc,
        header,
        _plan: plan,
    })
}

/// The problems found, joined; past the first few, only how many more there are (a
/// damaged million-entry ledger must not print a megabyte of reasons).
fn summarize(problems: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut out = problems[..problems.len().min(SHOWN)].join("; ");
    if problems.len() > SHOWN {
        let _ = write!(out, "; and {} more", problems.len() - SHOWN);
    }
    out
}

/// The checkpoint the edition is compiled from: of size `at`, or the newest.
fn source_checkpoint(r: &dyn Reads, at: Option<u64>) -> Result<(u64, String)> {
    r.checkpoint(at)?.ok_or_else(|| match at {
        Some(size) => LedgerError::NoCheckpoint {
            size,
            nearest: r.nearest_checkpoints(size, 5).unwrap_or_default(),
        },
        None => LedgerError::NoCheckpoints,
    })
}

#[cfg(test)]
mod tests {
    use super::summarize;

    #[test]
    fn a_long_list_of_problems_is_cut_short() {
        let few: Vec<String> = (0..3).map(|i| format!("entry {i} is missing")).collect();
        assert_eq!(
            summarize(&few),
            "entry 0 is missing; entry 1 is missing; entry 2 is missing"
        );
        let many: Vec<String> = (0..25_000).map(|i| format!("entry {i} is missing")).collect();
        let text = summarize(&many);
        assert!(text.starts_with("entry 0 is missing; entry 1 is missing;"));
        assert!(text.contains("entry 9 is missing; and 24990 more"), "{text}");
        assert!(!text.contains("entry 10 is missing"));
    }
}
