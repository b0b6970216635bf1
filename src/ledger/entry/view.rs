//! The borrowing view of an entry: what the Reader Edition renders from, read without
//! copying (strings borrowed from the stored bytes where they need no unescaping, content
//! values kept as their raw canonical JSON text). A fast scanner reads bytes in exactly
//! the canonical layout of format v1; anything else goes through serde, which also says
//! what is wrong with it. The strict parser a verifier applies is `Entry::parse_canonical`.

use super::parse_hash_hex;
use crate::ledger::merkle::Hash;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;

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
pub struct View<'a> {
    pub seq: u64,
    pub id: Cow<'a, str>,
    pub ts: Cow<'a, str>,
    pub kind: Cow<'a, str>,
    pub source: Cow<'a, str>,
    /// (key, raw JSON value) in stored (canonical) order.
    pub content: Vec<(Cow<'a, str>, &'a str)>,
    pub prev: Hash,
}

impl<'a> View<'a> {
    /// Reads an entry: the fast scanner for canonical bytes, serde for anything else.
    pub fn read(body: &'a [u8]) -> std::result::Result<Self, String> {
        if let Some(v) = scan(body) {
            return Ok(v);
        }
        let e: EntryView<'a> = serde_json::from_slice(body).map_err(|e| format!("not an entry: {e}"))?;
        let prev = parse_hash_hex(&e.prev).ok_or("prev is not a hash")?;
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

    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.content.iter().find(|(k, _)| k == key).map(|(_, raw)| *raw)
    }
}

/// A cursor over canonical entry bytes (already valid UTF-8). It only ever stops on
/// ASCII bytes, so its positions are always character boundaries.
pub struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(s: &'a str) -> Self {
        Cursor { s, i: 0 }
    }

    /// A JSON object in canonical layout: its members as (key, raw value).
    pub fn object(&mut self) -> Option<Vec<(Cow<'a, str>, &'a str)>> {
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
    pub fn whole_object(&mut self) -> Option<Vec<(Cow<'a, str>, &'a str)>> {
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
    let prev = parse_hash_hex(c.text()?.as_ref())?;
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

/// The string a raw JSON string value holds.
pub fn raw_str(text: &str) -> Option<Cow<'_, str>> {
    if !text.starts_with('"') || text.len() < 2 {
        return None;
    }
    if !text.contains('\\') {
        return Some(Cow::Borrowed(&text[1..text.len() - 1]));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}
