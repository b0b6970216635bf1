//! The features this build carries, as one registry of kinds: the ledger's own and each
//! feature's (court, treasury, watchtower, wealth, emergency, bft). Every front end (the
//! CLI, `serve`, the benchmarks) opens ledgers with it; the ledger itself names none.

use crate::ledger::kinds::Kinds;
use std::sync::Arc;

/// Every kind the ledger accepts: its own, and each feature's.
pub fn registry() -> Arc<Kinds> {
    registry_with(crate::bft::Bft::default())
}

/// The registry, with a BFT feature of the caller's (a validator shares what it vouches for).
pub fn registry_with(bft: crate::bft::Bft) -> Arc<Kinds> {
    Arc::new(
        Kinds::ledger()
            .with(crate::court::Court)
            .with(crate::treasury::Treasury)
            .with(crate::watchtower::Watchtower)
            .with(crate::wealth::Wealth)
            .with(crate::emergency::Emergency)
            .with(bft),
    )
}
