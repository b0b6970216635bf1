//! Exit statuses, and the one error type of the command line: what to print (`error:`
//! then `hint:`) and which status to exit with. Domain errors become a `Failure` at this
//! boundary (`hints` decides their status and words their hint).

use std::process::ExitCode;

pub const OK: u8 = 0;
pub const NEGATIVE: u8 = 1;
pub const USAGE: u8 = 2;
pub const ENVIRONMENT: u8 = 3;

/// A command that did not succeed: its exit status, its message and a hint.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
    pub hint: Option<String>,
    /// End without a word: the reader of our stdout went away.
    pub silent: bool,
}

pub type Result<T, E = Failure> = std::result::Result<T, E>;

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            hint: None,
            silent: false,
        }
    }

    /// Usage or bad input (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(USAGE, message)
    }

    /// The environment (exit 3).
    pub fn env(message: impl Into<String>) -> Self {
        Self::new(ENVIRONMENT, message)
    }

    /// A negative result (exit 1).
    pub fn negative(message: impl Into<String>) -> Self {
        Self::new(NEGATIVE, message)
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A hint only where the domain gave none.
    #[must_use]
    pub fn or_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint.get_or_insert_with(|| hint.into());
        self
    }

    /// Prefixes the message with context ("reading key file x: ...").
    #[must_use]
    pub fn context(mut self, ctx: impl std::fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }

    /// The reader of stdout went away (`| head`): nothing left to say to anyone.
    pub fn closed() -> Self {
        Failure {
            silent: true,
            ..Self::new(OK, "stdout was closed")
        }
    }
}

/// Prints the error and its hint on stderr and returns the exit code. Text that came
/// from a file or a peer is shown with its control characters escaped.
pub fn report(e: &Failure, color: bool) -> ExitCode {
    if e.silent {
        return ExitCode::from(e.code);
    }
    let (red, bold, reset) = if color {
        ("\x1b[31m", "\x1b[1m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    eprintln!(
        "{red}{bold}error:{reset} {}",
        super::output::printable(&e.message)
    );
    if let Some(h) = &e.hint {
        eprintln!("{bold}hint:{reset} {}", super::output::printable(h));
    }
    ExitCode::from(e.code)
}
