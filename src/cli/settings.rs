//! Settings resolved in one place: flag > ECHOCTL_* environment > default. Only the CLI
//! reads the environment.

use super::args::{Cli, ColorChoice};
use crate::clock::{parse_rfc3339, Clock};
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub struct Settings {
    pub db: PathBuf,
    pub json: bool,
    pub quiet: bool,
    pub color: bool,
    pub progress: bool,
}

impl Settings {
    pub fn resolve(cli: &Cli) -> Self {
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
            }
        };
        Settings {
            db: cli.db.clone(),
            json: cli.json,
            quiet: cli.quiet,
            color,
            progress: !cli.quiet && std::io::stderr().is_terminal(),
        }
    }
}

/// The clock for this command: `ECHOCTL_TIMESTAMP` and `ECHOCTL_SEED` pin it.
pub fn clock() -> Result<Clock> {
    let mut c = Clock::system();
    if let Some(ts) = std::env::var_os("ECHOCTL_TIMESTAMP").filter(|v| !v.is_empty()) {
        let ts = ts.to_string_lossy();
        c.now = parse_rfc3339(&ts).ok_or_else(|| {
            Error::input(format!("ECHOCTL_TIMESTAMP={ts:?} is not an RFC 3339 time"))
                .hint("e.g. ECHOCTL_TIMESTAMP=2026-01-01T00:00:00Z")
        })?;
    }
    if let Some(seed) = std::env::var_os("ECHOCTL_SEED").filter(|v| !v.is_empty()) {
        c.seed = Some(Sha256::digest(seed.as_encoded_bytes()).into());
    }
    Ok(c)
}

/// Where keys live by default: $XDG_CONFIG_HOME/echoctl/keys, else ~/.config/echoctl/keys.
pub fn key_dir() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| Path::new(&h).join(".config"))
        })
        .ok_or_else(|| {
            Error::env("neither XDG_CONFIG_HOME nor HOME is set, so there is no default key location")
                .hint("pass the key file with --key FILE or ECHOCTL_KEY")
        })?;
    Ok(base.join("echoctl").join("keys"))
}

/// The default key file of a ledger with this origin.
pub fn default_key_path(origin: &str) -> Result<PathBuf> {
    Ok(key_dir()?.join(format!("{}.key", file_safe(origin))))
}

/// `ECHOCTL_LOCK_TIMEOUT` (seconds): how long a write waits for another writer.
pub fn lock_timeout() -> Result<Option<std::time::Duration>> {
    let Some(v) = std::env::var_os("ECHOCTL_LOCK_TIMEOUT").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let v = v.to_string_lossy();
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
        .map(|s| Some(std::time::Duration::from_secs_f64(s)))
        .ok_or_else(|| Error::input(format!("ECHOCTL_LOCK_TIMEOUT={v:?} is not a number of seconds")))
}

/// Where a witness remembers a log: $XDG_CONFIG_HOME/echoctl/witness/<origin>.json.
pub fn witness_state_path(origin: &str) -> Result<PathBuf> {
    let dir = key_dir()?.with_file_name("witness");
    Ok(dir.join(format!("{}.json", file_safe(origin))))
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
