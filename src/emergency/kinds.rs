//! What emergency powers register with the ledger: the `emergency` kind, the guarded
//! actions it watches (`trade`: wealth; `decision` with a certificate: bft; `ruling`:
//! court; `task`: treasury), an append-time refusal of any guarded action while a halt of
//! its area is in force, and the checker `ledger verify` runs: every emergency statement
//! signed by a key holding its role at that point, every resume carrying k valid
//! signatures, no guarded action recorded during a halt, and none outside a break-glass
//! window it names, measured on the ledger's own entry times.

use super::{Area, State, KIND_EMERGENCY};
use crate::ledger::entry::Entry;
use crate::ledger::error::Refusal;
use crate::ledger::kinds::{Checked, Checker, Draft, Facts, Feature, Known, Lookup, Shown, KIND_GENESIS};
use serde_json::{Map, Value};

/// The guarded kinds and their areas.
const GUARDED: &[&str] = &["trade", "decision", "ruling", "task"];

/// The field of a guarded action's content that names the break-glass window it used.
pub const BREAK_GLASS_FIELD: &str = "break_glass";

/// The area of a guarded action, if the entry is one. For trades the act is the
/// decision (written ahead of the first order); the fills and result that follow record
/// what came of it, and are written even when a halt stopped it half-way.
fn area_of(kind: &str, content: &Map<String, Value>) -> Option<Area> {
    match kind {
        "trade" if content.get("event").and_then(Value::as_str) == Some("decision") => Some(Area::Wealth),
        "decision" if content.contains_key("bft") => Some(Area::Bft),
        "ruling" => Some(Area::Court),
        "task" => Some(Area::Treasury),
        _ => None,
    }
}

/// The guard a window must open for an action of `area`: today only trades (wealth's
/// risk limits) act under a window; any other action that names one is refused.
fn guard_of(area: Area) -> &'static str {
    if area == Area::Wealth {
        "risk-limits"
    } else {
        "none"
    }
}

/// Emergency powers' kinds.
pub struct Emergency;

enum Seen {
    Genesis(String),
    Statement(Box<Entry>),
    Action {
        area: Area,
        id: String,
        ts: String,
        window: Option<String>,
    },
}

fn state_of(ledger: &dyn Lookup) -> std::result::Result<(String, State), String> {
    let origin = ledger
        .entries_of_kind(KIND_GENESIS)
        .map_err(|e| e.to_string())?
        .first()
        .and_then(|g| {
            g.entry
                .content
                .get("origin")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let mut st = State::default();
    for e in ledger
        .entries_of_kind(KIND_EMERGENCY)
        .map_err(|e| e.to_string())?
    {
        st.apply(&origin, &e.entry)?;
    }
    Ok((origin, st))
}

impl Feature for Emergency {
    fn name(&self) -> &'static str {
        "emergency"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND_EMERGENCY]
    }

    fn watches(&self) -> &'static [&'static str] {
        &["genesis", "trade", "decision", "ruling", "task"]
    }

    /// An emergency statement keeps the rules; a guarded action is refused while a halt
    /// of its area is in force, whichever command or writer appends it.
    fn check_append(&self, draft: &Draft<'_>, ledger: &dyn Lookup) -> std::result::Result<(), Refusal> {
        let guarded = GUARDED
            .contains(&draft.kind)
            .then(|| area_of(draft.kind, draft.content))
            .flatten();
        if draft.kind != KIND_EMERGENCY && guarded.is_none() {
            return Ok(());
        }
        let (origin, mut st) = state_of(ledger).map_err(super::EmergencyError::Malformed)?;
        if let Some(area) = guarded {
            if let Some(h) = st.halt_covering(area) {
                return Err(Box::new(super::EmergencyError::Halted {
                    area: area.as_str(),
                    halt: h.id.clone(),
                    reason: h.reason.clone(),
                }));
            }
            return Ok(());
        }
        let entry = Entry {
            v: 1,
            seq: draft.seq,
            id: String::new(),
            ts: String::new(),
            kind: KIND_EMERGENCY.into(),
            source: draft.source.into(),
            content: draft.content.clone(),
            refs: draft.refs.to_vec(),
            prev: [0; 32],
            signer: String::new(),
        };
        st.apply(&origin, &entry)
            .map_err(|why| Box::new(super::EmergencyError::Malformed(why)) as Refusal)
    }

    fn inspect(&self, entry: &Entry) -> std::result::Result<Option<Facts>, String> {
        let seen = match entry.kind.as_str() {
            KIND_GENESIS => Seen::Genesis(
                entry
                    .content
                    .get("origin")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            KIND_EMERGENCY => Seen::Statement(Box::new(entry.clone())),
            kind => match area_of(kind, &entry.content) {
                Some(area) => Seen::Action {
                    area,
                    id: entry.id.clone(),
                    ts: entry.ts.clone(),
                    window: entry
                        .content
                        .get(BREAK_GLASS_FIELD)
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                },
                None => return Ok(None),
            },
        };
        Ok(Some(Box::new(seen)))
    }

    fn checker(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(EmergencyChecker::default()))
    }

    fn shown(&self, kind: &str) -> Shown {
        if kind == KIND_EMERGENCY {
            Shown::Always
        } else {
            Shown::Never
        }
    }
}

#[derive(Default)]
struct EmergencyChecker {
    origin: String,
    state: State,
}

impl Checker for EmergencyChecker {
    fn check(&mut self, e: &mut Checked<'_>, known: &dyn Known) -> std::result::Result<(), String> {
        // Incremental verification does not see the roles and halts under the trusted
        // checkpoint: a full verify checks these rules (docs/FORMAT.md §15).
        if known.incremental() {
            return Ok(());
        }
        let Some(seen) = e.facts.take().and_then(|f| f.downcast::<Seen>().ok()) else {
            return Ok(());
        };
        match *seen {
            Seen::Genesis(origin) => self.origin = origin,
            Seen::Statement(entry) => self
                .state
                .apply(&self.origin, &entry)
                .map_err(|why| format!("emergency: {why}"))?,
            Seen::Action { area, id, ts, window } => self
                .state
                .act(area, &id, &ts, window.as_deref().map(|w| (w, guard_of(area))))
                .map_err(|why| format!("emergency: {why}"))?,
        }
        Ok(())
    }
}
