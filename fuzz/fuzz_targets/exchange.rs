//! Exchange responses: market lists, order books and error bodies of each venue, and
//! snapshot bundles. The first byte picks the venue.
#![no_main]
use echoctl::wealth::exchange::{self, snapshot::Snapshot};
use echoctl::wealth::book::Market;
use echoctl::wealth::Venue;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let _ = Snapshot::from_bytes(rest);
    let Ok(body) = std::str::from_utf8(rest) else { return };
    let venue = Venue::ALL[pick as usize % 3];
    let _ = exchange::exchange_error(venue, body);
    if let Ok(markets) = exchange::parse_markets(venue, body) {
        for m in markets.iter().take(4) {
            let _ = exchange::parse_book(m, body);
        }
    }
    // Books for the markets of our recorded fixture, whatever the body.
    for m in &fixture_markets()[pick as usize % 3] {
        let _ = exchange::parse_book(m, body);
    }
});

/// The markets of the repository's recorded fixture, per venue (in `Venue::ALL` order).
fn fixture_markets() -> &'static [Vec<Market>] {
    static MARKETS: std::sync::OnceLock<Vec<Vec<Market>>> = std::sync::OnceLock::new();
    MARKETS.get_or_init(|| {
        let all: serde_json::Value =
            serde_json::from_str(include_str!("../../fixtures/wealth/exchanges.json")).expect("the fixture");
        Venue::ALL
            .iter()
            .map(|&v| {
                let body = all[v.as_str()][exchange::markets_path(v)].as_str().unwrap_or("");
                exchange::parse_markets(v, body).expect("the fixture's markets parse")
            })
            .collect()
    })
}
