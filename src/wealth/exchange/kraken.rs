//! Kraken spot: `/0/public/AssetPairs` and `/0/public/Depth`. Kraken answers errors with
//! HTTP 200 and a non-empty `error` array; its pair keys (`XXBTZUSD`) differ from the
//! altnames a request may use (`XBTUSD`), and its asset codes from the usual names (XBT is
//! BTC): names come from the market list's `wsname`, never from splitting a pair key.

use super::{obj, text, PairBook};
use crate::wealth::book::{Level, Market};
use crate::wealth::{decimal, Venue};
use rust_decimal::Decimal;
use serde_json::Value;

pub const MARKETS_PATH: &str = "/0/public/AssetPairs";

pub fn book_path(m: &Market, depth: u32) -> String {
    format!("/0/public/Depth?pair={}&count={depth}", m.request_id)
}

/// Kraken's asset altnames that differ from the names the other venues use.
fn canonical(asset: &str) -> String {
    match asset {
        "XBT" => "BTC".into(),
        "XDG" => "DOGE".into(),
        other => other.into(),
    }
}

fn result(v: &Value) -> Result<&serde_json::Map<String, Value>, String> {
    v.get("result")
        .and_then(Value::as_object)
        .ok_or_else(|| "no \"result\" object".into())
}

pub fn markets(v: &Value) -> Result<Vec<Market>, String> {
    let mut out = Vec::new();
    for (key, p) in result(v)? {
        let o = obj(p, key)?;
        if o.get("status")
            .and_then(Value::as_str)
            .is_some_and(|s| s != "online")
        {
            continue;
        }
        // "XBT/USDT": the documented base/quote altnames of the pair.
        let Some((base, quote)) = o
            .get("wsname")
            .and_then(Value::as_str)
            .and_then(|w| w.split_once('/'))
        else {
            continue; // dark-pool and other pairs without a websocket name are not spot books
        };
        let lot_decimals = o
            .get("lot_decimals")
            .and_then(Value::as_u64)
            .ok_or(format!("{key}: no lot_decimals"))?;
        let d = |k: &str| o.get(k).map(|x| decimal(x, k)).transpose();
        let mut tiers = Vec::new();
        for t in o.get("fees").and_then(Value::as_array).into_iter().flatten() {
            let pair = t
                .as_array()
                .filter(|a| a.len() == 2)
                .ok_or(format!("{key}: a fee tier is not [volume, percent]"))?;
            tiers.push((
                decimal(&pair[0], "fee volume")?,
                decimal(&pair[1], "fee percent")?,
            ));
        }
        out.push(Market {
            venue: Venue::Kraken,
            symbol: key.clone(),
            request_id: text(o, "altname")?,
            base: canonical(base),
            quote: canonical(quote),
            lot_step: Decimal::new(1, lot_decimals.min(28) as u32),
            min_qty: d("ordermin")?.unwrap_or_default(),
            min_notional: d("costmin")?.unwrap_or_default(),
            tick: d("tick_size")?.unwrap_or_default(),
            fee_tiers: tiers,
        });
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct Depth {
    #[serde(default)]
    error: Vec<String>,
    #[serde(default)]
    result: std::collections::HashMap<String, PairBook>,
}

pub fn book(body: &str, m: &Market) -> Result<(Vec<Level>, Vec<Level>), String> {
    let mut d: Depth = serde_json::from_str(body).map_err(|e| format!("not a Kraken Depth answer: {e}"))?;
    if !d.error.is_empty() {
        return Err(d.error.join("; "));
    }
    let keys: Vec<String> = d.result.keys().cloned().collect();
    let b = d
        .result
        .remove(&m.symbol)
        .or_else(|| d.result.remove(&m.request_id))
        .ok_or_else(|| format!("Kraken answered for {keys:?}, not for {}", m.symbol))?;
    Ok(b.levels())
}

pub fn error(v: &Value) -> Option<String> {
    let errors: Vec<&str> = v
        .get("error")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}
