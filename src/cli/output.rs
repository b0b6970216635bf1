//! Rendering: typed JSON documents on stdout, comfy-table tables for people, progress bars
//! on stderr only when it is a terminal and not --quiet, and text from files and peers
//! made safe to show on a terminal.

use super::exit::{Failure, Result};
use super::settings::Settings;
use comfy_table::{presets, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::io::Write;

/// Maps a failed write to stdout: a reader that went away (`| head`, `| grep -m1`) ends
/// the command quietly, like any Unix tool; anything else is an environment error.
pub fn stdout_error(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::closed()
    } else {
        Failure::env(format!("cannot write to stdout: {e}"))
            .hint("check where stdout goes (a full disk, a closed pipe)")
    }
}

/// Writes a line to stdout.
pub fn out(line: impl AsRef<str>) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", line.as_ref()).map_err(stdout_error)
}

/// Prints one JSON document.
pub fn json(v: &impl Serialize) -> Result<()> {
    out(serde_json::to_string(v).unwrap_or_else(|_| "null".into()))
}

/// A note for people on stderr, unless --quiet or --json.
pub fn note(s: &Settings, line: impl AsRef<str>) {
    if !s.quiet && !s.json {
        eprintln!("{}", printable(line.as_ref()));
    }
}

/// Text as it may safely reach a terminal: control characters (ESC, CR, BEL, C1, …;
/// not newline or tab) are written as `\u{…}` escapes, so text from a file, a peer or an
/// exchange can neither move the cursor nor rewrite what was printed.
pub fn printable(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header(header.iter().copied());
    t
}

/// Adds a row whose cells came from outside (entries, peers): made printable.
pub fn row(t: &mut Table, cells: Vec<String>) {
    t.add_row(cells.into_iter().map(|c| printable(&c).into_owned()));
}

pub use crate::ledger::json::{b64, CheckpointJson, EntryJson};

/// A compact one-line rendering of JSON content for tables.
pub fn compact(v: &Map<String, Value>, max: usize) -> String {
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

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(printable("a\x1b[2Jb\rc\x07"), "a\\u{1b}[2Jb\\u{d}c\\u{7}");
        assert_eq!(printable("\u{9b}31m"), "\\u{9b}31m");
    }
}
