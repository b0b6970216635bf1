//! Byzantine-fault-tolerant decisions among `echoctl` validators (DESIGN.md, "BFT decision
//! core"). So far: the consensus state machine (`consensus`, one single-shot Tendermint
//! instance per subject, no I/O) and its deterministic simulation (`sim`). The wire,
//! the vote guard and the node come next (see the README's status of issue 6).

pub mod consensus;
pub mod sim;
