//! Validators files (TOML) and validator-set change proposals.
#![no_main]
use echoctl::bft::validators::ValidatorSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(set) = ValidatorSet::parse(text) {
        assert!(set.validators.len() >= 4);
        // A set proposed as content parses back to the same hash.
        let content = echoctl::bft::set_change_content(&set);
        if let Some(Ok(again)) = echoctl::bft::proposed_set(&content) {
            assert_eq!(again.hash, set.hash);
        }
    }
    if let Ok(serde_json::Value::Object(content)) = serde_json::from_str(text) {
        let _ = echoctl::bft::proposed_set(&content);
        let _ = echoctl::bft::check_decision_entry(&content);
    }
});
