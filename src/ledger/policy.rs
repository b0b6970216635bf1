//! Trust policies in the C2SP tlog-policy format: the logs whose checkpoint signatures
//! count, the witnesses, groups with thresholds, and the quorum a checkpoint's
//! cosignatures must meet. Parsing refuses duplicates, forward references and unknown
//! lines; evaluation is a pure function of a checkpoint.

use super::checkpoint::Checkpoint;
use super::error::{Document, LedgerError, Result};
use super::witness::valid_cosigners;
use crate::sign::{VerifierKey, ALG_COSIGNATURE_V1, ALG_ED25519};
use std::collections::HashMap;

/// A policy file is at most this large.
pub const MAX_POLICY_BYTES: usize = 1 << 20;

#[derive(Clone, Debug)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Clone, Debug)]
struct Group {
    threshold: usize,
    members: Vec<Member>,
}

/// A parsed policy.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub logs: Vec<VerifierKey>,
    pub witnesses: Vec<(String, VerifierKey)>,
    groups: Vec<(String, Group)>,
    /// None: `quorum none`.
    quorum: Option<Member>,
}

impl Policy {
    /// The policy of `witnesses`, `quorum` of which must cosign.
    pub fn from_witnesses(
        logs: Vec<VerifierKey>,
        witnesses: Vec<VerifierKey>,
        quorum: usize,
    ) -> Result<Self> {
        if quorum > witnesses.len() {
            return Err(LedgerError::malformed(
                Document::Policy,
                format!(
                    "a quorum of {quorum} is more than the {} trusted witnesses",
                    witnesses.len()
                ),
            ));
        }
        let mut p = Policy {
            logs,
            ..Default::default()
        };
        for (i, w) in witnesses.into_iter().enumerate() {
            if w.alg != ALG_COSIGNATURE_V1 {
                return Err(LedgerError::malformed(
                    Document::Policy,
                    format!("{w} is not a witness key (type 0x04)"),
                ));
            }
            p.witnesses.push((format!("w{i}"), w));
        }
        if quorum > 0 {
            let members = (0..p.witnesses.len()).map(Member::Witness).collect();
            p.groups.push((
                "quorum".into(),
                Group {
                    threshold: quorum,
                    members,
                },
            ));
            p.quorum = Some(Member::Group(0));
        }
        Ok(p)
    }

    pub fn parse(text: &str) -> Result<Self> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(LedgerError::malformed(Document::Policy, "larger than 1 MiB"));
        }
        let mut p = Policy::default();
        let mut names: HashMap<String, Member> = HashMap::new();
        let mut quorum_seen = false;
        for (n, raw) in text.split('\n').enumerate() {
            let bad =
                |why: String| LedgerError::malformed(Document::Policy, format!("line {}: {why}", n + 1));
            if raw.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
                return Err(bad("control characters are not allowed".into()));
            }
            let line = raw.trim_matches([' ', '\t']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            match words[0] {
                "log" if (2..=3).contains(&words.len()) => {
                    let k = VerifierKey::parse(words[1]).map_err(|e| bad(e.to_string()))?;
                    if k.alg != ALG_ED25519 {
                        return Err(bad("a log key must be a checkpoint key (type 0x01)".into()));
                    }
                    if p.logs.iter().any(|l| l.public_key == k.public_key) {
                        return Err(bad("duplicate log".into()));
                    }
                    p.logs.push(k);
                }
                "witness" if (3..=4).contains(&words.len()) => {
                    let k = VerifierKey::parse(words[2]).map_err(|e| bad(e.to_string()))?;
                    if k.alg != ALG_COSIGNATURE_V1 {
                        return Err(bad("a witness key must be a cosigner key (type 0x04)".into()));
                    }
                    if p.witnesses.iter().any(|(_, w)| w.public_key == k.public_key) {
                        return Err(bad("duplicate witness".into()));
                    }
                    define(&mut names, words[1], Member::Witness(p.witnesses.len())).map_err(bad)?;
                    p.witnesses.push((words[1].to_owned(), k));
                }
                "group" if words.len() >= 4 => {
                    let members = words[3..]
                        .iter()
                        .map(|m| {
                            names
                                .get(*m)
                                .cloned()
                                .ok_or_else(|| bad(format!("{m} is not defined above")))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let mut seen = std::collections::HashSet::new();
                    if !words[3..].iter().all(|m| seen.insert(*m)) {
                        return Err(bad("a member is listed twice".into()));
                    }
                    let threshold = match words[2] {
                        "all" => members.len(),
                        "any" => 1,
                        k => k
                            .parse::<usize>()
                            .ok()
                            .filter(|k| (1..=members.len()).contains(k))
                            .ok_or_else(|| {
                                bad(format!("threshold {k} must be all, any or 1..={}", members.len()))
                            })?,
                    };
                    define(&mut names, words[1], Member::Group(p.groups.len())).map_err(bad)?;
                    p.groups.push((words[1].to_owned(), Group { threshold, members }));
                }
                "quorum" if words.len() == 2 => {
                    if quorum_seen {
                        return Err(bad("a policy has exactly one quorum line".into()));
                    }
                    quorum_seen = true;
                    p.quorum = match words[1] {
                        "none" => None,
                        name => Some(
                            names
                                .get(name)
                                .cloned()
                                .ok_or_else(|| bad(format!("{name} is not defined above")))?,
                        ),
                    };
                }
                other => {
                    return Err(bad(format!(
                        "cannot read a {} line here",
                        crate::text::quoted(other)
                    )))
                }
            }
            if p.logs.len() > 64 || p.witnesses.len() > 256 || p.groups.len() > 256 {
                return Err(bad("too many logs, witnesses or groups".into()));
            }
        }
        if !quorum_seen {
            return Err(LedgerError::malformed(Document::Policy, "no quorum line"));
        }
        Ok(p)
    }

    fn witnessed(&self, m: &Member, cosigned: &[bool]) -> bool {
        match m {
            Member::Witness(i) => cosigned[*i],
            Member::Group(g) => {
                let group = &self.groups[*g].1;
                group
                    .members
                    .iter()
                    .filter(|m| self.witnessed(m, cosigned))
                    .count()
                    >= group.threshold
            }
        }
    }

    /// Whether `cp` meets the quorum (the log signature is checked separately).
    pub fn check_quorum(&self, cp: &Checkpoint) -> std::result::Result<(), String> {
        let Some(q) = &self.quorum else { return Ok(()) };
        let keys: Vec<VerifierKey> = self.witnesses.iter().map(|(_, k)| k.clone()).collect();
        let valid = valid_cosigners(cp, &keys).map_err(|e| e.to_string())?;
        let cosigned: Vec<bool> = keys.iter().map(|k| valid.contains(&k)).collect();
        if self.witnessed(q, &cosigned) {
            Ok(())
        } else {
            let missing: Vec<&str> = self
                .witnesses
                .iter()
                .zip(&cosigned)
                .filter(|(_, c)| !**c)
                .map(|((name, _), _)| name.as_str())
                .collect();
            Err(format!(
                "the witness quorum is not met: {} valid cosignature(s) from trusted witnesses; none from {}",
                cosigned.iter().filter(|c| **c).count(),
                missing.join(", ")
            ))
        }
    }

    /// Whether `cp` is signed by one of the policy's logs (or `fallback` keys when it
    /// lists none) and meets the quorum.
    pub fn check(&self, cp: &Checkpoint, fallback: &[VerifierKey]) -> std::result::Result<(), String> {
        let logs = if self.logs.is_empty() {
            fallback
        } else {
            &self.logs
        };
        if cp.valid_signers(logs).map_err(|e| e.to_string())?.is_empty() {
            return Err("the checkpoint carries no valid signature by a trusted log key".into());
        }
        self.check_quorum(cp)
    }
}

fn define(names: &mut HashMap<String, Member>, name: &str, m: Member) -> std::result::Result<(), String> {
    if name == "none" {
        return Err("'none' is reserved".into());
    }
    if names.insert(name.to_owned(), m).is_some() {
        return Err(format!("{name} is defined twice"));
    }
    Ok(())
}
