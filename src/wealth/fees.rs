//! The taker fee schedule: Kraken's public tiers (from its market list, chosen by 30-day
//! volume), configured rates for Binance and Coinbase. A fees file (TOML) overrides any of
//! them; the rates used are written into every trade so that replay needs no file.

use super::book::Market;
use super::Venue;
use super::{Result, WealthError};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

/// Binance's base spot taker rate (0.10%), without BNB discount.
pub const BINANCE_TAKER: &str = "0.001";
/// Coinbase Advanced Trade's taker rate for the lowest volume tier (1.20%).
pub const COINBASE_TAKER: &str = "0.012";
/// Kraken's lowest taker tier (0.40%), used when a pair lists no tiers.
pub const KRAKEN_TAKER: &str = "0.004";

#[derive(Clone, Debug, PartialEq)]
pub struct FeeSchedule {
    pub binance_taker: Decimal,
    pub coinbase_taker: Decimal,
    /// Overrides Kraken's tiers when set.
    pub kraken_taker: Option<Decimal>,
    /// 30-day volume in USD that picks the Kraken tier.
    pub kraken_volume_30d: Decimal,
}

impl Default for FeeSchedule {
    fn default() -> Self {
        FeeSchedule {
            binance_taker: Decimal::from_str(BINANCE_TAKER).unwrap_or_default(),
            coinbase_taker: Decimal::from_str(COINBASE_TAKER).unwrap_or_default(),
            kraken_taker: None,
            kraken_volume_30d: Decimal::ZERO,
        }
    }
}

fn rate(v: &toml::Value, what: &str) -> Result<Decimal> {
    let text = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        _ => {
            return Err(WealthError::Fees(format!(
                "{what} must be a decimal string, e.g. \"0.001\""
            )))
        }
    };
    let d = Decimal::from_str(&text)
        .map_err(|_| WealthError::Fees(format!("{what} {text:?} is not a decimal")))?;
    if d < Decimal::ZERO {
        return Err(WealthError::Fees(format!("{what} is negative")));
    }
    Ok(d)
}

impl FeeSchedule {
    /// Reads a fees file:
    /// `[binance] taker = "0.001"`, `[coinbase] taker = "0.012"`,
    /// `[kraken] volume_30d = "0"` (picks the tier) or `taker = "0.0026"`.
    pub fn from_toml(text: &str) -> Result<Self> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| WealthError::Fees(format!("not TOML: {e}")))?;
        let mut f = FeeSchedule::default();
        for (venue, section) in &table {
            let v = Venue::parse(venue).map_err(|e| WealthError::Fees(e.to_string()))?;
            let section = section
                .as_table()
                .ok_or_else(|| WealthError::Fees(format!("[{venue}] is not a table")))?;
            for (k, val) in section {
                match (v, k.as_str()) {
                    (Venue::Binance, "taker") => f.binance_taker = rate(val, "binance.taker")?,
                    (Venue::Coinbase, "taker") => f.coinbase_taker = rate(val, "coinbase.taker")?,
                    (Venue::Kraken, "taker") => f.kraken_taker = Some(rate(val, "kraken.taker")?),
                    (Venue::Kraken, "volume_30d") => f.kraken_volume_30d = rate(val, "kraken.volume_30d")?,
                    _ => return Err(WealthError::FeeKey(format!("{venue}.{k}"))),
                }
            }
        }
        for r in [Some(f.binance_taker), Some(f.coinbase_taker), f.kraken_taker]
            .into_iter()
            .flatten()
        {
            if r > Decimal::ONE {
                return Err(WealthError::Fees(format!(
                    "a taker rate of {r} is more than 100%"
                )));
            }
        }
        Ok(f)
    }

    /// The taker rate for a market, as a fraction (0.001 = 0.1%).
    pub fn taker(&self, m: &Market) -> Decimal {
        match m.venue {
            Venue::Binance => self.binance_taker,
            Venue::Coinbase => self.coinbase_taker,
            Venue::Kraken => self.kraken_taker.unwrap_or_else(|| {
                let pct = m
                    .fee_tiers
                    .iter()
                    .filter(|(vol, _)| *vol <= self.kraken_volume_30d)
                    .max_by_key(|(vol, _)| *vol)
                    .map(|(_, pct)| *pct);
                match pct {
                    Some(p) => (p / Decimal::ONE_HUNDRED).normalize(),
                    None => Decimal::from_str(KRAKEN_TAKER).unwrap_or_default(),
                }
            }),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "binance_taker": self.binance_taker.to_string(),
            "coinbase_taker": self.coinbase_taker.to_string(),
            "kraken_taker": self.kraken_taker.map(|d| d.to_string()),
            "kraken_volume_30d": self.kraken_volume_30d.to_string(),
        })
    }

    pub fn from_json(v: &Value) -> Option<Self> {
        let d = |k: &str| v.get(k)?.as_str().and_then(|s| Decimal::from_str(s).ok());
        Some(FeeSchedule {
            binance_taker: d("binance_taker")?,
            coinbase_taker: d("coinbase_taker")?,
            kraken_taker: d("kraken_taker"),
            kraken_volume_30d: d("kraken_volume_30d")?,
        })
    }
}
