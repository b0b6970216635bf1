//! The wealth engine: exact-decimal arbitrage over Binance, Kraken and Coinbase order
//! books, paper trading under risk limits, and replay of every trade from the ledger and
//! the snapshots it names. No floating point anywhere in pricing; the engine never prints,
//! reads the environment or places a live order.

pub mod book;
pub mod error;
pub mod exchange;
pub mod fees;
pub mod scan;
pub mod trade;

use crate::ledger::kinds::{Feature, Shown};
pub use error::{Result, WealthError};

/// Written by `wealth scan --record`, `wealth trade` and `wealth reset-kill-switch`.
pub const KIND_TRADE: &str = "trade";

/// The wealth engine's kind, registered with the ledger: a trade's result (which carries
/// its summary, under the section "Trades") is a paragraph of the Reader Edition.
pub struct Wealth;

impl Feature for Wealth {
    fn name(&self) -> &'static str {
        "wealth"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND_TRADE]
    }

    fn shown(&self, _kind: &str) -> Shown {
        Shown::WithField("summary")
    }
}

/// The venues echoctl reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Venue {
    Binance,
    Kraken,
    Coinbase,
}

impl Venue {
    pub const ALL: [Venue; 3] = [Venue::Binance, Venue::Kraken, Venue::Coinbase];

    pub fn as_str(self) -> &'static str {
        match self {
            Venue::Binance => "binance",
            Venue::Kraken => "kraken",
            Venue::Coinbase => "coinbase",
        }
    }

    pub fn parse(s: &str) -> Result<Venue> {
        Venue::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| WealthError::Venue(s.to_owned()))
    }
}

impl std::fmt::Display for Venue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses an exact decimal written as a JSON string or number (never through a double:
/// a number is read from its shortest round-trip text).
pub(crate) fn decimal(
    v: &serde_json::Value,
    what: &str,
) -> std::result::Result<rust_decimal::Decimal, String> {
    use std::str::FromStr;
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(format!("{what} is not a decimal: {v}")),
    };
    rust_decimal::Decimal::from_str(&text)
        .or_else(|_| rust_decimal::Decimal::from_scientific(&text))
        .map_err(|_| format!("{what} is not a decimal: {text:?}"))
}
