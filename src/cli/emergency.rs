//! `echoctl emergency …`: thin handlers. Statements that need several signers are
//! printed (`--print-statement`) with the ledger's origin, signed offline
//! (`emergency sign`), and combined by the command that writes them.

use super::args::{EmergencyCommand, SignArgs, WriterArgs};
use super::exit::{Failure, Result};
use super::key::load_signers;
use super::ledger::{open_for_append, open_read_only, print_appended};
use super::output::{json, out, row, table};
use super::settings::Settings;
use crate::emergency::{self, Area, EmergencyError};
use crate::sign::{Signer, VerifierKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A statement to sign, as printed and read back.
#[derive(Serialize, Deserialize)]
struct StatementFile {
    origin: String,
    statement: Map<String, Value>,
}

fn verifier_keys(texts: &[String]) -> Result<Vec<VerifierKey>> {
    texts
        .iter()
        .map(|t| VerifierKey::parse(t).map_err(Failure::from))
        .collect()
}

fn role_signer(s: &Settings, spec: &str, hsm: Option<String>) -> Result<Box<dyn Signer>> {
    let args = SignArgs {
        keys: vec![spec.to_owned()],
        hsm,
    };
    Ok(load_signers(s, &args, None)?.into_primary())
}

/// A statement signed by one role key (`--as`), written by the writer's keys.
fn signed(
    s: &Settings,
    writer: &WriterArgs,
    role_key: &str,
    write: impl FnOnce(
        &mut crate::ledger::Ledger,
        &crate::sign::Signers,
        &dyn Signer,
    ) -> emergency::Result<crate::ledger::Appended>,
) -> Result<u8> {
    let (mut ledger, signers) = open_for_append(s, &writer.signing)?;
    let key = role_signer(s, role_key, writer.signing.hsm.clone())?;
    let a = write(&mut ledger, &signers, key.as_ref())?;
    print_appended(s, &a)
}

fn read_json(path: &Path, what: &str) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::env(format!("cannot read {what} {}: {e}", path.display())).hint("check the path")
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::usage(format!("{what} {} is not JSON: {e}", path.display()))
            .hint("use the file 'echoctl emergency sign' wrote")
    })
}

fn signatures(files: &[PathBuf]) -> Result<Vec<Value>> {
    files.iter().map(|f| read_json(f, "signature")).collect()
}

fn print_statement(origin: &str, statement: Map<String, Value>) -> Result<u8> {
    json(&StatementFile {
        origin: origin.to_owned(),
        statement,
    })?;
    Ok(0)
}

pub fn run(s: &Settings, cmd: EmergencyCommand) -> Result<u8> {
    let clock = s.clock()?;
    match cmd {
        EmergencyCommand::Roles {
            emergency,
            resume,
            quorum,
            approvals,
            print_statement: print,
            writer,
        } => {
            let statement =
                emergency::roles_statement(&verifier_keys(&emergency)?, &verifier_keys(&resume)?, quorum)?;
            if print {
                let ledger = open_read_only(s)?;
                return print_statement(&ledger.genesis.origin, statement);
            }
            let (mut ledger, signers) = open_for_append(s, &writer.signing)?;
            let a = emergency::set_roles(
                &mut ledger,
                &signers,
                &clock,
                &writer.source,
                statement,
                signatures(&approvals)?,
            )?;
            print_appended(s, &a)
        }
        EmergencyCommand::Halt {
            area,
            reason,
            role_key,
            writer,
        } => {
            let area = Area::parse(&area).ok_or(EmergencyError::Area(area))?;
            signed(s, &writer, &role_key, |ledger, signers, key| {
                emergency::halt(ledger, signers, &clock, &writer.source, key, area, &reason)
            })
        }
        EmergencyCommand::Resume {
            halt,
            reason,
            signatures: files,
            print_statement: print,
            writer,
        } => {
            let statement = emergency::resume_statement(&halt, &reason)?;
            if print {
                let ledger = open_read_only(s)?;
                return print_statement(&ledger.genesis.origin, statement);
            }
            let (mut ledger, signers) = open_for_append(s, &writer.signing)?;
            let a = emergency::resume(
                &mut ledger,
                &signers,
                &clock,
                &writer.source,
                statement,
                signatures(&files)?,
            )?;
            print_appended(s, &a)
        }
        EmergencyCommand::Sign {
            statement,
            role_key,
            hsm,
        } => {
            let file: StatementFile =
                serde_json::from_value(read_json(&statement, "statement")?).map_err(|e| {
                    Failure::usage(format!("{} is not a statement: {e}", statement.display()))
                        .hint("use the file --print-statement wrote")
                })?;
            let key = role_signer(s, &role_key, hsm)?;
            let sig = emergency::sign(key.as_ref(), &file.origin, &file.statement)?;
            json(&sig)?;
            Ok(0)
        }
        EmergencyCommand::BreakGlass {
            guards,
            minutes,
            reason,
            role_key,
            writer,
        } => signed(s, &writer, &role_key, |ledger, signers, key| {
            emergency::break_glass(
                ledger,
                signers,
                &clock,
                &writer.source,
                key,
                &guards,
                minutes,
                &reason,
            )
        }),
        EmergencyCommand::Close {
            window,
            reason,
            role_key,
            writer,
        } => signed(s, &writer, &role_key, |ledger, signers, key| {
            emergency::close(ledger, signers, &clock, &writer.source, key, &window, &reason)
        }),
        EmergencyCommand::Status => status(s, clock.now),
    }
}

#[derive(Serialize)]
struct HaltJson<'a> {
    area: &'static str,
    by: &'a str,
    id: &'a str,
    reason: &'a str,
    ts: &'a str,
}

#[derive(Serialize)]
struct WindowJson<'a> {
    actions: &'a [String],
    by: &'a str,
    guards: &'a [String],
    id: &'a str,
    minutes_left: f64,
    reason: &'a str,
}

#[derive(Serialize)]
struct RolesJson {
    emergency: Vec<String>,
    resume: Vec<String>,
    resume_quorum: usize,
}

#[derive(Serialize)]
struct StatusJson<'a> {
    halts: Vec<HaltJson<'a>>,
    open_windows: Vec<WindowJson<'a>>,
    roles: Option<RolesJson>,
}

fn status(s: &Settings, now: i64) -> Result<u8> {
    let ledger = open_read_only(s)?;
    let st = emergency::state(&ledger)?;
    let now = now.max(st.ledger_ms);
    let open: Vec<&emergency::Window> = st
        .windows
        .iter()
        .filter(|w| !w.closed && w.opened_ms <= now && now < w.until_ms)
        .collect();
    let left = |w: &emergency::Window| ((w.until_ms - now) as f64 / 60_000.0 * 10.0).round() / 10.0;
    if s.json {
        let strings = |ks: &[VerifierKey]| ks.iter().map(ToString::to_string).collect();
        return json(&StatusJson {
            halts: st
                .halts
                .iter()
                .map(|h| HaltJson {
                    area: h.area.as_str(),
                    by: &h.by,
                    id: &h.id,
                    reason: &h.reason,
                    ts: &h.ts,
                })
                .collect(),
            open_windows: open
                .iter()
                .map(|w| WindowJson {
                    actions: &w.actions,
                    by: &w.by,
                    guards: &w.guards,
                    id: &w.id,
                    minutes_left: left(w),
                    reason: &w.reason,
                })
                .collect(),
            roles: st.roles.as_ref().map(|r| RolesJson {
                emergency: strings(&r.emergency),
                resume: strings(&r.resume),
                resume_quorum: r.resume_quorum,
            }),
        })
        .map(|()| 0);
    }
    let mut t = table(&["in force", "id", "what", "by", "reason"]);
    for h in &st.halts {
        row(
            &mut t,
            vec![
                "halt".into(),
                h.id.clone(),
                h.area.as_str().into(),
                h.by.clone(),
                h.reason.clone(),
            ],
        );
    }
    for w in &open {
        row(
            &mut t,
            vec![
                "break-glass".into(),
                w.id.clone(),
                format!("{} ({} min left)", w.guards.join(", "), left(w)),
                w.by.clone(),
                w.reason.clone(),
            ],
        );
    }
    out(t.to_string())?;
    match &st.roles {
        Some(r) => out(format!(
            "roles: {} emergency key(s); resume needs {} of {} keys",
            r.emergency.len(),
            r.resume_quorum,
            r.resume.len()
        ))?,
        None => out("roles: none set ('echoctl emergency roles')")?,
    }
    Ok(0)
}
