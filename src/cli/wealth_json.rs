//! The `--json` documents of `echoctl wealth`, typed. A scan's report is also what
//! `wealth scan --record` writes into the ledger (as canonical JSON, so field order does
//! not matter there; here the fields stand in byte order, as the output always had them).

use crate::clock::format_ts;
use crate::wealth::exchange::snapshot::Snapshot;
use crate::wealth::scan::{Opportunity, ScanParams, ScanReport};
use crate::wealth::trade::{Recorded, Replayed, TradeOutcome};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::Path;

#[derive(Serialize)]
pub struct LegJson<'a> {
    age_ms: i64,
    book_fetched_at: String,
    fee: String,
    fee_rate: String,
    from: &'a str,
    levels: usize,
    market: &'a str,
    qty: String,
    received: String,
    side: &'static str,
    spent: String,
    to: &'a str,
    venue: &'static str,
}

#[derive(Serialize)]
pub struct OpportunityJson<'a> {
    asset: &'a str,
    gross_profit: String,
    id: &'a str,
    legs: Vec<LegJson<'a>>,
    net_profit: String,
    out: String,
    path: String,
    profit_bps: String,
    size: String,
    skew_ms: i64,
    snapshot: &'a str,
}

pub fn opportunity<'a>(o: &'a Opportunity, snap: &'a Snapshot, asset: &'a str) -> OpportunityJson<'a> {
    let legs = o
        .legs
        .iter()
        .zip(&o.fills)
        .zip(&o.ages_ms)
        .map(|((l, f), age)| LegJson {
            age_ms: *age,
            book_fetched_at: format_ts(snap.books[l.book].fetched_at),
            fee: f.fee.to_string(),
            fee_rate: l.fee_rate.normalize().to_string(),
            from: &l.from,
            levels: f.levels,
            market: &l.market.symbol,
            qty: f.qty.to_string(),
            received: f.received.to_string(),
            side: l.side.as_str(),
            spent: f.spent.to_string(),
            to: &l.to,
            venue: l.market.venue.as_str(),
        })
        .collect();
    OpportunityJson {
        asset,
        gross_profit: o.gross_profit.to_string(),
        id: &o.id,
        legs,
        net_profit: o.net_profit.to_string(),
        out: o.out.to_string(),
        path: o.path(),
        profit_bps: o.profit_bps.to_string(),
        size: o.size.to_string(),
        skew_ms: o.skew_ms,
        snapshot: &snap.hash,
    }
}

#[derive(Serialize)]
pub struct RejectionJson<'a> {
    reason: &'a str,
    what: &'a str,
}

#[derive(Serialize)]
pub struct ReportJson<'a> {
    asset: &'a str,
    books: usize,
    capital: String,
    cycles: usize,
    opportunities: Vec<OpportunityJson<'a>>,
    position_limit: String,
    rejections: Vec<RejectionJson<'a>>,
    snapshot: &'a str,
}

pub fn report<'a>(r: &'a ScanReport, snap: &'a Snapshot, p: &'a ScanParams, limit: usize) -> ReportJson<'a> {
    ReportJson {
        asset: &p.asset,
        books: r.books,
        capital: p.capital.to_string(),
        cycles: r.cycles,
        opportunities: r
            .opportunities
            .iter()
            .take(limit)
            .map(|o| opportunity(o, snap, &p.asset))
            .collect(),
        position_limit: p.position_limit().to_string(),
        rejections: r
            .rejections
            .iter()
            .map(|x| RejectionJson {
                reason: &x.reason,
                what: &x.what,
            })
            .collect(),
        snapshot: &r.snapshot,
    }
}

/// The report as the content of a ledger entry.
pub fn report_content(r: &ReportJson<'_>) -> Value {
    serde_json::to_value(r).unwrap_or(Value::Null)
}

#[derive(Serialize)]
pub struct RecordJson<'a> {
    books: usize,
    markets: usize,
    path: &'a Path,
    snapshot: &'a str,
}

pub fn record<'a>(snap: &'a Snapshot, path: &'a Path) -> RecordJson<'a> {
    RecordJson {
        books: snap.books.len(),
        markets: snap.markets.len(),
        path,
        snapshot: &snap.hash,
    }
}

#[derive(Serialize)]
pub struct FailedLegJson<'a> {
    leg: usize,
    reason: &'a str,
}

#[derive(Serialize)]
pub struct TradeJson<'a> {
    asset: &'a str,
    entries: u64,
    failed_leg: Option<FailedLegJson<'a>>,
    fills: Vec<Value>,
    first_seq: u64,
    kill_switch: bool,
    opportunity: &'a str,
    pnl: String,
    returned: String,
    size: String,
    snapshot: &'a str,
    snapshot_file: &'a Path,
    spent: String,
    stop_loss: bool,
    trade: &'a str,
}

pub fn trade<'a>(o: &'a TradeOutcome, snap: &'a Snapshot, kept: &'a Path, asset: &'a str) -> TradeJson<'a> {
    let ex = &o.execution;
    TradeJson {
        asset,
        entries: o.appended.count,
        failed_leg: ex
            .failed_leg
            .as_ref()
            .map(|(leg, reason)| FailedLegJson { leg: *leg, reason }),
        fills: ex
            .fills
            .iter()
            .map(|f| Value::Object(f.to_json(&o.trade)))
            .collect(),
        first_seq: o.appended.first_seq,
        kill_switch: o.kill_switch,
        opportunity: &o.opportunity,
        pnl: ex.pnl.to_string(),
        returned: ex.returned.to_string(),
        size: o.size.to_string(),
        snapshot: &snap.hash,
        snapshot_file: kept,
        spent: ex.spent.to_string(),
        stop_loss: ex.stop_loss,
        trade: &o.trade,
    }
}

#[derive(Serialize)]
pub struct ReplayedJson<'a> {
    agrees: bool,
    differences: &'a [String],
    recorded_pnl: Option<String>,
    replayed_pnl: Option<String>,
    trade: &'a str,
}

#[derive(Serialize)]
pub struct ReplayJson<'a> {
    agrees: bool,
    trades: Vec<ReplayedJson<'a>>,
}

pub fn replay(rows: &[Replayed], agrees: bool) -> ReplayJson<'_> {
    ReplayJson {
        agrees,
        trades: rows
            .iter()
            .map(|r| ReplayedJson {
                agrees: r.differences.is_empty(),
                differences: &r.differences,
                recorded_pnl: r.recorded_pnl.map(|d| d.to_string()),
                replayed_pnl: r.replayed_pnl.map(|d| d.to_string()),
                trade: &r.trade,
            })
            .collect(),
    }
}

#[derive(Serialize)]
pub struct PnlTradeJson<'a> {
    asset: String,
    pnl: Option<String>,
    size: Option<&'a Value>,
    snapshot: String,
    stop_loss: bool,
    trade: &'a str,
    ts: &'a str,
}

#[derive(Serialize)]
pub struct KillSwitchJson<'a> {
    latched: bool,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
pub struct PnlJson<'a> {
    kill_switch: KillSwitchJson<'a>,
    totals: Map<String, Value>,
    trades: Vec<PnlTradeJson<'a>>,
}

pub fn pnl<'a>(
    trades: &'a [Recorded],
    totals: &std::collections::BTreeMap<String, Decimal>,
    latched: Option<&'a str>,
    stop: impl Fn(&Recorded) -> bool,
) -> PnlJson<'a> {
    PnlJson {
        kill_switch: KillSwitchJson {
            latched: latched.is_some(),
            reason: latched,
        },
        totals: totals
            .iter()
            .map(|(a, d)| (a.clone(), Value::String(d.normalize().to_string())))
            .collect(),
        trades: trades
            .iter()
            .map(|t| PnlTradeJson {
                asset: t.asset(),
                pnl: t.pnl().map(|d| d.to_string()),
                size: t.decision.get("size"),
                snapshot: t.snapshot(),
                stop_loss: stop(t),
                trade: &t.trade,
                ts: &t.ts,
            })
            .collect(),
    }
}
