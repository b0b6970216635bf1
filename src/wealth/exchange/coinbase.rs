//! Coinbase Advanced Trade public market data: `/api/v3/brokerage/market/products` and
//! `/api/v3/brokerage/market/product_book`. Errors come as
//! `{"error": "NOT_FOUND", "message": "…"}` with an HTTP error status.

use super::{obj, text, DecimalText};
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

#[derive(serde::Deserialize)]
struct CbLevel {
    price: DecimalText,
    size: DecimalText,
}

#[derive(serde::Deserialize)]
struct PriceBook {
    product_id: Option<String>,
    bids: Vec<CbLevel>,
    asks: Vec<CbLevel>,
}

#[derive(serde::Deserialize)]
struct ProductBook {
    pricebook: PriceBook,
}

pub fn book(body: &str, m: &Market) -> Result<(Vec<Level>, Vec<Level>), String> {
    let b: ProductBook =
        serde_json::from_str(body).map_err(|e| format!("not a Coinbase product_book answer: {e}"))?;
    let b = b.pricebook;
    if let Some(id) = b.product_id.as_deref().filter(|id| *id != m.symbol) {
        return Err(format!("Coinbase answered for {id}, not for {}", m.symbol));
    }
    let un = |v: Vec<CbLevel>| {
        v.into_iter()
            .map(|l| Level {
                price: l.price.0,
                qty: l.size.0,
            })
            .collect()
    };
    Ok((un(b.bids), un(b.asks)))
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
