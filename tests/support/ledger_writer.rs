//! A writer process for the concurrency tests: appends COUNT observations to the ledger at
//! DB, one transaction (one entry, one checkpoint) each, through the library, and prints
//! each committed seq on its own line as soon as it committed. Errors go to stderr and
//! end the process with status 3.
//!
//!   ledger_writer DB KEYFILE COUNT TAG

use echoctl::clock::Clock;
use echoctl::ledger::store::Location;
use echoctl::ledger::{Ledger, LedgerError, NewEntry};
use echoctl::sign::file::KeyFile;
use echoctl::sign::Signers;
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, db, key, count, tag] = &args[..] else {
        eprintln!("usage: ledger_writer DB KEYFILE COUNT TAG");
        std::process::exit(2);
    };
    let count: u64 = count.parse().unwrap_or(0);
    if let Err(e) = run(db, key, count, tag) {
        eprintln!("error: {e}");
        std::process::exit(3);
    }
}

fn run(db: &str, key: &str, count: u64, tag: &str) -> Result<(), Box<dyn std::error::Error>> {
    let signers = Signers::one(KeyFile::load(key.as_ref())?);
    let mut ledger = Ledger::open(&Location::parse(db.as_ref()), echoctl::features::registry())?;
    ledger.set_lock_timeout(std::time::Duration::from_secs(120))?;
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        let mut content = serde_json::Map::new();
        content.insert("writer".into(), tag.into());
        content.insert("i".into(), i.into());
        let entry = NewEntry {
            kind: "observation".into(),
            source: format!("writer {tag}"),
            content,
            refs: vec![],
        };
        let a = ledger.append::<LedgerError>(
            &signers,
            &Clock::system(),
            std::iter::once(Ok(entry)),
            &mut |_| {},
        )?;
        writeln!(out, "{}", a.first_seq)?;
        out.flush()?;
    }
    Ok(())
}
