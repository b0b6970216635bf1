//! What the `emergency` entries put in force, replayed in ledger order with every rule
//! checked: the commands read it to refuse or allow, and `ledger verify`'s checker runs
//! the same replay (one set of rules for both).

use super::{check_signature, Area, EmergencyError, Result};
use crate::ledger::entry::Entry;
use crate::sign::VerifierKey;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Who may act in an emergency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roles {
    pub emergency: Vec<VerifierKey>,
    pub resume: Vec<VerifierKey>,
    pub resume_quorum: usize,
}

impl Roles {
    pub fn check_emergency_key(&self, key: &VerifierKey) -> Result<()> {
        if self.emergency.contains(key) {
            Ok(())
        } else {
            Err(EmergencyError::NotEmergencyKey(key.identity()))
        }
    }

    /// k valid signatures of `statement` by distinct keys of the resume quorum. Any
    /// signature that does not verify, or by a key outside the quorum, refuses the lot.
    pub fn check_quorum(&self, origin: &str, statement: &Map<String, Value>, sigs: &[Value]) -> Result<()> {
        let mut by = HashSet::new();
        for s in sigs {
            let key = check_signature(origin, statement, s)?;
            if !self.resume.contains(&key) {
                return Err(EmergencyError::NotInQuorum(key.identity()));
            }
            by.insert(key.identity());
        }
        if by.len() < self.resume_quorum {
            return Err(EmergencyError::TooFewSignatures {
                got: by.len(),
                need: self.resume_quorum,
            });
        }
        Ok(())
    }
}

/// A halt in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Halt {
    pub id: String,
    pub area: Area,
    pub reason: String,
    pub by: String,
    pub ts: String,
}

/// A break-glass window, open or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub id: String,
    pub guards: Vec<String>,
    pub reason: String,
    pub by: String,
    pub opened_ms: i64,
    pub until_ms: i64,
    /// Closed early by a `close` entry.
    pub closed: bool,
    /// Entries that acted under it.
    pub actions: Vec<String>,
}

/// The emergency state at one point of the ledger.
#[derive(Clone, Debug, Default)]
pub struct State {
    pub roles: Option<Roles>,
    pub halts: Vec<Halt>,
    pub windows: Vec<Window>,
    /// The ledger's own time: the newest entry time seen so far. Windows are measured
    /// against it, so a clock moved backwards never reopens one.
    pub ledger_ms: i64,
}

fn keys(v: Option<&Value>) -> std::result::Result<Vec<VerifierKey>, String> {
    let list = v
        .and_then(Value::as_array)
        .ok_or("a list of verifier keys is missing")?;
    list.iter()
        .map(|k| {
            let text = k.as_str().ok_or("a key is not a string")?;
            VerifierKey::parse(text).map_err(|e| e.to_string())
        })
        .collect()
}

fn text<'a>(c: &'a Map<String, Value>, k: &str) -> std::result::Result<&'a str, String> {
    c.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| format!("the {k} is missing"))
}

impl State {
    /// The halt in force that stops `area`, if any (the oldest).
    pub fn halt_covering(&self, area: Area) -> Option<&Halt> {
        self.halts.iter().find(|h| h.area.covers(area))
    }

    /// The window `id` if it is open at `now_ms` (and at the ledger's own time).
    pub fn open_window(&self, id: &str, now_ms: i64) -> Option<&Window> {
        let now = now_ms.max(self.ledger_ms);
        self.windows
            .iter()
            .find(|w| w.id == id && !w.closed && w.opened_ms <= now && now < w.until_ms)
    }

    /// Moves the ledger's time on to an entry's stamp.
    pub fn saw(&mut self, ts: &str) {
        if let Some(ms) = crate::clock::parse_entry_ts(ts) {
            self.ledger_ms = self.ledger_ms.max(ms);
        }
    }

    /// Applies an `emergency` entry, or says which rule it breaks.
    pub fn apply(&mut self, origin: &str, e: &Entry) -> std::result::Result<(), String> {
        self.saw(&e.ts);
        let c = &e.content;
        let signed_by_emergency_key = |st: &State| -> std::result::Result<VerifierKey, String> {
            let roles = st.roles.as_ref().ok_or("no emergency roles are set before it")?;
            let sig = c.get("sig").ok_or("it carries no signature")?;
            let key = check_signature(origin, c, sig).map_err(|e| e.to_string())?;
            roles.check_emergency_key(&key).map_err(|e| e.to_string())?;
            Ok(key)
        };
        match c.get("action").and_then(Value::as_str) {
            Some("roles") => {
                let k = c
                    .get("resume_quorum")
                    .and_then(Value::as_u64)
                    .ok_or("resume_quorum is missing")? as usize;
                let roles = Roles {
                    emergency: keys(c.get("emergency"))?,
                    resume: keys(c.get("resume"))?,
                    resume_quorum: k,
                };
                if k < 2 || k > roles.resume.len() || roles.emergency.is_empty() {
                    return Err(EmergencyError::Quorum {
                        k,
                        n: roles.resume.len(),
                    }
                    .to_string());
                }
                if let Some(current) = &self.roles {
                    let approvals = c
                        .get("approvals")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    current
                        .check_quorum(origin, c, &approvals)
                        .map_err(|e| format!("new roles need the current resume quorum: {e}"))?;
                }
                self.roles = Some(roles);
            }
            Some("halt") => {
                let key = signed_by_emergency_key(self)?;
                let area = text(c, "area")?;
                let area =
                    Area::parse(area).ok_or_else(|| format!("unknown area {}", crate::text::quoted(area)))?;
                self.halts.push(Halt {
                    id: e.id.clone(),
                    area,
                    reason: text(c, "reason")?.to_owned(),
                    by: key.identity(),
                    ts: e.ts.clone(),
                });
            }
            Some("resume") => {
                let roles = self
                    .roles
                    .as_ref()
                    .ok_or("no emergency roles are set before it")?;
                let halt = text(c, "halt")?;
                let sigs = c
                    .get("signatures")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                roles.check_quorum(origin, c, &sigs).map_err(|e| e.to_string())?;
                let at = self
                    .halts
                    .iter()
                    .position(|h| h.id == halt)
                    .ok_or_else(|| format!("it lifts {halt}, which is no halt in force"))?;
                self.halts.remove(at);
            }
            Some("break-glass") => {
                let key = signed_by_emergency_key(self)?;
                let minutes = c.get("minutes").and_then(Value::as_u64).unwrap_or(0);
                if minutes == 0 || minutes > super::MAX_MINUTES {
                    return Err(EmergencyError::Minutes(minutes).to_string());
                }
                let guards: Vec<String> = c
                    .get("guards")
                    .and_then(Value::as_array)
                    .map(|g| g.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default();
                if guards.is_empty() || guards.iter().any(|g| !super::GUARDS.contains(&g.as_str())) {
                    return Err("it names no guard, or one that cannot be bypassed".into());
                }
                // Every stored entry has an entry time (the ledger checks it); a draft
                // checked before it is written has none yet and opens at the ledger's time.
                let opened = crate::clock::parse_entry_ts(&e.ts).unwrap_or(self.ledger_ms);
                self.windows.push(Window {
                    id: e.id.clone(),
                    guards,
                    reason: text(c, "reason")?.to_owned(),
                    by: key.identity(),
                    opened_ms: opened,
                    until_ms: opened + minutes as i64 * 60_000,
                    closed: false,
                    actions: Vec::new(),
                });
            }
            Some("close") => {
                signed_by_emergency_key(self)?;
                let id = text(c, "window")?;
                let now = self.ledger_ms;
                let w = self
                    .windows
                    .iter_mut()
                    .find(|w| w.id == id && !w.closed && now < w.until_ms)
                    .ok_or_else(|| format!("it closes {id}, which is no open window"))?;
                w.closed = true;
            }
            _ => {
                return Err("an emergency entry's action is roles, halt, resume, break-glass or close".into())
            }
        }
        Ok(())
    }

    /// A guarded action of `area` (entry `id`, stamped `ts`, naming window `window` for
    /// bypassing `guard`), or which rule it breaks: no halt of its area may be in force,
    /// and a window it names must be open at the ledger's time and cover the guard.
    pub fn act(
        &mut self,
        area: Area,
        id: &str,
        ts: &str,
        window: Option<(&str, &str)>,
    ) -> std::result::Result<(), String> {
        self.saw(ts);
        if let Some(h) = self.halt_covering(area) {
            return Err(format!(
                "a {} action while halt {} ({}) is in force",
                area.as_str(),
                h.id,
                h.area.as_str()
            ));
        }
        if let Some((wid, guard)) = window {
            let now = self.ledger_ms;
            let w = self
                .windows
                .iter_mut()
                .find(|w| w.id == wid)
                .ok_or_else(|| format!("it names break-glass window {wid}, which does not exist"))?;
            if w.closed || now >= w.until_ms || now < w.opened_ms {
                return Err(format!("it acts under break-glass window {wid} outside its time"));
            }
            if !w.guards.iter().any(|g| g == guard) {
                return Err(format!("window {wid} does not open {guard}"));
            }
            w.actions.push(id.to_owned());
        }
        Ok(())
    }
}
