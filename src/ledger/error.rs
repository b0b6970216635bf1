//! The ledger's errors, typed. Messages say what is wrong with the ledger or the input in
//! the ledger's own terms; the CLI maps each variant to an exit status and words the
//! hint (which command or flag helps), so no message here names one.

use super::amend::AmendError;
use super::keys::KeyRuleError;
use super::store::StoreError;
use crate::sign::SignError;

/// A feature's reason for refusing an entry of its kind (the CLI may look inside it).
pub type Refusal = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a malformed input was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Document {
    Checkpoint,
    Cosignature,
    Receipt,
    ConsistencyProof,
    Bundle,
    Policy,
    WitnessState,
    VerifierState,
    Content,
}

impl Document {
    pub fn as_str(self) -> &'static str {
        match self {
            Document::Checkpoint => "checkpoint",
            Document::Cosignature => "cosignature",
            Document::Receipt => "receipt",
            Document::ConsistencyProof => "consistency proof",
            Document::Bundle => "bundle",
            Document::Policy => "policy",
            Document::WitnessState => "witness state",
            Document::VerifierState => "verifier state",
            Document::Content => "content",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Stored data that no correct writer produces.
    #[error("the ledger is damaged: {0}")]
    Damaged(String),
    #[error("invalid origin {}: no spaces or '+' allowed", crate::text::quoted(.0))]
    Origin(String),
    #[error("the key is named {} but the ledger origin is {}", crate::text::quoted(.key), crate::text::quoted(.origin))]
    KeyName { key: String, origin: String },
    /// `owner` is the feature whose commands write the kind, if one does.
    #[error("unknown kind {}", crate::text::quoted(.kind))]
    UnknownKind {
        kind: String,
        owner: Option<&'static str>,
    },
    #[error("the source must be 1 to 1024 bytes")]
    Source,
    #[error("ref {0} is given twice")]
    DuplicateRef(String),
    #[error("entry {id} not found in {}", place(.path))]
    NotFound { id: String, path: Option<String> },
    #[error("the entry would be {0} bytes, above the limit of 65,535 bytes")]
    TooLarge(usize),
    #[error("nothing to append: no entries were given")]
    Empty,
    #[error("invalid constraint rule: {0}")]
    Constraint(String),
    #[error(transparent)]
    Amendment(#[from] AmendError),
    #[error(transparent)]
    KeyRule(#[from] KeyRuleError),
    #[error("key {key} was revoked at seq {at} and may no longer sign this ledger")]
    Revoked { key: String, at: u64 },
    #[error("key {0} is not a signing key of this ledger")]
    NotASigner(String),
    /// A feature's append-time check refused an entry of `kind`.
    #[error("{reason}")]
    Refused { kind: String, reason: Refusal },
    #[error("entry {id} is a {kind}, which orders no amendments")]
    NoOrder { id: String, kind: String },
    /// A key a feature's entries take once (a decided subject) is taken already.
    #[error("{feature} {} is already recorded, at seq {by}", crate::text::quoted(.key))]
    Claimed {
        feature: &'static str,
        key: String,
        by: u64,
    },
    #[error("there is no checkpoint of size {size}")]
    NoCheckpoint { size: u64, nearest: Vec<u64> },
    #[error("the ledger has no checkpoint")]
    NoCheckpoints,
    #[error("entry {seq} is not covered by the checkpoint of size {size}")]
    NotCovered { seq: u64, size: u64 },
    #[error("leaf {index} is not in a tree of size {size}")]
    NotInTree { index: u64, size: u64 },
    #[error("malformed {}: {why}", .what.as_str())]
    Malformed { what: Document, why: String },
    /// Input that is well formed but does not fit this ledger (another origin, sizes in
    /// the wrong order, a witness state of another log).
    #[error("{0}")]
    Mismatch(String),
    /// A negative result: a proof, bundle or checkpoint that does not verify.
    #[error("{0}")]
    Invalid(String),
    /// A copy's destination that is not a prefix of its source.
    #[error(transparent)]
    Diverged(#[from] super::copy::Diverged),
    /// The Reader Edition of a ledger that fails verification.
    #[error("the ledger fails verification: {0}")]
    Unverified(String),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("cannot {what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("a worker thread stopped unexpectedly")]
    Worker,
    #[error(transparent)]
    Random(#[from] crate::clock::RandomError),
}

fn place(path: &Option<String>) -> String {
    path.clone().unwrap_or_else(|| "the ledger".into())
}

impl LedgerError {
    pub(crate) fn damaged(why: impl Into<String>) -> Self {
        LedgerError::Damaged(why.into())
    }

    pub(crate) fn malformed(what: Document, why: impl Into<String>) -> Self {
        LedgerError::Malformed {
            what,
            why: why.into(),
        }
    }

    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| LedgerError::Io { what, source }
    }

    /// Whether the file's bytes themselves are damaged (verify reports a failure).
    pub fn is_corruption(&self) -> bool {
        matches!(self, LedgerError::Store(e) if e.is_corruption())
    }
}

pub type Result<T, E = LedgerError> = std::result::Result<T, E>;
