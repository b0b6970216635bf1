//! C2SP signed notes holding checkpoints: parsing, re-encoding and signature checks.
#![no_main]
use echoctl::ledger::checkpoint::Checkpoint;
use echoctl::sign::VerifierKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(cp) = Checkpoint::parse(text) {
        // The body round-trips, and checking signatures never panics.
        let reparsed = Checkpoint::parse(&cp.to_note()).expect("a parsed note re-encodes");
        assert_eq!(reparsed.body(), cp.body());
        let key = VerifierKey::parse(
            "test.example/ledger+992254b8+Ad+xxM6Z2o5JtsFXGNZhvdLwsVljhIySjPBpFL7Ne28Qc",
        )
        .expect("a valid verifier key");
        let _ = cp.valid_signers(&[key]);
        let _ = echoctl::ledger::witness::valid_cosigners(&cp, &[]);
    }
});
