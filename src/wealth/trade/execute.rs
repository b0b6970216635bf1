//! Executing a cycle: the `Executor` trait (the paper one fills against recorded books;
//! a live one would place orders), the paper wallet, the stop-loss and the unwind of a
//! stranded asset.

use super::super::book::{fill, Book, LegFill, Market, NoFill, Side};
use super::super::exchange::snapshot::Snapshot;
use super::super::fees::FeeSchedule;
use super::super::scan::Leg;
use super::super::Venue;
use super::{s, RiskLimits};
use crate::clock::{format_ts, Millis};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

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

/// An executor that asks before every order whether it may still act (an emergency halt
/// appended while a trade runs stops its next leg and any unwind: what is held stays
/// held, and the result reports it).
pub struct Guarded<'a> {
    pub inner: &'a mut dyn Executor,
    pub may_act: &'a mut dyn FnMut() -> Result<(), String>,
}

impl Executor for Guarded<'_> {
    fn quote(
        &self,
        market: &Market,
        side: Side,
        amount: Decimal,
        rate: Decimal,
    ) -> Result<(LegFill, Book), NoFill> {
        self.inner.quote(market, side, amount, rate)
    }

    fn execute(
        &mut self,
        market: &Market,
        side: Side,
        amount: Decimal,
        rate: Decimal,
    ) -> Result<(LegFill, Book), NoFill> {
        (self.may_act)().map_err(NoFill::Refused)?;
        self.inner.execute(market, side, amount, rate)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wealth::book::Book;
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
