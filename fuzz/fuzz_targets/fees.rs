//! Fee schedules (TOML), and their JSON form as recorded in trade entries.
#![no_main]
use echoctl::wealth::fees::FeeSchedule;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(f) = FeeSchedule::from_toml(text) {
        let again = FeeSchedule::from_json(&f.to_json()).expect("a schedule's JSON reads back");
        assert_eq!(again.to_json(), f.to_json());
    }
    if let Ok(v) = serde_json::from_str(text) {
        let _ = FeeSchedule::from_json(&v);
    }
});
