//! Markets, order books and the exact fill of one leg against book depth. Every amount is
//! a `Decimal`: quantities are rounded down to the market's lot step, fees are rounded up
//! to `FEE_PLACES`, and nothing is ever rounded in the trader's favour.

use super::Venue;
use crate::clock::Millis;
use rust_decimal::{Decimal, RoundingStrategy};

/// Fees are rounded up to this many decimal places (the finest unit the three venues
/// quote balances in).
pub const FEE_PLACES: u32 = 8;

/// One price level: a price and the quantity of base asset offered there.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub price: Decimal,
    pub qty: Decimal,
}

/// A spot market as the venue's market list describes it.
#[derive(Clone, Debug)]
pub struct Market {
    pub venue: Venue,
    /// The venue's own market id (Binance `BTCUSDT`, Kraken `XXBTZUSD`, Coinbase `BTC-USD`).
    pub symbol: String,
    /// What a book request names (Kraken's altname; the symbol elsewhere).
    pub request_id: String,
    /// Canonical asset names (Kraken's XBT is BTC, XDG is DOGE).
    pub base: String,
    pub quote: String,
    /// Order quantities are whole multiples of this (base asset).
    pub lot_step: Decimal,
    pub min_qty: Decimal,
    /// Smallest order value, in the quote asset.
    pub min_notional: Decimal,
    pub tick: Decimal,
    /// Kraken's public taker tiers: (30-day volume in USD, fee in percent).
    pub fee_tiers: Vec<(Decimal, Decimal)>,
}

#[cfg(test)]
impl Market {
    /// A Binance spot market for tests: `base``quote`, lot step `lot`, no other limits.
    pub(crate) fn for_tests(base: &str, quote: &str, lot: &str) -> Market {
        let lot: Decimal = lot.parse().expect("a lot step");
        Market {
            venue: Venue::Binance,
            symbol: format!("{base}{quote}"),
            request_id: format!("{base}{quote}"),
            base: base.into(),
            quote: quote.into(),
            lot_step: lot,
            min_qty: Decimal::ZERO,
            min_notional: Decimal::ZERO,
            tick: lot,
            fee_tiers: vec![],
        }
    }
}

/// An order book as fetched: bids best (highest) first, asks best (lowest) first.
#[derive(Clone, Debug)]
pub struct Book {
    pub venue: Venue,
    pub symbol: String,
    pub bids: Vec<Level>,
    pub asks: Vec<Level>,
    /// When echoctl received it.
    pub fetched_at: Millis,
    /// Which recording round of the snapshot it belongs to (0 for a single recording).
    pub round: u32,
    /// SHA-256 of the raw response body it was parsed from.
    pub body_sha256: String,
}

impl Book {
    /// Why the book cannot be traded against, if it cannot.
    pub fn defect(&self) -> Option<String> {
        let (Some(bid), Some(ask)) = (self.bids.first(), self.asks.first()) else {
            return Some("empty book".into());
        };
        if bid.price >= ask.price {
            return Some(format!(
                "crossed book: best bid {} >= best ask {}",
                bid.price, ask.price
            ));
        }
        let sorted = |l: &[Level], better: fn(&Decimal, &Decimal) -> bool| {
            l.windows(2).all(|w| better(&w[0].price, &w[1].price))
        };
        if !sorted(&self.bids, |a, b| a > b) || !sorted(&self.asks, |a, b| a < b) {
            return Some("levels out of order".into());
        }
        let bad = |l: &Level| l.price <= Decimal::ZERO || l.qty <= Decimal::ZERO;
        if self.bids.iter().chain(&self.asks).any(bad) {
            return Some("a level with a non-positive price or quantity".into());
        }
        None
    }
}

/// Which way a leg trades its market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Spend quote, receive base (walks the asks).
    Buy,
    /// Spend base, receive quote (walks the bids).
    Sell,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "buy" => Some(Side::Buy),
            "sell" => Some(Side::Sell),
            _ => None,
        }
    }
}

/// What one leg did: spent `spent` of its input asset, received `received` (after the fee)
/// of its output asset.
#[derive(Clone, Debug, PartialEq)]
pub struct LegFill {
    pub spent: Decimal,
    /// Base quantity traded.
    pub qty: Decimal,
    /// Output before the fee.
    pub gross: Decimal,
    pub fee: Decimal,
    pub received: Decimal,
    /// Price levels touched.
    pub levels: usize,
    /// The book could not take the whole amount.
    pub partial: bool,
}

/// Why a leg cannot trade at all.
#[derive(Clone, Debug, PartialEq)]
pub enum NoFill {
    /// Below the lot step, minimum quantity or minimum notional.
    BelowMinimum(String),
    /// No level on that side.
    EmptySide,
    /// Arithmetic overflow (amounts beyond 28 digits).
    Overflow,
    /// Not placed: trading stopped (an emergency halt) before this order.
    Refused(String),
}

impl std::fmt::Display for NoFill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoFill::BelowMinimum(s) => write!(f, "below the market minimum: {s}"),
            NoFill::EmptySide => write!(f, "no liquidity on that side of the book"),
            NoFill::Overflow => write!(f, "amount out of range"),
            NoFill::Refused(why) => write!(f, "not placed: {why}"),
        }
    }
}

/// Rounds down to a whole multiple of `step` (a zero step leaves `x` as it is).
pub fn floor_step(x: Decimal, step: Decimal) -> Option<Decimal> {
    if step.is_zero() {
        return Some(x);
    }
    Some(x.checked_div(step)?.floor().checked_mul(step)?.normalize())
}

fn fee_of(amount: Decimal, rate: Decimal) -> Option<Decimal> {
    Some(
        amount
            .checked_mul(rate)?
            .round_dp_with_strategy(FEE_PLACES, RoundingStrategy::ToPositiveInfinity)
            .normalize(),
    )
}

/// Fills `amount` of the leg's input asset against the book at taker fee `rate`: a sell
/// spends base and walks the bids, a buy spends quote and walks the asks. A book too thin
/// for the whole amount gives a partial fill.
pub fn fill(
    market: &Market,
    book: &Book,
    side: Side,
    amount: Decimal,
    rate: Decimal,
) -> Result<LegFill, NoFill> {
    match side {
        Side::Sell => sell(market, &book.bids, amount, rate),
        Side::Buy => buy(market, &book.asks, amount, rate),
    }
    .ok_or(NoFill::Overflow)?
}

fn sell(m: &Market, bids: &[Level], amount: Decimal, rate: Decimal) -> Option<Result<LegFill, NoFill>> {
    if bids.is_empty() {
        return Some(Err(NoFill::EmptySide));
    }
    let wanted = floor_step(amount, m.lot_step)?;
    let (gross, rem, levels) = take(bids, wanted)?;
    let qty = wanted - rem;
    Some(finish(m, qty, gross, gross, rate, levels, !rem.is_zero(), qty))
}

fn buy(m: &Market, asks: &[Level], amount: Decimal, rate: Decimal) -> Option<Result<LegFill, NoFill>> {
    if asks.is_empty() {
        return Some(Err(NoFill::EmptySide));
    }
    // The base the amount affords, then rounded down to the lot step, then priced again
    // level by level: the cost is never more than the amount.
    let (mut rem, mut affordable, mut exhausted) = (amount, Decimal::ZERO, true);
    for l in asks {
        let cost = l.qty.checked_mul(l.price)?;
        if rem >= cost {
            affordable = affordable.checked_add(l.qty)?;
            rem -= cost;
        } else {
            affordable = affordable.checked_add(rem.checked_div(l.price)?)?;
            exhausted = false;
            break;
        }
    }
    let mut qty = floor_step(affordable, m.lot_step)?;
    loop {
        let (cost, _, levels) = take(asks, qty)?;
        if cost <= amount || qty.is_zero() {
            return Some(finish(
                m,
                qty,
                cost,
                qty,
                rate,
                levels,
                exhausted && !rem.is_zero(),
                cost,
            ));
        }
        qty = qty
            .checked_sub(if m.lot_step.is_zero() {
                Decimal::new(1, 18)
            } else {
                m.lot_step
            })?
            .max(Decimal::ZERO);
    }
}

/// Takes `qty` of base from the levels, best first: (its value in quote, the quantity the
/// levels could not give, the levels touched).
fn take(levels: &[Level], qty: Decimal) -> Option<(Decimal, Decimal, usize)> {
    let (mut rem, mut value, mut touched) = (qty, Decimal::ZERO, 0);
    for l in levels {
        if rem.is_zero() {
            break;
        }
        let t = rem.min(l.qty);
        value = value.checked_add(t.checked_mul(l.price)?)?;
        rem -= t;
        touched += 1;
    }
    Some((value, rem, touched))
}

/// Applies the minimums and the fee (charged on what the leg receives).
#[allow(clippy::too_many_arguments)]
fn finish(
    m: &Market,
    qty: Decimal,
    notional: Decimal,
    gross: Decimal,
    rate: Decimal,
    levels: usize,
    partial: bool,
    spent: Decimal,
) -> Result<LegFill, NoFill> {
    if qty.is_zero() || qty < m.min_qty {
        return Err(NoFill::BelowMinimum(format!(
            "{} {} {} is under the minimum quantity {} (lot {})",
            m.symbol, qty, m.base, m.min_qty, m.lot_step
        )));
    }
    if notional < m.min_notional {
        return Err(NoFill::BelowMinimum(format!(
            "{} order value {} {} is under the minimum notional {}",
            m.symbol, notional, m.quote, m.min_notional
        )));
    }
    let fee = fee_of(gross, rate).ok_or(NoFill::Overflow)?;
    Ok(LegFill {
        spent: spent.normalize(),
        qty: qty.normalize(),
        gross: gross.normalize(),
        fee,
        received: (gross - fee).max(Decimal::ZERO).normalize(),
        levels,
        partial,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn market() -> Market {
        Market {
            min_qty: d("0.001"),
            min_notional: d("5"),
            ..Market::for_tests("ETH", "USDT", "0.001")
        }
    }
    fn levels(v: &[(&str, &str)]) -> Vec<Level> {
        v.iter()
            .map(|(p, q)| Level {
                price: d(p),
                qty: d(q),
            })
            .collect()
    }

    #[test]
    fn sell_walks_the_bids_rounds_the_lot_down_and_the_fee_up() {
        let bids = levels(&[("11", "5"), ("10", "100")]);
        let f = sell(&market(), &bids, d("6.0009"), d("0.001")).unwrap().unwrap();
        // 6.000 ETH: 5 at 11 and 1 at 10 = 65 USDT; fee 0.065.
        assert_eq!(
            (f.qty, f.gross, f.fee, f.received, f.levels),
            (d("6"), d("65"), d("0.065"), d("64.935"), 2)
        );
        assert!(!f.partial);
        let f = sell(&market(), &bids, d("1000"), d("0")).unwrap().unwrap();
        assert!(f.partial);
        assert_eq!(f.qty, d("105"));
    }

    #[test]
    fn buy_never_spends_more_than_the_amount() {
        let asks = levels(&[("3", "1"), ("7", "10")]);
        let f = buy(&market(), &asks, d("10"), d("0.001")).unwrap().unwrap();
        // 3 buys 1 ETH; 7 more buy 1 ETH: 2 ETH for 10.
        assert_eq!(
            (f.qty, f.spent, f.fee, f.received),
            (d("2"), d("10"), d("0.002"), d("1.998"))
        );
        let f = buy(&market(), &asks, d("10.0069"), d("0")).unwrap().unwrap();
        assert_eq!((f.qty, f.spent), (d("2"), d("10")));
        let f = buy(&market(), &asks, d("10.007"), d("0")).unwrap().unwrap();
        assert_eq!((f.qty, f.spent), (d("2.001"), d("10.007")));
    }

    #[test]
    fn minimums_refuse_the_leg() {
        let bids = levels(&[("2", "5")]);
        assert!(matches!(
            sell(&market(), &bids, d("0.0009"), d("0")),
            Some(Err(NoFill::BelowMinimum(_)))
        ));
        assert!(matches!(
            sell(&market(), &bids, d("2"), d("0")),
            Some(Err(NoFill::BelowMinimum(_)))
        ));
        assert!(matches!(
            sell(&market(), &[], d("2"), d("0")),
            Some(Err(NoFill::EmptySide))
        ));
    }
}
