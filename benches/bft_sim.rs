//! The consensus simulation at scale (never run by CI; the tests run a few thousand):
//!
//!   cargo run --release --example bench_bft_sim -- [SCHEDULES]
//!
//! SCHEDULES seeded runs (default 100,000) of 4 validators with one Byzantine, random
//! delays and messages held back until a random GST. Checks agreement, validity and no
//! honest equivocation in every run and liveness where every honest validator supports
//! the value; prints schedules per second and how many rounds decisions took.

use echoctl::bft::consensus::{Timeouts, ValueId};
use echoctl::bft::sim::{run, Rng, SimConfig};
use std::time::Instant;

fn main() {
    let schedules: u64 = std::env::args()
        .nth(1)
        .map_or(100_000, |a| a.parse().expect("SCHEDULES"));
    let a: ValueId = [0xaa; 32];
    let t = Instant::now();
    let mut rounds = vec![0u64; 64];
    let mut evidence = 0usize;
    for seed in 0..schedules {
        let mut rng = Rng::new(seed.wrapping_mul(0x9e37_79b9) ^ 0xbe7c);
        let byz = rng.below(4) as usize;
        let cfg = SimConfig {
            n: 4,
            byzantine: vec![byz],
            judgements: vec![vec![a]; 4],
            loss_permille: rng.below(400) as u32,
            max_delay_ms: 1 + rng.below(150),
            gst_ms: rng.below(4_000),
            horizon_ms: 600_000,
            timeouts: Timeouts {
                base_ms: 100,
                delta_ms: 50,
            },
        };
        let out = run(seed, &cfg);
        assert!(
            out.honest_equivocations.is_empty(),
            "seed {seed}: honest equivocation"
        );
        evidence += out.evidence;
        for i in (0..4).filter(|&i| i != byz) {
            let (v, r, cert, _) = out.decisions[i]
                .as_ref()
                .unwrap_or_else(|| panic!("seed {seed}: undecided"));
            assert_eq!(*v, a, "seed {seed}: agreement/validity");
            assert!(cert.len() >= 3);
            rounds[(*r as usize).min(63)] += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{schedules} schedules in {secs:.1} s ({:.0}/s): agreement, validity, no honest equivocation, all decided",
        schedules as f64 / secs
    );
    println!("evidence records collected against the Byzantine validator: {evidence}");
    let total: u64 = rounds.iter().sum();
    let mut acc = 0;
    for (r, c) in rounds.iter().enumerate().filter(|(_, c)| **c > 0) {
        acc += c;
        println!(
            "decided in round {r:>2}: {c:>7} ({:.1}% cumulative)",
            100.0 * acc as f64 / total as f64
        );
    }
}
