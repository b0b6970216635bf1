//! Export bundles: the streaming verifier on arbitrary bytes, with and without a pinned
//! key. No panic, no allocation by declared sizes (libFuzzer's -rss_limit_mb catches it).
#![no_main]
use echoctl::ledger::bundle;
use echoctl::ledger::verify::Anchors;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let kinds = echoctl::cli::registry();
    let _ = bundle::verify(data, &kinds, &Anchors::default(), &mut |_, _| {});
});
