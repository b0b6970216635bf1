//! An entry to append written as one JSON object, `{"kind","content","source"?,"refs"?}`:
//! a line of `ledger append --batch` and an entry of `POST /entries` (README). Parsing is
//! the library's, so that both front ends accept and refuse the same objects.

use super::entry::is_valid_ulid;
use super::NewEntry;
use serde_json::{Map, Value};

/// Why an object is not an entry to append; the text names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EntryObjectError(pub String);

/// Defaults for the fields an object may leave out (`--kind`, `--source`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Defaults<'a> {
    pub kind: Option<&'a str>,
    pub source: Option<&'a str>,
}

impl NewEntry {
    /// The entry `obj` describes. Unknown fields are refused, not ignored.
    pub fn from_object(
        mut obj: Map<String, Value>,
        defaults: Defaults<'_>,
    ) -> Result<NewEntry, EntryObjectError> {
        let bad = |s: String| Err(EntryObjectError(s));
        if let Some(k) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "kind" | "source" | "content" | "refs"))
        {
            return bad(format!("unknown field {k:?}"));
        }
        let mut text = |k: &str, default: Option<&str>| match obj.remove(k) {
            Some(Value::String(v)) => Ok(v),
            None => default
                .map(str::to_owned)
                .ok_or_else(|| EntryObjectError(format!("no {k:?} (and no --{k} default)"))),
            Some(_) => Err(EntryObjectError(format!("{k:?} must be a string"))),
        };
        let kind = text("kind", defaults.kind)?;
        let source = text("source", defaults.source)?;
        let content = match obj.remove("content") {
            Some(Value::Object(m)) => m,
            _ => return bad("\"content\" must be a JSON object".into()),
        };
        let refs = match obj.remove("refs") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) if is_valid_ulid(&s) => Ok(s),
                    _ => Err(EntryObjectError("\"refs\" must be entry ids".into())),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return bad("\"refs\" must be an array of entry ids".into()),
        };
        Ok(NewEntry {
            kind,
            source,
            content,
            refs,
        })
    }
}
