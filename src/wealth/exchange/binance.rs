//! Binance spot: `/api/v3/exchangeInfo` (markets and their filters) and `/api/v3/depth`.
//! Errors come as `{"code": -1121, "msg": "Invalid symbol."}` with an HTTP error status.

use super::{obj, text, PairBook};
use crate::wealth::book::{Level, Market};
use crate::wealth::{decimal, Venue};
use rust_decimal::Decimal;
use serde_json::Value;

pub const MARKETS_PATH: &str = "/api/v3/exchangeInfo";
/// Request weight of exchangeInfo without symbols.
pub const MARKETS_WEIGHT: u32 = 20;

pub fn book_path(m: &Market, depth: u32) -> String {
    format!("/api/v3/depth?symbol={}&limit={depth}", m.request_id)
}

/// The request weight of a depth request (Binance's documented table).
pub fn book_weight(depth: u32) -> u32 {
    match depth {
        0..=100 => 5,
        101..=500 => 25,
        501..=1000 => 50,
        _ => 250,
    }
}

pub fn markets(v: &Value) -> Result<Vec<Market>, String> {
    let symbols = v
        .get("symbols")
        .and_then(Value::as_array)
        .ok_or("no \"symbols\" array")?;
    let mut out = Vec::new();
    for s in symbols {
        let o = obj(s, "symbol")?;
        if o.get("status").and_then(Value::as_str) != Some("TRADING") {
            continue;
        }
        let symbol = text(o, "symbol")?;
        let mut m = Market {
            venue: Venue::Binance,
            request_id: symbol.clone(),
            symbol,
            base: text(o, "baseAsset")?,
            quote: text(o, "quoteAsset")?,
            lot_step: Decimal::ZERO,
            min_qty: Decimal::ZERO,
            min_notional: Decimal::ZERO,
            tick: Decimal::ZERO,
            fee_tiers: vec![],
        };
        for f in o.get("filters").and_then(Value::as_array).into_iter().flatten() {
            let get = |k: &str| f.get(k).map(|x| decimal(x, k)).transpose();
            match f.get("filterType").and_then(Value::as_str) {
                Some("LOT_SIZE") => {
                    m.lot_step = get("stepSize")?.unwrap_or_default();
                    m.min_qty = get("minQty")?.unwrap_or_default();
                }
                Some("PRICE_FILTER") => m.tick = get("tickSize")?.unwrap_or_default(),
                Some("NOTIONAL") | Some("MIN_NOTIONAL") => {
                    m.min_notional = get("minNotional")?.unwrap_or_default();
                }
                _ => {}
            }
        }
        out.push(m);
    }
    Ok(out)
}

pub fn book(body: &str, _m: &Market) -> Result<(Vec<Level>, Vec<Level>), String> {
    let b: PairBook = serde_json::from_str(body).map_err(|e| format!("not a Binance depth answer: {e}"))?;
    Ok(b.levels())
}

pub fn error(v: &Value) -> Option<String> {
    let msg = v.get("msg")?.as_str()?;
    Some(match v.get("code") {
        Some(c) => format!("{c} {msg}"),
        None => msg.to_string(),
    })
}
