//! Amendment rules: what an `amendment` entry may say about an earlier entry. One
//! implementation serves the writer (`ledger amend` refuses what breaks a rule) and the
//! verifier (`ledger verify` rejects a ledger whose amendments break one).
//!
//! Rules: the target exists, is earlier, and is neither the genesis entry, a key entry
//! nor an amendment; it must be active (a superseded or withdrawn entry is closed: amend
//! its replacement instead); a correction carries replacement content, a clarification
//! may carry content, supersession and withdrawal carry none; a supersession names an
//! existing, earlier, active replacement that is not the target, the genesis entry or an
//! amendment. An amendment may name the entry that ordered it (format v1 calls the field
//! `ruling`); whether that entry may order it is up to the feature that owns its kind.

use super::entry::is_valid_ulid;
use super::kinds::{KIND_AMENDMENT, KIND_GENESIS, KIND_KEY};
use serde_json::{Map, Value};

/// The content field naming the entry that ordered an amendment (its name in format v1).
pub const ORDER_FIELD: &str = "ruling";

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
    /// The entry that ordered this amendment, if any (content field `ruling`).
    pub ordered_by: Option<String>,
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

/// Why an amendment breaks the rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmendError {
    #[error("amendment type must be clarification, correction, supersession or withdrawal")]
    Type,
    #[error("amendment target must be an entry id")]
    Target,
    #[error("amendment has an unknown field {}", crate::text::quoted(.0))]
    UnknownField(String),
    #[error("{0} must be an entry id")]
    NotAnId(&'static str),
    #[error("amendment content must be a JSON object")]
    ContentNotObject,
    #[error("an amendment needs a non-empty reason")]
    NoReason,
    #[error("a correction needs the corrected content")]
    NoCorrectedContent,
    #[error("a {0} carries no content")]
    CarriesNoContent(&'static str),
    #[error("a supersession names its replacement")]
    NoReplacement,
    #[error("an entry cannot supersede itself")]
    SelfSupersession,
    #[error("only a supersession names a replacement")]
    NotASupersession,
    #[error("an amendment's refs must be its target, then its replacement")]
    Refs,
    #[error("the genesis entry cannot be {0}")]
    Genesis(&'static str),
    #[error("key entry {id} cannot be {role}")]
    KeyEntry { id: String, role: &'static str },
    #[error("amendment {id} cannot be {role}: amend the original entry instead")]
    OfAmendment { id: String, role: &'static str },
    #[error("entry {id} was superseded by {by} and is closed: amend {by} instead")]
    Superseded { id: String, by: String },
    #[error("entry {0} was withdrawn and is closed")]
    Withdrawn(String),
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
        if let Some(r) = &self.ordered_by {
            m.insert(ORDER_FIELD.into(), Value::String(r.clone()));
        }
        m
    }

    /// The refs an amendment entry carries: the target, then the replacement and the
    /// entry that ordered it, if any.
    pub fn refs(&self) -> Vec<String> {
        let mut r = vec![self.target.clone()];
        r.extend(self.superseded_by.clone());
        r.extend(self.ordered_by.clone());
        r
    }

    /// Reads an amendment from entry content, checking its shape.
    pub fn from_content(m: &Map<String, Value>) -> Result<Self, AmendError> {
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
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, Field<'a>)>,
    ) -> Result<Self, AmendError> {
        let (mut kind, mut target, mut reason) = (None, None, None);
        let (mut content, mut superseded_by, mut ordered_by) = (None, None, None);
        for (k, v) in fields {
            let slot = match k {
                "type" => &mut kind,
                "target" => &mut target,
                "reason" => &mut reason,
                "content" => &mut content,
                "superseded_by" => &mut superseded_by,
                ORDER_FIELD => &mut ordered_by,
                _ => return Err(AmendError::UnknownField(k.to_owned())),
            };
            *slot = Some(v);
        }
        let string = |f: &Option<Field<'a>>| match f {
            Some(Field::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let id = |f: Option<Field<'a>>, field: &'static str| match f {
            None => Ok(None),
            Some(Field::Str(s)) if is_valid_ulid(&s) => Ok(Some(s.into_owned())),
            Some(_) => Err(AmendError::NotAnId(field)),
        };
        let kind = string(&kind)
            .and_then(|t| AmendmentType::parse(&t))
            .ok_or(AmendError::Type)?;
        let target = string(&target)
            .filter(|t| is_valid_ulid(t))
            .ok_or(AmendError::Target)?;
        let reason = string(&reason).ok_or(AmendError::NoReason)?;
        let content = match content {
            None => None,
            Some(Field::Object(c)) => Some(c),
            Some(_) => return Err(AmendError::ContentNotObject),
        };
        let a = Amendment {
            kind,
            target: target.into_owned(),
            reason: reason.into_owned(),
            content,
            superseded_by: id(superseded_by, "superseded_by")?,
            ordered_by: id(ordered_by, ORDER_FIELD)?,
        };
        a.check_shape()?;
        Ok(a)
    }

    /// Rules about the amendment alone.
    pub fn check_shape(&self) -> Result<(), AmendError> {
        if self.reason.trim().is_empty() {
            return Err(AmendError::NoReason);
        }
        match self.kind {
            AmendmentType::Correction if self.content.is_none() => {
                return Err(AmendError::NoCorrectedContent)
            }
            AmendmentType::Supersession | AmendmentType::Withdrawal if self.content.is_some() => {
                return Err(AmendError::CarriesNoContent(self.kind.as_str()))
            }
            _ => {}
        }
        match (self.kind, &self.superseded_by) {
            (AmendmentType::Supersession, None) => Err(AmendError::NoReplacement),
            (AmendmentType::Supersession, Some(r)) if *r == self.target => Err(AmendError::SelfSupersession),
            (AmendmentType::Supersession, Some(_)) | (_, None) => Ok(()),
            (_, Some(_)) => Err(AmendError::NotASupersession),
        }
    }

    /// Rules about the entries the amendment names, in their state just before it.
    pub fn check_against(&self, target: &Named, replacement: Option<&Named>) -> Result<(), AmendError> {
        let closed = |n: &Named, role: &'static str| -> Result<(), AmendError> {
            match n.kind {
                KIND_GENESIS => return Err(AmendError::Genesis(role)),
                KIND_KEY => {
                    return Err(AmendError::KeyEntry {
                        id: n.id.to_owned(),
                        role,
                    })
                }
                KIND_AMENDMENT => {
                    return Err(AmendError::OfAmendment {
                        id: n.id.to_owned(),
                        role,
                    })
                }
                _ => {}
            }
            match n.status {
                Status::Active => Ok(()),
                Status::Superseded { by } => Err(AmendError::Superseded {
                    id: n.id.to_owned(),
                    by: by.clone(),
                }),
                Status::Withdrawn => Err(AmendError::Withdrawn(n.id.to_owned())),
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
