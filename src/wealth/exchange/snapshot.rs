//! Snapshot bundles: every raw response body kept verbatim with its venue, URL, fetch time
//! and SHA-256, so that any scan or trade can be recomputed offline. A bundle is named by
//! the SHA-256 of its file bytes; loading re-hashes every body and refuses a mismatch.

use super::{parse_book, parse_markets, ENDPOINT_BOOK, ENDPOINT_MARKETS};
use crate::clock::{format_ts, parse_rfc3339, Millis};
use crate::ledger::entry::hex;
use crate::wealth::book::{Book, Market};
use crate::wealth::Venue;
use crate::wealth::{Result, WealthError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub const FORMAT: &str = "echoctl-wealth-snapshot/v1";

/// The file: recorded responses in the order they were fetched.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub format: String,
    pub recorded_at: String,
    pub responses: Vec<Recorded>,
}

/// One HTTP response as received.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recorded {
    pub venue: String,
    /// `markets` or `book`.
    pub endpoint: String,
    /// The venue's market id, for a book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// Recording round (0 for the first pass over the books).
    #[serde(default)]
    pub round: u32,
    pub url: String,
    pub fetched_at: String,
    pub status: u16,
    pub sha256: String,
    pub body: String,
}

impl Recorded {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        venue: Venue,
        endpoint: &str,
        symbol: Option<&str>,
        round: u32,
        url: String,
        fetched_at: Millis,
        status: u16,
        body: String,
    ) -> Self {
        Recorded {
            venue: venue.as_str().into(),
            endpoint: endpoint.into(),
            symbol: symbol.map(str::to_owned),
            round,
            url,
            fetched_at: format_ts(fetched_at),
            status,
            sha256: sha256_hex(body.as_bytes()),
            body,
        }
    }
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

impl Bundle {
    /// The file bytes (pretty JSON and a final newline); the snapshot hash is their SHA-256.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("a bundle serialises");
        v.push(b'\n');
        v
    }
}

/// A loaded bundle: its hash, and the markets and books parsed from it.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub hash: String,
    pub recorded_at: Millis,
    pub markets: Vec<Market>,
    /// Every recorded book, in recording order.
    pub books: Vec<Book>,
    index: HashMap<(Venue, String), usize>,
}

impl Snapshot {
    /// Loads a bundle from its file bytes. Books are checked and parsed on every core.
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot> {
        let bundle: Bundle =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not a snapshot bundle: {e}")))?;
        if bundle.format != FORMAT {
            return Err(bad(format!("format {:?} is not {FORMAT:?}", bundle.format)));
        }
        let recorded_at = parse_rfc3339(&bundle.recorded_at)
            .ok_or_else(|| bad(format!("recorded_at {:?} is not RFC 3339", bundle.recorded_at)))?;
        let mut markets: Vec<Market> = Vec::new();
        let mut index = HashMap::new();
        for (i, r) in bundle.responses.iter().enumerate() {
            if r.endpoint == ENDPOINT_MARKETS {
                check(i, r)?;
                let venue = Venue::parse(&r.venue).map_err(|e| bad(format!("{}: {e}", at(i, r))))?;
                for m in parse_markets(venue, &r.body).map_err(|e| bad(format!("{}: {e}", at(i, r))))? {
                    index.insert((venue, m.symbol.clone()), markets.len());
                    markets.push(m);
                }
            } else if r.endpoint != ENDPOINT_BOOK {
                return Err(bad(format!("{}: unknown endpoint {:?}", at(i, r), r.endpoint)));
            }
        }
        let wanted: Vec<(usize, &Recorded)> = bundle
            .responses
            .iter()
            .enumerate()
            .filter(|(_, r)| r.endpoint == ENDPOINT_BOOK)
            .collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        let chunk = wanted.len().div_ceil(threads).max(64);
        let (index_ref, markets_ref) = (&index, &markets);
        let parts: Vec<Result<Vec<Book>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = wanted
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|&(i, r)| book_of(i, r, index_ref, markets_ref))
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(WealthError::Worker)))
                .collect()
        });
        let mut books = Vec::with_capacity(wanted.len());
        for p in parts {
            books.extend(p?);
        }
        Ok(Snapshot {
            hash: sha256_hex(bytes),
            recorded_at,
            markets,
            books,
            index,
        })
    }

    /// A snapshot built from parsed parts (benchmarks and tests of the scan).
    pub fn from_parts(hash: String, recorded_at: Millis, markets: Vec<Market>, books: Vec<Book>) -> Snapshot {
        let index = markets
            .iter()
            .enumerate()
            .map(|(i, m)| ((m.venue, m.symbol.clone()), i))
            .collect();
        Snapshot {
            hash,
            recorded_at,
            markets,
            books,
            index,
        }
    }

    pub fn market(&self, venue: Venue, symbol: &str) -> Option<&Market> {
        self.market_index(venue, symbol).map(|i| &self.markets[i])
    }

    pub fn market_index(&self, venue: Venue, symbol: &str) -> Option<usize> {
        self.index.get(&(venue, symbol.to_owned())).copied()
    }

    /// The books of one recording round.
    pub fn round(&self, round: u32) -> impl Iterator<Item = &Book> {
        self.books.iter().filter(move |b| b.round == round)
    }

    /// The first recording of a market's book fetched at or after `t`.
    pub fn book_at_or_after(&self, venue: Venue, symbol: &str, t: Millis) -> Option<&Book> {
        self.books
            .iter()
            .filter(|b| b.venue == venue && b.symbol == symbol && b.fetched_at >= t)
            .min_by_key(|b| (b.fetched_at, b.round))
    }
}

fn bad(m: String) -> WealthError {
    WealthError::Snapshot(m)
}

fn at(i: usize, r: &Recorded) -> String {
    format!("response {i} ({} {})", r.venue, r.url)
}

/// The body matches its hash and the fetch time is a time.
fn check(i: usize, r: &Recorded) -> Result<()> {
    if sha256_hex(r.body.as_bytes()) != r.sha256 {
        return Err(WealthError::Altered(format!(
            "{}: the body does not match its sha256; the bundle was altered",
            at(i, r)
        )));
    }
    parse_rfc3339(&r.fetched_at).ok_or_else(|| bad(format!("{}: fetched_at is not RFC 3339", at(i, r))))?;
    Ok(())
}

fn book_of(
    i: usize,
    r: &Recorded,
    index: &HashMap<(Venue, String), usize>,
    markets: &[Market],
) -> Result<Book> {
    check(i, r)?;
    let venue = Venue::parse(&r.venue).map_err(|e| bad(format!("{}: {e}", at(i, r))))?;
    let symbol = r
        .symbol
        .clone()
        .ok_or_else(|| bad(format!("{}: a book without a symbol", at(i, r))))?;
    let m = index
        .get(&(venue, symbol.clone()))
        .map(|&k| &markets[k])
        .ok_or_else(|| {
            bad(format!(
                "{}: {venue} market {symbol} is not in the bundle's market list",
                at(i, r)
            ))
        })?;
    let (bids, asks) = parse_book(m, &r.body).map_err(|e| bad(format!("{}: {e}", at(i, r))))?;
    Ok(Book {
        venue,
        symbol,
        bids,
        asks,
        fetched_at: parse_rfc3339(&r.fetched_at).unwrap_or_default(),
        round: r.round,
        body_sha256: r.sha256.clone(),
    })
}
