//! `echoctl court …`, `echoctl treasury …`, `echoctl watchtower scan`: thin handlers.

use super::args::{AmendType, CourtCommand, TreasuryCommand, WatchtowerCommand};
use super::exit::{Failure, Result};
use super::ledger::{open_for_append, open_read_only, parse_object, print_appended};
use super::output::{compact, json, note, out, row, table, EntryJson};
use super::settings::Settings;
use crate::court::{self, Order};
use crate::ledger::amend::AmendmentType;
use crate::{treasury, watchtower};
use serde::Serialize;
use serde_json::{Map, Value};

fn status(open: bool) -> &'static str {
    if open {
        "open"
    } else {
        "closed"
    }
}

#[derive(Serialize)]
struct CaseLine<'a> {
    description: &'a str,
    entries: &'a [String],
    id: &'a str,
    ruling: Option<&'a str>,
    seq: u64,
    status: &'static str,
    ts: &'a str,
}

#[derive(Serialize)]
struct CaseEntry<'a> {
    effective_content: &'a Map<String, Value>,
    entry: EntryJson<'a>,
    status: &'static str,
}

#[derive(Serialize)]
struct CaseJson<'a> {
    case: EntryJson<'a>,
    description: &'a str,
    entries: Vec<CaseEntry<'a>>,
    ruling: Option<EntryJson<'a>>,
    status: &'static str,
}

fn amend_type(t: AmendType) -> AmendmentType {
    match t {
        AmendType::Clarification => AmendmentType::Clarification,
        AmendType::Correction => AmendmentType::Correction,
        AmendType::Supersession => AmendmentType::Supersession,
        AmendType::Withdrawal => AmendmentType::Withdrawal,
    }
}

/// One `--amend ID [--type T] [--content JSON] [--superseded-by ID]` group.
type AmendGroup = (String, Option<AmendType>, Option<String>, Option<String>);

/// One of the flags an amendment group is made of, where clap found it.
enum Part {
    Amend(String),
    Type(AmendType),
    Content(String),
    SupersededBy(String),
}

/// Groups each --type, --content and --superseded-by with the --amend before it, in the
/// order clap read them (`matches` are those of `court rule`): never by re-reading the
/// process arguments, which clap alone parses.
fn amend_groups(matches: &clap::ArgMatches) -> Result<Vec<AmendGroup>> {
    fn placed<T: Clone + Send + Sync + 'static>(
        m: &clap::ArgMatches,
        id: &str,
        part: fn(T) -> Part,
    ) -> Vec<(usize, Part)> {
        match (m.indices_of(id), m.get_many::<T>(id)) {
            (Some(at), Some(values)) => at.zip(values.cloned().map(part)).collect(),
            _ => Vec::new(),
        }
    }
    let mut parts = placed(matches, "amend", Part::Amend);
    parts.extend(placed(matches, "types", Part::Type));
    parts.extend(placed(matches, "content", Part::Content));
    parts.extend(placed(matches, "superseded_by", Part::SupersededBy));
    parts.sort_by_key(|(at, _)| *at);
    let mut groups: Vec<AmendGroup> = Vec::new();
    for (_, part) in parts {
        let flag = match part {
            Part::Amend(id) => {
                groups.push((id, None, None, None));
                continue;
            }
            Part::Type(_) => "--type",
            Part::Content(_) => "--content",
            Part::SupersededBy(_) => "--superseded-by",
        };
        let Some(g) = groups.last_mut() else {
            return Err(
                Failure::usage(format!("{flag} must follow the --amend it belongs to")).hint(
                    "write each amendment as --amend ID --type TYPE [--content JSON] [--superseded-by ID]",
                ),
            );
        };
        let twice = match part {
            Part::Type(t) => g.1.replace(t).is_some(),
            Part::Content(c) => g.2.replace(c).is_some(),
            Part::SupersededBy(r) => g.3.replace(r).is_some(),
            Part::Amend(_) => false,
        };
        if twice {
            return Err(
                Failure::usage(format!("{flag} is given twice for --amend {}", g.0))
                    .hint("each --amend takes one --type, --content and --superseded-by"),
            );
        }
    }
    Ok(groups)
}

pub fn court(s: &Settings, cmd: CourtCommand, matches: &clap::ArgMatches) -> Result<u8> {
    let clock = s.clock()?;
    match cmd {
        CourtCommand::Open {
            entries,
            description,
            writer,
        } => {
            let (mut ledger, key) = open_for_append(s, &writer.signing)?;
            let a = court::open(&mut ledger, &key, &clock, &writer.source, &entries, &description)?;
            print_appended(s, &a)
        }
        CourtCommand::List { open, closed } => {
            let ledger = open_read_only(s)?;
            let cases: Vec<court::Case> = court::list(&ledger)?
                .into_iter()
                .filter(|c| (!open || c.is_open()) && (!closed || !c.is_open()))
                .collect();
            if s.json {
                for c in &cases {
                    let line = CaseLine {
                        description: &c.description,
                        entries: &c.entries,
                        id: &c.case.entry.id,
                        ruling: c.ruling.as_ref().map(|r| r.entry.id.as_str()),
                        seq: c.case.entry.seq,
                        status: status(c.is_open()),
                        ts: &c.case.entry.ts,
                    };
                    out(serde_json::to_string(&line).unwrap_or_default())?;
                }
                return Ok(0);
            }
            let mut t = table(&["case", "seq", "status", "entries", "description"]);
            for c in &cases {
                row(
                    &mut t,
                    vec![
                        c.case.entry.id.clone(),
                        c.case.entry.seq.to_string(),
                        status(c.is_open()).into(),
                        c.entries.len().to_string(),
                        c.description.clone(),
                    ],
                );
            }
            out(t.to_string())?;
            Ok(0)
        }
        CourtCommand::Show { case } => {
            let ledger = open_read_only(s)?;
            let view = court::show(&ledger, &case)?;
            let c = &view.case;
            if s.json {
                json(&CaseJson {
                    case: (&c.case).into(),
                    description: &c.description,
                    entries: view
                        .entries
                        .iter()
                        .map(|e| CaseEntry {
                            effective_content: &e.effective_content,
                            entry: (&e.entry).into(),
                            status: e.status.as_str(),
                        })
                        .collect(),
                    ruling: c.ruling.as_ref().map(Into::into),
                    status: status(c.is_open()),
                })?;
                return Ok(0);
            }
            out(super::output::printable(&format!(
                "case {} ({}): {}",
                c.case.entry.id,
                status(c.is_open()),
                c.description
            )))?;
            let mut t = table(&["entry", "kind", "status", "effective content"]);
            for e in &view.entries {
                row(
                    &mut t,
                    vec![
                        e.entry.entry.id.clone(),
                        e.entry.entry.kind.clone(),
                        e.status.as_str().into(),
                        compact(&e.effective_content, 60),
                    ],
                );
            }
            out(t.to_string())?;
            if let Some(r) = &c.ruling {
                out(super::output::printable(&format!(
                    "ruling {}: {}",
                    r.entry.id,
                    compact(&r.entry.content, 200)
                )))?;
            }
            Ok(0)
        }
        CourtCommand::Rule {
            case,
            decision,
            reasoning,
            quorum,
            timeout,
            writer,
            // --amend and the flags that belong to it: grouped from the matches, in order.
            ..
        } => {
            let rule = matches
                .subcommand_matches("court")
                .and_then(|m| m.subcommand_matches("rule"))
                .ok_or_else(|| Failure::env("the arguments of court rule were not found"))?;
            let mut orders = Vec::new();
            for (target, t, c, r) in amend_groups(rule)? {
                let Some(t) = t else {
                    return Err(Failure::usage(format!("--amend {target} needs a --type"))
                        .hint("write each amendment as --amend ID --type TYPE [--content JSON] [--superseded-by ID]"));
                };
                let content = c.as_deref().map(|c| parse_object(c, "--content")).transpose()?;
                orders.push(Order {
                    target,
                    kind: amend_type(t),
                    content,
                    superseded_by: r,
                });
            }
            let (mut ledger, key) = open_for_append(s, &writer.signing)?;
            // Before the validators are asked: a halted court rules on nothing.
            crate::emergency::check_not_halted(&ledger, crate::emergency::Area::Court)?;
            let certificate = match &quorum {
                Some(file) => Some(quorum_for_ruling(
                    &ledger,
                    key.primary(),
                    file,
                    timeout,
                    &case,
                    &decision,
                    &reasoning,
                    &orders,
                )?),
                None => None,
            };
            let a = court::rule(
                &mut ledger,
                &key,
                &clock,
                &writer.source,
                &case,
                &decision,
                &reasoning,
                orders,
                certificate,
            )?;
            print_appended(s, &a)
        }
    }
}

/// Asks the BFT validators to decide a ruling (subject `court/ORIGIN/CASE`, content: the
/// case, decision, reasoning and ordered amendments); returns the certificate for the
/// ruling's `bft` field, or why not. The proposal is signed with the court's key when the
/// validators file lists it as a proposer.
#[allow(clippy::too_many_arguments)]
fn quorum_for_ruling(
    ledger: &crate::ledger::Ledger,
    court_key: &dyn crate::sign::Signer,
    file: &std::path::Path,
    timeout: f64,
    case: &str,
    decision: &str,
    reasoning: &str,
    orders: &[court::Order],
) -> Result<serde_json::Value> {
    use crate::bft::client::{propose, Outcome};
    use crate::bft::validators::ValidatorSet;
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 86_400.0) {
        return Err(Failure::usage("--timeout must be between 0 and 86400 seconds").hint("e.g. --timeout 20"));
    }
    let set = ValidatorSet::load(file)?;
    let (subject, content) = court::quorum_proposal(ledger, case, decision, reasoning, orders)?;
    let listed = set.proposer(&court_key.verifier().identity()).is_some();
    match propose(
        &set,
        &subject,
        &content,
        listed.then_some(court_key),
        std::time::Duration::from_secs_f64(timeout),
    )? {
        Outcome::Decided(cert) if cert.decision == crate::bft::message::Decision::Approve => {
            Ok(crate::bft::node::certificate_record(&set, &cert))
        }
        Outcome::Decided(_) => Err(Failure::negative(format!(
            "the validators rejected this ruling (subject {subject}); nothing was written"
        ))
        .hint("'echoctl bft status' shows what the validators decided")),
        Outcome::Undecided { .. } => Err(Failure::negative(format!(
            "the validators did not decide the ruling within {timeout} s; nothing was written"
        ))
        .hint("retry with a longer --timeout, or check 'echoctl bft status'")),
    }
}

#[derive(Serialize)]
struct TaskJson<'a> {
    actual_value: Option<String>,
    cost: String,
    expected_roi: Option<String>,
    expected_value: String,
    id: &'a str,
    proof_burden: &'a str,
    risk: &'a str,
    roi: Option<String>,
    task: &'a str,
}

pub fn treasury(s: &Settings, cmd: TreasuryCommand) -> Result<u8> {
    let clock = s.clock()?;
    match cmd {
        TreasuryCommand::Record {
            task,
            cost,
            risk,
            expected_value,
            proof_burden,
            writer,
        } => {
            let (mut ledger, key) = open_for_append(s, &writer.signing)?;
            crate::emergency::check_not_halted(&ledger, crate::emergency::Area::Treasury)?;
            let a = treasury::record(
                &mut ledger,
                &key,
                &clock,
                &writer.source,
                &task,
                &cost,
                risk.as_str(),
                &expected_value,
                &proof_burden,
            )?;
            print_appended(s, &a)
        }
        TreasuryCommand::Settle {
            task,
            actual_value,
            writer,
        } => {
            let (mut ledger, key) = open_for_append(s, &writer.signing)?;
            crate::emergency::check_not_halted(&ledger, crate::emergency::Area::Treasury)?;
            let a = treasury::settle(&mut ledger, &key, &clock, &writer.source, &task, &actual_value)?;
            print_appended(s, &a)
        }
        TreasuryCommand::Roi { task } => {
            let ledger = open_read_only(s)?;
            let mut tasks = treasury::tasks(&ledger)?;
            if let Some(name) = &task {
                tasks.retain(|t| &t.task == name);
                if tasks.is_empty() {
                    return Err(treasury::TreasuryError::NotRecorded(name.clone()).into());
                }
            }
            let d = |v: Option<rust_decimal::Decimal>| v.map(|v| v.to_string());
            if s.json {
                let rows: Vec<TaskJson> = tasks
                    .iter()
                    .map(|t| TaskJson {
                        actual_value: d(t.actual_value),
                        cost: t.cost.to_string(),
                        expected_roi: d(t.expected_roi()),
                        expected_value: t.expected_value.to_string(),
                        id: &t.id,
                        proof_burden: &t.proof_burden,
                        risk: &t.risk,
                        roi: d(t.roi()),
                        task: &t.task,
                    })
                    .collect();
                json(&rows)?;
                return Ok(0);
            }
            let mut t = table(&[
                "task",
                "risk",
                "cost",
                "expected",
                "actual",
                "expected ROI",
                "ROI",
            ]);
            for x in &tasks {
                let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                row(
                    &mut t,
                    vec![
                        x.task.clone(),
                        x.risk.clone(),
                        x.cost.to_string(),
                        x.expected_value.to_string(),
                        dash(d(x.actual_value)),
                        dash(d(x.expected_roi())),
                        dash(d(x.roi())),
                    ],
                );
            }
            out(t.to_string())?;
            Ok(0)
        }
    }
}

#[derive(Serialize)]
struct FindingJson<'a> {
    detail: &'a str,
    entries: &'a [String],
    event: &'a str,
    finding: &'a str,
    new: bool,
    severity: &'a str,
}

#[derive(Serialize)]
struct ScanJson<'a> {
    cases_opened: usize,
    fail_on: &'static str,
    failing: bool,
    findings: Vec<FindingJson<'a>>,
    recorded: Option<u64>,
}

pub fn watchtower(s: &Settings, cmd: WatchtowerCommand) -> Result<u8> {
    let WatchtowerCommand::Scan {
        fail_on,
        open_cases,
        writer,
    } = cmd;
    let clock = s.clock()?;
    let (mut ledger, key) = open_for_append(s, &writer.signing)?;
    let scan = watchtower::scan(&mut ledger, &key, &clock, &writer.source, open_cases)?;
    let failing = scan
        .findings
        .iter()
        .any(|f| watchtower::rank(&f.severity) >= watchtower::rank(fail_on.as_str()));
    if s.json {
        json(&ScanJson {
            cases_opened: scan.cases_opened,
            fail_on: fail_on.as_str(),
            failing,
            findings: scan
                .findings
                .iter()
                .map(|f| FindingJson {
                    detail: &f.detail,
                    entries: &f.entries,
                    event: &f.event,
                    finding: &f.finding,
                    new: f.new,
                    severity: &f.severity,
                })
                .collect(),
            recorded: scan.appended.as_ref().map(|a| a.count),
        })?;
    } else if scan.findings.is_empty() {
        out("no findings: the ledger verifies and holds no contradiction the watchtower can prove")?;
    } else {
        let mut t = table(&["severity", "finding", "entries", "detail", "new"]);
        for f in &scan.findings {
            row(
                &mut t,
                vec![
                    f.severity.clone(),
                    f.finding.clone(),
                    f.entries.join(" "),
                    f.detail.clone(),
                    if f.new { "yes" } else { "" }.into(),
                ],
            );
        }
        out(t.to_string())?;
        if scan.cases_opened > 0 {
            note(s, format!("opened {} case(s)", scan.cases_opened));
        }
    }
    Ok(if failing { 1 } else { 0 })
}
