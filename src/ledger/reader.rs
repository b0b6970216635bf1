//! The Reader Edition: the ledger as it stands at a checkpoint, every amendment applied,
//! every paragraph linked back to the entries and amendments that shaped it.
//!
//! Compiles in two streaming passes inside one read transaction: the amendments
//! (through the amendment index), then every entry in order, hashed into the Merkle tree
//! and rendered on worker threads a batch at a time. The document is kept as rendered
//! text per section (what the output needs, nothing more) and written to a caller's
//! writer; this module never prints.

use super::amend::{Amendment, AmendmentType, Field};
use super::checkpoint::Checkpoint;
use super::entry::{hex, Entry, KIND_AMENDMENT, KIND_GENESIS, USER_KINDS};
use super::merkle::{self, Frontier, Hash};
use super::{store, Genesis, Ledger};
use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rusqlite::{params, OptionalExtension};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::IoSlice;
use std::ops::Range;
use std::sync::mpsc::sync_channel;

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

/// Rows per batch handed to a worker.
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
    _plan: Plan,
}

impl Edition {
    /// Writes the document.
    pub fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.doc.write_to(&self.header, out)
    }
}

/// An amendment as the edition needs it.
#[derive(Clone, Debug)]
struct AmendInfo {
    seq: u64,
    id: String,
    /// Its `content` is not kept here (always None): see `content`.
    a: Amendment,
    /// The amendment's content object as canonical JSON text, split into fields only
    /// when a paragraph is rendered (a parsed `Map` per amendment costs more).
    content: Option<Box<str>>,
}

/// A fast hash for entry ids and seqs. Ids are monotonic ULIDs: within a millisecond they
/// differ only in a few characters. Each 8-byte word is multiplied in and its high bits
/// folded down at once, so that no later word can cancel an earlier difference (FxHash's
/// rotate-and-multiply gave half of a million such ids a twin); the final mix (murmur3's
/// fmix64) spreads the result over the low bits (the bucket) and high bits (the tag).
#[derive(Default)]
struct IdHasher(u64);

impl IdHasher {
    fn word(&mut self, w: u64) {
        self.0 = (self.0 ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 ^= self.0 >> 29;
    }
}

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
    fn write_u64(&mut self, v: u64) {
        self.word(v);
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.word(u64::from_le_bytes(w.try_into().unwrap_or_default()));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            for (to, from) in word.iter_mut().zip(rest) {
                *to = *from;
            }
            self.word(u64::from_le_bytes(word));
        }
    }
}

type IdMap<V> = HashMap<String, V, std::hash::BuildHasherDefault<IdHasher>>;

/// A court ruling that ordered amendments, shown beside the paragraphs it amended.
#[derive(Clone, Debug)]
struct RulingInfo {
    id: String,
    seq: u64,
    case: String,
    decision: String,
    reasoning: String,
}

/// Leaf hashes by seq: pushed in any order, then sorted once by `seal`.
#[derive(Default)]
struct SeqLeaves(Vec<(u64, Hash)>);

impl SeqLeaves {
    fn insert(&mut self, seq: u64, leaf: Hash) {
        self.0.push((seq, leaf));
    }

    /// Sorts by seq; of repeated seqs the first pushed stays.
    fn seal(&mut self) {
        self.0.sort_by_key(|(seq, _)| *seq);
        self.0.dedup_by_key(|(seq, _)| *seq);
    }

    fn get(&self, seq: u64) -> Option<&Hash> {
        let i = self.0.binary_search_by_key(&seq, |(s, _)| *s).ok()?;
        Some(&self.0[i].1)
    }

    fn last_seq(&self) -> Option<u64> {
        self.0.last().map(|(s, _)| *s)
    }
}

/// Everything pass A learns, shared read-only with the workers.
struct Plan {
    /// Rulings named by amendments, by id.
    rulings: IdMap<RulingInfo>,
    /// Amendments by target id, in seq order.
    effects: IdMap<Vec<AmendInfo>>,
    /// replacement id -> the seq of the supersession that names it.
    replaces: IdMap<u64>,
    /// The amendments pass A read, by seq, with their leaf hashes, to cross-check pass B.
    amendment_seqs: SeqLeaves,
    /// One bit per seq: where the amendment index (and the id index, for replacements)
    /// says an amended entry or a replacement stands. Pass B looks ids up in `effects`
    /// and `replaces` only there. The hints are not trusted: pass B reports each match,
    /// and a target or replacement not matched exactly once fails the edition.
    hinted: Vec<u64>,
    kinds: Vec<String>,
    format: Format,
}

impl Plan {
    fn superseded(&self, id: &str) -> Option<&AmendInfo> {
        self.effects
            .get(id)?
            .iter()
            .find(|x| x.a.kind == AmendmentType::Supersession)
    }
    fn withdrawn(&self, id: &str) -> Option<&AmendInfo> {
        self.effects
            .get(id)?
            .iter()
            .find(|x| x.a.kind == AmendmentType::Withdrawal)
    }
    fn effects_of(&self, id: &str) -> &[AmendInfo] {
        if self.effects.is_empty() {
            return &[];
        }
        self.effects.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    fn hint(&mut self, seq: u64) {
        if let Some(w) = self.hinted.get_mut((seq / 64) as usize) {
            *w |= 1 << (seq % 64);
        }
    }

    /// Whether pass B should look the entry at `seq` up.
    fn is_hinted(&self, seq: u64) -> bool {
        self.hinted
            .get((seq / 64) as usize)
            .is_some_and(|w| w & (1 << (seq % 64)) != 0)
    }

    /// What pass B must match, once each: `seq << 1` for the first amendment of each
    /// target, `seq << 1 | 1` for each supersession's replacement. Sorted.
    fn expected_matches(&self) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .effects
            .values()
            .filter_map(|list| list.first().map(|x| x.seq << 1))
            .chain(self.replaces.values().map(|s| s << 1 | 1))
            .collect();
        out.sort_unstable();
        out
    }

    fn wanted(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind)
    }
}

fn died<T>(_: T) -> Error {
    Error::env("a reader worker thread stopped unexpectedly")
}

/// Compiles the edition of `ledger` as `opts` asks.
pub fn compile(ledger: &Ledger, opts: &Options, progress: &mut dyn FnMut(u64, u64)) -> Result<Edition> {
    for k in &opts.kinds {
        if !USER_KINDS.contains(&k.as_str()) {
            return Err(Error::input(format!("unknown kind {k:?}"))
                .hint(format!("valid kinds: {}", USER_KINDS.join(", "))));
        }
    }
    // One snapshot for both passes, even if a writer commits meanwhile.
    let tx = ledger.conn.unchecked_transaction()?;
    let (size, note) = source_checkpoint(&tx, opts.at)?;
    let mut problems: Vec<String> = Vec::new();
    let cp = Checkpoint::parse(&note).map_err(|e| e.context(format!("checkpoint {size}")))?;
    // The keys that may sign it: the genesis keys as the key entries below it changed them.
    let history = super::key_history(&tx, &ledger.genesis)?;
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
    let plan = read_amendments(ledger, &tx, size, opts, &mut problems)?;
    let mut pass = PassB::new(opts.format);
    {
        // Worker k reads and renders batches k, k + W, k + 2W, … (512 entries each) over
        // its own read-only connection: entries below the checkpoint never change, and the
        // root computed here from every byte read proves what was read. This thread takes
        // the batches back in order and checks the chain.
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let batches = size.div_ceil(BATCH as u64);
        let plan = &plan;
        let path = ledger.path();
        std::thread::scope(|scope| -> Result<()> {
            let mut from = Vec::new();
            let mut back = Vec::new();
            for k in 0..workers {
                let (tx_r, rx_r) = sync_channel::<Result<Rendered>>(8);
                // Item lists come back empty to be refilled: fresh ones would each cost
                // the worker's heap new pages.
                let (tx_back, rx_back) = sync_channel::<Vec<Item>>(10);
                scope.spawn(move || {
                    // One buffer per worker, refilled for each of its batches.
                    let read = |conn: &rusqlite::Connection, b: u64, batch: &mut RawBatch| -> Result<()> {
                        let mut stmt = conn.prepare_cached(
                            "SELECT seq, body FROM entries WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
                        )?;
                        let mut rows =
                            stmt.query(params![b * BATCH as u64, ((b + 1) * BATCH as u64).min(size)])?;
                        batch.buf.clear();
                        batch.rows.clear();
                        while let Some(row) = rows.next()? {
                            let seq: u64 = row.get(0)?;
                            let body = row.get_ref(1)?;
                            let bytes = body.as_blob().or_else(|_| body.as_bytes()).unwrap_or(&[]);
                            let start = batch.buf.len();
                            batch.buf.extend_from_slice(bytes);
                            batch.rows.push((seq, start..batch.buf.len()));
                        }
                        Ok(())
                    };
                    let conn = match store::open_ro(path) {
                        Ok(c) => c,
                        Err(e) => {
                            let _ = tx_r.send(Err(e));
                            return;
                        }
                    };
                    let mut batch = RawBatch::with_capacity(BATCH * 640);
                    let mut b = k as u64;
                    let mut longest = 0;
                    while b < batches {
                        let items = rx_back.try_recv().unwrap_or_default();
                        let rendered =
                            read(&conn, b, &mut batch).map(|()| batch.render(plan, items, longest));
                        if let Ok(r) = &rendered {
                            longest = longest.max(r.text.len());
                        }
                        if tx_r.send(rendered).is_err() {
                            break;
                        }
                        b += workers as u64;
                    }
                });
                from.push(rx_r);
                back.push(tx_back);
            }
            for b in 0..batches {
                let w = (b % workers as u64) as usize;
                let rendered = from[w].recv().map_err(died)??;
                let items = pass.place(plan, rendered, &mut problems);
                // A worker that has enough spare lists makes its own.
                let _ = back[w].try_send(items);
                if b % 64 == 0 {
                    progress(pass.next, size);
                }
            }
            Ok(())
        })?;
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
    if plan.amendment_seqs.last_seq().is_some_and(|s| s >= pass.next) {
        problems.push("the amendment index names entries that do not exist".into());
    }
    pass.matched.sort_unstable();
    let expected = plan.expected_matches();
    if pass.matched != expected {
        // The first difference names the amendment whose entry was missed or met twice.
        let at = expected.iter().zip(&pass.matched).position(|(a, b)| a != b);
        let v = match at {
            Some(i) => expected[i].min(pass.matched[i]),
            None => *expected
                .get(pass.matched.len())
                .or(pass.matched.get(expected.len()))
                .unwrap_or(&0),
        };
        let what = if v & 1 == 0 { "target" } else { "replacement" };
        problems.push(format!(
            "amendment {}: its {what} is not found once where the amendment and id indexes place it",
            v >> 1
        ));
    }
    resolve_chains(&tx, &plan, &mut pass, &mut problems)?;

    let problem = (!problems.is_empty()).then(|| summarize(&problems));
    if let (Some(p), false) = (&problem, opts.force) {
        return Err(Error::invalid(format!("the ledger fails verification: {p}"))
            .hint("run 'echoctl ledger verify'; --force compiles an edition marked unverified"));
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
    let mut rulings: Vec<RulingInfo> = plan.rulings.values().cloned().collect();
    rulings.sort_by_key(|r| r.seq);
    pass.doc.rulings = rulings;
    let paragraphs = pass.doc.paragraphs;
    let doc = pass.doc;
    Ok(Edition {
        size,
        root,
        problem,
        paragraphs,
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

/// Pass A: the amendments below `size`, through the amendment index.
fn read_amendments(
    ledger: &Ledger,
    conn: &rusqlite::Connection,
    size: u64,
    opts: &Options,
    problems: &mut Vec<String>,
) -> Result<Plan> {
    let mut plan = Plan {
        rulings: IdMap::default(),
        effects: IdMap::default(),
        replaces: IdMap::default(),
        amendment_seqs: SeqLeaves::default(),
        hinted: vec![0; size.div_ceil(64) as usize],
        kinds: opts.kinds.clone(),
        format: opts.format,
    };
    let rows: Vec<(u64, u64)> = conn
        .prepare("SELECT target_seq, seq FROM amendments WHERE seq < ?1")?
        .query_map([size], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut seqs: Vec<u64> = Vec::with_capacity(rows.len());
    for (target, seq) in rows {
        plan.hint(target);
        seqs.push(seq);
    }
    // In seq order the fetches walk the entries table front to back. Each worker reads
    // its share over its own read-only connection: entries below the checkpoint never
    // change, and pass B checks every amendment's hash against what was read here.
    seqs.sort_unstable();
    // An amendment has one target: a seq listed twice would apply it twice.
    if let Some(twice) = seqs.windows(2).find(|w| w[0] == w[1]) {
        problems.push(format!(
            "the amendment index lists amendment {} more than once",
            twice[0]
        ));
    }
    seqs.dedup();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let chunk = seqs.len().div_ceil(workers).max(1);
    let path = ledger.path();
    let results: Vec<std::thread::Result<Result<Vec<ParsedAmendment>>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = seqs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || -> Result<Vec<ParsedAmendment>> {
                    let conn = store::open_ro(path)?;
                    // A fresh connection has a cold page cache: map the file instead of
                    // reading each B-tree page through read(2).
                    conn.pragma_update(None, "mmap_size", 1i64 << 32)?;
                    // Amendments often stand close together (a ruling's, a batch's): runs of
                    // seqs at most RUN_GAP apart are read with one range scan, skipping the
                    // entries between them, instead of one B-tree descent per amendment.
                    let mut range = conn.prepare(
                        "SELECT seq, body FROM entries WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq",
                    )?;
                    // Where a supersession's replacement stands, by the id index: a hint.
                    let by_id = conn.prepare("SELECT seq FROM entries WHERE id = ?1 AND seq < ?2")?;
                    let by_id = std::cell::RefCell::new(by_id);
                    let find = |id: &str| -> Option<u64> {
                        by_id.borrow_mut().query_row(params![id, size], |r| r.get(0)).ok()
                    };
                    let mut out = Vec::with_capacity(part.len());
                    let mut i = 0;
                    while i < part.len() {
                        let mut j = i;
                        while j + 1 < part.len() && part[j + 1] - part[j] <= RUN_GAP {
                            j += 1;
                        }
                        let (lo, hi) = (part[i], part[j]);
                        let missing = |seq| {
                            (
                                seq,
                                [0; 32],
                                Err("the amendment index names a missing entry".into()),
                            )
                        };
                        let mut rows = range.query(params![lo, hi])?;
                        let mut want = part[i..=j].iter().peekable();
                        // Parsed straight from SQLite's row, in seq order.
                        while let Some(row) = rows.next()? {
                            let seq: u64 = row.get(0)?;
                            while let Some(w) = want.next_if(|&&w| w < seq) {
                                out.push(missing(*w));
                            }
                            if want.next_if(|&&w| w == seq).is_some() {
                                let body = row.get_ref(1)?;
                                let bytes = body.as_blob().or_else(|_| body.as_bytes()).unwrap_or(&[]);
                                out.push(parse_amendment(seq, bytes, &find));
                            }
                        }
                        out.extend(want.map(|w| missing(*w)));
                        i = j + 1;
                    }
                    Ok(out)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    plan.amendment_seqs.0.reserve(seqs.len());
    plan.effects.reserve(seqs.len());
    // The workers' parts are in seq order, one after another.
    for part in results {
        // A worker that died must not silently drop amendments from the edition.
        for (seq, leaf, result) in part.map_err(died)?? {
            match result {
                Ok(Parsed {
                    a,
                    id,
                    replacement,
                    content,
                }) => {
                    if let Some(r) = &a.superseded_by {
                        plan.replaces.insert(r.clone(), seq);
                    }
                    if let Some(r) = replacement {
                        plan.hint(r);
                    }
                    plan.amendment_seqs.insert(seq, leaf);
                    let info = AmendInfo { seq, id, a, content };
                    match plan.effects.get_mut(&info.a.target) {
                        Some(list) => list.push(info),
                        None => {
                            plan.effects.insert(info.a.target.clone(), vec![info]);
                        }
                    }
                }
                Err(why) => problems.push(format!("amendment {seq}: {why}")),
            }
        }
    }
    // The rulings those amendments name (few): their decisions are shown with them.
    let named: HashSet<String> = plan
        .effects
        .values()
        .flatten()
        .filter_map(|x| x.a.ruling.clone())
        .collect();
    let mut by_id = conn.prepare("SELECT seq, body FROM entries WHERE id = ?1 AND seq < ?2")?;
    for id in named {
        let row: Option<(u64, Vec<u8>)> = by_id
            .query_row(params![id, size], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((seq, body)) = row else {
            problems.push(format!("ruling {id} is missing"));
            continue;
        };
        match serde_json::from_slice::<Entry>(&body) {
            Ok(e) if e.kind == super::entry::KIND_RULING && e.id == id => {
                let text = |k: &str| {
                    e.content
                        .get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                plan.amendment_seqs.insert(seq, merkle::leaf_hash(&body));
                let case = e.refs.first().cloned().unwrap_or_default();
                let info = RulingInfo {
                    id: id.clone(),
                    seq,
                    case,
                    decision: text("decision"),
                    reasoning: text("reasoning"),
                };
                plan.rulings.insert(id, info);
            }
            _ => problems.push(format!("entry {id} is not a ruling")),
        }
    }
    plan.amendment_seqs.seal();
    Ok(plan)
}

/// Seqs at most this far apart are read by one range scan in pass A.
const RUN_GAP: u64 = 16;

/// seq, leaf hash, and the amendment (or why it is not one).
type ParsedAmendment = (u64, Hash, std::result::Result<Parsed, String>);

/// An amendment entry as pass A reads it.
struct Parsed {
    a: Amendment,
    id: String,
    /// Where its replacement stands, by the id index (a supersession's).
    replacement: Option<u64>,
    content: Option<Box<str>>,
}

/// An amendment entry's leaf hash and amendment (or why it is not one). `find` looks up
/// where a supersession's replacement stands.
fn parse_amendment(seq: u64, body: &[u8], find: &dyn Fn(&str) -> Option<u64>) -> ParsedAmendment {
    // The fast scanner, then only the amendment's few values as JSON.
    let parsed = View::read(body).and_then(|v| {
        let mut fields = Vec::with_capacity(v.content.len());
        let mut content = None;
        for (k, raw) in &v.content {
            let field = if k == "content" && raw.starts_with('{') {
                // Kept as text; the rules only ask whether it is an object. Text that the
                // scanner cannot split (not canonical) is parsed and written canonically.
                content = Some(if Cursor::new(raw).whole_object().is_some() {
                    Box::from(*raw)
                } else {
                    let m: Value = serde_json::from_str(raw).map_err(|e| e.to_string())?;
                    String::from_utf8(super::canon::to_canonical(&m))
                        .unwrap_or_default()
                        .into_boxed_str()
                });
                Field::Object(Map::new())
            } else if let Some(s) = raw_str(raw) {
                Field::Str(s)
            } else {
                Field::Other
            };
            fields.push((k.as_ref(), field));
        }
        let mut a = Amendment::from_fields(fields)?;
        a.content = None;
        Ok(Parsed {
            replacement: a.superseded_by.as_deref().and_then(find),
            a,
            id: v.id.into_owned(),
            content,
        })
    });
    (seq, merkle::leaf_hash(body), parsed)
}

fn source_checkpoint(conn: &rusqlite::Connection, at: Option<u64>) -> Result<(u64, String)> {
    let row: Option<(u64, String)> = match at {
        Some(size) => conn
            .query_row(
                "SELECT size, note FROM checkpoints WHERE size = ?1",
                [size],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?,
        None => conn
            .query_row(
                "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?,
    };
    row.ok_or_else(|| match at {
        Some(size) => {
            let near: Vec<String> = conn
                .prepare("SELECT size FROM checkpoints ORDER BY abs(size - ?1) LIMIT 5")
                .and_then(|mut s| {
                    s.query_map([size], |r| r.get::<_, u64>(0))?
                        .collect::<Result<Vec<u64>, _>>()
                })
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.to_string())
                .collect();
            Error::input(format!("there is no checkpoint of size {size}")).hint(format!(
                "--at takes a checkpoint size; the nearest are: {}",
                near.join(", ")
            ))
        }
        None => Error::env("the ledger has no checkpoint").hint("run 'echoctl ledger verify'"),
    })
}

/// An entry read without copying: strings borrowed from the stored bytes where they need
/// no unescaping, content values kept as their raw (canonical) JSON text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryView<'a> {
    #[serde(rename = "v")]
    _v: u32,
    seq: u64,
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    ts: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    source: Cow<'a, str>,
    #[serde(borrow)]
    content: BTreeMap<Cow<'a, str>, &'a RawValue>,
    #[serde(borrow, rename = "refs")]
    _refs: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    prev: Cow<'a, str>,
    #[serde(borrow, rename = "signer")]
    _signer: Cow<'a, str>,
}

/// What the edition needs of an entry, borrowed from its stored bytes.
struct View<'a> {
    seq: u64,
    id: Cow<'a, str>,
    ts: Cow<'a, str>,
    kind: Cow<'a, str>,
    source: Cow<'a, str>,
    /// (key, raw JSON value) in stored (canonical) order.
    content: Vec<(Cow<'a, str>, &'a str)>,
    prev: Hash,
}

impl<'a> View<'a> {
    /// Reads an entry: the fast scanner for canonical bytes, serde for anything else.
    fn read(body: &'a [u8]) -> std::result::Result<Self, String> {
        if let Some(v) = scan(body) {
            return Ok(v);
        }
        let e: EntryView<'a> = serde_json::from_slice(body).map_err(|e| format!("not an entry: {e}"))?;
        let prev = super::entry::parse_hash_hex(&e.prev).ok_or("prev is not a hash")?;
        Ok(View {
            seq: e.seq,
            id: e.id,
            ts: e.ts,
            kind: e.kind,
            source: e.source,
            content: e.content.into_iter().map(|(k, raw)| (k, raw.get())).collect(),
            prev,
        })
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        self.content.iter().find(|(k, _)| k == key).map(|(_, raw)| *raw)
    }
}

/// A cursor over canonical entry bytes (already valid UTF-8). It only ever stops on
/// ASCII bytes, so its positions are always character boundaries.
struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor { s, i: 0 }
    }

    /// A JSON object in canonical layout: its members as (key, raw value).
    fn object(&mut self) -> Option<Vec<(Cow<'a, str>, &'a str)>> {
        self.lit("{")?;
        let mut members = Vec::new();
        if self.lit("}").is_none() {
            loop {
                let key = self.text()?;
                self.lit(":")?;
                members.push((key, self.value()?));
                if self.lit(",").is_none() {
                    self.lit("}")?;
                    break;
                }
            }
        }
        Some(members)
    }

    /// `object`, when the object is all there is.
    fn whole_object(&mut self) -> Option<Vec<(Cow<'a, str>, &'a str)>> {
        let members = self.object()?;
        (self.i == self.s.len()).then_some(members)
    }

    #[inline(always)]
    fn lit(&mut self, x: &str) -> Option<()> {
        self.s.as_bytes()[self.i..]
            .starts_with(x.as_bytes())
            .then(|| self.i += x.len())
    }

    /// A JSON string, raw (with its quotes), and whether it holds an escape.
    fn string_escaped(&mut self) -> Option<(&'a str, bool)> {
        let b = self.s.as_bytes();
        if *b.get(self.i)? != b'"' {
            return None;
        }
        let start = self.i;
        self.i += 1;
        let mut escaped = false;
        loop {
            self.i += memchr::memchr2(b'"', b'\\', b.get(self.i..)?)?;
            if b[self.i] == b'"' {
                self.i += 1;
                return Some((self.s.get(start..self.i)?, escaped));
            }
            escaped = true;
            self.i += 2;
        }
    }

    /// A JSON string, raw (with its quotes).
    fn string(&mut self) -> Option<&'a str> {
        self.string_escaped().map(|(raw, _)| raw)
    }

    /// A JSON string's value: borrowed unless it holds an escape.
    fn text(&mut self) -> Option<Cow<'a, str>> {
        match self.string_escaped()? {
            (raw, false) => raw.get(1..raw.len() - 1).map(Cow::Borrowed),
            (raw, true) => serde_json::from_str::<String>(raw).ok().map(Cow::Owned),
        }
    }

    /// Any JSON value, raw.
    fn value(&mut self) -> Option<&'a str> {
        let b = self.s.as_bytes();
        let start = self.i;
        match *b.get(self.i)? {
            b'"' => {
                self.string()?;
            }
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match *b.get(self.i)? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while b.get(self.i).is_some_and(|c| !matches!(c, b',' | b'}' | b']')) {
                    self.i += 1;
                }
            }
        }
        self.s.get(start..self.i)
    }
}

/// The fast path: an entry in exactly the canonical layout of format v1. None sends the
/// bytes to serde (which also explains what is wrong with them).
fn scan(body: &[u8]) -> Option<View<'_>> {
    let s = std::str::from_utf8(body).ok()?;
    let mut c = Cursor::new(s);
    c.lit("{\"content\":")?;
    let content = c.object()?;
    c.lit(",\"id\":")?;
    let id = c.text()?;
    c.lit(",\"kind\":")?;
    let kind = c.text()?;
    c.lit(",\"prev\":")?;
    let prev = super::entry::parse_hash_hex(c.text()?.as_ref())?;
    c.lit(",\"refs\":")?;
    c.value()?;
    c.lit(",\"seq\":")?;
    let seq = c.value()?.parse().ok()?;
    c.lit(",\"signer\":")?;
    c.string()?;
    c.lit(",\"source\":")?;
    let source = c.text()?;
    c.lit(",\"ts\":")?;
    let ts = c.text()?;
    c.lit(",\"v\":1}")?;
    (c.i == s.len()).then_some(View {
        seq,
        id,
        ts,
        kind,
        source,
        content,
        prev,
    })
}

/// The content a paragraph shows: the entry's own (raw), or a correction's.
#[derive(Clone, Copy)]
enum Content<'a> {
    Raw(&'a [(Cow<'a, str>, &'a str)]),
    /// An amendment's content: a canonical JSON object's text.
    Object(&'a str),
}

/// The string a raw JSON string value holds.
fn raw_str(text: &str) -> Option<Cow<'_, str>> {
    if !text.starts_with('"') || text.len() < 2 {
        return None;
    }
    if !text.contains('\\') {
        return Some(Cow::Borrowed(&text[1..text.len() - 1]));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}

/// Where a paragraph goes: a kind section or a named one (`content.section`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum SectionKey {
    Kind(&'static str),
    Named(String),
}

fn section_of(e: &View) -> SectionKey {
    match e
        .get("section")
        .and_then(raw_str)
        .filter(|s| !s.trim().is_empty())
    {
        Some(s) => SectionKey::Named(s.into_owned()),
        None => SectionKey::Kind(
            KIND_ORDER
                .iter()
                .find(|k| **k == e.kind)
                .copied()
                .unwrap_or("observation"),
        ),
    }
}

/// A batch of rows in one buffer.
#[derive(Default)]
struct RawBatch {
    buf: Vec<u8>,
    rows: Vec<(u64, Range<usize>)>,
}

impl RawBatch {
    fn with_capacity(bytes: usize) -> Self {
        RawBatch {
            buf: Vec::with_capacity(bytes),
            rows: Vec::with_capacity(BATCH),
        }
    }
}

/// A batch after the worker: all rendered text in two buffers, items pointing into them.
struct Rendered {
    text: String,
    trace: String,
    items: Vec<Item>,
    /// What the batch matched of `Plan::expected_matches`.
    matched: Vec<u64>,
    /// The root of the batch's leaves when they form an aligned perfect subtree.
    subtree: Option<(u64, Hash)>,
}

struct Item {
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

impl RawBatch {
    /// The worker's part: parse, hash, render.
    /// `items` is an empty list to fill; `longest` the longest text of a batch so far.
    fn render(&self, plan: &Plan, mut items: Vec<Item>, longest: usize) -> Rendered {
        // Room enough that the text is never moved while it grows: pages of the
        // reservation that stay unwritten cost nothing.
        let room = (self.buf.len() + self.buf.len() / 2).max(longest + longest / 4);
        items.clear();
        items.reserve(self.rows.len());
        let mut out = Rendered {
            text: String::with_capacity(room),
            trace: String::new(),
            items,
            matched: Vec::new(),
            subtree: None,
        };
        let mut tree = Frontier::new();
        let last = self.rows.len().saturating_sub(1);
        for (i, (seq, span)) in self.rows.iter().enumerate() {
            // Only the newest entry's time is used (compiledAt).
            let keep_ts = i == last;
            let item = render_one(plan, *seq, &self.buf[span.clone()], keep_ts, &mut out);
            tree.push(item.leaf, |_, _, _| {});
            out.items.push(item);
        }
        // A full batch at an aligned position is a perfect subtree: hashing it here spares
        // the main thread 511 of its 512 node hashes.
        let first = self.rows.first().map_or(0, |r| r.0);
        let contiguous = self.rows.iter().enumerate().all(|(i, r)| r.0 == first + i as u64);
        if self.rows.len() == BATCH && first % BATCH as u64 == 0 && contiguous {
            out.subtree = Some((first, tree.root()));
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
        let replaced = plan.replaces.get(&*e.id).copied();
        out.matched.extend(effects.first().map(|x| x.seq << 1));
        out.matched.extend(replaced.map(|s| s << 1 | 1));
        (effects, replaced)
    } else {
        (&[][..], None)
    };
    let superseded = effects.iter().any(|x| x.a.kind == AmendmentType::Supersession);
    let withdrawn = effects.iter().any(|x| x.a.kind == AmendmentType::Withdrawal);
    let body = match &*e.kind {
        KIND_GENESIS => match serde_json::from_slice::<Entry>(body) {
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
        KIND_AMENDMENT => Body::Amendment,
        // Rulings read by pass A are cross-checked like amendments.
        super::entry::KIND_RULING if plan.amendment_seqs.get(seq).is_some() => Body::Amendment,
        // Cases, rulings, tasks and watchtower events are not paragraphs of the text; a
        // trade's result (it carries a summary and the section "Trades") is.
        kind if super::entry::SYSTEM_KINDS.contains(&kind)
            && !(kind == super::entry::KIND_TRADE && e.get("summary").is_some()) =>
        {
            Body::Skip
        }
        // A chain is shown when the kind of its first entry is: its replacements are
        // recorded whatever their kind, the slot only for a chosen first entry.
        kind if superseded || replaced.is_some() => {
            let first = replaced.is_none() && plan.wanted(kind);
            Body::ChainMember {
                section: first.then(|| section_of(&e)),
                id: e.id.clone().into_owned(),
            }
        }
        kind if !plan.wanted(kind) => Body::Skip,
        _ => {
            let section = section_of(&e);
            let mut p = Paragraph::new(&e, &leaf);
            p.apply(effects);
            p.note_rulings(&plan.rulings);
            let (t0, r0) = (text.len(), trace.len());
            p.render_into(plan.format, text, trace);
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
struct PassB {
    doc: Doc,
    frontier: Frontier,
    prev: Hash,
    next: u64,
    genesis: Option<Entry>,
    newest_ts: String,
    /// Chain members seen: id -> (leaf, seq).
    chain_leaves: HashMap<String, (Hash, u64)>,
    /// What the workers matched of `Plan::expected_matches`.
    matched: Vec<u64>,
}

impl PassB {
    fn new(format: Format) -> Self {
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
    fn place(&mut self, plan: &Plan, batch: Rendered, problems: &mut Vec<String>) -> Vec<Item> {
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

fn resolve_chains(
    conn: &rusqlite::Connection,
    plan: &Plan,
    pass: &mut PassB,
    problems: &mut Vec<String>,
) -> Result<()> {
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
        let body: Vec<u8> = conn.query_row("SELECT body FROM entries WHERE seq = ?1", params![seq], |r| {
            r.get(0)
        })?;
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
        p.note_rulings(&plan.rulings);
        let (mut text, mut trace) = (String::new(), String::new());
        p.render_into(plan.format, &mut text, &mut trace);
        if plan.withdrawn(&last).is_some() {
            pass.doc.push_withdrawn(&text, &trace);
            pass.doc.fill(&root, None);
        } else {
            pass.doc.fill(&root, Some((text, trace)));
        }
    }
    Ok(())
}

/// A hash as 64 lower-case hex digits, without an allocation.
struct HexHash([u8; 64]);

impl HexHash {
    fn new(h: &Hash) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (pair, b) in out.chunks_exact_mut(2).zip(h) {
            pair[0] = HEX[(b >> 4) as usize];
            pair[1] = HEX[(b & 0xf) as usize];
        }
        HexHash(out)
    }

    fn as_str(&self) -> &str {
        // Only ASCII hex digits were written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// One paragraph: the entry that stands, and what shaped it.
struct Paragraph<'p> {
    entry: &'p str,
    leaf: HexHash,
    kind: &'p str,
    ts: &'p str,
    source: &'p str,
    content: Content<'p>,
    /// (superseded entry id, its leaf hash hex, the supersession), oldest first.
    supersedes: Vec<(String, String, &'p AmendInfo)>,
    corrections: Vec<&'p AmendInfo>,
    clarifications: Vec<&'p AmendInfo>,
    withdrawal: Option<&'p AmendInfo>,
    /// The rulings that ordered any of the amendments above.
    rulings: Vec<&'p RulingInfo>,
}

impl<'p> Paragraph<'p> {
    fn new(e: &'p View<'p>, leaf: &Hash) -> Self {
        Paragraph {
            entry: &e.id,
            leaf: HexHash::new(leaf),
            kind: &e.kind,
            ts: &e.ts,
            source: &e.source,
            content: Content::Raw(&e.content),
            supersedes: Vec::new(),
            corrections: Vec::new(),
            clarifications: Vec::new(),
            withdrawal: None,
            rulings: Vec::new(),
        }
    }

    /// Records the rulings behind this paragraph's amendments.
    fn note_rulings(&mut self, rulings: &'p IdMap<RulingInfo>) {
        let amendments = self
            .corrections
            .iter()
            .chain(&self.clarifications)
            .chain(&self.withdrawal)
            .copied()
            .chain(self.supersedes.iter().map(|(_, _, s)| *s));
        for x in amendments {
            if let Some(r) = x.a.ruling.as_ref().and_then(|id| rulings.get(id)) {
                if !self.rulings.iter().any(|known| known.id == r.id) {
                    self.rulings.push(r);
                }
            }
        }
        self.rulings.sort_by_key(|r| r.seq);
    }

    /// Applies the amendments of the standing entry, in seq order.
    fn apply(&mut self, effects: &'p [AmendInfo]) {
        for x in effects {
            match x.a.kind {
                AmendmentType::Correction => {
                    if let Some(c) = &x.content {
                        self.content = Content::Object(c);
                    }
                    self.corrections.push(x);
                }
                AmendmentType::Clarification => self.clarifications.push(x),
                AmendmentType::Withdrawal => self.withdrawal = Some(x),
                AmendmentType::Supersession => {}
            }
        }
    }

    /// The paragraph is named after the first entry of its chain: `p-` and this.
    fn first_entry(&self) -> &str {
        self.supersedes
            .first()
            .map_or(self.entry, |(id, _, _)| id.as_str())
    }

    /// Nothing amended it.
    fn plain(&self) -> bool {
        self.supersedes.is_empty()
            && self.corrections.is_empty()
            && self.clarifications.is_empty()
            && self.withdrawal.is_none()
    }

    /// Every entry id that shaped this paragraph, in ledger order.
    fn trace_ids(&self) -> Vec<&str> {
        if self.plain() {
            return vec![self.entry];
        }
        let mut ids: Vec<&str> = Vec::with_capacity(2 + 2 * self.supersedes.len());
        for (id, _, s) in &self.supersedes {
            ids.push(id);
            ids.push(&s.id);
        }
        ids.push(self.entry);
        let mut later: Vec<&AmendInfo> = self
            .corrections
            .iter()
            .chain(&self.clarifications)
            .chain(&self.withdrawal)
            .copied()
            .collect();
        later.sort_by_key(|x| x.seq);
        ids.extend(later.into_iter().map(|x| x.id.as_str()));
        ids.extend(self.rulings.iter().map(|r| r.id.as_str()));
        ids
    }

    fn trace(&self) -> Vec<String> {
        self.trace_ids().into_iter().map(str::to_owned).collect()
    }

    /// Appends the rendered paragraph to `text` and, for JSON, its `traceMap` member to
    /// `trace`.
    fn render_into(&self, format: Format, text: &mut String, trace: &mut String) {
        match format {
            Format::Json => {
                self.render_json(text);
                trace.push_str("\"p-");
                json_str_body(trace, self.first_entry());
                trace.push_str("\":");
                self.json_trace(trace);
            }
            Format::Markdown => self.render_md(text),
            Format::Html => self.render_html(text),
        }
    }

    /// The paragraph as JSON, written directly: the layout `serde_json` gives the same
    /// object built as a `Value` (keys in byte order, its string escapes), without
    /// building one per paragraph.
    fn render_json(&self, s: &mut String) {
        let (prose, fields) = split_content(self.content);
        s.push_str("{\"clarifications\":");
        json_list(s, &self.clarifications, |s, x| json_amend(s, x));
        s.push_str(",\"corrections\":");
        json_list(s, &self.corrections, |s, x| json_amend(s, x));
        s.push_str(",\"entry\":");
        json_str(s, self.entry);
        s.push_str(",\"fields\":");
        json_fields(s, fields);
        s.push_str(",\"id\":\"p-");
        json_str_body(s, self.first_entry());
        s.push_str("\",\"kind\":");
        json_str(s, self.kind);
        s.push_str(",\"leaf\":\"");
        s.push_str(self.leaf.as_str());
        s.push_str("\",\"rulings\":");
        json_list(s, &self.rulings, |s, r| {
            s.push_str("{\"case\":");
            json_str(s, &r.case);
            s.push_str(",\"decision\":");
            json_str(s, &r.decision);
            s.push_str(",\"id\":");
            json_str(s, &r.id);
            s.push('}');
        });
        s.push_str(",\"source\":");
        json_str(s, self.source);
        s.push_str(",\"supersedes\":");
        json_list(s, &self.supersedes, |s, (id, leaf, sup)| {
            s.push_str("{\"amendment\":");
            json_str(s, &sup.id);
            s.push_str(",\"entry\":");
            json_str(s, id);
            s.push_str(",\"leaf\":");
            json_str(s, leaf);
            s.push_str(",\"reason\":");
            json_str(s, &sup.a.reason);
            s.push('}');
        });
        s.push_str(",\"text\":");
        json_opt(s, prose.as_deref());
        s.push_str(",\"trace\":");
        self.json_trace(s);
        s.push_str(",\"ts\":");
        json_str(s, self.ts);
        s.push_str(",\"withdrawal\":");
        match self.withdrawal {
            Some(x) => json_amend(s, x),
            None => s.push_str("null"),
        }
        s.push('}');
    }

    /// The trace as a JSON array of ids.
    fn json_trace(&self, s: &mut String) {
        if self.plain() {
            s.push('[');
            json_str(s, self.entry);
            s.push(']');
        } else {
            json_list(s, &self.trace_ids(), |s, id| json_str(s, id));
        }
    }

    fn render_md(&self, s: &mut String) {
        let (prose, fields) = split_content(self.content);
        // The common path pushes strings directly: this runs once per entry.
        s.push_str("<a id=\"e-");
        s.push_str(self.entry);
        s.push_str("\"></a>\n");
        for (id, _, sup) in &self.supersedes {
            let _ = writeln!(s, "<a id=\"e-{id}\"></a><a id=\"e-{}\"></a>", sup.id);
        }
        s.push_str("**");
        md_push(s, self.kind);
        s.push_str("** · ");
        s.push_str(self.ts);
        s.push_str(" · ");
        md_push(s, self.source);
        s.push_str("\n\n");
        if let Some(p) = &prose {
            md_push(s, p);
            s.push_str("\n\n");
        }
        for (k, v) in &fields {
            s.push_str("- ");
            md_push(s, k);
            s.push_str(": ");
            md_push(s, v);
            s.push('\n');
        }
        if !fields.is_empty() {
            s.push('\n');
        }
        for x in &self.corrections {
            let _ = writeln!(
                s,
                "<a id=\"e-{}\"></a>*Corrected* by [{}](#e-{}): {}\n",
                x.id,
                x.id,
                x.id,
                md_escape(&x.a.reason)
            );
        }
        for (id, _, sup) in &self.supersedes {
            let _ = writeln!(
                s,
                "*Supersedes* [{id}](#e-{id}) by [{}](#e-{}): {}\n",
                sup.id,
                sup.id,
                md_escape(&sup.a.reason)
            );
        }
        for x in &self.clarifications {
            let _ = write!(
                s,
                "> <a id=\"e-{}\"></a>**Clarification** ([{}](#e-{})): {}",
                x.id,
                x.id,
                x.id,
                md_escape(&x.a.reason)
            );
            if let Some(c) = &x.content {
                let (text, fields) = split_content(Content::Object(c));
                if let Some(t) = text {
                    let _ = write!(s, " — {}", md_escape(&t));
                }
                for (k, v) in fields {
                    let _ = write!(s, "; {}: {}", md_escape(&k), md_escape(&v));
                }
            }
            s.push_str("\n\n");
        }
        if let Some(x) = &self.withdrawal {
            let _ = writeln!(
                s,
                "<a id=\"e-{}\"></a>*Withdrawn* by [{}](#e-{}): {}\n",
                x.id,
                x.id,
                x.id,
                md_escape(&x.a.reason)
            );
        }
        for r in &self.rulings {
            let _ = writeln!(
                s,
                "*Ruled* by [{}](#e-{}) in case [{}](#e-{}): {}\n",
                r.id,
                r.id,
                r.case,
                r.case,
                md_escape(&r.decision)
            );
        }
        s.push_str("<sub>Trace p-");
        s.push_str(self.first_entry());
        s.push_str(": ");
        let link = |s: &mut String, id: &str| {
            s.push('[');
            s.push_str(id);
            s.push_str("](#e-");
            s.push_str(id);
            s.push(')');
        };
        if self.plain() {
            link(s, self.entry);
        } else {
            for (i, id) in self.trace_ids().into_iter().enumerate() {
                if i > 0 {
                    s.push_str(" · ");
                }
                link(s, id);
            }
        }
        s.push_str(" · leaf `");
        s.push_str(self.leaf.as_str());
        s.push_str("`</sub>\n\n");
    }

    fn render_html(&self, s: &mut String) {
        let (prose, fields) = split_content(self.content);
        let _ = write!(
            s,
            "<article id=\"p-{}\"><a id=\"e-{}\"></a>",
            self.first_entry(),
            self.entry
        );
        for (id, _, sup) in &self.supersedes {
            let _ = write!(s, "<a id=\"e-{id}\"></a><a id=\"e-{}\"></a>", sup.id);
        }
        let _ = writeln!(
            s,
            "<p class=\"meta\">{} · {} · {}</p>",
            h(self.kind),
            h(self.ts),
            h(self.source)
        );
        if let Some(p) = &prose {
            let _ = writeln!(s, "<p>{}</p>", h(p));
        }
        if !fields.is_empty() {
            s.push_str("<dl>");
            for (k, v) in &fields {
                let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", h(k), h(v));
            }
            s.push_str("</dl>\n");
        }
        let link = |id: &str| format!("<a href=\"#e-{id}\">{id}</a>");
        for x in &self.corrections {
            let _ = writeln!(
                s,
                "<p class=\"amend\" id=\"e-{}\"><em>Corrected</em> by {}: {}</p>",
                x.id,
                link(&x.id),
                h(&x.a.reason)
            );
        }
        for (id, _, sup) in &self.supersedes {
            let _ = writeln!(
                s,
                "<p class=\"amend\" id=\"e-{}\"><em>Supersedes</em> {} by {}: {}</p>",
                sup.id,
                link(id),
                link(&sup.id),
                h(&sup.a.reason)
            );
        }
        for x in &self.clarifications {
            let _ = write!(
                s,
                "<blockquote id=\"e-{}\"><strong>Clarification</strong> ({}): {}",
                x.id,
                link(&x.id),
                h(&x.a.reason)
            );
            if let Some(c) = &x.content {
                let (text, fields) = split_content(Content::Object(c));
                if let Some(t) = text {
                    let _ = write!(s, " — {}", h(&t));
                }
                for (k, v) in fields {
                    let _ = write!(s, "; {}: {}", h(&k), h(&v));
                }
            }
            s.push_str("</blockquote>\n");
        }
        if let Some(x) = &self.withdrawal {
            let _ = writeln!(
                s,
                "<p class=\"amend\" id=\"e-{}\"><em>Withdrawn</em> by {}: {}</p>",
                x.id,
                link(&x.id),
                h(&x.a.reason)
            );
        }
        for r in &self.rulings {
            let _ = writeln!(
                s,
                "<p class=\"amend\"><em>Ruled</em> by {} in case {}: {}</p>",
                link(&r.id),
                link(&r.case),
                h(&r.decision)
            );
        }
        let links: Vec<String> = self.trace().iter().map(|id| link(id)).collect();
        let _ = writeln!(
            s,
            "<p class=\"trace\">Trace p-{}: {} · leaf <code>{}</code></p></article>",
            self.first_entry(),
            links.join(" · "),
            self.leaf.as_str()
        );
    }
}

/// `key: value` pairs of a paragraph, in canonical key order.
type Fields<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// The rendering rule: the first of `text`, `claim`, `summary` that is a string is prose;
/// every other key except `section` becomes `key: value` (strings as they are, anything
/// else as canonical JSON), in canonical key order.
fn split_content(content: Content<'_>) -> (Option<Cow<'_, str>>, Fields<'_>) {
    let members;
    let pairs = match content {
        Content::Raw(pairs) => pairs,
        Content::Object(text) => {
            // Pass A made sure it splits.
            members = Cursor::new(text).whole_object().unwrap_or_default();
            &members[..]
        }
    };
    let mut fields: Vec<(Cow<str>, Cow<str>)> = Vec::new();
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, raw)| *raw);
    let prose_key = PROSE_KEYS
        .iter()
        .find(|k| get(k).is_some_and(|r| r.starts_with('"')));
    for (k, raw) in pairs {
        if Some(&&**k) != prose_key && k != "section" {
            let v = raw_str(raw).unwrap_or(Cow::Borrowed(*raw));
            fields.push((k.clone(), v));
        }
    }
    let prose = prose_key.and_then(|k| get(k)).and_then(raw_str);
    // Canonical text lists keys as RFC 8785 orders them, by UTF-16 code units; an entry
    // read through serde (a BTreeMap) lists them in UTF-8 order, which differs only for
    // characters at or above U+E000.
    if fields.iter().any(|(k, _)| k.bytes().any(|b| b >= 0xEE)) {
        fields.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    }
    (prose, fields)
}

/// Markdown-escaped text, written without allocating.
struct Md<'a>(&'a str);

impl std::fmt::Display for Md<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut start = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '\\' => "\\\\",
                '`' => "\\`",
                '*' => "\\*",
                '_' => "\\_",
                '[' => "\\[",
                ']' => "\\]",
                '<' => "\\<",
                '>' => "\\>",
                '#' => "\\#",
                '|' => "\\|",
                '&' => "&amp;",
                '\n' => "  \n",
                _ => continue,
            };
            f.write_str(&self.0[start..i])?;
            f.write_str(rep)?;
            start = i + c.len_utf8();
        }
        f.write_str(&self.0[start..])
    }
}

/// Appends `text` as a JSON string, escaped as `serde_json` escapes it.
fn json_str(out: &mut String, text: &str) {
    out.push('"');
    json_str_body(out, text);
    out.push('"');
}

/// `json_str` without the quotes.
fn json_str_body(out: &mut String, text: &str) {
    if text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        let quoted = serde_json::to_string(text).unwrap_or_default();
        out.push_str(quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default());
    } else {
        out.push_str(text);
    }
}

fn json_opt(out: &mut String, text: Option<&str>) {
    match text {
        Some(t) => json_str(out, t),
        None => out.push_str("null"),
    }
}

/// A JSON array of `items`, each written by `each`.
fn json_list<T>(out: &mut String, items: &[T], mut each: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, item);
    }
    out.push(']');
}

/// `key: value` fields as a JSON object in byte order of the keys (a later repeat of a
/// key wins), as a `serde_json::Map` would write them.
fn json_fields(out: &mut String, mut fields: Fields<'_>) {
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    out.push('{');
    let mut first = true;
    for (i, (k, v)) in fields.iter().enumerate() {
        if fields.get(i + 1).is_some_and(|next| next.0 == *k) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        json_str(out, k);
        out.push(':');
        json_str(out, v);
    }
    out.push('}');
}

/// An amendment inside a JSON paragraph.
fn json_amend(out: &mut String, x: &AmendInfo) {
    let (text, fields) = x
        .content
        .as_deref()
        .map(|c| split_content(Content::Object(c)))
        .unwrap_or_default();
    out.push_str("{\"fields\":");
    json_fields(out, fields);
    out.push_str(",\"id\":");
    json_str(out, &x.id);
    out.push_str(",\"reason\":");
    json_str(out, &x.a.reason);
    out.push_str(",\"ruling\":");
    json_opt(out, x.a.ruling.as_deref());
    out.push_str(",\"text\":");
    json_opt(out, text.as_deref());
    out.push_str(",\"type\":\"");
    out.push_str(x.a.kind.as_str());
    out.push_str("\"}");
}

/// Writes every slice (`Write::write_all_vectored` is not stable yet) and empties the list.
fn write_all_vectored(out: &mut dyn std::io::Write, slices: &mut Vec<IoSlice<'_>>) -> std::io::Result<()> {
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match out.write_vectored(rest) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    slices.clear();
    Ok(())
}

/// Appends Markdown-escaped text.
fn md_push(out: &mut String, text: &str) {
    const SPECIAL: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        let chars = b"\\`*_[]<>#|&\n";
        while i < chars.len() {
            t[chars[i] as usize] = true;
            i += 1;
        }
        t
    };
    if text.bytes().any(|b| SPECIAL[b as usize]) {
        let _ = write!(out, "{}", Md(text));
    } else {
        out.push_str(text);
    }
}

fn md_escape(s: &str) -> Md<'_> {
    Md(s)
}

/// HTML-escaped text, written without allocating.
struct Html<'a>(&'a str);

impl std::fmt::Display for Html<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut start = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&self.0[start..i])?;
            f.write_str(rep)?;
            start = i + c.len_utf8();
        }
        f.write_str(&self.0[start..])
    }
}

fn h(s: &str) -> Html<'_> {
    Html(s)
}

struct Header {
    origin: String,
    keys: Vec<String>,
    size: u64,
    root: Hash,
    as_of: String,
    problem: Option<String>,
    signature_verified: bool,
    kinds: Vec<String>,
}

/// Rendered text of a section: runs of paragraphs, and slots that supersession chains
/// fill once resolved.
enum Chunk {
    Text(String),
    /// Rendered text kept in `Doc::buffers[buf][start..end]`.
    Span {
        buf: usize,
        start: usize,
        end: usize,
    },
    Slot(String),
}

struct SectionBuf {
    key: SectionKey,
    chunks: Vec<Chunk>,
}

/// The document being assembled: rendered paragraphs per section, in ledger order.
struct Doc {
    format: Format,
    sections: Vec<SectionBuf>,
    index: HashMap<SectionKey, usize>,
    /// The section the last paragraph went to.
    last: Option<usize>,
    withdrawn: Vec<Chunk>,
    /// JSON `traceMap` members, comma-separated.
    trace: String,
    /// The workers' rendered batches, kept whole; spans point into them.
    buffers: Vec<String>,
    /// The rulings shown beside paragraphs, by seq, for the appendix that anchors them.
    rulings: Vec<RulingInfo>,
    /// Chain roots with a reserved slot; filled (None: the chain ended withdrawn).
    reserved: HashMap<String, Option<String>>,
    paragraphs: u64,
}

fn append(chunks: &mut Vec<Chunk>, format: Format, text: &str) {
    if let Some(Chunk::Text(t)) = chunks.last_mut() {
        if format == Format::Json && !t.is_empty() {
            t.push(',');
        }
        t.push_str(text);
    } else {
        chunks.push(Chunk::Text(text.to_owned()));
    }
}

fn extend(chunks: &mut Vec<Chunk>, format: Format, span: Chunk) {
    if let (
        Some(Chunk::Span { buf, end, .. }),
        Chunk::Span {
            buf: b,
            start,
            end: e,
        },
    ) = (chunks.last_mut(), &span)
    {
        if format != Format::Json && *buf == *b && *end == *start {
            *end = *e;
            return;
        }
    }
    chunks.push(span);
}

impl Doc {
    fn new(format: Format) -> Self {
        Doc {
            format,
            sections: Vec::new(),
            index: HashMap::new(),
            last: None,
            withdrawn: Vec::new(),
            trace: String::new(),
            buffers: Vec::new(),
            rulings: Vec::new(),
            reserved: HashMap::new(),
            paragraphs: 0,
        }
    }

    fn section(&mut self, key: SectionKey) -> &mut Vec<Chunk> {
        // Consecutive paragraphs mostly share a section: skip the map lookup then.
        if let Some(last) = self.last {
            if self.sections[last].key == key {
                return &mut self.sections[last].chunks;
            }
        }
        // Ledgers have a handful of sections: a scan beats hashing the key.
        let found = if self.sections.len() <= 16 {
            self.sections.iter().position(|s| s.key == key)
        } else {
            self.index.get(&key).copied()
        };
        let at = match found {
            Some(at) => at,
            None => {
                self.sections.push(SectionBuf {
                    key: key.clone(),
                    chunks: Vec::new(),
                });
                self.index.insert(key, self.sections.len() - 1);
                self.sections.len() - 1
            }
        };
        self.last = Some(at);
        &mut self.sections[at].chunks
    }

    fn add_trace(&mut self, trace: &str) {
        if !trace.is_empty() {
            if !self.trace.is_empty() {
                self.trace.push(',');
            }
            self.trace.push_str(trace);
        }
    }

    fn keep(&mut self, text: String) -> usize {
        self.buffers.push(text);
        self.buffers.len() - 1
    }

    /// Adds a paragraph already rendered into a kept buffer. Markdown and HTML merge it
    /// with the previous span when it continues it; JSON keeps paragraphs apart for the
    /// commas between them.
    fn push_span(&mut self, key: SectionKey, span: Chunk, trace: &str) {
        let format = self.format;
        extend(self.section(key), format, span);
        self.add_trace(trace);
        self.paragraphs += 1;
    }

    fn push_withdrawn_span(&mut self, span: Chunk, trace: &str) {
        extend(&mut self.withdrawn, self.format, span);
        self.add_trace(trace);
        self.paragraphs += 1;
    }

    fn push_withdrawn(&mut self, text: &str, trace: &str) {
        append(&mut self.withdrawn, self.format, text);
        self.add_trace(trace);
        self.paragraphs += 1;
    }

    fn reserve(&mut self, key: SectionKey, root: &str) {
        self.section(key).push(Chunk::Slot(root.to_owned()));
        self.reserved.insert(root.to_owned(), None);
    }

    fn fill(&mut self, root: &str, rendered: Option<(String, String)>) {
        if let Some((text, trace)) = rendered {
            self.add_trace(&trace);
            self.paragraphs += 1;
            self.reserved.insert(root.to_owned(), Some(text));
        }
    }

    /// Section indices in the documented order: named sections by first appearance,
    /// then kinds in KIND_ORDER.
    fn ordered(&self) -> Vec<usize> {
        let mut out: Vec<usize> = (0..self.sections.len())
            .filter(|i| matches!(self.sections[*i].key, SectionKey::Named(_)))
            .collect();
        for kind in KIND_ORDER {
            if let Some(i) = self.index.get(&SectionKey::Kind(kind)) {
                out.push(*i);
            }
        }
        out
    }

    fn title(key: &SectionKey) -> String {
        match key {
            SectionKey::Named(name) => name.clone(),
            SectionKey::Kind(kind) => {
                let mut t = (*kind).to_owned();
                if let Some(first) = t.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                format!("{t}s")
            }
        }
    }

    /// Stable, unique anchors: `s-kind-decision`, `s-section-<slug>[-n]`.
    fn anchors(&self, order: &[usize]) -> Vec<String> {
        let mut seen = HashSet::new();
        order
            .iter()
            .map(|i| {
                let base = match &self.sections[*i].key {
                    SectionKey::Kind(k) => format!("s-kind-{k}"),
                    SectionKey::Named(n) => {
                        let slug: String = n
                            .chars()
                            .map(|c| {
                                if c.is_ascii_alphanumeric() {
                                    c.to_ascii_lowercase()
                                } else {
                                    '-'
                                }
                            })
                            .collect();
                        format!("s-section-{slug}")
                    }
                };
                let mut anchor = base.clone();
                let mut n = 2;
                while !seen.insert(anchor.clone()) {
                    anchor = format!("{base}-{n}");
                    n += 1;
                }
                anchor
            })
            .collect()
    }

    /// The rendered pieces of a chunk list (slots resolved), empty ones skipped.
    fn pieces<'a>(&'a self, chunks: &'a [Chunk]) -> impl Iterator<Item = &'a str> + 'a {
        chunks
            .iter()
            .filter_map(move |c| match c {
                Chunk::Text(t) => Some(t.as_str()),
                Chunk::Span { buf, start, end } => self.buffers.get(*buf).and_then(|b| b.get(*start..*end)),
                Chunk::Slot(root) => self.reserved.get(root).and_then(|r| r.as_deref()),
            })
            .filter(|t| !t.is_empty())
    }

    /// Writes the pieces straight from where they were rendered, many per system call,
    /// instead of copying each into a buffer first.
    fn write_pieces(&self, chunks: &[Chunk], out: &mut dyn std::io::Write) -> std::io::Result<()> {
        // Linux takes at most 1024 slices per writev.
        const SLICES: usize = 1024;
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(SLICES);
        for (i, piece) in self.pieces(chunks).enumerate() {
            if i > 0 && self.format == Format::Json {
                slices.push(IoSlice::new(b","));
            }
            slices.push(IoSlice::new(piece.as_bytes()));
            if slices.len() >= SLICES - 1 {
                write_all_vectored(out, &mut slices)?;
            }
        }
        write_all_vectored(out, &mut slices)
    }

    fn status_line(hd: &Header) -> String {
        let root = B64.encode(hd.root);
        match &hd.problem {
            None => format!(
                "Compiled from checkpoint size {} (root {root}): its signature verified against the ledger's keys and the entries hash to its root.",
                hd.size
            ),
            Some(p) => format!("Compiled from checkpoint size {} (root {root}): NOT VERIFIED: {p}", hd.size),
        }
    }

    fn write_to(&self, hd: &Header, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let order = self.ordered();
        let anchors = self.anchors(&order);
        let has_withdrawn = self.pieces(&self.withdrawn).next().is_some();
        match self.format {
            Format::Markdown => {
                if let Some(p) = &hd.problem {
                    writeln!(out, "**UNVERIFIED EDITION**: {}\n", md_escape(p))?;
                }
                writeln!(out, "# Reader Edition: {}\n", md_escape(&hd.origin))?;
                writeln!(out, "{}\n", md_escape(&Self::status_line(hd)))?;
                let keys: Vec<String> = hd.keys.iter().map(|k| format!("`{k}`")).collect();
                writeln!(out, "As of {}. Signing keys: {}.", hd.as_of, keys.join(", "))?;
                if !hd.kinds.is_empty() {
                    writeln!(out, "Kinds shown: {}.", hd.kinds.join(", "))?;
                }
                writeln!(out)?;
                for (i, anchor) in order.iter().zip(&anchors) {
                    let title = Self::title(&self.sections[*i].key);
                    writeln!(out, "<a id=\"{anchor}\"></a>\n## {}\n", md_escape(&title))?;
                    self.write_pieces(&self.sections[*i].chunks, out)?;
                }
                if has_withdrawn {
                    out.write_all(b"<a id=\"s-withdrawn\"></a>\n## Withdrawn\n\n")?;
                    self.write_pieces(&self.withdrawn, out)?;
                }
                if !self.rulings.is_empty() {
                    out.write_all(b"<a id=\"s-rulings\"></a>\n## Rulings\n\n")?;
                    for r in &self.rulings {
                        writeln!(
                            out,
                            "<a id=\"e-{}\"></a><a id=\"e-{}\"></a>**Ruling** {} on case {}: {}. {}\n",
                            r.id,
                            r.case,
                            r.id,
                            r.case,
                            md_escape(&r.decision),
                            md_escape(&r.reasoning)
                        )?;
                    }
                }
            }
            Format::Html => {
                if let Some(p) = &hd.problem {
                    writeln!(
                        out,
                        "<!-- UNVERIFIED EDITION: {} -->",
                        h(p).to_string().replace("--", "- -")
                    )?;
                }
                writeln!(
                    out,
                    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                )?;
                writeln!(out, "<title>Reader Edition: {}</title>", h(&hd.origin))?;
                out.write_all(
                    b"<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}\
article{border-left:3px solid #ddd;padding-left:1rem;margin:1.5rem 0}.meta,.trace{color:#666;font-size:.85rem}\
.amend{font-size:.9rem}blockquote{margin:.5rem 0;padding-left:.75rem;border-left:3px solid #9ab}\
.unverified{background:#fdd;border:1px solid #c00;padding:.5rem}dt{font-weight:600}dd{margin:0 0 .25rem 1rem}\
code{font-size:.8rem;word-break:break-all}</style>\n</head><body>\n",
                )?;
                if let Some(p) = &hd.problem {
                    writeln!(
                        out,
                        "<p class=\"unverified\"><strong>UNVERIFIED EDITION</strong>: {}</p>",
                        h(p)
                    )?;
                }
                writeln!(out, "<h1>Reader Edition: {}</h1>", h(&hd.origin))?;
                writeln!(out, "<p>{}</p>", h(&Self::status_line(hd)))?;
                let keys: Vec<String> = hd.keys.iter().map(|k| format!("<code>{}</code>", h(k))).collect();
                writeln!(
                    out,
                    "<p>As of {}. Signing keys: {}.</p>",
                    h(&hd.as_of),
                    keys.join(", ")
                )?;
                out.write_all(b"<nav><ul>")?;
                for (i, anchor) in order.iter().zip(&anchors) {
                    write!(
                        out,
                        "<li><a href=\"#{anchor}\">{}</a></li>",
                        h(&Self::title(&self.sections[*i].key))
                    )?;
                }
                if has_withdrawn {
                    out.write_all(b"<li><a href=\"#s-withdrawn\">Withdrawn</a></li>")?;
                }
                out.write_all(b"</ul></nav>\n")?;
                for (i, anchor) in order.iter().zip(&anchors) {
                    writeln!(
                        out,
                        "<section id=\"{anchor}\"><h2>{}</h2>",
                        h(&Self::title(&self.sections[*i].key))
                    )?;
                    self.write_pieces(&self.sections[*i].chunks, out)?;
                    out.write_all(b"</section>\n")?;
                }
                if has_withdrawn {
                    out.write_all(b"<section id=\"s-withdrawn\"><h2>Withdrawn</h2>\n")?;
                    self.write_pieces(&self.withdrawn, out)?;
                    out.write_all(b"</section>\n")?;
                }
                if !self.rulings.is_empty() {
                    out.write_all(b"<section id=\"s-rulings\"><h2>Rulings</h2>\n")?;
                    for r in &self.rulings {
                        writeln!(
                            out,
                            "<p id=\"e-{}\"><span id=\"e-{}\"></span><strong>Ruling</strong> {} on case {}: {}. {}</p>",
                            r.id,
                            r.case,
                            h(&r.id),
                            h(&r.case),
                            h(&r.decision),
                            h(&r.reasoning)
                        )?;
                    }
                    out.write_all(b"</section>\n")?;
                }
                out.write_all(b"</body></html>\n")?;
            }
            Format::Json => {
                write!(
                    out,
                    "{{\"version\":1,\"format\":\"echoctl-reader/v1\",\"verified\":{},\"problem\":{},\"origin\":{},\"keys\":{},\"compiledAt\":{},\"source\":{},\"kinds\":{},\"sections\":[",
                    hd.problem.is_none(),
                    json!(hd.problem),
                    json!(hd.origin),
                    json!(hd.keys),
                    json!(hd.as_of),
                    json!({"size": hd.size, "root": B64.encode(hd.root), "signatureVerified": hd.signature_verified}),
                    json!(hd.kinds),
                )?;
                for (n, (i, anchor)) in order.iter().zip(&anchors).enumerate() {
                    let sep = if n == 0 { "" } else { "," };
                    let title = Self::title(&self.sections[*i].key);
                    write!(
                        out,
                        "{sep}{{\"id\":{},\"title\":{},\"paragraphs\":[",
                        json!(anchor),
                        json!(title)
                    )?;
                    self.write_pieces(&self.sections[*i].chunks, out)?;
                    out.write_all(b"]}")?;
                }
                out.write_all(b"],\"withdrawn\":[")?;
                self.write_pieces(&self.withdrawn, out)?;
                let rulings: Vec<Value> = self
                    .rulings
                    .iter()
                    .map(|r| json!({"id": r.id, "case": r.case, "decision": r.decision, "reasoning": r.reasoning}))
                    .collect();
                write!(out, "],\"rulings\":{}", Value::Array(rulings))?;
                writeln!(out, ",\"traceMap\":{{{}}}}}", self.trace)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_amendment, split_content, summarize, Content, IdHasher};
    use crate::clock::Clock;
    use std::borrow::Cow;
    use std::hash::{BuildHasher, BuildHasherDefault};

    /// An amendment entry's bytes in the stored layout, around `content` (the amendment's
    /// own content object, as text).
    fn amendment_body(content: &str) -> Vec<u8> {
        format!(
            concat!(
                r#"{{"content":{{"content":{},"reason":"fix","target":"01M3250V00E8WX6GWHPVJ74T21","#,
                r#""type":"correction"}},"id":"01M3250V009B8YDZPTM3V7Q0YS","kind":"amendment","#,
                r#""prev":"{}","refs":["01M3250V00E8WX6GWHPVJ74T21"],"seq":7,"signer":"s+1","#,
                r#""source":"t","ts":"2026-09-21T14:13:20.000Z","v":1}}"#
            ),
            content,
            "ab".repeat(32)
        )
        .into_bytes()
    }

    /// The JSON paragraph is written by hand; it must be byte for byte what serde_json
    /// writes for the same object as a `Value` (sorted keys, its escapes, null for none).
    #[test]
    fn json_paragraphs_match_serde_json() {
        use super::{AmendInfo, Format, IdMap, Paragraph, RulingInfo, View};
        use crate::ledger::amend::{Amendment, AmendmentType};
        use serde_json::{json, Map, Value};
        let content = [
            r#"{"host":"db\"1\n","n":[1,{"b":null}],"section":"Ops","text":"tab\there","zz":"","é":"acute","#,
            "\"\u{10000}\":\"astral\",\"\u{e000}\":\"private\"}",
        ]
        .concat();
        let body = format!(
            concat!(
                r#"{{"content":{},"id":"01M3250V00E8WX6GWHPVJ74T21","kind":"observation","#,
                r#""prev":"{}","refs":[],"seq":3,"signer":"s+1","source":"mon\\itor","#,
                r#""ts":"2026-09-21T14:13:20.000Z","v":1}}"#
            ),
            content,
            "cd".repeat(32)
        );
        let view = View::read(body.as_bytes()).unwrap();
        assert_eq!(view.content.len(), 8, "the fast scanner read it");
        let amend = |seq: u64, kind, content: Option<&str>, ruling: Option<&str>| AmendInfo {
            seq,
            id: format!("01M3250V00E8WX6GWHPVJ7{seq:04}"),
            a: Amendment {
                kind,
                target: "01M3250V00E8WX6GWHPVJ74T21".into(),
                reason: "why \"so\"".into(),
                content: None,
                superseded_by: None,
                ruling: ruling.map(str::to_owned),
            },
            content: content.map(Box::from),
        };
        let ruling_id = "01M3250V00E8WX6GWHPVJ7RULE";
        let effects = vec![
            amend(
                10,
                AmendmentType::Correction,
                Some(r#"{"a":"2","text":"fixed","z":"1"}"#),
                None,
            ),
            amend(
                11,
                AmendmentType::Clarification,
                Some(r#"{"k":"v\u0001"}"#),
                Some(ruling_id),
            ),
            amend(12, AmendmentType::Clarification, None, None),
            amend(13, AmendmentType::Withdrawal, None, Some(ruling_id)),
        ];
        let mut rulings = IdMap::default();
        rulings.insert(
            ruling_id.to_owned(),
            RulingInfo {
                id: ruling_id.into(),
                seq: 9,
                case: "01M3250V00E8WX6GWHPVJ7CASE".into(),
                decision: "withdraw <it>".into(),
                reasoning: String::new(),
            },
        );
        let leaf = [7u8; 32];
        for plain in [true, false] {
            let mut p = Paragraph::new(&view, &leaf);
            if !plain {
                p.supersedes
                    .push(("01M3250V00E8WX6GWHPVJ7OLD1".into(), "ab".repeat(32), &effects[0]));
                p.apply(&effects);
                p.note_rulings(&rulings);
            }
            let (mut text, mut trace) = (String::new(), String::new());
            p.render_into(Format::Json, &mut text, &mut trace);

            // What the edition wrote before, through serde_json's Value.
            let object = |fields: super::Fields<'_>| -> Map<String, Value> {
                fields
                    .into_iter()
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect()
            };
            let am = |x: &&AmendInfo| {
                let (text, fields) = x
                    .content
                    .as_deref()
                    .map(|c| split_content(Content::Object(c)))
                    .unwrap_or_default();
                json!({"id": x.id, "type": x.a.kind.as_str(), "reason": x.a.reason, "text": text, "fields": object(fields), "ruling": x.a.ruling})
            };
            let (prose, fields) = split_content(p.content);
            let expected = json!({
                "id": format!("p-{}", p.first_entry()), "entry": p.entry, "leaf": p.leaf.as_str(), "kind": p.kind, "ts": p.ts,
                "source": p.source, "text": prose, "fields": object(fields),
                "supersedes": p.supersedes.iter().map(|(id, leaf, s)| json!({"entry": id, "leaf": leaf, "amendment": s.id, "reason": s.a.reason})).collect::<Vec<_>>(),
                "corrections": p.corrections.iter().map(am).collect::<Vec<_>>(),
                "clarifications": p.clarifications.iter().map(am).collect::<Vec<_>>(),
                "withdrawal": p.withdrawal.as_ref().map(am),
                "rulings": p.rulings.iter().map(|r| json!({"id": r.id, "case": r.case, "decision": r.decision})).collect::<Vec<_>>(),
                "trace": p.trace(),
            });
            assert_eq!(text, expected.to_string(), "plain: {plain}");
            let id = format!("p-{}", p.first_entry());
            assert_eq!(trace, format!("{}:{}", json!(id), json!(p.trace())));
            if plain {
                assert!(text.contains(r#""text":"tab\there""#), "{text}");
                assert!(text.contains(r#""é":"acute""#) && text.contains(r#""source":"mon\\itor""#));
                // Byte order, as serde_json's Map keeps keys: U+E000 before U+10000.
                let private = format!("\"{}\":\"private\",\"{}\":\"astral\"", '\u{e000}', '\u{10000}');
                assert!(text.contains(&private), "{text}");
            } else {
                assert!(text.contains(r#""fields":{"a":"2","z":"1"}"#), "{text}");
                assert!(text.contains(r#""ruling":null"#) && text.contains(r#"\u0001"#));
            }
        }
    }

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

    #[test]
    fn amendment_content_is_kept_as_text_and_split_when_rendered() {
        let canonical = r#"{"host":"db\"1","n":[1,{"a":"}"}],"text":"disk at 39%"}"#;
        let (seq, _, parsed) = parse_amendment(7, &amendment_body(canonical), &|_| None);
        let parsed = parsed.unwrap();
        assert_eq!(seq, 7);
        assert_eq!(parsed.content.as_deref(), Some(canonical));
        assert!(parsed.a.content.is_none());
        let (prose, fields) = split_content(Content::Object(canonical));
        assert_eq!(prose.as_deref(), Some("disk at 39%"));
        let fields: Vec<(Cow<str>, Cow<str>)> = fields;
        assert_eq!(
            fields,
            vec![
                (Cow::from("host"), Cow::from("db\"1")),
                (Cow::from("n"), Cow::from(r#"[1,{"a":"}"}]"#)),
            ]
        );

        // Text that is not canonical (spaces) is kept in canonical form.
        let spaced = r#"{ "text" : "disk at 39%", "host": "db1" }"#;
        let (_, _, parsed) = parse_amendment(7, &amendment_body(spaced), &|_| None);
        assert_eq!(
            parsed.unwrap().content.as_deref(),
            Some(r#"{"host":"db1","text":"disk at 39%"}"#)
        );

        // Content that is not an object breaks the amendment rules.
        let (_, _, parsed) = parse_amendment(7, &amendment_body(r#""just text""#), &|_| None);
        assert!(parsed.err().unwrap().contains("JSON object"));
    }

    #[test]
    fn monotonic_ids_hash_apart() {
        // 200,000 ids of one command: the shape of a bulk-appended ledger.
        let clock = Clock {
            now: 1_790_000_000_000,
            seed: Some([1; 32]),
        };
        let mut ids = clock.ulids(1).unwrap();
        let build = BuildHasherDefault::<IdHasher>::default();
        let n = 200_000;
        let mut hashes: Vec<u64> = (0..n).map(|_| build.hash_one(ids.next_id())).collect();
        let mut buckets: Vec<u64> = hashes.iter().map(|h| h & ((1 << 18) - 1)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), n, "two ids share a hash");
        // Uniform hashing fills about 140,000 of 2^18 buckets; the old hash filled 44,000.
        buckets.sort_unstable();
        buckets.dedup();
        assert!(buckets.len() > 130_000, "{} buckets used", buckets.len());
    }
}
