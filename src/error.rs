//! The one error type of the domain: a kind (which exit status the CLI maps it to), a
//! message a person can act on, and an optional hint. Domain code never exits or prints.

use std::fmt;

/// What went wrong, coarsely: the CLI turns this into the documented exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A negative result: tampering found, an invalid proof (exit 1).
    Invalid,
    /// Usage or bad input: malformed JSON, unknown kind, missing entry (exit 2).
    Input,
    /// The environment: database missing or locked, unreadable key file (exit 3).
    Environment,
}

/// An error with a kind, a message and an optional hint.
#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
        }
    }
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Input, message)
    }
    pub fn env(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Environment, message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// Prefixes the message with context ("reading key file x: ...").
    #[must_use]
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        if let rusqlite::Error::SqliteFailure(code, msg) = &e {
            let detail = msg.clone().unwrap_or_else(|| code.to_string());
            return match code.code {
                C::DatabaseBusy | C::DatabaseLocked => {
                    Error::env(format!("the database is locked by another process ({detail})"))
                        .hint("retry when the other echoctl process has finished")
                }
                C::NotADatabase => Error::input("the file is not an echoctl ledger (not a SQLite database)")
                    .hint("pass the ledger with --db or ECHOCTL_DB; create one with 'echoctl init'"),
                C::DatabaseCorrupt => Error::env(format!("the database file is corrupt ({detail})"))
                    .hint("restore the ledger from a backup or an export bundle"),
                C::ConstraintViolation if detail.contains("append-only") => Error::input(detail)
                    .hint("entries are never changed: record a change with 'echoctl ledger amend'"),
                C::ReadOnly => Error::env(format!("the database is read-only ({detail})")),
                C::DiskFull => Error::env(format!("the disk is full ({detail})")),
                C::CannotOpen => Error::env(format!("cannot open the database ({detail})")),
                _ => Error::env(format!("database error: {detail}")),
            };
        }
        Error::env(format!("database error: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::env(format!("I/O error: {e}"))
    }
}
