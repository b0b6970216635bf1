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

use super::amend::Amendment;
use super::checkpoint::{Checkpoint, MAX_NOTE_BYTES};
use super::entry::{Entry, MAX_STORED_ENTRY_BYTES};
use super::error::{Document, LedgerError, Result};
use super::kinds::{Kinds, KIND_AMENDMENT};
use super::scan::{self, Batch, Feed};
use super::store::{self, Access, Reads};
use super::verify::{Anchors, Report};
use super::writer::{Columns, EntryWriter};
use super::Ledger;
use crate::sign::VerifierKey;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufRead, Write};

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

/// Checkpoints read at a time while exporting.
const CHECKPOINTS_AHEAD: usize = 4096;

/// Streams the whole ledger into `out` as a bundle.
pub fn export(ledger: &Ledger, out: &mut dyn Write, progress: &mut dyn FnMut(u64, u64)) -> Result<Exported> {
    let store = ledger.store();
    // One snapshot for the counts and checkpoints; entries below its size never change.
    let snap = store.read()?;
    let entries = snap.size()?;
    let checkpoints = snap.checkpoint_count()?;
    let mut head = format!("{BUNDLE_HEADER}\norigin {}\n", ledger.genesis.origin);
    for k in &ledger.genesis.keys {
        head.push_str(&format!("key {k}\n"));
    }
    head.push_str(&format!("entries {entries}\ncheckpoints {checkpoints}\n\n"));
    let mut ex = Exporter {
        w: Hashing {
            inner: out,
            hash: Sha256::new(),
        },
        snap: snap.as_ref(),
        pending: Vec::new(),
        last_size: None,
        more: true,
        written: 0,
    };
    ex.w.write_all(head.as_bytes())
        .map_err(LedgerError::io("write the bundle"))?;
    ex.refill()?;
    let feed = Feed::Store {
        store,
        from: 0,
        to: entries,
        columns: false,
        access: Access::Sequential,
    };
    let take = |batch: &mut Batch, (): ()| std::mem::take(batch);
    let mut sink = |ex: &mut Exporter<'_, '_>, batch: Batch| -> Result<()> {
        ex.write_batch(&batch)?;
        progress(ex.written, entries);
        Ok(())
    };
    scan::run(&mut ex, feed, 4096, &take, &mut sink)?;
    let sha = format!("{:x}", ex.w.hash.finalize_reset());
    writeln!(ex.w.inner, "end {sha}").map_err(LedgerError::io("write the bundle"))?;
    ex.w.inner.flush().map_err(LedgerError::io("write the bundle"))?;
    Ok(Exported {
        entries: ex.written,
        checkpoints,
        sha256: sha,
    })
}

/// The export's state between batches.
struct Exporter<'w, 's> {
    w: Hashing<'w>,
    snap: &'s dyn Reads,
    /// Checkpoints read ahead, smallest last.
    pending: Vec<(u64, String)>,
    last_size: Option<u64>,
    /// Whether the store may hold checkpoints beyond those read.
    more: bool,
    written: u64,
}

impl Exporter<'_, '_> {
    fn refill(&mut self) -> Result<()> {
        let mut page = self.snap.checkpoints_above(self.last_size, CHECKPOINTS_AHEAD)?;
        self.more = page.len() == CHECKPOINTS_AHEAD;
        if let Some((size, _)) = page.last() {
            self.last_size = Some(*size);
        }
        page.reverse();
        self.pending = page;
        Ok(())
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<()> {
        for row in &batch.rows {
            let body = batch
                .body(row)
                .ok_or_else(|| LedgerError::damaged(format!("entry {} is not a byte string", row.seq)))?;
            self.w
                .write_all(b"E ")
                .and_then(|()| self.w.write_all(body))
                .and_then(|()| self.w.write_all(b"\n"))
                .map_err(LedgerError::io("write the bundle"))?;
            self.written += 1;
            loop {
                if self.pending.is_empty() && self.more {
                    self.refill()?;
                }
                match self.pending.last() {
                    Some((size, _)) if *size == self.written => {}
                    _ => break,
                }
                let (_, note) = self.pending.pop().unwrap_or_default();
                let note = super::witness::with_cosignatures(self.snap, &note)?;
                writeln!(self.w, "C {}", B64.encode(note)).map_err(LedgerError::io("write the bundle"))?;
            }
        }
        Ok(())
    }
}

/// A decimal number written as export writes it: digits, no sign, no leading zero.
fn canonical_decimal(s: &str) -> Option<u64> {
    let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
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
    /// The size and line of the last checkpoint read.
    last_checkpoint: Option<(u64, u64)>,
}

fn malformed(line: u64, why: impl std::fmt::Display) -> LedgerError {
    LedgerError::malformed(Document::Bundle, format!("line {line}: {why}"))
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
            last_checkpoint: None,
        };
        let first = r.line()?.ok_or_else(|| malformed(1, "the file is empty"))?;
        if first != BUNDLE_HEADER.as_bytes() {
            return Err(malformed(1, format!("the first line must be {BUNDLE_HEADER}")));
        }
        r.hash_line(&first);
        // The header is exactly what export writes, in its order: origin, one or more
        // keys, entries, checkpoints, a blank line. Anything else (a sign, a leading zero,
        // a trailing space, another order) would make the same ledger export differently.
        let mut step = 0; // 0 origin, 1 keys, 2 entries, 3 checkpoints, 4 blank
        loop {
            let n = r.line_no + 1;
            let line = r.line()?.ok_or_else(|| malformed(n, "the header ends early"))?;
            r.hash_line(&line);
            if line.is_empty() {
                if step != 4 {
                    return Err(malformed(
                        n,
                        "the header needs origin, key, entries and checkpoints, in that order",
                    ));
                }
                break;
            }
            let text = std::str::from_utf8(&line).map_err(|_| malformed(n, "not UTF-8"))?;
            let (key, value) = text
                .split_once(' ')
                .ok_or_else(|| malformed(n, "expected 'name value'"))?;
            let number = || {
                canonical_decimal(value).ok_or_else(|| malformed(n, format!("{key} is not a decimal number")))
            };
            match (key, step) {
                ("origin", 0) => {
                    if !crate::sign::valid_key_name(value) {
                        return Err(malformed(n, "the origin is not a valid log name"));
                    }
                    r.origin = value.to_owned();
                    step = 1;
                }
                ("key", 1 | 2) if r.keys.len() < 64 => {
                    let k = VerifierKey::parse(value).map_err(|e| malformed(n, e))?;
                    if k.to_string() != value {
                        return Err(malformed(n, "the key is not written as a verifier key string"));
                    }
                    r.keys.push(k);
                    step = 2;
                }
                ("entries", 2) => {
                    r.entries = number()?;
                    step = 3;
                }
                ("checkpoints", 3) => {
                    r.checkpoints = number()?;
                    step = 4;
                }
                _ => {
                    return Err(malformed(
                        n,
                        format!("unexpected header line {}", crate::text::quoted(key)),
                    ))
                }
            }
        }
        Ok(r)
    }

    /// The next line without its newline; None at the end of the file.
    fn line(&mut self) -> Result<Option<Vec<u8>>> {
        let mut buf = Vec::new();
        let input: &mut R = &mut self.input;
        let n = std::io::Read::take(input, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(LedgerError::io("read the bundle"))?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        if buf.last() != Some(&b'\n') {
            if n > MAX_LINE {
                return Err(malformed(self.line_no, "a line is longer than any record can be"));
            }
            // A first line that is not even the start of the header: not a bundle at all.
            if self.line_no == 1 && !BUNDLE_HEADER.as_bytes().starts_with(&buf) {
                return Err(malformed(1, format!("not an {BUNDLE_HEADER} file")));
            }
            return Err(LedgerError::Invalid(format!(
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
            return Err(LedgerError::Invalid(format!(
                "the bundle is truncated: {} of {} entries and {} of {} checkpoints, and no end line",
                self.seen_entries, self.entries, self.seen_checkpoints, self.checkpoints
            )));
        };
        if let Some(declared) = line.strip_prefix(b"end ") {
            let want = format!("{:x}", self.hash.clone().finalize());
            if declared != want.as_bytes() {
                return Err(LedgerError::Invalid(
                    "the bundle's end line does not match its content: it was changed or cut".into(),
                ));
            }
            return self.finish_end();
        }
        self.hash_line(&line);
        match line.get(..2) {
            Some(b"E ") => {
                if line.len() - 2 > MAX_STORED_ENTRY_BYTES {
                    return Err(malformed(at, "an entry is larger than 64 KiB"));
                }
                self.seen_entries += 1;
                if self.seen_entries > self.entries {
                    return Err(LedgerError::Invalid(format!(
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
                // Each checkpoint sits right after the entry that completes its tree.
                let size = Checkpoint::parse(&note).map_err(|e| malformed(at, e))?.size;
                if size != self.seen_entries {
                    return Err(LedgerError::Invalid(format!(
                        "the checkpoint at line {at} covers {size} entries but follows entry {}: a checkpoint sits right after the entry that completes its tree",
                        self.seen_entries
                    )));
                }
                // Checkpoint sizes strictly increase (§4): a ledger never holds two
                // checkpoints of one size, nor one of no entries, so neither can a bundle.
                if size == 0 {
                    return Err(LedgerError::Invalid(format!(
                        "the checkpoint at line {at} covers no entries: every checkpoint covers at least the genesis entry"
                    )));
                }
                if let Some((_, line)) = self.last_checkpoint.filter(|(last, _)| *last == size) {
                    return Err(LedgerError::Invalid(format!(
                        "the checkpoint at line {at} repeats the size {size} of the checkpoint at line {line}: checkpoint sizes strictly increase"
                    )));
                }
                self.last_checkpoint = Some((size, at));
                self.seen_checkpoints += 1;
                if self.seen_checkpoints > self.checkpoints {
                    return Err(LedgerError::Invalid(format!(
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
            return Err(LedgerError::Invalid(format!(
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
pub fn verify<R: BufRead>(
    input: R,
    kinds: &Kinds,
    anchors: &Anchors,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report> {
    let mut reader = BundleReader::open(input)?;
    let total = reader.entries;
    let keys = reader.keys.clone();
    let origin = reader.origin.clone();
    let mut seq = 0u64;
    let mut ended = false;
    super::verify::verify_stream(
        kinds,
        anchors,
        origin,
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

/// Rebuilds a ledger at `db` from a bundle (the caller verified it first) through the
/// same entry writer as `append`; one transaction, and nothing left behind on failure.
pub fn import<R: BufRead>(db: &store::Location, input: R, progress: &mut dyn FnMut(u64, u64)) -> Result<u64> {
    let mut reader = BundleReader::open(input)?;
    let mut store = store::create(db)?;
    let result = (|| -> Result<u64> {
        let mut tx = store.write()?;
        let mut writer = EntryWriter::resume(tx.as_ref())?;
        let mut ids: HashMap<String, u64> = HashMap::new();
        loop {
            match reader.record()? {
                Record::Entry(body) => {
                    let e = Entry::parse_canonical(&body).map_err(|e| LedgerError::Invalid(e.to_string()))?;
                    let amends = if e.kind == KIND_AMENDMENT {
                        let a = Amendment::from_content(&e.content)
                            .map_err(|e| LedgerError::Invalid(e.to_string()))?;
                        let target = ids
                            .get(&a.target)
                            .copied()
                            .ok_or_else(|| LedgerError::Invalid("amendment of a missing entry".into()))?;
                        Some(target)
                    } else {
                        None
                    };
                    let cols = Columns {
                        id: &e.id,
                        kind: &e.kind,
                        ts: &e.ts,
                    };
                    writer.put(tx.as_mut(), &cols, &body, amends)?;
                    ids.insert(e.id, writer.next_seq() - 1);
                    if writer.next_seq() % 65536 == 0 {
                        progress(writer.next_seq(), reader.entries);
                    }
                }
                Record::Checkpoint(note) => {
                    let cp = Checkpoint::parse(&note)?;
                    tx.insert_checkpoint(cp.size, &note)?;
                }
                Record::End => break,
            }
        }
        let n = writer.next_seq();
        tx.commit()?;
        Ok(n)
    })();
    drop(store);
    if result.is_err() {
        store::discard(db);
    }
    result
}
