//! The JSON edition (`echoctl-reader/v1`), written directly: byte for byte the layout
//! `serde_json` gives the same objects built as `Value`s (keys in byte order, its string
//! escapes, null for none), without building one per paragraph.

use super::document::{Doc, Header};
use super::paragraph::{split_content, Content, Fields, Paragraph};
use super::plan::{AmendInfo, OrderInfo};
use crate::ledger::amend::ORDER_FIELD;
use crate::ledger::kinds::OrderLabels;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// A paragraph's keys, in byte order; the order views' keys go between them.
const PARAGRAPH_KEYS: [&str; 13] = [
    "clarifications",
    "corrections",
    "entry",
    "fields",
    "id",
    "kind",
    "leaf",
    "source",
    "supersedes",
    "text",
    "trace",
    "ts",
    "withdrawal",
];

/// Where an order view's key stands among a paragraph's keys.
#[derive(Clone, Debug)]
pub(super) struct ViewKey {
    /// It is written before `PARAGRAPH_KEYS[pos]` (after the last one when 13).
    pub pos: usize,
    pub key: String,
    pub labels: &'static OrderLabels,
}

/// The JSON key of an order view: its plural, lower case ("rulings").
pub(super) fn view_key(labels: &OrderLabels) -> String {
    labels.plural.to_lowercase()
}

pub(super) fn view_keys(views: &[&'static OrderLabels]) -> Vec<ViewKey> {
    views
        .iter()
        .map(|labels| {
            let key = view_key(labels);
            let pos = PARAGRAPH_KEYS
                .iter()
                .position(|k| **k > *key)
                .unwrap_or(PARAGRAPH_KEYS.len());
            ViewKey { pos, key, labels }
        })
        .collect()
}

impl Paragraph<'_> {
    pub(super) fn render_json(&self, s: &mut String, views: &[ViewKey]) {
        let (prose, fields) = split_content(self.content);
        let mut first = true;
        let mut key = |s: &mut String, i: usize| {
            for v in views.iter().filter(|v| v.pos == i) {
                s.push_str(if first { "{\"" } else { ",\"" });
                first = false;
                str_body(s, &v.key);
                s.push_str("\":");
                let mine: Vec<&OrderInfo> = self
                    .orders
                    .iter()
                    .copied()
                    .filter(|o| std::ptr::eq(o.labels, v.labels))
                    .collect();
                list(s, &mine, |s, o| order_in_paragraph(s, o));
            }
            if let Some(k) = PARAGRAPH_KEYS.get(i) {
                s.push_str(if first { "{\"" } else { ",\"" });
                first = false;
                s.push_str(k);
                s.push_str("\":");
            }
        };
        key(s, 0);
        list(s, &self.clarifications, |s, x| amend(s, x));
        key(s, 1);
        list(s, &self.corrections, |s, x| amend(s, x));
        key(s, 2);
        string(s, self.entry);
        key(s, 3);
        object(s, fields);
        key(s, 4);
        s.push_str("\"p-");
        str_body(s, self.first_entry());
        s.push('"');
        key(s, 5);
        string(s, self.kind);
        key(s, 6);
        s.push('"');
        s.push_str(self.leaf.as_str());
        s.push('"');
        key(s, 7);
        string(s, self.source);
        key(s, 8);
        list(s, &self.supersedes, |s, (id, leaf, sup)| {
            s.push_str("{\"amendment\":");
            string(s, &sup.id);
            s.push_str(",\"entry\":");
            string(s, id);
            s.push_str(",\"leaf\":");
            string(s, leaf);
            s.push_str(",\"reason\":");
            string(s, &sup.a.reason);
            s.push('}');
        });
        key(s, 9);
        opt(s, prose.as_deref());
        key(s, 10);
        self.json_trace(s);
        key(s, 11);
        string(s, self.ts);
        key(s, 12);
        match self.withdrawal {
            Some(x) => amend(s, x),
            None => s.push_str("null"),
        }
        key(s, 13);
        s.push('}');
    }

    /// The trace as a JSON array of ids.
    pub(super) fn json_trace(&self, s: &mut String) {
        if self.plain() {
            s.push('[');
            string(s, self.entry);
            s.push(']');
        } else {
            list(s, &self.trace_ids(), |s, id| string(s, id));
        }
    }
}

/// An ordering entry beside a paragraph: `{about, title, id}` in key order.
fn order_in_paragraph(s: &mut String, o: &OrderInfo) {
    let mut members = [
        (o.labels.about, o.note.about.as_str()),
        (o.labels.title_key, o.note.title.as_str()),
        ("id", o.id.as_str()),
    ];
    members.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (k, v)) in members.iter().enumerate() {
        s.push_str(if i == 0 { "{" } else { "," });
        string(s, k);
        s.push(':');
        string(s, v);
    }
    s.push('}');
}

/// Appends `text` as a JSON string, escaped as `serde_json` escapes it.
pub(super) fn string(out: &mut String, text: &str) {
    out.push('"');
    str_body(out, text);
    out.push('"');
}

/// `string` without the quotes.
pub(super) fn str_body(out: &mut String, text: &str) {
    if text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        let quoted = serde_json::to_string(text).unwrap_or_default();
        out.push_str(quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default());
    } else {
        out.push_str(text);
    }
}

fn opt(out: &mut String, text: Option<&str>) {
    match text {
        Some(t) => string(out, t),
        None => out.push_str("null"),
    }
}

/// A JSON array of `items`, each written by `each`.
fn list<T>(out: &mut String, items: &[T], mut each: impl FnMut(&mut String, &T)) {
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
fn object(out: &mut String, mut fields: Fields<'_>) {
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
        string(out, k);
        out.push(':');
        string(out, v);
    }
    out.push('}');
}

/// An amendment inside a JSON paragraph.
fn amend(out: &mut String, x: &AmendInfo) {
    let (text, fields) = x
        .content
        .as_deref()
        .map(|c| split_content(Content::Object(c)))
        .unwrap_or_default();
    out.push_str("{\"fields\":");
    object(out, fields);
    out.push_str(",\"id\":");
    string(out, &x.id);
    out.push_str(",\"reason\":");
    string(out, &x.a.reason);
    out.push_str(",\"");
    out.push_str(ORDER_FIELD);
    out.push_str("\":");
    opt(out, x.a.ordered_by.as_deref());
    out.push_str(",\"text\":");
    opt(out, text.as_deref());
    out.push_str(",\"type\":\"");
    out.push_str(x.a.kind.as_str());
    out.push_str("\"}");
}

/// The whole JSON document.
pub(super) fn write_document(doc: &Doc, hd: &Header, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let order = doc.ordered();
    let anchors = doc.anchors(&order);
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
        let title = doc.title(*i);
        write!(
            out,
            "{sep}{{\"id\":{},\"title\":{},\"paragraphs\":[",
            json!(anchor),
            json!(title)
        )?;
        doc.write_section(*i, out)?;
        out.write_all(b"]}")?;
    }
    out.write_all(b"],\"withdrawn\":[")?;
    doc.write_withdrawn(out)?;
    out.write_all(b"]")?;
    for labels in &doc.views {
        let notes: Vec<Value> = doc
            .orders
            .iter()
            .filter(|o| std::ptr::eq(o.labels, *labels))
            .map(|o| {
                let mut m = Map::new();
                m.insert("id".into(), Value::String(o.id.clone()));
                m.insert(labels.about.into(), Value::String(o.note.about.clone()));
                m.insert(labels.title_key.into(), Value::String(o.note.title.clone()));
                m.insert(labels.detail_key.into(), Value::String(o.note.detail.clone()));
                Value::Object(m)
            })
            .collect();
        write!(out, ",{}:{}", json!(view_key(labels)), Value::Array(notes))?;
    }
    writeln!(out, ",\"traceMap\":{{{}}}}}", doc.trace)
}

#[cfg(test)]
mod tests {
    use super::super::paragraph::{split_content, Content, Fields, Paragraph};
    use super::super::plan::{AmendInfo, OrderInfo};
    use super::super::Format;
    use super::view_keys;
    use crate::ledger::amend::{Amendment, AmendmentType};
    use crate::ledger::entry::view::View;
    use crate::ledger::ids::{ulid_value, UlidMap};
    use crate::ledger::kinds::{OrderLabels, OrderNote};
    use serde_json::{json, Map, Value};

    static LABELS: OrderLabels = OrderLabels {
        label: "Ruling",
        verb: "Ruled",
        plural: "Rulings",
        about: "case",
        title_key: "decision",
        detail_key: "reasoning",
    };

    /// The JSON paragraph is written by hand; it must be byte for byte what serde_json
    /// writes for the same object as a `Value` (sorted keys, its escapes, null for none).
    #[test]
    fn json_paragraphs_match_serde_json() {
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
        let amend = |seq: u64, kind, content: Option<&str>, order: Option<&str>| AmendInfo {
            seq,
            id: format!("01M3250V00E8WX6GWHPVJ7{seq:04}"),
            a: Amendment {
                kind,
                target: "01M3250V00E8WX6GWHPVJ74T21".into(),
                reason: "why \"so\"".into(),
                content: None,
                superseded_by: None,
                ordered_by: order.map(str::to_owned),
            },
            content: content.map(Box::from),
        };
        let order_id = "01M3250V00E8WX6GWHPVJ7RQWE";
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
                Some(order_id),
            ),
            amend(12, AmendmentType::Clarification, None, None),
            amend(13, AmendmentType::Withdrawal, None, Some(order_id)),
        ];
        let mut orders = UlidMap::default();
        orders.insert(
            ulid_value(order_id).unwrap(),
            OrderInfo {
                id: order_id.into(),
                seq: 9,
                labels: &LABELS,
                note: OrderNote {
                    about: "01M3250V00E8WX6GWHPVJ7CASE".into(),
                    title: "withdraw <it>".into(),
                    detail: String::new(),
                },
            },
        );
        let views = view_keys(&[&LABELS]);
        let leaf = [7u8; 32];
        for plain in [true, false] {
            let mut p = Paragraph::new(&view, &leaf);
            if !plain {
                p.supersedes
                    .push(("01M3250V00E8WX6GWHPVJ7QLD1".into(), "ab".repeat(32), &effects[0]));
                p.apply(&effects);
                p.note_orders(&orders);
            }
            let (mut text, mut trace) = (String::new(), String::new());
            p.render_into(Format::Json, &views, &mut text, &mut trace);

            // What the edition wrote before, through serde_json's Value.
            let object = |fields: Fields<'_>| -> Map<String, Value> {
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
                json!({"id": x.id, "type": x.a.kind.as_str(), "reason": x.a.reason, "text": text, "fields": object(fields), "ruling": x.a.ordered_by})
            };
            let (prose, fields) = split_content(p.content);
            let expected = json!({
                "id": format!("p-{}", p.first_entry()), "entry": p.entry, "leaf": p.leaf.as_str(), "kind": p.kind, "ts": p.ts,
                "source": p.source, "text": prose, "fields": object(fields),
                "supersedes": p.supersedes.iter().map(|(id, leaf, s)| json!({"entry": id, "leaf": leaf, "amendment": s.id, "reason": s.a.reason})).collect::<Vec<_>>(),
                "corrections": p.corrections.iter().map(am).collect::<Vec<_>>(),
                "clarifications": p.clarifications.iter().map(am).collect::<Vec<_>>(),
                "withdrawal": p.withdrawal.as_ref().map(am),
                "rulings": p.orders.iter().map(|r| json!({"id": r.id, "case": r.note.about, "decision": r.note.title})).collect::<Vec<_>>(),
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
}
