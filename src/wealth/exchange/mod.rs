//! Exchange sources: each venue's market list and order book parsers, the snapshot bundle
//! that keeps raw response bodies verbatim, and the live HTTP fetcher. Parsers read the
//! venues' documented JSON and map symbols through the market lists only.

pub mod binance;
pub mod coinbase;
pub mod http;
pub mod kraken;
pub mod snapshot;

use super::book::{Level, Market};
use super::Venue;
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

/// Parses a venue's order book for `m`: (bids, asks) as the venue ordered them. Books are
/// read straight into decimals (a snapshot holds thousands); an answer that does not
/// parse is checked for the venue's own error message.
pub fn parse_book(m: &Market, body: &str) -> Result<(Vec<Level>, Vec<Level>), String> {
    let typed = match m.venue {
        Venue::Binance => binance::book(body, m),
        Venue::Kraken => kraken::book(body, m),
        Venue::Coinbase => coinbase::book(body, m),
    };
    typed.map_err(|e| match exchange_error(m.venue, body) {
        Some(said) => format!("{} answered with an error: {said}", m.venue),
        None => e,
    })
}

/// A decimal written as a JSON string (or an integer), read without a float.
struct DecimalText(rust_decimal::Decimal);

impl<'de> serde::Deserialize<'de> for DecimalText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DecimalText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a decimal string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<DecimalText, E> {
                use std::str::FromStr;
                rust_decimal::Decimal::from_str(s)
                    .or_else(|_| rust_decimal::Decimal::from_scientific(s))
                    .map(DecimalText)
                    .map_err(|_| E::custom(format!("{s:?} is not a decimal")))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<DecimalText, E> {
                Ok(DecimalText(n.into()))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<DecimalText, E> {
                Ok(DecimalText(n.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<DecimalText, E> {
                Err(E::custom(format!(
                    "{n} is a JSON float; prices and quantities must be decimal strings"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[price, quantity, …]` (Binance; Kraken adds a timestamp).
struct PairLevel(Level);

impl<'de> serde::Deserialize<'de> for PairLevel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = PairLevel;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a level [price, quantity]")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<PairLevel, A::Error> {
                use serde::de::Error;
                let price: DecimalText = seq
                    .next_element()?
                    .ok_or_else(|| A::Error::invalid_length(0, &self))?;
                let qty: DecimalText = seq
                    .next_element()?
                    .ok_or_else(|| A::Error::invalid_length(1, &self))?;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(PairLevel(Level {
                    price: price.0,
                    qty: qty.0,
                }))
            }
        }
        d.deserialize_seq(V)
    }
}

/// The bids and asks of a book as arrays of `[price, quantity, …]`.
#[derive(serde::Deserialize)]
struct PairBook {
    bids: Vec<PairLevel>,
    asks: Vec<PairLevel>,
}

impl PairBook {
    fn levels(self) -> (Vec<Level>, Vec<Level>) {
        let un = |v: Vec<PairLevel>| v.into_iter().map(|l| l.0).collect();
        (un(self.bids), un(self.asks))
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
