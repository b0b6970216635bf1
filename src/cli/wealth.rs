//! `echoctl wealth …`: thin handlers. Resolves the source (live or snapshot), the fee
//! schedule and the limits, calls `crate::wealth`, renders tables or --json.

use super::args::{LiveArgs, ScanArgs, VenueArg, WealthCommand};
use super::exit::{Failure, Result};
use super::ledger::{open_for_append, open_read_only, print_appended};
use super::output::{json, note, out, printable, row, table};
use super::settings::Settings;
use super::wealth_json;
use crate::wealth::exchange::http::{record, FetchOptions, Fetcher, Selection};
use crate::wealth::exchange::snapshot::{sha256_hex, Snapshot};
use crate::wealth::fees::FeeSchedule;
use crate::wealth::scan::{scan, ScanParams, ScanReport};
use crate::wealth::trade::{self, RiskLimits, TradeParams};
use crate::wealth::{Venue, WealthError};
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

fn venue(v: VenueArg) -> Venue {
    match v {
        VenueArg::Binance => Venue::Binance,
        VenueArg::Kraken => Venue::Kraken,
        VenueArg::Coinbase => Venue::Coinbase,
    }
}

fn decimal_arg(s: &str, flag: &str) -> Result<Decimal> {
    let d = Decimal::from_str(s.trim()).map_err(|_| {
        Failure::usage(format!("{flag} {s:?} is not a decimal"))
            .hint("write plain decimals, e.g. 10000 or 0.02")
    })?;
    if d < Decimal::ZERO {
        return Err(Failure::usage(format!("{flag} must not be negative"))
            .hint("write plain decimals, e.g. 10000 or 0.02"));
    }
    Ok(d)
}

fn fetcher(s: &Settings, live: &LiveArgs) -> Result<Fetcher> {
    let mut base_urls = std::collections::HashMap::new();
    for v in Venue::ALL {
        if let Some(u) = s.exchange_url(v) {
            base_urls.insert(v, u);
        }
    }
    Ok(Fetcher::new(FetchOptions {
        base_urls,
        timeout: Duration::from_millis(live.timeout_ms.max(1)),
        retries: live.retries,
        max_wait: Duration::from_secs(live.max_wait),
        pace: live.pace_ms.map(Duration::from_millis),
        backoff: Duration::from_millis(200),
    })?)
}

fn selection(live: &LiveArgs) -> Result<Selection> {
    let mut pairs = Vec::new();
    for s in &live.symbols {
        let (b, q) = s
            .split_once('/')
            .filter(|(b, q)| !b.is_empty() && !q.is_empty())
            .ok_or_else(|| {
                Failure::usage(format!("--symbols {s:?} is not BASE/QUOTE"))
                    .hint("e.g. --symbols BTC/USDT,ETH/BTC,ETH/USDT")
            })?;
        pairs.push((b.trim().to_uppercase(), q.trim().to_uppercase()));
    }
    Ok(Selection {
        pairs,
        assets: live.assets.iter().map(|a| a.trim().to_uppercase()).collect(),
    })
}

fn fetch_bundle(s: &Settings, live: &LiveArgs, rounds: u32, interval: Duration) -> Result<Vec<u8>> {
    if live.exchanges.is_empty() {
        return Err(Failure::usage("no source of books given")
            .hint("name --exchange VENUE (live) or --snapshot FILE (offline)"));
    }
    let mut venues: Vec<Venue> = live.exchanges.iter().copied().map(venue).collect();
    venues.dedup();
    let mut f = fetcher(s, live)?;
    let bundle = record(
        &mut f,
        &venues,
        &selection(live)?,
        live.depth,
        rounds,
        interval,
        &mut |what| {
            if s.progress {
                eprintln!("fetching {what}");
            }
        },
    )?;
    Ok(bundle.to_bytes())
}

fn read_file(p: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(p).map_err(|e| {
        let err = format!("cannot read {what} {}: {e}", p.display());
        if e.kind() == std::io::ErrorKind::NotFound {
            Failure::usage(err).hint("check the path")
        } else {
            Failure::env(err).hint("check the file's permissions")
        }
    })
}

/// The snapshot a scan runs on: the file, or a live recording. Returns its bytes too.
fn source(s: &Settings, a: &ScanArgs) -> Result<(Snapshot, Vec<u8>)> {
    let bytes = match &a.snapshot {
        Some(p) => read_file(p, "snapshot")?,
        None => fetch_bundle(s, &a.live, 1, Duration::ZERO)?,
    };
    Ok((Snapshot::from_bytes(&bytes)?, bytes))
}

fn params(a: &ScanArgs, snap: &Snapshot) -> Result<ScanParams> {
    let fees = match &a.fees {
        Some(p) => FeeSchedule::from_toml(&String::from_utf8_lossy(&read_file(p, "fees file")?))?,
        None => FeeSchedule::default(),
    };
    let max_position = decimal_arg(&a.max_position, "--max-position")?;
    if max_position > Decimal::ONE {
        return Err(
            Failure::usage("--max-position is a fraction of capital, at most 1")
                .hint("e.g. --max-position 0.10"),
        );
    }
    let now = snap.round(a.round).map(|b| b.fetched_at).max();
    let Some(now) = now else {
        return Err(
            Failure::usage(format!("the snapshot has no books in round {}", a.round))
                .hint("--round counts from 0 up to the snapshot's last recording round"),
        );
    };
    Ok(ScanParams {
        asset: a.asset.trim().to_uppercase(),
        capital: decimal_arg(&a.capital, "--capital")?,
        max_position,
        min_profit_bps: decimal_arg(&a.min_profit, "--min-profit")?,
        max_legs: usize::from(a.max_legs),
        max_age_ms: a.max_age_ms,
        max_skew_ms: a.max_skew_ms,
        now,
        fees,
        round: a.round,
    })
}

fn print_report(r: &ScanReport, p: &ScanParams, limit: usize) -> Result<()> {
    let mut t = table(&[
        "#",
        "id",
        "path",
        "size",
        "net profit",
        "bps",
        "gross",
        "leg ages (ms)",
    ]);
    for (i, o) in r.opportunities.iter().take(limit).enumerate() {
        let ages: Vec<String> = o.ages_ms.iter().map(|a| a.to_string()).collect();
        row(
            &mut t,
            vec![
                (i + 1).to_string(),
                o.id.clone(),
                o.path(),
                format!("{} {}", o.size, p.asset),
                o.net_profit.to_string(),
                o.profit_bps.to_string(),
                o.gross_profit.to_string(),
                ages.join(" "),
            ],
        );
    }
    if !r.opportunities.is_empty() {
        out(t.to_string())?;
    }
    if !r.rejections.is_empty() {
        let mut t = table(&["rejected", "why"]);
        for x in &r.rejections {
            row(&mut t, vec![x.what.clone(), x.reason.clone()]);
        }
        out(t.to_string())?;
    }
    out(format!(
        "{} opportunities in {} cycles over {} books; position limit {} {}; snapshot {}",
        r.opportunities.len(),
        r.cycles,
        r.books,
        p.position_limit(),
        p.asset,
        r.snapshot
    ))
}

/// Where trades keep their snapshots: `--snapshot-dir`, else beside the ledger.
fn snapshot_dir(s: &Settings, dir: &Option<PathBuf>) -> PathBuf {
    dir.clone()
        .unwrap_or_else(|| s.db.beside(".snapshots", "echo.snapshots"))
}

/// A snapshot copy kept for a trade, and what keeping it made.
struct Kept {
    path: PathBuf,
    /// The copy is new here.
    new: bool,
    /// The folder is new here.
    new_dir: bool,
}

impl Kept {
    /// A refused trade names no snapshot: what keeping it made goes again.
    fn discard(&self) {
        if self.new {
            let _ = std::fs::remove_file(&self.path);
        }
        if let (true, Some(dir)) = (self.new_dir, self.path.parent()) {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Keeps a copy of the snapshot named by its hash (written whole, then renamed), before
/// the trade that names it is written.
fn keep_snapshot(dir: &Path, hash: &str, bytes: &[u8]) -> Result<Kept> {
    let env = |e: std::io::Error| {
        Failure::env(format!("cannot keep the snapshot in {}: {e}", dir.display()))
            .hint("choose a writable directory with --snapshot-dir DIR")
    };
    let path = dir.join(format!("{hash}.json"));
    if path.exists() {
        return Ok(Kept {
            path,
            new: false,
            new_dir: false,
        });
    }
    let new_dir = !dir.is_dir();
    std::fs::create_dir_all(dir).map_err(env)?;
    let kept = Kept {
        path,
        new: true,
        new_dir,
    };
    let tmp = dir.join(format!(".{hash}.tmp"));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, &kept.path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        kept.discard();
        return Err(env(e));
    }
    Ok(kept)
}

pub fn run(s: &Settings, cmd: WealthCommand) -> Result<u8> {
    match cmd {
        WealthCommand::Record {
            live,
            rounds,
            interval_ms,
            out: path,
        } => {
            let bytes = fetch_bundle(s, &live, rounds, Duration::from_millis(interval_ms))?;
            let snap = Snapshot::from_bytes(&bytes)?;
            super::ledger_proofs::write_atomically(&path, |w| w.write_all(&bytes))?;
            if s.json {
                json(&wealth_json::record(&snap, &path))?;
            } else {
                out(format!(
                    "{} {} ({} markets, {} books)",
                    snap.hash,
                    path.display(),
                    snap.markets.len(),
                    snap.books.len()
                ))?;
            }
            Ok(0)
        }
        WealthCommand::Scan {
            scan: a,
            limit,
            record: rec,
            writer,
        } => {
            let (snap, _) = source(s, &a)?;
            let p = params(&a, &snap)?;
            let r = scan(&snap, &p);
            let report = wealth_json::report(&r, &snap, &p, limit);
            if rec {
                let (mut ledger, signers) = open_for_append(s, &writer.signing)?;
                let clock = s.clock()?;
                let content = wealth_json::report_content(&report);
                let appended = trade::record_scan(&mut ledger, &signers, &clock, &writer.source, content)?;
                note(s, format!("recorded the scan at seq {}", appended.first_seq));
            }
            if s.json {
                json(&report)?;
            } else {
                print_report(&r, &p, limit)?;
            }
            Ok(if r.opportunities.is_empty() { 1 } else { 0 })
        }
        WealthCommand::Trade {
            opportunity,
            best,
            paper: _,
            live,
            scan: a,
            size,
            latency,
            stop_loss,
            daily_loss_limit,
            snapshot_dir: dir,
            break_glass,
            writer,
        } => {
            if live {
                return Err(Failure::usage("live order placement is not supported: echoctl trades on paper only")
                    .hint("drop --live; paper fills are recorded in the ledger exactly as a live executor's would be"));
            }
            if latency < 0 {
                return Err(Failure::usage("--latency must not be negative").hint("e.g. --latency 250"));
            }
            let (mut ledger, signers) = open_for_append(s, &writer.signing)?;
            // Before anything is fetched or decided: a halt stops trading at once.
            crate::emergency::check_not_halted(&ledger, crate::emergency::Area::Wealth)?;
            if let Some(w) = &break_glass {
                crate::emergency::check_window(&ledger, w, "risk-limits", s.clock()?.now)?;
            }
            let (snap, bytes) = source(s, &a)?;
            let p = params(&a, &snap)?;
            let risk = RiskLimits {
                max_position: p.max_position,
                stop_loss: decimal_arg(&stop_loss, "--stop-loss")?,
                daily_loss_limit: match &daily_loss_limit {
                    Some(d) => decimal_arg(d, "--daily-loss-limit")?,
                    None => p
                        .capital
                        .checked_mul(Decimal::new(2, 2))
                        .unwrap_or(p.capital)
                        .normalize(),
                },
            };
            let r = scan(&snap, &p);
            let opp = match (&opportunity, best) {
                (Some(id), _) => r.opportunities.iter().find(|o| &o.id == id).ok_or_else(|| {
                    Failure::negative(format!(
                        "opportunity {id} is not profitable in snapshot {} with these settings",
                        snap.hash
                    ))
                    .hint("list the current ones with 'echoctl wealth scan' on the same source")
                })?,
                (None, _) => r.opportunities.first().ok_or_else(|| {
                    Failure::negative(format!(
                        "no profitable opportunity in snapshot {}; no trade was made",
                        snap.hash
                    ))
                    .hint("'echoctl wealth scan' lists what the source offers")
                })?,
            };
            let size = size.as_deref().map(|x| decimal_arg(x, "--size")).transpose()?;
            let clock = s.clock()?;
            let tp = TradeParams {
                scan: p.clone(),
                size,
                latency_ms: latency,
                risk,
                break_glass,
            };
            let kept = keep_snapshot(&snapshot_dir(s, &dir), &snap.hash, &bytes)?;
            // Asked before every order: a halt appended while the trade runs stops it there.
            let watch = open_read_only(s)?;
            let mut may_act = || {
                crate::emergency::check_not_halted(&watch, crate::emergency::Area::Wealth)
                    .map_err(|e| e.to_string())
            };
            let o = match trade::trade(
                &mut ledger,
                &signers,
                &clock,
                &writer.source,
                &snap,
                opp,
                &tp,
                &mut may_act,
            ) {
                Ok(o) => o,
                Err(e) => {
                    // Refused, nothing written: the copy no trade names goes too.
                    kept.discard();
                    return Err(e.into());
                }
            };
            let kept = kept.path;
            let ex = &o.execution;
            if s.json {
                json(&wealth_json::trade(&o, &snap, &kept, &p.asset))?;
            } else {
                let mut t = table(&[
                    "leg", "venue", "market", "side", "spent", "received", "fee", "levels", "partial",
                ]);
                for f in &ex.fills {
                    row(
                        &mut t,
                        vec![
                            f.leg.map_or("unwind".into(), |l| l.to_string()),
                            f.venue.to_string(),
                            f.market.clone(),
                            f.side.as_str().into(),
                            format!("{} {}", f.fill.spent, f.from),
                            format!("{} {}", f.fill.received, f.to),
                            f.fill.fee.to_string(),
                            f.fill.levels.to_string(),
                            f.fill.partial.to_string(),
                        ],
                    );
                }
                out(t.to_string())?;
                out(format!(
                    "trade {} ({}): spent {} {}, returned {}, P&L {}",
                    o.trade,
                    opp.path(),
                    ex.spent,
                    p.asset,
                    ex.returned,
                    ex.pnl
                ))?;
                if let Some((k, why)) = &ex.failed_leg {
                    out(printable(&format!("leg {k} failed: {why}")))?;
                }
                if ex.stop_loss {
                    out(format!(
                        "stop-loss fired: the stranded position fell more than {} and was unwound",
                        tp.risk.stop_loss
                    ))?;
                }
                if o.kill_switch {
                    out("kill switch latched: the day's realised loss passed the limit; trading is stopped")?;
                }
                note(
                    s,
                    format!(
                        "recorded {} entries from seq {}",
                        o.appended.count, o.appended.first_seq
                    ),
                );
            }
            Ok(0)
        }
        WealthCommand::Replay {
            snapshot,
            snapshot_dir: dir,
        } => {
            let ledger = open_read_only(s)?;
            let trades = trade::recorded_trades(&ledger)?;
            let mut by_hash = std::collections::HashMap::new();
            for p in &snapshot {
                let bytes = read_file(p, "snapshot")?;
                // A bundle passed by hand is checked even if no trade needs it.
                Snapshot::from_bytes(&bytes)?;
                by_hash.insert(sha256_hex(&bytes), bytes);
            }
            let dir = snapshot_dir(s, &dir);
            let mut rows = Vec::new();
            let mut failed = false;
            for t in &trades {
                let hash = t.snapshot();
                let bytes = match by_hash.get(&hash) {
                    Some(b) => b.clone(),
                    None => {
                        let p = dir.join(format!("{hash}.json"));
                        let b = read_file(&p, "snapshot").map_err(|e| {
                            Failure::usage(format!(
                                "trade {} used snapshot {hash}, which is not at hand: {}",
                                t.trade, e.message
                            ))
                            .hint("pass the bundle with --snapshot FILE or --snapshot-dir DIR")
                        })?;
                        if sha256_hex(&b) != hash {
                            return Err(WealthError::Altered(format!(
                                "{} does not hash to {hash}; it was altered",
                                p.display()
                            ))
                            .into());
                        }
                        b
                    }
                };
                let snap = Snapshot::from_bytes(&bytes)?;
                let r = trade::replay(t, &snap);
                failed |= !r.differences.is_empty();
                rows.push(r);
            }
            if s.json {
                json(&wealth_json::replay(&rows, !failed))?;
            } else {
                let mut t = table(&["trade", "recorded P&L", "replayed P&L", "agrees"]);
                for r in &rows {
                    let d = |v: Option<Decimal>| v.map_or("-".into(), |d| d.to_string());
                    row(
                        &mut t,
                        vec![
                            r.trade.clone(),
                            d(r.recorded_pnl),
                            d(r.replayed_pnl),
                            if r.differences.is_empty() {
                                "yes".into()
                            } else {
                                "NO".into()
                            },
                        ],
                    );
                }
                out(t.to_string())?;
                for r in rows.iter().filter(|r| !r.differences.is_empty()) {
                    for d in &r.differences {
                        eprintln!("trade {}: {}", r.trade, printable(d));
                    }
                }
                out(format!(
                    "{} trades replayed; {}",
                    rows.len(),
                    if failed {
                        "DIFFERENCES FOUND"
                    } else {
                        "all agree to the last decimal"
                    }
                ))?;
            }
            Ok(if failed { 1 } else { 0 })
        }
        WealthCommand::Pnl => {
            let ledger = open_read_only(s)?;
            let trades = trade::recorded_trades(&ledger)?;
            let latched = trade::kill_switch(&ledger)?;
            let mut totals: std::collections::BTreeMap<String, Decimal> = Default::default();
            for t in &trades {
                *totals.entry(t.asset()).or_default() += t.pnl().unwrap_or_default();
            }
            let stop = |t: &trade::Recorded| {
                t.result
                    .as_ref()
                    .and_then(|r| r.get("stop_loss"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            };
            if s.json {
                json(&wealth_json::pnl(&trades, &totals, latched.as_deref(), stop))?;
            } else {
                let mut t = table(&["trade", "time", "size", "P&L", "stop-loss"]);
                for r in &trades {
                    let size = r.decision.get("size").and_then(Value::as_str).unwrap_or("-");
                    row(
                        &mut t,
                        vec![
                            r.trade.clone(),
                            r.ts.clone(),
                            format!("{size} {}", r.asset()),
                            r.pnl().map_or("-".into(), |d| d.to_string()),
                            if stop(r) { "fired".into() } else { "".into() },
                        ],
                    );
                }
                out(t.to_string())?;
                for (a, d) in &totals {
                    out(format!("total {a}: {}", d.normalize()))?;
                }
                if let Some(why) = latched {
                    out(printable(&format!("kill switch LATCHED: {why}")))?;
                }
            }
            Ok(0)
        }
        WealthCommand::ResetKillSwitch { reason, writer } => {
            let (mut ledger, signers) = open_for_append(s, &writer.signing)?;
            let clock = s.clock()?;
            let a = trade::reset_kill_switch(&mut ledger, &signers, &clock, &writer.source, &reason)?;
            print_appended(s, &a)
        }
    }
}
