//! Wealth scan benchmark (never run by CI):
//!
//!   cargo run --release --example bench_wealth -- [MARKETS] [ASSETS] [LEVELS] [RUNS]
//!
//! Builds a Binance-format snapshot bundle of MARKETS markets over ASSETS assets
//! (defaults 3,000 and 300; LEVELS price levels a side, default 20): every asset quoted
//! in USDT, the rest random cross pairs priced from hidden fair values with a 0.1%
//! spread, and 2% of the markets mispriced by up to 3% so that some cycles pay and are
//! sized through the depth. Then times loading the bundle (hash, JSON, decimals) and the
//! offline scan (every cycle of 2 and 3 legs from USDT, top-of-book filter, exact sizing)
//! over RUNS runs, also with --max-legs 4, and the whole `echoctl wealth scan` process
//! (BENCH_KEEP=FILE keeps the bundle, e.g. for perf).

use echoctl::wealth::exchange::snapshot::{Bundle, Recorded, Snapshot, FORMAT};
use echoctl::wealth::fees::FeeSchedule;
use echoctl::wealth::scan::{scan, ScanParams};
use echoctl::wealth::Venue;
use rust_decimal::Decimal;
use std::collections::HashSet;
use std::time::Instant;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().expect("a number"));
    let markets = args.next().unwrap_or(3000);
    let assets = args.next().unwrap_or(300);
    let levels = args.next().unwrap_or(20);
    let runs = args.next().unwrap_or(20);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Fair values in USDT: 0.01 .. 1000, four decimals.
    let fair: Vec<Decimal> = (0..assets)
        .map(|_| Decimal::new(100 + rng.below(10_000_000) as i64, 4))
        .collect();
    let name = |i: usize| {
        if i == 0 {
            "USDT".to_string()
        } else {
            format!("A{i:03}")
        }
    };
    let mut pairs: Vec<(usize, usize)> = (1..assets).map(|i| (i, 0)).collect();
    let mut seen: HashSet<(usize, usize)> = pairs.iter().copied().collect();
    while pairs.len() < markets {
        let (b, q) = (
            1 + rng.below(assets as u64 - 1) as usize,
            1 + rng.below(assets as u64 - 1) as usize,
        );
        if b != q && !seen.contains(&(b, q)) && !seen.contains(&(q, b)) {
            seen.insert((b, q));
            pairs.push((b, q));
        }
    }
    let mut symbols = Vec::new();
    let mut books = Vec::new();
    let t0 = 1_767_225_600_000i64;
    for (k, (b, q)) in pairs.iter().enumerate() {
        let sym = format!("{}{}", name(*b), name(*q));
        symbols.push(format!(
            "{{\"symbol\":\"{sym}\",\"status\":\"TRADING\",\"baseAsset\":\"{}\",\"quoteAsset\":\"{}\",\"filters\":[{{\"filterType\":\"PRICE_FILTER\",\"tickSize\":\"0.00000001\"}},{{\"filterType\":\"LOT_SIZE\",\"minQty\":\"0.0001\",\"stepSize\":\"0.0001\"}},{{\"filterType\":\"NOTIONAL\",\"minNotional\":\"0.0001\"}}]}}",
            name(*b),
            name(*q)
        ));
        let mut mid = fair[*b] / fair[*q];
        if rng.below(100) < 2 {
            mid *= Decimal::ONE + Decimal::new(rng.below(300) as i64, 4);
        }
        let tick = Decimal::new(1, 8);
        let half = (mid * Decimal::new(5, 4)).max(tick);
        let (mut bid, mut ask) = ((mid - half).round_dp(8), (mid + half).round_dp(8));
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        for _ in 0..levels {
            let qty = Decimal::new(1 + rng.below(100_000) as i64, 2) / mid.max(Decimal::new(1, 2));
            let qty = qty.round_dp(4).max(Decimal::new(1, 4));
            bids.push(format!("[\"{bid}\",\"{qty}\"]"));
            asks.push(format!("[\"{ask}\",\"{qty}\"]"));
            let step = (mid * Decimal::new(1 + rng.below(20) as i64, 4))
                .round_dp(8)
                .max(tick);
            bid = (bid - step).max(tick);
            ask += step;
        }
        let body = format!(
            "{{\"lastUpdateId\":{k},\"bids\":[{}],\"asks\":[{}]}}",
            bids.join(","),
            asks.join(",")
        );
        books.push(Recorded::new(
            Venue::Binance,
            "book",
            Some(&sym),
            0,
            format!("http://x/api/v3/depth?symbol={sym}"),
            t0,
            200,
            body,
        ));
    }
    let info = format!("{{\"symbols\":[{}]}}", symbols.join(","));
    let mut responses = vec![Recorded::new(
        Venue::Binance,
        "markets",
        None,
        0,
        "http://x/api/v3/exchangeInfo".into(),
        t0,
        200,
        info,
    )];
    responses.extend(books);
    let bytes = Bundle {
        format: FORMAT.into(),
        recorded_at: "2026-01-01T00:00:00Z".into(),
        responses,
    }
    .to_bytes();
    println!(
        "bundle: {markets} markets, {assets} assets, {levels} levels a side, {} bytes",
        bytes.len()
    );

    let mut load = Vec::new();
    let mut snap = None;
    for _ in 0..runs.clamp(1, 5) {
        let t = Instant::now();
        snap = Some(Snapshot::from_bytes(&bytes).expect("the bundle loads"));
        load.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let snap = snap.expect("loaded");
    for legs in [3, 4] {
        let p = ScanParams {
            asset: "USDT".into(),
            capital: Decimal::new(100_000, 0),
            max_position: Decimal::new(1, 1),
            min_profit_bps: Decimal::ZERO,
            max_legs: legs,
            max_age_ms: 10_000,
            max_skew_ms: 5_000,
            now: t0,
            fees: FeeSchedule::default(),
            round: 0,
        };
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..runs {
            let t = Instant::now();
            last = Some(scan(&snap, &p));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let r = last.expect("scanned");
        times.sort_by(f64::total_cmp);
        println!(
            "scan, max {legs} legs: p50 {:.2} ms, max {:.2} ms ({} runs): {} cycles, {} opportunities, best {} USDT on {} USDT",
            times[times.len() / 2],
            times[times.len() - 1],
            runs,
            r.cycles,
            r.opportunities.len(),
            r.opportunities.first().map_or("-".into(), |o| o.net_profit.to_string()),
            r.opportunities.first().map_or("-".into(), |o| o.size.to_string()),
        );
    }
    load.sort_by(f64::total_cmp);
    println!(
        "load bundle (sha256, JSON, decimals, {} books): p50 {:.1} ms",
        snap.books.len(),
        load[load.len() / 2]
    );

    // The whole process: read the file, load, scan, print --json.
    let bin = std::env::var_os("ECHOCTL_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/echoctl"));
    if bin.exists() {
        let file = std::env::temp_dir().join(format!("echoctl-bench-wealth-{}.json", std::process::id()));
        std::fs::write(&file, &bytes).expect("write the bundle");
        let mut times = Vec::new();
        for _ in 0..runs.clamp(1, 10) {
            let t = Instant::now();
            let out = std::process::Command::new(&bin)
                .args(["--json", "wealth", "scan", "--capital", "100000", "--snapshot"])
                .arg(&file)
                .output()
                .expect("run echoctl");
            times.push(t.elapsed().as_secs_f64() * 1e3);
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        times.sort_by(f64::total_cmp);
        println!(
            "echoctl wealth scan --snapshot (whole process, --json): p50 {:.1} ms",
            times[times.len() / 2]
        );
        match std::env::var_os("BENCH_KEEP") {
            Some(keep) => std::fs::rename(&file, keep).expect("keep the bundle"),
            None => std::fs::remove_file(&file).expect("remove the bundle"),
        }
    } else {
        println!("(build target/release/echoctl to time the whole process)");
    }
}
