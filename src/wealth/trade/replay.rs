//! Replay: every trade in the ledger re-run against the snapshot it names, which must
//! agree with what was recorded to the last decimal.

use super::super::book::Side;
use super::super::exchange::snapshot::Snapshot;
use super::super::fees::FeeSchedule;
use super::super::scan::{Leg, ScanParams};
use super::super::{Result, Venue};
use super::{dec, each_trade_entry, result_json, run, Execution, RiskLimits, TradeParams};
use crate::ledger::Ledger;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// A recorded trade, as the ledger holds it.
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    pub trade: String,
    pub ts: String,
    pub decision: Map<String, Value>,
    pub fills: Vec<Map<String, Value>>,
    pub result: Option<Map<String, Value>>,
}

impl Recorded {
    pub fn pnl(&self) -> Option<Decimal> {
        self.result.as_ref()?.get("pnl").and_then(dec)
    }
    pub fn asset(&self) -> String {
        self.decision
            .get("asset")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    }
    pub fn snapshot(&self) -> String {
        self.decision
            .get("snapshot")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    }
}

/// Every trade in the ledger, in order.
pub fn recorded_trades(ledger: &Ledger) -> Result<Vec<Recorded>> {
    let mut out: Vec<Recorded> = Vec::new();
    each_trade_entry(ledger, |ts, c| {
        let id = c.get("trade").and_then(Value::as_str).unwrap_or("").to_owned();
        match c.get("event").and_then(Value::as_str) {
            Some("decision") => out.push(Recorded {
                trade: id,
                ts: ts.to_owned(),
                decision: c.clone(),
                ..Default::default()
            }),
            Some("fill") => {
                if let Some(r) = out.iter_mut().rev().find(|r| r.trade == id) {
                    r.fills.push(c.clone());
                }
            }
            Some("result") => {
                if let Some(r) = out.iter_mut().rev().find(|r| r.trade == id) {
                    r.result = Some(c.clone());
                }
            }
            _ => {}
        }
    })?;
    Ok(out)
}

/// How one trade replayed.
#[derive(Clone, Debug)]
pub struct Replayed {
    pub trade: String,
    pub recorded_pnl: Option<Decimal>,
    pub replayed_pnl: Option<Decimal>,
    /// Field-level differences; empty when the replay agrees.
    pub differences: Vec<String>,
}

/// Re-runs a recorded trade against its snapshot (which must hash to the recorded name).
pub fn replay(rec: &Recorded, snap: &Snapshot) -> Replayed {
    let mut out = Replayed {
        trade: rec.trade.clone(),
        recorded_pnl: rec.pnl(),
        replayed_pnl: None,
        differences: Vec::new(),
    };
    match replay_execution(rec, snap) {
        Ok(ex) => {
            out.replayed_pnl = Some(ex.pnl);
            let fills: Vec<Map<String, Value>> = ex.fills.iter().map(|f| f.to_json(&rec.trade)).collect();
            if fills.len() != rec.fills.len() {
                out.differences.push(format!(
                    "{} fills recorded, {} replayed",
                    rec.fills.len(),
                    fills.len()
                ));
            }
            for (i, (a, b)) in rec.fills.iter().zip(&fills).enumerate() {
                differences(&format!("fill {i}"), a, b, &mut out.differences);
            }
            let result = result_json(&rec.trade, &rec.asset(), &ex);
            match &rec.result {
                Some(r) => differences("result", r, &result, &mut out.differences),
                None => out.differences.push("no result entry recorded".into()),
            }
        }
        Err(why) => out.differences.push(why),
    }
    out
}

/// Every field of `replayed` that `recorded` does not hold with the same value.
fn differences(
    what: &str,
    recorded: &Map<String, Value>,
    replayed: &Map<String, Value>,
    out: &mut Vec<String>,
) {
    for (k, v) in replayed {
        if recorded.get(k) != Some(v) {
            out.push(format!(
                "{what} {k}: recorded {}, replayed {v}",
                recorded.get(k).unwrap_or(&Value::Null)
            ));
        }
    }
}

fn replay_execution(rec: &Recorded, snap: &Snapshot) -> std::result::Result<Execution, String> {
    let d = &rec.decision;
    let fees = d
        .get("fees")
        .and_then(FeeSchedule::from_json)
        .ok_or("the decision has no fee schedule")?;
    let risk = d
        .get("risk")
        .and_then(RiskLimits::from_json)
        .ok_or("the decision has no risk limits")?;
    let size = d.get("size").and_then(dec).ok_or("the decision has no size")?;
    let latency_ms = d
        .get("latency_ms")
        .and_then(Value::as_i64)
        .ok_or("the decision has no latency")?;
    let decided_at = d
        .get("decided_at")
        .and_then(Value::as_str)
        .and_then(crate::clock::parse_rfc3339)
        .ok_or("the decision has no decision time")?;
    let plan = d
        .get("plan")
        .and_then(Value::as_array)
        .ok_or("the decision has no plan")?;
    let mut legs = Vec::new();
    for (k, l) in plan.iter().enumerate() {
        let g = |f: &str| {
            l.get(f)
                .and_then(Value::as_str)
                .ok_or(format!("plan leg {k} has no {f}"))
        };
        let venue = Venue::parse(g("venue")?).map_err(|e| e.to_string())?;
        let market = snap
            .market(venue, g("market")?)
            .ok_or(format!("plan leg {k}: market not in the snapshot"))?;
        let sha = g("book_sha256")?;
        let book = snap
            .books
            .iter()
            .position(|b| b.venue == venue && b.symbol == market.symbol && b.body_sha256 == sha)
            .ok_or(format!("plan leg {k}: book {sha} not in the snapshot"))?;
        legs.push(Leg {
            market: market.clone(),
            book,
            side: Side::parse(g("side")?).ok_or(format!("plan leg {k}: bad side"))?,
            from: g("from")?.to_owned(),
            to: g("to")?.to_owned(),
            fee_rate: l
                .get("fee_rate")
                .and_then(dec)
                .ok_or(format!("plan leg {k} has no fee_rate"))?,
        });
    }
    if legs.is_empty() {
        return Err("the plan has no legs".into());
    }
    let p = TradeParams {
        scan: ScanParams {
            asset: rec.asset(),
            capital: d.get("capital").and_then(dec).unwrap_or_default(),
            max_position: risk.max_position,
            min_profit_bps: Decimal::ZERO,
            max_legs: legs.len(),
            max_age_ms: 0,
            max_skew_ms: 0,
            now: decided_at,
            fees,
            round: plan[0].get("round").and_then(Value::as_u64).unwrap_or(0) as u32,
        },
        size: Some(size),
        latency_ms,
        risk,
        break_glass: d.get("break_glass").and_then(Value::as_str).map(str::to_owned),
    };
    Ok(run(snap, &legs, size, &p, decided_at))
}
