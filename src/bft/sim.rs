//! A deterministic simulation of the consensus state machine (no I/O, no threads): n
//! validators, some Byzantine, over a network that delays, reorders and (before the global
//! stabilisation time, GST) holds messages back, driven by one seed. Tests run thousands
//! of seeds and check agreement, validity and that no honest validator equivocates;
//! `benches/bft_sim.rs` runs more.
//!
//! The network is the partial-synchrony model Tendermint assumes: before GST a message may
//! be held back arbitrarily ("lost" until GST, as a node re-sends its stored votes when a
//! peer reconnects), after GST it arrives within `max_delay_ms`. Byzantine validators send
//! random proposals and votes for random values and rounds, different ones to different
//! peers (equivocation), and replay what they saw. A validator that decides forwards its
//! certificate (the signed precommits) to the others, as a node does.

use super::consensus::{Action, Instance, Kind, Message, Step, Timeouts, ValueId};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// One simulated run.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub n: usize,
    pub byzantine: Vec<usize>,
    /// For each validator, the values it supports (ignored for Byzantine ones).
    pub judgements: Vec<Vec<ValueId>>,
    /// Per-mille of messages held back until GST.
    pub loss_permille: u32,
    pub max_delay_ms: u64,
    pub gst_ms: u64,
    /// Simulated time at which the run stops.
    pub horizon_ms: u64,
    pub timeouts: Timeouts,
}

/// A validator's decision: the value, its round, its certificate's signers, and when.
pub type SimDecision = (ValueId, u64, Vec<usize>, u64);

/// What happened.
#[derive(Clone, Debug, Default)]
pub struct SimOutcome {
    /// Per validator: the decided value, its round, its certificate, and when.
    pub decisions: Vec<Option<SimDecision>>,
    /// Honest validators that signed two different messages of one kind in one round.
    pub honest_equivocations: Vec<(usize, u64, Step)>,
    /// Evidence the honest validators collected against others.
    pub evidence: usize,
    pub messages: u64,
    pub max_round: u64,
    /// Each validator's round and step at the end, for diagnostics.
    pub final_states: Vec<String>,
}

/// splitmix64: a small, good, deterministic generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}

enum Event {
    Deliver {
        to: usize,
        msg: Message,
    },
    Timeout {
        node: usize,
        step: Step,
        round: u64,
    },
    /// A decision certificate forwarded by a validator that decided.
    Certificate {
        to: usize,
        value: ValueId,
        round: u64,
        signers: Vec<usize>,
    },
    /// A Byzantine validator's turn to misbehave.
    Mischief {
        node: usize,
    },
}

/// Runs one schedule.
pub fn run(seed: u64, cfg: &SimConfig) -> SimOutcome {
    let mut rng = Rng::new(seed);
    let offset = rng.below(cfg.n as u64) as usize;
    let mut nodes: Vec<Instance> = (0..cfg.n)
        .map(|i| Instance::new(cfg.n, i, offset, cfg.timeouts))
        .collect();
    let honest = |i: usize| !cfg.byzantine.contains(&i);
    let mut queue: BinaryHeap<Reverse<(u64, u64, usize)>> = BinaryHeap::new();
    let mut events: HashMap<usize, Event> = HashMap::new();
    let mut next_id = 0usize;
    let mut order = 0u64;
    let mut push = |queue: &mut BinaryHeap<Reverse<(u64, u64, usize)>>,
                    events: &mut HashMap<usize, Event>,
                    at: u64,
                    e: Event| {
        events.insert(next_id, e);
        order += 1;
        queue.push(Reverse((at, order, next_id)));
        next_id += 1;
    };
    let mut out = SimOutcome {
        decisions: vec![None; cfg.n],
        ..Default::default()
    };
    // What each honest validator signed, to catch equivocation.
    let mut signed: HashMap<(usize, u64, Step), Kind> = HashMap::new();
    // Everything sent so far, for Byzantine replays.
    let mut seen: Vec<Message> = Vec::new();
    let values: Vec<ValueId> = {
        let mut v: Vec<ValueId> = cfg.judgements.iter().flatten().copied().collect();
        v.push([0xbb; 32]);
        v.sort();
        v.dedup();
        v
    };

    let delay = |rng: &mut Rng, now: u64| -> u64 {
        let held = now < cfg.gst_ms && rng.below(1000) < cfg.loss_permille as u64;
        let base = if held { cfg.gst_ms } else { now };
        base + 1 + rng.below(cfg.max_delay_ms.max(1))
    };

    // Start: judgements first (the node's policy ran when the proposal arrived), then round 0.
    let mut pending: Vec<(usize, Vec<Action>)> = Vec::new();
    for (i, node) in nodes.iter_mut().enumerate() {
        if honest(i) {
            for v in cfg.judgements.get(i).into_iter().flatten() {
                node.support(*v);
            }
            pending.push((i, node.start()));
        } else {
            push(
                &mut queue,
                &mut events,
                rng.below(50),
                Event::Mischief { node: i },
            );
        }
    }
    let mut now = 0u64;
    loop {
        for (i, actions) in pending.drain(..) {
            for a in actions {
                match a {
                    Action::Broadcast(m) => {
                        let step = m.kind.step();
                        match signed.get(&(i, m.round, step)) {
                            Some(k) if *k != m.kind => out.honest_equivocations.push((i, m.round, step)),
                            Some(_) => {}
                            None => {
                                signed.insert((i, m.round, step), m.kind.clone());
                            }
                        }
                        out.max_round = out.max_round.max(m.round);
                        seen.push(m.clone());
                        // A proposal for a value from an earlier round travels with the
                        // prevotes that justify it (forwarded, signed by their senders).
                        if let Kind::Proposal {
                            value,
                            valid_round: Some(vr),
                        } = m.kind
                        {
                            for j in nodes[i].justification(vr, value) {
                                for to in (0..cfg.n).filter(|&t| t != i) {
                                    let at = delay(&mut rng, now);
                                    out.messages += 1;
                                    push(&mut queue, &mut events, at, Event::Deliver { to, msg: j.clone() });
                                }
                            }
                        }
                        for to in 0..cfg.n {
                            let at = if to == i { now } else { delay(&mut rng, now) };
                            out.messages += 1;
                            push(&mut queue, &mut events, at, Event::Deliver { to, msg: m.clone() });
                        }
                    }
                    Action::Timeout {
                        step,
                        round,
                        after_ms,
                    } => {
                        push(
                            &mut queue,
                            &mut events,
                            now + after_ms,
                            Event::Timeout { node: i, step, round },
                        );
                    }
                    Action::Decide {
                        value,
                        round,
                        certificate,
                    } => {
                        // A node that decided forwards the certificate (the signed
                        // precommits) so that validators still in later rounds adopt it.
                        for to in (0..cfg.n).filter(|&t| t != i) {
                            let at = delay(&mut rng, now);
                            out.messages += 1;
                            let cert = Event::Certificate {
                                to,
                                value,
                                round,
                                signers: certificate.clone(),
                            };
                            push(&mut queue, &mut events, at, cert);
                        }
                        out.decisions[i] = Some((value, round, certificate, now));
                    }
                }
            }
        }
        let Some(Reverse((at, _, id))) = queue.pop() else {
            break;
        };
        if at > cfg.horizon_ms {
            break;
        }
        now = at;
        let Some(event) = events.remove(&id) else { continue };
        match event {
            Event::Deliver { to, msg } => {
                if honest(to) {
                    let actions = nodes[to].on_message(msg);
                    pending.push((to, actions));
                }
            }
            Event::Certificate {
                to,
                value,
                round,
                signers,
            } => {
                if honest(to) {
                    let actions = nodes[to].adopt_certificate(value, round, &signers);
                    pending.push((to, actions));
                }
            }
            Event::Timeout { node, step, round } => {
                let actions = nodes[node].on_timeout(step, round);
                pending.push((node, actions));
            }
            Event::Mischief { node } => {
                let top = out.max_round + 1;
                for _ in 0..1 + rng.below(4) {
                    let round = rng.below(top + 1);
                    let pick = |rng: &mut Rng| -> Option<ValueId> {
                        let k = rng.below(values.len() as u64 + 1) as usize;
                        values.get(k).copied()
                    };
                    for to in 0..cfg.n {
                        if rng.below(3) == 0 {
                            continue;
                        }
                        let kind = match rng.below(4) {
                            0 => Kind::Proposal {
                                value: pick(&mut rng).unwrap_or([0xbb; 32]),
                                valid_round: if round > 0 && rng.below(2) == 0 {
                                    Some(rng.below(round))
                                } else {
                                    None
                                },
                            },
                            1 => Kind::Prevote(pick(&mut rng)),
                            2 => Kind::Precommit(pick(&mut rng)),
                            _ => {
                                // Replay someone else's message under our own index (the
                                // network layer would reject a forged signature; what
                                // reaches the state machine is our index).
                                let k = rng.below(seen.len().max(1) as u64) as usize;
                                seen.get(k).map_or(Kind::Prevote(None), |m| m.kind.clone())
                            }
                        };
                        let msg = Message {
                            round,
                            from: node,
                            kind,
                        };
                        let at = delay(&mut rng, now);
                        out.messages += 1;
                        push(&mut queue, &mut events, at, Event::Deliver { to, msg });
                    }
                }
                if now < cfg.horizon_ms {
                    push(
                        &mut queue,
                        &mut events,
                        now + 5 + rng.below(100),
                        Event::Mischief { node },
                    );
                }
            }
        }
        if (0..cfg.n)
            .filter(|&i| honest(i))
            .all(|i| out.decisions[i].is_some())
        {
            break;
        }
    }
    out.final_states = nodes.iter().map(|n| n.summary()).collect();
    out.evidence = nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| honest(*i))
        .map(|(_, n)| n.evidence.len())
        .sum();
    out
}
