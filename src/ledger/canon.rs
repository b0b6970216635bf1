//! RFC 8785 (JCS) canonical JSON: the only way entry bytes are produced, and the check a
//! verifier applies to stored bytes. Strict parsing refuses duplicate keys and integers
//! that an IEEE-754 double (the JCS number model) cannot hold exactly.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// The largest integer magnitude JCS numbers (IEEE-754 doubles) hold exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Parses JSON text strictly: duplicate object keys and integers beyond ±(2^53 − 1)
/// are errors rather than silently changed values.
pub fn parse_strict(text: &str) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = StrictValue
        .deserialize(&mut de)
        .map_err(|e| with_literal(text, &e))?;
    de.end().map_err(|e| e.to_string())?;
    // Integers too large even for 64 bits reach the parser as doubles: their literals
    // are checked in the text.
    check_integer_literals(text)?;
    Ok(v)
}

/// The two refusals of a number the visitor makes, which name the literal as written.
const BEYOND_INTEGER: &str = "is beyond ±(2^53-1) and cannot be represented exactly in \
     canonical JSON (RFC 8785); store it as a string";
const BEYOND_DOUBLE: &str = "is written in canonical JSON (RFC 8785) as an integer beyond \
     ±(2^53-1), which cannot be represented exactly; store it as a string";

/// serde_json's message, with the number's literal put in front of a number refusal: the
/// visitor sees only the parsed value (a rounded double, or a magnitude without its sign),
/// the text shows what the user wrote.
fn with_literal(text: &str, e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let noun = if msg.starts_with(BEYOND_INTEGER) {
        "integer"
    } else if msg.starts_with(BEYOND_DOUBLE) {
        "number"
    } else {
        return msg;
    };
    // serde_json reports the line (1-based) and the column of the token's last byte.
    let line = text.split('\n').nth(e.line().saturating_sub(1)).unwrap_or("");
    let end = e.column().min(line.len());
    let number = |c: &u8| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E');
    let start = line.as_bytes()[..end]
        .iter()
        .rposition(|c| !number(c))
        .map_or(0, |i| i + 1);
    format!("{noun} {} {msg}", &line[start..end])
}

/// Refuses any integer literal (no fraction, no exponent) beyond ±(2^53 − 1) in JSON text
/// that already parsed.
fn check_integer_literals(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    let (mut i, mut in_string) = (0, false);
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if c == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if c == b'-' || c.is_ascii_digit() {
            let start = i;
            while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                i += 1;
            }
            let token = &text[start..i];
            if !token.contains(['.', 'e', 'E']) {
                let digits = token.trim_start_matches('-');
                let big = digits.len() > 16 || digits.parse::<u64>().map_or(true, |m| m > MAX_SAFE_INTEGER);
                if big {
                    return Err(format!("integer {token} {BEYOND_INTEGER}"));
                }
            }
            continue;
        }
        i += 1;
    }
    Ok(())
}

struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

fn check_int<E: de::Error>(magnitude: u64) -> Result<(), E> {
    if magnitude > MAX_SAFE_INTEGER {
        return Err(E::custom(BEYOND_INTEGER));
    }
    Ok(())
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        check_int(v.unsigned_abs())?;
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        check_int(v)?;
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // RFC 8785 writes a number from 2^53 up to 1e21 as an integer: one beyond ±(2^53-1),
        // which this parser refuses to read back. Refused here too, so that the canonical
        // form of every accepted value parses again (found by the fuzz harness: 5e20).
        if (MAX_SAFE_INTEGER as f64) < v.abs() && v.abs() < 1e21 {
            return Err(E::custom(BEYOND_DOUBLE));
        }
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate object key {}",
                    crate::text::quoted(&key)
                )));
            }
            let v = map.next_value_seed(StrictValue)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Appends the RFC 8785 canonical form of `v` to `out`.
pub fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(map, out),
    }
}

/// Appends the canonical form of a JSON object.
pub fn write_object(map: &Map<String, Value>, out: &mut Vec<u8>) {
    let mut keys: Vec<&String> = map.keys().collect();
    // serde_json's map normally iterates in UTF-8 byte order. RFC 8785 §3.2.3 sorts by UTF-16 code
    // units; the two differ only when a key holds a character at or above U+E000 (UTF-8
    // lead byte 0xEE or more), so sort again only then.
    // Checking sortedness also keeps this right if serde_json's `preserve_order` feature
    // is ever switched on by another crate.
    let byte_sorted = keys.windows(2).all(|w| w[0] < w[1]);
    if !byte_sorted || keys.iter().any(|k| k.bytes().any(|b| b >= 0xEE)) {
        keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    }
    out.push(b'{');
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(k, out);
        out.push(b':');
        write_canonical(&map[k.as_str()], out);
    }
    out.push(b'}');
}

/// The canonical bytes of a value.
pub fn to_canonical(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write_canonical(v, &mut out);
    out
}

/// RFC 8785 §3.2.2.2 string serialisation.
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            0x08 => Some(b"\\b"),
            0x09 => Some(b"\\t"),
            0x0a => Some(b"\\n"),
            0x0c => Some(b"\\f"),
            0x0d => Some(b"\\r"),
            0..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        match esc {
            Some(e) => out.extend_from_slice(e),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn write_number(n: &Number, out: &mut Vec<u8>) {
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() <= MAX_SAFE_INTEGER {
            out.extend_from_slice(i.to_string().as_bytes());
            return;
        }
    }
    if let Some(u) = n.as_u64() {
        if u <= MAX_SAFE_INTEGER {
            out.extend_from_slice(u.to_string().as_bytes());
            return;
        }
    }
    let f = n.as_f64().unwrap_or(0.0);
    out.extend_from_slice(es6_number(f).as_bytes());
}

/// ECMAScript Number.prototype.toString for a finite double (RFC 8785 §3.2.2.3).
pub fn es6_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    if x < 0.0 {
        return format!("-{}", es6_number(-x));
    }
    // Rust's `{:e}` prints the shortest round-tripping digits: "d.ddde±x".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i64;
    let n = exp.parse::<i64>().unwrap_or(0) + 1;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let e = (n - 1).abs();
        if k == 1 {
            format!("{digits}e{sign}{e}")
        } else {
            format!("{}.{}e{sign}{e}", &digits[..1], &digits[1..])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        String::from_utf8(to_canonical(&parse_strict(text).unwrap())).unwrap()
    }

    #[test]
    #[allow(clippy::excessive_precision)] // the RFC's own literal
    fn rfc8785_numbers() {
        // Values from RFC 8785 Appendix B.
        for (v, want) in [
            (0.0, "0"),
            (-0.0, "0"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (9007199254740992.0, "9007199254740992"),
            (295147905179352830000.0, "295147905179352830000"),
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (333333333.33333329, "333333333.3333333"),
            (1e23, "1e+23"),
            (-1.5, "-1.5"),
            (123.456, "123.456"),
        ] {
            assert_eq!(es6_number(v), want, "{v:e}");
        }
    }

    #[test]
    fn rfc8785_example_object() {
        let text = r#"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],
            "string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}"#;
        assert_eq!(
            canon(text),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn sorts_keys_by_utf16() {
        // U+1F600 (surrogates D83D DE00) sorts before U+FB33 in UTF-16, after it in UTF-8.
        assert_eq!(
            canon(r#"{"\ufb33":1,"😀":2,"a":3}"#),
            "{\"a\":3,\"😀\":2,\"\u{fb33}\":1}"
        );
    }

    #[test]
    fn integers_beyond_64_bits_are_refused_too() {
        for big in [
            "18446744073709551616",
            "-9223372036854775809",
            "12345678901234567890123",
            "9007199254740992",
        ] {
            let err = parse_strict(&format!(r#"{{"n":{big},"s":"{big}"}}"#)).unwrap_err();
            assert!(err.contains("beyond"), "{big}: {err}");
        }
        // In strings, as fractions or with exponents they are fine.
        parse_strict(r#"{"s":"18446744073709551616","g":12345678901234567890123.5,"k":9007199254740991}"#)
            .unwrap();
        // Unless canonical JSON would write them as integers beyond 2^53 (below 1e21).
        for disguised in ["1.8446744073709552e19", "5e20", "9007199254740992.0", "-5e20"] {
            assert!(
                parse_strict(disguised).unwrap_err().contains("2^53"),
                "{disguised}"
            );
        }
        // Whatever is accepted, its canonical form is accepted again, as the same value.
        for ok in [
            "6.02e23",
            "1e21",
            "-1e21",
            "9007199254740991.0",
            "1e-7",
            "0.1",
            "-0",
            "4.5e15",
        ] {
            let v = parse_strict(ok).unwrap();
            let c = String::from_utf8(to_canonical(&v)).unwrap();
            assert_eq!(
                to_canonical(&parse_strict(&c).unwrap()),
                c.as_bytes(),
                "{ok} -> {c}"
            );
        }
        parse_strict(r#"{"esc":"\\\"18446744073709551616","n":-9007199254740991}"#).unwrap();
    }

    #[test]
    fn strict_parse_refuses_duplicates_and_big_integers() {
        assert!(parse_strict(r#"{"a":1,"a":2}"#)
            .unwrap_err()
            .contains("duplicate"));
        assert!(parse_strict("9007199254740993").unwrap_err().contains("2^53"));
        assert!(parse_strict("[1,").is_err());
        assert!(parse_strict("{} x").is_err());
        assert_eq!(canon("-9007199254740991"), "-9007199254740991");
    }
}
