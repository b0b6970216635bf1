//! Pass A: the amendments below the checkpoint, read through the amendment index, and
//! the entries that ordered them (a court's rulings), as the feature owning each such
//! entry's kind describes it. What pass A learns — the plan — is shared read-only with
//! pass B's workers.

use super::{Format, Options};
use crate::ledger::amend::{Amendment, AmendmentType, Field};
use crate::ledger::entry::view::{raw_str, Cursor, View};
use crate::ledger::entry::Entry;
use crate::ledger::error::{LedgerError, Result};
use crate::ledger::ids::{ulid_value, UlidMap};
use crate::ledger::kinds::{Kinds, OrderLabels, OrderNote, Shown, KIND_AMENDMENT, KIND_GENESIS, USER_KINDS};
use crate::ledger::merkle::{self, Hash};
use crate::ledger::store::{Access, Reads};
use crate::ledger::Ledger;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// An amendment as the edition needs it.
#[derive(Clone, Debug)]
pub(super) struct AmendInfo {
    pub seq: u64,
    pub id: String,
    /// Its `content` is not kept here (always None): see `content`.
    pub a: Amendment,
    /// The amendment's content object as canonical JSON text, split into fields only
    /// when a paragraph is rendered (a parsed `Map` per amendment costs more).
    pub content: Option<Box<str>>,
}

/// An entry that ordered amendments (a ruling), shown beside the paragraphs it amended.
#[derive(Clone, Debug)]
pub(super) struct OrderInfo {
    pub id: String,
    pub seq: u64,
    pub labels: &'static OrderLabels,
    pub note: OrderNote,
}

/// What pass B does with an entry of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Genesis,
    Amendment,
    /// A paragraph of the text (the operator kinds, and kinds the registry does not
    /// know: the edition shows what the bytes say; verify judges them).
    Text,
    /// A feature's kind the edition shows when its content has this field.
    TextWith(&'static str),
    Hidden,
}

/// Leaf hashes by seq: pushed in any order, then sorted once by `seal`.
#[derive(Default)]
pub(super) struct SeqLeaves(pub Vec<(u64, Hash)>);

impl SeqLeaves {
    pub fn insert(&mut self, seq: u64, leaf: Hash) {
        self.0.push((seq, leaf));
    }

    /// Sorts by seq; of repeated seqs the first pushed stays.
    fn seal(&mut self) {
        self.0.sort_by_key(|(seq, _)| *seq);
        self.0.dedup_by_key(|(seq, _)| *seq);
    }

    pub fn get(&self, seq: u64) -> Option<&Hash> {
        let i = self.0.binary_search_by_key(&seq, |(s, _)| *s).ok()?;
        Some(&self.0[i].1)
    }

    pub fn last_seq(&self) -> Option<u64> {
        self.0.last().map(|(s, _)| *s)
    }
}

/// Everything pass A learns, shared read-only with the workers.
pub(super) struct Plan {
    /// Entries that ordered amendments, by id.
    pub orders: UlidMap<u128, OrderInfo>,
    /// How every registered kind of ordering entry is named, by JSON key.
    pub views: Vec<&'static OrderLabels>,
    /// Where their keys go in a JSON paragraph.
    pub view_keys: Vec<super::json::ViewKey>,
    /// Amendments by target id, in seq order.
    pub effects: UlidMap<u128, Vec<AmendInfo>>,
    /// replacement id -> the seq of the supersession that names it.
    pub replaces: UlidMap<u128, u64>,
    /// The amendments (and ordering entries) pass A read, by seq, with their leaf hashes,
    /// to cross-check pass B.
    pub amendment_seqs: SeqLeaves,
    /// One bit per seq: where the amendment index (and the id index, for replacements)
    /// says an amended entry or a replacement stands. Pass B looks ids up in `effects`
    /// and `replaces` only there. The hints are not trusted: pass B reports each match,
    /// and a target or replacement not matched exactly once fails the edition.
    hinted: Vec<u64>,
    /// What pass B does with each kind, the operator kinds first (most entries).
    roles: Vec<(&'static str, Role)>,
    kinds: Vec<String>,
    pub format: Format,
}

impl Plan {
    fn new(registry: &Kinds, size: u64, opts: &Options) -> Self {
        let mut roles: Vec<(&'static str, Role)> = USER_KINDS.iter().map(|k| (*k, Role::Text)).collect();
        for kind in registry.all().filter(|k| !USER_KINDS.contains(k)) {
            let role = match (kind, registry.owner(kind).map(|f| f.shown(kind))) {
                (KIND_GENESIS, _) => Role::Genesis,
                (KIND_AMENDMENT, _) => Role::Amendment,
                (_, Some(Shown::Always)) => Role::Text,
                (_, Some(Shown::WithField(f))) => Role::TextWith(f),
                _ => Role::Hidden,
            };
            roles.push((kind, role));
        }
        let mut views: Vec<&'static OrderLabels> =
            registry.features().filter_map(|f| f.order_labels()).collect();
        views.sort_by_key(|v| super::json::view_key(v));
        Plan {
            orders: UlidMap::default(),
            view_keys: super::json::view_keys(&views),
            views,
            effects: UlidMap::default(),
            replaces: UlidMap::default(),
            amendment_seqs: SeqLeaves::default(),
            hinted: vec![0; size.div_ceil(64) as usize],
            roles,
            kinds: opts.kinds.clone(),
            format: opts.format,
        }
    }

    pub fn role(&self, kind: &str) -> Role {
        self.roles
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(Role::Text, |(_, r)| *r)
    }

    fn list(&self, id: &str) -> Option<&Vec<AmendInfo>> {
        if self.effects.is_empty() {
            return None;
        }
        self.effects.get(&ulid_value(id)?)
    }

    pub fn superseded(&self, id: &str) -> Option<&AmendInfo> {
        self.list(id)?
            .iter()
            .find(|x| x.a.kind == AmendmentType::Supersession)
    }

    pub fn withdrawn(&self, id: &str) -> Option<&AmendInfo> {
        self.list(id)?
            .iter()
            .find(|x| x.a.kind == AmendmentType::Withdrawal)
    }

    pub fn effects_of(&self, id: &str) -> &[AmendInfo] {
        self.list(id).map_or(&[], Vec::as_slice)
    }

    pub fn replaced(&self, id: &str) -> Option<u64> {
        self.replaces.get(&ulid_value(id)?).copied()
    }

    fn hint(&mut self, seq: u64) {
        if let Some(w) = self.hinted.get_mut((seq / 64) as usize) {
            *w |= 1 << (seq % 64);
        }
    }

    /// Whether pass B should look the entry at `seq` up.
    pub fn is_hinted(&self, seq: u64) -> bool {
        self.hinted
            .get((seq / 64) as usize)
            .is_some_and(|w| w & (1 << (seq % 64)) != 0)
    }

    /// What pass B must match, once each: `seq << 1` for the first amendment of each
    /// target, `seq << 1 | 1` for each supersession's replacement. Sorted.
    pub fn expected_matches(&self) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .effects
            .values()
            .filter_map(|list| list.first().map(|x| x.seq << 1))
            .chain(self.replaces.values().map(|s| s << 1 | 1))
            .collect();
        out.sort_unstable();
        out
    }

    pub fn wanted(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind)
    }
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

/// Pass A: the amendments below `size`, through the amendment index.
pub(super) fn read_amendments(
    ledger: &Ledger,
    snap: &dyn Reads,
    size: u64,
    opts: &Options,
    problems: &mut Vec<String>,
) -> Result<Plan> {
    let mut plan = Plan::new(ledger.kinds(), size, opts);
    let rows = snap.amendment_index(0, size)?;
    let mut seqs: Vec<u64> = Vec::with_capacity(rows.len());
    for (target, seq) in rows {
        plan.hint(target);
        seqs.push(seq);
    }
    // In seq order the fetches walk the entries front to back.
    seqs.sort_unstable();
    // An amendment has one target: a seq listed twice would apply it twice.
    if let Some(twice) = seqs.windows(2).find(|w| w[0] == w[1]) {
        problems.push(format!(
            "the amendment index lists amendment {} more than once",
            twice[0]
        ));
    }
    seqs.dedup();
    plan.amendment_seqs.0.reserve(seqs.len());
    plan.effects.reserve(seqs.len());
    for part in fetch_amendments(ledger, &seqs, size)? {
        for (seq, leaf, result) in part {
            match result {
                Ok(p) => plan.add(seq, leaf, p),
                Err(why) => problems.push(format!("amendment {seq}: {why}")),
            }
        }
    }
    read_orders(ledger.kinds(), snap, size, &mut plan, problems)?;
    plan.amendment_seqs.seal();
    Ok(plan)
}

impl Plan {
    fn add(&mut self, seq: u64, leaf: Hash, p: Parsed) {
        let Parsed {
            a,
            id,
            replacement,
            content,
        } = p;
        if let Some(r) = a.superseded_by.as_deref().and_then(ulid_value) {
            self.replaces.insert(r, seq);
        }
        if let Some(r) = replacement {
            self.hint(r);
        }
        self.amendment_seqs.insert(seq, leaf);
        // Targets are ULIDs: `from_fields` checked them.
        let target = ulid_value(&a.target).unwrap_or_default();
        let info = AmendInfo { seq, id, a, content };
        self.effects.entry(target).or_default().push(info);
    }
}

/// Each worker reads its share of the amendments over its own read-only handle: entries
/// below the checkpoint never change, and pass B checks every amendment's hash against
/// what was read here. The parts come back in seq order.
fn fetch_amendments(ledger: &Ledger, seqs: &[u64], size: u64) -> Result<Vec<Vec<ParsedAmendment>>> {
    let workers = crate::ledger::scan::workers();
    let chunk = seqs.len().div_ceil(workers).max(1);
    let mut readers = Vec::new();
    for _ in seqs.chunks(chunk) {
        readers.push(ledger.store().reader(Access::Scattered)?);
    }
    let results: Vec<std::thread::Result<Result<Vec<ParsedAmendment>>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = seqs
            .chunks(chunk)
            .zip(readers)
            .map(|(part, reader)| scope.spawn(move || read_part(reader.as_ref(), part, size)))
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    // A worker that died must not silently drop amendments from the edition.
    results
        .into_iter()
        .map(|r| r.map_err(|_| LedgerError::Worker)?)
        .collect()
}

/// Amendments often stand close together (a ruling's, a batch's): runs of seqs at most
/// RUN_GAP apart are read with one range scan, skipping the entries between them,
/// instead of one B-tree descent per amendment.
fn read_part(reader: &dyn Reads, part: &[u64], size: u64) -> Result<Vec<ParsedAmendment>> {
    // Where a supersession's replacement stands, by the id index: a hint.
    let find = |id: &str| -> Option<u64> {
        reader
            .locate(id)
            .ok()
            .flatten()
            .map(|(s, _)| s)
            .filter(|s| *s < size)
    };
    let missing = |seq| {
        (
            seq,
            [0; 32],
            Err("the amendment index names a missing entry".into()),
        )
    };
    let mut out = Vec::with_capacity(part.len());
    let mut i = 0;
    while i < part.len() {
        let mut j = i;
        while j + 1 < part.len() && part[j + 1] - part[j] <= RUN_GAP {
            j += 1;
        }
        let mut want = part[i..=j].iter().peekable();
        reader.scan(part[i], part[j] + 1, false, &mut |row| {
            let seq = row.seq.max(0) as u64;
            while let Some(w) = want.next_if(|&&w| w < seq) {
                out.push(missing(*w));
            }
            if want.next_if(|&&w| w == seq).is_some() {
                out.push(parse_amendment(seq, row.body.unwrap_or(&[]), &find));
            }
            true
        })?;
        out.extend(want.map(|w| missing(*w)));
        i = j + 1;
    }
    Ok(out)
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
                    String::from_utf8(crate::ledger::canon::to_canonical(&m))
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
        let mut a = Amendment::from_fields(fields).map_err(|e| e.to_string())?;
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

/// The entries those amendments name as having ordered them (few): what they decided is
/// shown with them, as the feature owning their kind words it.
fn read_orders(
    kinds: &Kinds,
    snap: &dyn Reads,
    size: u64,
    plan: &mut Plan,
    problems: &mut Vec<String>,
) -> Result<()> {
    let named: HashSet<String> = plan
        .effects
        .values()
        .flatten()
        .filter_map(|x| x.a.ordered_by.clone())
        .collect();
    for id in named {
        let found = snap.locate(&id)?.filter(|(seq, _)| *seq < size);
        let body = match found {
            Some((seq, _)) => snap.body(seq)?.map(|b| (seq, b)),
            None => None,
        };
        let Some((seq, body)) = body else {
            problems.push(format!("entry {id}, which ordered amendments, is missing"));
            continue;
        };
        let note = serde_json::from_slice::<Entry>(&body)
            .ok()
            .filter(|e| e.id == id)
            .and_then(|e| {
                let owner = kinds.owner(&e.kind)?;
                Some((owner.order_labels()?, owner.order_note(&e)?))
            });
        match note {
            Some((labels, note)) => {
                plan.amendment_seqs.insert(seq, merkle::leaf_hash(&body));
                let key = ulid_value(&id).unwrap_or_default();
                plan.orders.insert(
                    key,
                    OrderInfo {
                        id,
                        seq,
                        labels,
                        note,
                    },
                );
            }
            None => problems.push(format!("entry {id} orders no amendments")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_amendment;
    use crate::ledger::reader::paragraph::{split_content, Content};
    use std::borrow::Cow;

    /// An amendment entry's bytes in the stored layout, around `content` (the amendment's
    /// own content object, as text).
    pub(crate) fn amendment_body(content: &str) -> Vec<u8> {
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
}
