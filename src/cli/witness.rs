//! `witness serve` (a witness on the network) and `ledger checkpoint --witness URL` (the
//! log asking witnesses for cosignatures).

use super::args::WitnessNetCommand;
use super::exit::{Failure, Result, ENVIRONMENT, NEGATIVE, OK};
use super::key::load_signers;
use super::output::{json, note, out};
use super::settings::Settings;
use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::store::Location;
use crate::ledger::Ledger;
use crate::witness::client::{self, Answer};
use crate::witness::{load_logs, Witness, WitnessError};
use serde::Serialize;
use std::time::Duration;

impl From<WitnessError> for Failure {
    fn from(e: WitnessError) -> Self {
        match e {
            WitnessError::Store(s) => s.into(),
            WitnessError::ReadLogs { .. } => Failure::usage(crate::text::with_causes(&e))
                .hint("pass the logs file with --logs (README, \"Witnessing over HTTP\")"),
            WitnessError::Logs { .. } => Failure::usage(e.to_string())
                .hint("each [[log]] has an origin and keys = [\"<log verifier key>\"], and optionally rate"),
            WitnessError::Damaged { .. } => Failure::env(e.to_string()).hint(
                "the witness state was changed by something other than echoctl; restore it from a backup",
            ),
        }
    }
}

pub fn run(s: &Settings, c: WitnessNetCommand) -> Result<u8> {
    let WitnessNetCommand::Serve {
        signing,
        logs,
        state,
        listen,
        max_connections,
        timeout,
    } = c;
    let logs = load_logs(&logs)?;
    let signer = load_signers(s, &signing, None)?.into_primary();
    let witness = Witness::open(signer, logs, &Location::parse(std::ffi::OsStr::new(&state)))?;
    let listener = std::net::TcpListener::bind(&listen).map_err(|e| {
        Failure::env(format!("cannot listen on {listen}: {e}"))
            .hint("choose another --listen address (port 0 picks a free port)")
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::env(format!("cannot listen on {listen}: {e}")))?;
    s.install_log()?;
    let vkey = witness.verifier().to_string();
    if s.json {
        json(&serde_json::json!({ "listen": format!("http://{addr}"), "witness": vkey }))?;
    } else {
        out(format!("witness {vkey} on http://{addr}"))?;
    }
    let t = Duration::from_secs(timeout);
    let limits = crate::serve::ConnLimits {
        max_connections: max_connections as usize,
        header_timeout: t,
        drain: t,
    };
    crate::witness::serve::run(witness, listener, limits)
        .map_err(|e| Failure::env(format!("the witness server failed: {e}")))?;
    Ok(OK)
}

#[derive(Serialize)]
struct AskedJson {
    url: String,
    witness: String,
    /// cosigned, refused, unreachable
    status: &'static str,
    http_status: Option<u16>,
    detail: String,
    stored: usize,
}

/// `ledger checkpoint --witness URL --witness-key VKEY ...`.
pub fn ask_witnesses(s: &Settings, urls: &[String], keys: &[String]) -> Result<u8> {
    if urls.len() != keys.len() {
        return Err(Failure::usage(format!(
            "{} --witness but {} --witness-key",
            urls.len(),
            keys.len()
        ))
        .hint("give each --witness URL its key: --witness URL --witness-key VKEY, in the same order"));
    }
    let keys = keys
        .iter()
        .map(|k| super::ledger::parse_vkey(k))
        .collect::<Result<Vec<_>>>()?;
    let mut ledger = Ledger::open(&s.db, super::registry())?;
    let note_text = crate::ledger::proof::stored_checkpoint(&ledger, None)?;
    let cp = Checkpoint::parse(&note_text)?;
    let http = client::http_client().map_err(|e| Failure::env(format!("cannot make an HTTP client: {e}")))?;
    let mut asked = Vec::new();
    for (url, key) in urls.iter().zip(&keys) {
        let answer = client::request_cosignature(&http, url, ledger.store(), &cp, &note_text);
        let mut row = AskedJson {
            url: url.clone(),
            witness: key.identity(),
            status: "cosigned",
            http_status: None,
            detail: String::new(),
            stored: 0,
        };
        match answer {
            Answer::Cosigned(lines) => {
                row.http_status = Some(200);
                match ledger.add_cosignatures(Some(cp.size), &lines, std::slice::from_ref(key)) {
                    Ok(n) => row.stored = n,
                    Err(e) => {
                        row.status = "refused";
                        row.detail = format!("its answer is not a valid cosignature by its key: {e}");
                    }
                }
            }
            Answer::Refused { status, text } => {
                row.status = "refused";
                row.http_status = Some(status);
                row.detail = text.trim().to_owned();
            }
            Answer::Unreachable(why) => {
                row.status = "unreachable";
                row.detail = why;
            }
        }
        asked.push(row);
    }
    if s.json {
        json(&serde_json::json!({ "size": cp.size, "witnesses": asked }))?;
    } else {
        for r in &asked {
            let how = match r.status {
                "cosigned" => format!("cosigned size {} ({} new line(s) stored)", cp.size, r.stored),
                _ => format!(
                    "{} {}: {}",
                    r.status,
                    r.http_status.map(|c| c.to_string()).unwrap_or_default(),
                    r.detail
                ),
            };
            note(s, format!("{}: {how}", r.url));
        }
    }
    Ok(if asked.iter().any(|r| r.status == "refused") {
        NEGATIVE
    } else if asked.iter().any(|r| r.status == "unreachable") {
        ENVIRONMENT
    } else {
        OK
    })
}
