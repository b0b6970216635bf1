//! `echoctl bft …`: thin handlers over `crate::bft`.

use super::args::{BftCommand, BftDecision, BftPolicy};
use super::exit::{Failure, Result};
use super::key::load_signers;
use super::ledger::parse_object;
use super::output::{json, note, out, row, table};
use super::settings::Settings;
use crate::bft::client::{self, Outcome};
use crate::bft::consensus::Timeouts;
use crate::bft::message::{Certificate, Decision};
use crate::bft::node::{Node, NodeConfig, Policy};
use crate::bft::validators::ValidatorSet;
use crate::bft::wire;
use crate::ledger::entry::hex;
use crate::ledger::Ledger;
use serde_json::{json, Value};
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
        } => {
            let set = ValidatorSet::load(&s.validators(validators.as_deref())?)?;
            let ledger = Ledger::open(&s.db, super::registry())?;
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
            };
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
            match client::propose(&set, &subject, &content, wait)? {
                Outcome::Decided(cert) => {
                    print_decision(s, &set, &cert)?;
                    Ok(if cert.decision == Decision::Approve { 0 } else { 1 })
                }
                Outcome::Undecided { reachable } => {
                    if s.json {
                        json(&json!({"subject": subject, "decided": false, "reachable": reachable}))?;
                    } else {
                        out(format!("undecided: {subject} was not decided within {timeout} s ({reachable} validators reachable)"))?;
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
                json(&json!({"subject": subject, "vote": d.as_str()}))?;
            } else {
                note(s, format!("sent {} for {subject} to {node}", d.as_str()));
            }
            Ok(0)
        }
        BftCommand::Pending { node } => {
            let node = s.node(node)?;
            let reply = client::request(node, &json!({"type": "pending"}), Duration::from_secs(5))?;
            let list = reply.get("pending").cloned().unwrap_or(json!([]));
            if s.json {
                json(&json!({"pending": list}))?;
            } else {
                let mut t = table(&["subject", "content"]);
                for p in list.as_array().into_iter().flatten() {
                    row(
                        &mut t,
                        vec![
                            p["subject"].as_str().unwrap_or("").to_owned(),
                            p["content"].to_string(),
                        ],
                    );
                }
                out(t.to_string())?;
            }
            Ok(0)
        }
        BftCommand::Status { validators } => {
            let set = ValidatorSet::load(&s.validators(validators.as_deref())?)?;
            let mut rows = Vec::new();
            for v in &set.validators {
                let r = client::request(v.address, &json!({"type": "status"}), Duration::from_millis(800));
                rows.push((v, r.ok()));
            }
            let up = rows.iter().filter(|(_, r)| r.is_some()).count();
            if s.json {
                let list: Vec<Value> = rows
                    .iter()
                    .map(|(v, r)| json!({"name": v.name, "address": v.address.to_string(), "reachable": r.is_some(), "status": r}))
                    .collect();
                json(
                    &json!({"cluster": set.cluster, "epoch": set.epoch, "validators_hash": hex(&set.hash), "quorum": set.quorum(), "reachable": up, "validators": list}),
                )?;
            } else {
                let mut t = table(&[
                    "validator",
                    "address",
                    "reachable",
                    "in progress",
                    "decisions",
                    "recent",
                ]);
                for (v, r) in &rows {
                    let (progress, decisions, recent) = match r {
                        Some(r) => (
                            r["in_progress"].as_array().map_or(0, Vec::len).to_string(),
                            r["decisions"].to_string(),
                            r["recent_decisions"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .take(3)
                                .map(|d| {
                                    format!(
                                        "{}={}",
                                        d["subject"].as_str().unwrap_or(""),
                                        d["decision"].as_str().unwrap_or("")
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join(" "),
                        ),
                        None => ("-".into(), "-".into(), String::new()),
                    };
                    row(
                        &mut t,
                        vec![
                            v.name.clone(),
                            v.address.to_string(),
                            if r.is_some() { "yes" } else { "no" }.into(),
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
            Ok(if up >= set.quorum() { 0 } else { 3 })
        }
    }
}

fn print_decision(s: &Settings, set: &ValidatorSet, cert: &Certificate) -> Result<()> {
    let signers: Vec<Value> = cert
        .precommits
        .iter()
        .map(|(i, _)| json!({"validator": i, "name": set.validators.get(*i as usize).map(|v| v.name.as_str())}))
        .collect();
    if s.json {
        let mut v = wire::certificate_json(cert);
        v["decided"] = json!(true);
        v["signers"] = Value::Array(signers);
        v["quorum"] = json!(set.quorum());
        return json(&v);
    }
    let names: Vec<&str> = signers.iter().filter_map(|x| x["name"].as_str()).collect();
    out(super::output::printable(&format!(
        "{}: {} in round {} ({} of {} precommits: {})",
        cert.subject,
        cert.decision.as_str(),
        cert.round,
        cert.precommits.len(),
        set.n(),
        names.join(", ")
    )))
}
