//! Consistency proofs (echoctl/consistency-proof@v1): parsing and verification.
#![no_main]
use echoctl::ledger::proof::ConsistencyProof;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = ConsistencyProof::parse(text) {
        let _ = p.verify(&|_| Ok(()));
        assert!(p.verify(&|_| Err("trusts nothing".into())).is_err());
    }
});
