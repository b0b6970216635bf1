//! The wealth engine's errors. Exchange failures carry the venue's own words; refusals by
//! the risk limits are negative results, not errors of the environment. The CLI words the
//! hints.

use crate::ledger::LedgerError;

#[derive(Debug, thiserror::Error)]
pub enum WealthError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("unknown venue {}", crate::text::quoted(.0))]
    Venue(String),
    /// A fees file that is not one.
    #[error("fees: {0}")]
    Fees(String),
    #[error("fees: unknown key {0}")]
    FeeKey(String),
    /// A snapshot bundle that is not one.
    #[error("snapshot: {0}")]
    Snapshot(String),
    /// A snapshot bundle whose bodies no longer match their hashes.
    #[error("snapshot: {0}")]
    Altered(String),
    #[error("cannot start the HTTP client: {0}")]
    HttpClient(String),
    /// Unreachable, timing out, a body cut short: the network.
    #[error("{0}")]
    Network(String),
    /// 429, 418, or Binance's request weight.
    #[error("{0}")]
    RateLimited(String),
    /// The venue answered with an error (its words), or with something that is not what
    /// its API documents.
    #[error("{0}")]
    Exchange(String),
    #[error("{0} lists no market for the selected symbols or assets")]
    NoMarkets(String),
    #[error("the kill switch is latched ({0}); no trade was made")]
    KillSwitch(String),
    #[error("the size must be more than zero")]
    ZeroSize,
    /// A risk limit refused the trade.
    #[error("{0}")]
    Risk(String),
    #[error("a reset needs a reason")]
    NoReason,
    #[error("the kill switch is not latched; nothing to reset")]
    NotLatched,
    #[error("a worker thread stopped unexpectedly")]
    Worker,
}

pub type Result<T, E = WealthError> = std::result::Result<T, E>;
