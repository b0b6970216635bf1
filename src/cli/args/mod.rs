//! The clap types: the whole command line, and the single source of help text, man
//! pages and shell completions. No logic here, and no defaults that the environment or
//! the config file may override: `settings` resolves those.

mod emergency;
mod features;
mod ledger;

pub use emergency::*;
pub use features::*;
pub use ledger::*;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
EXIT STATUS:
  0  success (verify: the ledger is valid)
  1  a negative result: verification failed (tampering found), an invalid proof or
     bundle, a witness refusing a stale or forked checkpoint, a watchtower finding at or
     above --fail-on, no arbitrage found (wealth scan), a risk refusal or latched kill
     switch (wealth trade), a replay that disagrees or an altered snapshot bundle
  2  usage or bad input: malformed JSON, unknown kind, missing entry, oversized content,
     a file that is not a ledger, a ledger newer than this echoctl
  3  environment: ledger missing, locked or corrupt; key file missing or unreadable;
     HSM, peer or exchange unreachable, or an exchange error or rate limit

ENVIRONMENT (a flag wins over its variable, a variable over the config file):
  ECHOCTL_DB         the ledger file (default ./echo.db)
  ECHOCTL_KEY        the signing key: a key file, or hsm:ID
  ECHOCTL_HSM        the YubiHSM2 of hsm:ID keys (http://HOST:PORT or usb[:SERIAL])
  ECHOCTL_HSM_AUTH_KEY  the HSM authentication key id (default 1)
  ECHOCTL_HSM_PASSWORD  its password (else asked on the terminal; never in the config)
  ECHOCTL_LOCK_TIMEOUT  seconds a write waits for another writer (default 10), then exit 3
                     (bft serve logs the failed write and retries it)
  ECHOCTL_BFT_VALIDATORS  the validators file of the bft commands
  ECHOCTL_BFT_NODE   the operator's own validator (bft vote, bft pending)
  ECHOCTL_LOG        what bft serve logs to stderr: error, warn, info (default), debug, trace
  ECHOCTL_BINANCE_URL, ECHOCTL_KRAKEN_URL, ECHOCTL_COINBASE_URL
                     base URLs of the exchanges' public REST APIs (wealth)
  ECHOCTL_CONFIG     the config file (default $XDG_CONFIG_HOME/echoctl/config.toml,
                     else $HOME/.config/echoctl/config.toml)
  ECHOCTL_TIMESTAMP  pin the time stamped on entries (RFC 3339), for tests and demos
  ECHOCTL_SEED       pin randomness (entry ids, generated keys), for tests and demos
  ECHOCTL_BFT_CRASH  tests only: abort a validator around its Nth vote
  XDG_CONFIG_HOME    where default key files live: $XDG_CONFIG_HOME/echoctl/keys
                     (else $HOME/.config/echoctl/keys)
  NO_COLOR           disable color when --color is not given";

/// echoctl: an operator toolkit with a tamper-evident, append-only ledger.
#[derive(Debug, Parser)]
#[command(name = "echoctl", version, about, max_term_width = 100, after_long_help = AFTER_HELP)]
pub struct Cli {
    /// The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db].
    #[arg(long, global = true, value_name = "PATH|URL")]
    pub db: Option<PathBuf>,
    /// Print one JSON document (JSON Lines for streams) on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bars or notes on stderr (errors are still printed).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// When to use color [default: auto: unless NO_COLOR is set, when stderr is a
    /// terminal].
    #[arg(long, global = true, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new ledger with its genesis entry and first signed checkpoint.
    Init(InitArgs),
    /// Manage signing keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Append to, amend, read and verify the ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Byzantine-fault-tolerant decisions among validators over TCP.
    #[command(subcommand)]
    Bft(BftCommand),
    /// Open cases on conflicting entries and decide them with rulings that amend the ledger.
    #[command(subcommand)]
    Court(CourtCommand),
    /// Record what tasks cost and return; report ROI in exact decimals.
    #[command(subcommand)]
    Treasury(TreasuryCommand),
    /// Verify the ledger and record the contradictions it can prove.
    #[command(subcommand)]
    Watchtower(WatchtowerCommand),
    /// Exact arbitrage scans over exchange order books and paper trading under risk
    /// limits, every decision and fill in the ledger.
    #[command(subcommand)]
    Wealth(WealthCommand),
    /// Serve the ledger over HTTP: C2SP tlog-tiles, entries, receipts, consistency
    /// proofs, /health, /metrics and /openapi.json; with --tokens also POST /entries
    /// (runs until SIGTERM or SIGINT).
    Serve(ServeArgs),
    /// A witness on the network (c2sp.org/tlog-witness): cosigns the checkpoints of the
    /// logs it follows, each only if consistent with the last it cosigned.
    #[command(subcommand)]
    Witness(WitnessNetCommand),
    /// Bearer tokens for 'echoctl serve --tokens': add, list, remove.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Emergency powers: a signed halt, a k-of-n resume, a break-glass window of at most
    /// 15 minutes, all in the ledger.
    #[command(subcommand)]
    Emergency(EmergencyCommand),
    /// Write shell completions or man pages (for packagers).
    #[command(subcommand, hide = true)]
    Generate(GenerateCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0: any free port, printed on stdout).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Requests answered at once: one read-only database connection each.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub readers: u16,
    /// Accept POST /entries from the bearer tokens in this file ('echoctl token add');
    /// without it the server is read-only.
    #[arg(long, value_name = "FILE")]
    pub tokens: Option<PathBuf>,
    /// Signs the checkpoints of appended entries (with --tokens).
    #[command(flatten)]
    pub signing: SignArgs,
    /// Entries per second each token may append (a burst of one second's worth); 0: no
    /// limit.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub rate: u32,
    /// Entries per transaction when concurrent requests are batched.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_max: u32,
    /// How long a batch's first request waits for more, in milliseconds (0: it takes
    /// only those already waiting).
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub batch_age_ms: u64,
    /// Open connections at most; more wait in the listen backlog.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_connections: u32,
    /// Seconds a request's head, its body, and its answer may each take.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum WitnessNetCommand {
    /// Serve POST /add-checkpoint (and /metrics) until SIGTERM or SIGINT.
    Serve {
        /// The witness key: its name names the witness in cosignatures.
        #[command(flatten)]
        signing: SignArgs,
        /// The logs to follow (TOML: [[log]] with origin, keys and an optional rate).
        #[arg(long, value_name = "FILE")]
        logs: PathBuf,
        /// Where the witness remembers what it cosigned: a file (SQLite, created if
        /// missing) or a postgres:// URL.
        #[arg(long, value_name = "DB")]
        state: String,
        /// The address to listen on (port 0: any free port, printed on stdout).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8081")]
        listen: String,
        /// Open connections at most; more wait in the listen backlog.
        #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=65_536))]
        max_connections: u32,
        /// Seconds a request's head, its body, and its answer may each take.
        #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        timeout: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Add a token and print its secret, once (the file keeps only its SHA-256).
    Add {
        /// The token's name: entries it appends record 'token:NAME' as their source.
        name: String,
        /// The token file (created if missing, mode 0600).
        #[arg(long, value_name = "FILE")]
        tokens: PathBuf,
        /// Limit the token to this kind (repeatable); default: every user kind.
        #[arg(long = "kind", value_name = "KIND")]
        kinds: Vec<String>,
    },
    /// List the tokens: names and kinds.
    List {
        #[arg(long, value_name = "FILE")]
        tokens: PathBuf,
    },
    /// Remove a token: a running server stops taking it when restarted.
    Remove {
        name: String,
        #[arg(long, value_name = "FILE")]
        tokens: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The log's origin: names the ledger in checkpoints and names its key.
    #[arg(long, value_name = "NAME")]
    pub origin: Option<String>,
    /// Use existing keys instead of generating a key file: the first is named after the
    /// origin; every one given becomes a genesis key.
    #[command(flatten)]
    pub signing: SignArgs,
    /// Emergency powers from the start: a key of the emergency role (repeatable; needs
    /// --resume-key and --resume-quorum). Later changes need the resume quorum.
    #[arg(long = "emergency-key", value_name = "VKEY", requires = "resume_quorum")]
    pub emergency_keys: Vec<String>,
    /// A key of the resume quorum (repeatable).
    #[arg(long = "resume-key", value_name = "VKEY", requires = "resume_quorum")]
    pub resume_keys: Vec<String>,
    /// How many distinct resume keys lift a halt (at least 2).
    #[arg(long, value_name = "K", requires_all = ["emergency_keys", "resume_keys"])]
    pub resume_quorum: Option<usize>,
    /// PostgreSQL only: also create (if missing) the role ROLE, allowed to append and
    /// read and nothing else (no UPDATE, DELETE, TRUNCATE or DDL): grant it to CI's login.
    #[arg(long = "pg-writer-role", value_name = "ROLE")]
    pub pg_writer_role: Option<String>,
}

/// Which keys sign: key files and keys in a YubiHSM2.
#[derive(Clone, Debug, Default, Args)]
pub struct SignArgs {
    /// A signing key: a key file, or hsm:ID for the key with that object id in the HSM
    /// named by --hsm. Repeat it to sign the checkpoint with several keys; the first
    /// is named as the entries' signer [env: ECHOCTL_KEY] [default: the ledger's
    /// default key file].
    #[arg(long = "key", value_name = "FILE|hsm:ID")]
    pub keys: Vec<String>,
    /// The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or
    /// usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and
    /// ECHOCTL_HSM_PASSWORD, or a prompt on a terminal.
    #[arg(long, value_name = "URL")]
    pub hsm: Option<String>,
}

/// Who signs, and as whom an entry is recorded.
#[derive(Debug, Args)]
pub struct WriterArgs {
    #[command(flatten)]
    pub signing: SignArgs,
    /// Who records the entries.
    #[arg(long, default_value = "operator")]
    pub source: String,
}

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// Write bash, zsh and fish completions into DIR.
    Completions { dir: PathBuf },
    /// Write man pages into DIR.
    Man { dir: PathBuf },
}
