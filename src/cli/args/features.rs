//! The clap types of `court`, `treasury`, `watchtower`, `bft` and `wealth`.

use super::{AmendType, SignArgs, WriterArgs};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CourtCommand {
    /// Open a case about two or more conflicting entries.
    Open {
        /// An entry of the case (id or seq; repeat for each).
        #[arg(long = "entry", value_name = "ID", required = true)]
        entries: Vec<String>,
        /// What the conflict is.
        #[arg(long)]
        description: String,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// List cases.
    List {
        /// Only open cases.
        #[arg(long, conflicts_with = "closed")]
        open: bool,
        /// Only decided cases.
        #[arg(long)]
        closed: bool,
    },
    /// Show a case, the current state of its entries, and its ruling.
    Show {
        /// The case id (or seq).
        case: String,
    },
    /// Decide a case: a ruling and the amendments it orders, in one transaction.
    Rule {
        /// The case id (or seq).
        case: String,
        /// What the court decided.
        #[arg(long)]
        decision: String,
        /// Why.
        #[arg(long)]
        reasoning: String,
        /// An entry of the case to amend; the --type, --content and --superseded-by after
        /// it belong to it (repeatable).
        #[arg(long = "amend", value_name = "ID")]
        amend: Vec<String>,
        /// The amendment type for the preceding --amend.
        #[arg(long = "type", value_enum)]
        types: Vec<AmendType>,
        /// Content (a JSON object) for the preceding --amend.
        #[arg(long, value_name = "JSON")]
        content: Vec<String>,
        /// The replacement for a supersession, for the preceding --amend.
        #[arg(long, value_name = "ID")]
        superseded_by: Vec<String>,
        /// Have the BFT validators of this file decide the ruling first; it is written
        /// only if they approve it, with their certificate (exit 1 if they reject it or do
        /// not decide in time, 3 without a quorum).
        #[arg(long, value_name = "VALIDATORS")]
        quorum: Option<PathBuf>,
        /// How long to wait for the validators, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 20.0, requires = "quorum")]
        timeout: f64,
        #[command(flatten)]
        writer: WriterArgs,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum TreasuryCommand {
    /// Record a task with its cost, risk and expected value.
    Record {
        #[arg(long)]
        task: String,
        /// The cost, a plain decimal (e.g. 1250.00).
        #[arg(long)]
        cost: String,
        #[arg(long, value_enum)]
        risk: Severity,
        /// The value expected, a plain decimal.
        #[arg(long)]
        expected_value: String,
        /// What evidence will show the value was delivered.
        #[arg(long)]
        proof_burden: String,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// Settle a task with the value it actually returned.
    Settle {
        task: String,
        #[arg(long)]
        actual_value: String,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// Cost, expected and actual value, and ROI of every task (or one).
    Roi { task: Option<String> },
}

#[derive(Debug, Subcommand)]
pub enum WatchtowerCommand {
    /// Verify, find contradictions and constraint violations, record new findings.
    Scan {
        /// Exit 1 when a finding is at least this severe.
        #[arg(long, value_enum, default_value_t = Severity::High)]
        fail_on: Severity,
        /// Open a court case for each new finding.
        #[arg(long)]
        open_cases: bool,
        #[command(flatten)]
        writer: WriterArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum BftCommand {
    /// Run a validator: decide proposals with the other validators, record each decision
    /// with its certificate in this ledger (--db). Runs until stopped.
    Serve {
        /// The validators file (TOML) [env: ECHOCTL_BFT_VALIDATORS].
        #[arg(long, value_name = "FILE")]
        validators: Option<PathBuf>,
        /// This validator's key (its entry in the validators file is found by it); it also
        /// signs this node's ledger.
        #[command(flatten)]
        signing: SignArgs,
        /// Where to listen (default: this validator's address in the file).
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// auto: approve what passes the checks (docs/PROTOCOL.md §6); manual: wait for
        /// 'echoctl bft vote'.
        #[arg(long, value_enum, default_value = "auto")]
        policy: BftPolicy,
        /// Serve Prometheus metrics over HTTP on this address.
        #[arg(long, value_name = "ADDR")]
        metrics: Option<std::net::SocketAddr>,
        /// The first round's timeout in milliseconds (it grows by half of it per round).
        #[arg(long, value_name = "MS", default_value_t = 400, value_parser = clap::value_parser!(u64).range(10..=600_000))]
        timeout_ms: u64,
        /// Release an undecided subject that no other validator has voted on for this
        /// many seconds: its budget is freed and it may be submitted again
        /// (docs/PROTOCOL.md §7).
        #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        release_after: u64,
    },
    /// Submit a proposal, wait for the decision and print it with its certificate.
    /// Exit 0 approved, 1 rejected or not decided in time, 3 no quorum reachable.
    Propose {
        /// The validators file (TOML) [env: ECHOCTL_BFT_VALIDATORS].
        #[arg(long, value_name = "FILE")]
        validators: Option<PathBuf>,
        /// What is decided (1 to 256 bytes); one decision per subject, ever. Default with
        /// --new-validators: validator-set/CLUSTER/epoch-N.
        #[arg(long, required_unless_present = "new_validators")]
        subject: Option<String>,
        /// The proposal: a JSON object.
        #[arg(
            long,
            value_name = "JSON",
            required_unless_present = "new_validators",
            conflicts_with = "new_validators"
        )]
        content: Option<String>,
        /// Propose moving to this validators file (the next epoch of the same cluster):
        /// the current set decides it like any proposal.
        #[arg(long, value_name = "FILE")]
        new_validators: Option<PathBuf>,
        /// How long to wait for the decision, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
        timeout: f64,
        /// Sign the proposal with this proposer key (a key file, or hsm:ID with --hsm):
        /// required by validators whose file lists proposers.
        #[arg(long = "key", value_name = "FILE|hsm:ID")]
        key: Option<String>,
        /// The YubiHSM2 holding an hsm:ID key [env: ECHOCTL_HSM].
        #[arg(long, value_name = "URL")]
        hsm: Option<String>,
    },
    /// Give this operator's judgement on a pending proposal (a node with --policy manual).
    Vote {
        subject: String,
        #[arg(value_enum)]
        decision: BftDecision,
        /// Why (kept by the operator's shell history, not sent into the ledger).
        #[arg(long)]
        reason: Option<String>,
        /// The operator's own node [env: ECHOCTL_BFT_NODE].
        #[arg(long, value_name = "ADDR")]
        node: Option<std::net::SocketAddr>,
    },
    /// Proposals waiting for this operator's judgement.
    Pending {
        /// The operator's own node [env: ECHOCTL_BFT_NODE].
        #[arg(long, value_name = "ADDR")]
        node: Option<std::net::SocketAddr>,
    },
    /// Validators, whether they answer, rounds in progress and recent decisions.
    Status {
        /// The validators file (TOML) [env: ECHOCTL_BFT_VALIDATORS].
        #[arg(long, value_name = "FILE")]
        validators: Option<PathBuf>,
        /// How long to wait for all the answers, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
        timeout: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BftPolicy {
    Auto,
    Manual,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BftDecision {
    Approve,
    Reject,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VenueArg {
    Binance,
    Kraken,
    Coinbase,
}

/// Where live books come from and how they are fetched.
#[derive(Clone, Debug, Args)]
pub struct LiveArgs {
    /// Fetch live from this venue's public REST API (repeat for several). Base URLs:
    /// ECHOCTL_BINANCE_URL, ECHOCTL_KRAKEN_URL, ECHOCTL_COINBASE_URL.
    #[arg(long = "exchange", value_enum, value_name = "VENUE")]
    pub exchanges: Vec<VenueArg>,
    /// Markets to fetch, as BASE/QUOTE (comma-separated), mapped through each venue's
    /// market list. Default: every market between two of --assets.
    #[arg(long, value_delimiter = ',', value_name = "BASE/QUOTE")]
    pub symbols: Vec<String>,
    /// Assets whose markets are fetched when --symbols is not given.
    #[arg(long, value_delimiter = ',', default_value = "BTC,ETH,SOL,USDT,USDC,USD,EUR")]
    pub assets: Vec<String>,
    /// Levels per side to fetch.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub depth: u32,
    /// Time-out of one request, connection to last byte.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub timeout_ms: u64,
    /// Retries after a time-out, a connection error, HTTP 5xx or 429 (with backoff).
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// The longest Retry-After or rate-limit wait honoured before giving up.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub max_wait: u64,
    /// Minimum gap between requests to one venue. Default: the venue's public rate
    /// (Kraken 1000, Coinbase 100, Binance by request weight).
    #[arg(long, value_name = "MS")]
    pub pace_ms: Option<u64>,
}

/// What a scan looks for.
#[derive(Clone, Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub live: LiveArgs,
    /// Run offline from a snapshot bundle written by 'wealth record'.
    #[arg(long, value_name = "FILE", conflicts_with = "exchanges")]
    pub snapshot: Option<PathBuf>,
    /// Smallest net profit reported, in basis points of the size.
    #[arg(long, default_value = "0", value_name = "BPS")]
    pub min_profit: String,
    /// Capital, in --asset: the position limit is --max-position of it.
    #[arg(long, default_value = "10000", value_name = "AMOUNT")]
    pub capital: String,
    /// The asset cycles start and end in.
    #[arg(long, default_value = "USDT")]
    pub asset: String,
    /// Longest cycle: 3 (cross-venue pairs and triangles) or 4 (and four-leg cycles).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(3..=4))]
    pub max_legs: u8,
    /// Fee schedule (TOML) overriding the defaults; see the README.
    #[arg(long, value_name = "FILE")]
    pub fees: Option<PathBuf>,
    /// Largest position per cycle, as a fraction of capital.
    #[arg(long, default_value = "0.10", value_name = "FRACTION")]
    pub max_position: String,
    /// A book older than this (against the newest book scanned) is rejected as stale.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub max_age_ms: i64,
    /// A cycle whose books were fetched further apart than this is rejected.
    #[arg(long, default_value_t = 5_000, value_name = "MS")]
    pub max_skew_ms: i64,
    /// The recording round of the snapshot to scan.
    #[arg(long, default_value_t = 0)]
    pub round: u32,
}

#[derive(Debug, Subcommand)]
pub enum WealthCommand {
    /// Record market lists and order books into a snapshot bundle (raw bodies verbatim).
    Record {
        #[command(flatten)]
        live: LiveArgs,
        /// Passes over the books (for --latency fills against later books).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        rounds: u32,
        /// Pause between rounds.
        #[arg(long, default_value_t = 1000, value_name = "MS")]
        interval_ms: u64,
        /// Where to write the bundle.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Find profitable cycles, sized exactly against book depth; exit 1 when none.
    Scan {
        #[command(flatten)]
        scan: ScanArgs,
        /// Opportunities listed at most.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Also record the scan decision in the ledger.
        #[arg(long)]
        record: bool,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// Paper-trade an opportunity under the risk limits; every fill goes into the ledger.
    Trade {
        /// The opportunity id from 'wealth scan'.
        #[arg(required_unless_present = "best", conflicts_with = "best")]
        opportunity: Option<String>,
        /// Trade the best-ranked opportunity.
        #[arg(long)]
        best: bool,
        /// Paper trading (the default and the only mode).
        #[arg(long)]
        paper: bool,
        /// Live order placement: refused, not supported.
        #[arg(long, conflicts_with = "paper")]
        live: bool,
        #[command(flatten)]
        scan: ScanArgs,
        /// Position size in --asset (default: the opportunity's best size).
        #[arg(long, value_name = "AMOUNT")]
        size: Option<String>,
        /// Fill each leg against the first book recorded this long after the scanned one.
        #[arg(long, default_value_t = 0, value_name = "MS")]
        latency: i64,
        /// Stop-loss on stranded inventory, as a fraction of the position.
        #[arg(long, default_value = "0.02", value_name = "FRACTION")]
        stop_loss: String,
        /// Largest realised loss per UTC day before the kill switch latches, in --asset
        /// (default 2% of capital).
        #[arg(long, value_name = "AMOUNT")]
        daily_loss_limit: Option<String>,
        /// Where snapshots are kept for replay (default: the ledger path + .snapshots).
        #[arg(long, value_name = "DIR")]
        snapshot_dir: Option<PathBuf>,
        /// Trade under this open break-glass window (its entry id): the risk limits it
        /// opens are bypassed, and the trade names it ('echoctl emergency break-glass').
        #[arg(long, value_name = "WINDOW")]
        break_glass: Option<String>,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// Recompute every recorded trade from the ledger and its snapshots; exit 1 on any
    /// difference.
    Replay {
        /// A snapshot bundle to use (repeatable); the snapshot directory is searched too.
        #[arg(long, value_name = "FILE")]
        snapshot: Vec<PathBuf>,
        /// Where snapshots are kept (default: the ledger path + .snapshots).
        #[arg(long, value_name = "DIR")]
        snapshot_dir: Option<PathBuf>,
    },
    /// Realised profit and loss of every recorded trade, and the totals per asset.
    Pnl,
    /// Clear a latched kill switch, recording why.
    ResetKillSwitch {
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        writer: WriterArgs,
    },
}
