//! The clap types: the whole command line, and the single source of help text, man
//! pages and shell completions. No logic here.

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

ENVIRONMENT:
  ECHOCTL_DB         the ledger file (default ./echo.db); --db wins
  ECHOCTL_KEY        the signing key file; --key wins
  ECHOCTL_TIMESTAMP  pin the time stamped on entries (RFC 3339), for tests and demos
  ECHOCTL_SEED       pin randomness (entry ids, generated keys), for tests and demos
  ECHOCTL_LOCK_TIMEOUT  seconds a write waits for another writer (default 10), then exit 3
  XDG_CONFIG_HOME    where default key files live: $XDG_CONFIG_HOME/echoctl/keys
                     (else $HOME/.config/echoctl/keys)
  ECHOCTL_BINANCE_URL, ECHOCTL_KRAKEN_URL, ECHOCTL_COINBASE_URL
                     base URLs of the exchanges' public REST APIs (wealth)
  NO_COLOR           disable color when --color is auto";

/// echoctl: an operator toolkit with a tamper-evident, append-only ledger.
#[derive(Debug, Parser)]
#[command(name = "echoctl", version, about, max_term_width = 100, after_long_help = AFTER_HELP)]
pub struct Cli {
    /// The ledger file.
    #[arg(
        long,
        global = true,
        env = "ECHOCTL_DB",
        hide_env_values = true,
        default_value = "echo.db",
        value_name = "PATH"
    )]
    pub db: PathBuf,
    /// Print one JSON document (JSON Lines for streams) on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bars or notes on stderr (errors are still printed).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// When to use color.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
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
    /// Write shell completions or man pages (for packagers).
    #[command(subcommand, hide = true)]
    Generate(GenerateCommand),
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
}

/// Which keys sign: key files and keys in a YubiHSM2.
#[derive(Clone, Debug, Default, Args)]
pub struct SignArgs {
    /// A signing key: a key file, or hsm:ID for the key with that object id in the HSM
    /// named by --hsm. Repeat it to sign the checkpoint with several keys; the first
    /// is named as the entries' signer. Default: the ledger's default key file.
    #[arg(
        long = "key",
        env = "ECHOCTL_KEY",
        hide_env_values = true,
        value_name = "FILE|hsm:ID"
    )]
    pub keys: Vec<String>,
    /// The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or
    /// usb[:SERIAL]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD,
    /// or a prompt on a terminal.
    #[arg(long, env = "ECHOCTL_HSM", value_name = "URL")]
    pub hsm: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate an Ed25519 key, in a key file (mode 0600) or inside a YubiHSM2, and print
    /// its verifier key.
    Generate {
        /// The key name (for a ledger key: the ledger's origin).
        #[arg(long)]
        name: String,
        /// Where to write the key file; never overwritten.
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "hsm",
            conflicts_with = "hsm"
        )]
        out: Option<PathBuf>,
        /// Generate the key inside this YubiHSM2 instead (http://HOST:PORT or usb[:SERIAL]).
        /// Not read from ECHOCTL_HSM: where a new key lives is always said explicitly.
        #[arg(long, value_name = "URL", requires = "key_id")]
        hsm: Option<String>,
        /// The HSM object id for the new key (1-65535).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        key_id: Option<u16>,
    },
    /// Print the verifier key of a signing key (what auditors and CI pin).
    Show {
        /// The key (default: the ledger's default key file).
        #[command(flatten)]
        signing: SignArgs,
        /// Print the key's witness (cosigner, type 0x04) verifier key instead.
        #[arg(long)]
        witness: bool,
    },
    /// List the keys the ledger knows: genesis keys, additions, rotations, revocations.
    List,
    /// Import a key file into a YubiHSM2 as a non-exportable key. A one-way door: the HSM
    /// will never give the key back; destroy the file afterwards if the HSM is to be its
    /// only holder.
    Import {
        /// The key file.
        file: PathBuf,
        /// The YubiHSM2 (http://HOST:PORT or usb[:SERIAL]).
        #[arg(long, env = "ECHOCTL_HSM", value_name = "URL")]
        hsm: String,
        /// The HSM object id for the key (1-65535).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        key_id: u16,
    },
    /// Add a signing key to the ledger (for instance a second signer during a migration).
    Add {
        /// The new key's verifier key.
        vkey: String,
        /// Why it is added.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// Revoke a signing key: it may sign nothing after this entry.
    Revoke {
        /// The key to revoke: its verifier key or its identity (name+hex8).
        key: String,
        /// Why it is revoked.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// Rotate: add a new key and revoke an old one in one entry.
    Rotate {
        /// The new key's verifier key.
        vkey: String,
        /// The key it replaces (verifier key or identity; default: the signing key).
        #[arg(long, value_name = "KEY")]
        replaces: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        writer: WriterArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Append entries: one from --content, or many from --batch in one transaction.
    Append(AppendArgs),
    /// Append an amendment to an earlier entry (the entry itself is never changed).
    Amend(AmendArgs),
    /// Verify everything from the stored bytes; exit 1 on any tampering.
    Verify(VerifyArgs),
    /// List entries.
    Log(LogArgs),
    /// Show one entry, its amendments and its effective state.
    Show {
        /// Entry id (ULID) or seq number.
        id: String,
    },
    /// Print the latest signed checkpoint (C2SP signed note), or store witness cosignatures.
    Checkpoint(CheckpointArgs),
    /// Write a receipt for one entry (C2SP tlog-proof), or verify one offline.
    Proof(ProofArgs),
    /// Prove that the ledger extends an earlier checkpoint, or verify such a proof offline.
    Consistency(ConsistencyArgs),
    /// Write the whole ledger to one portable bundle file that verifies without SQLite.
    Export {
        /// The bundle file (written atomically); '-' for stdout.
        #[arg(long, value_name = "BUNDLE")]
        out: PathBuf,
    },
    /// Rebuild a ledger (at --db, which must not exist) from a bundle that verifies.
    Import {
        /// The bundle file.
        bundle: PathBuf,
        /// A verifier key the bundle's checkpoints must be signed by (repeatable).
        #[arg(long, value_name = "VKEY")]
        trust_key: Vec<String>,
    },
    /// Act as a witness: cosign checkpoints that are consistent with what it saw before.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// Compile the Reader Edition: the ledger as it stands, amendments applied, with trace links.
    Reader(ReaderArgs),
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

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Store the witness cosignature line(s) in FILE ('-' for stdin) with the checkpoint.
    #[arg(long, value_name = "FILE")]
    pub add_cosignature: Option<PathBuf>,
    /// The checkpoint of this tree size (default: the newest).
    #[arg(long, value_name = "SIZE")]
    pub size: Option<u64>,
}

/// Trust anchors for offline verification of proofs.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// A log verifier key the checkpoint must be signed by (repeatable).
    #[arg(long, value_name = "VKEY")]
    pub trust_key: Vec<String>,
    /// A C2SP tlog-policy file: trusted logs, witnesses and the cosignature quorum.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ProofArgs {
    #[command(subcommand)]
    pub verify: Option<ProofCommand>,
    /// The entry (id or seq) to prove.
    #[arg(required = true)]
    pub id: Option<String>,
    /// Prove against the checkpoint of this tree size (default: the newest).
    #[arg(long, value_name = "SIZE")]
    pub size: Option<u64>,
    /// Write the receipt to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ProofCommand {
    /// Verify a receipt with no ledger: the entry, its inclusion, the checkpoint's signature.
    Verify {
        /// The receipt file ('-' for stdin).
        receipt: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
}

#[derive(Debug, Args)]
pub struct ConsistencyArgs {
    /// The earlier checkpoint (a signed note file).
    #[arg(
        long,
        value_name = "CHECKPOINT",
        required_unless_present = "verify",
        conflicts_with = "verify"
    )]
    pub from: Option<PathBuf>,
    /// The later checkpoint (default: the ledger's newest).
    #[arg(long, value_name = "CHECKPOINT", conflicts_with = "verify")]
    pub to: Option<PathBuf>,
    /// Write the proof to FILE instead of stdout.
    #[arg(long, value_name = "FILE", conflicts_with = "verify")]
    pub out: Option<PathBuf>,
    /// Verify this consistency proof offline instead.
    #[arg(long, value_name = "PROOF")]
    pub verify: Option<PathBuf>,
    #[command(flatten)]
    pub trust: TrustArgs,
}

#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Print a cosignature/v1 line for CHECKPOINT if it is consistent with the last one
    /// this witness cosigned for its log (exit 1 on a stale or inconsistent checkpoint).
    Cosign {
        /// The checkpoint to cosign (signed note file, '-' for stdin).
        checkpoint: PathBuf,
        /// The witness's key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// A consistency proof from the last cosigned checkpoint to this one.
        #[arg(long, value_name = "FILE")]
        proof: Option<PathBuf>,
        /// The log's verifier key: the checkpoint must be signed by it.
        #[arg(long, value_name = "VKEY")]
        log_key: Option<String>,
        /// The witness state file (default: $XDG_CONFIG_HOME/echoctl/witness/<origin>.json).
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReaderFormat {
    Md,
    Html,
    Json,
}

#[derive(Debug, Args)]
pub struct ReaderArgs {
    /// Output format (default md; json with --json).
    #[arg(long, value_enum)]
    pub format: Option<ReaderFormat>,
    /// Write the edition to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Compile the edition as it stood at the checkpoint of this tree size.
    #[arg(long, value_name = "SIZE")]
    pub at: Option<u64>,
    /// Only entries of this kind (repeatable).
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Compile even if the ledger fails verification; the edition says so on its first line.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct AppendArgs {
    /// Entry kind: observation, decision, outcome, constraint or test.
    #[arg(long, required_unless_present = "batch")]
    pub kind: Option<String>,
    /// Who or what recorded the entry (default for batch lines without one).
    #[arg(long, required_unless_present = "batch")]
    pub source: Option<String>,
    /// The content: a JSON object, or '-' to read it from stdin.
    #[arg(long, value_name = "JSON", conflicts_with_all = ["content_file", "batch"], required_unless_present_any = ["content_file", "batch"])]
    pub content: Option<String>,
    /// Read the content (a JSON object) from a file.
    #[arg(long, value_name = "FILE", conflicts_with = "batch")]
    pub content_file: Option<PathBuf>,
    /// An earlier entry this one refers to (repeatable).
    #[arg(long = "ref", value_name = "ID", conflicts_with = "batch")]
    pub refs: Vec<String>,
    /// JSON Lines, one entry per line ({"kind","content","source"?,"refs"?}); '-' for stdin.
    #[arg(long, value_name = "FILE")]
    pub batch: Option<PathBuf>,
    #[command(flatten)]
    pub signing: SignArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AmendType {
    Clarification,
    Correction,
    Supersession,
    Withdrawal,
}

#[derive(Debug, Args)]
pub struct AmendArgs {
    /// The entry to amend (id or seq).
    pub entry: String,
    /// What kind of amendment.
    #[arg(long = "type", value_enum)]
    pub kind: AmendType,
    /// Why the amendment is made.
    #[arg(long)]
    pub reason: String,
    /// Corrected content (correction) or added content (clarification): a JSON object.
    #[arg(long, value_name = "JSON")]
    pub content: Option<String>,
    /// The entry that replaces the target (supersession).
    #[arg(long, value_name = "ID")]
    pub superseded_by: Option<String>,
    /// Who makes the amendment.
    #[arg(long, default_value = "operator")]
    pub source: String,
    #[command(flatten)]
    pub signing: SignArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A verifier key every checkpoint must be signed by (repeatable).
    #[arg(long, value_name = "VKEY")]
    pub trust_key: Vec<String>,
    /// A checkpoint (signed note file) the ledger must extend.
    #[arg(long, value_name = "FILE")]
    pub trust_checkpoint: Option<PathBuf>,
    /// Incremental: prove the ledger extends this trusted checkpoint and re-check only
    /// the entries after it.
    #[arg(long, value_name = "FILE")]
    pub since: Option<PathBuf>,
    /// A witness verifier key (type 0x04) whose cosignatures count (repeatable).
    #[arg(long, value_name = "VKEY")]
    pub trust_witness: Vec<String>,
    /// How many trusted witnesses must have cosigned the newest checkpoint (default 1
    /// with --trust-witness).
    #[arg(long, value_name = "K", requires = "trust_witness")]
    pub witness_quorum: Option<usize>,
    /// A C2SP tlog-policy file: trusted logs, witnesses and the cosignature quorum.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["trust_witness"])]
    pub policy: Option<PathBuf>,
    /// Verify an export bundle instead of the ledger file ('-' for stdin).
    #[arg(long, value_name = "BUNDLE", conflicts_with = "since")]
    pub bundle: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only entries of this kind.
    #[arg(long)]
    pub kind: Option<String>,
    /// Only entries after this entry id, or stamped at or after this RFC 3339 time.
    #[arg(long, value_name = "ID|TIME")]
    pub since: Option<String>,
    /// At most this many entries.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// Write bash, zsh and fish completions into DIR.
    Completions { dir: PathBuf },
    /// Write man pages into DIR.
    Man { dir: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum BftCommand {
    /// Run a validator: decide proposals with the other validators, record each decision
    /// with its certificate in this ledger (--db). Runs until stopped.
    Serve {
        /// The validators file (TOML).
        #[arg(long, env = "ECHOCTL_BFT_VALIDATORS", value_name = "FILE")]
        validators: PathBuf,
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
    },
    /// Submit a proposal, wait for the decision and print it with its certificate.
    /// Exit 0 approved, 1 rejected or not decided in time, 3 no quorum reachable.
    Propose {
        #[arg(long, env = "ECHOCTL_BFT_VALIDATORS", value_name = "FILE")]
        validators: PathBuf,
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
    },
    /// Give this operator's judgement on a pending proposal (a node with --policy manual).
    Vote {
        subject: String,
        #[arg(value_enum)]
        decision: BftDecision,
        /// Why (kept by the operator's shell history, not sent into the ledger).
        #[arg(long)]
        reason: Option<String>,
        /// The operator's own node.
        #[arg(long, env = "ECHOCTL_BFT_NODE", value_name = "ADDR")]
        node: std::net::SocketAddr,
    },
    /// Proposals waiting for this operator's judgement.
    Pending {
        #[arg(long, env = "ECHOCTL_BFT_NODE", value_name = "ADDR")]
        node: std::net::SocketAddr,
    },
    /// Validators, whether they answer, rounds in progress and recent decisions.
    Status {
        #[arg(long, env = "ECHOCTL_BFT_VALIDATORS", value_name = "FILE")]
        validators: PathBuf,
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
