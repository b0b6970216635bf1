//! The one integration-test binary: runs the real `echoctl` in temporary directories.

mod harness;

mod architecture;
mod audit;
mod bad_input;
mod bft;
mod bft_net;
mod concurrency;
mod conformance;
mod emergency;
mod exchange_server;
mod generate;
mod governance;
mod hostile;
mod hostile_peer;
mod issue16;
mod keys;
mod ledger;
mod liveness;
mod netns;
mod openapi;
mod pg;
mod pg_faults;
mod pg_support;
mod proofs;
mod properties;
pub mod reader;
mod serve;
mod serve_append;
mod settings;
mod tamper;
mod tiles;
mod untrusted_input;
pub mod wealth;
mod web;
mod witness_http;
mod writer;
