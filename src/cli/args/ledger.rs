//! The clap types of `init`, `key` and `ledger`.

use super::{SignArgs, WriterArgs};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

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
        /// The YubiHSM2 (http://HOST:PORT or usb[:SERIAL]) [env: ECHOCTL_HSM].
        #[arg(long, value_name = "URL")]
        hsm: Option<String>,
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
    /// Copy a ledger into another, between any two engines (PostgreSQL to a SQLite file and
    /// back): only what the destination lacks, refusing one that has diverged, then verify it.
    Copy {
        /// The source: a file or a postgres:// URL [default: --db].
        #[arg(long, value_name = "PATH|URL")]
        from: Option<std::ffi::OsString>,
        /// The destination: a file or a postgres:// URL (created when missing).
        #[arg(long, value_name = "PATH|URL")]
        to: std::ffi::OsString,
    },
    /// Write the ledger as C2SP tlog-tiles (checkpoint, hash tiles, entry bundles) into DIR,
    /// for any static web server; a second run writes only what the tree grew.
    Tiles {
        /// The directory (created when missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Do not wait for each file to reach the disk before renaming it into place.
        #[arg(long)]
        no_sync: bool,
    },
    /// Keep a verified local copy (--db) of a log served as tlog-tiles: only what is new,
    /// committed only when the whole log verifies; a log that rewrote history is refused.
    Mirror {
        /// The log's base URL (under which /checkpoint is served).
        #[arg(long, value_name = "URL")]
        url: String,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Act as a witness: cosign checkpoints that are consistent with what it saw before.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// Compile the Reader Edition: the ledger as it stands, amendments applied, with trace links.
    Reader(ReaderArgs),
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Store the witness cosignature line(s) in FILE ('-' for stdin) with the checkpoint;
    /// each must verify for it under a --witness-key.
    #[arg(long, value_name = "FILE", requires = "witness_key")]
    pub add_cosignature: Option<PathBuf>,
    /// A witness verifier key (type 0x04, 'echoctl key show --witness') whose cosignatures
    /// --add-cosignature accepts, or the key of the --witness given in the same place
    /// (repeatable).
    #[arg(long, value_name = "VKEY")]
    pub witness_key: Vec<String>,
    /// Ask the witness at this URL (c2sp.org/tlog-witness) to cosign the newest
    /// checkpoint, and store its cosignature; the n-th --witness is checked with the n-th
    /// --witness-key (repeatable).
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "add_cosignature",
        requires = "witness_key"
    )]
    pub witness: Vec<String>,
    /// Ask the witnesses of the config file ([[witness]] with url and key) instead.
    #[arg(long, conflicts_with_all = ["add_cosignature", "witness"])]
    pub ask_witnesses: bool,
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
        /// The witness state: a store shared with 'witness serve', a file or a postgres://
        /// URL (default: $XDG_CONFIG_HOME/echoctl/witness.db).
        #[arg(long, value_name = "DB")]
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
    /// Verify a log from its tlog-tiles alone ('ledger tiles' output, or a copy of one).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["since", "bundle", "trust_checkpoint", "url"])]
    pub tiles: Option<PathBuf>,
    /// Verify a served log from its tlog-tiles alone ('echoctl serve', or any static host
    /// of 'ledger tiles' output): the base URL under which /checkpoint is served.
    #[arg(long, value_name = "URL", conflicts_with_all = ["since", "bundle", "trust_checkpoint"])]
    pub url: Option<String>,
    /// With --tiles or --url: the verifier's memory of the log; only what is new since the
    /// run that wrote it is read, and a log that rewrote history fails (created when
    /// missing, updated when the log verifies).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
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
