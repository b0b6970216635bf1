//! Export bundles: one portable text file holding every entry's canonical bytes, every
//! checkpoint (with its witness cosignatures) and the genesis keys, in ledger order, so
//! that it verifies in one streaming pass with no SQLite. Import rebuilds a ledger only
//! from a bundle that verifies.
//!
//! ```text
//! echoctl-bundle/v1
//! origin <origin>
//! key <verifier key>            one line per genesis key
//! entries <N>
//! checkpoints <M>
//!                               (blank line)
//! E <canonical entry bytes>     N lines, seq order; each checkpoint follows the entry
//! C <base64 of the note>        that completes its tree size
//! end <hex SHA-256 of every byte before this line>
//! ```

use super::checkpoint::{Checkpoint, MAX_NOTE_BYTES};
use super::entry::{Entry, KIND_AMENDMENT, MAX_ENTRY_BYTES};
use super::merkle::{self, Frontier};
use super::verify::{Anchors, Report};
use super::{amend::Amendment, store, Ledger};
use crate::error::{Error, Result};
use crate::sign::VerifierKey;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rusqlite::params;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;

pub const BUNDLE_HEADER: &str = "echoctl-bundle/v1";
/// The longest line a bundle may hold: a base64 checkpoint note of at most 1 MiB.
const MAX_LINE: usize = MAX_NOTE_BYTES / 3 * 4 + 16;

/// What an export wrote.
#[derive(Clone, Debug)]
pub struct Exported {
    pub entries: u64,
    pub checkpoints: u64,
    pub sha256: String,
}

/// A writer that hashes what passes through it.
struct Hashing<'w> {
    inner: &'w mut dyn Write,
    hash: Sha256,
}

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Streams the whole ledger into `out` as a bundle.
pub fn export(ledger: &Ledger, out: &mut dyn Write, progress: &mut dyn FnMut(u64, u64)) -> Result<Exported> {
    let io = |e: std::io::Error| Error::env(format!("cannot write the bundle: {e}"));
    // One snapshot for the whole export.
    let tx = ledger.conn.unchecked_transaction()?;
    let entries: u64 = tx.query_row("SELECT COALESCE(MAX(seq) + 1, 0) FROM entries", [], |r| r.get(0))?;
    let checkpoints: u64 = tx.query_row("SELECT COUNT(*) FROM checkpoints", [], |r| r.get(0))?;
    let mut w = Hashing {
        inner: out,
        hash: Sha256::new(),
    };
    let mut head = format!("{BUNDLE_HEADER}\norigin {}\n", ledger.genesis.origin);
    for k in &ledger.genesis.keys {
        head.push_str(&format!("key {k}\n"));
    }
    head.push_str(&format!("entries {entries}\ncheckpoints {checkpoints}\n\n"));
    w.write_all(head.as_bytes()).map_err(io)?;
    let mut cps = tx.prepare("SELECT size, note FROM checkpoints ORDER BY size")?;
    let mut cps = cps.query([])?;
    let mut next_cp: Option<(u64, String)> = match cps.next()? {
        Some(r) => Some((r.get(0)?, r.get(1)?)),
        None => None,
    };
    let mut stmt = tx.prepare("SELECT seq, body FROM entries ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let mut written = 0u64;
    while let Some(row) = rows.next()? {
        let body = row
            .get_ref(1)?
            .as_blob()
            .map_err(|e| Error::env(format!("the ledger is damaged: {e}")))?;
        w.write_all(b"E ")
            .and_then(|()| w.write_all(body))
            .and_then(|()| w.write_all(b"\n"))
            .map_err(io)?;
        written += 1;
        while let Some((size, note)) = next_cp.take_if(|(size, _)| *size == written) {
            let _ = size;
            let note = super::witness::with_cosignatures(&tx, &note)?;
            writeln!(w, "C {}", B64.encode(note)).map_err(io)?;
            next_cp = match cps.next()? {
                Some(r) => Some((r.get(0)?, r.get(1)?)),
                None => None,
            };
        }
        if written % 65536 == 0 {
            progress(written, entries);
        }
    }
    let sha = format!("{:x}", w.hash.finalize_reset());
    writeln!(w.inner, "end {sha}").map_err(io)?;
    w.inner.flush().map_err(io)?;
    progress(written, entries);
    Ok(Exported {
        entries: written,
        checkpoints,
        sha256: sha,
    })
}

/// One record of a bundle.
enum Record {
    Entry(Vec<u8>),
    Checkpoint(String),
    End,
}

/// Reads a bundle line by line, bounded, hashing what it reads.
pub struct BundleReader<R: BufRead> {
    input: R,
    hash: Sha256,
    line_no: u64,
    pub origin: String,
    pub keys: Vec<VerifierKey>,
    pub entries: u64,
    pub checkpoints: u64,
    seen_entries: u64,
    seen_checkpoints: u64,
}

fn malformed(line: u64, why: impl std::fmt::Display) -> Error {
    Error::input(format!("malformed bundle, line {line}: {why}"))
        .hint("a bundle is written by 'echoctl ledger export'; see docs/FORMAT.md")
}

impl<R: BufRead> BundleReader<R> {
    /// Reads and checks the header.
    pub fn open(input: R) -> Result<Self> {
        let mut r = BundleReader {
            input,
            hash: Sha256::new(),
            line_no: 0,
            origin: String::new(),
            keys: Vec::new(),
            entries: 0,
            checkpoints: 0,
            seen_entries: 0,
            seen_checkpoints: 0,
        };
        let first = r.line()?.ok_or_else(|| malformed(1, "the file is empty"))?;
        if first != BUNDLE_HEADER.as_bytes() {
            return Err(malformed(1, format!("the first line must be {BUNDLE_HEADER}")));
        }
        r.hash_line(&first);
        let mut counts = (None, None);
        loop {
            let n = r.line_no + 1;
            let line = r.line()?.ok_or_else(|| malformed(n, "the header ends early"))?;
            r.hash_line(&line);
            if line.is_empty() {
                break;
            }
            let text = std::str::from_utf8(&line).map_err(|_| malformed(n, "not UTF-8"))?;
            let (key, value) = text
                .split_once(' ')
                .ok_or_else(|| malformed(n, "expected 'name value'"))?;
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|_| malformed(n, format!("{key} is not a number")))
            };
            match key {
                "origin" if r.origin.is_empty() => r.origin = value.to_owned(),
                "key" if r.keys.len() < 64 => r
                    .keys
                    .push(VerifierKey::parse(value).map_err(|e| malformed(n, e.message))?),
                "entries" if counts.0.is_none() => counts.0 = Some(number()?),
                "checkpoints" if counts.1.is_none() => counts.1 = Some(number()?),
                _ => return Err(malformed(n, format!("unexpected header line {key:?}"))),
            }
        }
        match counts {
            (Some(e), Some(c)) if !r.origin.is_empty() && !r.keys.is_empty() => {
                r.entries = e;
                r.checkpoints = c;
                Ok(r)
            }
            _ => Err(malformed(
                r.line_no,
                "the header needs origin, key, entries and checkpoints",
            )),
        }
    }

    /// The next line without its newline; None at the end of the file.
    fn line(&mut self) -> Result<Option<Vec<u8>>> {
        let mut buf = Vec::new();
        let input: &mut R = &mut self.input;
        let n = std::io::Read::take(input, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::env(format!("cannot read the bundle: {e}")))?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        if buf.last() != Some(&b'\n') {
            if n > MAX_LINE {
                return Err(malformed(self.line_no, "a line is longer than any record can be"));
            }
            return Err(Error::invalid(format!(
                "the bundle is truncated (line {} ends without a newline)",
                self.line_no
            )));
        }
        buf.pop();
        Ok(Some(buf))
    }

    /// Adds a line (and its newline) to the running hash.
    fn hash_line(&mut self, line: &[u8]) {
        self.hash.update(line);
        self.hash.update(b"\n");
    }

    fn record(&mut self) -> Result<Record> {
        let at = self.line_no + 1;
        let Some(line) = self.line()? else {
            return Err(Error::invalid(format!(
                "the bundle is truncated: {} of {} entries and {} of {} checkpoints, and no end line",
                self.seen_entries, self.entries, self.seen_checkpoints, self.checkpoints
            )));
        };
        if let Some(declared) = line.strip_prefix(b"end ") {
            let want = format!("{:x}", self.hash.clone().finalize());
            if declared != want.as_bytes() {
                return Err(Error::invalid(
                    "the bundle's end line does not match its content: it was changed or cut",
                ));
            }
            return self.finish_end();
        }
        self.hash_line(&line);
        match line.get(..2) {
            Some(b"E ") => {
                if line.len() - 2 > MAX_ENTRY_BYTES {
                    return Err(malformed(at, "an entry is larger than 64 KiB"));
                }
                self.seen_entries += 1;
                if self.seen_entries > self.entries {
                    return Err(Error::invalid(format!(
                        "the bundle holds more entries than the {} it declares",
                        self.entries
                    )));
                }
                Ok(Record::Entry(line[2..].to_vec()))
            }
            Some(b"C ") => {
                let note = B64
                    .decode(&line[2..])
                    .map_err(|_| malformed(at, "a checkpoint is not base64"))?;
                let note = String::from_utf8(note).map_err(|_| malformed(at, "a checkpoint is not UTF-8"))?;
                self.seen_checkpoints += 1;
                if self.seen_checkpoints > self.checkpoints {
                    return Err(Error::invalid(format!(
                        "the bundle holds more checkpoints than the {} it declares",
                        self.checkpoints
                    )));
                }
                Ok(Record::Checkpoint(note))
            }
            _ => Err(malformed(at, "unknown record (expected E, C or end)")),
        }
    }

    fn finish_end(&mut self) -> Result<Record> {
        if self.seen_entries != self.entries || self.seen_checkpoints != self.checkpoints {
            return Err(Error::invalid(format!(
                "the bundle declares {} entries and {} checkpoints but holds {} and {}",
                self.entries, self.checkpoints, self.seen_entries, self.seen_checkpoints
            )));
        }
        let mut rest = Vec::new();
        if self
            .input
            .read_to_end(&mut rest)
            .map(|_| !rest.is_empty())
            .unwrap_or(true)
        {
            return Err(malformed(self.line_no + 1, "data after the end line"));
        }
        Ok(Record::End)
    }
}

/// Verifies a bundle in one streaming pass.
pub fn verify<R: BufRead>(input: R, anchors: &Anchors, progress: &mut dyn FnMut(u64, u64)) -> Result<Report> {
    let mut reader = BundleReader::open(input)?;
    let total = reader.entries;
    let keys = reader.keys.clone();
    let mut seq = 0u64;
    let mut ended = false;
    super::verify::verify_stream(
        anchors,
        keys,
        total,
        progress,
        &mut |queue_checkpoint, push_entry| loop {
            match reader.record()? {
                Record::Entry(body) => {
                    push_entry(seq, &body);
                    seq += 1;
                    return Ok(true);
                }
                Record::Checkpoint(note) => {
                    let size = Checkpoint::parse(&note).map(|c| c.size).unwrap_or(u64::MAX);
                    queue_checkpoint(size, note);
                }
                Record::End => {
                    ended = true;
                    return Ok(false);
                }
            }
        },
    )
    .inspect(|report| debug_assert!(ended || report.failure.is_some()))
}

/// Rebuilds a ledger at `db` from a bundle (the caller verified it first); one
/// transaction, and nothing left behind on failure.
pub fn import<R: BufRead>(db: &Path, input: R, progress: &mut dyn FnMut(u64, u64)) -> Result<u64> {
    let mut reader = BundleReader::open(input)?;
    let conn = store::create(db)?;
    let result = (|| -> Result<u64> {
        let tx = conn.unchecked_transaction()?;
        let mut frontier = Frontier::new();
        let mut ids: HashMap<String, u64> = HashMap::new();
        let mut seq = 0u64;
        {
            let mut insert_entry = tx.prepare(
                "INSERT INTO entries (seq, id, kind, ts, leaf, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut insert_node =
                tx.prepare("INSERT INTO tree_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")?;
            let mut insert_amend = tx.prepare("INSERT INTO amendments (target_seq, seq) VALUES (?1, ?2)")?;
            let mut insert_cp = tx.prepare("INSERT INTO checkpoints (size, note) VALUES (?1, ?2)")?;
            loop {
                match reader.record()? {
                    Record::Entry(body) => {
                        let e = Entry::parse_canonical(&body).map_err(Error::invalid)?;
                        let leaf = merkle::leaf_hash(&body);
                        insert_entry.execute(params![seq, e.id, e.kind, e.ts, &leaf[..], body])?;
                        let mut err = None;
                        frontier.push(leaf, |level, idx, h| {
                            if err.is_none() {
                                err = insert_node.execute(params![level, idx, &h[..]]).err();
                            }
                        });
                        if let Some(e) = err {
                            return Err(e.into());
                        }
                        if e.kind == KIND_AMENDMENT {
                            let a = Amendment::from_content(&e.content).map_err(Error::invalid)?;
                            let target = ids
                                .get(&a.target)
                                .copied()
                                .ok_or_else(|| Error::invalid("amendment of a missing entry"))?;
                            insert_amend.execute(params![target, seq])?;
                        }
                        ids.insert(e.id, seq);
                        seq += 1;
                        if seq % 65536 == 0 {
                            progress(seq, reader.entries);
                        }
                    }
                    Record::Checkpoint(note) => {
                        let cp = Checkpoint::parse(&note)?;
                        insert_cp.execute(params![cp.size, note])?;
                    }
                    Record::End => break,
                }
            }
        }
        tx.commit()?;
        Ok(seq)
    })();
    drop(conn);
    if result.is_err() {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
    result
}
