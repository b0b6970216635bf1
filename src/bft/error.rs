//! The BFT domain's errors: validators files, peers and clients, and the ledger under a
//! validator. Messages name addresses and files; the CLI words the hints.

use crate::ledger::LedgerError;
use crate::sign::SignError;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BftError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("cannot read validators file {}: {source}", .path.display())]
    ReadValidators { path: PathBuf, source: std::io::Error },
    /// A validators file (or a proposed set) that is not a valid validator set.
    #[error("{}{why}", .path.as_ref().map(|p| format!("validators file {}: ", p.display())).unwrap_or_default())]
    Validators { path: Option<PathBuf>, why: String },
    #[error("invalid subject: {0}")]
    Subject(String),
    #[error("the signing key is not validator {}'s key in the validators file", crate::text::quoted(.0))]
    NotMyKey(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("this ledger's decisions were made by another validator set, and no decision in it approves {cluster} epoch {epoch}")]
    SetHistory { cluster: String, epoch: u64 },
    #[error("cannot reach {addr}: {source}")]
    Unreachable {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{addr}: {why}")]
    Protocol { addr: SocketAddr, why: String },
    #[error("{0} closed the connection without answering")]
    NoAnswer(SocketAddr),
    #[error("{addr} refused the request: {message}")]
    Refused { addr: SocketAddr, message: String },
    #[error("only {reachable} of {n} validators are reachable, a quorum is {quorum} ({detail})")]
    NoQuorum {
        reachable: usize,
        n: usize,
        quorum: usize,
        detail: String,
    },
}

impl BftError {
    pub(crate) fn validators(why: impl Into<String>) -> Self {
        BftError::Validators {
            path: None,
            why: why.into(),
        }
    }
}

pub type Result<T, E = BftError> = std::result::Result<T, E>;
