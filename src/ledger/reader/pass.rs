//! Pass B: every entry below the checkpoint in order, through the ledger's scanner.
//! Workers parse, hash and render batches; this thread checks the chain, builds the tree
//! and places each rendered paragraph in its section; supersession chains are resolved
//! at the end.

use super::document::{section_of, Chunk, Doc, SectionKey};
use super::paragraph::Paragraph;
use super::plan::{AmendInfo, Plan, Role};
use super::{Format, BATCH};
use crate::ledger::amend::AmendmentType;
use crate::ledger::entry::view::View;
use crate::ledger::entry::{hex, Entry};
use crate::ledger::error::Result;
use crate::ledger::merkle::{self, Frontier, Hash};
use crate::ledger::scan::Batch;
use crate::ledger::store::Reads;
use std::collections::HashMap;
use std::ops::Range;

pub(super) struct Rendered {
    pub text: String,
    trace: String,
    items: Vec<Item>,
    /// What the batch matched of `Plan::expected_matches`.
    matched: Vec<u64>,
    /// The root of the batch's leaves when they form an aligned perfect subtree.
    subtree: Option<(u64, Hash)>,
}

pub(super) struct Item {
    seq: u64,
    leaf: Hash,
    /// None when the bytes are not an entry (the reason is in `problem`).
    head: Option<Head>,
    problem: Option<String>,
    body: Body,
}

struct Head {
    prev: Hash,
    leaf: Hash,
    ts: String,
}

enum Body {
    Genesis(Box<Entry>),
    Amendment,
    /// Filtered out by --kind.
    Skip,
    /// Superseded, or a replacement: rendered when its chain is resolved. `section` is
    /// set for the chain's first entry, whose place the chain's final entry takes.
    ChainMember {
        id: String,
        section: Option<SectionKey>,
    },
    Paragraph {
        section: SectionKey,
        text: Range<usize>,
        trace: Range<usize>,
        withdrawn: bool,
    },
}

/// The worker's part: parse, hash, render. `items` is an empty list to fill; `longest`
/// the longest text of a batch so far.
pub(super) fn render(batch: &mut Batch, plan: &Plan, mut items: Vec<Item>, longest: usize) -> Rendered {
    let this = &*batch;
    {
        // Room enough that the text is never moved while it grows: pages of the
        // reservation that stay unwritten cost nothing.
        let room = (this.buf.len() + this.buf.len() / 2).max(longest + longest / 4);
        items.clear();
        items.reserve(this.rows.len());
        let mut out = Rendered {
            text: String::with_capacity(room),
            trace: String::new(),
            items,
            matched: Vec::new(),
            subtree: None,
        };
        let mut tree = Frontier::new();
        let last = this.rows.len().saturating_sub(1);
        for (i, row) in this.rows.iter().enumerate() {
            // Only the newest entry's time is used (compiledAt).
            let keep_ts = i == last;
            let seq = row.seq.max(0) as u64;
            let item = render_one(plan, seq, this.body(row).unwrap_or(&[]), keep_ts, &mut out);
            tree.push(item.leaf, |_, _, _| {});
            out.items.push(item);
        }
        // A full batch at an aligned position is a perfect subtree: hashing it here spares
        // the main thread 511 of its 512 node hashes.
        let first = this.rows.first().map_or(0, |r| r.seq);
        let contiguous = this
            .rows
            .iter()
            .enumerate()
            .all(|(i, r)| r.seq == first + i as i64);
        if this.rows.len() == BATCH && first >= 0 && first % BATCH as i64 == 0 && contiguous {
            out.subtree = Some((first as u64, tree.root()));
        }
        out
    }
}

/// `matched` receives what this entry matched of `Plan::expected_matches`.
fn render_one(plan: &Plan, seq: u64, body: &[u8], keep_ts: bool, out: &mut Rendered) -> Item {
    let (text, trace) = (&mut out.text, &mut out.trace);
    let leaf = merkle::leaf_hash(body);
    // The bytes are hashed as they are; verify re-checks their canonical form.
    let e = match View::read(body) {
        Ok(e) if e.seq == seq => e,
        Ok(e) => {
            let problem = Some(format!("it says it is entry {}", e.seq));
            return Item {
                seq,
                leaf,
                head: None,
                problem,
                body: Body::Skip,
            };
        }
        Err(why) => {
            return Item {
                seq,
                leaf,
                head: None,
                problem: Some(why),
                body: Body::Skip,
            }
        }
    };
    let prev = e.prev;
    let head = Some(Head {
        prev,
        leaf,
        ts: if keep_ts {
            e.ts.clone().into_owned()
        } else {
            String::new()
        },
    });
    let (effects, replaced) = if plan.is_hinted(seq) {
        let effects = plan.effects_of(&e.id);
        let replaced = plan.replaced(&e.id);
        out.matched.extend(effects.first().map(|x| x.seq << 1));
        out.matched.extend(replaced.map(|s| s << 1 | 1));
        (effects, replaced)
    } else {
        (&[][..], None)
    };
    let superseded = effects.iter().any(|x| x.a.kind == AmendmentType::Supersession);
    let withdrawn = effects.iter().any(|x| x.a.kind == AmendmentType::Withdrawal);
    let role = plan.role(&e.kind);
    let body = match (&*e.kind, role) {
        (_, Role::Genesis) => match serde_json::from_slice::<Entry>(body) {
            Ok(full) => Body::Genesis(Box::new(full)),
            Err(why) => {
                return Item {
                    seq,
                    leaf,
                    head: None,
                    problem: Some(why.to_string()),
                    body: Body::Skip,
                }
            }
        },
        (_, Role::Amendment) => Body::Amendment,
        // Entries that ordered amendments, read by pass A, are cross-checked like them.
        (_, Role::Hidden | Role::TextWith(_)) if plan.amendment_seqs.get(seq).is_some() => Body::Amendment,
        // Kinds a feature keeps out of the text (cases, tasks, ...), or shows only with
        // a field (a trade's result, which carries its summary and section).
        (_, Role::Hidden) => Body::Skip,
        (_, Role::TextWith(field)) if e.get(field).is_none() => Body::Skip,
        // A chain is shown when the kind of its first entry is: its replacements are
        // recorded whatever their kind, the slot only for a chosen first entry.
        (kind, _) if superseded || replaced.is_some() => {
            let first = replaced.is_none() && plan.wanted(kind);
            Body::ChainMember {
                section: first.then(|| section_of(&e)),
                id: e.id.clone().into_owned(),
            }
        }
        (kind, _) if !plan.wanted(kind) => Body::Skip,
        _ => {
            let section = section_of(&e);
            let mut p = Paragraph::new(&e, &leaf);
            p.apply(effects);
            p.note_orders(&plan.orders);
            let (t0, r0) = (text.len(), trace.len());
            p.render_into(plan.format, &plan.view_keys, text, trace);
            Body::Paragraph {
                section,
                text: t0..text.len(),
                trace: r0..trace.len(),
                withdrawn,
            }
        }
    };
    Item {
        seq,
        leaf,
        head,
        problem: None,
        body,
    }
}

/// The main thread's state during pass B.
pub(super) struct PassB {
    pub doc: Doc,
    pub frontier: Frontier,
    prev: Hash,
    pub next: u64,
    pub genesis: Option<Entry>,
    pub newest_ts: String,
    /// Chain members seen: id -> (leaf, seq).
    chain_leaves: HashMap<String, (Hash, u64)>,
    /// What the workers matched of `Plan::expected_matches`.
    matched: Vec<u64>,
}

impl PassB {
    pub fn new(format: Format, _plan: &Plan) -> Self {
        PassB {
            doc: Doc::new(format),
            frontier: Frontier::new(),
            prev: [0; 32],
            next: 0,
            genesis: None,
            newest_ts: String::new(),
            chain_leaves: HashMap::new(),
            matched: Vec::new(),
        }
    }

    /// Checks the chain and places a rendered batch, in ledger order. Returns the batch's
    /// item list, emptied.
    pub fn place(&mut self, plan: &Plan, batch: Rendered, problems: &mut Vec<String>) -> Vec<Item> {
        let Rendered {
            text,
            trace: traces,
            mut items,
            matched,
            subtree,
        } = batch;
        self.matched.extend(matched);
        let last = items.len().saturating_sub(1);
        let whole = subtree.filter(|(first, _)| *first == self.frontier.size() && *first == self.next);
        // The rendered text stays where the worker wrote it; sections point into it.
        let buf = self.doc.keep(text);
        for (i, item) in items.drain(..).enumerate() {
            if item.seq != self.next {
                problems.push(format!("entry {} is missing", self.next));
                self.next = item.seq;
            }
            self.next += 1;
            let Some(head) = item.head else {
                problems.push(format!(
                    "entry {}: {}",
                    item.seq,
                    item.problem.unwrap_or_default()
                ));
                continue;
            };
            if head.prev != self.prev {
                problems.push(format!("entry {}: the chain is broken before it", item.seq));
            }
            self.prev = head.leaf;
            if whole.is_none() {
                self.frontier.push(head.leaf, |_, _, _| {});
            }
            if i == last {
                self.newest_ts = head.ts;
            }
            match item.body {
                Body::Genesis(e) => self.genesis = Some(*e),
                Body::Amendment => {
                    if plan.amendment_seqs.get(item.seq) != Some(&head.leaf) {
                        problems.push(format!(
                            "entry {} differs from what the amendment pass read (missing from the amendment index, or changed)",
                            item.seq
                        ));
                    }
                }
                Body::Skip => {}
                Body::ChainMember { id, section } => {
                    if let Some(section) = section {
                        self.doc.reserve(section, &id);
                    }
                    self.chain_leaves.insert(id, (head.leaf, item.seq));
                }
                Body::Paragraph {
                    section,
                    text,
                    trace,
                    withdrawn,
                } => {
                    let trace = &traces[trace];
                    let span = Chunk::Span {
                        buf,
                        start: text.start,
                        end: text.end,
                    };
                    if withdrawn {
                        self.doc.push_withdrawn_span(span, trace);
                    } else {
                        self.doc.push_span(section, span, trace);
                    }
                }
            }
        }
        if let Some((_, root)) = whole {
            self.frontier.push_subtree(BATCH.trailing_zeros(), root);
        }
        items
    }
}

impl PassB {
    /// After the last batch: the amendment index agrees with what was met, and the
    /// supersession chains are resolved.
    pub fn finish(&mut self, plan: &Plan, snap: &dyn Reads, problems: &mut Vec<String>) -> Result<()> {
        if plan.amendment_seqs.last_seq().is_some_and(|s| s >= self.next) {
            problems.push("the amendment index names entries that do not exist".into());
        }
        self.matched.sort_unstable();
        let expected = plan.expected_matches();
        if self.matched != expected {
            // The first difference names the amendment whose entry was missed or met twice.
            let at = expected.iter().zip(&self.matched).position(|(a, b)| a != b);
            let v = match at {
                Some(i) => expected[i].min(self.matched[i]),
                None => *expected
                    .get(self.matched.len())
                    .or(self.matched.get(expected.len()))
                    .unwrap_or(&0),
            };
            let what = if v & 1 == 0 { "target" } else { "replacement" };
            problems.push(format!(
                "amendment {}: its {what} is not found once where the amendment and id indexes place it",
                v >> 1
            ));
        }
        resolve_chains(snap, plan, self, problems)
    }
}

fn resolve_chains(snap: &dyn Reads, plan: &Plan, pass: &mut PassB, problems: &mut Vec<String>) -> Result<()> {
    let mut roots: Vec<String> = pass.doc.reserved.keys().cloned().collect();
    roots.sort();
    for root in roots {
        // Walk root -> replacement -> ... to the entry that stands now.
        let mut chain = vec![root.clone()];
        let mut via: Vec<&AmendInfo> = Vec::new();
        while let Some(s) = plan.superseded(chain.last().map(String::as_str).unwrap_or_default()) {
            let next = s.a.superseded_by.clone().unwrap_or_default();
            if chain.contains(&next) {
                problems.push(format!("supersession cycle at {next}"));
                break;
            }
            via.push(s);
            chain.push(next);
        }
        let last = chain.last().cloned().unwrap_or_default();
        let Some((leaf, seq)) = pass.chain_leaves.get(&last).copied() else {
            problems.push(format!("replacement {last} of {root} is missing or filtered out"));
            continue;
        };
        let body = snap.body(seq)?.unwrap_or_default();
        if merkle::leaf_hash(&body) != leaf {
            problems.push(format!("entry {seq} changed while the edition was compiled"));
            continue;
        }
        let e = match View::read(&body) {
            Ok(e) => e,
            Err(why) => {
                problems.push(why);
                continue;
            }
        };
        let mut p = Paragraph::new(&e, &leaf);
        for (member, s) in chain.iter().zip(&via) {
            let member_leaf = pass.chain_leaves.get(member).map(|(l, _)| *l).unwrap_or([0; 32]);
            p.supersedes.push((member.clone(), hex(&member_leaf), s));
        }
        p.apply(plan.effects_of(&last));
        p.note_orders(&plan.orders);
        let (mut text, mut trace) = (String::new(), String::new());
        p.render_into(plan.format, &plan.view_keys, &mut text, &mut trace);
        if plan.withdrawn(&last).is_some() {
            pass.doc.push_withdrawn(&text, &trace);
            pass.doc.fill(&root, None);
        } else {
            pass.doc.fill(&root, Some((text, trace)));
        }
    }
    Ok(())
}
