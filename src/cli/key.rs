//! `echoctl key …`: key files.

use super::args::KeyCommand;
use super::output::{json, note, out};
use super::settings::{self, Settings};
use crate::error::{Error, Result};
use crate::sign::file::KeyFile;
use crate::sign::Signer;
use serde_json::json;
use std::path::{Path, PathBuf};

pub fn run(s: &Settings, cmd: KeyCommand) -> Result<u8> {
    match cmd {
        KeyCommand::Generate { name, out: path } => {
            let key = generate(&name, &path)?;
            print_key(s, &key, &path)?;
            note(
                s,
                format!(
                    "wrote {} (mode 0600); keep it secret and back it up",
                    path.display()
                ),
            );
            Ok(0)
        }
        KeyCommand::Show { key, witness } => {
            let path = match key {
                Some(p) => p,
                None => default_for_db(s)?,
            };
            let key = KeyFile::load(&path)?;
            if witness {
                let vk = crate::ledger::witness::cosigner_key(&key);
                if s.json {
                    json(
                        &json!({"name": vk.name, "key_id": format!("{:08x}", vk.key_id), "verifier_key": vk.to_string(), "file": path.display().to_string()}),
                    )?;
                } else {
                    out(vk.to_string())?;
                }
            } else {
                print_key(s, &key, &path)?;
            }
            Ok(0)
        }
    }
}

/// Generates a key with fresh (or pinned) randomness and writes it.
pub fn generate(name: &str, path: &Path) -> Result<KeyFile> {
    let clock = settings::clock()?;
    let mut seed = [0u8; 32];
    // With a pinned seed, keys differ by name and file name, so two test keys never
    // collide while a replayed demo still makes the same key.
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    clock.random(&format!("key:{name}:{file}"), 0, &mut seed)?;
    let key = KeyFile::from_seed(name, seed)?;
    key.write_new(path)?;
    Ok(key)
}

fn print_key(s: &Settings, key: &KeyFile, path: &Path) -> Result<()> {
    let vk = key.verifier();
    if s.json {
        json(&json!({
            "name": vk.name, "key_id": format!("{:08x}", vk.key_id),
            "verifier_key": vk.to_string(), "file": path.display().to_string(),
        }))
    } else {
        out(vk.to_string())
    }
}

/// The default key of the ledger named by --db, from its origin.
pub fn default_for_db(s: &Settings) -> Result<PathBuf> {
    let ledger = crate::ledger::Ledger::open_read_only(&s.db).map_err(|e| {
        Error::input(format!(
            "no --key given and the ledger's default key cannot be found: {}",
            e.message
        ))
        .hint("pass the key file with --key FILE or ECHOCTL_KEY")
    })?;
    settings::default_key_path(&ledger.genesis.origin)
}

/// Loads the signing key for the open ledger: --key / ECHOCTL_KEY, else its default path.
pub fn signing_key(explicit: Option<PathBuf>, origin: &str) -> Result<KeyFile> {
    let path = match explicit {
        Some(p) => p,
        None => settings::default_key_path(origin)?,
    };
    KeyFile::load(&path)
}
