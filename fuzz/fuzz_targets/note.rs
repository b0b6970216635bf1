//! C2SP signed notes holding checkpoints: parsing, re-encoding and signature checks.
#![no_main]
use echoctl::ledger::checkpoint::Checkpoint;
use echoctl::sign::VerifierKey;
use libfuzzer_sys::fuzz_target;

const SEED_KEY: &str = "fuzz.example/ledger+c8911785+AXaefM9HJ9PdPIjm6PzQs94a2MaEdaYxALjyjUfroRwb";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(cp) = Checkpoint::parse(text) {
        // The body round-trips, and checking signatures never panics.
        let reparsed = Checkpoint::parse(&cp.to_note()).expect("a parsed note re-encodes");
        assert_eq!(reparsed.body(), cp.body());
        // The key that signed the seed corpus (seed.sh pins ECHOCTL_SEED), so that mutated
        // notes reach the signature check itself, not only the key lookup.
        let key = VerifierKey::parse(SEED_KEY).expect("a valid verifier key");
        let _ = cp.valid_signers(&[key]);
        let _ = echoctl::ledger::witness::valid_cosigners(&cp, &[]);
    }
});
