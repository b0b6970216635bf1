//! The watchtower: verifies the ledger and finds the contradictions it can prove, then
//! records each new finding as a `watchtower` entry (and, on request, opens a court case
//! for each finding that has none yet). A ledger that fails verification is reported, never appended to: signing a
//! checkpoint over tampered entries would lend them credibility.
//!
//! Findings:
//! - `integrity_violation` (critical): `ledger verify` fails.
//! - `drift_detected` / `contradiction` (medium): active entries declare the same `key`
//!   (content `{"key": K, "value": V}`) with different values.
//! - `drift_detected` / `constraint_violation` (the constraint's severity, default high):
//!   an active outcome breaks a constraint rule in force at the outcome's time.
//! - `emergency` / `break_glass` (medium): a break-glass window, with every action that
//!   acted under it (recorded again when more actions join it).

use crate::clock::{parse_entry_ts, Clock};
use crate::court::KIND_CASE;
use crate::ledger::amend::{Amendment, AmendmentType, Status};
use crate::ledger::constraint::{Rule, SEVERITIES};
use crate::ledger::kinds::{Feature, KIND_AMENDMENT};
use crate::ledger::verify::{self, Anchors};
use crate::ledger::{canon, Appended, Ledger, LedgerError, LogFilter, NewEntry, SystemEntry};
use crate::sign::Signers;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Written by `watchtower scan`.
pub const KIND_WATCHTOWER: &str = "watchtower";

/// The watchtower's kind, registered with the ledger.
pub struct Watchtower;

impl Feature for Watchtower {
    fn name(&self) -> &'static str {
        "watchtower"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND_WATCHTOWER]
    }
}

/// One thing the watchtower can prove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub event: String,
    pub finding: String,
    pub severity: String,
    /// The entries involved, in ledger order.
    pub entries: Vec<String>,
    pub detail: String,
    /// Not recorded by an earlier scan.
    pub new: bool,
}

/// What a scan found and wrote.
#[derive(Debug)]
pub struct Scan {
    pub findings: Vec<Finding>,
    pub appended: Option<Appended>,
    pub cases_opened: usize,
}

/// The rank of a severity, for `--fail-on`.
pub fn rank(severity: &str) -> usize {
    SEVERITIES.iter().position(|s| *s == severity).unwrap_or(0)
}

struct State {
    seq: u64,
    kind: String,
    ts: i64,
    content: Map<String, Value>,
    status: Status,
}

/// Scans the ledger; appends new findings (and cases with `open_cases`) in one transaction.
pub fn scan(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    open_cases: bool,
) -> Result<Scan, LedgerError> {
    let report = verify::verify(
        ledger.store(),
        ledger.kinds(),
        &Anchors::default(),
        &mut |_, _| {},
    )?;
    if let Some(f) = report.failure {
        let finding = Finding {
            event: "integrity_violation".into(),
            finding: "integrity".into(),
            severity: "critical".into(),
            entries: f.id.into_iter().collect(),
            detail: format!("ledger verify fails at seq {}: {}", f.seq, f.reason),
            new: true,
        };
        return Ok(Scan {
            findings: vec![finding],
            appended: None,
            cases_opened: 0,
        });
    }
    // The effective state of every entry, amendments applied in order.
    let mut states: HashMap<String, State> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut recorded: Vec<(String, Vec<String>)> = Vec::new();
    let mut open_case_sets: Vec<Vec<String>> = Vec::new();
    // Break-glass windows (id, detail) and the actions that named each.
    let mut windows: Vec<(String, String)> = Vec::new();
    let mut under: HashMap<String, Vec<String>> = HashMap::new();
    ledger.log(&LogFilter::default(), |e| {
        let x = e.entry;
        if let Some(w) = x.content.get("break_glass").and_then(Value::as_str) {
            under.entry(w.to_owned()).or_default().push(x.id.clone());
        }
        if x.kind == crate::emergency::KIND_EMERGENCY
            && x.content.get("action").and_then(Value::as_str) == Some("break-glass")
        {
            let text = |k: &str| x.content.get(k).map(|v| v.to_string()).unwrap_or_default();
            windows.push((
                x.id.clone(),
                format!(
                    "break-glass window of {} minutes over {} at {}: {}",
                    text("minutes"),
                    text("guards"),
                    x.ts,
                    text("reason")
                ),
            ));
        }
        match x.kind.as_str() {
            KIND_AMENDMENT => {
                if let Ok(a) = Amendment::from_content(&x.content) {
                    if let Some(t) = states.get_mut(&a.target) {
                        if let (AmendmentType::Correction, Some(c)) = (a.kind, &a.content) {
                            t.content = c.clone();
                        }
                        t.status = a.resulting_status();
                    }
                }
            }
            KIND_WATCHTOWER => {
                let finding = x
                    .content
                    .get("finding")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                recorded.push((finding, x.refs.clone()));
            }
            KIND_CASE => open_case_sets.push(x.refs.clone()),
            _ => {}
        }
        order.push(x.id.clone());
        let ts = parse_entry_ts(&x.ts).unwrap_or(0);
        states.insert(
            x.id,
            State {
                seq: x.seq,
                kind: x.kind,
                ts,
                content: x.content,
                status: Status::Active,
            },
        );
        Ok::<(), LedgerError>(())
    })?;
    let active = |id: &String| states.get(id).filter(|s| s.status == Status::Active);

    let mut findings: Vec<Finding> = Vec::new();
    // Contradictions: one declared key, different values.
    let mut by_key: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for id in &order {
        let Some(s) = active(id) else { continue };
        if !matches!(s.kind.as_str(), "observation" | "outcome" | "decision" | "test") {
            continue;
        }
        if let (Some(Value::String(k)), Some(v)) = (s.content.get("key"), s.content.get("value")) {
            let value = String::from_utf8(canon::to_canonical(v)).unwrap_or_default();
            by_key.entry(k.clone()).or_default().push((id.clone(), value));
        }
    }
    for (key, claims) in by_key {
        let mut firsts: Vec<(String, String)> = Vec::new();
        for (id, value) in claims {
            if !firsts.iter().any(|(_, v)| *v == value) {
                firsts.push((id, value));
            }
        }
        if firsts.len() > 1 {
            let values: Vec<&str> = firsts.iter().map(|(_, v)| v.as_str()).collect();
            findings.push(Finding {
                event: "drift_detected".into(),
                finding: "contradiction".into(),
                severity: "medium".into(),
                entries: firsts.iter().map(|(id, _)| id.clone()).collect(),
                detail: format!(
                    "entries declare {} as {}",
                    crate::text::quoted(&key),
                    values.join(" and ")
                ),
                new: true,
            });
        }
    }
    // Constraint violations: an active outcome breaks a rule in force at its time.
    let rules: Vec<(&String, Rule)> = order
        .iter()
        .filter_map(|id| active(id).filter(|s| s.kind == "constraint").map(|s| (id, s)))
        .filter_map(|(id, s)| Rule::from_content(&s.content).ok().flatten().map(|r| (id, r)))
        .collect();
    for id in &order {
        let Some(s) = active(id).filter(|s| s.kind == "outcome") else {
            continue;
        };
        for (cid, rule) in &rules {
            let constraint_seq = states.get(*cid).map_or(0, |c| c.seq);
            if rule.active_at(s.ts) && rule.violated_by(&s.content) == Some(true) {
                let mut entries = vec![(*cid).clone(), id.clone()];
                if constraint_seq > s.seq {
                    entries.reverse();
                }
                findings.push(Finding {
                    event: "drift_detected".into(),
                    finding: "constraint_violation".into(),
                    severity: rule.severity.clone(),
                    entries,
                    detail: format!("outcome breaks the rule {} {} {}", rule.key, rule.op, rule.value),
                    new: true,
                });
            }
        }
    }
    // Every break-glass window, and every action under it.
    for (id, detail) in windows {
        let actions = under.remove(&id).unwrap_or_default();
        let mut entries = vec![id];
        entries.extend(actions.iter().cloned());
        findings.push(Finding {
            event: "emergency".into(),
            finding: "break_glass".into(),
            severity: "medium".into(),
            entries,
            detail: format!("{detail}; {} action(s) under it", actions.len()),
            new: true,
        });
    }
    for f in &mut findings {
        f.new = !recorded
            .iter()
            .any(|(kind, refs)| *kind == f.finding && *refs == f.entries);
    }
    // A finding is new only once, and a case about exactly these entries is never
    // opened twice.
    let mut to_write = Vec::new();
    let mut cases_opened = 0;
    for f in &findings {
        if f.new {
            let mut content = Map::new();
            for (k, v) in [
                ("event", &f.event),
                ("finding", &f.finding),
                ("severity", &f.severity),
                ("detail", &f.detail),
            ] {
                content.insert(k.into(), Value::String(v.clone()));
            }
            to_write.push(SystemEntry::Entry(NewEntry {
                kind: KIND_WATCHTOWER.into(),
                source: source.into(),
                content,
                refs: f.entries.clone(),
            }));
        }
        if open_cases && !open_case_sets.contains(&f.entries) {
            let description = format!("watchtower: {}", f.detail);
            let case = crate::court::case_entry(source, f.entries.clone(), &description);
            to_write.push(SystemEntry::Entry(case));
            cases_opened += 1;
        }
    }
    let appended = if to_write.is_empty() {
        None
    } else {
        Some(ledger.append_system(signers, clock, source, to_write)?)
    };
    Ok(Scan {
        findings,
        appended,
        cases_opened,
    })
}
