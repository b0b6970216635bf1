//! `echoctl emergency …`: clap types only.

use super::WriterArgs;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum EmergencyCommand {
    /// Set who holds the emergency role and the resume quorum (k of n, k >= 2). The first
    /// time needs only the ledger's key; once roles exist, k approvals of the current
    /// quorum (collected with --print-statement and 'emergency sign').
    Roles {
        /// A verifier key that may halt, open and close break-glass windows (repeatable).
        #[arg(long = "emergency-key", value_name = "VKEY", required = true)]
        emergency: Vec<String>,
        /// A verifier key of the resume quorum (repeatable).
        #[arg(long = "resume-key", value_name = "VKEY", required = true)]
        resume: Vec<String>,
        /// How many distinct resume keys must sign a resume (at least 2).
        #[arg(long, value_name = "K")]
        quorum: usize,
        /// A signature of the current quorum over this statement (repeatable).
        #[arg(long = "approval", value_name = "FILE")]
        approvals: Vec<PathBuf>,
        /// Print the statement to sign instead of writing anything.
        #[arg(long)]
        print_statement: bool,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// Halt an area (all, wealth, bft, court, treasury): every command that acts there
    /// is refused until a resume. Signed by a key of the emergency role.
    Halt {
        /// What stops.
        #[arg(long, default_value = "all", value_name = "AREA")]
        area: String,
        /// Why (recorded, and shown by every refusal).
        #[arg(long)]
        reason: String,
        /// The emergency key that signs the halt: a key file, or hsm:ID.
        #[arg(long = "as", value_name = "FILE|hsm:ID")]
        role_key: String,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// Lift a halt with the signatures of k distinct keys of the resume quorum.
    Resume {
        /// The halt entry's id.
        #[arg(long)]
        halt: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// A signature of the resume statement ('emergency sign'), repeatable.
        #[arg(long = "signature", value_name = "FILE")]
        signatures: Vec<PathBuf>,
        /// Print the statement each signer signs instead of writing anything.
        #[arg(long)]
        print_statement: bool,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// Sign a statement printed by --print-statement (offline; no ledger needed).
    Sign {
        /// The statement file.
        statement: PathBuf,
        /// The signing key: a key file, or hsm:ID.
        #[arg(long = "as", value_name = "FILE|hsm:ID")]
        role_key: String,
        /// The YubiHSM2 for an hsm:ID key [env: ECHOCTL_HSM].
        #[arg(long, value_name = "URL")]
        hsm: Option<String>,
    },
    /// Open a break-glass window (at most 15 minutes) in which the named guards are
    /// bypassed by actions that name it; every such action is recorded with it.
    BreakGlass {
        /// A guard to bypass: risk-limits (repeatable).
        #[arg(long = "guard", value_name = "GUARD", required = true)]
        guards: Vec<String>,
        /// How long the window stays open, 1 to 15.
        #[arg(long)]
        minutes: u64,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The emergency key that signs it.
        #[arg(long = "as", value_name = "FILE|hsm:ID")]
        role_key: String,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// Close a break-glass window before its time.
    Close {
        /// The window's (break-glass entry's) id.
        window: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The emergency key that signs it.
        #[arg(long = "as", value_name = "FILE|hsm:ID")]
        role_key: String,
        #[command(flatten)]
        writer: WriterArgs,
    },
    /// What is in force now: halts, open windows with their minutes left, the roles.
    Status,
}
