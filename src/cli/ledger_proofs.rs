//! `echoctl ledger verify|checkpoint|proof|consistency|witness|export|import`: what
//! auditors and witnesses run, and the files they pass around.

use super::args::{
    CheckpointArgs, ConsistencyArgs, ProofArgs, ProofCommand, TrustArgs, VerifyArgs, WitnessCommand,
};
use super::exit::{Failure, Result};
use super::ledger::{open_read_only, parse_vkey, read_limited};
use super::output::{self, b64, json, note, out, paint, CheckpointJson};
use super::settings::Settings;
use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::entry::hex;
use crate::ledger::policy::Policy;
use crate::ledger::verify::{self, Anchors, Failure as VerifyFailure};
use crate::ledger::{bundle, Ledger};
use crate::sign::file::KeyFile;
use crate::sign::VerifierKey;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

fn read_checkpoint_file(path: &Path) -> Result<Checkpoint> {
    let text = read_input(path, "checkpoint file")?;
    Checkpoint::parse(&text).map_err(|e| Failure::from(e).context(path.display()))
}

#[derive(Serialize)]
pub(super) struct FailureJson<'a> {
    id: Option<&'a str>,
    reason: &'a str,
    seq: u64,
}

impl<'a> From<&'a VerifyFailure> for FailureJson<'a> {
    fn from(f: &'a VerifyFailure) -> Self {
        FailureJson {
            id: f.id.as_deref(),
            reason: &f.reason,
            seq: f.seq,
        }
    }
}

#[derive(Serialize)]
struct VerifyJson<'a> {
    anchors: &'a [String],
    checked_from: u64,
    checkpoints: u64,
    entries: u64,
    failure: Option<FailureJson<'a>>,
    incremental: bool,
    root: String,
    valid: bool,
}

pub fn verify(s: &Settings, a: VerifyArgs) -> Result<u8> {
    let mut anchors = Anchors::default();
    for k in &a.trust_key {
        anchors.keys.push(parse_vkey(k)?);
    }
    anchors.checkpoint = a
        .trust_checkpoint
        .as_deref()
        .map(read_checkpoint_file)
        .transpose()?;
    anchors.since = a.since.as_deref().map(read_checkpoint_file).transpose()?;
    if let Some(path) = &a.policy {
        let policy = Policy::parse(&read_input(path, "policy file")?)?;
        if anchors.keys.is_empty() {
            anchors.keys = policy.logs.clone();
        }
        anchors.policy = Some(policy);
    } else if !a.trust_witness.is_empty() {
        let witnesses = a
            .trust_witness
            .iter()
            .map(|k| parse_vkey(k))
            .collect::<Result<Vec<_>>>()?;
        let quorum = a.witness_quorum.unwrap_or(1);
        anchors.policy = Some(Policy::from_witnesses(vec![], witnesses, quorum).map_err(|e| {
            Failure::from(e).hint("--witness-quorum counts --trust-witness keys; print one with 'echoctl key show --witness --key FILE'")
        })?);
    }
    let pb = output::progress(s, 0, "verifying");
    let mut progress = |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    };
    let kinds = super::registry();
    let mut incremental = anchors.since.is_some();
    if a.state.is_some() && a.tiles.is_none() && a.url.is_none() {
        return Err(Failure::usage("--state goes with --tiles or --url")
            .hint("'ledger verify --since CHECKPOINT' is the incremental mode for a ledger file"));
    }
    let source: Option<Box<dyn crate::ledger::tiles::check::Source>> = match (&a.tiles, &a.url) {
        (Some(dir), _) => Some(Box::new(crate::ledger::tiles::check::Dir(dir.clone()))),
        (None, Some(url)) => Some(Box::new(super::ledger_tiles::Http::new(url)?)),
        (None, None) => None,
    };
    let report = match (&a.bundle, source) {
        (Some(path), _) => {
            open_bundle(path).and_then(|r| Ok(bundle::verify(r, &kinds, &anchors, &mut progress)?))
        }
        (None, Some(source)) => super::ledger_tiles::verify(
            source.as_ref(),
            &kinds,
            &anchors,
            a.state.as_deref(),
            &mut incremental,
            &mut progress,
        ),
        (None, None) => crate::ledger::store::open(&s.db, crate::ledger::store::Mode::ReadOnly)
            .map_err(Failure::from)
            .and_then(|store| Ok(verify::verify(store.as_ref(), &kinds, &anchors, &mut progress)?)),
    };
    pb.finish_and_clear();
    let report = report?;
    if report.anchors.is_empty() && !s.quiet {
        eprintln!("warning: no trust anchor given (--trust-key, --trust-checkpoint): this proves internal consistency only");
    }
    if s.json {
        json(&VerifyJson {
            anchors: &report.anchors,
            checked_from: report.checked_from,
            checkpoints: report.checkpoints,
            entries: report.entries,
            failure: report.failure.as_ref().map(Into::into),
            incremental,
            root: b64(&report.root),
            valid: report.valid(),
        })?;
    } else if let Some(f) = &report.failure {
        print_failure(s, f)?;
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

pub(super) fn print_failure(s: &Settings, f: &VerifyFailure) -> Result<()> {
    let id = f.id.as_ref().map(|i| format!(" (id {i})")).unwrap_or_default();
    out(format!(
        "{} at seq {}{id}: {}",
        paint(s, "31;1", "INVALID"),
        f.seq,
        output::printable(&f.reason)
    ))
}

/// Writes a file by writing a temporary sibling and renaming it over the target, so that
/// readers never see half a file.
pub(super) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
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
        return Err(Failure::env(format!("cannot write {}: {e}", path.display()))
            .hint("check that the directory exists, that you may write to it, and the free space"));
    }
    Ok(())
}

/// Reads a file, or stdin for '-', refusing more than 1 MiB.
pub(super) fn read_input(path: &Path, what: &str) -> Result<String> {
    if path == Path::new("-") {
        return read_limited(std::io::stdin().lock(), what);
    }
    let f = std::fs::File::open(path).map_err(|e| {
        Failure::usage(format!("cannot read {what} {}: {e}", path.display()))
            .hint("check the path ('-' reads stdin)")
    })?;
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

/// The verifier's anchors from --trust-key and --policy (its logs when no key is given).
pub(super) fn trust_anchors(t: &TrustArgs) -> Result<Anchors> {
    let mut anchors = Anchors::default();
    for k in &t.trust_key {
        anchors.keys.push(parse_vkey(k)?);
    }
    if let Some(path) = &t.policy {
        let policy = Policy::parse(&read_input(path, "policy file")?)?;
        if anchors.keys.is_empty() {
            anchors.keys = policy.logs.clone();
        }
        anchors.policy = Some(policy);
    }
    Ok(anchors)
}

/// The offline trust decision for a checkpoint: pinned log keys, or a policy.
fn trust_from(t: &TrustArgs) -> Result<(Trust, Vec<String>)> {
    let keys = t
        .trust_key
        .iter()
        .map(|k| parse_vkey(k))
        .collect::<Result<Vec<VerifierKey>>>()?;
    let policy = match t.policy.as_deref() {
        Some(p) => Some(Policy::parse(&read_input(p, "policy file")?)?),
        None => None,
    };
    if keys.is_empty() && policy.as_ref().is_none_or(|p| p.logs.is_empty()) {
        return Err(Failure::usage("no trusted log key: offline verification needs one")
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
        None => match cp.valid_signers(&keys) {
            Err(e) => Err(e.to_string()),
            Ok(v) if v.is_empty() => Err("the checkpoint carries no valid signature by a trusted key".into()),
            Ok(_) => Ok(()),
        },
    });
    Ok((check, anchors))
}

#[derive(Serialize)]
struct AddedJson {
    added: usize,
}

#[derive(Serialize)]
struct NoteJson<'a> {
    note: &'a str,
    origin: &'a str,
    root: String,
    size: u64,
}

pub fn checkpoint(s: &Settings, a: CheckpointArgs) -> Result<u8> {
    if a.ask_witnesses {
        let (urls, keys): (Vec<String>, Vec<String>) = s.witnesses().into_iter().unzip();
        if urls.is_empty() {
            return Err(Failure::usage("the config file lists no witness").hint(
                "add [[witness]] tables with url and key to the config file, or pass --witness URL --witness-key VKEY",
            ));
        }
        return super::witness::ask_witnesses(s, &urls, &keys);
    }
    if !a.witness.is_empty() {
        return super::witness::ask_witnesses(s, &a.witness, &a.witness_key);
    }
    if let Some(file) = &a.add_cosignature {
        let witnesses = a
            .witness_key
            .iter()
            .map(|k| super::ledger::parse_vkey(k))
            .collect::<Result<Vec<_>>>()?;
        let lines = read_input(file, "cosignature file")?;
        let mut ledger = Ledger::open(&s.db, super::registry())?;
        let added = ledger.add_cosignatures(a.size, &lines, &witnesses)?;
        if s.json {
            json(&AddedJson { added })?;
        } else {
            note(s, format!("stored {added} new cosignature(s)"));
        }
        return Ok(0);
    }
    let ledger = open_read_only(s)?;
    let note_text = crate::ledger::proof::stored_checkpoint(&ledger, a.size)?;
    if s.json {
        let cp = Checkpoint::parse(&note_text)?;
        json(&NoteJson {
            note: &note_text,
            origin: &cp.origin,
            root: b64(&cp.root),
            size: cp.size,
        })?;
    } else {
        emit(None, &note_text)?;
    }
    Ok(0)
}

#[derive(Serialize)]
struct ReceiptJson<'a> {
    anchors: &'a [String],
    checkpoint: CheckpointJson<'a>,
    id: &'a str,
    kind: &'a str,
    leaf: String,
    seq: u64,
    ts: &'a str,
    valid: bool,
}

pub fn proof(s: &Settings, a: ProofArgs) -> Result<u8> {
    use crate::ledger::proof::{self, Receipt};
    if let Some(ProofCommand::Verify { receipt, trust }) = a.verify {
        let (check, anchors) = trust_from(&trust)?;
        let r = Receipt::parse(&read_input(&receipt, "receipt")?)?;
        let (e, cp) = r.verify(&super::registry(), &*check)?;
        if s.json {
            json(&ReceiptJson {
                anchors: &anchors,
                checkpoint: (&cp).into(),
                id: &e.id,
                kind: &e.kind,
                leaf: hex(&crate::ledger::merkle::leaf_hash(&r.entry)),
                seq: e.seq,
                ts: &e.ts,
                valid: true,
            })?;
        } else {
            out(format!(
                "valid: entry {} ({}, {}) is in {} at size {}, root {}; anchors: {}",
                e.seq,
                e.id,
                e.kind,
                output::printable(&cp.origin),
                cp.size,
                b64(&cp.root),
                anchors.join(", ")
            ))?;
        }
        return Ok(0);
    }
    let ledger = open_read_only(s)?;
    let seq = ledger.resolve(a.id.as_deref().unwrap_or_default())?;
    let r = proof::receipt(&ledger, seq, a.size)?;
    emit(a.out.as_deref(), &r.encode())?;
    if a.out.is_some() {
        note(s, format!("wrote the receipt for entry {seq}"));
    }
    Ok(0)
}

#[derive(Serialize)]
struct ConsistencyJson<'a> {
    anchors: &'a [String],
    new: CheckpointJson<'a>,
    old: CheckpointJson<'a>,
    valid: bool,
}

pub fn consistency(s: &Settings, a: ConsistencyArgs) -> Result<u8> {
    use crate::ledger::proof::{self, ConsistencyProof};
    if let Some(path) = &a.verify {
        let (check, anchors) = trust_from(&a.trust)?;
        let p = ConsistencyProof::parse(&read_input(path, "consistency proof")?)?;
        let (old, new) = p.verify(&*check)?;
        if s.json {
            json(&ConsistencyJson {
                anchors: &anchors,
                new: (&new).into(),
                old: (&old).into(),
                valid: true,
            })?;
        } else {
            out(format!(
                "valid: {} at size {} extends size {}; anchors: {}",
                output::printable(&new.origin),
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
    let ledger = open_read_only(s)?;
    let p = proof::consistency(&ledger, &old, &old_note, new_note.as_deref())?;
    let text = serde_json::to_string_pretty(&p).unwrap_or_default() + "\n";
    emit(a.out.as_deref(), &text)?;
    Ok(0)
}

#[derive(Serialize)]
struct CosignatureJson<'a> {
    cosignature: &'a str,
    origin: &'a str,
    size: u64,
    state: String,
}

pub fn witness(s: &Settings, cmd: WitnessCommand) -> Result<u8> {
    use crate::ledger::proof::ConsistencyProof;
    let WitnessCommand::Cosign {
        checkpoint,
        key,
        proof,
        log_key,
        state,
    } = cmd;
    let key = KeyFile::load(&key)?;
    let note_text = read_input(&checkpoint, "checkpoint file")?;
    let cp = Checkpoint::parse(&note_text)?;
    let log_key = log_key.as_deref().map(parse_vkey).transpose()?;
    let proof = match proof.as_deref() {
        Some(p) => Some(ConsistencyProof::parse(&read_input(p, "consistency proof")?)?),
        None => None,
    };
    let at = match state {
        Some(p) => crate::ledger::store::Location::parse(p.as_os_str()),
        None => crate::ledger::store::Location::File(s.witness_state_path()?),
    };
    let clock = s.clock()?;
    let timestamp = u64::try_from(clock.now / 1000).unwrap_or(0);
    let line =
        crate::witness::cosign_offline(&at, &key, &note_text, proof.as_ref(), log_key.as_ref(), timestamp)
            .map_err(|e| {
                Failure::from(e)
                    .or_hint("pass a consistency proof from the last cosigned checkpoint with --proof")
            })?;
    if s.json {
        json(&CosignatureJson {
            cosignature: &line,
            origin: &cp.origin,
            size: cp.size,
            state: at.to_string(),
        })?;
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
    let f = std::fs::File::open(path).map_err(|e| {
        Failure::usage(format!("cannot read bundle {}: {e}", path.display()))
            .hint("check the path ('-' reads stdin)")
    })?;
    Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, f)))
}

#[derive(Serialize)]
struct ExportJson<'a> {
    checkpoints: u64,
    entries: u64,
    out: String,
    sha256: &'a str,
}

pub fn export(s: &Settings, out_path: &Path) -> Result<u8> {
    let ledger = open_read_only(s)?;
    let pb = output::progress(s, 0, "exporting");
    let mut progress = |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    };
    let mut summary = None;
    let mut failed = None;
    let mut run = |w: &mut dyn Write| -> std::io::Result<()> {
        match bundle::export(&ledger, w, &mut progress) {
            Ok(r) => summary = Some(r),
            Err(e) => {
                let text = e.to_string();
                failed = Some(e);
                return Err(std::io::Error::other(text));
            }
        }
        Ok(())
    };
    let written = if out_path == Path::new("-") {
        let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        run(&mut stdout)
            .and_then(|()| stdout.flush())
            .map_err(output::stdout_error)
    } else {
        write_atomically(out_path, run)
    };
    pb.finish_and_clear();
    if let Some(e) = failed {
        return Err(e.into());
    }
    written?;
    let x = summary.ok_or_else(|| Failure::env("the export did not finish"))?;
    if s.json && out_path != Path::new("-") {
        json(&ExportJson {
            checkpoints: x.checkpoints,
            entries: x.entries,
            out: out_path.display().to_string(),
            sha256: &x.sha256,
        })?;
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

#[derive(Serialize)]
struct ImportJson {
    db: String,
    entries: u64,
    root: String,
}

#[derive(Serialize)]
struct InvalidJson<'a> {
    failure: FailureJson<'a>,
    valid: bool,
}

pub fn import(s: &Settings, bundle_path: &Path, trust_key: &[String]) -> Result<u8> {
    if bundle_path == Path::new("-") {
        return Err(Failure::usage(
            "import reads the bundle twice (verify, then write): pass a file, not '-'",
        )
        .hint("save the bundle to a file first"));
    }
    if crate::ledger::store::exists(&s.db)? {
        return Err(Failure::usage(format!("{} already exists", s.db))
            .hint("import builds a new ledger: choose another path with --db"));
    }
    let mut anchors = Anchors::default();
    for k in trust_key {
        anchors.keys.push(parse_vkey(k)?);
    }
    let kinds = super::registry();
    let report = bundle::verify(open_bundle(bundle_path)?, &kinds, &anchors, &mut |_, _| {})?;
    if let Some(f) = &report.failure {
        if s.json {
            json(&InvalidJson {
                failure: f.into(),
                valid: false,
            })?;
        } else {
            print_failure(s, f)?;
        }
        return Ok(1);
    }
    let n = bundle::import(&s.db, open_bundle(bundle_path)?, &mut |_, _| {})?;
    if s.json {
        json(&ImportJson {
            db: s.db.to_string(),
            entries: n,
            root: b64(&report.root),
        })?;
    } else {
        out(format!(
            "imported {n} entries into {} (root {})",
            s.db,
            b64(&report.root)
        ))?;
    }
    Ok(0)
}
