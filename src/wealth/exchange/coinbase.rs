//! Coinbase Advanced Trade public market data: `/api/v3/brokerage/market/products` and
//! `/api/v3/brokerage/market/product_book`. Errors come as
//! `{"error": "NOT_FOUND", "message": "…"}` with an HTTP error status.

use super::{obj, text};
use crate::wealth::book::{Level, Market};
use crate::wealth::{decimal, Venue};
use serde_json::Value;

pub const MARKETS_PATH: &str = "/api/v3/brokerage/market/products?product_type=SPOT";

pub fn book_path(m: &Market, depth: u32) -> String {
    format!(
        "/api/v3/brokerage/market/product_book?product_id={}&limit={depth}",
        m.request_id
    )
}

pub fn markets(v: &Value) -> Result<Vec<Market>, String> {
    let products = v
        .get("products")
        .and_then(Value::as_array)
        .ok_or("no \"products\" array")?;
    let mut out = Vec::new();
    for p in products {
        let o = obj(p, "product")?;
        let flag = |k: &str| o.get(k).and_then(Value::as_bool).unwrap_or(false);
        if flag("trading_disabled") || flag("is_disabled") || flag("cancel_only") || flag("view_only") {
            continue;
        }
        if o.get("product_type")
            .and_then(Value::as_str)
            .is_some_and(|t| t != "SPOT")
        {
            continue;
        }
        let d = |k: &str| {
            o.get(k)
                .map(|x| decimal(x, k))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        let id = text(o, "product_id")?;
        out.push(Market {
            venue: Venue::Coinbase,
            request_id: id.clone(),
            symbol: id,
            base: text(o, "base_currency_id")?,
            quote: text(o, "quote_currency_id")?,
            lot_step: d("base_increment")?,
            min_qty: d("base_min_size")?,
            min_notional: d("quote_min_size")?,
            tick: d("price_increment")?,
            fee_tiers: vec![],
        });
    }
    Ok(out)
}

fn side(v: Option<&Value>, what: &str) -> Result<Vec<Level>, String> {
    let a = v.and_then(Value::as_array).ok_or(format!("no {what:?} array"))?;
    a.iter()
        .map(|l| {
            Ok(Level {
                price: decimal(
                    l.get("price").ok_or(format!("a {what} level has no price"))?,
                    "price",
                )?,
                qty: decimal(
                    l.get("size").ok_or(format!("a {what} level has no size"))?,
                    "size",
                )?,
            })
        })
        .collect()
}

pub fn book(v: &Value, m: &Market) -> Result<(Vec<Level>, Vec<Level>), String> {
    let b = v.get("pricebook").ok_or("no \"pricebook\" object")?;
    if let Some(id) = b.get("product_id").and_then(Value::as_str) {
        if id != m.symbol {
            return Err(format!("Coinbase answered for {id}, not for {}", m.symbol));
        }
    }
    Ok((side(b.get("bids"), "bids")?, side(b.get("asks"), "asks")?))
}

pub fn error(v: &Value) -> Option<String> {
    let e = v.get("error")?.as_str()?;
    let msg = v
        .get("message")
        .or_else(|| v.get("error_details"))
        .and_then(Value::as_str)
        .unwrap_or("");
    Some(format!("{e} {msg}").trim().to_string())
}
