//! `serve` (the ledger over HTTP, read-only or with `POST /entries`) and `token` (the
//! bearer tokens it takes).

use super::args::{ServeArgs, TokenCommand};
use super::exit::{Failure, Result};
use super::output::{json, out, row, table};
use super::settings::Settings;
use crate::ledger::Ledger;
use crate::serve::append::Batching;
use crate::serve::tokens::{TokenError, Tokens};
use crate::serve::{Config, ConnLimits, WriteSetup};
use std::time::Duration;

impl From<TokenError> for Failure {
    fn from(e: TokenError) -> Self {
        let hint = match &e {
            TokenError::Read { .. } | TokenError::Missing(_) => {
                "list the tokens with 'echoctl token list --tokens FILE'"
            }
            TokenError::Write { .. } => "check that the token file's directory exists and is writable",
            TokenError::Malformed { .. } | TokenError::Version { .. } => {
                "the token file is written by 'echoctl token add'; see README, \"Appending over HTTP\""
            }
            TokenError::Exists(_) => {
                "remove it first with 'echoctl token remove NAME', or choose another name"
            }
            TokenError::Name(_) => "e.g. 'ci-deploys'",
            TokenError::Kind(_) => "a kind is lowercase letters, digits, '.', '_' or '-', e.g. 'deploy'",
            TokenError::Random(_) => "the system's random source failed; try again",
        };
        let code = match &e {
            TokenError::Read { .. } | TokenError::Write { .. } | TokenError::Random(_) => {
                super::exit::ENVIRONMENT
            }
            TokenError::Malformed { .. } | TokenError::Version { .. } => super::exit::ENVIRONMENT,
            _ => super::exit::USAGE,
        };
        Failure::new(code, e.to_string()).hint(hint)
    }
}

pub fn token(s: &Settings, c: TokenCommand) -> Result<u8> {
    match c {
        TokenCommand::Add { name, tokens, kinds } => {
            let mut list = Tokens::load(&tokens, true)?;
            let secret = list.add(&name, kinds.clone())?;
            list.save(&tokens)?;
            if s.json {
                json(&serde_json::json!({ "name": name, "kinds": kinds, "token": secret }))?;
            } else {
                out(secret)?;
                eprintln!(
                    "token {name:?} added to {}; this is the only time it is shown",
                    tokens.display()
                );
            }
        }
        TokenCommand::List { tokens } => {
            let list = Tokens::load(&tokens, false)?;
            if s.json {
                let items: Vec<_> = list
                    .list()
                    .iter()
                    .map(|t| serde_json::json!({ "name": t.name, "kinds": t.kinds }))
                    .collect();
                json(&serde_json::json!({ "tokens": items }))?;
            } else {
                let mut t = table(&["token", "kinds"]);
                for tok in list.list() {
                    let kinds = if tok.kinds.is_empty() {
                        "(every user kind)".to_owned()
                    } else {
                        tok.kinds.join(", ")
                    };
                    row(&mut t, vec![tok.name.clone(), kinds]);
                }
                out(t.to_string())?;
            }
        }
        TokenCommand::Remove { name, tokens } => {
            let mut list = Tokens::load(&tokens, false)?;
            list.remove(&name)?;
            list.save(&tokens)?;
            if s.json {
                json(&serde_json::json!({ "removed": name }))?;
            } else {
                out(format!("removed token {name:?}"))?;
            }
        }
    }
    Ok(super::exit::OK)
}

pub fn serve(s: &Settings, a: ServeArgs) -> Result<u8> {
    let readers = (0..a.readers)
        .map(|_| Ledger::open_read_only(&s.db, super::registry()))
        .collect::<crate::ledger::Result<Vec<_>>>()?;
    let writes = match &a.tokens {
        None => None,
        Some(path) => {
            let tokens = Tokens::load(path, false)?;
            if tokens.is_empty() {
                return Err(
                    Failure::usage(format!("the token file {} holds no token", path.display()))
                        .hint("add one with 'echoctl token add NAME --tokens FILE'"),
                );
            }
            let (ledger, signers) = super::ledger::open_for_append(s, &a.signing)?;
            Some(WriteSetup {
                tokens,
                ledger,
                signers,
                clock: s.clock_source()?,
                batching: Batching {
                    max_batch: a.batch_max as usize,
                    batch_age: Duration::from_millis(a.batch_age_ms),
                    queue: 1024,
                },
                rate: a.rate,
                in_flight: 32,
            })
        }
    };
    let listener = std::net::TcpListener::bind(&a.listen).map_err(|e| {
        Failure::env(format!("cannot listen on {}: {e}", a.listen))
            .hint("choose another --listen address (port 0 picks a free port)")
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::env(format!("cannot listen on {}: {e}", a.listen)))?;
    s.install_log()?;
    let appends = writes.is_some();
    if s.json {
        json(&serde_json::json!({ "listen": format!("http://{addr}"), "appends": appends }))?;
    } else {
        let mode = if appends { "read and append" } else { "read-only" };
        out(format!("serving {} on http://{addr} ({mode})", s.db))?;
    }
    let timeout = Duration::from_secs(a.timeout);
    let cfg = Config {
        readers,
        writes,
        limits: ConnLimits {
            max_connections: a.max_connections as usize,
            header_timeout: timeout,
            drain: timeout,
        },
        request_timeout: timeout,
    };
    crate::serve::run(cfg, listener).map_err(|e| Failure::env(e.to_string()))?;
    Ok(super::exit::OK)
}
