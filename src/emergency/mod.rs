//! Emergency powers, as `emergency` entries: the roles (emergency keys; a resume quorum of
//! k of n keys, k ≥ 2), a signed halt of an area, a k-of-n resume that lifts one halt,
//! and a break-glass window of at most 15 minutes in which named guards are bypassed,
//! every action under it naming it. Each statement is signed inside the entry's content
//! by the keys that hold the role at that point of the ledger, so `ledger verify` checks
//! every rule from the bytes alone (kinds.rs). Never prints, reads the environment or
//! exits.

mod kinds;
mod state;

pub use kinds::Emergency;
pub use state::{Roles, State, Window};

use crate::clock::Clock;
use crate::ledger::canon::to_canonical;
use crate::ledger::{Appended, Ledger, LedgerError, NewEntry, SystemEntry};
use crate::sign::{Signer, Signers, VerifierKey};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// Written by `echoctl emergency`.
pub const KIND_EMERGENCY: &str = "emergency";
/// The domain tag of every emergency statement's sign bytes.
pub const DOMAIN: &[u8] = b"echoctl/emergency/v1\n";
/// The longest break-glass window.
pub const MAX_MINUTES: u64 = 15;

/// An area a halt stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    All,
    Wealth,
    Bft,
    Court,
    Treasury,
}

impl Area {
    pub const NAMES: [&'static str; 5] = ["all", "wealth", "bft", "court", "treasury"];

    pub fn parse(s: &str) -> Option<Area> {
        Some(match s {
            "all" => Area::All,
            "wealth" => Area::Wealth,
            "bft" => Area::Bft,
            "court" => Area::Court,
            "treasury" => Area::Treasury,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        Area::NAMES[self as usize]
    }

    /// Whether a halt of `self` stops actions of `area`.
    pub fn covers(self, area: Area) -> bool {
        self == Area::All || self == area
    }
}

/// A guard a break-glass window may bypass.
pub const GUARDS: [&str; 1] = ["risk-limits"];

/// Why an emergency statement or action is refused.
#[derive(Debug, thiserror::Error)]
pub enum EmergencyError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("a reason is needed and may not be empty")]
    NoReason,
    #[error("unknown area {}; areas are all, wealth, bft, court and treasury", crate::text::quoted(.0))]
    Area(String),
    #[error("unknown guard {}; break-glass can open risk-limits", crate::text::quoted(.0))]
    Guard(String),
    #[error("a break-glass window lasts 1 to {MAX_MINUTES} minutes, not {0}")]
    Minutes(u64),
    #[error("no emergency roles are set in this ledger")]
    NoRoles,
    #[error("{0} does not hold the emergency role")]
    NotEmergencyKey(String),
    #[error("the resume quorum needs k of n keys with 2 <= k <= n, not {k} of {n}")]
    Quorum { k: usize, n: usize },
    #[error("{got} valid signatures of distinct resume-quorum keys, {need} needed")]
    TooFewSignatures { got: usize, need: usize },
    #[error("{0} is not in the resume quorum")]
    NotInQuorum(String),
    #[error("a signature by {0} does not verify")]
    BadSignature(String),
    #[error("no halt {0} is in force")]
    NoSuchHalt(String),
    #[error("no break-glass window {0} is open")]
    NoSuchWindow(String),
    #[error("{area} is halted since entry {halt}: {}", crate::text::quoted(.reason))]
    Halted {
        area: &'static str,
        halt: String,
        reason: String,
    },
    #[error("the clock is behind the ledger's newest entry: a window opened now would lie in the past")]
    ClockBehind,
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    Sign(#[from] crate::sign::SignError),
}

pub type Result<T, E = EmergencyError> = std::result::Result<T, E>;

/// The bytes a key signs for a statement: the domain tag, the ledger's origin and a
/// newline, then the canonical JSON of the entry's content without its signatures.
pub fn statement_bytes(origin: &str, statement: &Map<String, Value>) -> Vec<u8> {
    let mut unsigned = statement.clone();
    unsigned.remove("sig");
    unsigned.remove("signatures");
    unsigned.remove("approvals");
    let mut b = DOMAIN.to_vec();
    b.extend_from_slice(origin.as_bytes());
    b.push(b'\n');
    b.extend_from_slice(&to_canonical(&Value::Object(unsigned)));
    b
}

/// A `{"by": VKEY, "sig": B64}` signature of `statement` by `signer`.
pub fn sign(signer: &dyn Signer, origin: &str, statement: &Map<String, Value>) -> Result<Value> {
    let sig = signer.sign(&statement_bytes(origin, statement))?;
    Ok(json!({"by": signer.verifier().to_string(), "sig": B64.encode(sig)}))
}

/// The key of a `{"by","sig"}` object if its signature of `statement` verifies.
pub fn check_signature(origin: &str, statement: &Map<String, Value>, s: &Value) -> Result<VerifierKey> {
    let by = s.get("by").and_then(Value::as_str).unwrap_or_default();
    let key = VerifierKey::parse(by).map_err(|e| EmergencyError::Malformed(e.to_string()))?;
    let sig = s
        .get("sig")
        .and_then(Value::as_str)
        .and_then(|t| B64.decode(t).ok())
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or_else(|| EmergencyError::BadSignature(key.identity()))?;
    if !key.verify(&statement_bytes(origin, statement), &sig) {
        return Err(EmergencyError::BadSignature(key.identity()));
    }
    Ok(key)
}

fn reason(text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(EmergencyError::NoReason);
    }
    Ok(t.to_owned())
}

/// The emergency state of the ledger as it stands now.
pub fn state(ledger: &Ledger) -> Result<State> {
    let mut st = State::default();
    for e in ledger.entries_of_kind(KIND_EMERGENCY)? {
        st.apply(&ledger.genesis.origin, &e.entry)
            .map_err(EmergencyError::Malformed)?;
    }
    Ok(st)
}

/// Refuses when a halt covering `area` is in force.
pub fn check_not_halted(ledger: &Ledger, area: Area) -> Result<()> {
    match state(ledger)?.halt_covering(area) {
        Some(h) => Err(EmergencyError::Halted {
            area: area.as_str(),
            halt: h.id.clone(),
            reason: h.reason.clone(),
        }),
        None => Ok(()),
    }
}

/// Refuses unless window `id` is open now (by the clock and the ledger's own time) and
/// opens `guard`.
pub fn check_window(ledger: &Ledger, id: &str, guard: &str, now_ms: i64) -> Result<()> {
    let st = state(ledger)?;
    match st.open_window(id, now_ms.max(newest_entry_ms(ledger)?)) {
        Some(w) if w.guards.iter().any(|g| g == guard) => Ok(()),
        Some(_) => Err(EmergencyError::Guard(guard.into())),
        None => Err(EmergencyError::NoSuchWindow(id.into())),
    }
}

/// The time of the ledger's newest entry: a window is never open before it, so a clock
/// moved backwards does not reopen one.
fn newest_entry_ms(ledger: &Ledger) -> Result<i64> {
    let size = ledger.size()?;
    let newest = match size.checked_sub(1) {
        Some(seq) => ledger.entry_by_seq(seq)?,
        None => None,
    };
    Ok(newest
        .and_then(|e| crate::clock::parse_entry_ts(&e.entry.ts))
        .unwrap_or(i64::MIN))
}

fn write(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    content: Map<String, Value>,
) -> Result<Appended> {
    let entry = NewEntry {
        kind: KIND_EMERGENCY.into(),
        source: source.into(),
        content,
        refs: Vec::new(),
    };
    Ok(ledger.append_system(signers, clock, source, vec![SystemEntry::Entry(entry)])?)
}

/// The statement that sets roles: emergency keys and the resume quorum.
pub fn roles_statement(
    emergency: &[VerifierKey],
    resume: &[VerifierKey],
    k: usize,
) -> Result<Map<String, Value>> {
    if k < 2 || k > resume.len() {
        return Err(EmergencyError::Quorum { k, n: resume.len() });
    }
    if emergency.is_empty() {
        return Err(EmergencyError::Malformed(
            "at least one emergency key is needed".into(),
        ));
    }
    let keys = |ks: &[VerifierKey]| Value::Array(ks.iter().map(|k| Value::String(k.to_string())).collect());
    let mut m = Map::new();
    m.insert("action".into(), "roles".into());
    m.insert("emergency".into(), keys(emergency));
    m.insert("resume".into(), keys(resume));
    m.insert("resume_quorum".into(), (k as u64).into());
    Ok(m)
}

/// The entry that sets the first roles, for `init` to write with the genesis entry.
pub fn roles_entry(source: &str, statement: Map<String, Value>) -> NewEntry {
    NewEntry {
        kind: KIND_EMERGENCY.into(),
        source: source.into(),
        content: statement,
        refs: Vec::new(),
    }
}

/// Sets the roles; once roles exist, `approvals` must hold k signatures of the current
/// resume quorum over the same statement.
pub fn set_roles(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    mut statement: Map<String, Value>,
    approvals: Vec<Value>,
) -> Result<Appended> {
    let origin = ledger.genesis.origin.clone();
    let current = state(ledger)?;
    if let Some(roles) = &current.roles {
        roles.check_quorum(&origin, &statement, &approvals)?;
    }
    if !approvals.is_empty() {
        statement.insert("approvals".into(), Value::Array(approvals));
    }
    write(ledger, signers, clock, source, statement)
}

/// Halts `area`, signed by `key`, which must hold the emergency role.
pub fn halt(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    key: &dyn Signer,
    area: Area,
    why: &str,
) -> Result<Appended> {
    let origin = ledger.genesis.origin.clone();
    let roles = state(ledger)?.roles.ok_or(EmergencyError::NoRoles)?;
    roles.check_emergency_key(&key.verifier())?;
    let mut m = Map::new();
    m.insert("action".into(), "halt".into());
    m.insert("area".into(), area.as_str().into());
    m.insert("reason".into(), reason(why)?.into());
    let s = sign(key, &origin, &m)?;
    m.insert("sig".into(), s);
    write(ledger, signers, clock, source, m)
}

/// The statement a resume-quorum key signs to lift halt `halt`.
pub fn resume_statement(halt: &str, why: &str) -> Result<Map<String, Value>> {
    let mut m = Map::new();
    m.insert("action".into(), "resume".into());
    m.insert("halt".into(), halt.into());
    m.insert("reason".into(), reason(why)?.into());
    Ok(m)
}

/// Lifts a halt in force with k signatures of the resume quorum, collected offline.
pub fn resume(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    mut statement: Map<String, Value>,
    signatures: Vec<Value>,
) -> Result<Appended> {
    let origin = ledger.genesis.origin.clone();
    let st = state(ledger)?;
    let roles = st.roles.as_ref().ok_or(EmergencyError::NoRoles)?;
    let halt = statement
        .get("halt")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if !st.halts.iter().any(|h| h.id == halt) {
        return Err(EmergencyError::NoSuchHalt(halt));
    }
    roles.check_quorum(&origin, &statement, &signatures)?;
    statement.insert("signatures".into(), Value::Array(signatures));
    write(ledger, signers, clock, source, statement)
}

/// Opens a break-glass window over `guards` for `minutes`, signed by an emergency key.
#[allow(clippy::too_many_arguments)]
pub fn break_glass(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    key: &dyn Signer,
    guards: &[String],
    minutes: u64,
    why: &str,
) -> Result<Appended> {
    if minutes == 0 || minutes > MAX_MINUTES {
        return Err(EmergencyError::Minutes(minutes));
    }
    if guards.is_empty() {
        return Err(EmergencyError::Guard(String::new()));
    }
    if let Some(g) = guards.iter().find(|g| !GUARDS.contains(&g.as_str())) {
        return Err(EmergencyError::Guard(g.clone()));
    }
    if clock.now < newest_entry_ms(ledger)? {
        return Err(EmergencyError::ClockBehind);
    }
    let origin = ledger.genesis.origin.clone();
    let roles = state(ledger)?.roles.ok_or(EmergencyError::NoRoles)?;
    roles.check_emergency_key(&key.verifier())?;
    let mut m = Map::new();
    m.insert("action".into(), "break-glass".into());
    m.insert(
        "guards".into(),
        Value::Array(guards.iter().cloned().map(Value::String).collect()),
    );
    m.insert("minutes".into(), minutes.into());
    m.insert("reason".into(), reason(why)?.into());
    let s = sign(key, &origin, &m)?;
    m.insert("sig".into(), s);
    write(ledger, signers, clock, source, m)
}

/// Closes an open window early, signed by an emergency key.
#[allow(clippy::too_many_arguments)]
pub fn close(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    key: &dyn Signer,
    window: &str,
    why: &str,
) -> Result<Appended> {
    let origin = ledger.genesis.origin.clone();
    let st = state(ledger)?;
    let roles = st.roles.as_ref().ok_or(EmergencyError::NoRoles)?;
    roles.check_emergency_key(&key.verifier())?;
    if st
        .open_window(window, clock.now.max(newest_entry_ms(ledger)?))
        .is_none()
    {
        return Err(EmergencyError::NoSuchWindow(window.into()));
    }
    let mut m = Map::new();
    m.insert("action".into(), "close".into());
    m.insert("window".into(), window.into());
    m.insert("reason".into(), reason(why)?.into());
    let s = sign(key, &origin, &m)?;
    m.insert("sig".into(), s);
    write(ledger, signers, clock, source, m)
}
