//! Every domain error mapped to its exit status (0 success, 1 a negative result, 2 usage
//! or bad input, 3 the environment) and the hint that helps: the only place that names
//! commands, flags and environment variables for errors.

use super::exit::{Failure, ENVIRONMENT as ENV, NEGATIVE as NO, USAGE};
use crate::bft::kinds::BadCertificate;
use crate::bft::BftError;
use crate::court::CourtError;
use crate::ledger::amend::AmendError;
use crate::ledger::error::{Document, LedgerError};
use crate::ledger::kinds::USER_KINDS;
use crate::ledger::store::StoreError;
use crate::sign::SignError;
use crate::treasury::TreasuryError;
use crate::wealth::WealthError;

fn fail(code: u8, e: &dyn std::fmt::Display, hint: Option<String>) -> Failure {
    Failure {
        hint,
        ..Failure::new(code, e.to_string())
    }
}

fn with(code: u8, e: &dyn std::fmt::Display, hint: &str) -> Failure {
    fail(code, e, Some(hint.to_owned()))
}

const VERIFY: &str = "run 'echoctl ledger verify' to find the first bad entry";
const SHOW: &str = "'echoctl ledger show ID' shows an entry's amendments and status";
const KEYS: &str = "'echoctl key list' shows the ledger's keys; sign with an active one (--key)";
const OFFLINE: &str = "run offline from a recording with --snapshot FILE";

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        use StoreError as S;
        match &e {
            S::Missing(_) => with(
                ENV,
                &e,
                "create one with 'echoctl init', or point --db / ECHOCTL_DB at an existing ledger",
            ),
            S::Exists(_) => with(
                USAGE,
                &e,
                "a ledger is never overwritten: choose another path with --db",
            ),
            S::NotALedger(_) | S::NotADatabase(_) => with(
                USAGE,
                &e,
                "pass the ledger with --db or ECHOCTL_DB; create one with 'echoctl init'",
            ),
            S::Newer { .. } => with(USAGE, &e, "upgrade echoctl to read this ledger"),
            S::Unfinished { .. } => with(
                USAGE,
                &e,
                "a ledger is created whole by 'echoctl init'; this file is not one",
            ),
            S::Locked(_) => with(
                ENV,
                &e,
                "retry when the other echoctl process has finished (ECHOCTL_LOCK_TIMEOUT sets the wait)",
            ),
            S::Corrupt(_) => with(ENV, &e, "restore the ledger from a backup or an export bundle"),
            S::ReadOnly(_) => with(
                ENV,
                &e,
                "check the permissions of the ledger file and its directory",
            ),
            S::DiskFull(_) => with(ENV, &e, "free some space, then retry: nothing was written"),
            S::CannotOpen(_) | S::Directory { .. } => with(
                ENV,
                &e,
                "check that the path exists and that you may read and write it",
            ),
            S::Unavailable(_) => with(
                ENV,
                &e,
                "check that the database server is running and reachable, then retry: nothing was written",
            ),
            S::Auth(_) => with(
                ENV,
                &e,
                "check the user and password (in the URL, PGPASSWORD or ~/.pgpass) and the server's pg_hba.conf",
            ),
            S::BadLocation(_) => with(
                USAGE,
                &e,
                "a PostgreSQL ledger is a URL like postgres://USER@HOST:5432/DATABASE?sslmode=require",
            ),
            S::AppendOnly(_) => with(
                USAGE,
                &e,
                "entries are never changed: record a change with 'echoctl ledger amend'",
            ),
            S::RecordTaken { .. } | S::Engine(_) => with(ENV, &e, VERIFY),
        }
    }
}

impl From<LedgerError> for Failure {
    fn from(e: LedgerError) -> Self {
        use LedgerError as L;
        match e {
            L::Store(s) => s.into(),
            L::Sign(s) => s.into(),
            L::Amendment(a) => amendment(&a),
            L::Refused { reason, .. } => refused(reason),
            e => ledger(&e),
        }
    }
}

fn ledger(e: &LedgerError) -> Failure {
    use LedgerError as L;
    match e {
        L::Damaged(_) => with(ENV, e, VERIFY),
        L::Origin(_) => with(USAGE, e, "an origin names the log, e.g. 'example.com/ops-ledger'"),
        L::KeyName { .. } => with(
            USAGE,
            e,
            "a ledger's key is named after its origin: generate one with 'echoctl key generate --name ORIGIN'",
        ),
        L::UnknownKind { kind, owner } => with(USAGE, e, &written_by(kind, *owner)),
        L::Source => with(USAGE, e, "name who or what observed this with --source, e.g. --source ops"),
        L::DuplicateRef(_) => with(USAGE, e, "name each entry once with --ref"),
        L::NotFound { .. } => with(USAGE, e, "list entries with 'echoctl ledger log'"),
        L::TooLarge(_) => with(
            USAGE,
            e,
            "keep large documents outside the ledger and record their SHA-256 in the content",
        ),
        L::Empty => with(USAGE, e, "give --content, or a --batch file with at least one line"),
        L::Constraint(_) => with(USAGE, e, "see the rule language in docs/FORMAT.md (key, op, value, from, until)"),
        L::KeyRule(_) => with(USAGE, e, "'echoctl key list' shows the ledger's keys and their history"),
        L::Revoked { .. } | L::NotASigner(_) => with(USAGE, e, KEYS),
        L::Claimed { by, .. } => with(
            USAGE,
            e,
            &format!("it is recorded once: 'echoctl ledger show {by}' shows the entry that holds it"),
        ),
        L::NoOrder { .. } => with(USAGE, e, "only a court ruling orders amendments ('echoctl court rule')"),
        L::NoCheckpoint { nearest, .. } => {
            let near: Vec<String> = nearest.iter().map(u64::to_string).collect();
            with(
                USAGE,
                e,
                &format!(
                    "every command that appended wrote one checkpoint; the nearest sizes are: {}",
                    near.join(", ")
                ),
            )
        }
        L::NoCheckpoints => with(ENV, e, VERIFY),
        L::NotCovered { .. } => with(USAGE, e, "choose a later checkpoint with --size"),
        L::NotInTree { .. } => with(USAGE, e, "the index must be below the tree size"),
        L::Malformed { what, .. } => malformed(*what, e),
        L::Mismatch(_) => with(USAGE, e, "pass a checkpoint of this ledger, the older one first"),
        L::Invalid(_) => fail(NO, e, None),
        L::Diverged(crate::ledger::copy::Diverged::Published { .. } | crate::ledger::copy::Diverged::OtherLog { .. }) => with(
            NO,
            e,
            "nothing was written: it publishes another history (or a longer one); publish to a new directory",
        ),
        L::Diverged(crate::ledger::copy::Diverged::OtherMirror { .. }) => with(
            NO,
            e,
            "nothing was written: mirror each log into its own --db",
        ),
        L::Diverged(_) => with(
            NO,
            e,
            "the destination is not a copy of this source: nothing was written; copy into a new file or database",
        ),
        L::Unverified(_) => with(
            NO,
            e,
            "run 'echoctl ledger verify'; --force compiles an edition marked unverified",
        ),
        L::Io { .. } => with(ENV, e, "check the path, its permissions and the free space"),
        L::Worker => with(ENV, e, "retry; if it happens again, report it"),
        L::Random(_) => with(ENV, e, "retry; ECHOCTL_SEED pins randomness for tests and demos"),
        L::Store(_) | L::Sign(_) | L::Amendment(_) | L::Refused { .. } => fail(ENV, e, None),
    }
}

/// Which command writes a kind an operator may not append.
fn written_by(kind: &str, owner: Option<&str>) -> String {
    match (kind, owner) {
        ("amendment", _) => "amendments are written by 'echoctl ledger amend'".into(),
        ("genesis", _) => "the genesis entry is written by 'echoctl init'".into(),
        ("key", _) => "key entries are written by 'echoctl key add', 'key revoke' and 'key rotate'".into(),
        (_, Some("court")) => "cases and rulings are written by 'echoctl court'".into(),
        (_, Some("treasury")) => "tasks are written by 'echoctl treasury'".into(),
        (_, Some("wealth")) => "trades are written by 'echoctl wealth'".into(),
        (_, Some("watchtower")) => "watchtower events are written by 'echoctl watchtower scan'".into(),
        _ => format!("valid kinds: {}", USER_KINDS.join(", ")),
    }
}

fn malformed(what: Document, e: &LedgerError) -> Failure {
    let hint = match what {
        Document::Checkpoint => {
            "a checkpoint is a C2SP signed note, as 'echoctl ledger checkpoint' prints it"
        }
        Document::Cosignature => "a cosignature line is what 'echoctl ledger witness cosign' prints",
        Document::Receipt => "a receipt is written by 'echoctl ledger proof ID --out FILE'",
        Document::ConsistencyProof => {
            "a consistency proof is written by 'echoctl ledger consistency --from CHECKPOINT'"
        }
        Document::Bundle => "a bundle is written by 'echoctl ledger export'; see docs/FORMAT.md",
        Document::Policy if e.to_string().contains("quorum") => "add 'quorum none' or 'quorum <group>'",
        Document::Policy => "see the policy format in docs/FORMAT.md (log, witness, group, quorum lines)",
        Document::WitnessState => {
            return with(
                ENV,
                e,
                "remove the witness state file to start over from the next checkpoint",
            )
        }
        Document::VerifierState => {
            return with(
                ENV,
                e,
                "pass the --state file of this log, or remove it to verify the whole log again",
            )
        }
        Document::Content => r#"content is one JSON object, e.g. --content '{"text":"disk 93% full"}'"#,
    };
    with(USAGE, e, hint)
}

fn amendment(a: &AmendError) -> Failure {
    use AmendError as A;
    let hint = match a {
        A::NoCorrectedContent => "pass the corrected content with --content JSON",
        A::NoReplacement => "name the replacement with --superseded-by ID",
        A::NotASupersession => "only --type supersession takes --superseded-by",
        A::CarriesNoContent(_) => "drop --content: only corrections and clarifications carry content",
        A::NoReason => "say why with --reason TEXT",
        A::KeyEntry { .. } => "change keys with 'echoctl key add', 'key revoke' or 'key rotate'",
        _ => SHOW,
    };
    with(USAGE, a, hint)
}

/// A feature's append-time check refused an entry.
fn refused(reason: crate::ledger::error::Refusal) -> Failure {
    let reason = match reason.downcast::<CourtError>() {
        Ok(c) => return (*c).into(),
        Err(r) => r,
    };
    let reason = match reason.downcast::<TreasuryError>() {
        Ok(t) => return (*t).into(),
        Err(r) => r,
    };
    let reason = match reason.downcast::<crate::emergency::EmergencyError>() {
        Ok(e) => return (*e).into(),
        Err(r) => r,
    };
    let reason = match reason.downcast::<LedgerError>() {
        Ok(l) => return (*l).into(),
        Err(r) => r,
    };
    if reason.is::<BadCertificate>() {
        return with(
            USAGE,
            &reason,
            "a certificate is what 'echoctl bft propose' prints once validators decide",
        );
    }
    fail(USAGE, &reason, None)
}

impl From<SignError> for Failure {
    fn from(e: SignError) -> Self {
        use SignError as S;
        match &e {
            S::NoKey => with(USAGE, &e, "pass --key FILE (or hsm:ID with --hsm URL)"),
            S::Twice(_) => with(USAGE, &e, "give each --key once"),
            S::VerifierKey { .. } => with(
                USAGE,
                &e,
                "a verifier key looks like 'origin+1a2b3c4d+AbCd…', as printed by 'echoctl key show'",
            ),
            S::KeyName(_) | S::LabelTooLong(_) => with(USAGE, &e, "a key is named after its ledger's origin, e.g. example.com/ops"),
            S::KeyFileFormat(_) | S::KeyFile { .. } => {
                with(USAGE, &e, "a key file holds one PRIVATE+KEY+… line, as 'echoctl key generate' writes it")
            }
            S::ReadKeyFile { .. } => with(
                ENV,
                &e,
                "pass the key with --key FILE or ECHOCTL_KEY; create one with 'echoctl key generate'",
            ),
            S::KeyFileMode { path, .. } => with(ENV, &e, &format!("restrict it with 'chmod 600 {}'", path.display())),
            S::KeyFileExists(_) => with(USAGE, &e, "keys are never overwritten: choose another path with --out"),
            S::CreateKeyFile { .. } | S::Directory { .. } => {
                with(ENV, &e, "check that the directory exists and that you may write to it")
            }
            S::HsmAddress(_) => with(USAGE, &e, "use http://HOST:PORT (a yubihsm-connector) or usb[:SERIAL]"),
            S::HsmSerial(_) => with(USAGE, &e, "a YubiHSM2 serial number is decimal digits, e.g. usb:0012345678"),
            S::NoUsb => with(
                ENV,
                &e,
                "run yubihsm-connector and pass --hsm http://127.0.0.1:12345, or build echoctl with --features usb",
            ),
            S::HsmKeyTaken { .. } => with(USAGE, &e, "choose another --key-id; echoctl never overwrites a key"),
            S::HsmObjectExists { .. } => with(USAGE, &e, "choose another --key-id"),
            S::HsmNoKey { .. } => with(
                ENV,
                &e,
                "list its keys with yubihsm-shell, or create one with 'echoctl key generate --hsm URL --key-id N'",
            ),
            S::HsmPermission { .. } => with(ENV, &e, "use an authentication key with the sign-eddsa capability (ECHOCTL_HSM_AUTH_KEY)"),
            S::HsmFailed { .. } => with(ENV, &e, "check that the HSM and its connector are up, then retry"),
            S::HsmNotEd25519 { .. } | S::HsmLabel { .. } | S::HsmPublicKey(_) | S::HsmMismatch => {
                with(ENV, &e, "point --key hsm:ID at the Ed25519 key echoctl made or imported")
            }
            S::HsmBadSignature(_) => with(ENV, &e, "nothing was written; check the HSM before signing again"),
            S::HsmNoSession { .. } => with(
                ENV,
                &e,
                "a YubiHSM2 holds 16 sessions and frees idle ones after 30 s; wait and retry (see README, 'Keys in a YubiHSM2')",
            ),
            S::HsmAuth { .. } => with(
                ENV,
                &e,
                "set ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or enter the password when asked",
            ),
            S::HsmUnreachable { .. } => with(
                ENV,
                &e,
                "is yubihsm-connector running (and the HSM plugged in)? check --hsm / ECHOCTL_HSM",
            ),
        }
    }
}

impl From<BftError> for Failure {
    fn from(e: BftError) -> Self {
        use BftError as B;
        match e {
            B::Ledger(l) => l.into(),
            B::Sign(s) => s.into(),
            e => match &e {
                B::ReadValidators { .. } => with(
                    ENV,
                    &e,
                    "pass the validators file with --validators or ECHOCTL_BFT_VALIDATORS",
                ),
                B::Validators { .. } => with(USAGE, &e, "see the validators file in docs/PROTOCOL.md §3"),
                B::Subject(_) => with(USAGE, &e, "a subject is 1 to 256 bytes without control characters"),
                B::NotMyKey(_) => with(USAGE, &e, "sign with this validator's own key (--key)"),
                B::Listen { .. } => with(ENV, &e, "choose another --listen address, or stop what holds the port"),
                B::SetHistory { .. } => with(
                    USAGE,
                    &e,
                    "propose the new set with the old one first: echoctl bft propose --validators OLD --new-validators NEW",
                ),
                B::Unreachable { .. } | B::Protocol { .. } | B::NoAnswer(_) => {
                    with(ENV, &e, "check that the validator runs (echoctl bft serve) and its address")
                }
                B::Refused { .. } => with(USAGE, &e, "the validator said why; see docs/PROTOCOL.md for what it accepts"),
                B::NoQuorum { .. } => with(
                    ENV,
                    &e,
                    "start the validators (echoctl bft serve) or check the addresses in the validators file",
                ),
                B::Ledger(_) | B::Sign(_) => fail(ENV, &e, None),
            },
        }
    }
}

impl From<WealthError> for Failure {
    fn from(e: WealthError) -> Self {
        use WealthError as W;
        match e {
            W::Ledger(l) => l.into(),
            e => match &e {
                W::Venue(_) => with(USAGE, &e, "venues: binance, kraken, coinbase"),
                W::Fees(_) => with(USAGE, &e, "see the fees file in the README ('Wealth engine')"),
                W::FeeKey(_) => with(USAGE, &e, "keys: taker; kraken also volume_30d"),
                W::Snapshot(_) => with(
                    USAGE,
                    &e,
                    "a snapshot bundle is written by 'echoctl wealth record'",
                ),
                W::Altered(_) => fail(NO, &e, None),
                W::HttpClient(_) => with(ENV, &e, OFFLINE),
                W::Network(_) => with(
                    ENV,
                    &e,
                    "check the network, or run offline from a recording with --snapshot FILE",
                ),
                W::RateLimited(_) => with(
                    ENV,
                    &e,
                    "wait and try again, or run offline from a recording with --snapshot FILE",
                ),
                W::Exchange(_) => with(
                    ENV,
                    &e,
                    "the venue's own words are above; or run offline from a recording with --snapshot FILE",
                ),
                W::NoMarkets(_) => with(
                    USAGE,
                    &e,
                    "name pairs as BASE/QUOTE with --symbols, e.g. --symbols BTC/USDT,ETH/BTC",
                ),
                W::KillSwitch(_) => with(
                    NO,
                    &e,
                    "after review, clear it with 'echoctl wealth reset-kill-switch --reason TEXT'",
                ),
                W::ZeroSize => with(USAGE, &e, "--size takes an amount above zero"),
                W::Risk(_) => with(
                    NO,
                    &e,
                    "trade a smaller --size, or raise --max-position or --capital",
                ),
                W::NoReason => with(USAGE, &e, "say why with --reason TEXT"),
                W::NotLatched => with(USAGE, &e, "'echoctl wealth pnl' shows the day's trades"),
                W::Worker => with(ENV, &e, "retry; if it happens again, report it"),
                W::Ledger(_) => fail(ENV, &e, None),
            },
        }
    }
}

impl From<CourtError> for Failure {
    fn from(e: CourtError) -> Self {
        use CourtError as C;
        match e {
            C::Ledger(l) => l.into(),
            e => match &e {
                C::NoDescription => with(USAGE, &e, "describe the contradiction with --description TEXT"),
                C::GenesisInCase => with(USAGE, &e, "name the entries that disagree with --entry ID"),
                C::TooFewEntries => with(USAGE, &e, "name them with --entry ID --entry ID"),
                C::RulingRefs | C::NotACase { .. } | C::CaseNotFound(_) => {
                    with(USAGE, &e, "list cases with 'echoctl court list'")
                }
                C::NoDecision => with(USAGE, &e, "pass --decision TEXT and --reasoning TEXT"),
                C::Closed { .. } => with(
                    USAGE,
                    &e,
                    "a case is decided once; open a new case for a new contradiction",
                ),
                C::NotInCase { .. } => with(
                    USAGE,
                    &e,
                    "a ruling may only amend the entries of its case ('echoctl court show CASE')",
                ),
                C::Ledger(_) => fail(ENV, &e, None),
            },
        }
    }
}

impl From<TreasuryError> for Failure {
    fn from(e: TreasuryError) -> Self {
        use TreasuryError as T;
        match e {
            T::Ledger(l) => l.into(),
            e => match &e {
                T::NoName => with(USAGE, &e, "name the task with --task"),
                T::Risk(_) => with(USAGE, &e, "risk is low, medium, high or critical"),
                T::Amount { .. } => with(USAGE, &e, "write amounts as plain decimals, e.g. 1250.00"),
                T::ZeroCost => with(USAGE, &e, "give the task's --cost, above zero"),
                T::Recorded(_) => with(USAGE, &e, "settle it with 'echoctl treasury settle'"),
                T::NotRecorded(_) => with(USAGE, &e, "record it with 'echoctl treasury record'"),
                T::Settled(_) => with(USAGE, &e, "'echoctl treasury roi' shows it"),
                T::Action => with(USAGE, &e, "tasks are written by 'echoctl treasury'"),
                T::Ledger(_) => fail(ENV, &e, None),
            },
        }
    }
}

impl From<crate::clock::RandomError> for Failure {
    fn from(e: crate::clock::RandomError) -> Self {
        LedgerError::from(e).into()
    }
}

impl From<crate::emergency::EmergencyError> for Failure {
    fn from(e: crate::emergency::EmergencyError) -> Self {
        use crate::emergency::EmergencyError as E;
        const ROLES: &str =
            "'echoctl emergency status' shows the roles; sign with a key that holds one (--as)";
        match e {
            E::Ledger(l) => l.into(),
            E::Sign(s) => s.into(),
            e => match &e {
                E::NoReason => with(USAGE, &e, "say why with --reason TEXT"),
                E::Area(_) => with(USAGE, &e, "e.g. --area wealth"),
                E::Guard(_) => with(USAGE, &e, "e.g. --guard risk-limits"),
                E::Minutes(_) => with(USAGE, &e, "e.g. --minutes 15"),
                E::NoRoles => with(
                    USAGE,
                    &e,
                    "set them first: 'echoctl emergency roles --emergency-key VKEY --resume-key VKEY --resume-key VKEY --quorum 2'",
                ),
                E::NotEmergencyKey(_) | E::NotInQuorum(_) => with(USAGE, &e, ROLES),
                E::Quorum { .. } => with(USAGE, &e, "list at least two resume keys, and a quorum from 2 to their number"),
                E::TooFewSignatures { .. } | E::BadSignature(_) => with(
                    USAGE,
                    &e,
                    "each signer runs 'echoctl emergency sign STATEMENT --as KEY' on the statement --print-statement wrote; pass each file with --signature",
                ),
                E::NoSuchHalt(_) | E::NoSuchWindow(_) => with(USAGE, &e, "'echoctl emergency status' shows what is in force"),
                E::Halted { .. } => with(
                    USAGE,
                    &e,
                    "'echoctl emergency status' shows the halt; k keys of the resume quorum lift it with 'echoctl emergency resume'",
                ),
                E::ClockBehind => with(ENV, &e, "check the system clock (ECHOCTL_TIMESTAMP pins it for tests)"),
                E::Malformed(_) => with(USAGE, &e, VERIFY),
                E::Ledger(_) | E::Sign(_) => fail(ENV, &e, None),
            },
        }
    }
}
