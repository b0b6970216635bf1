//! Amendment rules: what an `amendment` entry may say about an earlier entry. One
//! implementation serves the writer (`ledger amend` refuses what breaks a rule) and the
//! verifier (`ledger verify` rejects a ledger whose amendments break one).
//!
//! Rules: the target exists, is earlier, and is neither the genesis entry nor an
//! amendment; it must be active (a superseded or withdrawn entry is closed: amend its
//! replacement instead); a correction carries replacement content, a clarification may
//! carry content, supersession and withdrawal carry none; a supersession names an
//! existing, earlier, active replacement that is not the target, the genesis entry or an
//! amendment.

use super::entry::{is_valid_ulid, KIND_AMENDMENT, KIND_GENESIS};
use serde_json::{Map, Value};

/// The four kinds of amendment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmendmentType {
    Clarification,
    Correction,
    Supersession,
    Withdrawal,
}

impl AmendmentType {
    pub const ALL: [AmendmentType; 4] = [
        Self::Clarification,
        Self::Correction,
        Self::Supersession,
        Self::Withdrawal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clarification => "clarification",
            Self::Correction => "correction",
            Self::Supersession => "supersession",
            Self::Withdrawal => "withdrawal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The content of an amendment entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Amendment {
    pub kind: AmendmentType,
    pub target: String,
    pub reason: String,
    pub content: Option<Map<String, Value>>,
    pub superseded_by: Option<String>,
    /// The ruling that ordered this amendment, if a court did.
    pub ruling: Option<String>,
}

/// A value of an amendment's content, as [`Amendment::from_fields`] needs it.
#[derive(Clone, Debug)]
pub enum Field<'a> {
    Str(std::borrow::Cow<'a, str>),
    Object(Map<String, Value>),
    /// Any other JSON value: never valid in an amendment.
    Other,
}

/// Where an entry stands after the amendments so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Active,
    Superseded { by: String },
    Withdrawn,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Superseded { .. } => "superseded",
            Status::Withdrawn => "withdrawn",
        }
    }
}

/// What the rules need to know about an entry an amendment names.
#[derive(Clone, Debug)]
pub struct Named<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub status: &'a Status,
}

impl Amendment {
    /// The entry content that records this amendment.
    pub fn to_content(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), Value::String(self.kind.as_str().into()));
        m.insert("target".into(), Value::String(self.target.clone()));
        m.insert("reason".into(), Value::String(self.reason.clone()));
        if let Some(c) = &self.content {
            m.insert("content".into(), Value::Object(c.clone()));
        }
        if let Some(s) = &self.superseded_by {
            m.insert("superseded_by".into(), Value::String(s.clone()));
        }
        if let Some(r) = &self.ruling {
            m.insert("ruling".into(), Value::String(r.clone()));
        }
        m
    }

    /// The refs an amendment entry carries: the target, then the replacement and the
    /// ordering ruling if any.
    pub fn refs(&self) -> Vec<String> {
        let mut r = vec![self.target.clone()];
        r.extend(self.superseded_by.clone());
        r.extend(self.ruling.clone());
        r
    }

    /// Reads an amendment from entry content, checking its shape.
    pub fn from_content(m: &Map<String, Value>) -> Result<Self, String> {
        Self::from_fields(m.iter().map(|(k, v)| {
            let v = match v {
                Value::String(s) => Field::Str(s.as_str().into()),
                Value::Object(c) => Field::Object(c.clone()),
                _ => Field::Other,
            };
            (k.as_str(), v)
        }))
    }

    /// The same rules over the content's fields as they come, so that a reader of raw
    /// JSON need not build a `Map` first. A repeated key counts once, the last time.
    pub fn from_fields<'a>(fields: impl IntoIterator<Item = (&'a str, Field<'a>)>) -> Result<Self, String> {
        let (mut kind, mut target, mut reason) = (None, None, None);
        let (mut content, mut superseded_by, mut ruling) = (None, None, None);
        for (k, v) in fields {
            let slot = match k {
                "type" => &mut kind,
                "target" => &mut target,
                "reason" => &mut reason,
                "content" => &mut content,
                "superseded_by" => &mut superseded_by,
                "ruling" => &mut ruling,
                _ => return Err(format!("amendment has an unknown field {k:?}")),
            };
            *slot = Some(v);
        }
        let string = |f: &Option<Field<'a>>| match f {
            Some(Field::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let id = |f: Option<Field<'a>>, why: &str| match f {
            None => Ok(None),
            Some(Field::Str(s)) if is_valid_ulid(&s) => Ok(Some(s.into_owned())),
            Some(_) => Err(why.to_owned()),
        };
        let kind = string(&kind)
            .and_then(|t| AmendmentType::parse(&t))
            .ok_or("amendment type must be clarification, correction, supersession or withdrawal")?;
        let target = string(&target)
            .filter(|t| is_valid_ulid(t))
            .ok_or("amendment target must be an entry id")?;
        let reason = string(&reason).ok_or("amendment needs a reason")?;
        let content = match content {
            None => None,
            Some(Field::Object(c)) => Some(c),
            Some(_) => return Err("amendment content must be a JSON object".into()),
        };
        let a = Amendment {
            kind,
            target: target.into_owned(),
            reason: reason.into_owned(),
            content,
            superseded_by: id(superseded_by, "superseded_by must be an entry id")?,
            ruling: id(ruling, "ruling must be an entry id")?,
        };
        a.check_shape()?;
        Ok(a)
    }

    /// Rules about the amendment alone.
    pub fn check_shape(&self) -> Result<(), String> {
        if self.reason.trim().is_empty() {
            return Err("an amendment needs a non-empty reason".into());
        }
        match self.kind {
            AmendmentType::Correction if self.content.is_none() => {
                return Err("a correction needs the corrected content (--content)".into())
            }
            AmendmentType::Supersession | AmendmentType::Withdrawal if self.content.is_some() => {
                return Err(format!("a {} carries no content", self.kind.as_str()))
            }
            _ => {}
        }
        match (self.kind, &self.superseded_by) {
            (AmendmentType::Supersession, None) => {
                Err("a supersession names its replacement (--superseded-by ID)".into())
            }
            (AmendmentType::Supersession, Some(r)) if *r == self.target => {
                Err("an entry cannot supersede itself".into())
            }
            (AmendmentType::Supersession, Some(_)) | (_, None) => Ok(()),
            (_, Some(_)) => Err("only a supersession names a replacement (--superseded-by)".into()),
        }
    }

    /// Rules about the entries the amendment names, in their state just before it.
    pub fn check_against(&self, target: &Named, replacement: Option<&Named>) -> Result<(), String> {
        let closed = |n: &Named, role: &str| -> Result<(), String> {
            if n.kind == KIND_GENESIS {
                return Err(format!("the genesis entry cannot be {role}"));
            }
            if n.kind == super::keys::KIND_KEY {
                return Err(format!(
                    "key entry {} cannot be {role}: change keys with 'echoctl key add/revoke/rotate'",
                    n.id
                ));
            }
            if n.kind == KIND_AMENDMENT {
                return Err(format!(
                    "amendment {} cannot be {role}: amend the original entry instead",
                    n.id
                ));
            }
            match n.status {
                Status::Active => Ok(()),
                Status::Superseded { by } => Err(format!(
                    "entry {} was superseded by {by} and is closed: amend {by} instead",
                    n.id
                )),
                Status::Withdrawn => Err(format!("entry {} was withdrawn and is closed", n.id)),
            }
        };
        closed(target, "amended")?;
        if let Some(r) = replacement {
            closed(r, "a replacement")?;
        }
        Ok(())
    }

    /// The target's status after this amendment.
    pub fn resulting_status(&self) -> Status {
        match self.kind {
            AmendmentType::Supersession => Status::Superseded {
                by: self.superseded_by.clone().unwrap_or_default(),
            },
            AmendmentType::Withdrawal => Status::Withdrawn,
            _ => Status::Active,
        }
    }
}
