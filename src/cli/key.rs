//! `echoctl key …`: key files, keys in a YubiHSM2, and the ledger's key history.

use super::args::{KeyCommand, SignArgs};
use super::ledger::{open_for_append, print_appended};
use super::output::{json, note, out, table};
use super::settings::{self, Settings};
use crate::error::{Error, Result};
use crate::ledger::keys::{KeyChange, KeyHistory, KIND_KEY};
use crate::ledger::{Ledger, NewEntry, SystemEntry};
use crate::sign::file::KeyFile;
use crate::sign::yubihsm::{Hsm, HsmAddress, HsmAuth};
use crate::sign::{Signer, Signers, VerifierKey};
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub fn run(s: &Settings, cmd: KeyCommand) -> Result<u8> {
    match cmd {
        KeyCommand::Generate {
            name,
            out: path,
            hsm,
            key_id,
        } => {
            if let (Some(url), Some(id)) = (hsm, key_id) {
                let hsm = open_hsm(&url)?;
                let signer = hsm.generate(id, &name)?;
                print_key(s, &signer.verifier(), json!({"hsm": url, "hsm_key_id": id}))?;
                note(
                    s,
                    format!("generated key {id} inside the HSM at {url}; it cannot be exported"),
                );
                return Ok(0);
            }
            let path = path.ok_or_else(|| Error::input("pass --out FILE, or --hsm URL --key-id N"))?;
            let key = generate(&name, &path)?;
            print_key(s, &key.verifier(), json!({"file": path.display().to_string()}))?;
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
            if witness {
                let path = match signing.keys.as_slice() {
                    [] => default_for_db(s)?,
                    [one] if !one.starts_with("hsm:") => PathBuf::from(one),
                    _ => return Err(Error::input("--witness takes one key file")),
                };
                let key = KeyFile::load(&path)?;
                let vk = crate::ledger::witness::cosigner_key(&key);
                return print_key(s, &vk, json!({"file": path.display().to_string()})).map(|()| 0);
            }
            let signers = if signing.keys.is_empty() {
                let path = default_for_db(s)?;
                Signers::one(KeyFile::load(&path)?)
            } else {
                load_signers(&signing, None)?
            };
            let keys: Vec<VerifierKey> = signers.iter().map(|k| k.verifier()).collect();
            if s.json {
                let list: Vec<Value> = keys.iter().map(key_json).collect();
                json(&if list.len() == 1 {
                    list[0].clone()
                } else {
                    json!({"keys": list})
                })?;
            } else {
                for k in keys {
                    out(k.to_string())?;
                }
            }
            Ok(0)
        }
        KeyCommand::List => list(s),
        KeyCommand::Import { file, hsm, key_id } => {
            let key = KeyFile::load(&file)?;
            let h = open_hsm(&hsm)?;
            let signer = h.import(key_id, key.name(), &key.seed())?;
            if signer.public_key() != key.public_key() {
                return Err(Error::env("the HSM holds a different public key than the file's"));
            }
            print_key(s, &signer.verifier(), json!({"hsm": hsm, "hsm_key_id": key_id}))?;
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
    let clock = settings::clock()?;
    let (mut ledger, signers) = open_for_append(s, &writer.signing)?;
    let history = ledger.key_history()?;
    let change = make(&history, &signers.primary().verifier())?;
    let entry = NewEntry {
        kind: KIND_KEY.into(),
        source: writer.source,
        content: change.to_content(),
        refs: vec![],
    };
    let appended = ledger.append_system(&signers, &clock, "", vec![SystemEntry::Entry(entry)])?;
    print_appended(s, &ledger, &appended)
}

fn parse_signing_vkey(text: &str) -> Result<VerifierKey> {
    let k = VerifierKey::parse(text)?;
    if k.alg != crate::sign::ALG_ED25519 {
        return Err(Error::input("a witness (type 0x04) key cannot sign a ledger")
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
        Error::input(format!("{text:?} is not a key of this ledger")).hint("'echoctl key list' shows them")
    })
}

fn key_json(k: &VerifierKey) -> Value {
    json!({"name": k.name, "key_id": format!("{:08x}", k.key_id), "identity": k.identity(), "verifier_key": k.to_string()})
}

/// `key list`: every key with its status, then the history that made it so.
fn list(s: &Settings) -> Result<u8> {
    let ledger = Ledger::open_read_only(&s.db)?;
    let history = ledger.key_history()?;
    let events = ledger.key_events()?;
    let size = ledger.size()?;
    if s.json {
        let keys: Vec<Value> = history
            .keys
            .iter()
            .map(|r| {
                let mut v = key_json(&r.key);
                v["status"] = json!(if r.active_at(size) { "active" } else { "revoked" });
                v["added_seq"] = json!(r.added);
                v["revoked_seq"] = json!(r.revoked);
                v
            })
            .collect();
        let events: Vec<Value> = events
            .iter()
            .map(|(seq, id, signer, change)| {
                let mut v = json!({"seq": seq, "id": id, "signer": signer, "action": change.action()});
                let c = change.to_content();
                for f in ["key", "replaces", "reason"] {
                    if let Some(x) = c.get(f) {
                        v[f] = x.clone();
                    }
                }
                v
            })
            .collect();
        json(&json!({"keys": keys, "events": events}))?;
        return Ok(0);
    }
    let mut t = table(&["key", "status", "added", "revoked", "verifier key"]);
    for r in &history.keys {
        t.add_row(vec![
            r.key.identity(),
            if r.active_at(size) { "active" } else { "revoked" }.to_string(),
            r.added.map_or("genesis".into(), |a| format!("seq {a}")),
            r.revoked.map_or("-".into(), |a| format!("seq {a}")),
            r.key.to_string(),
        ]);
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
pub fn load_signers(args: &SignArgs, origin: Option<&str>) -> Result<Signers> {
    let mut list: Vec<Box<dyn Signer>> = Vec::new();
    let mut hsm: Option<Hsm> = None;
    for spec in &args.keys {
        if let Some(id) = spec.strip_prefix("hsm:") {
            let id: u16 = id.parse().ok().filter(|&i| i > 0).ok_or_else(|| {
                Error::input(format!(
                    "--key {spec:?}: an HSM key is hsm:ID with ID from 1 to 65535"
                ))
            })?;
            if hsm.is_none() {
                let url = args
                    .hsm
                    .as_deref()
                    .ok_or_else(|| Error::input(format!("--key {spec} needs --hsm URL (or ECHOCTL_HSM)")))?;
                hsm = Some(open_hsm(url)?);
            }
            if let Some(h) = &hsm {
                list.push(Box::new(h.signer(id)?));
            }
        } else {
            list.push(Box::new(KeyFile::load(Path::new(spec))?));
        }
    }
    if list.is_empty() {
        let origin = origin.ok_or_else(|| Error::input("no --key given"))?;
        list.push(Box::new(KeyFile::load(&settings::default_key_path(origin)?)?));
    }
    Signers::new(list)
}

/// Connects to the HSM with the credentials from the environment or the terminal.
fn open_hsm(url: &str) -> Result<Hsm> {
    let address = HsmAddress::parse(url)?;
    let key_id = match std::env::var("ECHOCTL_HSM_AUTH_KEY") {
        Ok(v) if !v.is_empty() => v.parse::<u16>().map_err(|_| {
            Error::input(format!(
                "ECHOCTL_HSM_AUTH_KEY={v:?} is not an object id (1-65535)"
            ))
        })?,
        _ => 1,
    };
    let password = match std::env::var("ECHOCTL_HSM_PASSWORD") {
        Ok(p) => p,
        Err(_) if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() => {
            rpassword::prompt_password(format!("password for HSM authentication key {key_id}: "))
                .map_err(|e| Error::env(format!("cannot read the HSM password: {e}")))?
        }
        Err(_) => {
            return Err(Error::env(
                "no HSM password: ECHOCTL_HSM_PASSWORD is not set and there is no terminal to ask on",
            )
            .hint("export ECHOCTL_HSM_PASSWORD (and ECHOCTL_HSM_AUTH_KEY if not 1) from your secret store"))
        }
    };
    Hsm::open(&address, &HsmAuth { key_id, password })
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

fn print_key(s: &Settings, vk: &VerifierKey, extra: Value) -> Result<()> {
    if s.json {
        let mut v = key_json(vk);
        if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
            o.extend(e);
        }
        json(&v)
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
