//! The constraint rule language: a `constraint` entry whose content has a `rule` object
//! states that a key of `outcome` entries must compare to a value, optionally only inside
//! a validity window:
//!
//! ```json
//! {"rule": {"key": "disk_pct", "op": "<=", "value": 90,
//!           "from": "2026-01-01T00:00:00Z", "until": "2027-01-01T00:00:00Z"},
//!  "severity": "high", "text": "disks stay below 90%"}
//! ```
//!
//! `key` is a dotted path into the outcome's content; `op` is one of `< <= > >= == !=`;
//! numbers compare as exact decimals, strings and booleans only with `==` and `!=`.
//! `from` (inclusive) and `until` (exclusive) are RFC 3339 times compared with the
//! outcome's `ts`. `severity` (low, medium, high, critical) defaults to high.

use crate::clock::parse_rfc3339;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::str::FromStr;

pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// A parsed rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub key: String,
    pub op: String,
    pub value: Value,
    pub from: Option<i64>,
    pub until: Option<i64>,
    pub severity: String,
}

fn decimal(v: &Value) -> Option<Decimal> {
    let n = v.as_number()?.to_string();
    Decimal::from_str(&n)
        .ok()
        .or_else(|| Decimal::from_scientific(&n).ok())
}

impl Rule {
    /// Reads the rule of a constraint's content: None when it has no `rule`, an error
    /// when the rule is malformed.
    pub fn from_content(c: &Map<String, Value>) -> Result<Option<Rule>, String> {
        let Some(rule) = c.get("rule") else {
            return Ok(None);
        };
        let r = rule.as_object().ok_or("rule must be an object")?;
        for k in r.keys() {
            if !matches!(k.as_str(), "key" | "op" | "value" | "from" | "until") {
                return Err(format!("rule has an unknown field {}", crate::text::quoted(k)));
            }
        }
        let key = r
            .get("key")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .ok_or("rule needs a key")?;
        let op = r.get("op").and_then(Value::as_str).ok_or("rule needs an op")?;
        if !matches!(op, "<" | "<=" | ">" | ">=" | "==" | "!=") {
            return Err(format!(
                "rule op {} is not one of < <= > >= == !=",
                crate::text::quoted(op)
            ));
        }
        let value = r.get("value").cloned().ok_or("rule needs a value")?;
        match &value {
            Value::Number(_) => {
                decimal(&value).ok_or("rule value is not a decimal number")?;
            }
            Value::String(_) | Value::Bool(_) if matches!(op, "==" | "!=") => {}
            _ => return Err("a rule compares numbers, or strings and booleans with == and !=".into()),
        }
        let time = |k: &str| -> Result<Option<i64>, String> {
            match r.get(k) {
                None => Ok(None),
                Some(Value::String(t)) => parse_rfc3339(t)
                    .map(Some)
                    .ok_or(format!("rule {k} is not an RFC 3339 time")),
                Some(_) => Err(format!("rule {k} must be an RFC 3339 time")),
            }
        };
        let (from, until) = (time("from")?, time("until")?);
        if let (Some(f), Some(u)) = (from, until) {
            if f >= u {
                return Err("rule from must be before until".into());
            }
        }
        let severity = match c.get("severity") {
            None => "high".to_owned(),
            Some(Value::String(s)) if SEVERITIES.contains(&s.as_str()) => s.clone(),
            Some(_) => return Err("severity is low, medium, high or critical".into()),
        };
        Ok(Some(Rule {
            key: key.to_owned(),
            op: op.to_owned(),
            value,
            from,
            until,
            severity,
        }))
    }

    /// Whether the rule is in force at `ts` (milliseconds).
    pub fn active_at(&self, ts: i64) -> bool {
        self.from.is_none_or(|f| ts >= f) && self.until.is_none_or(|u| ts < u)
    }

    /// Some(true) when `content` breaks the rule, Some(false) when it keeps it, None when
    /// the content does not have the key (or a value of another type).
    pub fn violated_by(&self, content: &Map<String, Value>) -> Option<bool> {
        let mut parts = self.key.split('.');
        let mut v = content.get(parts.next()?)?;
        for p in parts {
            v = v.as_object()?.get(p)?;
        }
        let holds = match (&self.value, v) {
            (Value::Number(_), Value::Number(_)) => {
                let (got, want) = (decimal(v)?, decimal(&self.value)?);
                match self.op.as_str() {
                    "<" => got < want,
                    "<=" => got <= want,
                    ">" => got > want,
                    ">=" => got >= want,
                    "==" => got == want,
                    _ => got != want,
                }
            }
            (Value::String(a), Value::String(b)) => (self.op == "==") == (a == b),
            (Value::Bool(a), Value::Bool(b)) => (self.op == "==") == (a == b),
            _ => return None,
        };
        Some(!holds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> Result<Option<Rule>, String> {
        Rule::from_content(serde_json::from_str::<Value>(json).unwrap().as_object().unwrap())
    }

    fn content(json: &str) -> Map<String, Value> {
        serde_json::from_str::<Value>(json)
            .unwrap()
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn rules_parse_and_evaluate() {
        let r = rule(r#"{"rule":{"key":"disk.pct","op":"<=","value":90}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(r.violated_by(&content(r#"{"disk":{"pct":93}}"#)), Some(true));
        assert_eq!(r.violated_by(&content(r#"{"disk":{"pct":90}}"#)), Some(false));
        assert_eq!(r.violated_by(&content(r#"{"disk":{"pct":"93"}}"#)), None);
        assert_eq!(r.violated_by(&content(r#"{"cpu":1}"#)), None);
        let exact = rule(r#"{"rule":{"key":"x","op":"<","value":0.3}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            exact.violated_by(&content(r#"{"x":0.30000000000000004}"#)),
            Some(true)
        );
        let s = rule(r#"{"rule":{"key":"state","op":"==","value":"green"},"severity":"low"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.violated_by(&content(r#"{"state":"red"}"#)), s.severity.as_str()),
            (Some(true), "low")
        );
        assert_eq!(rule(r#"{"text":"no rule"}"#), Ok(None));
        for bad in [
            r#"{"rule":{"key":"x","op":"~","value":1}}"#,
            r#"{"rule":{"key":"x","op":"<","value":"a"}}"#,
            r#"{"rule":{"key":"x","op":"<","value":1,"from":"2027-01-01T00:00:00Z","until":"2026-01-01T00:00:00Z"}}"#,
            r#"{"rule":{"op":"<","value":1}}"#,
            r#"{"rule":{"key":"x","op":"<","value":1,"extra":1}}"#,
        ] {
            assert!(rule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn windows_are_half_open() {
        let r = rule(r#"{"rule":{"key":"x","op":"<","value":1,"from":"2026-01-01T00:00:00Z","until":"2026-02-01T00:00:00Z"}}"#)
            .unwrap()
            .unwrap();
        let t = |s: &str| parse_rfc3339(s).unwrap();
        assert!(!r.active_at(t("2025-12-31T23:59:59.999Z")));
        assert!(r.active_at(t("2026-01-01T00:00:00Z")));
        assert!(!r.active_at(t("2026-02-01T00:00:00Z")));
    }
}
