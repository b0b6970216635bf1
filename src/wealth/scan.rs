//! The scan: every cycle from the capital asset back to it (two legs across venues, three
//! legs, or four with `max_legs = 4`) over the usable books, filtered at the top of the
//! book, then sized exactly: the cycle's output is piecewise linear in its input with
//! breakpoints where a leg exhausts a price level, so the best size is one of those
//! breakpoints (or the position limit), and each candidate is simulated leg by leg in
//! exact decimals with lot rounding, minimums and fees.

use super::book::{fill, Book, LegFill, Market, NoFill, Side};
use super::exchange::snapshot::Snapshot;
use super::fees::FeeSchedule;
use crate::clock::Millis;
use crate::ledger::entry::hex;
use rust_decimal::{Decimal, RoundingStrategy};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Places the start amount of a candidate size is rounded down to.
pub const SIZE_PLACES: u32 = 8;
/// Breakpoints examined per cycle at most.
const MAX_BREAKPOINTS: usize = 512;

#[derive(Clone, Debug)]
pub struct ScanParams {
    /// The asset cycles start and end in, and the capital is counted in.
    pub asset: String,
    pub capital: Decimal,
    /// Largest position per cycle, as a fraction of capital (0.10).
    pub max_position: Decimal,
    pub min_profit_bps: Decimal,
    pub max_legs: usize,
    pub max_age_ms: i64,
    pub max_skew_ms: i64,
    /// What leg ages are measured against.
    pub now: Millis,
    pub fees: FeeSchedule,
    /// The snapshot round whose books are scanned.
    pub round: u32,
}

impl ScanParams {
    pub fn position_limit(&self) -> Decimal {
        // max_position is at most 1, so the product never exceeds the capital.
        self.capital
            .checked_mul(self.max_position)
            .unwrap_or(self.capital)
            .normalize()
    }
}

/// One leg of a cycle: a market traded one way against one recorded book.
#[derive(Clone, Debug)]
pub struct Leg {
    pub market: Market,
    pub book: usize,
    pub side: Side,
    pub from: String,
    pub to: String,
    pub fee_rate: Decimal,
}

impl Leg {
    pub fn key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.market.venue,
            self.market.symbol,
            self.side.as_str()
        )
    }
}

#[derive(Clone, Debug)]
pub struct Opportunity {
    pub id: String,
    pub legs: Vec<Leg>,
    /// Input of the first leg, in the capital asset.
    pub size: Decimal,
    pub fills: Vec<LegFill>,
    /// Output of the last leg.
    pub out: Decimal,
    pub gross_profit: Decimal,
    pub net_profit: Decimal,
    pub profit_bps: Decimal,
    pub ages_ms: Vec<i64>,
    pub skew_ms: i64,
}

impl Opportunity {
    pub fn path(&self) -> String {
        let mut s = self.legs.first().map(|l| l.from.clone()).unwrap_or_default();
        for l in &self.legs {
            s.push_str(&format!(
                " -[{} {} {}]-> {}",
                l.market.venue,
                l.market.symbol,
                l.side.as_str(),
                l.to
            ));
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    pub what: String,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub struct ScanReport {
    pub snapshot: String,
    pub opportunities: Vec<Opportunity>,
    pub rejections: Vec<Rejection>,
    pub cycles: usize,
    pub books: usize,
}

/// A stable id for a cycle in a snapshot.
pub fn opportunity_id(snapshot: &str, legs: &[Leg]) -> String {
    let keys: Vec<String> = legs.iter().map(Leg::key).collect();
    let mut h = Sha256::new();
    h.update(snapshot.as_bytes());
    h.update(b"\n");
    h.update(keys.join(">").as_bytes());
    hex(&h.finalize())[..16].to_string()
}

/// Runs the legs in order from `size` of the first leg's input asset; each leg spends
/// what the one before it received. Fee rates of `None` mean no fees (gross).
pub fn simulate(
    books: &[Book],
    legs: &[Leg],
    size: Decimal,
    with_fees: bool,
) -> Result<Vec<LegFill>, NoFill> {
    let mut amount = size;
    let mut fills = Vec::with_capacity(legs.len());
    for l in legs {
        let rate = if with_fees { l.fee_rate } else { Decimal::ZERO };
        let f = fill(&l.market, &books[l.book], l.side, amount, rate)?;
        amount = f.received;
        fills.push(f);
    }
    Ok(fills)
}

struct Edge {
    market: usize,
    book: usize,
    side: Side,
    to: usize,
    /// Marginal rate at the top of the book, net of the fee.
    top: Decimal,
}

fn level_steps(book: &Book, side: Side, rate: Decimal) -> Option<Vec<(Decimal, Decimal)>> {
    let keep = Decimal::ONE - rate;
    match side {
        Side::Sell => book
            .bids
            .iter()
            .map(|l| Some((l.qty, l.price.checked_mul(keep)?)))
            .collect(),
        Side::Buy => book
            .asks
            .iter()
            .map(|l| Some((l.price.checked_mul(l.qty)?, keep.checked_div(l.price)?)))
            .collect(),
    }
}

/// The candidate sizes: each breakpoint while the marginal rate of the whole cycle is
/// above 1, and the position limit.
fn candidates(books: &[Book], legs: &[Leg], limit: Decimal) -> Option<Vec<Decimal>> {
    let steps: Vec<Vec<(Decimal, Decimal)>> = legs
        .iter()
        .map(|l| level_steps(&books[l.book], l.side, l.fee_rate))
        .collect::<Option<_>>()?;
    let mut idx = vec![0usize; legs.len()];
    let mut rem: Vec<Decimal> = steps.iter().map(|s| s[0].0).collect();
    let (mut x, mut out) = (Decimal::ZERO, Vec::new());
    let tiny = Decimal::new(1, 20);
    while out.len() < MAX_BREAKPOINTS {
        let mut mult = Vec::with_capacity(legs.len());
        let mut m = Decimal::ONE;
        for (k, s) in steps.iter().enumerate() {
            mult.push(m);
            m = m.checked_mul(s[idx[k]].1)?;
        }
        if m <= Decimal::ONE {
            break;
        }
        let dx = (0..legs.len())
            .filter_map(|k| rem[k].checked_div(mult[k]))
            .min()?;
        if x.checked_add(dx).is_none_or(|end| end >= limit) {
            out.push(limit);
            break;
        }
        x += dx;
        out.push(x);
        let mut exhausted = false;
        for k in 0..legs.len() {
            rem[k] -= dx.checked_mul(mult[k])?;
            if rem[k] <= tiny {
                idx[k] += 1;
                match steps[k].get(idx[k]) {
                    Some(s) => rem[k] = s.0,
                    None => exhausted = true,
                }
            }
        }
        if exhausted {
            break;
        }
    }
    Some(out)
}

/// The best size for a cycle and its fills, if any size is profitable.
pub fn size_cycle(
    books: &[Book],
    legs: &[Leg],
    limit: Decimal,
) -> Result<Option<(Decimal, Vec<LegFill>, Decimal)>, String> {
    let Some(cands) = candidates(books, legs, limit) else {
        return Err("amount out of range".into());
    };
    let mut best: Option<(Decimal, Vec<LegFill>, Decimal)> = None;
    let mut why = None;
    for c in cands {
        let x = c.round_dp_with_strategy(SIZE_PLACES, RoundingStrategy::ToZero);
        match simulate(books, legs, x, true) {
            Ok(fills) => {
                let spent = fills[0].spent;
                let profit = fills[fills.len() - 1].received - spent;
                if best.as_ref().is_none_or(|b| profit > b.2) {
                    best = Some((spent, fills, profit));
                }
            }
            Err(e) => why = Some(e.to_string()),
        }
    }
    match (best, why) {
        (Some(b), _) if b.2 > Decimal::ZERO => Ok(Some(b)),
        (None, Some(w)) => Err(w),
        _ => Ok(None),
    }
}

/// Scans the books of `p.round` for profitable cycles.
pub fn scan(snap: &Snapshot, p: &ScanParams) -> ScanReport {
    let books = &snap.books;
    let mut rejections = Vec::new();
    // Assets are numbered; edges leave each asset.
    let mut assets: HashMap<String, usize> = HashMap::new();
    let mut adj: Vec<Vec<Edge>> = Vec::new();
    let mut used = 0;
    for (bi, b) in books.iter().enumerate().filter(|(_, b)| b.round == p.round) {
        let what = format!("{} {}", b.venue, b.symbol);
        if let Some(d) = b.defect() {
            rejections.push(Rejection { what, reason: d });
            continue;
        }
        let age = p.now - b.fetched_at;
        if age > p.max_age_ms {
            rejections.push(Rejection {
                what,
                reason: format!("stale: {age} ms old, more than {} ms", p.max_age_ms),
            });
            continue;
        }
        let Some(mi) = snap.market_index(b.venue, &b.symbol) else {
            continue;
        };
        let m = &snap.markets[mi];
        used += 1;
        let rate = p.fees.taker(m);
        let keep = Decimal::ONE - rate;
        let mut node = |a: &str| -> usize {
            if let Some(&i) = assets.get(a) {
                return i;
            }
            let i = adj.len();
            assets.insert(a.to_owned(), i);
            adj.push(Vec::new());
            i
        };
        let (base, quote) = (node(&m.base), node(&m.quote));
        let sell = b.bids[0].price.checked_mul(keep);
        let buy = keep.checked_div(b.asks[0].price);
        if let (Some(sell), Some(buy)) = (sell, buy) {
            adj[base].push(Edge {
                market: mi,
                book: bi,
                side: Side::Sell,
                to: quote,
                top: sell,
            });
            adj[quote].push(Edge {
                market: mi,
                book: bi,
                side: Side::Buy,
                to: base,
                top: buy,
            });
        }
    }
    let mut report = ScanReport {
        snapshot: snap.hash.clone(),
        opportunities: Vec::new(),
        rejections,
        cycles: 0,
        books: used,
    };
    let Some(&start) = assets.get(p.asset.as_str()) else {
        return report;
    };
    let limit = p.position_limit();
    let consider = |path: &[&Edge], report: &mut ScanReport| {
        report.cycles += 1;
        let mut top = Decimal::ONE;
        for e in path {
            match top.checked_mul(e.top) {
                Some(t) => top = t,
                None => return,
            }
        }
        if top <= Decimal::ONE {
            return;
        }
        let legs: Vec<Leg> = path
            .iter()
            .map(|e| {
                let m = &snap.markets[e.market];
                let (from, to) = match e.side {
                    Side::Sell => (m.base.clone(), m.quote.clone()),
                    Side::Buy => (m.quote.clone(), m.base.clone()),
                };
                Leg {
                    fee_rate: p.fees.taker(m),
                    market: m.clone(),
                    book: e.book,
                    side: e.side,
                    from,
                    to,
                }
            })
            .collect();
        let ages: Vec<i64> = legs.iter().map(|l| p.now - books[l.book].fetched_at).collect();
        let times = legs.iter().map(|l| books[l.book].fetched_at);
        let skew = times.clone().max().unwrap_or(0) - times.min().unwrap_or(0);
        let id = opportunity_id(&snap.hash, &legs);
        let path_text = || legs.iter().map(Leg::key).collect::<Vec<_>>().join(" > ");
        if skew > p.max_skew_ms {
            report.rejections.push(Rejection {
                what: path_text(),
                reason: format!("legs {skew} ms apart, more than {} ms", p.max_skew_ms),
            });
            return;
        }
        match size_cycle(books, &legs, limit) {
            Ok(Some((size, fills, net))) => {
                let gross = simulate(books, &legs, size, false)
                    .map(|f| f[f.len() - 1].received - f[0].spent)
                    .unwrap_or(net);
                let bps = net
                    .checked_mul(Decimal::from(10_000))
                    .and_then(|n| n.checked_div(size))
                    .unwrap_or(Decimal::MAX)
                    .round_dp_with_strategy(2, RoundingStrategy::ToZero);
                if bps < p.min_profit_bps {
                    return;
                }
                report.opportunities.push(Opportunity {
                    id,
                    out: fills[fills.len() - 1].received,
                    legs,
                    size,
                    fills,
                    gross_profit: gross.normalize(),
                    net_profit: net.normalize(),
                    profit_bps: bps.normalize(),
                    ages_ms: ages,
                    skew_ms: skew,
                });
            }
            Ok(None) => {}
            Err(why) => report.rejections.push(Rejection {
                what: path_text(),
                reason: format!("no tradable size: {why}"),
            }),
        }
    };
    for e1 in &adj[start] {
        let a = e1.to;
        if a == start {
            continue;
        }
        for e2 in &adj[a] {
            let b = e2.to;
            if b == start {
                if e2.market != e1.market {
                    consider(&[e1, e2], &mut report);
                }
                continue;
            }
            if b == a {
                continue;
            }
            for e3 in &adj[b] {
                let c = e3.to;
                if c == start {
                    consider(&[e1, e2, e3], &mut report);
                    continue;
                }
                if p.max_legs < 4 || c == a || c == b {
                    continue;
                }
                for e4 in adj[c].iter().filter(|e| e.to == start) {
                    consider(&[e1, e2, e3, e4], &mut report);
                }
            }
        }
    }
    report
        .opportunities
        .sort_by(|a, b| b.net_profit.cmp(&a.net_profit).then_with(|| a.id.cmp(&b.id)));
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wealth::book::Level;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn market(base: &str, quote: &str) -> Market {
        Market::for_tests(base, quote, "0.0001")
    }

    fn book(m: &Market, bids: Vec<Level>, asks: Vec<Level>) -> Book {
        Book {
            venue: m.venue,
            symbol: m.symbol.clone(),
            bids,
            asks,
            fetched_at: 0,
            round: 0,
            body_sha256: String::new(),
        }
    }

    fn params(max_legs: usize) -> ScanParams {
        ScanParams {
            asset: "USDT".into(),
            capital: d("10000"),
            max_position: d("0.1"),
            min_profit_bps: Decimal::ZERO,
            max_legs,
            max_age_ms: 1000,
            max_skew_ms: 1000,
            now: 0,
            fees: FeeSchedule {
                binance_taker: d("0.001"),
                ..FeeSchedule::default()
            },
            round: 0,
        }
    }

    fn lv(p: &str, q: &str) -> Level {
        Level {
            price: d(p),
            qty: d(q),
        }
    }

    /// A four-asset ring USDT -> A -> B -> C -> USDT with 2% on the ring and no triangle.
    #[test]
    fn four_leg_cycles_only_with_max_legs_4() {
        let ms = vec![
            market("A", "USDT"),
            market("B", "A"),
            market("C", "B"),
            market("C", "USDT"),
        ];
        let books = vec![
            book(&ms[0], vec![lv("0.99", "1000")], vec![lv("1", "1000")]),
            book(&ms[1], vec![lv("0.99", "1000")], vec![lv("1", "1000")]),
            book(&ms[2], vec![lv("0.99", "1000")], vec![lv("1", "1000")]),
            book(&ms[3], vec![lv("1.02", "1000")], vec![lv("1.03", "1000")]),
        ];
        let snap = Snapshot::from_parts("h".into(), 0, ms, books);
        assert!(scan(&snap, &params(3)).opportunities.is_empty());
        let r = scan(&snap, &params(4));
        assert_eq!(r.opportunities.len(), 1);
        let o = &r.opportunities[0];
        assert_eq!(o.legs.len(), 4);
        // 1000 USDT (the limit) -> 999 A -> 998.001 B -> 997.0029 C (lots of 0.0001) ->
        // 997.0029 * 1.02 = 1016.942958, fee 1.01694296 (rounded up) -> 1015.92601504.
        assert_eq!((o.size, o.out), (d("1000"), d("1015.92601504")));
    }

    fn side(levels: &[(u32, u32)], scale: u32) -> Vec<Level> {
        levels
            .iter()
            .map(|(p, q)| Level {
                price: Decimal::new(i64::from(*p), scale),
                qty: Decimal::new(i64::from(*q), 2),
            })
            .collect()
    }

    /// (price step, quantity) per level, bids then asks, per market.
    type Sides = Vec<(Vec<(u32, u32)>, Vec<(u32, u32)>)>;

    fn books_strategy() -> impl Strategy<Value = Sides> {
        // Per market: bid levels descending, ask levels ascending above them.
        let one = (1u32..5, 1u32..5).prop_flat_map(|(nb, na)| {
            (
                proptest::collection::vec((1u32..40, 1u32..5000), nb as usize),
                proptest::collection::vec((1u32..40, 1u32..5000), na as usize),
                9_000u32..11_000,
            )
                .prop_map(|(b, a, mid)| {
                    let mut p = mid;
                    let bids = b
                        .iter()
                        .map(|(step, q)| {
                            p -= step;
                            (p, *q)
                        })
                        .collect();
                    let mut p = mid;
                    let asks = a
                        .iter()
                        .map(|(step, q)| {
                            p += step;
                            (p, *q)
                        })
                        .collect();
                    (bids, asks)
                })
        });
        proptest::collection::vec(one, 3)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Whatever the books, a simulated cycle never takes more than a level offers and
        /// never returns more than the top of every book would (no fee, no rounding).
        #[test]
        fn a_cycle_never_yields_more_than_the_books_deliver(sides in books_strategy(), size in 1u32..200_000) {
            let ms = vec![market("A", "USDT"), market("A", "B"), market("B", "USDT")];
            // Prices around 1.0000 (scale 4) so every cycle is near break-even.
            let books: Vec<Book> = ms.iter().zip(&sides).map(|(m, (b, a))| book(m, side(b, 4), side(a, 4))).collect();
            let snap = Snapshot::from_parts("h".into(), 0, ms.clone(), books.clone());
            let p = params(3);
            let report = scan(&snap, &p);
            for o in &report.opportunities {
                prop_assert!(o.size <= p.position_limit());
                prop_assert!(o.net_profit > Decimal::ZERO);
                prop_assert!(o.net_profit <= o.gross_profit);
                prop_assert_eq!(o.out - o.size, o.net_profit);
            }
            // Every cycle through USDT, both ways, at an arbitrary size.
            let leg = |i: usize, side: Side| {
                let m = &ms[i];
                let (from, to) = if side == Side::Sell { (m.base.clone(), m.quote.clone()) } else { (m.quote.clone(), m.base.clone()) };
                Leg { market: m.clone(), book: i, side, from, to, fee_rate: d("0.001") }
            };
            let cycles = [
                vec![leg(0, Side::Buy), leg(1, Side::Sell), leg(2, Side::Sell)],
                vec![leg(2, Side::Buy), leg(1, Side::Buy), leg(0, Side::Sell)],
            ];
            let x = Decimal::new(i64::from(size), 2);
            for legs in &cycles {
                let Ok(fills) = simulate(&books, legs, x, true) else { continue };
                let mut bound = x;
                for (l, f) in legs.iter().zip(&fills) {
                    let b = &books[l.book];
                    let levels = if l.side == Side::Sell { &b.bids } else { &b.asks };
                    let depth: Decimal = levels.iter().map(|l| l.qty).sum();
                    prop_assert!(f.qty <= depth, "took {} of {}", f.qty, depth);
                    prop_assert!(f.received <= f.gross && f.fee >= Decimal::ZERO);
                    bound = match l.side {
                        Side::Sell => bound * levels[0].price,
                        Side::Buy => bound / levels[0].price,
                    };
                    prop_assert!(f.received <= bound, "leg {} received {} > bound {}", l.key(), f.received, bound);
                }
                prop_assert!(fills[0].spent <= x);
            }
        }
    }
}
