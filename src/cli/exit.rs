//! Error kinds to exit codes, and the `error:` / `hint:` text on stderr.

use crate::error::{Error, ErrorKind};
use std::process::ExitCode;

pub const OK: u8 = 0;
pub const NEGATIVE: u8 = 1;
pub const USAGE: u8 = 2;
pub const ENVIRONMENT: u8 = 3;

pub fn code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Invalid => NEGATIVE,
        ErrorKind::Input => USAGE,
        ErrorKind::Environment => ENVIRONMENT,
    }
}

/// Prints the error and its hint on stderr and returns the exit code.
pub fn report(e: &Error, color: bool) -> ExitCode {
    let (red, bold, reset) = if color {
        ("\x1b[31m", "\x1b[1m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    eprintln!("{red}{bold}error:{reset} {}", e.message);
    if let Some(h) = &e.hint {
        eprintln!("{bold}hint:{reset} {h}");
    }
    ExitCode::from(code(e.kind))
}
