//! Settings, resolved in one place: flag > `ECHOCTL_*` environment variable > config file
//! > default. This is the only code that reads the environment.
//!
//! The config file is `$ECHOCTL_CONFIG`, else `$XDG_CONFIG_HOME/echoctl/config.toml`,
//! else `$HOME/.config/echoctl/config.toml` (a missing default file is no error). Paths in
//! it are relative to the directory that holds it. Secrets (the HSM password) and the
//! test pins (`ECHOCTL_TIMESTAMP`, `ECHOCTL_SEED`, `ECHOCTL_BFT_CRASH`) are never read from
//! it.
//!
//! ```toml
//! db = "/var/lib/echo/ops.db"
//! key = ["ops.key", "hsm:7"]     # or one string
//! hsm = "http://127.0.0.1:12345"
//! hsm_auth_key = 1
//! lock_timeout = 10              # seconds
//! connect_timeout = 10           # seconds (PostgreSQL)
//! color = "auto"                 # auto | always | never
//! [bft]
//! validators = "validators.toml"
//! node = "127.0.0.1:7100"
//! [wealth]
//! binance_url = "https://api.binance.com"
//! kraken_url = "https://api.kraken.com"
//! coinbase_url = "https://api.coinbase.com"
//! ```

use super::args::{Cli, ColorChoice};
use super::exit::{Failure, Result};
use crate::bft::node::CrashPoint;
use crate::clock::{parse_rfc3339, Clock};
use crate::ledger::store::{Location, PgDefaults};
use crate::wealth::Venue;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The config file's shape; unknown keys are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    db: Option<PathBuf>,
    key: Option<OneOrMany>,
    hsm: Option<String>,
    hsm_auth_key: Option<u16>,
    lock_timeout: Option<f64>,
    connect_timeout: Option<f64>,
    color: Option<String>,
    #[serde(default)]
    bft: BftConfig,
    #[serde(default)]
    wealth: WealthConfig,
    /// The witnesses `ledger checkpoint --ask-witnesses` asks.
    #[serde(default)]
    witness: Vec<WitnessConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WitnessConfig {
    url: String,
    key: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BftConfig {
    validators: Option<PathBuf>,
    node: Option<String>,
    log: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WealthConfig {
    binance_url: Option<String>,
    kraken_url: Option<String>,
    coinbase_url: Option<String>,
}

/// Everything a command needs from outside its arguments.
pub struct Settings {
    /// The ledger: a file, or a PostgreSQL URL (print it with `Display`: no password).
    pub db: Location,
    pub json: bool,
    pub quiet: bool,
    pub color: bool,
    pub progress: bool,
    /// The config file read, if any.
    pub config_path: Option<PathBuf>,
    env: HashMap<String, OsString>,
    config: Config,
}

/// Color for error messages before (or without) the full settings.
pub fn early_color(cli: &Cli) -> bool {
    color(cli.color, std::env::var_os("NO_COLOR").as_deref(), None)
}

fn color(flag: Option<ColorChoice>, no_color: Option<&std::ffi::OsStr>, config: Option<&str>) -> bool {
    match flag {
        Some(ColorChoice::Always) => true,
        Some(ColorChoice::Never) => false,
        _ if no_color.is_some_and(|v| !v.is_empty()) => false,
        _ => match config {
            Some("always") => true,
            Some("never") => false,
            _ => std::io::stderr().is_terminal(),
        },
    }
}

impl Settings {
    /// Reads the environment once, then the config file.
    pub fn resolve(cli: &Cli) -> Result<Self> {
        let env: HashMap<String, OsString> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
            .collect();
        let mut s = Settings {
            db: Location::File(PathBuf::new()),
            json: cli.json,
            quiet: cli.quiet,
            color: false,
            progress: !cli.quiet && std::io::stderr().is_terminal(),
            config_path: None,
            env,
            config: Config::default(),
        };
        s.load_config()?;
        if let Some(c) = &s.config.color {
            if !matches!(c.as_str(), "auto" | "always" | "never") {
                return Err(s.config_error(format!("color = {c:?} is not auto, always or never")));
            }
        }
        s.color = color(
            cli.color,
            s.env.get("NO_COLOR").map(OsString::as_os_str),
            s.config.color.as_deref(),
        );
        let db = match (&cli.db, s.env.get("ECHOCTL_DB").filter(|v| !v.is_empty())) {
            (Some(db), _) => Location::parse(db.as_os_str()),
            (None, Some(db)) => Location::parse(db),
            (None, None) => match s.config.db.as_deref() {
                Some(db) if crate::ledger::store::is_postgres_url(&db.to_string_lossy()) => {
                    Location::parse(db.as_os_str())
                }
                db => Location::File(s.config_file_path(db).unwrap_or_else(|| "echo.db".into())),
            },
        };
        s.db = db.with_defaults(s.pg_defaults()?);
        Ok(s)
    }

    /// A location named on the command line (a path, or a URL with libpq's defaults).
    pub fn location(&self, s: &std::ffi::OsStr) -> Result<Location> {
        Ok(Location::parse(s).with_defaults(self.pg_defaults()?))
    }

    /// libpq's variables, for a PostgreSQL ledger.
    fn pg_defaults(&self) -> Result<PgDefaults> {
        let home = self.var("HOME").map(PathBuf::from);
        Ok(PgDefaults {
            connect_timeout: self.connect_timeout()?,
            host: self.var("PGHOST"),
            user: self.var("PGUSER").or_else(|| self.var("USER")),
            dbname: self.var("PGDATABASE"),
            password: self.var("PGPASSWORD"),
            passfile: self
                .var("PGPASSFILE")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".pgpass"))),
            root_cert: self.var("PGSSLROOTCERT").map(PathBuf::from).or_else(|| {
                home.map(|h| h.join(".postgresql/root.crt"))
                    .filter(|p| p.is_file())
            }),
        })
    }

    /// A variable's value, when set and not empty.
    fn var(&self, name: &str) -> Option<String> {
        self.env
            .get(name)
            .filter(|v| !v.is_empty())
            .map(|v| v.to_string_lossy().into_owned())
    }

    fn load_config(&mut self) -> Result<()> {
        let (path, required) = match self.var("ECHOCTL_CONFIG") {
            Some(p) => (PathBuf::from(p), true),
            None => match self.config_dir() {
                Some(dir) => (dir.join("config.toml"), false),
                None => return Ok(()),
            },
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(()),
            Err(e) => {
                return Err(
                    Failure::env(format!("cannot read config file {}: {e}", path.display()))
                        .hint("ECHOCTL_CONFIG names the config file; unset it to use the default"),
                )
            }
        };
        self.config_path = Some(path);
        self.config = toml::from_str(&text).map_err(|e| self.config_error(e.message().to_owned()))?;
        Ok(())
    }

    fn config_error(&self, why: String) -> Failure {
        let path = self.config_path.as_deref().unwrap_or(Path::new("config.toml"));
        Failure::usage(format!("config file {}: {why}", path.display()))
            .hint("see the config file in the README ('Settings'); unknown keys are refused")
    }

    /// A path from the config file: relative to the file's directory.
    fn config_file_path(&self, p: Option<&Path>) -> Option<PathBuf> {
        let p = p?;
        match self.config_path.as_deref().and_then(Path::parent) {
            Some(dir) if p.is_relative() => Some(dir.join(p)),
            _ => Some(p.to_owned()),
        }
    }

    /// $XDG_CONFIG_HOME/echoctl, else ~/.config/echoctl.
    fn config_dir(&self) -> Option<PathBuf> {
        let base = self
            .var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| self.var("HOME").map(|h| Path::new(&h).join(".config")))?;
        Some(base.join("echoctl"))
    }

    /// The clock for this command: `ECHOCTL_TIMESTAMP` and `ECHOCTL_SEED` pin it.
    pub fn clock(&self) -> Result<Clock> {
        let mut c = Clock::system();
        if let Some(ts) = self.var("ECHOCTL_TIMESTAMP") {
            c.now = parse_rfc3339(&ts).ok_or_else(|| {
                Failure::usage(format!("ECHOCTL_TIMESTAMP={ts:?} is not an RFC 3339 time"))
                    .hint("e.g. ECHOCTL_TIMESTAMP=2026-01-01T00:00:00Z")
            })?;
        }
        if let Some(seed) = self.env.get("ECHOCTL_SEED").filter(|v| !v.is_empty()) {
            c.seed = Some(Sha256::digest(seed.as_encoded_bytes()).into());
        }
        Ok(c)
    }

    /// A clock for long-running work (a validator): the time now at each call, or the
    /// pinned time; the pinned seed either way.
    pub fn clock_source(&self) -> Result<Box<dyn Fn() -> Clock + Send>> {
        let c = self.clock()?;
        let pinned = self.var("ECHOCTL_TIMESTAMP").is_some();
        Ok(Box::new(move || Clock {
            now: if pinned { c.now } else { Clock::system().now },
            seed: c.seed,
        }))
    }

    /// The signing keys: --key, else ECHOCTL_KEY, else the config file's `key`.
    pub fn keys(&self, flags: &[String]) -> Vec<String> {
        if !flags.is_empty() {
            return flags.to_vec();
        }
        if let Some(k) = self.var("ECHOCTL_KEY") {
            return vec![k];
        }
        let from_config = match &self.config.key {
            Some(OneOrMany::One(k)) => vec![k.clone()],
            Some(OneOrMany::Many(ks)) => ks.clone(),
            None => Vec::new(),
        };
        from_config
            .into_iter()
            .map(|k| match k.starts_with("hsm:") {
                true => k,
                false => self
                    .config_file_path(Some(Path::new(&k)))
                    .map_or(k, |p| p.display().to_string()),
            })
            .collect()
    }

    /// The YubiHSM2 of hsm:ID keys: --hsm, else ECHOCTL_HSM, else the config file's.
    pub fn hsm(&self, flag: Option<&str>) -> Option<String> {
        flag.map(str::to_owned)
            .or_else(|| self.var("ECHOCTL_HSM"))
            .or_else(|| self.config.hsm.clone())
    }

    /// The HSM authentication key id: ECHOCTL_HSM_AUTH_KEY, else the config file's, else 1.
    pub fn hsm_auth_key(&self) -> Result<u16> {
        match self.var("ECHOCTL_HSM_AUTH_KEY") {
            Some(v) => v.parse::<u16>().ok().filter(|&k| k > 0).ok_or_else(|| {
                Failure::usage(format!(
                    "ECHOCTL_HSM_AUTH_KEY={v:?} is not an object id (1-65535)"
                ))
                .hint("the authentication key id the HSM was set up with; 1 is the factory default")
            }),
            None => Ok(self.config.hsm_auth_key.unwrap_or(1)),
        }
    }

    /// The HSM password: ECHOCTL_HSM_PASSWORD, else asked on the terminal (no echo).
    pub fn hsm_password(&self, key_id: u16) -> Result<String> {
        if let Some(p) = self.env.get("ECHOCTL_HSM_PASSWORD") {
            return Ok(p.to_string_lossy().into_owned());
        }
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            return rpassword::prompt_password(format!("password for HSM authentication key {key_id}: "))
                .map_err(|e| Failure::env(format!("cannot read the HSM password: {e}")));
        }
        Err(Failure::env(
            "no HSM password: ECHOCTL_HSM_PASSWORD is not set and there is no terminal to ask on",
        )
        .hint("export ECHOCTL_HSM_PASSWORD (and ECHOCTL_HSM_AUTH_KEY if not 1) from your secret store"))
    }

    /// `ECHOCTL_LOCK_TIMEOUT`, else the config file's `lock_timeout` (seconds).
    pub fn lock_timeout(&self) -> Result<Option<Duration>> {
        self.seconds("ECHOCTL_LOCK_TIMEOUT", self.config.lock_timeout, "lock_timeout")
    }

    /// `ECHOCTL_CONNECT_TIMEOUT`, else the config file's `connect_timeout` (seconds): how
    /// long connecting to a database server may take, where its URL does not say.
    fn connect_timeout(&self) -> Result<Option<Duration>> {
        self.seconds(
            "ECHOCTL_CONNECT_TIMEOUT",
            self.config.connect_timeout,
            "connect_timeout",
        )
    }

    fn seconds(&self, var: &str, config: Option<f64>, key: &str) -> Result<Option<Duration>> {
        let (text, from) = match (self.var(var), config) {
            (Some(v), _) => (v, var.to_owned()),
            (None, Some(s)) => (s.to_string(), format!("{key} in the config file")),
            (None, None) => return Ok(None),
        };
        text.parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && (0.0..=86_400.0).contains(s))
            .map(|s| Some(Duration::from_secs_f64(s)))
            .ok_or_else(|| {
                Failure::usage(format!("{from} = {text:?} is not a number of seconds"))
                    .hint("a number of seconds from 0 to 86400, e.g. 10")
            })
    }

    /// Where keys live by default: <config dir>/keys.
    pub fn key_dir(&self) -> Result<PathBuf> {
        self.config_dir().map(|d| d.join("keys")).ok_or_else(|| {
            Failure::env("neither XDG_CONFIG_HOME nor HOME is set, so there is no default key location")
                .hint("pass the key file with --key FILE or ECHOCTL_KEY")
        })
    }

    /// The default key file of a ledger with this origin.
    pub fn default_key_path(&self, origin: &str) -> Result<PathBuf> {
        Ok(self.key_dir()?.join(format!("{}.key", file_safe(origin))))
    }

    /// Where a witness remembers a log: <config dir>/witness/<origin>.json.
    /// The offline witness's state (`ledger witness cosign`): one store for every origin.
    pub fn witness_state_path(&self) -> Result<PathBuf> {
        Ok(self.key_dir()?.with_file_name("witness.db"))
    }

    /// The validators file: --validators, else ECHOCTL_BFT_VALIDATORS, else the config's.
    pub fn validators(&self, flag: Option<&Path>) -> Result<PathBuf> {
        flag.map(Path::to_owned)
            .or_else(|| self.var("ECHOCTL_BFT_VALIDATORS").map(PathBuf::from))
            .or_else(|| self.config_file_path(self.config.bft.validators.as_deref()))
            .ok_or_else(|| {
                Failure::usage("no validators file given")
                    .hint("pass --validators FILE, or set ECHOCTL_BFT_VALIDATORS")
            })
    }

    /// The operator's own validator: --node, else ECHOCTL_BFT_NODE, else the config's.
    pub fn node(&self, flag: Option<SocketAddr>) -> Result<SocketAddr> {
        if let Some(a) = flag {
            return Ok(a);
        }
        let (text, from) = match (self.var("ECHOCTL_BFT_NODE"), &self.config.bft.node) {
            (Some(v), _) => (v, "ECHOCTL_BFT_NODE"),
            (None, Some(v)) => (v.clone(), "bft.node in the config file"),
            (None, None) => {
                return Err(Failure::usage("no validator address given")
                    .hint("pass --node ADDR (your own validator), or set ECHOCTL_BFT_NODE"))
            }
        };
        text.parse().map_err(|_| {
            Failure::usage(format!("{from} = {text:?} is not an IP:PORT address")).hint("e.g. 127.0.0.1:7100")
        })
    }

    /// A venue's base URL: ECHOCTL_<VENUE>_URL, else the config file's.
    /// The config file's witnesses: (URL, verifier key) in the order listed.
    pub fn witnesses(&self) -> Vec<(String, String)> {
        self.config
            .witness
            .iter()
            .map(|w| (w.url.clone(), w.key.clone()))
            .collect()
    }

    pub fn exchange_url(&self, v: Venue) -> Option<String> {
        let var = format!("ECHOCTL_{}_URL", v.as_str().to_uppercase());
        self.var(&var).or_else(|| match v {
            Venue::Binance => self.config.wealth.binance_url.clone(),
            Venue::Kraken => self.config.wealth.kraken_url.clone(),
            Venue::Coinbase => self.config.wealth.coinbase_url.clone(),
        })
    }

    /// What a validator logs to stderr: `ECHOCTL_LOG`, else the config file's `bft.log`,
    /// else `info` (`warn` with --quiet). One of error, warn, info, debug, trace.
    /// Installs the log of a long-running command (`serve`, `bft serve`): plain lines on
    /// stderr, no colours, at `log_level`.
    pub fn install_log(&self) -> Result<()> {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_target(false)
            .with_max_level(self.log_level()?)
            .try_init();
        Ok(())
    }

    pub fn log_level(&self) -> Result<tracing::Level> {
        let (text, from) = match (self.var("ECHOCTL_LOG"), &self.config.bft.log) {
            (Some(v), _) => (v, "ECHOCTL_LOG"),
            (None, Some(v)) => (v.clone(), "bft.log in the config file"),
            (None, None) => {
                return Ok(if self.quiet {
                    tracing::Level::WARN
                } else {
                    tracing::Level::INFO
                })
            }
        };
        text.parse::<tracing::Level>().map_err(|_| {
            Failure::usage(format!("{from} = {text:?} is not a log level"))
                .hint("one of error, warn, info, debug, trace")
        })
    }

    /// ECHOCTL_BFT_CRASH=before-persist:N|after-persist:N: a test hook that aborts a
    /// validator around its Nth vote.
    pub fn bft_crash(&self) -> Result<Option<CrashPoint>> {
        let Some(v) = self.var("ECHOCTL_BFT_CRASH") else {
            return Ok(None);
        };
        if !cfg!(feature = "crash-points") {
            return Err(
                Failure::usage(format!("ECHOCTL_BFT_CRASH={v:?}: this build has no crash points"))
                    .hint("a test hook, compiled only into test builds (the crash-points feature); unset it"),
            );
        }
        let bad = || {
            Failure::usage(format!(
                "ECHOCTL_BFT_CRASH={v:?}: expected before-persist:N or after-persist:N"
            ))
            .hint("a test hook; unset it to run normally")
        };
        let (at, n) = v.split_once(':').ok_or_else(bad)?;
        let n: u64 = n.parse().map_err(|_| bad())?;
        match at {
            "before-persist" => Ok(Some(CrashPoint::BeforePersist(n))),
            "after-persist" => Ok(Some(CrashPoint::AfterPersist(n))),
            _ => Err(bad()),
        }
    }
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
