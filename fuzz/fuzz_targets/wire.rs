//! BFT wire frames (docs/PROTOCOL.md §1–§2): a stream of frames read as a validator reads
//! its connections, each parsed as votes and certificates are.
#![no_main]
use echoctl::bft::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    for _ in 0..64 {
        match wire::read_frame(&mut input) {
            Ok(Some(frame)) => {
                let _ = wire::parse_vote(&frame);
                let _ = wire::parse_certificate(&frame);
            }
            _ => break,
        }
    }
});
