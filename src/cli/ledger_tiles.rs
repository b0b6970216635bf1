//! `ledger tiles --out DIR`, the tiles side of `ledger verify` (`--tiles DIR` or `--url
//! URL`, with `--state FILE`), and `ledger mirror`: the ledger published as C2SP
//! tlog-tiles, and checked or copied from them alone.

use super::args::TrustArgs;
use super::exit::{Failure, Result};
use super::output::{self, json, out};
use super::settings::Settings;
use crate::ledger::kinds::Kinds;
use crate::ledger::tiles::check::{self, Source, State};
use crate::ledger::tiles::publish::publish as publish_tiles;
use crate::ledger::verify::{Anchors, Report};
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct TilesJson {
    out: String,
    /// The size the directory published before, and publishes now.
    from: u64,
    size: u64,
    written: usize,
    unchanged: usize,
    checkpoint: String,
}

pub fn publish(s: &Settings, dir: &Path, sync: bool) -> Result<u8> {
    let store = crate::ledger::store::open(&s.db, crate::ledger::store::Mode::ReadOnly)?;
    let snapshot = store.read()?;
    let pb = output::progress(s, 0, "writing tiles");
    let done = publish_tiles(snapshot.as_ref(), dir, sync, &mut |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    });
    pb.finish_and_clear();
    let p = done?;
    if s.json {
        json(&TilesJson {
            out: dir.display().to_string(),
            from: p.from,
            size: p.size,
            written: p.written,
            unchanged: p.unchanged,
            checkpoint: p.checkpoint,
        })?;
    } else {
        let since = if p.from > 0 {
            format!(" (it held {})", p.from)
        } else {
            String::new()
        };
        out(format!(
            "published {} entries to {}{since}: {} tiles written, {} unchanged",
            p.size,
            dir.display(),
            p.written,
            p.unchanged
        ))?;
    }
    Ok(0)
}

/// Verifies the log `source` serves; with `state`, resumes from it and keeps the new
/// state when the log verifies.
pub(super) fn verify(
    source: &dyn Source,
    kinds: &Kinds,
    anchors: &Anchors,
    state: Option<&Path>,
    incremental: &mut bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report> {
    let since = match state {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => Some(State::parse(&bytes).map_err(|e| Failure::from(e).context(path.display()))?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(Failure::env(format!("cannot read {}: {e}", path.display()))
                    .hint("check the path of --state and its permissions"))
            }
        },
        None => None,
    };
    *incremental = since.as_ref().is_some_and(|s| s.size > 0);
    let checked = check::check(
        source,
        kinds,
        anchors,
        since.as_ref(),
        &mut |_, _| Ok(()),
        progress,
    )?;
    if let (Some(path), Some(next)) = (state, &checked.state) {
        let bytes = serde_json::to_vec_pretty(next).unwrap_or_default();
        crate::ledger::files::write_atomically(path, &bytes, true).map_err(|e| {
            Failure::env(format!("cannot write {}: {e}", path.display()))
                .hint("check that the directory exists, that you may write to it, and the free space")
        })?;
    }
    Ok(checked.report)
}

pub(super) use super::tiles_http::Http;

#[derive(Serialize)]
struct MirrorJson<'a> {
    url: &'a str,
    db: String,
    created: bool,
    from: u64,
    size: u64,
    failure: Option<super::ledger_proofs::FailureJson<'a>>,
    root: String,
    valid: bool,
}

pub fn mirror(s: &Settings, url: &str, trust: &TrustArgs) -> Result<u8> {
    let anchors = super::ledger_proofs::trust_anchors(trust)?;
    let source = Http::new(url)?;
    let pb = output::progress(s, 0, "mirroring");
    let done =
        crate::ledger::tiles::mirror::mirror(&source, &s.db, &super::registry(), &anchors, &mut |d, t| {
            pb.set_length(t);
            pb.set_position(d);
        });
    pb.finish_and_clear();
    let m = done?;
    if anchors.keys.is_empty() && !s.quiet {
        eprintln!(
            "warning: no trust anchor given (--trust-key, --policy): this proves internal consistency only"
        );
    }
    if s.json {
        json(&MirrorJson {
            url,
            db: s.db.to_string(),
            created: m.created,
            from: m.from,
            size: m.size,
            failure: m.report.failure.as_ref().map(Into::into),
            root: output::b64(&m.report.root),
            valid: m.report.valid(),
        })?;
    } else if let Some(f) = &m.report.failure {
        super::ledger_proofs::print_failure(s, f)?;
        eprintln!("the mirror is left as it was ({} entries)", m.from);
    } else {
        out(format!(
            "mirrored {url} into {}: {} entries ({} new)",
            s.db,
            m.size,
            m.size - m.from
        ))?;
    }
    Ok(if m.report.valid() { 0 } else { 1 })
}
