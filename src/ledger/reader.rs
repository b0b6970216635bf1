//! The Reader Edition: the ledger as it stands at a checkpoint, every amendment applied,
//! every paragraph linked back to the entries and amendments that shaped it. Compiles
//! in two streaming passes inside one read transaction: the amendments (through the
//! amendment index), then every entry in order, hashed into the Merkle tree and rendered
//! on worker threads. Returns the document; never prints.

use super::amend::{Amendment, AmendmentType};
use super::checkpoint::Checkpoint;
use super::entry::{hex, Entry, KIND_AMENDMENT, KIND_GENESIS, USER_KINDS};
use super::merkle::{self, Frontier, Hash};
use super::{Genesis, Ledger};
use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
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

/// A compiled edition.
#[derive(Debug)]
pub struct Edition {
    pub text: String,
    pub size: u64,
    pub root: Hash,
    /// None when verified; otherwise why not (only with `force`).
    pub problem: Option<String>,
    pub paragraphs: u64,
}

/// An amendment as the edition needs it.
#[derive(Clone, Debug)]
struct AmendInfo {
    seq: u64,
    id: String,
    a: Amendment,
}

/// Everything pass A learns, shared read-only with the workers.
struct Plan {
    /// Amendments by target id, in seq order.
    effects: HashMap<String, Vec<AmendInfo>>,
    /// replacement id -> the id it superseded.
    replaces: HashMap<String, String>,
    /// The amendments pass A saw, by seq, to cross-check pass B.
    amendment_seqs: std::collections::HashSet<u64>,
    kinds: Vec<String>,
    format: Format,
}

impl Plan {
    fn superseded(&self, id: &str) -> Option<&AmendInfo> {
        self.effects.get(id)?.iter().find(|x| x.a.kind == AmendmentType::Supersession)
    }
    fn withdrawn(&self, id: &str) -> Option<&AmendInfo> {
        self.effects.get(id)?.iter().find(|x| x.a.kind == AmendmentType::Withdrawal)
    }
    fn wanted(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind)
    }
}

/// Compiles the edition of `ledger` as `opts` asks.
pub fn compile(ledger: &Ledger, opts: &Options, progress: &mut dyn FnMut(u64, u64)) -> Result<Edition> {
    for k in &opts.kinds {
        if !USER_KINDS.contains(&k.as_str()) {
            return Err(Error::input(format!("unknown kind {k:?}"))
                .hint(format!("valid kinds: {}", USER_KINDS.join(", "))));
        }
    }
    let conn = &ledger.conn;
    // One snapshot for both passes, even if a writer commits meanwhile.
    let tx = conn.unchecked_transaction()?;
    let (size, note) = source_checkpoint(&tx, opts.at)?;
    let mut problems: Vec<String> = Vec::new();
    let cp = Checkpoint::parse(&note).map_err(|e| e.context(format!("checkpoint {size}")))?;
    let signature_verified = !cp.valid_signers(&ledger.genesis.keys).is_empty();
    if !signature_verified {
        problems.push(format!("checkpoint {size} carries no valid signature by a key of this ledger"));
    }
    if cp.origin != ledger.genesis.origin || cp.size != size {
        problems.push(format!("checkpoint {size} names another origin or size"));
    }

    // Pass A: the amendments, through the amendment index.
    let mut plan = Plan {
        effects: HashMap::new(),
        replaces: HashMap::new(),
        amendment_seqs: Default::default(),
        kinds: opts.kinds.clone(),
        format: opts.format,
    };
    {
        let mut stmt = tx.prepare(
            "SELECT e.seq, e.body FROM amendments a JOIN entries e ON e.seq = a.seq \
             WHERE a.seq < ?1 ORDER BY a.seq",
        )?;
        let mut rows = stmt.query([size])?;
        while let Some(row) = rows.next()? {
            let seq: u64 = row.get(0)?;
            let body: Vec<u8> = row.get(1)?;
            let parsed = Entry::parse_canonical(&body).and_then(|e| Ok((Amendment::from_content(&e.content)?, e.id)));
            match parsed {
                Ok((a, id)) => {
                    if let Some(r) = &a.superseded_by {
                        plan.replaces.insert(r.clone(), a.target.clone());
                    }
                    plan.amendment_seqs.insert(seq);
                    plan.effects.entry(a.target.clone()).or_default().push(AmendInfo { seq, id, a });
                }
                Err(why) => problems.push(format!("amendment {seq}: {why}")),
            }
        }
    }

    // Pass B: every entry in order.
    let mut doc = Doc::new(opts.format);
    let mut frontier = Frontier::new();
    let mut prev: Hash = [0; 32];
    let mut next = 0u64;
    let mut genesis: Option<(Entry, Hash)> = None;
    let mut chain_leaves: HashMap<String, (Hash, u64)> = HashMap::new();
    let mut newest_ts = String::new();
    {
        let mut stmt = tx.prepare("SELECT seq, body FROM entries WHERE seq < ?1 ORDER BY seq")?;
        let mut rows = stmt.query([size])?;
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
        let plan = &plan;
        std::thread::scope(|scope| -> Result<()> {
            let mut to = Vec::new();
            let mut from = Vec::new();
            for _ in 0..workers {
                let (tx_b, rx_b) = sync_channel::<Vec<(u64, Vec<u8>)>>(2);
                let (tx_r, rx_r) = sync_channel::<Vec<Item>>(2);
                scope.spawn(move || {
                    for batch in rx_b {
                        let items = batch.into_iter().map(|(seq, body)| render_item(plan, seq, &body)).collect();
                        if tx_r.send(items).is_err() {
                            break;
                        }
                    }
                });
                to.push(tx_b);
                from.push(rx_r);
            }
            fn died<T>(_: T) -> Error {
                Error::env("a reader worker thread stopped unexpectedly")
            }
            let (mut sent, mut received) = (0usize, 0usize);
            let mut batch = Vec::with_capacity(512);
            let mut place = |items: Vec<Item>| {
                for item in items {
                    if item.seq != next {
                        problems.push(format!("entry {next} is missing"));
                        next = item.seq;
                    }
                    next += 1;
                    let Some(head) = item.head else {
                        problems.push(format!("entry {}: {}", item.seq, item.problem.unwrap_or_default()));
                        continue;
                    };
                    if head.prev != prev {
                        problems.push(format!("entry {}: the chain is broken before it", item.seq));
                    }
                    prev = head.leaf;
                    frontier.push(head.leaf, |_, _, _| {});
                    newest_ts.clone_from(&head.ts);
                    match item.body {
                        Body::Genesis(e) => genesis = Some((*e, head.leaf)),
                        Body::Amendment => {
                            if !plan.amendment_seqs.contains(&item.seq) {
                                problems.push(format!("amendment {} is missing from the amendment index", item.seq));
                            }
                        }
                        Body::Skip => {}
                        Body::ChainMember { section } => {
                            chain_leaves.insert(head.id.clone(), (head.leaf, item.seq));
                            if let Some(section) = section {
                                doc.reserve(&section, &head.id);
                            }
                        }
                        Body::Paragraph { section, rendered, withdrawn } => {
                            if withdrawn {
                                doc.withdrawn.push(rendered);
                            } else {
                                doc.push(&section, rendered);
                            }
                            doc.paragraphs += 1;
                        }
                    }
                }
                progress(next, size);
            };
            loop {
                let row = rows.next()?;
                let more = row.is_some();
                if let Some(row) = row {
                    batch.push((row.get::<_, u64>(0)?, row.get::<_, Vec<u8>>(1)?));
                }
                if batch.len() == 512 || (!more && !batch.is_empty()) {
                    if sent - received == 2 * workers {
                        place(from[received % workers].recv().map_err(died)?);
                        received += 1;
                    }
                    to[sent % workers].send(std::mem::take(&mut batch)).map_err(died)?;
                    sent += 1;
                }
                if !more {
                    break;
                }
            }
            while received < sent {
                place(from[received % workers].recv().map_err(died)?);
                received += 1;
            }
            Ok(())
        })?;
    }
    progress(next, size);
    if next != size {
        problems.push(format!("the ledger holds {next} entries below checkpoint {size}"));
    }
    let root = frontier.root();
    if root != cp.root {
        problems.push(format!("the entries do not hash to the root of checkpoint {size}: the ledger was changed"));
    }
    if plan.amendment_seqs.iter().any(|s| *s >= next) {
        problems.push("the amendment index names entries that do not exist".into());
    }
    // Supersession chains, resolved now that every member was seen.
    resolve_chains(&tx, &plan, &mut doc, &chain_leaves, &mut problems)?;

    let problem = (!problems.is_empty()).then(|| problems.join("; "));
    if let (Some(p), false) = (&problem, opts.force) {
        return Err(Error::invalid(format!("the ledger fails verification: {p}"))
            .hint("run 'echoctl ledger verify'; --force compiles an edition marked unverified"));
    }
    let genesis_info = genesis.as_ref().map(|(e, _)| e).and_then(|e| Genesis::from_entry(e).ok());
    let header = Header {
        origin: genesis_info.as_ref().map_or(ledger.genesis.origin.clone(), |g| g.origin.clone()),
        keys: genesis_info.map(|g| g.keys.iter().map(|k| k.to_string()).collect()).unwrap_or_default(),
        size,
        root,
        as_of: newest_ts,
        problem: problem.clone(),
        signature_verified,
        kinds: opts.kinds.clone(),
    };
    let paragraphs = doc.paragraphs;
    let text = doc.finish(&header);
    Ok(Edition { text, size, root, problem, paragraphs })
}

fn source_checkpoint(conn: &rusqlite::Connection, at: Option<u64>) -> Result<(u64, String)> {
    let row: Option<(u64, String)> = match at {
        Some(size) => conn
            .query_row("SELECT size, note FROM checkpoints WHERE size = ?1", [size], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?,
        None => conn
            .query_row("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?,
    };
    row.ok_or_else(|| match at {
        Some(size) => {
            let near: Vec<String> = conn
                .prepare("SELECT size FROM checkpoints ORDER BY abs(size - ?1) LIMIT 5")
                .and_then(|mut s| s.query_map([size], |r| r.get::<_, u64>(0))?.collect::<Result<Vec<u64>, _>>())
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.to_string())
                .collect();
            Error::input(format!("there is no checkpoint of size {size}"))
                .hint(format!("--at takes a checkpoint size; the nearest are: {}", near.join(", ")))
        }
        None => Error::env("the ledger has no checkpoint").hint("run 'echoctl ledger verify'"),
    })
}

/// One entry after the worker's pass.
struct Item {
    seq: u64,
    head: Option<Head>,
    problem: Option<String>,
    body: Body,
}

struct Head {
    id: String,
    ts: String,
    prev: Hash,
    leaf: Hash,
}

enum Body {
    Genesis(Box<Entry>),
    Amendment,
    /// Filtered out by --kind.
    Skip,
    /// Superseded, or a replacement: rendered when its chain is resolved. `section` is
    /// set for the chain's first entry, whose place the chain's final entry takes.
    ChainMember { section: Option<String> },
    Paragraph { section: String, rendered: Rendered, withdrawn: bool },
}

/// A rendered paragraph and, for JSON, its `traceMap` member (`"p-…":[ids]`).
struct Rendered {
    text: String,
    trace: String,
}

fn render_item(plan: &Plan, seq: u64, body: &[u8]) -> Item {
    let leaf = merkle::leaf_hash(body);
    let e = match Entry::parse_canonical(body) {
        Ok(e) => e,
        Err(why) => return Item { seq, head: None, problem: Some(why), body: Body::Skip },
    };
    let head = Head { id: e.id.clone(), ts: e.ts.clone(), prev: e.prev, leaf };
    if e.seq != seq {
        return Item { seq, head: None, problem: Some(format!("entry says it is entry {}", e.seq)), body: Body::Skip };
    }
    let body = match e.kind.as_str() {
        KIND_GENESIS => Body::Genesis(Box::new(e)),
        KIND_AMENDMENT => Body::Amendment,
        kind if !plan.wanted(kind) => Body::Skip,
        _ if plan.superseded(&e.id).is_some() || plan.replaces.contains_key(&e.id) => {
            let first = !plan.replaces.contains_key(&e.id);
            Body::ChainMember { section: first.then(|| section_of(&e)) }
        }
        _ => {
            let withdrawn = plan.withdrawn(&e.id).is_some();
            let mut p = Paragraph::new(&e, &leaf);
            p.apply(plan.effects.get(&e.id).map(Vec::as_slice).unwrap_or(&[]));
            Body::Paragraph { section: section_of(&e), rendered: p.render(plan.format), withdrawn }
        }
    };
    Item { seq, head: Some(head), problem: None, body }
}

/// The section an entry belongs to: its `content.section`, else its kind.
fn section_of(e: &Entry) -> String {
    match e.content.get("section").and_then(Value::as_str).filter(|s| !s.trim().is_empty()) {
        Some(s) => format!("section:{s}"),
        None => format!("kind:{}", e.kind),
    }
}

fn resolve_chains(
    conn: &rusqlite::Connection,
    plan: &Plan,
    doc: &mut Doc,
    leaves: &HashMap<String, (Hash, u64)>,
    problems: &mut Vec<String>,
) -> Result<()> {
    let roots: Vec<String> = doc.reserved.keys().cloned().collect();
    for root in roots {
        // Walk root -> replacement -> ... to the entry that stands now.
        let mut chain = vec![root.clone()];
        let mut via = Vec::new();
        while let Some(s) = plan.superseded(chain.last().map(String::as_str).unwrap_or_default()) {
            let next = s.a.superseded_by.clone().unwrap_or_default();
            if chain.contains(&next) || chain.len() > 10_000 {
                problems.push(format!("supersession cycle at {next}"));
                break;
            }
            via.push(s.clone());
            chain.push(next);
        }
        let last = chain.last().cloned().unwrap_or_default();
        let Some((leaf, seq)) = leaves.get(&last).copied() else {
            problems.push(format!("replacement {last} of {root} is missing"));
            continue;
        };
        let body: Vec<u8> = conn.query_row("SELECT body FROM entries WHERE seq = ?1", params![seq], |r| r.get(0))?;
        if merkle::leaf_hash(&body) != leaf {
            problems.push(format!("entry {seq} changed while the edition was compiled"));
            continue;
        }
        let e = match Entry::parse_canonical(&body) {
            Ok(e) => e,
            Err(why) => {
                problems.push(why);
                continue;
            }
        };
        let mut p = Paragraph::new(&e, &leaf);
        for (member, s) in chain.iter().zip(&via) {
            let member_leaf = leaves.get(member).map(|(l, _)| *l).unwrap_or([0; 32]);
            p.supersedes.push((member.clone(), hex(&member_leaf), s.clone()));
        }
        p.apply(plan.effects.get(&last).map(Vec::as_slice).unwrap_or(&[]));
        let withdrawn = plan.withdrawn(&last).is_some();
        let rendered = p.render(plan.format);
        if withdrawn {
            doc.withdrawn.push(rendered);
            doc.unreserve(&root);
        } else {
            doc.fill(&root, rendered);
        }
        doc.paragraphs += 1;
    }
    Ok(())
}

/// One paragraph: the entry that stands, and what shaped it.
struct Paragraph {
    id: String,
    entry: String,
    leaf: String,
    kind: String,
    ts: String,
    source: String,
    content: Map<String, Value>,
    /// (superseded entry id, its leaf hash hex, the supersession), oldest first.
    supersedes: Vec<(String, String, AmendInfo)>,
    corrections: Vec<AmendInfo>,
    clarifications: Vec<AmendInfo>,
    withdrawal: Option<AmendInfo>,
}

impl Paragraph {
    fn new(e: &Entry, leaf: &Hash) -> Self {
        Paragraph {
            id: String::new(),
            entry: e.id.clone(),
            leaf: hex(leaf),
            kind: e.kind.clone(),
            ts: e.ts.clone(),
            source: e.source.clone(),
            content: e.content.clone(),
            supersedes: Vec::new(),
            corrections: Vec::new(),
            clarifications: Vec::new(),
            withdrawal: None,
        }
    }

    /// Applies the amendments of the standing entry, in seq order.
    fn apply(&mut self, effects: &[AmendInfo]) {
        for x in effects {
            match x.a.kind {
                AmendmentType::Correction => {
                    if let Some(c) = &x.a.content {
                        self.content = c.clone();
                    }
                    self.corrections.push(x.clone());
                }
                AmendmentType::Clarification => self.clarifications.push(x.clone()),
                AmendmentType::Withdrawal => self.withdrawal = Some(x.clone()),
                AmendmentType::Supersession => {}
            }
        }
        // The paragraph is named after the first entry of its chain.
        self.id = format!("p-{}", self.supersedes.first().map_or(&self.entry, |(id, _, _)| id));
    }

    /// Every entry id that shaped this paragraph, in ledger order.
    fn trace(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        ids.extend(self.supersedes.iter().flat_map(|(id, _, s)| [id.clone(), s.id.clone()]));
        ids.push(self.entry.clone());
        let mut later: Vec<&AmendInfo> = self.corrections.iter().chain(&self.clarifications).chain(&self.withdrawal).collect();
        later.sort_by_key(|x| x.seq);
        ids.extend(later.into_iter().map(|x| x.id.clone()));
        ids
    }

    fn render(&self, format: Format) -> Rendered {
        match format {
            Format::Json => Rendered {
                text: self.render_json(),
                trace: format!("{}:{}", json!(self.id), json!(self.trace())),
            },
            Format::Markdown => Rendered { text: self.render_md(), trace: String::new() },
            Format::Html => Rendered { text: self.render_html(), trace: String::new() },
        }
    }

    fn render_json(&self) -> String {
        let (prose, fields) = split_content(&self.content);
        let object = |fields: Vec<(String, String)>| -> Map<String, Value> {
            fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect()
        };
        let amend = |x: &AmendInfo| {
            let (text, fields) = x.a.content.as_ref().map(split_content).unwrap_or_default();
            json!({"id": x.id, "type": x.a.kind.as_str(), "reason": x.a.reason, "text": text, "fields": object(fields)})
        };
        let fields = object(fields);
        let v = json!({
            "id": self.id, "entry": self.entry, "leaf": self.leaf, "kind": self.kind, "ts": self.ts,
            "source": self.source, "text": prose, "fields": fields,
            "supersedes": self.supersedes.iter().map(|(id, leaf, s)| json!({"entry": id, "leaf": leaf, "amendment": s.id, "reason": s.a.reason})).collect::<Vec<_>>(),
            "corrections": self.corrections.iter().map(amend).collect::<Vec<_>>(),
            "clarifications": self.clarifications.iter().map(amend).collect::<Vec<_>>(),
            "withdrawal": self.withdrawal.as_ref().map(amend),
            "trace": self.trace(),
        });
        v.to_string()
    }

    fn render_md(&self) -> String {
        let (prose, fields) = split_content(&self.content);
        let mut s = String::new();
        let _ = writeln!(s, "<a id=\"e-{}\"></a>", self.entry);
        for (id, _, sup) in &self.supersedes {
            let _ = writeln!(s, "<a id=\"e-{id}\"></a><a id=\"e-{}\"></a>", sup.id);
        }
        let _ = writeln!(s, "**{}** · {} · {}\n", md_escape(&self.kind), self.ts, md_escape(&self.source));
        if let Some(p) = &prose {
            let _ = writeln!(s, "{}\n", md_escape(p));
        }
        for (k, v) in &fields {
            let _ = writeln!(s, "- {}: {}", md_escape(k), md_escape(v));
        }
        if !fields.is_empty() {
            s.push('\n');
        }
        for x in &self.corrections {
            let _ = writeln!(s, "<a id=\"e-{}\"></a>*Corrected* by [{}](#e-{}): {}\n", x.id, x.id, x.id, md_escape(&x.a.reason));
        }
        for (id, _, sup) in &self.supersedes {
            let _ = writeln!(s, "*Supersedes* [{id}](#e-{id}) by [{}](#e-{}): {}\n", sup.id, sup.id, md_escape(&sup.a.reason));
        }
        for x in &self.clarifications {
            let _ = write!(s, "> <a id=\"e-{}\"></a>**Clarification** ([{}](#e-{})): {}", x.id, x.id, x.id, md_escape(&x.a.reason));
            if let Some(c) = &x.a.content {
                let (text, fields) = split_content(c);
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
            let _ = writeln!(s, "<a id=\"e-{}\"></a>*Withdrawn* by [{}](#e-{}): {}\n", x.id, x.id, x.id, md_escape(&x.a.reason));
        }
        let links: Vec<String> = self.trace().iter().map(|id| format!("[{id}](#e-{id})")).collect();
        let _ = writeln!(s, "<sub>Trace {}: {} · leaf `{}`</sub>\n", self.id, links.join(" · "), self.leaf);
        s
    }

    fn render_html(&self) -> String {
        let (prose, fields) = split_content(&self.content);
        let mut s = String::new();
        let _ = write!(s, "<article id=\"{}\"><a id=\"e-{}\"></a>", self.id, self.entry);
        for (id, _, sup) in &self.supersedes {
            let _ = write!(s, "<a id=\"e-{id}\"></a><a id=\"e-{}\"></a>", sup.id);
        }
        let _ = writeln!(s, "<p class=\"meta\">{} · {} · {}</p>", h(&self.kind), h(&self.ts), h(&self.source));
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
            let _ = writeln!(s, "<p class=\"amend\" id=\"e-{}\"><em>Corrected</em> by {}: {}</p>", x.id, link(&x.id), h(&x.a.reason));
        }
        for (id, _, sup) in &self.supersedes {
            let _ = writeln!(s, "<p class=\"amend\" id=\"e-{}\"><em>Supersedes</em> {} by {}: {}</p>", sup.id, link(id), link(&sup.id), h(&sup.a.reason));
        }
        for x in &self.clarifications {
            let _ = write!(s, "<blockquote id=\"e-{}\"><strong>Clarification</strong> ({}): {}", x.id, link(&x.id), h(&x.a.reason));
            if let Some(c) = &x.a.content {
                let (text, fields) = split_content(c);
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
            let _ = writeln!(s, "<p class=\"amend\" id=\"e-{}\"><em>Withdrawn</em> by {}: {}</p>", x.id, link(&x.id), h(&x.a.reason));
        }
        let links: Vec<String> = self.trace().iter().map(|id| link(id)).collect();
        let _ = writeln!(s, "<p class=\"trace\">Trace {}: {} · leaf <code>{}</code></p></article>", self.id, links.join(" · "), self.leaf);
        s
    }
}

/// The rendering rule: the first of `text`, `claim`, `summary` that is a string is prose;
/// every other key except `section` becomes `key: value` (strings as they are, anything
/// else as canonical JSON), in canonical key order.
pub fn split_content(content: &Map<String, Value>) -> (Option<String>, Vec<(String, String)>) {
    let prose_key = PROSE_KEYS.iter().find(|k| content.get(**k).is_some_and(Value::is_string)).copied();
    let prose = prose_key.and_then(|k| content.get(k)).and_then(Value::as_str).map(str::to_owned);
    let mut keys: Vec<&String> = content.keys().filter(|k| Some(k.as_str()) != prose_key && *k != "section").collect();
    keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    let fields = keys
        .into_iter()
        .map(|k| {
            let v = match &content[k.as_str()] {
                Value::String(s) => s.clone(),
                other => String::from_utf8(super::canon::to_canonical(other)).unwrap_or_default(),
            };
            (k.clone(), v)
        })
        .collect();
    (prose, fields)
}

fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("  \n"),
            _ => out.push(c),
        }
    }
    out
}

fn h(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
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

/// The document being assembled: rendered paragraphs per section, in order.
struct Doc {
    format: Format,
    /// Section keys in order of first appearance.
    order: Vec<String>,
    sections: HashMap<String, Vec<Option<Rendered>>>,
    /// Chain roots: (section, slot index).
    reserved: HashMap<String, (String, usize)>,
    withdrawn: Vec<Rendered>,
    paragraphs: u64,
}

impl Doc {
    fn new(format: Format) -> Self {
        Doc { format, order: Vec::new(), sections: HashMap::new(), reserved: HashMap::new(), withdrawn: Vec::new(), paragraphs: 0 }
    }

    fn slots(&mut self, section: &str) -> &mut Vec<Option<Rendered>> {
        if !self.sections.contains_key(section) {
            self.order.push(section.to_owned());
        }
        self.sections.entry(section.to_owned()).or_default()
    }

    fn push(&mut self, section: &str, rendered: Rendered) {
        self.slots(section).push(Some(rendered));
    }

    fn reserve(&mut self, section: &str, root: &str) {
        let slots = self.slots(section);
        slots.push(None);
        let at = slots.len() - 1;
        self.reserved.insert(root.to_owned(), (section.to_owned(), at));
    }

    fn fill(&mut self, root: &str, rendered: Rendered) {
        if let Some((section, at)) = self.reserved.get(root).cloned() {
            if let Some(slot) = self.sections.get_mut(&section).and_then(|s| s.get_mut(at)) {
                *slot = Some(rendered);
            }
        }
    }

    fn unreserve(&mut self, root: &str) {
        self.reserved.remove(root);
    }

    /// Section keys in the documented order: named sections by first appearance, then
    /// kinds in KIND_ORDER.
    fn ordered_sections(&self) -> Vec<String> {
        let mut out: Vec<String> = self.order.iter().filter(|k| k.starts_with("section:")).cloned().collect();
        for kind in KIND_ORDER {
            let key = format!("kind:{kind}");
            if self.sections.contains_key(&key) {
                out.push(key);
            }
        }
        out
    }

    fn finish(self, hd: &Header) -> String {
        match self.format {
            Format::Json => self.finish_json(hd),
            Format::Markdown => self.finish_md(hd),
            Format::Html => self.finish_html(hd),
        }
    }

    fn title(key: &str) -> String {
        match key.split_once(':') {
            Some(("section", name)) => name.to_owned(),
            Some(("kind", kind)) => {
                let mut t = kind.to_owned();
                if let Some(first) = t.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                format!("{t}s")
            }
            _ => key.to_owned(),
        }
    }

    fn anchor(key: &str) -> String {
        let slug: String = key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
            .collect();
        format!("s-{slug}")
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

    fn finish_md(self, hd: &Header) -> String {
        let mut s = String::new();
        if let Some(p) = &hd.problem {
            let _ = writeln!(s, "**UNVERIFIED EDITION**: {}\n", md_escape(p));
        }
        let _ = writeln!(s, "# Reader Edition: {}\n", md_escape(&hd.origin));
        let _ = writeln!(s, "{}\n", md_escape(&Self::status_line(hd)));
        let _ = writeln!(s, "As of {}. Signing keys: {}.", hd.as_of, hd.keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "));
        if !hd.kinds.is_empty() {
            let _ = writeln!(s, "Kinds shown: {}.", hd.kinds.join(", "));
        }
        s.push('\n');
        for key in self.ordered_sections() {
            let _ = writeln!(s, "<a id=\"{}\"></a>\n## {}\n", Self::anchor(&key), md_escape(&Self::title(&key)));
            for p in self.sections[&key].iter().flatten() {
                s.push_str(&p.text);
            }
        }
        if !self.withdrawn.is_empty() {
            s.push_str("<a id=\"s-withdrawn\"></a>\n## Withdrawn\n\n");
            for p in &self.withdrawn {
                s.push_str(&p.text);
            }
        }
        s
    }

    fn finish_html(self, hd: &Header) -> String {
        let mut s = String::new();
        if let Some(p) = &hd.problem {
            let _ = writeln!(s, "<!-- UNVERIFIED EDITION: {} -->", h(p).replace("--", "- -"));
        }
        let _ = writeln!(s, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        let _ = writeln!(s, "<title>Reader Edition: {}</title>", h(&hd.origin));
        s.push_str("<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}\
            article{border-left:3px solid #ddd;padding-left:1rem;margin:1.5rem 0}.meta,.trace{color:#666;font-size:.85rem}\
            .amend{font-size:.9rem}blockquote{margin:.5rem 0;padding-left:.75rem;border-left:3px solid #9ab}\
            .unverified{background:#fdd;border:1px solid #c00;padding:.5rem}dt{font-weight:600}dd{margin:0 0 .25rem 1rem}\
            code{font-size:.8rem;word-break:break-all}</style>\n</head><body>\n");
        if let Some(p) = &hd.problem {
            let _ = writeln!(s, "<p class=\"unverified\"><strong>UNVERIFIED EDITION</strong>: {}</p>", h(p));
        }
        let _ = writeln!(s, "<h1>Reader Edition: {}</h1>", h(&hd.origin));
        let _ = writeln!(s, "<p>{}</p>", h(&Self::status_line(hd)));
        let _ = writeln!(s, "<p>As of {}. Signing keys: {}.</p>", h(&hd.as_of), hd.keys.iter().map(|k| format!("<code>{}</code>", h(k))).collect::<Vec<_>>().join(", "));
        let sections = self.ordered_sections();
        s.push_str("<nav><ul>");
        for key in &sections {
            let _ = write!(s, "<li><a href=\"#{}\">{}</a></li>", Self::anchor(key), h(&Self::title(key)));
        }
        if !self.withdrawn.is_empty() {
            s.push_str("<li><a href=\"#s-withdrawn\">Withdrawn</a></li>");
        }
        s.push_str("</ul></nav>\n");
        for key in &sections {
            let _ = writeln!(s, "<section id=\"{}\"><h2>{}</h2>", Self::anchor(key), h(&Self::title(key)));
            for p in self.sections[key].iter().flatten() {
                s.push_str(&p.text);
            }
            s.push_str("</section>\n");
        }
        if !self.withdrawn.is_empty() {
            s.push_str("<section id=\"s-withdrawn\"><h2>Withdrawn</h2>\n");
            for p in &self.withdrawn {
                s.push_str(&p.text);
            }
            s.push_str("</section>\n");
        }
        s.push_str("</body></html>\n");
        s
    }

    fn finish_json(self, hd: &Header) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "{{\"version\":1,\"format\":\"echoctl-reader/v1\",\"verified\":{},\"problem\":{},\"origin\":{},\"keys\":{},\"compiledAt\":{},\"source\":{},\"kinds\":{},\"sections\":[",
            hd.problem.is_none(),
            json!(hd.problem),
            json!(hd.origin),
            json!(hd.keys),
            json!(hd.as_of),
            json!({"size": hd.size, "root": B64.encode(hd.root), "signatureVerified": hd.signature_verified}),
            json!(hd.kinds),
        );
        let mut trace = String::new();
        let mut add = |p: &Rendered, s: &mut String, first: bool| {
            if !first {
                s.push(',');
            }
            s.push_str(&p.text);
            if !trace.is_empty() {
                trace.push(',');
            }
            trace.push_str(&p.trace);
        };
        for (i, key) in self.ordered_sections().iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(s, "{sep}{{\"id\":{},\"title\":{},\"paragraphs\":[", json!(Self::anchor(key)), json!(Self::title(key)));
            for (j, p) in self.sections[key].iter().flatten().enumerate() {
                add(p, &mut s, j == 0);
            }
            s.push_str("]}");
        }
        s.push_str("],\"withdrawn\":[");
        for (j, p) in self.withdrawn.iter().enumerate() {
            add(p, &mut s, j == 0);
        }
        let _ = writeln!(s, "],\"traceMap\":{{{trace}}}}}");
        s
    }
}
