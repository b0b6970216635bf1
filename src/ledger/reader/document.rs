//! The document being assembled: rendered paragraphs per section in ledger order, slots
//! that supersession chains fill once resolved, and the appendices; written out without
//! copying the rendered text again.

use super::plan::OrderInfo;
use super::{Format, KIND_ORDER};
use crate::ledger::entry::view::{raw_str, View};
use crate::ledger::kinds::OrderLabels;
use crate::ledger::merkle::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use std::collections::{HashMap, HashSet};
use std::io::IoSlice;

/// Where a paragraph goes: a kind section or a named one (`content.section`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum SectionKey {
    Kind(&'static str),
    Named(String),
}

pub(super) fn section_of(e: &View) -> SectionKey {
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

/// What the document says about where it comes from.
pub(super) struct Header {
    pub origin: String,
    pub keys: Vec<String>,
    pub size: u64,
    pub root: Hash,
    pub as_of: String,
    pub problem: Option<String>,
    pub signature_verified: bool,
    pub kinds: Vec<String>,
}

/// Rendered text of a section: runs of paragraphs, and slots that supersession chains
/// fill once resolved.
pub(super) enum Chunk {
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
pub(super) struct Doc {
    format: Format,
    sections: Vec<SectionBuf>,
    index: HashMap<SectionKey, usize>,
    /// The section the last paragraph went to.
    last: Option<usize>,
    withdrawn: Vec<Chunk>,
    /// JSON `traceMap` members, comma-separated.
    pub trace: String,
    /// The workers' rendered batches, kept whole; spans point into them.
    buffers: Vec<String>,
    /// How each kind of ordering entry is named, by JSON key.
    pub views: Vec<&'static OrderLabels>,
    /// The ordering entries shown beside paragraphs, by seq, for the appendix that
    /// anchors them.
    pub orders: Vec<OrderInfo>,
    /// Chain roots with a reserved slot; filled (None: the chain ended withdrawn).
    pub reserved: HashMap<String, Option<String>>,
    pub paragraphs: u64,
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
    pub fn new(format: Format) -> Self {
        Doc {
            format,
            sections: Vec::new(),
            index: HashMap::new(),
            last: None,
            withdrawn: Vec::new(),
            trace: String::new(),
            buffers: Vec::new(),
            views: Vec::new(),
            orders: Vec::new(),
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

    pub fn keep(&mut self, text: String) -> usize {
        self.buffers.push(text);
        self.buffers.len() - 1
    }

    /// Adds a paragraph already rendered into a kept buffer. Markdown and HTML merge it
    /// with the previous span when it continues it; JSON keeps paragraphs apart for the
    /// commas between them.
    pub fn push_span(&mut self, key: SectionKey, span: Chunk, trace: &str) {
        let format = self.format;
        extend(self.section(key), format, span);
        self.add_trace(trace);
        self.paragraphs += 1;
    }

    pub fn push_withdrawn_span(&mut self, span: Chunk, trace: &str) {
        extend(&mut self.withdrawn, self.format, span);
        self.add_trace(trace);
        self.paragraphs += 1;
    }

    pub fn push_withdrawn(&mut self, text: &str, trace: &str) {
        append(&mut self.withdrawn, self.format, text);
        self.add_trace(trace);
        self.paragraphs += 1;
    }

    pub fn reserve(&mut self, key: SectionKey, root: &str) {
        self.section(key).push(Chunk::Slot(root.to_owned()));
        self.reserved.insert(root.to_owned(), None);
    }

    pub fn fill(&mut self, root: &str, rendered: Option<(String, String)>) {
        if let Some((text, trace)) = rendered {
            self.add_trace(&trace);
            self.paragraphs += 1;
            self.reserved.insert(root.to_owned(), Some(text));
        }
    }

    /// Section indices in the documented order: named sections by first appearance,
    /// then kinds in KIND_ORDER.
    pub fn ordered(&self) -> Vec<usize> {
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

    /// The title of section `i`.
    pub fn title(&self, i: usize) -> String {
        Self::key_title(&self.sections[i].key)
    }

    fn key_title(key: &SectionKey) -> String {
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
    pub fn anchors(&self, order: &[usize]) -> Vec<String> {
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

    pub fn status_line(hd: &Header) -> String {
        let root = B64.encode(hd.root);
        match &hd.problem {
            None => format!(
                "Compiled from checkpoint size {} (root {root}): its signature verified against the ledger's keys and the entries hash to its root.",
                hd.size
            ),
            Some(p) => format!("Compiled from checkpoint size {} (root {root}): NOT VERIFIED: {p}", hd.size),
        }
    }

    /// Writes the document.
    pub fn write_to(&self, hd: &Header, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        match self.format {
            Format::Markdown => super::md::write_document(self, hd, out),
            Format::Html => super::html::write_document(self, hd, out),
            Format::Json => super::json::write_document(self, hd, out),
        }
    }

    /// The ordering entries for the appendices, and the names of their kinds.
    pub fn set_orders(&mut self, views: Vec<&'static OrderLabels>, orders: Vec<OrderInfo>) {
        self.views = views;
        self.orders = orders;
    }

    pub fn write_section(&self, i: usize, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.write_pieces(&self.sections[i].chunks, out)
    }

    pub fn has_withdrawn(&self) -> bool {
        self.pieces(&self.withdrawn).next().is_some()
    }

    pub fn write_withdrawn(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.write_pieces(&self.withdrawn, out)
    }
}

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
