//! Exchange sources: each venue's market list and order book parsers, the snapshot bundle
//! that keeps raw response bodies verbatim, and the live HTTP fetcher. Parsers read the
//! venues' documented JSON and map symbols through the market lists only.

pub mod binance;
pub mod coinbase;
pub mod http;
pub mod kraken;
pub mod snapshot;

use super::book::{Level, Market};
use super::{decimal, Venue};
use serde_json::{Map, Value};

/// What a recorded response holds.
pub const ENDPOINT_MARKETS: &str = "markets";
pub const ENDPOINT_BOOK: &str = "book";

/// The venue's default public REST base URL.
pub fn default_base_url(v: Venue) -> &'static str {
    match v {
        Venue::Binance => "https://api.binance.com",
        Venue::Kraken => "https://api.kraken.com",
        Venue::Coinbase => "https://api.coinbase.com",
    }
}

pub fn markets_path(v: Venue) -> &'static str {
    match v {
        Venue::Binance => binance::MARKETS_PATH,
        Venue::Kraken => kraken::MARKETS_PATH,
        Venue::Coinbase => coinbase::MARKETS_PATH,
    }
}

pub fn book_path(m: &Market, depth: u32) -> String {
    match m.venue {
        Venue::Binance => binance::book_path(m, depth),
        Venue::Kraken => kraken::book_path(m, depth),
        Venue::Coinbase => coinbase::book_path(m, depth),
    }
}

/// The exchange's own error in a response body, if it holds one (Kraken's come with
/// HTTP 200).
pub fn exchange_error(v: Venue, body: &str) -> Option<String> {
    let json: Value = serde_json::from_str(body).ok()?;
    match v {
        Venue::Binance => binance::error(&json),
        Venue::Kraken => kraken::error(&json),
        Venue::Coinbase => coinbase::error(&json),
    }
}

fn parse_json(v: Venue, body: &str) -> Result<Value, String> {
    let json: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let err = match v {
        Venue::Binance => binance::error(&json),
        Venue::Kraken => kraken::error(&json),
        Venue::Coinbase => coinbase::error(&json),
    };
    match err {
        Some(e) => Err(format!("{v} answered with an error: {e}")),
        None => Ok(json),
    }
}

/// Parses a venue's market list.
pub fn parse_markets(v: Venue, body: &str) -> Result<Vec<Market>, String> {
    let json = parse_json(v, body)?;
    match v {
        Venue::Binance => binance::markets(&json),
        Venue::Kraken => kraken::markets(&json),
        Venue::Coinbase => coinbase::markets(&json),
    }
}

/// Parses a venue's order book for `m`: (bids, asks) as the venue ordered them.
pub fn parse_book(m: &Market, body: &str) -> Result<(Vec<Level>, Vec<Level>), String> {
    let json = parse_json(m.venue, body)?;
    match m.venue {
        Venue::Binance => binance::book(&json, m),
        Venue::Kraken => kraken::book(&json, m),
        Venue::Coinbase => coinbase::book(&json, m),
    }
}

fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object().ok_or_else(|| format!("{what} is not an object"))
}

fn text(o: &Map<String, Value>, k: &str) -> Result<String, String> {
    o.get(k)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("no {k:?} string"))
}

/// `[[price, qty, …], …]` with decimal strings (Binance, Kraken; Kraken adds a timestamp).
fn levels_from_pairs(v: Option<&Value>, what: &str) -> Result<Vec<Level>, String> {
    let a = v.and_then(Value::as_array).ok_or(format!("no {what:?} array"))?;
    a.iter()
        .map(|l| {
            let l = l
                .as_array()
                .filter(|l| l.len() >= 2)
                .ok_or(format!("a {what} level is not [price, quantity]"))?;
            Ok(Level {
                price: decimal(&l[0], "price")?,
                qty: decimal(&l[1], "quantity")?,
            })
        })
        .collect()
}
