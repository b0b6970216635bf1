//! `echoctl init` and `echoctl ledger …`: thin handlers over `crate::ledger`.

use super::args::{
    AmendArgs, AmendType, AppendArgs, InitArgs, LedgerCommand, LogArgs, ReaderArgs, ReaderFormat, SignArgs,
    VerifyArgs,
};
use super::key::{generate, load_signers};
use super::output::{self, b64, compact, entry_json, json, note, out, paint, table};
use super::settings::{self, Settings};
use crate::clock::{format_ts, parse_rfc3339};
use crate::error::{Error, Result};
use crate::ledger::amend::{Amendment, AmendmentType};
use crate::ledger::canon::parse_strict;
use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::entry::{hex, is_valid_ulid};
use crate::ledger::verify::{self, Anchors};
use crate::ledger::{Appended, Ledger, LogFilter, NewEntry};
use crate::sign::file::KeyFile;
use crate::sign::{Signers, VerifierKey};
use serde_json::{json, Map, Value};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

/// Content read from a file or stdin larger than this is refused before parsing.
const MAX_INPUT_BYTES: u64 = 1 << 20;

pub fn init(s: &Settings, a: InitArgs) -> Result<u8> {
    let clock = settings::clock()?;
    if s.db.exists() {
        return Err(Error::input(format!("{} already exists", s.db.display()))
            .hint("a ledger is never overwritten: choose another path with --db"));
    }
    let (signers, key_desc, generated) = if a.signing.keys.is_empty() {
        let origin = match &a.origin {
            Some(o) => o.clone(),
            None => {
                let mut r = [0u8; 6];
                clock.random("origin", 0, &mut r)?;
                format!("echoctl.local/{}", hex(&r))
            }
        };
        let path = settings::default_key_path(&origin)?;
        if path.exists() {
            return Err(Error::input(format!(
                "a key for origin {origin} already exists at {}",
                path.display()
            ))
            .hint(format!(
                "reuse it with --key {}, or choose another --origin",
                path.display()
            )));
        }
        let key = generate(&origin, &path)?;
        (Signers::one(key), path.display().to_string(), Some(path))
    } else {
        (load_signers(&a.signing, None)?, a.signing.keys.join(", "), None)
    };
    let origin = a
        .origin
        .clone()
        .unwrap_or_else(|| signers.primary().name().to_owned());
    let made = Ledger::init(&s.db, &origin, &signers, &clock);
    let made = match made {
        Ok(m) => m,
        Err(e) => {
            if let Some(path) = &generated {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
    };
    let key_path = key_desc;
    let generated = generated.is_some();
    let vk = signers.primary().verifier();
    if s.json {
        json(&json!({
            "db": s.db.display().to_string(), "origin": origin, "verifier_key": vk.to_string(),
            "verifier_keys": signers.iter().map(|k| k.verifier().to_string()).collect::<Vec<_>>(),
            "key_file": key_path, "genesis_id": made.genesis_id,
            "checkpoint": checkpoint_json(&made.checkpoint),
        }))?;
    } else {
        out(vk.to_string())?;
        note(s, format!("created ledger {} (origin {origin})", s.db.display()));
        note(
            s,
            format!(
                "signing key: {}{}",
                key_path,
                if generated { " (new, mode 0600)" } else { "" }
            ),
        );
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
        LedgerCommand::Verify(a) => verify(s, a),
        LedgerCommand::Log(a) => log(s, a),
        LedgerCommand::Show { id } => show(s, &id),
        LedgerCommand::Reader(a) => reader(s, a),
        LedgerCommand::Checkpoint(a) => checkpoint(s, a),
        LedgerCommand::Proof(a) => proof(s, a),
        LedgerCommand::Consistency(a) => consistency(s, a),
        LedgerCommand::Witness(c) => witness(s, c),
        LedgerCommand::Export { out } => export(s, &out),
        LedgerCommand::Import { bundle, trust_key } => import(s, &bundle, &trust_key),
    }
}

fn checkpoint_json(cp: &Checkpoint) -> Value {
    json!({ "origin": cp.origin, "size": cp.size, "root": b64(&cp.root) })
}

/// Reads at most MAX_INPUT_BYTES from a reader, refusing more.
fn read_limited(mut r: impl Read, what: &str) -> Result<String> {
    let mut buf = String::new();
    r.by_ref()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut buf)
        .map_err(|e| Error::input(format!("cannot read {what}: {e}")).hint("content must be UTF-8 JSON"))?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::input(format!("{what} is larger than 1 MiB")).hint(
            "an entry holds at most 64 KiB; keep large documents outside the ledger and record their SHA-256",
        ));
    }
    Ok(buf)
}

pub(super) fn parse_object(text: &str, what: &str) -> Result<Map<String, Value>> {
    match parse_strict(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::input(format!("{what} must be a JSON object"))
            .hint(r#"e.g. --content '{"text":"disk 93% full"}'"#)),
        Err(why) => Err(Error::input(format!("{what} is not valid JSON: {why}"))
            .hint(r#"e.g. --content '{"text":"disk 93% full"}'"#)),
    }
}

fn content_arg(content: Option<String>, file: Option<PathBuf>) -> Result<Map<String, Value>> {
    match (content, file) {
        (Some(c), _) if c == "-" => parse_object(&read_limited(std::io::stdin().lock(), "stdin")?, "content"),
        (Some(c), _) => parse_object(&c, "--content"),
        (None, Some(f)) => {
            let file = std::fs::File::open(&f)
                .map_err(|e| Error::input(format!("cannot read content file {}: {e}", f.display())))?;
            parse_object(
                &read_limited(file, &format!("content file {}", f.display()))?,
                "content file",
            )
        }
        (None, None) => {
            Err(Error::input("no content given")
                .hint("pass --content JSON, --content-file FILE or --content -"))
        }
    }
}

pub(super) fn open_for_append(s: &Settings, signing: &SignArgs) -> Result<(Ledger, Signers)> {
    let ledger = Ledger::open(&s.db)?;
    if let Some(t) = settings::lock_timeout()? {
        ledger.set_lock_timeout(t)?;
    }
    let signers = load_signers(signing, Some(&ledger.genesis.origin))?;
    Ok((ledger, signers))
}

fn append(s: &Settings, a: AppendArgs) -> Result<u8> {
    let clock = settings::clock()?;
    if let Some(batch) = &a.batch {
        let (mut ledger, key) = open_for_append(s, &a.signing)?;
        let reader: Box<dyn BufRead> = if batch == Path::new("-") {
            Box::new(std::io::stdin().lock())
        } else {
            let f = std::fs::File::open(batch)
                .map_err(|e| Error::input(format!("cannot read batch file {}: {e}", batch.display())))?;
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
        return print_appended(s, &ledger, &appended?);
    }
    let content = content_arg(a.content, a.content_file)?;
    for r in &a.refs {
        if !is_valid_ulid(r) {
            return Err(Error::input(format!("--ref {r:?} is not an entry id (a ULID)")));
        }
    }
    let (mut ledger, key) = open_for_append(s, &a.signing)?;
    let e = NewEntry {
        kind: a.kind.unwrap_or_default(),
        source: a.source.unwrap_or_default(),
        content,
        refs: a.refs,
    };
    let appended = ledger.append(&key, &clock, std::iter::once(Ok(e)), &mut |_| {})?;
    print_appended(s, &ledger, &appended)
}

/// JSON Lines batch input; errors name the line.
struct BatchLines {
    reader: Box<dyn BufRead>,
    line_no: u64,
    kind: Option<String>,
    source: Option<String>,
}

impl Iterator for BatchLines {
    type Item = Result<NewEntry>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let mut buf = Vec::new();
            self.line_no += 1;
            let n = match self
                .reader
                .by_ref()
                .take(MAX_INPUT_BYTES + 1)
                .read_until(b'\n', &mut buf)
            {
                Ok(n) => n,
                Err(e) => {
                    return Some(Err(Error::input(format!(
                        "batch line {}: cannot read: {e}",
                        self.line_no
                    ))))
                }
            };
            if n == 0 {
                return None;
            }
            if n as u64 > MAX_INPUT_BYTES {
                return Some(Err(Error::input(format!(
                    "batch line {} is longer than 1 MiB",
                    self.line_no
                ))));
            }
            let Ok(text) = std::str::from_utf8(&buf) else {
                return Some(Err(Error::input(format!(
                    "batch line {} is not UTF-8",
                    self.line_no
                ))));
            };
            if text.trim().is_empty() {
                continue;
            }
            return Some(
                self.parse(text)
                    .map_err(|e| e.context(format!("batch line {}", self.line_no))),
            );
        }
    }
}

impl BatchLines {
    fn parse(&self, text: &str) -> Result<NewEntry> {
        let mut obj = parse_object(text, "the line")?;
        for k in obj.keys() {
            if !matches!(k.as_str(), "kind" | "source" | "content" | "refs") {
                return Err(Error::input(format!("unknown field {k:?}"))
                    .hint("a batch line has kind, content, and optionally source and refs"));
            }
        }
        let text_field = |obj: &mut Map<String, Value>, k: &str, default: &Option<String>| match obj.remove(k)
        {
            Some(Value::String(v)) => Ok(v),
            None => default
                .clone()
                .ok_or_else(|| Error::input(format!("no {k:?} (and no --{k} default)"))),
            Some(_) => Err(Error::input(format!("{k:?} must be a string"))),
        };
        let kind = text_field(&mut obj, "kind", &self.kind)?;
        let source = text_field(&mut obj, "source", &self.source)?;
        let content = match obj.remove("content") {
            Some(Value::Object(m)) => m,
            _ => return Err(Error::input("\"content\" must be a JSON object")),
        };
        let refs = match obj.remove("refs") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) if is_valid_ulid(&s) => Ok(s),
                    _ => Err(Error::input("\"refs\" must be entry ids")),
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(Error::input("\"refs\" must be an array of entry ids")),
        };
        Ok(NewEntry {
            kind,
            source,
            content,
            refs,
        })
    }
}

pub(super) fn print_appended(s: &Settings, ledger: &Ledger, a: &Appended) -> Result<u8> {
    let filter = LogFilter {
        from_seq: Some(a.first_seq),
        ..Default::default()
    };
    if s.json {
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        let w = |r: std::io::Result<()>| r.map_err(output::stdout_error);
        w(write!(stdout, "{{\"entries\":["))?;
        let mut first = true;
        ledger.log(&filter, |e| {
            let sep = if first { "" } else { "," };
            first = false;
            let v = json!({"seq": e.entry.seq, "id": e.entry.id, "kind": e.entry.kind, "leaf": hex(&e.leaf)});
            w(write!(stdout, "{sep}{v}"))
        })?;
        w(writeln!(
            stdout,
            "],\"checkpoint\":{}}}",
            checkpoint_json(&a.checkpoint)
        ))?;
        w(stdout.flush())?;
        return Ok(0);
    }
    if a.count <= 50 {
        let mut t = table(&["seq", "id", "kind", "leaf hash"]);
        ledger.log(&filter, |e| {
            t.add_row(vec![
                e.entry.seq.to_string(),
                e.entry.id,
                e.entry.kind,
                hex(&e.leaf),
            ]);
            Ok(())
        })?;
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
    let clock = settings::clock()?;
    let content = a
        .content
        .as_deref()
        .map(|c| parse_object(c, "--content"))
        .transpose()?;
    let (mut ledger, key) = open_for_append(s, &a.signing)?;
    let target_seq = ledger.resolve(&a.entry)?;
    let target = ledger
        .entry_by_seq(target_seq)?
        .map(|e| e.entry.id)
        .unwrap_or_default();
    let superseded_by = match a.superseded_by {
        Some(r) => {
            let seq = ledger.resolve(&r)?;
            Some(ledger.entry_by_seq(seq)?.map(|e| e.entry.id).unwrap_or_default())
        }
        None => None,
    };
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
        ruling: None,
    };
    let appended = ledger.amend(&key, &clock, &a.source, amendment)?;
    print_appended(s, &ledger, &appended)
}

fn read_checkpoint_file(path: &Path) -> Result<Checkpoint> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::input(format!("cannot read checkpoint file {}: {e}", path.display())))?;
    let text = read_limited(file, &format!("checkpoint file {}", path.display()))?;
    Checkpoint::parse(&text).map_err(|e| e.context(path.display()))
}

fn verify(s: &Settings, a: VerifyArgs) -> Result<u8> {
    let mut anchors = Anchors::default();
    for k in &a.trust_key {
        anchors.keys.push(VerifierKey::parse(k)?);
    }
    anchors.checkpoint = a
        .trust_checkpoint
        .as_deref()
        .map(read_checkpoint_file)
        .transpose()?;
    anchors.since = a.since.as_deref().map(read_checkpoint_file).transpose()?;
    if let Some(path) = &a.policy {
        let policy = crate::ledger::policy::Policy::parse(&read_input(path, "policy file")?)?;
        if anchors.keys.is_empty() {
            anchors.keys = policy.logs.clone();
        }
        anchors.policy = Some(policy);
    } else if !a.trust_witness.is_empty() {
        let witnesses = a
            .trust_witness
            .iter()
            .map(|k| VerifierKey::parse(k))
            .collect::<Result<Vec<_>>>()?;
        let quorum = a.witness_quorum.unwrap_or(1);
        anchors.policy = Some(crate::ledger::policy::Policy::from_witnesses(
            vec![],
            witnesses,
            quorum,
        )?);
    }
    let pb = output::progress(s, 0, "verifying");
    let mut progress = |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    };
    let report = match &a.bundle {
        Some(path) => {
            open_bundle(path).and_then(|r| crate::ledger::bundle::verify(r, &anchors, &mut progress))
        }
        None => verify::verify(&s.db, &anchors, &mut progress),
    };
    pb.finish_and_clear();
    let report = report?;
    if report.anchors.is_empty() && !s.quiet {
        eprintln!("warning: no trust anchor given (--trust-key, --trust-checkpoint): this proves internal consistency only");
    }
    if s.json {
        json(&json!({
            "valid": report.valid(), "entries": report.entries, "checkpoints": report.checkpoints,
            "root": b64(&report.root), "anchors": report.anchors,
            "incremental": anchors.since.is_some(), "checked_from": report.checked_from,
            "failure": report.failure.as_ref().map(|f| json!({"seq": f.seq, "id": f.id, "reason": f.reason})),
        }))?;
    } else if let Some(f) = &report.failure {
        let id = f.id.as_ref().map(|i| format!(" (id {i})")).unwrap_or_default();
        out(format!(
            "{} at seq {}{id}: {}",
            paint(s, "31;1", "INVALID"),
            f.seq,
            f.reason
        ))?;
    } else {
        let anchors = if report.anchors.is_empty() {
            "none (internal consistency only)".to_string()
        } else {
            report.anchors.join(", ")
        };
        let scope = if report.checked_from > 0 {
            format!(" (entries {}.. re-checked)", report.checked_from)
        } else {
            String::new()
        };
        out(format!(
            "{}: {} entries{scope}, {} checkpoints, root {}, anchors: {anchors}",
            paint(s, "32;1", "valid"),
            report.entries,
            report.checkpoints,
            b64(&report.root)
        ))?;
    }
    Ok(if report.valid() { 0 } else { 1 })
}

fn log(s: &Settings, a: LogArgs) -> Result<u8> {
    let ledger = Ledger::open_read_only(&s.db)?;
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
            return Err(Error::input(format!(
                "--since {since:?} is neither an entry id nor an RFC 3339 time"
            ))
            .hint("e.g. --since 01JDQ4K4Z0A1B2C3D4E5F6G7H8 or --since 2026-11-01T00:00:00Z"));
        }
    }
    if let Some(k) = &a.kind {
        if !crate::ledger::entry::is_known_kind(k) {
            return Err(Error::input(format!("unknown kind {k:?}")).hint(format!(
                "valid kinds: {}, amendment, genesis",
                crate::ledger::entry::USER_KINDS.join(", ")
            )));
        }
    }
    if s.json {
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        ledger.log(&filter, |e| {
            writeln!(stdout, "{}", entry_json(&e)).map_err(output::stdout_error)
        })?;
        stdout.flush().map_err(output::stdout_error)?;
        return Ok(0);
    }
    let mut t = table(&["seq", "id", "ts", "kind", "source", "content"]);
    ledger.log(&filter, |e| {
        let x = e.entry;
        t.add_row(vec![
            x.seq.to_string(),
            x.id,
            x.ts,
            x.kind,
            x.source,
            compact(&x.content, 60),
        ]);
        Ok(())
    })?;
    out(t.to_string())?;
    Ok(0)
}

fn show(s: &Settings, id: &str) -> Result<u8> {
    let ledger = Ledger::open_read_only(&s.db)?;
    let view = ledger.show(id)?;
    if s.json {
        json(&json!({
            "entry": entry_json(&view.entry),
            "status": view.status.as_str(),
            "superseded_by": match &view.status { crate::ledger::amend::Status::Superseded { by } => Some(by), _ => None },
            "effective_content": view.effective_content,
            "amendments": view.amendments.iter().map(|(e, _)| entry_json(e)).collect::<Vec<_>>(),
        }))?;
        return Ok(0);
    }
    let e = &view.entry.entry;
    let mut t = table(&["field", "value"]);
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
        (
            "status",
            match &view.status {
                crate::ledger::amend::Status::Superseded { by } => format!("superseded by {by}"),
                st => st.as_str().to_owned(),
            },
        ),
        (
            "effective content",
            serde_json::to_string_pretty(&view.effective_content).unwrap_or_default(),
        ),
    ] {
        t.add_row(vec![k.to_owned(), v]);
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
            at.add_row(vec![
                stored.entry.seq.to_string(),
                stored.entry.id.clone(),
                a.kind.as_str().to_owned(),
                a.reason.clone(),
                c,
            ]);
        }
        out(at.to_string())?;
    }
    Ok(0)
}

fn reader(s: &Settings, a: ReaderArgs) -> Result<u8> {
    use crate::ledger::reader::{self, Format, Options};
    let format = match (a.format, s.json && a.out.is_none()) {
        (Some(ReaderFormat::Md), _) | (None, false) => Format::Markdown,
        (Some(ReaderFormat::Html), _) => Format::Html,
        (Some(ReaderFormat::Json), _) | (None, true) => Format::Json,
    };
    let ledger = Ledger::open_read_only(&s.db)?;
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
        eprintln!("warning: the ledger fails verification; the edition is marked unverified: {p}");
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
            write_atomically(path, |w| edition.write_to(w))?;
            let summary = json!({
                "out": path.display().to_string(), "size": edition.size, "root": b64(&edition.root),
                "verified": edition.problem.is_none(), "paragraphs": edition.paragraphs,
            });
            if s.json {
                json(&summary)?;
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

/// Writes a file by writing a temporary sibling and renaming it over the target, so that
/// readers never see half a file.
fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = std::fs::File::create(&tmp)
        .and_then(|f| {
            let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
            write(&mut w)?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::env(format!("cannot write {}: {e}", path.display())));
    }
    Ok(())
}

/// Reads a file, or stdin for '-', refusing more than 1 MiB.
fn read_input(path: &Path, what: &str) -> Result<String> {
    if path == Path::new("-") {
        return read_limited(std::io::stdin().lock(), what);
    }
    let f = std::fs::File::open(path)
        .map_err(|e| Error::input(format!("cannot read {what} {}: {e}", path.display())))?;
    read_limited(f, &format!("{what} {}", path.display()))
}

/// Writes `text` to `out` (atomically) or stdout.
fn emit(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(path) => write_atomically(path, |w| w.write_all(text.as_bytes())),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(output::stdout_error)
        }
    }
}

type Trust = Box<dyn Fn(&Checkpoint) -> std::result::Result<(), String>>;

/// The offline trust decision for a checkpoint: pinned log keys, or a policy.
fn trust_from(t: &super::args::TrustArgs) -> Result<(Trust, Vec<String>)> {
    use crate::ledger::policy::Policy;
    let keys = t
        .trust_key
        .iter()
        .map(|k| VerifierKey::parse(k))
        .collect::<Result<Vec<_>>>()?;
    let policy = t
        .policy
        .as_deref()
        .map(|p| read_input(p, "policy file").and_then(|text| Policy::parse(&text)))
        .transpose()?;
    if keys.is_empty() && policy.as_ref().is_none_or(|p| p.logs.is_empty()) {
        return Err(Error::input("no trusted log key: offline verification needs one")
            .hint("pass --trust-key VKEY (from 'echoctl init' or 'echoctl key show'), or --policy FILE listing the log"));
    }
    let mut anchors: Vec<String> = keys.iter().map(|k| format!("key {}", k.identity())).collect();
    if let Some(p) = &policy {
        anchors.push(format!(
            "policy ({} logs, {} witnesses)",
            p.logs.len(),
            p.witnesses.len()
        ));
    }
    let check: Trust = Box::new(move |cp: &Checkpoint| match &policy {
        Some(p) => p.check(cp, &keys),
        None if cp.valid_signers(&keys).is_empty() => {
            Err("the checkpoint carries no valid signature by a trusted key".into())
        }
        None => Ok(()),
    });
    Ok((check, anchors))
}

pub fn checkpoint(s: &Settings, a: super::args::CheckpointArgs) -> Result<u8> {
    if let Some(file) = &a.add_cosignature {
        let lines = read_input(file, "cosignature file")?;
        let mut ledger = Ledger::open(&s.db)?;
        let added = ledger.add_cosignatures(a.size, &lines)?;
        if s.json {
            json(&json!({"added": added}))?;
        } else {
            note(s, format!("stored {added} new cosignature(s)"));
        }
        return Ok(0);
    }
    let ledger = Ledger::open_read_only(&s.db)?;
    let note_text = crate::ledger::proof::stored_checkpoint(&ledger, a.size)?;
    if s.json {
        let cp = Checkpoint::parse(&note_text)?;
        let mut v = checkpoint_json(&cp);
        v["note"] = Value::String(note_text);
        json(&v)?;
    } else {
        emit(None, &note_text)?;
    }
    Ok(0)
}

pub fn proof(s: &Settings, a: super::args::ProofArgs) -> Result<u8> {
    use crate::ledger::proof::{self, Receipt};
    if let Some(super::args::ProofCommand::Verify { receipt, trust }) = a.verify {
        let (check, anchors) = trust_from(&trust)?;
        let r = Receipt::parse(&read_input(&receipt, "receipt")?)?;
        let (e, cp) = r.verify(&*check)?;
        if s.json {
            json(
                &json!({"valid": true, "seq": e.seq, "id": e.id, "kind": e.kind, "ts": e.ts,
                "leaf": hex(&crate::ledger::merkle::leaf_hash(&r.entry)), "checkpoint": checkpoint_json(&cp), "anchors": anchors}),
            )?;
        } else {
            out(format!(
                "valid: entry {} ({}, {}) is in {} at size {}, root {}; anchors: {}",
                e.seq,
                e.id,
                e.kind,
                cp.origin,
                cp.size,
                b64(&cp.root),
                anchors.join(", ")
            ))?;
        }
        return Ok(0);
    }
    let ledger = Ledger::open_read_only(&s.db)?;
    let seq = ledger.resolve(a.id.as_deref().unwrap_or_default())?;
    let r = proof::receipt(&ledger, seq, a.size)?;
    emit(a.out.as_deref(), &r.encode())?;
    if a.out.is_some() {
        note(s, format!("wrote the receipt for entry {seq}"));
    }
    Ok(0)
}

pub fn consistency(s: &Settings, a: super::args::ConsistencyArgs) -> Result<u8> {
    use crate::ledger::proof::{self, ConsistencyProof};
    if let Some(path) = &a.verify {
        let (check, anchors) = trust_from(&a.trust)?;
        let p = ConsistencyProof::parse(&read_input(path, "consistency proof")?)?;
        let (old, new) = p.verify(&*check)?;
        if s.json {
            json(
                &json!({"valid": true, "old": checkpoint_json(&old), "new": checkpoint_json(&new), "anchors": anchors}),
            )?;
        } else {
            out(format!(
                "valid: {} at size {} extends size {}; anchors: {}",
                new.origin,
                new.size,
                old.size,
                anchors.join(", ")
            ))?;
        }
        return Ok(0);
    }
    let from = a.from.as_deref().unwrap_or(Path::new("-"));
    let old_note = read_input(from, "checkpoint file")?;
    let old = Checkpoint::parse(&old_note)?;
    let new_note =
        a.to.as_deref()
            .map(|p| read_input(p, "checkpoint file"))
            .transpose()?;
    let ledger = Ledger::open_read_only(&s.db)?;
    let p = proof::consistency(&ledger, &old, &old_note, new_note.as_deref())?;
    let text = serde_json::to_string_pretty(&p).unwrap_or_default() + "\n";
    emit(a.out.as_deref(), &text)?;
    Ok(0)
}

pub fn witness(s: &Settings, cmd: super::args::WitnessCommand) -> Result<u8> {
    use crate::ledger::proof::ConsistencyProof;
    use crate::ledger::witness;
    let super::args::WitnessCommand::Cosign {
        checkpoint,
        key,
        proof,
        log_key,
        state,
    } = cmd;
    let key = KeyFile::load(&key)?;
    let note_text = read_input(&checkpoint, "checkpoint file")?;
    let cp = Checkpoint::parse(&note_text)?;
    let log_key = log_key.as_deref().map(VerifierKey::parse).transpose()?;
    let proof = proof
        .as_deref()
        .map(|p| read_input(p, "consistency proof").and_then(|t| ConsistencyProof::parse(&t)))
        .transpose()?;
    let state_path = match state {
        Some(p) => p,
        None => settings::witness_state_path(&cp.origin)?,
    };
    let last = witness::load_state(&state_path)?;
    let next = witness::check_consistent(&cp, &note_text, last.as_ref(), proof.as_ref(), log_key.as_ref())?;
    let clock = settings::clock()?;
    let timestamp = u64::try_from(clock.now / 1000).unwrap_or(0);
    let line = witness::cosign(&key, &cp, timestamp)?;
    witness::save_state(&state_path, &next)?;
    if s.json {
        json(
            &json!({"cosignature": line, "origin": cp.origin, "size": cp.size, "state": state_path.display().to_string()}),
        )?;
    } else {
        emit(None, &line)?;
    }
    Ok(0)
}

fn open_bundle(path: &Path) -> Result<Box<dyn std::io::BufRead>> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            std::io::stdin(),
        )));
    }
    let f = std::fs::File::open(path)
        .map_err(|e| Error::input(format!("cannot read bundle {}: {e}", path.display())))?;
    Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, f)))
}

pub fn export(s: &Settings, out: &Path) -> Result<u8> {
    let ledger = Ledger::open_read_only(&s.db)?;
    let pb = output::progress(s, 0, "exporting");
    let mut progress = |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    };
    let mut summary = None;
    let mut run = |w: &mut dyn Write| -> std::io::Result<()> {
        let r = crate::ledger::bundle::export(&ledger, w, &mut progress)
            .map_err(|e| std::io::Error::other(e.message))?;
        summary = Some(r);
        Ok(())
    };
    if out == Path::new("-") {
        let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        run(&mut stdout)
            .and_then(|()| stdout.flush())
            .map_err(output::stdout_error)?;
    } else {
        write_atomically(out, run)?;
    }
    pb.finish_and_clear();
    let x = summary.ok_or_else(|| Error::env("the export did not finish"))?;
    if s.json && out != Path::new("-") {
        json(
            &json!({"out": out.display().to_string(), "entries": x.entries, "checkpoints": x.checkpoints, "sha256": x.sha256}),
        )?;
    } else {
        note(
            s,
            format!(
                "exported {} entries and {} checkpoints (sha256 {})",
                x.entries, x.checkpoints, x.sha256
            ),
        );
    }
    Ok(0)
}

pub fn import(s: &Settings, bundle: &Path, trust_key: &[String]) -> Result<u8> {
    use crate::ledger::bundle;
    if bundle == Path::new("-") {
        return Err(Error::input(
            "import reads the bundle twice (verify, then write): pass a file, not '-'",
        ));
    }
    if s.db.exists() {
        return Err(Error::input(format!("{} already exists", s.db.display()))
            .hint("import builds a new ledger: choose another path with --db"));
    }
    let mut anchors = Anchors::default();
    for k in trust_key {
        anchors.keys.push(VerifierKey::parse(k)?);
    }
    let report = bundle::verify(open_bundle(bundle)?, &anchors, &mut |_, _| {})?;
    if let Some(f) = &report.failure {
        out_failure(s, f)?;
        return Ok(1);
    }
    let n = bundle::import(&s.db, open_bundle(bundle)?, &mut |_, _| {})?;
    if s.json {
        json(&json!({"db": s.db.display().to_string(), "entries": n, "root": b64(&report.root)}))?;
    } else {
        out(format!(
            "imported {n} entries into {} (root {})",
            s.db.display(),
            b64(&report.root)
        ))?;
    }
    Ok(0)
}

fn out_failure(s: &Settings, f: &verify::Failure) -> Result<()> {
    let id = f.id.as_ref().map(|i| format!(" (id {i})")).unwrap_or_default();
    if s.json {
        json(&json!({"valid": false, "failure": {"seq": f.seq, "id": f.id, "reason": f.reason}}))
    } else {
        out(format!(
            "{} at seq {}{id}: {}",
            paint(s, "31;1", "INVALID"),
            f.seq,
            f.reason
        ))
    }
}
