//! Paper trading under risk limits, with every decision and fill in the ledger as `trade`
//! entries naming the snapshot they used, and replay: re-running every recorded trade from
//! the ledger and its snapshots, which must agree to the last decimal. Live execution is a
//! second `Executor`; echoctl ships only the paper one.

use super::book::{fill, Book, LegFill, Market, NoFill, Side};
use super::exchange::snapshot::Snapshot;
use super::fees::FeeSchedule;
use super::scan::{Leg, Opportunity, ScanParams};
use super::Venue;
use super::{Result, WealthError, KIND_TRADE};
use crate::clock::{format_ts, Clock, Millis};
use crate::ledger::entry::hex;
use crate::ledger::{Appended, Ledger, LogFilter, NewEntry, SystemEntry};
use crate::sign::Signers;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
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

/// Trades. The paper executor fills against recorded books; a live one would place
/// orders and report their fills.
pub trait Executor {
    /// What trading `amount` on one side of `market` would do now, without doing it.
    fn quote(
        &self,
        market: &Market,
        side: Side,
        amount: Decimal,
        rate: Decimal,
    ) -> Result<(LegFill, Book), NoFill>;
    /// Trades it: the fill and the book it met.
    fn execute(
        &mut self,
        market: &Market,
        side: Side,
        amount: Decimal,
        rate: Decimal,
    ) -> Result<(LegFill, Book), NoFill>;
}

/// Fills against the snapshot: the scanned round's books, or with a latency the first
/// recording of each market fetched at least `latency_ms` after the decision. What a fill
/// takes is gone from the book for the rest of the trade.
pub struct PaperExecutor<'a> {
    pub snap: &'a Snapshot,
    pub latency_ms: i64,
    /// When the scanned books were fetched (the newest of them).
    pub decided_at: Millis,
    /// The round that was scanned.
    pub round: u32,
    taken: HashMap<(Venue, String), Book>,
}

impl<'a> PaperExecutor<'a> {
    pub fn new(snap: &'a Snapshot, latency_ms: i64, decided_at: Millis, round: u32) -> Self {
        PaperExecutor {
            snap,
            latency_ms,
            decided_at,
            round,
            taken: HashMap::new(),
        }
    }

    fn book_now(&self, m: &Market) -> Option<Book> {
        if let Some(b) = self.taken.get(&(m.venue, m.symbol.clone())) {
            return Some(b.clone());
        }
        if self.latency_ms == 0 {
            return self
                .snap
                .books
                .iter()
                .find(|b| b.venue == m.venue && b.symbol == m.symbol && b.round == self.round)
                .cloned();
        }
        self.snap
            .book_at_or_after(m.venue, &m.symbol, self.decided_at + self.latency_ms)
            .cloned()
    }
}

impl Executor for PaperExecutor<'_> {
    fn quote(
        &self,
        market: &Market,
        side: Side,
        amount: Decimal,
        rate: Decimal,
    ) -> Result<(LegFill, Book), NoFill> {
        let book = self.book_now(market).ok_or(NoFill::EmptySide)?;
        let f = fill(market, &book, side, amount, rate)?;
        Ok((f, book))
    }

    fn execute(
        &mut self,
        market: &Market,
        side: Side,
        amount: Decimal,
        rate: Decimal,
    ) -> Result<(LegFill, Book), NoFill> {
        let (f, book) = self.quote(market, side, amount, rate)?;
        let mut left = book.clone();
        let levels = if side == Side::Sell {
            &mut left.bids
        } else {
            &mut left.asks
        };
        let mut qty = f.qty;
        while qty > Decimal::ZERO && !levels.is_empty() {
            let t = qty.min(levels[0].qty);
            levels[0].qty -= t;
            qty -= t;
            if levels[0].qty.is_zero() {
                levels.remove(0);
            }
        }
        self.taken.insert((market.venue, market.symbol.clone()), left);
        Ok((f, book))
    }
}

/// One executed fill: a leg of the cycle or an unwind.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecFill {
    /// The leg number, or `None` for an unwind.
    pub leg: Option<usize>,
    pub venue: Venue,
    pub market: String,
    pub side: Side,
    pub from: String,
    pub to: String,
    pub fill: LegFill,
    pub book_sha256: String,
    pub book_fetched_at: Millis,
}

impl ExecFill {
    pub fn to_json(&self, trade: &str) -> Map<String, Value> {
        let f = &self.fill;
        let v = json!({
            "event": "fill",
            "trade": trade,
            "leg": self.leg.map_or(Value::String("unwind".into()), |l| json!(l)),
            "venue": self.venue.as_str(),
            "market": self.market,
            "side": self.side.as_str(),
            "from": self.from,
            "to": self.to,
            "spent": s(f.spent),
            "qty": s(f.qty),
            "gross": s(f.gross),
            "fee": s(f.fee),
            "received": s(f.received),
            "levels": f.levels,
            "partial": f.partial,
            "book_sha256": self.book_sha256,
            "book_fetched_at": format_ts(self.book_fetched_at),
        });
        v.as_object().cloned().unwrap_or_default()
    }
}

/// What a trade did.
#[derive(Clone, Debug, PartialEq)]
pub struct Execution {
    pub fills: Vec<ExecFill>,
    /// Capital asset spent on the first leg.
    pub spent: Decimal,
    /// Capital asset received back (last leg or unwind).
    pub returned: Decimal,
    pub pnl: Decimal,
    pub stop_loss: bool,
    /// The leg that could not trade, and why.
    pub failed_leg: Option<(usize, String)>,
    /// Net holdings left in other assets (lot dust, an unwind that could not trade).
    pub residuals: BTreeMap<String, Decimal>,
}

/// The paper wallet: balances per venue and asset, seeded with the capital on every
/// venue of the cycle and, for a leg on another venue than the one before it, with the
/// inventory it spends there (cross-venue cycles assume inventory on both venues).
struct Wallet(BTreeMap<(Venue, String), Decimal>);

impl Wallet {
    fn take(&mut self, v: Venue, asset: &str, amount: Decimal) -> Result<(), NoFill> {
        let bal = self.0.entry((v, asset.to_owned())).or_default();
        if *bal < amount {
            return Err(NoFill::BelowMinimum(format!(
                "balance {bal} {asset} on {v} is less than {amount}"
            )));
        }
        *bal -= amount;
        Ok(())
    }
    fn put(&mut self, v: Venue, asset: &str, amount: Decimal) {
        *self.0.entry((v, asset.to_owned())).or_default() += amount;
    }
}

/// Runs a cycle with `size` of the capital asset through `exec`, with the stop-loss and
/// the unwind of a stranded asset.
pub fn execute(
    exec: &mut dyn Executor,
    snap: &Snapshot,
    legs: &[Leg],
    size: Decimal,
    risk: &RiskLimits,
    fees: &FeeSchedule,
) -> Execution {
    let capital_asset = legs[0].from.clone();
    let mut wallet = Wallet(BTreeMap::new());
    let mut deltas: BTreeMap<String, Decimal> = BTreeMap::new();
    for l in legs {
        wallet.put(l.market.venue, &capital_asset, Decimal::ZERO);
    }
    wallet.put(legs[0].market.venue, &capital_asset, size);
    let mut ex = Execution {
        fills: Vec::new(),
        spent: Decimal::ZERO,
        returned: Decimal::ZERO,
        pnl: Decimal::ZERO,
        stop_loss: false,
        failed_leg: None,
        residuals: BTreeMap::new(),
    };
    let mut holding = (legs[0].market.venue, capital_asset.clone(), size);
    for (k, leg) in legs.iter().enumerate() {
        let (venue, asset, amount) = holding.clone();
        if venue != leg.market.venue {
            // Pre-positioned inventory on the other venue.
            wallet.put(leg.market.venue, &asset, amount);
        }
        let attempt = wallet
            .take(leg.market.venue, &leg.from, amount)
            .and_then(|()| exec.execute(&leg.market, leg.side, amount, leg.fee_rate));
        let (f, book) = match attempt {
            Ok(x) => x,
            Err(e) => {
                if venue != leg.market.venue {
                    let _ = wallet.take(leg.market.venue, &asset, amount);
                }
                ex.failed_leg = Some((k, e.to_string()));
                break;
            }
        };
        // What the book could not take stays in the input asset.
        let left = amount - f.spent;
        let partial = f.partial;
        wallet.put(leg.market.venue, &leg.from, left);
        *deltas.entry(leg.from.clone()).or_default() -= f.spent;
        *deltas.entry(leg.to.clone()).or_default() += f.received;
        wallet.put(leg.market.venue, &leg.to, f.received);
        if k == 0 {
            ex.spent = f.spent;
        }
        holding = (leg.market.venue, leg.to.clone(), f.received);
        ex.fills.push(ExecFill {
            leg: Some(k),
            venue: leg.market.venue,
            market: leg.market.symbol.clone(),
            side: leg.side,
            from: leg.from.clone(),
            to: leg.to.clone(),
            fill: f,
            book_sha256: book.body_sha256.clone(),
            book_fetched_at: book.fetched_at,
        });
        if partial && leg.from != capital_asset {
            // A partial fill strands the rest of the input: unwind it too.
            let rest = (leg.market.venue, leg.from.clone(), left);
            if let Some((u, ux)) = unwind(exec, snap, &rest, &capital_asset, fees, true) {
                if wallet.take(leg.market.venue, &leg.from, u.spent).is_ok() {
                    *deltas.entry(leg.from.clone()).or_default() -= u.spent;
                    *deltas.entry(capital_asset.clone()).or_default() += u.received;
                    ex.fills.push(ExecFill { fill: u, ..ux });
                }
            }
        }
        if k + 1 < legs.len() {
            // Stop-loss: the stranded asset marked at what an unwind would return now.
            // The position is worth what came back already (partial unwinds) plus what
            // the held asset would fetch now, against book depth.
            if let Some((mark, _)) = unwind(exec, snap, &holding, &capital_asset, fees, false) {
                let back = ex.spent + deltas.get(&capital_asset).copied().unwrap_or_default();
                let floor = ex.spent * (Decimal::ONE - risk.stop_loss);
                if back + mark.received < floor {
                    ex.stop_loss = true;
                    break;
                }
            }
        }
    }
    let (venue, asset, amount) = holding;
    if asset != capital_asset && !amount.is_zero() {
        // A failed leg or the stop-loss left a stranded asset: unwind it.
        match unwind(
            exec,
            snap,
            &(venue, asset.clone(), amount),
            &capital_asset,
            fees,
            true,
        ) {
            Some((f, fx)) => {
                *deltas.entry(asset.clone()).or_default() -= f.spent;
                *deltas.entry(capital_asset.clone()).or_default() += f.received;
                ex.fills.push(ExecFill { fill: f, ..fx });
            }
            None => {
                if ex.failed_leg.is_none() {
                    ex.failed_leg = Some((
                        legs.len(),
                        format!("no market to unwind {asset} into {capital_asset}"),
                    ));
                }
            }
        }
    }
    ex.returned = deltas.get(&capital_asset).copied().unwrap_or_default() + ex.spent;
    ex.pnl = (ex.returned - ex.spent).normalize();
    ex.returned = ex.returned.normalize();
    for (a, d) in deltas {
        if a != capital_asset && !d.is_zero() {
            ex.residuals.insert(a, d.normalize());
        }
    }
    ex
}

/// Sells `holding` back into the capital asset (or, without `commit`, says what that would
/// give now): through a market between the two on the holding's venue first, then on any
/// venue, skipping books that are empty or crossed.
fn unwind(
    exec: &mut dyn Executor,
    snap: &Snapshot,
    holding: &(Venue, String, Decimal),
    capital: &str,
    fees: &FeeSchedule,
    commit: bool,
) -> Option<(LegFill, ExecFill)> {
    let (venue, asset, amount) = holding;
    let mut markets: Vec<_> = snap
        .markets
        .iter()
        .filter(|m| (m.base == *asset && m.quote == capital) || (m.base == capital && m.quote == *asset))
        .collect();
    markets.sort_by_key(|m| (m.venue != *venue, m.venue, m.symbol.clone()));
    for m in markets {
        let side = if m.base == *asset { Side::Sell } else { Side::Buy };
        let rate = fees.taker(m);
        let Ok((_, book)) = exec.quote(m, side, *amount, rate) else {
            continue;
        };
        if book.defect().is_some() {
            continue;
        }
        let done = if commit {
            exec.execute(m, side, *amount, rate)
        } else {
            exec.quote(m, side, *amount, rate)
        };
        if let Ok((f, book)) = done {
            let fx = ExecFill {
                leg: None,
                venue: m.venue,
                market: m.symbol.clone(),
                side,
                from: asset.clone(),
                to: capital.to_owned(),
                fill: f.clone(),
                book_sha256: book.body_sha256.clone(),
                book_fetched_at: book.fetched_at,
            };
            return Some((f, fx));
        }
    }
    None
}

/// A trade request.
#[derive(Clone, Debug)]
pub struct TradeParams {
    pub scan: ScanParams,
    /// Overrides the opportunity's best size.
    pub size: Option<Decimal>,
    pub latency_ms: i64,
    pub risk: RiskLimits,
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

/// Paper-trades an opportunity under the risk limits and writes the decision, every fill,
/// the result and (when the day's losses pass the limit) the kill switch, in one
/// transaction. Refusals write nothing.
#[allow(clippy::too_many_arguments)]
pub fn trade(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    snap: &Snapshot,
    opp: &Opportunity,
    p: &TradeParams,
) -> Result<TradeOutcome> {
    if let Some(why) = kill_switch(ledger)? {
        return Err(WealthError::KillSwitch(why));
    }
    let size = p.size.unwrap_or(opp.size);
    let limit = p.scan.position_limit();
    if size <= Decimal::ZERO {
        return Err(WealthError::ZeroSize);
    }
    if size > limit {
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
    let ex = run(snap, &opp.legs, size, p, decided_at);
    let trade = {
        let mut h = Sha256::new();
        h.update(format!("{}\n{}\n{}\n{}", snap.hash, opp.id, clock.now, size).as_bytes());
        hex(&h.finalize())[..16].to_string()
    };
    let decision = json!({
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
    let mut entries = vec![entry(source, object(decision))];
    entries.extend(ex.fills.iter().map(|f| entry(source, f.to_json(&trade))));
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
    let appended = ledger.append_system(signers, clock, source, entries)?;
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
    };
    Ok(run(snap, &legs, size, &p, decided_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wealth::book::Level;

    #[test]
    fn paper_fills_deplete_the_book_for_the_rest_of_the_trade() {
        let d = |s: &str| -> Decimal { s.parse().unwrap() };
        let m = Market::for_tests("ETH", "USDT", "0.001");
        let book = Book {
            venue: Venue::Binance,
            symbol: "ETHUSDT".into(),
            bids: vec![
                Level {
                    price: d("10"),
                    qty: d("1"),
                },
                Level {
                    price: d("9"),
                    qty: d("5"),
                },
            ],
            asks: vec![Level {
                price: d("11"),
                qty: d("1"),
            }],
            fetched_at: 0,
            round: 0,
            body_sha256: "b".into(),
        };
        let snap = Snapshot::from_parts("h".into(), 0, vec![m.clone()], vec![book]);
        let mut exec = PaperExecutor::new(&snap, 0, 0, 0);
        // A quote changes nothing; a fill takes the best level first.
        assert_eq!(
            exec.quote(&m, Side::Sell, d("1.5"), Decimal::ZERO)
                .unwrap()
                .0
                .gross,
            d("14.5")
        );
        assert_eq!(
            exec.quote(&m, Side::Sell, d("1.5"), Decimal::ZERO)
                .unwrap()
                .0
                .gross,
            d("14.5")
        );
        assert_eq!(
            exec.execute(&m, Side::Sell, d("1.5"), Decimal::ZERO)
                .unwrap()
                .0
                .gross,
            d("14.5")
        );
        // The second fill meets what is left: 4.5 at 9.
        let (f, _) = exec.execute(&m, Side::Sell, d("5"), Decimal::ZERO).unwrap();
        assert_eq!((f.qty, f.gross, f.partial), (d("4.5"), d("40.5"), true));
        assert_eq!(
            exec.execute(&m, Side::Sell, d("1"), Decimal::ZERO).err(),
            Some(NoFill::EmptySide)
        );
        // The other side is untouched.
        assert_eq!(
            exec.quote(&m, Side::Buy, d("11"), Decimal::ZERO).unwrap().0.qty,
            d("1")
        );
    }
}
