//! The treasury: what each task costs and returns, as `task` entries, in exact decimals.
//! Amounts are stored as decimal strings (never JSON numbers, which are doubles), and
//! ROI = (value − cost) / cost is rounded half-to-even to 6 decimal places.

use crate::clock::Clock;
use crate::ledger::error::Refusal;
use crate::ledger::kinds::{Draft, Feature, Lookup};
use crate::ledger::{Appended, Ledger, LedgerError, LogFilter, NewEntry, SystemEntry};
use crate::sign::Signers;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value};
use std::str::FromStr;

/// Written by `treasury record` and `treasury settle`.
pub const KIND_TASK: &str = "task";

/// Why the treasury refuses.
#[derive(Debug, thiserror::Error)]
pub enum TreasuryError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("a task needs a name")]
    NoName,
    #[error("unknown risk {}", crate::text::quoted(.0))]
    Risk(String),
    #[error("{what} {} is not an amount", crate::text::quoted(.text))]
    Amount { what: &'static str, text: String },
    #[error("a task's cost must be more than zero (ROI divides by it)")]
    ZeroCost,
    #[error("task {} is already recorded", crate::text::quoted(.0))]
    Recorded(String),
    #[error("task {} is not recorded", crate::text::quoted(.0))]
    NotRecorded(String),
    #[error("task {} is already settled", crate::text::quoted(.0))]
    Settled(String),
    #[error("a task entry needs an action of record or settle")]
    Action,
}

pub type Result<T, E = TreasuryError> = std::result::Result<T, E>;

/// The treasury's kind, registered with the ledger.
pub struct Treasury;

impl Feature for Treasury {
    fn name(&self) -> &'static str {
        "treasury"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND_TASK]
    }

    /// A task entry records or settles a task, with exact amounts.
    fn check_append(&self, draft: &Draft<'_>, _: &dyn Lookup) -> std::result::Result<(), Refusal> {
        let c = draft.content;
        let field = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default();
        match field("action") {
            "record" => {
                amount(field("cost"), "cost")?;
                amount(field("expected_value"), "expected value")?;
            }
            "settle" => {
                amount(field("actual_value"), "actual value")?;
            }
            _ => return Err(TreasuryError::Action.into()),
        }
        Ok(())
    }
}

/// Decimal places of ROI figures.
pub const ROI_PLACES: u32 = 6;
pub const RISKS: [&str; 4] = ["low", "medium", "high", "critical"];

/// A task as recorded, and its settlement if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub task: String,
    pub id: String,
    pub cost: Decimal,
    pub risk: String,
    pub expected_value: Decimal,
    pub proof_burden: String,
    pub actual_value: Option<Decimal>,
}

impl Task {
    /// (expected − cost) / cost.
    pub fn expected_roi(&self) -> Option<Decimal> {
        roi(self.cost, self.expected_value)
    }
    /// (actual − cost) / cost, once settled.
    pub fn roi(&self) -> Option<Decimal> {
        self.actual_value.and_then(|a| roi(self.cost, a))
    }
}

fn roi(cost: Decimal, value: Decimal) -> Option<Decimal> {
    if cost.is_zero() {
        return None;
    }
    (value.checked_sub(cost)?).checked_div(cost).map(|r| {
        r.round_dp_with_strategy(ROI_PLACES, RoundingStrategy::MidpointNearestEven)
            .normalize()
    })
}

/// Parses an exact, non-negative decimal amount ("1234.50"; no exponent, no sign).
pub fn amount(s: &str, what: &'static str) -> Result<Decimal> {
    let bad = || TreasuryError::Amount {
        what,
        text: s.to_owned(),
    };
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') || s.matches('.').count() > 1 {
        return Err(bad());
    }
    Decimal::from_str(s).map_err(|_| bad())
}

fn text(m: &Map<String, Value>, k: &str) -> String {
    m.get(k).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// Every task, in the order recorded, with settlements applied.
pub fn tasks(ledger: &Ledger) -> Result<Vec<Task>> {
    let mut out: Vec<Task> = Vec::new();
    let filter = LogFilter {
        kind: Some(KIND_TASK.into()),
        ..Default::default()
    };
    ledger.log(&filter, |e| {
        let c = &e.entry.content;
        let parse = |k: &str| Decimal::from_str(&text(c, k)).unwrap_or_default();
        match c.get("action").and_then(Value::as_str) {
            Some("record") => out.push(Task {
                task: text(c, "task"),
                id: e.entry.id.clone(),
                cost: parse("cost"),
                risk: text(c, "risk"),
                expected_value: parse("expected_value"),
                proof_burden: text(c, "proof_burden"),
                actual_value: None,
            }),
            Some("settle") => {
                if let Some(t) = out.iter_mut().find(|t| Some(&t.id) == e.entry.refs.first()) {
                    t.actual_value = Some(parse("actual_value"));
                }
            }
            _ => {}
        }
        Ok::<(), TreasuryError>(())
    })?;
    Ok(out)
}

/// Records a task.
#[allow(clippy::too_many_arguments)]
pub fn record(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    task: &str,
    cost: &str,
    risk: &str,
    expected_value: &str,
    proof_burden: &str,
) -> Result<Appended> {
    if task.trim().is_empty() {
        return Err(TreasuryError::NoName);
    }
    if !RISKS.contains(&risk) {
        return Err(TreasuryError::Risk(risk.to_owned()));
    }
    let cost_value = amount(cost, "cost")?;
    if cost_value.is_zero() {
        return Err(TreasuryError::ZeroCost);
    }
    amount(expected_value, "expected value")?;
    if tasks(ledger)?.iter().any(|t| t.task == task) {
        return Err(TreasuryError::Recorded(task.to_owned()));
    }
    let mut content = Map::new();
    for (k, v) in [
        ("action", "record"),
        ("task", task),
        ("cost", cost),
        ("risk", risk),
        ("expected_value", expected_value),
        ("proof_burden", proof_burden),
    ] {
        content.insert(k.into(), Value::String(v.into()));
    }
    let e = NewEntry {
        kind: KIND_TASK.into(),
        source: source.into(),
        content,
        refs: vec![],
    };
    Ok(ledger.append_system(signers, clock, source, vec![SystemEntry::Entry(e)])?)
}

/// Settles a recorded task with its actual value.
pub fn settle(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    task: &str,
    actual_value: &str,
) -> Result<Appended> {
    amount(actual_value, "actual value")?;
    let all = tasks(ledger)?;
    let t = all
        .iter()
        .find(|t| t.task == task)
        .ok_or_else(|| TreasuryError::NotRecorded(task.to_owned()))?;
    if t.actual_value.is_some() {
        return Err(TreasuryError::Settled(task.to_owned()));
    }
    let mut content = Map::new();
    for (k, v) in [
        ("action", "settle"),
        ("task", task),
        ("actual_value", actual_value),
    ] {
        content.insert(k.into(), Value::String(v.into()));
    }
    let e = NewEntry {
        kind: KIND_TASK.into(),
        source: source.into(),
        content,
        refs: vec![t.id.clone()],
    };
    Ok(ledger.append_system(signers, clock, source, vec![SystemEntry::Entry(e)])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roi_is_exact_and_rounded_half_even() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(roi(d("100"), d("150")), Some(d("0.5")));
        assert_eq!(roi(d("0.10"), d("0.30")), Some(d("2")));
        assert_eq!(roi(d("3"), d("4")), Some(d("0.333333")));
        assert_eq!(
            roi(d("8"), d("8.0000045")),
            Some(d("0.000001")),
            "0.00000056 rounds to 0.000001"
        );
        assert_eq!(roi(d("0"), d("1")), None);
        assert!(amount("1e3", "x").is_err() && amount("-1", "x").is_err() && amount("1.2.3", "x").is_err());
    }
}
