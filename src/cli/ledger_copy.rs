//! `ledger copy`: a ledger into another engine or file, resumable, then verified.

use super::exit::{Failure, Result};
use super::ledger_proofs::{print_failure, FailureJson};
use super::output::{self, b64, json, out};
use super::settings::Settings;
use crate::ledger::copy;
use crate::ledger::verify::{self, Anchors};
use serde::Serialize;
use std::ffi::OsStr;

#[derive(Serialize)]
struct CopyJson<'a> {
    from: String,
    to: String,
    created: bool,
    /// Entries the destination held before, and holds now.
    from_size: u64,
    size: u64,
    copied: u64,
    checkpoints: u64,
    cosignatures: u64,
    failure: Option<FailureJson<'a>>,
    root: String,
    valid: bool,
}

pub fn copy(s: &Settings, from: Option<&OsStr>, to: &OsStr) -> Result<u8> {
    let from = match from {
        Some(f) => s.location(f)?,
        None => s.db.clone(),
    };
    let to = s.location(to)?;
    if from == to {
        return Err(Failure::usage(format!("--from and --to are both {from}"))
            .hint("copy into another file or database"));
    }
    let pb = output::progress(s, 0, "copying");
    let done = copy::copy(&from, &to, &mut |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    });
    pb.finish_and_clear();
    let done = done?;
    let pb = output::progress(s, 0, "verifying the copy");
    let dest = crate::ledger::store::open(&to, crate::ledger::store::Mode::ReadOnly)?;
    let report = verify::verify(
        dest.as_ref(),
        &super::registry(),
        &Anchors::default(),
        &mut |done, total| {
            pb.set_length(total);
            pb.set_position(done);
        },
    );
    pb.finish_and_clear();
    let report = report?;
    if s.json {
        json(&CopyJson {
            from: from.to_string(),
            to: to.to_string(),
            created: done.created,
            from_size: done.from_size,
            size: done.size,
            copied: done.size - done.from_size,
            checkpoints: done.checkpoints,
            cosignatures: done.cosignatures,
            failure: report.failure.as_ref().map(Into::into),
            root: b64(&report.root),
            valid: report.valid(),
        })?;
    } else if let Some(f) = &report.failure {
        print_failure(s, f)?;
    } else {
        let copied = done.size - done.from_size;
        let what = if copied == 0 {
            format!("{to} already holds all {} entries of {from}", done.size)
        } else {
            format!(
                "copied {copied} entries ({} to {}) from {from} into {to}{}",
                done.from_size,
                done.size,
                if done.created { " (created)" } else { "" }
            )
        };
        out(format!("{what}; verified: root {}", b64(&report.root)))?;
    }
    Ok(if report.valid() { 0 } else { 1 })
}
