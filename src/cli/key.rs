//! `echoctl key …`: key files, keys in a YubiHSM2, and the ledger's key history.

use super::args::{KeyCommand, SignArgs};
use super::exit::{Failure, Result};
use super::ledger::{open_for_append, open_read_only, print_appended};
use super::output::{json, note, out, row, table};
use super::settings::Settings;
use crate::ledger::keys::{KeyChange, KeyHistory};
use crate::sign::file::KeyFile;
use crate::sign::yubihsm::{Hsm, HsmAddress, HsmAuth};
use crate::sign::{SignError, Signer, Signers, VerifierKey};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A key as `--json` shows it; where it lives is added by the command.
#[derive(Serialize)]
struct KeyJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hsm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hsm_key_id: Option<u16>,
    identity: String,
    key_id: String,
    name: String,
    verifier_key: String,
}

impl KeyJson {
    fn of(k: &VerifierKey) -> Self {
        KeyJson {
            file: None,
            hsm: None,
            hsm_key_id: None,
            identity: k.identity(),
            key_id: format!("{:08x}", k.key_id),
            name: k.name.clone(),
            verifier_key: k.to_string(),
        }
    }
}

/// Where a key printed by `print_key` lives.
enum Place {
    File(String),
    Hsm(String, u16),
}

pub fn run(s: &Settings, cmd: KeyCommand) -> Result<u8> {
    match cmd {
        KeyCommand::Generate {
            name,
            out: path,
            hsm,
            key_id,
        } => {
            if let (Some(url), Some(id)) = (hsm, key_id) {
                let hsm = open_hsm(s, &url)?;
                let signer = hsm.generate(id, &name)?;
                print_key(s, &signer.verifier(), Place::Hsm(url.clone(), id))?;
                note(
                    s,
                    format!("generated key {id} inside the HSM at {url}; it cannot be exported"),
                );
                return Ok(0);
            }
            let path = path.ok_or_else(|| {
                Failure::usage("no place for the key given").hint("pass --out FILE, or --hsm URL --key-id N")
            })?;
            let key = generate(s, &name, &path)?;
            print_key(s, &key.verifier(), Place::File(path.display().to_string()))?;
            note(
                s,
                format!(
                    "wrote {} (mode 0600); keep it secret and back it up",
                    path.display()
                ),
            );
            Ok(0)
        }
        KeyCommand::Show { signing, witness } => {
            let given = s.keys(&signing.keys);
            if witness {
                let path = match given.as_slice() {
                    [] => default_for_db(s)?,
                    [one] if !one.starts_with("hsm:") => PathBuf::from(one),
                    _ => {
                        return Err(Failure::usage("--witness takes one key file")
                            .hint("a witness cosigns with a key file: --witness --key FILE"))
                    }
                };
                let key = KeyFile::load(&path)?;
                let vk = crate::ledger::witness::cosigner_key(&key);
                return print_key(s, &vk, Place::File(path.display().to_string())).map(|()| 0);
            }
            let signers = if given.is_empty() {
                let path = default_for_db(s)?;
                Signers::one(KeyFile::load(&path)?)
            } else {
                load_signers(s, &signing, None)?
            };
            let keys: Vec<VerifierKey> = signers.iter().map(|k| k.verifier()).collect();
            if s.json {
                #[derive(Serialize)]
                struct Keys {
                    keys: Vec<KeyJson>,
                }
                let mut list: Vec<KeyJson> = keys.iter().map(KeyJson::of).collect();
                if list.len() == 1 {
                    json(&list.remove(0))?;
                } else {
                    json(&Keys { keys: list })?;
                }
            } else {
                for k in keys {
                    out(k.to_string())?;
                }
            }
            Ok(0)
        }
        KeyCommand::List => list(s),
        KeyCommand::Import { file, hsm, key_id } => {
            let hsm = s
                .hsm(hsm.as_deref())
                .ok_or_else(|| Failure::usage("no HSM given").hint("pass --hsm URL (or set ECHOCTL_HSM)"))?;
            let key = KeyFile::load(&file)?;
            let h = open_hsm(s, &hsm)?;
            let signer = h.import(key_id, key.name(), &key.seed())?;
            if signer.public_key() != key.public_key() {
                return Err(SignError::HsmMismatch.into());
            }
            print_key(s, &signer.verifier(), Place::Hsm(hsm.clone(), key_id))?;
            note(
                s,
                format!(
                    "imported {} as non-exportable key {key_id}: the HSM will never give it back; \
                     destroy {} if the HSM is to be its only holder",
                    signer.verifier().identity(),
                    file.display()
                ),
            );
            Ok(0)
        }
        KeyCommand::Add { vkey, reason, writer } => {
            let key = parse_signing_vkey(&vkey)?;
            change(s, writer, |_, _| Ok(KeyChange::Add { key, reason }))
        }
        KeyCommand::Revoke { key, reason, writer } => change(s, writer, |h, _| {
            Ok(KeyChange::Revoke {
                key: resolve(h, &key)?,
                reason,
            })
        }),
        KeyCommand::Rotate {
            vkey,
            replaces,
            reason,
            writer,
        } => {
            let key = parse_signing_vkey(&vkey)?;
            change(s, writer, |h, primary| {
                let replaces = match &replaces {
                    Some(r) => resolve(h, r)?,
                    None => primary.clone(),
                };
                let replaces = Box::new(replaces);
                Ok(KeyChange::Rotate {
                    key,
                    replaces,
                    reason,
                })
            })
        }
    }
}

/// Writes one `key` entry built by `make` from the current history and the primary key.
fn change(
    s: &Settings,
    writer: super::args::WriterArgs,
    make: impl FnOnce(&KeyHistory, &VerifierKey) -> Result<KeyChange>,
) -> Result<u8> {
    let clock = s.clock()?;
    let (mut ledger, signers) = open_for_append(s, &writer.signing)?;
    let history = ledger.key_history()?;
    let change = make(&history, &signers.primary().verifier())?;
    let appended = ledger.change_keys(&signers, &clock, &writer.source, &change)?;
    print_appended(s, &appended)
}

fn parse_signing_vkey(text: &str) -> Result<VerifierKey> {
    let k = VerifierKey::parse(text)?;
    if k.alg != crate::sign::ALG_ED25519 {
        return Err(Failure::usage("a witness (type 0x04) key cannot sign a ledger")
            .hint("pass the key's signing verifier key, as 'echoctl key show' prints it"));
    }
    Ok(k)
}

/// A key named by its verifier key or its identity (`name+hex8`), among the ledger's.
fn resolve(h: &KeyHistory, text: &str) -> Result<VerifierKey> {
    let found = match VerifierKey::parse(text) {
        Ok(k) => h.keys.iter().find(|r| r.key == k),
        Err(_) => h.keys.iter().find(|r| r.key.identity() == text),
    };
    found.map(|r| r.key.clone()).ok_or_else(|| {
        Failure::usage(format!("{text:?} is not a key of this ledger")).hint("'echoctl key list' shows them")
    })
}

#[derive(Serialize)]
struct ListedKey {
    added_seq: Option<u64>,
    identity: String,
    key_id: String,
    name: String,
    revoked_seq: Option<u64>,
    status: &'static str,
    verifier_key: String,
}

#[derive(Serialize)]
struct KeyEvent<'a> {
    action: &'static str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    replaces: Option<String>,
    seq: u64,
    signer: &'a str,
}

#[derive(Serialize)]
struct KeyListJson<'a> {
    events: Vec<KeyEvent<'a>>,
    keys: Vec<ListedKey>,
}

/// `key list`: every key with its status, then the history that made it so.
fn list(s: &Settings) -> Result<u8> {
    let ledger = open_read_only(s)?;
    let history = ledger.key_history()?;
    let events = ledger.key_events()?;
    let size = ledger.size()?;
    if s.json {
        let keys = history
            .keys
            .iter()
            .map(|r| {
                let k = KeyJson::of(&r.key);
                ListedKey {
                    added_seq: r.added,
                    identity: k.identity,
                    key_id: k.key_id,
                    name: k.name,
                    revoked_seq: r.revoked,
                    status: if r.active_at(size) { "active" } else { "revoked" },
                    verifier_key: k.verifier_key,
                }
            })
            .collect();
        let events = events
            .iter()
            .map(|(seq, id, signer, change)| {
                let (key, replaces, reason) = match change {
                    KeyChange::Add { key, reason } | KeyChange::Revoke { key, reason } => (key, None, reason),
                    KeyChange::Rotate {
                        key,
                        replaces,
                        reason,
                    } => (key, Some(replaces.to_string()), reason),
                };
                KeyEvent {
                    action: change.action(),
                    id,
                    key: Some(key.to_string()),
                    reason,
                    replaces,
                    seq: *seq,
                    signer,
                }
            })
            .collect();
        json(&KeyListJson { events, keys })?;
        return Ok(0);
    }
    let mut t = table(&["key", "status", "added", "revoked", "verifier key"]);
    for r in &history.keys {
        row(
            &mut t,
            vec![
                r.key.identity(),
                if r.active_at(size) { "active" } else { "revoked" }.to_string(),
                r.added.map_or("genesis".into(), |a| format!("seq {a}")),
                r.revoked.map_or("-".into(), |a| format!("seq {a}")),
                r.key.to_string(),
            ],
        );
    }
    out(t.to_string())?;
    for (seq, _, signer, change) in &events {
        let what = match change {
            KeyChange::Add { key, reason } => format!("add {} ({reason})", key.identity()),
            KeyChange::Revoke { key, reason } => format!("revoke {} ({reason})", key.identity()),
            KeyChange::Rotate {
                key,
                replaces,
                reason,
            } => format!("rotate {} -> {} ({reason})", replaces.identity(), key.identity()),
        };
        out(format!("seq {seq}: {what}, signed by {signer}"))?;
    }
    Ok(0)
}

/// Loads the signers named by `--key` (key files and `hsm:ID`), or the ledger's default
/// key file when none is named (`origin` given).
pub fn load_signers(s: &Settings, args: &SignArgs, origin: Option<&str>) -> Result<Signers> {
    let mut list: Vec<Box<dyn Signer>> = Vec::new();
    let mut hsm: Option<Hsm> = None;
    for spec in &s.keys(&args.keys) {
        if let Some(id) = spec.strip_prefix("hsm:") {
            let id: u16 = id.parse().ok().filter(|&i| i > 0).ok_or_else(|| {
                Failure::usage(format!(
                    "--key {spec:?}: an HSM key is hsm:ID with ID from 1 to 65535"
                ))
                .hint("e.g. --key hsm:7 --hsm http://127.0.0.1:12345")
            })?;
            if hsm.is_none() {
                let url = s.hsm(args.hsm.as_deref()).ok_or_else(|| {
                    Failure::usage(format!("--key {spec} needs an HSM"))
                        .hint("pass --hsm URL (or set ECHOCTL_HSM)")
                })?;
                hsm = Some(open_hsm(s, &url)?);
            }
            if let Some(h) = &hsm {
                list.push(Box::new(h.signer(id)?));
            }
        } else {
            list.push(Box::new(KeyFile::load(Path::new(spec))?));
        }
    }
    if list.is_empty() {
        let origin = origin
            .ok_or_else(|| Failure::usage("no --key given").hint("pass --key FILE (or set ECHOCTL_KEY)"))?;
        list.push(Box::new(KeyFile::load(&s.default_key_path(origin)?)?));
    }
    Ok(Signers::new(list)?)
}

/// Connects to the HSM with the credentials from the environment or the terminal.
fn open_hsm(s: &Settings, url: &str) -> Result<Hsm> {
    let address = HsmAddress::parse(url)?;
    let key_id = s.hsm_auth_key()?;
    let password = s.hsm_password(key_id)?;
    Ok(Hsm::open(&address, &HsmAuth { key_id, password })?)
}

/// Generates a key with fresh (or pinned) randomness and writes it.
pub fn generate(s: &Settings, name: &str, path: &Path) -> Result<KeyFile> {
    let clock = s.clock()?;
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

fn print_key(s: &Settings, vk: &VerifierKey, place: Place) -> Result<()> {
    if s.json {
        let mut k = KeyJson::of(vk);
        match place {
            Place::File(f) => k.file = Some(f),
            Place::Hsm(url, id) => {
                k.hsm = Some(url);
                k.hsm_key_id = Some(id);
            }
        }
        json(&k)
    } else {
        out(vk.to_string())
    }
}

/// The default key of the ledger named by --db, from its origin.
pub fn default_for_db(s: &Settings) -> Result<PathBuf> {
    let ledger = open_read_only(s).map_err(|e| {
        Failure::usage(format!(
            "no --key given and the ledger's default key cannot be found: {}",
            e.message
        ))
        .hint("pass the key file with --key FILE or ECHOCTL_KEY")
    })?;
    s.default_key_path(&ledger.genesis.origin)
}
