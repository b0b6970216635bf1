//! One paragraph of the edition: the entry that stands now and everything that shaped it
//! (supersessions, corrections, clarifications, a withdrawal, the entries that ordered
//! them), the one model that the Markdown, HTML and JSON renderers write.

use super::json::ViewKey;
use super::plan::{AmendInfo, OrderInfo};
use super::{Format, PROSE_KEYS};
use crate::ledger::amend::AmendmentType;
use crate::ledger::entry::view::{raw_str, Cursor, View};
use crate::ledger::ids::{ulid_value, UlidMap};
use crate::ledger::merkle::Hash;
use std::borrow::Cow;

/// The content a paragraph shows: the entry's own (raw), or a correction's.
#[derive(Clone, Copy)]
pub(super) enum Content<'a> {
    Raw(&'a [(Cow<'a, str>, &'a str)]),
    /// An amendment's content: a canonical JSON object's text.
    Object(&'a str),
}

/// A hash as 64 lower-case hex digits, without an allocation.
pub(super) struct HexHash([u8; 64]);

impl HexHash {
    pub fn new(h: &Hash) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (pair, b) in out.chunks_exact_mut(2).zip(h) {
            pair[0] = HEX[(b >> 4) as usize];
            pair[1] = HEX[(b & 0xf) as usize];
        }
        HexHash(out)
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits were written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// One paragraph: the entry that stands, and what shaped it.
pub(super) struct Paragraph<'p> {
    pub entry: &'p str,
    pub leaf: HexHash,
    pub kind: &'p str,
    pub ts: &'p str,
    pub source: &'p str,
    pub content: Content<'p>,
    /// (superseded entry id, its leaf hash hex, the supersession), oldest first.
    pub supersedes: Vec<(String, String, &'p AmendInfo)>,
    pub corrections: Vec<&'p AmendInfo>,
    pub clarifications: Vec<&'p AmendInfo>,
    pub withdrawal: Option<&'p AmendInfo>,
    /// The entries that ordered any of the amendments above, by seq.
    pub orders: Vec<&'p OrderInfo>,
}

impl<'p> Paragraph<'p> {
    pub fn new(e: &'p View<'p>, leaf: &Hash) -> Self {
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
            orders: Vec::new(),
        }
    }

    /// Records the entries that ordered this paragraph's amendments.
    pub fn note_orders(&mut self, orders: &'p UlidMap<u128, OrderInfo>) {
        if orders.is_empty() {
            return;
        }
        let amendments = self
            .corrections
            .iter()
            .chain(&self.clarifications)
            .chain(&self.withdrawal)
            .copied()
            .chain(self.supersedes.iter().map(|(_, _, s)| *s));
        for x in amendments {
            if let Some(r) =
                x.a.ordered_by
                    .as_deref()
                    .and_then(ulid_value)
                    .and_then(|id| orders.get(&id))
            {
                if !self.orders.iter().any(|known| known.id == r.id) {
                    self.orders.push(r);
                }
            }
        }
        self.orders.sort_by_key(|r| r.seq);
    }

    /// Applies the amendments of the standing entry, in seq order.
    pub fn apply(&mut self, effects: &'p [AmendInfo]) {
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
    pub fn first_entry(&self) -> &str {
        self.supersedes
            .first()
            .map_or(self.entry, |(id, _, _)| id.as_str())
    }

    /// Nothing amended it.
    pub fn plain(&self) -> bool {
        self.supersedes.is_empty()
            && self.corrections.is_empty()
            && self.clarifications.is_empty()
            && self.withdrawal.is_none()
    }

    /// Every entry id that shaped this paragraph, in ledger order.
    pub fn trace_ids(&self) -> Vec<&str> {
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
        ids.extend(self.orders.iter().map(|r| r.id.as_str()));
        ids
    }

    pub fn trace(&self) -> Vec<String> {
        self.trace_ids().into_iter().map(str::to_owned).collect()
    }

    /// Appends the rendered paragraph to `text` and, for JSON, its `traceMap` member to
    /// `trace`.
    pub fn render_into(&self, format: Format, views: &[ViewKey], text: &mut String, trace: &mut String) {
        match format {
            Format::Json => {
                self.render_json(text, views);
                trace.push_str("\"p-");
                super::json::str_body(trace, self.first_entry());
                trace.push_str("\":");
                self.json_trace(trace);
            }
            Format::Markdown => self.render_md(text),
            Format::Html => self.render_html(text),
        }
    }
}

/// `key: value` pairs of a paragraph, in canonical key order.
pub(super) type Fields<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// The rendering rule: the first of `text`, `claim`, `summary` that is a string is prose;
/// every other key except `section` becomes `key: value` (strings as they are, anything
/// else as canonical JSON), in canonical key order.
pub(super) fn split_content(content: Content<'_>) -> (Option<Cow<'_, str>>, Fields<'_>) {
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
