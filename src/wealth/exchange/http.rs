//! The live source: public REST requests over reqwest (rustls), paced per venue, with
//! Binance's request weights, 429/418 `Retry-After`, time-outs and retries with backoff.
//! Every answer it keeps goes into a snapshot bundle verbatim.

use super::snapshot::{Bundle, Recorded, FORMAT};
use super::{
    binance, book_path, exchange_error, markets_path, parse_markets, ENDPOINT_BOOK, ENDPOINT_MARKETS,
};
use crate::clock::{format_ts, Clock, Millis};
use crate::wealth::book::Market;
use crate::wealth::Venue;
use crate::wealth::{Result, WealthError};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Binance's REQUEST_WEIGHT limit per minute for one IP.
pub const BINANCE_WEIGHT_PER_MINUTE: u32 = 6000;

/// How the fetcher talks to the venues.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    pub base_urls: HashMap<Venue, String>,
    /// For one request, connection to last byte.
    pub timeout: Duration,
    /// Further attempts after a time-out, a connection error, a 5xx or a 429.
    pub retries: u32,
    /// The longest Retry-After (or weight-window wait) honoured before giving up.
    pub max_wait: Duration,
    /// Minimum gap between two requests to one venue; `None` uses each venue's documented
    /// public rate (Kraken 1/s, Coinbase 10/s, Binance by weight).
    pub pace: Option<Duration>,
    /// First backoff after a failure; doubled on each retry.
    pub backoff: Duration,
}

impl FetchOptions {
    pub fn base_url(&self, v: Venue) -> String {
        self.base_urls
            .get(&v)
            .cloned()
            .unwrap_or_else(|| super::default_base_url(v).to_string())
    }
}

fn default_pace(v: Venue) -> Duration {
    match v {
        Venue::Binance => Duration::ZERO,
        Venue::Kraken => Duration::from_millis(1000),
        Venue::Coinbase => Duration::from_millis(100),
    }
}

/// Which markets to record.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Canonical (base, quote) pairs; empty means every market between `assets`.
    pub pairs: Vec<(String, String)>,
    pub assets: Vec<String>,
}

impl Selection {
    fn wants(&self, m: &Market) -> bool {
        if !self.pairs.is_empty() {
            return self.pairs.iter().any(|(b, q)| *b == m.base && *q == m.quote);
        }
        self.assets.contains(&m.base) && self.assets.contains(&m.quote)
    }
}

pub struct Fetcher {
    client: reqwest::blocking::Client,
    opts: FetchOptions,
    last: HashMap<Venue, Instant>,
    binance_used: u32,
}

impl Fetcher {
    pub fn new(opts: FetchOptions) -> Result<Self> {
        let client = reqwest::blocking::Client::builder()
            .timeout(opts.timeout)
            .user_agent(concat!("echoctl/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WealthError::HttpClient(e.to_string()))?;
        Ok(Fetcher {
            client,
            opts,
            last: HashMap::new(),
            binance_used: 0,
        })
    }

    fn wait_turn(&mut self, v: Venue, weight: u32) -> Result<()> {
        let pace = self.opts.pace.unwrap_or_else(|| default_pace(v));
        if let Some(t) = self.last.get(&v) {
            let since = t.elapsed();
            if since < pace {
                std::thread::sleep(pace - since);
            }
        }
        if v == Venue::Binance && self.binance_used + weight > BINANCE_WEIGHT_PER_MINUTE {
            // The weight window is the calendar minute.
            let now = Clock::system().now;
            let wait = Duration::from_millis((60_000 - now.rem_euclid(60_000)) as u64);
            if wait > self.opts.max_wait {
                return Err(WealthError::RateLimited(format!(
                    "binance: request weight {} of {BINANCE_WEIGHT_PER_MINUTE} used this minute; the next request would exceed it",
                    self.binance_used
                )));
            }
            std::thread::sleep(wait);
            self.binance_used = 0;
        }
        self.last.insert(v, Instant::now());
        Ok(())
    }

    /// GETs `path` from the venue: (final URL, body, time received). Retries what is
    /// worth retrying; any other failure names the venue, the URL and the venue's error.
    pub fn get(&mut self, v: Venue, path: &str, weight: u32) -> Result<(String, String, Millis)> {
        let url = format!("{}{}", self.opts.base_url(v).trim_end_matches('/'), path);
        let mut backoff = self.opts.backoff;
        let mut attempt = 0;
        loop {
            self.wait_turn(v, weight)?;
            let outcome = self.client.get(&url).send();
            let last_try = attempt >= self.opts.retries;
            attempt += 1;
            let resp = match outcome {
                Ok(r) => r,
                Err(e) => {
                    let what = if e.is_timeout() {
                        "timed out".to_string()
                    } else {
                        format!("failed: {}", root_cause(&e))
                    };
                    if last_try {
                        return Err(WealthError::Network(format!(
                            "{v}: GET {url} {what} ({attempt} attempts)"
                        )));
                    }
                    std::thread::sleep(backoff);
                    backoff *= 2;
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_owned)
            };
            if v == Venue::Binance {
                if let Some(used) = header("x-mbx-used-weight-1m").and_then(|s| s.parse().ok()) {
                    self.binance_used = used;
                } else {
                    self.binance_used += weight;
                }
            }
            let retry_after = header("retry-after").and_then(|s| s.trim().parse::<u64>().ok());
            let body = match resp.text() {
                Ok(b) => b,
                Err(_) if !last_try => {
                    std::thread::sleep(backoff);
                    backoff *= 2;
                    continue;
                }
                Err(e) => {
                    return Err(WealthError::Network(format!(
                        "{v}: GET {url}: reading the body failed: {}",
                        root_cause(&e)
                    )))
                }
            };
            let said = exchange_error(v, &body)
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            match status {
                200 => {
                    if let Some(e) = exchange_error(v, &body) {
                        return Err(WealthError::Exchange(format!("{v} refused GET {url}: {e}")));
                    }
                    return Ok((url, body, Clock::system().now));
                }
                429 | 418 => {
                    let wait = Duration::from_secs(retry_after.unwrap_or(1));
                    let why = if status == 418 {
                        "banned this IP for flooding"
                    } else {
                        "rate limited the request"
                    };
                    if last_try || wait > self.opts.max_wait {
                        return Err(WealthError::RateLimited(format!(
                            "{v} {why} (HTTP {status}, Retry-After {} s){said}: GET {url}",
                            retry_after.map_or("-".into(), |s| s.to_string())
                        )));
                    }
                    std::thread::sleep(wait);
                }
                500..=599 => {
                    if last_try {
                        return Err(WealthError::Exchange(format!(
                            "{v}: GET {url}: HTTP {status}{said} ({attempt} attempts)"
                        )));
                    }
                    std::thread::sleep(backoff);
                    backoff *= 2;
                }
                _ => {
                    return Err(WealthError::Exchange(format!(
                        "{v} refused GET {url}: HTTP {status}{said}"
                    )))
                }
            }
        }
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Records the market lists and books of `venues` into a bundle: `rounds` passes over the
/// selected books, `interval` apart.
pub fn record(
    fetcher: &mut Fetcher,
    venues: &[Venue],
    selection: &Selection,
    depth: u32,
    rounds: u32,
    interval: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<Bundle> {
    let mut responses = Vec::new();
    let mut chosen: Vec<Market> = Vec::new();
    for &v in venues {
        progress(&format!("{v}: market list"));
        let (url, body, at) = fetcher.get(v, markets_path(v), binance::MARKETS_WEIGHT)?;
        let markets =
            parse_markets(v, &body).map_err(|e| WealthError::Exchange(format!("{v}: GET {url}: {e}")))?;
        responses.push(Recorded::new(v, ENDPOINT_MARKETS, None, 0, url, at, 200, body));
        let picked: Vec<Market> = markets.into_iter().filter(|m| selection.wants(m)).collect();
        if picked.is_empty() {
            return Err(WealthError::NoMarkets(v.to_string()));
        }
        chosen.extend(picked);
    }
    for round in 0..rounds {
        if round > 0 {
            std::thread::sleep(interval);
        }
        for m in &chosen {
            progress(&format!("{} {} (round {round})", m.venue, m.symbol));
            let (url, body, at) = fetcher.get(m.venue, &book_path(m, depth), binance::book_weight(depth))?;
            super::parse_book(m, &body)
                .map_err(|e| WealthError::Exchange(format!("{}: GET {url}: {e}", m.venue)))?;
            responses.push(Recorded::new(
                m.venue,
                ENDPOINT_BOOK,
                Some(&m.symbol),
                round,
                url,
                at,
                200,
                body,
            ));
        }
    }
    Ok(Bundle {
        format: FORMAT.into(),
        recorded_at: format_ts(Clock::system().now),
        responses,
    })
}
