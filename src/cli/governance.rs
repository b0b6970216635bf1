//! `echoctl court …`, `echoctl treasury …`, `echoctl watchtower scan`: thin handlers.

use super::args::{AmendType, CourtCommand, TreasuryCommand, WatchtowerCommand};
use super::ledger::{open_for_append, parse_object, print_appended};
use super::output::{compact, entry_json, json, note, out, table};
use super::settings::{self, Settings};
use crate::court::{self, Order};
use crate::error::{Error, Result};
use crate::ledger::amend::AmendmentType;
use crate::ledger::Ledger;
use crate::{treasury, watchtower};
use serde_json::json;

fn amend_type(t: AmendType) -> AmendmentType {
    match t {
        AmendType::Clarification => AmendmentType::Clarification,
        AmendType::Correction => AmendmentType::Correction,
        AmendType::Supersession => AmendmentType::Supersession,
        AmendType::Withdrawal => AmendmentType::Withdrawal,
    }
}

/// One `--amend ID [--type T] [--content JSON] [--superseded-by ID]` group.
type AmendGroup = (String, Option<String>, Option<String>, Option<String>);

/// Groups the amendment options in the order they were given: each option belongs to
/// the `--amend` before it.
fn amend_groups(args: &[String]) -> Result<Vec<AmendGroup>> {
    let mut groups: Vec<AmendGroup> = Vec::new();
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (a.as_str(), None),
        };
        if !matches!(flag, "--amend" | "--type" | "--content" | "--superseded-by") {
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => it.next().cloned().unwrap_or_default(),
        };
        if flag == "--amend" {
            groups.push((value, None, None, None));
            continue;
        }
        let Some(g) = groups.last_mut() else {
            return Err(Error::input(format!(
                "{flag} must follow the --amend it belongs to"
            )));
        };
        let slot = match flag {
            "--type" => &mut g.1,
            "--content" => &mut g.2,
            _ => &mut g.3,
        };
        if slot.replace(value).is_some() {
            return Err(Error::input(format!("{flag} is given twice for --amend {}", g.0)));
        }
    }
    Ok(groups)
}

pub fn court(s: &Settings, cmd: CourtCommand) -> Result<u8> {
    let clock = settings::clock()?;
    match cmd {
        CourtCommand::Open {
            entries,
            description,
            writer,
        } => {
            let (mut ledger, key) = open_for_append(s, &writer.signing)?;
            let a = court::open(&mut ledger, &key, &clock, &writer.source, &entries, &description)?;
            print_appended(s, &ledger, &a)
        }
        CourtCommand::List { open, closed } => {
            let ledger = Ledger::open_read_only(&s.db)?;
            let cases: Vec<court::Case> = court::list(&ledger)?
                .into_iter()
                .filter(|c| (!open || c.is_open()) && (!closed || !c.is_open()))
                .collect();
            if s.json {
                for c in &cases {
                    out(json!({"id": c.case.entry.id, "seq": c.case.entry.seq, "ts": c.case.entry.ts,
                        "description": c.description, "entries": c.entries, "status": if c.is_open() { "open" } else { "closed" },
                        "ruling": c.ruling.as_ref().map(|r| &r.entry.id)}).to_string())?;
                }
                return Ok(0);
            }
            let mut t = table(&["case", "seq", "status", "entries", "description"]);
            for c in &cases {
                let status = if c.is_open() { "open" } else { "closed" };
                t.add_row(vec![
                    c.case.entry.id.clone(),
                    c.case.entry.seq.to_string(),
                    status.into(),
                    c.entries.len().to_string(),
                    c.description.clone(),
                ]);
            }
            out(t.to_string())?;
            Ok(0)
        }
        CourtCommand::Show { case } => {
            let ledger = Ledger::open_read_only(&s.db)?;
            let view = court::show(&ledger, &case)?;
            let c = &view.case;
            if s.json {
                json(&json!({
                    "case": entry_json(&c.case), "description": c.description,
                    "status": if c.is_open() { "open" } else { "closed" },
                    "entries": view.entries.iter().map(|e| json!({
                        "entry": entry_json(&e.entry), "status": e.status.as_str(), "effective_content": e.effective_content,
                    })).collect::<Vec<_>>(),
                    "ruling": c.ruling.as_ref().map(entry_json),
                }))?;
                return Ok(0);
            }
            out(format!(
                "case {} ({}): {}",
                c.case.entry.id,
                if c.is_open() { "open" } else { "closed" },
                c.description
            ))?;
            let mut t = table(&["entry", "kind", "status", "effective content"]);
            for e in &view.entries {
                t.add_row(vec![
                    e.entry.entry.id.clone(),
                    e.entry.entry.kind.clone(),
                    e.status.as_str().into(),
                    compact(&e.effective_content, 60),
                ]);
            }
            out(t.to_string())?;
            if let Some(r) = &c.ruling {
                out(format!(
                    "ruling {}: {}",
                    r.entry.id,
                    compact(&r.entry.content, 200)
                ))?;
            }
            Ok(0)
        }
        CourtCommand::Rule {
            case,
            decision,
            reasoning,
            amend,
            types,
            content,
            superseded_by,
            quorum,
            timeout,
            writer,
        } => {
            let args: Vec<String> = std::env::args().collect();
            let groups = amend_groups(&args)?;
            if groups.len() != amend.len()
                || groups.iter().filter(|g| g.1.is_some()).count() != types.len()
                || groups.iter().filter(|g| g.2.is_some()).count() != content.len()
                || groups.iter().filter(|g| g.3.is_some()).count() != superseded_by.len()
            {
                return Err(Error::input(
                    "could not pair each --type/--content/--superseded-by with its --amend",
                )
                .hint(
                    "write each amendment as --amend ID --type TYPE [--content JSON] [--superseded-by ID]",
                ));
            }
            let mut orders = Vec::new();
            for ((target, _, c, r), t) in groups
                .into_iter()
                .zip(types.iter().copied().map(Some).chain(std::iter::repeat(None)))
            {
                let Some(t) = t else {
                    return Err(Error::input(format!("--amend {target} needs a --type")));
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
            let certificate = match &quorum {
                Some(file) => Some(quorum_for_ruling(
                    &ledger, file, timeout, &case, &decision, &reasoning, &orders,
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
            print_appended(s, &ledger, &a)
        }
    }
}

/// Asks the BFT validators to decide a ruling (subject `court/ORIGIN/CASE`, content: the
/// case, decision, reasoning and ordered amendments); returns the certificate for the
/// ruling's `bft` field, or why not.
fn quorum_for_ruling(
    ledger: &crate::ledger::Ledger,
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
        return Err(Error::input("--timeout must be between 0 and 86400 seconds"));
    }
    let set = ValidatorSet::load(file)?;
    let (subject, content) = court::quorum_proposal(ledger, case, decision, reasoning, orders)?;
    match propose(
        &set,
        &subject,
        &content,
        std::time::Duration::from_secs_f64(timeout),
    )? {
        Outcome::Decided(cert) if cert.decision == crate::bft::message::Decision::Approve => {
            Ok(crate::bft::node::certificate_record(&set, &cert))
        }
        Outcome::Decided(_) => Err(Error::invalid(format!(
            "the validators rejected this ruling (subject {subject}); nothing was written"
        ))),
        Outcome::Undecided { .. } => Err(Error::invalid(format!(
            "the validators did not decide the ruling within {timeout} s; nothing was written"
        ))),
    }
}

pub fn treasury(s: &Settings, cmd: TreasuryCommand) -> Result<u8> {
    let clock = settings::clock()?;
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
            print_appended(s, &ledger, &a)
        }
        TreasuryCommand::Settle {
            task,
            actual_value,
            writer,
        } => {
            let (mut ledger, key) = open_for_append(s, &writer.signing)?;
            let a = treasury::settle(&mut ledger, &key, &clock, &writer.source, &task, &actual_value)?;
            print_appended(s, &ledger, &a)
        }
        TreasuryCommand::Roi { task } => {
            let ledger = Ledger::open_read_only(&s.db)?;
            let mut tasks = treasury::tasks(&ledger)?;
            if let Some(name) = &task {
                tasks.retain(|t| &t.task == name);
                if tasks.is_empty() {
                    return Err(Error::input(format!("task {name:?} is not recorded")));
                }
            }
            let d = |v: Option<rust_decimal::Decimal>| v.map(|v| v.to_string());
            if s.json {
                let rows: Vec<_> = tasks.iter().map(|t| json!({
                    "task": t.task, "id": t.id, "cost": t.cost.to_string(), "risk": t.risk,
                    "expected_value": t.expected_value.to_string(), "actual_value": d(t.actual_value),
                    "expected_roi": d(t.expected_roi()), "roi": d(t.roi()), "proof_burden": t.proof_burden,
                })).collect();
                json(&json!(rows))?;
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
                t.add_row(vec![
                    x.task.clone(),
                    x.risk.clone(),
                    x.cost.to_string(),
                    x.expected_value.to_string(),
                    dash(d(x.actual_value)),
                    dash(d(x.expected_roi())),
                    dash(d(x.roi())),
                ]);
            }
            out(t.to_string())?;
            Ok(0)
        }
    }
}

pub fn watchtower(s: &Settings, cmd: WatchtowerCommand) -> Result<u8> {
    let WatchtowerCommand::Scan {
        fail_on,
        open_cases,
        writer,
    } = cmd;
    let clock = settings::clock()?;
    let (mut ledger, key) = open_for_append(s, &writer.signing)?;
    let scan = watchtower::scan(&mut ledger, &key, &clock, &writer.source, open_cases)?;
    let failing = scan
        .findings
        .iter()
        .any(|f| watchtower::rank(&f.severity) >= watchtower::rank(fail_on.as_str()));
    if s.json {
        json(&json!({
            "findings": scan.findings.iter().map(|f| json!({"event": f.event, "finding": f.finding, "severity": f.severity,
                "entries": f.entries, "detail": f.detail, "new": f.new})).collect::<Vec<_>>(),
            "recorded": scan.appended.as_ref().map(|a| a.count), "cases_opened": scan.cases_opened,
            "fail_on": fail_on.as_str(), "failing": failing,
        }))?;
    } else if scan.findings.is_empty() {
        out("no findings: the ledger verifies and holds no contradiction the watchtower can prove")?;
    } else {
        let mut t = table(&["severity", "finding", "entries", "detail", "new"]);
        for f in &scan.findings {
            t.add_row(vec![
                f.severity.clone(),
                f.finding.clone(),
                f.entries.join(" "),
                f.detail.clone(),
                if f.new { "yes" } else { "" }.into(),
            ]);
        }
        out(t.to_string())?;
        if scan.cases_opened > 0 {
            note(s, format!("opened {} case(s)", scan.cases_opened));
        }
    }
    Ok(if failing { 1 } else { 0 })
}
