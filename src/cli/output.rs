//! Rendering: JSON documents on stdout, comfy-table tables for people, progress bars on
//! stderr only when it is a terminal and not --quiet.

use super::settings::Settings;
use crate::error::{Error, Result};
use crate::ledger::entry::hex;
use crate::ledger::StoredEntry;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use comfy_table::{presets, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use std::io::Write;

/// The message of the error a closed stdout becomes; `cli::main` ends quietly on it.
pub const STDOUT_CLOSED: &str = "stdout was closed";

/// Maps a failed write to stdout: a reader that went away (`| head`, `| grep -m1`) ends
/// the command quietly, like any Unix tool; anything else is an environment error.
pub fn stdout_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::env(STDOUT_CLOSED)
    } else {
        Error::env(format!("cannot write to stdout: {e}"))
    }
}

/// Writes a line to stdout.
pub fn out(line: impl AsRef<str>) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", line.as_ref()).map_err(stdout_error)
}

/// Prints one JSON document.
pub fn json(v: &Value) -> Result<()> {
    out(serde_json::to_string(v).unwrap_or_else(|_| "null".into()))
}

/// A note for people on stderr, unless --quiet or --json.
pub fn note(s: &Settings, line: impl AsRef<str>) {
    if !s.quiet && !s.json {
        eprintln!("{}", line.as_ref());
    }
}

pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header(header.iter().copied());
    t
}

pub fn b64(h: &[u8]) -> String {
    B64.encode(h)
}

/// An entry as JSON: its fields plus its leaf hash.
pub fn entry_json(e: &StoredEntry) -> Value {
    let x = &e.entry;
    json!({
        "seq": x.seq, "id": x.id, "ts": x.ts, "kind": x.kind, "source": x.source,
        "content": x.content, "refs": x.refs, "prev": hex(&x.prev), "signer": x.signer,
        "v": x.v, "leaf": hex(&e.leaf),
    })
}

/// A compact one-line rendering of JSON content for tables.
pub fn compact(v: &serde_json::Map<String, Value>, max: usize) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max.saturating_sub(1)).collect::<String>())
    } else {
        s
    }
}

/// A progress bar for long work, hidden unless stderr is a terminal.
pub fn progress(s: &Settings, total: u64, what: &str) -> ProgressBar {
    if !s.progress || s.json {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(what.to_owned());
    pb
}

pub fn paint(s: &Settings, code: &str, text: &str) -> String {
    if s.color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}
