//! BFT wire frames (docs/PROTOCOL.md §1–§3): a stream of frames read as a validator reads
//! its connections, each parsed as the typed frames and answers, and the votes and
//! certificates in them checked for their ranges.
#![no_main]
use echoctl::bft::frames::{Frame, Reply};
use echoctl::bft::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    for _ in 0..64 {
        let Ok(Some(bytes)) = wire::read_bytes(&mut input) else { break };
        match Frame::parse(&bytes) {
            Ok(Frame::Vote(v)) => {
                if let Ok((vote, body)) = v.vote() {
                    assert!(vote.round <= echoctl::bft::frames::MAX_ROUND);
                    assert!(body.is_some() == matches!(vote.kind, echoctl::bft::consensus::Kind::Proposal { .. }));
                }
            }
            Ok(Frame::Certificate(c)) => {
                let _ = c.certificate();
            }
            Ok(Frame::Submit(s)) => {
                let _ = s.submission();
            }
            Ok(f) => {
                // What parses re-encodes, and parses back the same.
                let again = serde_json::to_vec(&f).expect("a frame encodes");
                assert_eq!(Frame::parse(&again).expect("an encoded frame parses"), f);
            }
            Err(_) => {}
        }
        let _ = Reply::parse(&bytes);
    }
});
