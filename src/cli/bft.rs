//! `echoctl bft …`: thin handlers over `crate::bft`.

use super::args::SignArgs;
use super::args::{BftCommand, BftDecision, BftPolicy};
use super::exit::{Failure, Result};
use super::key::load_signers;
use super::ledger::parse_object;
use super::output::{json, note, out, printable, row, table};
use super::settings::Settings;
use crate::bft::client::{self, Outcome};
use crate::bft::consensus::Timeouts;
use crate::bft::frames::{CertificateFrame, Frame, PendingItem, Reply, StatusReply};
use crate::bft::message::{Certificate, Decision};
use crate::bft::node::{Node, NodeConfig, Policy};
use crate::bft::validators::ValidatorSet;
use crate::bft::{Bft, Vouched};
use crate::ledger::entry::hex;
use crate::ledger::Ledger;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

fn timeout_ok(timeout: f64) -> Result<Duration> {
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 86_400.0) {
        return Err(Failure::usage("--timeout must be between 0 and 86400 seconds").hint("e.g. --timeout 10"));
    }
    Ok(Duration::from_secs_f64(timeout))
}

pub fn run(s: &Settings, cmd: BftCommand) -> Result<u8> {
    match cmd {
        BftCommand::Serve {
            validators,
            signing,
            listen,
            policy,
            metrics,
            timeout_ms,
            release_after,
        } => {
            let set = ValidatorSet::load(&s.validators(validators.as_deref())?)?;
            let vouched = Vouched::default();
            let ledger = Ledger::open(&s.db, super::registry_with(Bft::trusting(vouched.clone())))?;
            let signers = load_signers(s, &signing, Some(&ledger.genesis.origin))?;
            let me = set.index_of(&signers.primary().public_key()).ok_or_else(|| {
                Failure::usage("the signing key is not a validator in the validators file")
                    .hint("pass the validator's key with --key; 'echoctl key show' prints its verifier key")
            })?;
            let cfg = NodeConfig {
                listen: listen.unwrap_or(set.validators[me].address),
                me,
                policy: match policy {
                    BftPolicy::Auto => Policy::Auto,
                    BftPolicy::Manual => Policy::Manual,
                },
                timeouts: Timeouts {
                    base_ms: timeout_ms,
                    delta_ms: timeout_ms / 2,
                },
                metrics,
                set,
                crash: s.bft_crash()?,
                vouched,
                lock_timeout: s.lock_timeout()?,
                release_after: Duration::from_secs(release_after),
            };
            // The validator's log: plain lines on stderr.
            s.install_log()?;
            let name = cfg.set.validators[me].name.clone();
            let quiet = s.quiet;
            Node::serve(cfg, ledger, signers, s.clock_source()?, |addr| {
                if !quiet {
                    eprintln!("validator {name} listening on {addr}");
                }
            })?;
            Ok(0)
        }
        BftCommand::Propose {
            validators,
            subject,
            content,
            new_validators,
            timeout,
            key,
            hsm,
        } => {
            let set = ValidatorSet::load(&s.validators(validators.as_deref())?)?;
            let (subject, content) = match (new_validators, content) {
                (Some(path), _) => {
                    let next = ValidatorSet::load(&path)?;
                    if next.cluster != set.cluster || next.epoch != set.epoch + 1 {
                        return Err(Failure::usage(format!(
                            "the new set must be cluster {} epoch {}",
                            set.cluster,
                            set.epoch + 1
                        ))
                        .hint("a new validator set keeps the cluster and takes the next epoch"));
                    }
                    let subject = subject
                        .unwrap_or_else(|| format!("validator-set/{}/epoch-{}", next.cluster, next.epoch));
                    (subject, crate::bft::set_change_content(&next))
                }
                (None, Some(text)) => (subject.unwrap_or_default(), parse_object(&text, "--content")?),
                (None, None) => {
                    return Err(Failure::usage("nothing to propose")
                        .hint("pass --content JSON or --new-validators FILE"))
                }
            };
            let wait = timeout_ok(timeout)?;
            let proposer = match key {
                Some(k) => Some(load_signers(s, &SignArgs { keys: vec![k], hsm }, None)?),
                None if !set.proposers.is_empty() => {
                    return Err(Failure::usage(
                        "these validators admit only proposals signed by a listed proposer",
                    )
                    .hint("pass --key FILE with the key of one of the proposers in the validators file"))
                }
                None => None,
            };
            if let Some(p) = &proposer {
                let id = p.primary().verifier().identity();
                if !set.proposers.is_empty() && set.proposer(&id).is_none() {
                    return Err(
                        Failure::usage(format!("{id} is not a proposer in the validators file")).hint(
                            "list its verifier key under proposers, or sign with a listed proposer's key",
                        ),
                    );
                }
            }
            let signer = proposer.as_ref().map(|p| p.primary());
            match client::propose(&set, &subject, &content, signer, wait)? {
                Outcome::Decided(cert) => {
                    if cert.content != content {
                        note(
                            s,
                            format!(
                                "{subject} was decided before, for another proposal: that decision stands"
                            ),
                        );
                    }
                    print_decision(s, &set, &cert)?;
                    Ok(if cert.decision == Decision::Approve { 0 } else { 1 })
                }
                Outcome::Undecided { reachable, released } => {
                    if s.json {
                        json(&UndecidedJson {
                            decided: false,
                            reachable,
                            released,
                            subject: &subject,
                        })?;
                    } else if released {
                        out(printable(&format!(
                            "undecided: the validators released {subject} undecided (no other validator took part in it); submit it again"
                        )))?;
                    } else {
                        out(printable(&format!(
                            "undecided: {subject} was not decided within {timeout} s ({reachable} validators reachable)"
                        )))?;
                    }
                    Ok(1)
                }
            }
        }
        BftCommand::Vote {
            subject,
            decision,
            reason,
            node,
        } => {
            let d = match decision {
                BftDecision::Approve => Decision::Approve,
                BftDecision::Reject => Decision::Reject,
            };
            let node = s.node(node)?;
            client::vote(node, &subject, d, reason.as_deref())?;
            if s.json {
                json(&VoteJson {
                    subject: &subject,
                    vote: d.as_str(),
                })?;
            } else {
                note(s, format!("sent {} for {subject} to {node}", d.as_str()));
            }
            Ok(0)
        }
        BftCommand::Pending { node } => {
            let node = s.node(node)?;
            let pending = match client::request(node, &Frame::Pending, Duration::from_secs(5))? {
                Reply::Pending { pending } => pending,
                _ => {
                    return Err(Failure::env(format!(
                        "{node} answered something other than its pending proposals"
                    ))
                    .hint("check that --node names a validator (echoctl bft serve)"))
                }
            };
            if s.json {
                json(&PendingJson { pending: &pending })?;
            } else {
                let mut t = table(&["subject", "content"]);
                for p in &pending {
                    row(
                        &mut t,
                        vec![p.subject.clone(), Value::Object(p.content.clone()).to_string()],
                    );
                }
                out(t.to_string())?;
            }
            Ok(0)
        }
        BftCommand::Status { validators, timeout } => {
            let set = ValidatorSet::load(&s.validators(validators.as_deref())?)?;
            let answers = client::status(&set, timeout_ok(timeout)?)?;
            let up = answers.iter().filter(|a| a.status.is_some()).count();
            if s.json {
                let list = set
                    .validators
                    .iter()
                    .zip(&answers)
                    .map(|(v, a)| ValidatorJson {
                        address: v.address.to_string(),
                        name: &v.name,
                        problem: a.problem.as_deref(),
                        reachable: a.status.is_some(),
                        status: a.status.as_ref(),
                    })
                    .collect();
                json(&StatusJson {
                    cluster: &set.cluster,
                    epoch: set.epoch,
                    quorum: set.quorum(),
                    reachable: up,
                    validators: list,
                    validators_hash: hex(&set.hash),
                })?;
            } else {
                let mut t = table(&[
                    "validator",
                    "address",
                    "reachable",
                    "in progress",
                    "decisions",
                    "recent",
                ]);
                for (v, a) in set.validators.iter().zip(&answers) {
                    let (reachable, progress, decisions, recent) = match (&a.status, &a.problem) {
                        (Some(r), _) => (
                            "yes".to_owned(),
                            r.open.max(r.in_progress.len() as u64).to_string(),
                            r.decisions.to_string(),
                            r.recent_decisions
                                .iter()
                                .take(3)
                                .map(|d| format!("{}={}", d.subject, d.decision.as_str()))
                                .collect::<Vec<_>>()
                                .join(" "),
                        ),
                        (None, Some(why)) => (format!("no: {why}"), "-".into(), "-".into(), String::new()),
                        (None, None) => ("no".into(), "-".into(), "-".into(), String::new()),
                    };
                    row(
                        &mut t,
                        vec![
                            v.name.clone(),
                            v.address.to_string(),
                            reachable,
                            progress,
                            decisions,
                            recent,
                        ],
                    );
                }
                out(t.to_string())?;
                out(format!(
                    "{up} of {} reachable; a quorum is {}",
                    set.n(),
                    set.quorum()
                ))?;
            }
            if up < set.quorum() {
                // The table (or JSON) above says which ones did not answer, and why.
                return Err(Failure::env(format!(
                    "{up} of {} validators answered; a quorum is {}",
                    set.n(),
                    set.quorum()
                ))
                .hint(
                    "start the validators that did not answer, or check their addresses in the validators file; a longer --timeout helps a slow network",
                ));
            }
            Ok(0)
        }
    }
}

#[derive(Serialize)]
struct UndecidedJson<'a> {
    decided: bool,
    reachable: usize,
    released: bool,
    subject: &'a str,
}

#[derive(Serialize)]
struct VoteJson<'a> {
    subject: &'a str,
    vote: &'a str,
}

#[derive(Serialize)]
struct PendingJson<'a> {
    pending: &'a [PendingItem],
}

#[derive(Serialize)]
struct ValidatorJson<'a> {
    address: String,
    name: &'a str,
    /// Why it does not count as reachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<&'a str>,
    reachable: bool,
    status: Option<&'a StatusReply>,
}

#[derive(Serialize)]
struct StatusJson<'a> {
    cluster: &'a str,
    epoch: u64,
    quorum: usize,
    reachable: usize,
    validators: Vec<ValidatorJson<'a>>,
    validators_hash: String,
}

#[derive(Serialize)]
struct SignerJson<'a> {
    name: Option<&'a str>,
    validator: u16,
}

#[derive(Serialize)]
struct DecisionJson<'a> {
    content: &'a serde_json::Map<String, Value>,
    decided: bool,
    decision: &'a str,
    precommits: &'a [crate::bft::frames::PrecommitFrame],
    quorum: usize,
    round: u64,
    signers: Vec<SignerJson<'a>>,
    subject: &'a str,
    value: String,
}

fn print_decision(s: &Settings, set: &ValidatorSet, cert: &Certificate) -> Result<()> {
    let signers: Vec<SignerJson> = cert
        .precommits
        .iter()
        .map(|(i, _)| SignerJson {
            name: set.validators.get(*i as usize).map(|v| v.name.as_str()),
            validator: *i,
        })
        .collect();
    if s.json {
        let frame = CertificateFrame::new(cert);
        return json(&DecisionJson {
            content: &cert.content,
            decided: true,
            decision: cert.decision.as_str(),
            precommits: &frame.precommits,
            quorum: set.quorum(),
            round: cert.round,
            signers,
            subject: &cert.subject,
            value: hex(&cert.value()),
        });
    }
    let names: Vec<&str> = signers.iter().filter_map(|x| x.name).collect();
    out(printable(&format!(
        "{}: {} in round {} ({} of {} precommits: {})",
        cert.subject,
        cert.decision.as_str(),
        cert.round,
        cert.precommits.len(),
        set.n(),
        names.join(", ")
    )))
}
