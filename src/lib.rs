//! Echo: an operator toolkit around a tamper-evident, append-only ledger in one SQLite
//! file.
//!
//! Data flows one way: `cli` parses arguments, resolves settings (flag > `ECHOCTL_*`
//! environment > default), calls the domain and renders its values (tables or `--json`),
//! mapping errors to exit codes. The domain (`ledger`, `sign`) never prints, reads the
//! environment or exits; it returns values and typed errors. `ledger::Ledger` is the only
//! writer of entries: one SQLite transaction per command, holding its entries and one new
//! signed checkpoint. Formats are open standards (RFC 8785, RFC 9162, C2SP checkpoints and
//! signed notes), documented in docs/FORMAT.md. `serve` is a second front end beside the
//! CLI: the ledger over HTTP, on the same read-only view.
#![forbid(unsafe_code)]

pub mod bft;
pub mod cli;
pub mod clock;
pub mod court;
pub mod emergency;
pub mod features;
pub mod ledger;
pub mod serve;
pub mod sign;
pub mod telemetry;
pub mod text;
pub mod treasury;
pub mod watchtower;
pub mod wealth;
pub mod witness;
