//! `echoctl init` and `echoctl ledger append|amend|log|show|reader`: thin handlers over
//! `crate::ledger`. Proofs, verification and bundles are in `ledger_proofs`.

use super::args::{
    AmendArgs, AmendType, AppendArgs, InitArgs, LedgerCommand, LogArgs, ReaderArgs, ReaderFormat, SignArgs,
};
use super::exit::{Failure, Result};
use super::key::{generate, load_signers};
use super::ledger_proofs;
use super::output::{self, b64, compact, json, note, out, row, table, CheckpointJson, EntryJson};
use super::settings::Settings;
use crate::clock::{format_ts, parse_rfc3339};
use crate::ledger::amend::{Amendment, AmendmentType, Status};
use crate::ledger::canon::parse_strict;
use crate::ledger::entry::{hex, is_valid_ulid};
use crate::ledger::kinds::Kinds;
use crate::ledger::new_entry::Defaults;
use crate::ledger::{Appended, Ledger, LogFilter, NewEntry};
use crate::sign::{Signers, VerifierKey};
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

/// Content read from a file or stdin larger than this is refused before parsing.
pub(super) const MAX_INPUT_BYTES: u64 = 1 << 20;

#[derive(Serialize)]
struct InitJson<'a> {
    checkpoint: CheckpointJson<'a>,
    db: String,
    genesis_id: &'a str,
    key_file: &'a str,
    origin: &'a str,
    verifier_key: String,
    verifier_keys: Vec<String>,
}

pub fn init(s: &Settings, a: InitArgs) -> Result<u8> {
    let clock = s.clock()?;
    if a.pg_writer_role.is_some() && s.db.file().is_some() {
        return Err(
            Failure::usage("--pg-writer-role is for a PostgreSQL ledger: a file has no roles")
                .hint("pass --db postgres://USER@HOST/DATABASE, or leave --pg-writer-role out"),
        );
    }
    if crate::ledger::store::exists(&s.db)? {
        return Err(Failure::usage(format!("{} already exists", s.db))
            .hint("a ledger is never overwritten: choose another path with --db"));
    }
    // Checked before a key is generated: a refusal leaves nothing behind.
    let extra = match a.resume_quorum {
        Some(k) => {
            let keys = |t: &[String]| -> Result<Vec<crate::sign::VerifierKey>> {
                t.iter()
                    .map(|k| crate::sign::VerifierKey::parse(k).map_err(Failure::from))
                    .collect()
            };
            let statement =
                crate::emergency::roles_statement(&keys(&a.emergency_keys)?, &keys(&a.resume_keys)?, k)?;
            vec![crate::emergency::roles_entry("echoctl init", statement)]
        }
        None => Vec::new(),
    };
    let keys = s.keys(&a.signing.keys);
    let (signers, key_desc, generated) = if keys.is_empty() {
        let origin = match &a.origin {
            Some(o) => o.clone(),
            None => {
                let mut r = [0u8; 6];
                clock.random("origin", 0, &mut r)?;
                format!("echoctl.local/{}", hex(&r))
            }
        };
        let path = s.default_key_path(&origin)?;
        if path.exists() {
            return Err(Failure::usage(format!(
                "a key for origin {origin} already exists at {}",
                path.display()
            ))
            .hint(format!(
                "reuse it with --key {}, or choose another --origin",
                path.display()
            )));
        }
        let key = generate(s, &origin, &path)?;
        (Signers::one(key), path.display().to_string(), Some(path))
    } else {
        (load_signers(s, &a.signing, None)?, keys.join(", "), None)
    };
    let origin = a
        .origin
        .clone()
        .unwrap_or_else(|| signers.primary().name().to_owned());
    let made =
        Ledger::init_with(&s.db, super::registry(), &origin, &signers, &clock, extra).and_then(|made| {
            match &a.pg_writer_role {
                // Granted before anyone is told the ledger exists; a refusal removes it again.
                Some(role) => match crate::ledger::store::grant_writer(&s.db, role) {
                    Ok(()) => Ok(made),
                    Err(e) => {
                        drop(made);
                        crate::ledger::store::discard(&s.db);
                        Err(e.into())
                    }
                },
                None => Ok(made),
            }
        });
    let made = match made {
        Ok(m) => m,
        Err(e) => {
            if let Some(path) = &generated {
                let _ = std::fs::remove_file(path);
            }
            return Err(e.into());
        }
    };
    let vk = signers.primary().verifier();
    if s.json {
        json(&InitJson {
            checkpoint: (&made.checkpoint).into(),
            db: s.db.to_string(),
            genesis_id: &made.genesis_id,
            key_file: &key_desc,
            origin: &origin,
            verifier_key: vk.to_string(),
            verifier_keys: signers.iter().map(|k| k.verifier().to_string()).collect(),
        })?;
    } else {
        out(vk.to_string())?;
        note(s, format!("created ledger {} (origin {origin})", s.db));
        let new = if generated.is_some() {
            " (new, mode 0600)"
        } else {
            ""
        };
        note(s, format!("signing key: {key_desc}{new}"));
        note(
            s,
            "pin the verifier key above in CI: echoctl ledger verify --trust-key '<key>'",
        );
    }
    Ok(0)
}

pub fn run(s: &Settings, cmd: LedgerCommand) -> Result<u8> {
    match cmd {
        LedgerCommand::Append(a) => append(s, a),
        LedgerCommand::Amend(a) => amend(s, a),
        LedgerCommand::Verify(a) => ledger_proofs::verify(s, a),
        LedgerCommand::Log(a) => log(s, a),
        LedgerCommand::Show { id } => show(s, &id),
        LedgerCommand::Reader(a) => reader(s, a),
        LedgerCommand::Checkpoint(a) => ledger_proofs::checkpoint(s, a),
        LedgerCommand::Proof(a) => ledger_proofs::proof(s, a),
        LedgerCommand::Consistency(a) => ledger_proofs::consistency(s, a),
        LedgerCommand::Witness(c) => ledger_proofs::witness(s, c),
        LedgerCommand::Export { out } => ledger_proofs::export(s, &out),
        LedgerCommand::Import { bundle, trust_key } => ledger_proofs::import(s, &bundle, &trust_key),
        LedgerCommand::Mirror { url, trust } => super::ledger_tiles::mirror(s, &url, &trust),
        LedgerCommand::Tiles { out, no_sync } => super::ledger_tiles::publish(s, &out, !no_sync),
        LedgerCommand::Copy { from, to } => super::ledger_copy::copy(s, from.as_deref(), &to),
    }
}

/// The ledger read-only, with every kind registered.
pub(super) fn open_read_only(s: &Settings) -> Result<Ledger> {
    Ok(Ledger::open_read_only(&s.db, super::registry())?)
}

/// Reads at most MAX_INPUT_BYTES from a reader, refusing more.
pub(super) fn read_limited(mut r: impl Read, what: &str) -> Result<String> {
    let mut buf = String::new();
    r.by_ref()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut buf)
        .map_err(|e| Failure::usage(format!("cannot read {what}: {e}")).hint("input must be UTF-8 text"))?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(Failure::usage(format!("{what} is larger than 1 MiB")).hint(
            "an entry holds at most 64 KiB; keep large documents outside the ledger and record their SHA-256",
        ));
    }
    Ok(buf)
}

pub(super) fn parse_object(text: &str, what: &str) -> Result<Map<String, Value>> {
    let hint = r#"content is one JSON object, e.g. --content '{"text":"disk 93% full"}'"#;
    match parse_strict(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Failure::usage(format!("{what} must be a JSON object")).hint(hint)),
        Err(why) => Err(Failure::usage(format!("{what} is not valid JSON: {why}")).hint(hint)),
    }
}

fn content_arg(content: Option<String>, file: Option<PathBuf>) -> Result<Map<String, Value>> {
    match (content, file) {
        (Some(c), _) if c == "-" => parse_object(&read_limited(std::io::stdin().lock(), "stdin")?, "content"),
        (Some(c), _) => parse_object(&c, "--content"),
        (None, Some(f)) => {
            let file = std::fs::File::open(&f).map_err(|e| {
                Failure::usage(format!("cannot read content file {}: {e}", f.display()))
                    .hint("check the path given to --content-file")
            })?;
            parse_object(
                &read_limited(file, &format!("content file {}", f.display()))?,
                "content file",
            )
        }
        (None, None) => Err(Failure::usage("no content given")
            .hint("pass --content JSON, --content-file FILE or --content -")),
    }
}

pub(super) fn open_for_append(s: &Settings, signing: &SignArgs) -> Result<(Ledger, Signers)> {
    let ledger = Ledger::open(&s.db, super::registry())?;
    if let Some(t) = s.lock_timeout()? {
        ledger.set_lock_timeout(t)?;
    }
    let signers = load_signers(s, signing, Some(&ledger.genesis.origin))?;
    Ok((ledger, signers))
}

fn append(s: &Settings, a: AppendArgs) -> Result<u8> {
    let clock = s.clock()?;
    if let Some(batch) = &a.batch {
        let (mut ledger, key) = open_for_append(s, &a.signing)?;
        let reader: Box<dyn BufRead> = if batch == Path::new("-") {
            Box::new(std::io::stdin().lock())
        } else {
            let f = std::fs::File::open(batch).map_err(|e| {
                Failure::usage(format!("cannot read batch file {}: {e}", batch.display()))
                    .hint("check the path given to --batch ('-' reads stdin)")
            })?;
            Box::new(std::io::BufReader::with_capacity(1 << 16, f))
        };
        let lines = BatchLines {
            reader,
            line_no: 0,
            kind: a.kind.clone(),
            source: a.source.clone(),
        };
        let pb = output::progress(s, 0, "appending");
        let appended = ledger.append(&key, &clock, lines, &mut |n| pb.set_position(n));
        pb.finish_and_clear();
        return print_appended(s, &appended?);
    }
    let content = content_arg(a.content, a.content_file)?;
    if let Some(r) = a.refs.iter().find(|r| !is_valid_ulid(r)) {
        return Err(Failure::usage(format!("--ref {r:?} is not an entry id (a ULID)"))
            .hint("list entries and their ids with 'echoctl ledger log'"));
    }
    let (mut ledger, key) = open_for_append(s, &a.signing)?;
    let e = NewEntry {
        kind: a.kind.unwrap_or_default(),
        source: a.source.unwrap_or_default(),
        content,
        refs: a.refs,
    };
    let appended = ledger.append::<Failure>(&key, &clock, std::iter::once(Ok(e)), &mut |_| {})?;
    print_appended(s, &appended)
}

/// JSON Lines batch input; errors name the line.
struct BatchLines {
    reader: Box<dyn BufRead>,
    line_no: u64,
    kind: Option<String>,
    source: Option<String>,
}

const BATCH_HINT: &str = "a batch line is one JSON object: {\"kind\",\"content\",\"source\"?,\"refs\"?}";

impl Iterator for BatchLines {
    type Item = Result<NewEntry>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let mut buf = Vec::new();
            self.line_no += 1;
            let at = self.line_no;
            let bad = |why: String| {
                Some(Err(
                    Failure::usage(format!("batch line {at}{why}")).hint(BATCH_HINT)
                ))
            };
            let n = match self
                .reader
                .by_ref()
                .take(MAX_INPUT_BYTES + 1)
                .read_until(b'\n', &mut buf)
            {
                Ok(n) => n,
                Err(e) => return bad(format!(": cannot read: {e}")),
            };
            if n == 0 {
                return None;
            }
            if n as u64 > MAX_INPUT_BYTES {
                return bad(" is longer than 1 MiB".into());
            }
            let Ok(text) = std::str::from_utf8(&buf) else {
                return bad(" is not UTF-8".into());
            };
            if text.trim().is_empty() {
                continue;
            }
            return Some(
                self.parse(text)
                    .map_err(|e| e.context(format!("batch line {at}")).or_hint(BATCH_HINT)),
            );
        }
    }
}

impl BatchLines {
    fn parse(&self, text: &str) -> Result<NewEntry> {
        let obj = parse_object(text, "the line")?;
        let defaults = Defaults {
            kind: self.kind.as_deref(),
            source: self.source.as_deref(),
        };
        NewEntry::from_object(obj, defaults).map_err(|e| {
            Failure::usage(e.0).hint("a batch line has kind, content, and optionally source and refs")
        })
    }
}

#[derive(Serialize)]
struct AppendedEntry<'a> {
    id: &'a str,
    kind: &'a str,
    leaf: String,
    seq: u64,
}

pub(super) fn print_appended(s: &Settings, a: &Appended) -> Result<u8> {
    let seqs = (a.first_seq..).zip(&a.entries);
    if s.json {
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        let w = |r: std::io::Result<()>| r.map_err(output::stdout_error);
        w(write!(stdout, "{{\"entries\":["))?;
        for (i, (seq, e)) in seqs.enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let item = AppendedEntry {
                id: &e.id_text(),
                kind: e.kind,
                leaf: hex(&e.leaf),
                seq,
            };
            w(write!(
                stdout,
                "{sep}{}",
                serde_json::to_string(&item).unwrap_or_default()
            ))?;
        }
        let cp = serde_json::to_string(&CheckpointJson::from(&a.checkpoint)).unwrap_or_default();
        w(writeln!(stdout, "],\"checkpoint\":{cp}}}"))?;
        w(stdout.flush())?;
        return Ok(0);
    }
    if a.count <= 50 {
        let mut t = table(&["seq", "id", "kind", "leaf hash"]);
        for (seq, e) in seqs {
            row(
                &mut t,
                vec![seq.to_string(), e.id_text(), e.kind.to_owned(), hex(&e.leaf)],
            );
        }
        out(t.to_string())?;
    } else {
        out(format!(
            "appended {} entries (seq {}..{})",
            a.count,
            a.first_seq,
            a.first_seq + a.count - 1
        ))?;
        note(s, "hint: --json lists every new entry");
    }
    note(
        s,
        format!(
            "checkpoint: size {} root {}",
            a.checkpoint.size,
            b64(&a.checkpoint.root)
        ),
    );
    Ok(0)
}

fn amend(s: &Settings, a: AmendArgs) -> Result<u8> {
    let clock = s.clock()?;
    let content = a
        .content
        .as_deref()
        .map(|c| parse_object(c, "--content"))
        .transpose()?;
    let (mut ledger, key) = open_for_append(s, &a.signing)?;
    let id_of = |ledger: &Ledger, id: &str| -> Result<String> {
        let seq = ledger.resolve(id)?;
        Ok(ledger.entry_by_seq(seq)?.map(|e| e.entry.id).unwrap_or_default())
    };
    let target = id_of(&ledger, &a.entry)?;
    let superseded_by = a
        .superseded_by
        .as_deref()
        .map(|r| id_of(&ledger, r))
        .transpose()?;
    let kind = match a.kind {
        AmendType::Clarification => AmendmentType::Clarification,
        AmendType::Correction => AmendmentType::Correction,
        AmendType::Supersession => AmendmentType::Supersession,
        AmendType::Withdrawal => AmendmentType::Withdrawal,
    };
    let amendment = Amendment {
        kind,
        target,
        reason: a.reason,
        content,
        superseded_by,
        ordered_by: None,
    };
    let appended = ledger.amend(&key, &clock, &a.source, amendment)?;
    print_appended(s, &appended)
}

fn log(s: &Settings, a: LogArgs) -> Result<u8> {
    let ledger = open_read_only(s)?;
    let mut filter = LogFilter {
        kind: a.kind.clone(),
        limit: a.limit,
        ..Default::default()
    };
    if let Some(since) = &a.since {
        if is_valid_ulid(since) {
            filter.from_seq = Some(ledger.resolve(since)? + 1);
        } else if let Some(ms) = parse_rfc3339(since) {
            filter.since_ts = Some(format_ts(ms));
        } else {
            return Err(Failure::usage(format!(
                "--since {since:?} is neither an entry id nor an RFC 3339 time"
            ))
            .hint("e.g. --since 01JDQ4K4Z0A1B2C3D4E5F6G7H8 or --since 2026-11-01T00:00:00Z"));
        }
    }
    if let Some(k) = a.kind.as_deref().filter(|k| !ledger.kinds().knows(k)) {
        let valid: Vec<&str> = ledger.kinds().all().collect();
        return Err(
            Failure::usage(format!("unknown kind {k:?}")).hint(format!("valid kinds: {}", valid.join(", ")))
        );
    }
    if s.json {
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        ledger.log(&filter, |e| {
            let line = serde_json::to_string(&EntryJson::from(&e)).unwrap_or_default();
            writeln!(stdout, "{line}").map_err(output::stdout_error)
        })?;
        stdout.flush().map_err(output::stdout_error)?;
        return Ok(0);
    }
    let mut t = table(&["seq", "id", "ts", "kind", "source", "content"]);
    ledger.log(&filter, |e| {
        let x = e.entry;
        row(
            &mut t,
            vec![
                x.seq.to_string(),
                x.id,
                x.ts,
                x.kind,
                x.source,
                compact(&x.content, 60),
            ],
        );
        Ok::<(), Failure>(())
    })?;
    out(t.to_string())?;
    Ok(0)
}

#[derive(Serialize)]
struct ShowJson<'a> {
    amendments: Vec<EntryJson<'a>>,
    effective_content: &'a Map<String, Value>,
    entry: EntryJson<'a>,
    status: &'static str,
    superseded_by: Option<&'a str>,
}

fn show(s: &Settings, id: &str) -> Result<u8> {
    let ledger = open_read_only(s)?;
    let view = ledger.show(id)?;
    let superseded_by = match &view.status {
        Status::Superseded { by } => Some(by.as_str()),
        _ => None,
    };
    if s.json {
        json(&ShowJson {
            amendments: view.amendments.iter().map(|(e, _)| e.into()).collect(),
            effective_content: &view.effective_content,
            entry: (&view.entry).into(),
            status: view.status.as_str(),
            superseded_by,
        })?;
        return Ok(0);
    }
    let e = &view.entry.entry;
    let mut t = table(&["field", "value"]);
    let status = match superseded_by {
        Some(by) => format!("superseded by {by}"),
        None => view.status.as_str().to_owned(),
    };
    for (k, v) in [
        ("seq", e.seq.to_string()),
        ("id", e.id.clone()),
        ("ts", e.ts.clone()),
        ("kind", e.kind.clone()),
        ("source", e.source.clone()),
        ("signer", e.signer.clone()),
        ("refs", e.refs.join(", ")),
        ("leaf hash", hex(&view.entry.leaf)),
        (
            "content",
            serde_json::to_string_pretty(&e.content).unwrap_or_default(),
        ),
        ("status", status),
        (
            "effective content",
            serde_json::to_string_pretty(&view.effective_content).unwrap_or_default(),
        ),
    ] {
        row(&mut t, vec![k.to_owned(), v]);
    }
    out(t.to_string())?;
    if !view.amendments.is_empty() {
        let mut at = table(&["seq", "amendment id", "type", "reason", "content"]);
        for (stored, a) in &view.amendments {
            let c = a
                .content
                .as_ref()
                .map(|c| compact(c, 50))
                .or_else(|| a.superseded_by.as_ref().map(|b| format!("superseded by {b}")))
                .unwrap_or_default();
            row(
                &mut at,
                vec![
                    stored.entry.seq.to_string(),
                    stored.entry.id.clone(),
                    a.kind.as_str().to_owned(),
                    a.reason.clone(),
                    c,
                ],
            );
        }
        out(at.to_string())?;
    }
    Ok(0)
}

#[derive(Serialize)]
struct EditionJson {
    out: String,
    paragraphs: u64,
    root: String,
    size: u64,
    verified: bool,
}

fn reader(s: &Settings, a: ReaderArgs) -> Result<u8> {
    use crate::ledger::reader::{self, Format, Options};
    let format = match (a.format, s.json && a.out.is_none()) {
        (Some(ReaderFormat::Md), _) | (None, false) => Format::Markdown,
        (Some(ReaderFormat::Html), _) => Format::Html,
        (Some(ReaderFormat::Json), _) | (None, true) => Format::Json,
    };
    if let Some(k) = a.kinds.iter().find(|k| !Kinds::is_user_kind(k)) {
        return Err(Failure::usage(format!("unknown kind {k:?}")).hint(format!(
            "--kind takes the kinds an operator appends: {}",
            crate::ledger::kinds::USER_KINDS.join(", ")
        )));
    }
    let ledger = open_read_only(s)?;
    let opts = Options {
        format,
        at: a.at,
        kinds: a.kinds,
        force: a.force,
    };
    let pb = output::progress(s, 0, "compiling");
    let edition = reader::compile(&ledger, &opts, &mut |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    });
    pb.finish_and_clear();
    let edition = edition?;
    if let Some(p) = &edition.problem {
        eprintln!(
            "warning: the ledger fails verification; the edition is marked unverified: {}",
            output::printable(p)
        );
    }
    match &a.out {
        None => {
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            edition
                .write_to(&mut stdout)
                .and_then(|()| stdout.flush())
                .map_err(output::stdout_error)?;
        }
        Some(path) => {
            ledger_proofs::write_atomically(path, |w| edition.write_to(w))?;
            if s.json {
                json(&EditionJson {
                    out: path.display().to_string(),
                    paragraphs: edition.paragraphs,
                    root: b64(&edition.root),
                    size: edition.size,
                    verified: edition.problem.is_none(),
                })?;
            } else {
                note(
                    s,
                    format!(
                        "wrote {} ({} paragraphs, checkpoint size {})",
                        path.display(),
                        edition.paragraphs,
                        edition.size
                    ),
                );
            }
        }
    }
    // The process exits next: freeing a million paragraphs one by one would only delay
    // that exit (by about 70 ms for a million entries), so the memory goes back whole.
    std::mem::forget(edition);
    Ok(0)
}

/// A verifier key, from a flag.
pub(super) fn parse_vkey(text: &str) -> Result<VerifierKey> {
    Ok(VerifierKey::parse(text)?)
}
