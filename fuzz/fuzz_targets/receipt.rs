//! Receipts (c2sp.org/tlog-proof@v1): parsing and offline verification never panic, and
//! nothing unverified passes a verifier that trusts no key.
#![no_main]
use echoctl::ledger::proof::Receipt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(r) = Receipt::parse(text) {
        let kinds = echoctl::cli::registry();
        let _ = r.verify(&kinds, &|_| Ok(()));
        assert!(r.verify(&kinds, &|_| Err("trusts nothing".into())).is_err());
        let _ = r.encode();
    }
});
