//! Paper trading under risk limits, with every decision and fill in the ledger as `trade`
//! entries naming the snapshot they used (`execute` runs a cycle), and replay (`replay`):
//! re-running every recorded trade from the ledger and its snapshots, which must agree to
//! the last decimal. Live execution is a second `Executor`; echoctl ships only the paper
//! one.

mod execute;
mod replay;

pub use execute::{execute, ExecFill, Execution, Executor, PaperExecutor};
pub use replay::{recorded_trades, replay, Recorded, Replayed};

use super::book::Book;
use super::exchange::snapshot::Snapshot;
use super::scan::{Leg, Opportunity, ScanParams};
use super::{Result, WealthError, KIND_TRADE};
use crate::clock::{format_ts, Clock, Millis};
use crate::ledger::entry::hex;
use crate::ledger::{Appended, Ledger, LogFilter, NewEntry, SystemEntry};
use crate::sign::Signers;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::str::FromStr;

/// Default risk limits: the seed's 10% position and 2% stop-loss.
pub const MAX_POSITION: &str = "0.10";
pub const STOP_LOSS: &str = "0.02";

#[derive(Clone, Debug, PartialEq)]
pub struct RiskLimits {
    /// Largest position per cycle, as a fraction of capital.
    pub max_position: Decimal,
    /// Largest loss on stranded inventory, as a fraction of the position, before it is
    /// unwound.
    pub stop_loss: Decimal,
    /// Largest realised loss in one UTC day, in the capital asset, before the kill switch
    /// latches.
    pub daily_loss_limit: Decimal,
}

impl RiskLimits {
    fn to_json(&self) -> Value {
        json!({
            "max_position": self.max_position.to_string(),
            "stop_loss": self.stop_loss.to_string(),
            "daily_loss_limit": self.daily_loss_limit.to_string(),
        })
    }
    fn from_json(v: &Value) -> Option<Self> {
        Some(RiskLimits {
            max_position: dec(v.get("max_position")?)?,
            stop_loss: dec(v.get("stop_loss")?)?,
            daily_loss_limit: dec(v.get("daily_loss_limit")?)?,
        })
    }
}

fn dec(v: &Value) -> Option<Decimal> {
    Decimal::from_str(v.as_str()?).ok()
}

fn s(d: Decimal) -> Value {
    Value::String(d.normalize().to_string())
}

/// A trade request.
#[derive(Clone, Debug)]
pub struct TradeParams {
    pub scan: ScanParams,
    /// Overrides the opportunity's best size.
    pub size: Option<Decimal>,
    pub latency_ms: i64,
    pub risk: RiskLimits,
    /// A break-glass window (an entry id) the caller checked is open for the risk limits:
    /// the position limit and the kill switch are bypassed, and the decision names it.
    pub break_glass: Option<String>,
}

/// What `trade` did: its id, the execution and whether the kill switch latched.
#[derive(Clone, Debug)]
pub struct TradeOutcome {
    pub trade: String,
    pub opportunity: String,
    pub size: Decimal,
    pub execution: Execution,
    pub kill_switch: bool,
    pub appended: Appended,
}

/// Whether the kill switch is latched, and the reason it was.
pub fn kill_switch(ledger: &Ledger) -> Result<Option<String>> {
    let mut state = None;
    each_trade_entry(ledger, |_, c| {
        if c.get("event").and_then(Value::as_str) == Some("kill_switch") {
            state = match c.get("state").and_then(Value::as_str) {
                Some("latched") => Some(c.get("reason").and_then(Value::as_str).unwrap_or("").to_owned()),
                _ => None,
            };
        }
    })?;
    Ok(state)
}

fn each_trade_entry(ledger: &Ledger, mut f: impl FnMut(&str, &Map<String, Value>)) -> Result<()> {
    let filter = LogFilter {
        kind: Some(KIND_TRADE.into()),
        ..Default::default()
    };
    ledger.log(&filter, |e| {
        f(&e.entry.ts, &e.entry.content);
        Ok::<(), WealthError>(())
    })
}

fn entry(source: &str, content: Map<String, Value>) -> SystemEntry {
    SystemEntry::Entry(NewEntry {
        kind: KIND_TRADE.into(),
        source: source.into(),
        content,
        refs: vec![],
    })
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn plan_json(o: &Opportunity, books: &[Book]) -> Value {
    Value::Array(
        o.legs
            .iter()
            .zip(&o.fills)
            .map(|(l, f)| {
                let b = &books[l.book];
                json!({
                    "venue": l.market.venue.as_str(), "market": l.market.symbol, "side": l.side.as_str(),
                    "from": l.from, "to": l.to, "fee_rate": s(l.fee_rate),
                    "book_sha256": b.body_sha256, "book_fetched_at": format_ts(b.fetched_at), "round": b.round,
                    "spent": s(f.spent), "received": s(f.received),
                })
            })
            .collect(),
    )
}

/// Paper-trades an opportunity under the risk limits, written ahead: the decision is
/// durable (its own transaction) before the first leg; then every fill, the result and
/// (when the day's losses pass the limit) the kill switch follow in a second one.
/// `may_act` is asked before every order: once it refuses (an emergency halt appended
/// meanwhile), no further leg or unwind is placed, and the result reports the position
/// left. Refusals before the decision write nothing.
#[allow(clippy::too_many_arguments)]
pub fn trade(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    snap: &Snapshot,
    opp: &Opportunity,
    p: &TradeParams,
    may_act: &mut dyn FnMut() -> std::result::Result<(), String>,
) -> Result<TradeOutcome> {
    let bypass = p.break_glass.is_some();
    if let Some(why) = kill_switch(ledger)?.filter(|_| !bypass) {
        return Err(WealthError::KillSwitch(why));
    }
    let size = p.size.unwrap_or(opp.size);
    let limit = p.scan.position_limit();
    if size <= Decimal::ZERO {
        return Err(WealthError::ZeroSize);
    }
    if size > limit && !bypass {
        return Err(WealthError::Risk(format!(
            "position {size} {} is more than the limit {limit} ({} of capital {}); refused",
            p.scan.asset,
            p.risk.max_position.normalize(),
            p.scan.capital
        )));
    }
    let decided_at = opp
        .legs
        .iter()
        .map(|l| snap.books[l.book].fetched_at)
        .max()
        .unwrap_or(0);
    let trade = {
        let mut h = Sha256::new();
        h.update(format!("{}\n{}\n{}\n{}", snap.hash, opp.id, clock.now, size).as_bytes());
        hex(&h.finalize())[..16].to_string()
    };
    let mut decision = json!({
        "event": "decision",
        "trade": trade,
        "opportunity": opp.id,
        "snapshot": snap.hash,
        "asset": p.scan.asset,
        "capital": s(p.scan.capital),
        "size": s(size),
        "latency_ms": p.latency_ms,
        "decided_at": format_ts(decided_at),
        "fees": p.scan.fees.to_json(),
        "risk": p.risk.to_json(),
        "plan": plan_json(opp, &snap.books),
        "expected_profit": s(opp.net_profit),
        "mode": "paper",
    });
    if let Some(w) = &p.break_glass {
        decision["break_glass"] = Value::String(w.clone());
    }
    let decided = ledger.append_system(signers, clock, source, vec![entry(source, object(decision))])?;
    let ex = {
        let mut paper = PaperExecutor::new(snap, p.latency_ms, decided_at, p.scan.round);
        let mut guarded = execute::Guarded {
            inner: &mut paper,
            may_act,
        };
        execute(&mut guarded, snap, &opp.legs, size, &p.risk, &p.scan.fees)
    };
    let mut entries: Vec<SystemEntry> = ex
        .fills
        .iter()
        .map(|f| entry(source, f.to_json(&trade)))
        .collect();
    entries.push(entry(source, result_json(&trade, &p.scan.asset, &ex)));
    // The daily realised-loss limit: today's results, this one included.
    let today = format_ts(clock.now)[..10].to_string();
    let mut day_pnl = ex.pnl;
    each_trade_entry(ledger, |ts, c| {
        if ts.starts_with(&today) && c.get("event").and_then(Value::as_str) == Some("result") {
            day_pnl = day_pnl.saturating_add(c.get("pnl").and_then(dec).unwrap_or_default());
        }
    })?;
    let latch = -day_pnl > p.risk.daily_loss_limit;
    if latch {
        entries.push(entry(
            source,
            object(json!({
                "event": "kill_switch", "state": "latched", "day": today, "trade": trade,
                "realised_loss": s(-day_pnl), "limit": s(p.risk.daily_loss_limit),
                "reason": format!("realised loss {} {} on {today} is more than the daily limit {}", (-day_pnl).normalize(), p.scan.asset, p.risk.daily_loss_limit.normalize()),
            })),
        ));
    }
    let outcome = ledger.append_system(signers, clock, source, entries)?;
    let appended = Appended {
        first_seq: decided.first_seq,
        count: decided.count + outcome.count,
        checkpoint: outcome.checkpoint,
        entries: decided.entries.into_iter().chain(outcome.entries).collect(),
    };
    Ok(TradeOutcome {
        trade,
        opportunity: opp.id.clone(),
        size,
        execution: ex,
        kill_switch: latch,
        appended,
    })
}

fn run(snap: &Snapshot, legs: &[Leg], size: Decimal, p: &TradeParams, decided_at: Millis) -> Execution {
    let mut exec = PaperExecutor::new(snap, p.latency_ms, decided_at, p.scan.round);
    execute(&mut exec, snap, legs, size, &p.risk, &p.scan.fees)
}

/// The Reader Edition section trade results are compiled into.
pub const READER_SECTION: &str = "Trades";

fn result_json(trade: &str, asset: &str, ex: &Execution) -> Map<String, Value> {
    let path: Vec<&str> = std::iter::once(ex.fills.first().map_or(asset, |f| f.from.as_str()))
        .chain(ex.fills.iter().map(|f| f.to.as_str()))
        .collect();
    let mut summary = format!(
        "Paper trade {trade} along {}: spent {} {asset}, returned {}, P&L {} {asset}",
        path.join(" → "),
        ex.spent.normalize(),
        ex.returned,
        ex.pnl
    );
    if ex.stop_loss {
        summary.push_str("; the stop-loss fired and the position was unwound");
    }
    if let Some((k, why)) = &ex.failed_leg {
        summary.push_str(&format!("; leg {k} failed: {why}"));
    }
    object(json!({
        "section": READER_SECTION,
        "summary": summary,
        "event": "result",
        "trade": trade,
        "asset": asset,
        "spent": s(ex.spent),
        "returned": s(ex.returned),
        "pnl": s(ex.pnl),
        "stop_loss": ex.stop_loss,
        "failed_leg": ex.failed_leg.as_ref().map(|(k, why)| json!({"leg": k, "reason": why})),
        "residuals": ex.residuals.iter().map(|(a, d)| (a.clone(), s(*d))).collect::<Map<_, _>>(),
    }))
}

/// Records a scan decision: the ranked opportunities and rejections, naming the snapshot.
pub fn record_scan(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    report: Value,
) -> Result<Appended> {
    let mut c = object(report);
    c.insert("event".into(), Value::String("scan".into()));
    // Keep the entry under the ledger's size limit: the best opportunities first.
    while serde_json::to_vec(&c).map_or(0, |v| v.len()) > 48 * 1024 {
        let shrunk = ["rejections", "opportunities"].iter().any(|k| {
            c.get_mut(*k)
                .and_then(Value::as_array_mut)
                .is_some_and(|a| a.pop().is_some())
        });
        if !shrunk {
            break;
        }
        c.insert("truncated".into(), Value::Bool(true));
    }
    Ok(ledger.append_system(signers, clock, source, vec![entry(source, c)])?)
}

/// Clears a latched kill switch, with the operator's reason.
pub fn reset_kill_switch(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    reason: &str,
) -> Result<Appended> {
    if reason.trim().is_empty() {
        return Err(WealthError::NoReason);
    }
    if kill_switch(ledger)?.is_none() {
        return Err(WealthError::NotLatched);
    }
    let c = object(json!({"event": "kill_switch", "state": "reset", "reason": reason}));
    Ok(ledger.append_system(signers, clock, source, vec![entry(source, c)])?)
}
