//! Canonical JSON: strict parsing, RFC 8785 serialisation, and entry decoding. Whatever
//! the bytes: no panic; text the strict parser accepts re-serialises to bytes it accepts
//! again, to the same value; an entry accepted as canonical is byte-for-byte its own
//! canonical form.
#![no_main]
use echoctl::ledger::canon;
use echoctl::ledger::entry::Entry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(v) = canon::parse_strict(text) {
            let bytes = canon::to_canonical(&v);
            let again = std::str::from_utf8(&bytes).expect("canonical JSON is UTF-8");
            let back = canon::parse_strict(again).expect("canonical output parses strictly");
            assert_eq!(canon::to_canonical(&back), bytes, "canonical form is a fixed point");
        }
    }
    if let Ok(e) = Entry::parse_canonical(data) {
        assert_eq!(e.to_canonical(), data, "an accepted entry is its own canonical form");
    }
});
