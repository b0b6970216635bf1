//! `echoctl serve`: the ledger over HTTP as a separate process on loopback, read by
//! `ledger verify --url`, by an independent tlog-tiles client, and by hostile clients.

use crate::harness::TestEnv;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

/// A running `echoctl serve`; killed when dropped.
pub struct Served {
    child: Child,
    pub url: String,
}

impl Served {
    pub const ARGS: [&'static str; 4] = ["--json", "serve", "--listen", "127.0.0.1:0"];

    pub fn start(env: &TestEnv) -> Self {
        Self::spawn(env.command(&Self::ARGS))
    }

    /// Starts `echoctl --json serve ...` as `command` runs it.
    pub fn spawn(mut command: std::process::Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start echoctl serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        Served {
            child,
            url: v["listen"].as_str().unwrap().to_owned(),
        }
    }

    /// The server's peak resident memory so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// SIGTERM, then the exit status.
    pub fn stop(mut self) -> i32 {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let code = self.child.wait().unwrap().code().unwrap_or(-1);
        std::mem::forget(self);
        code
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(url: &str) -> reqwest::blocking::Response {
    reqwest::blocking::get(url).unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// The JSON document an answer holds.
fn json(r: reqwest::blocking::Response) -> Value {
    let text = r.text().unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn ledger(n: usize) -> (TestEnv, String) {
    let env = TestEnv::new();
    let key = env.init();
    let batch: String = (0..n)
        .map(|i| format!("{{\"kind\":\"observation\",\"content\":{{\"i\":{i}}}}}\n"))
        .collect();
    std::fs::write(env.path("b.jsonl"), &batch).unwrap();
    env.run(&["ledger", "append", "--batch", "b.jsonl", "--source", "t", "-q"])
        .ok();
    (env, key)
}

#[test]
fn a_served_ledger_verifies_from_its_url_and_follows_new_writes() {
    let (env, key) = ledger(600);
    let server = Served::start(&env);
    let state = ["--trust-key", key.as_str(), "--state", "seen.json"];
    let mut args = vec!["--json", "ledger", "verify", "--url", server.url.as_str()];
    args.extend_from_slice(&state);
    let v = env.run(&args).ok().json();
    assert_eq!(
        (v["valid"].as_bool(), v["entries"].as_u64()),
        (Some(true), Some(601))
    );

    // The server reads the store as it is now: new entries are served and verified.
    env.append(r#"{"later":true}"#);
    let v = env.run(&args).ok().json();
    assert_eq!(
        (v["entries"].as_u64(), v["incremental"].as_bool()),
        (Some(602), Some(true))
    );
    assert_eq!(v["checked_from"], 512);

    // The same bytes as `ledger tiles` writes, with the cache headers tlog-tiles asks for.
    env.run(&["ledger", "tiles", "--out", "pub"]).ok();
    for (path, cache) in [
        ("checkpoint", "no-cache"),
        ("tile/0/001", "public, max-age=31536000, immutable"),
        ("tile/0/002.p/90", "public, max-age=31536000, immutable"),
        ("tile/entries/002.p/90", "public, max-age=31536000, immutable"),
        ("tile/1/000.p/2", "public, max-age=31536000, immutable"),
    ] {
        let r = get(&format!("{}/{path}", server.url));
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], cache, "{path}");
        assert_eq!(
            r.bytes().unwrap().to_vec(),
            std::fs::read(env.path("pub").join(path)).unwrap(),
            "{path}"
        );
    }

    let e: Value = json(get(&format!("{}/entries/3", server.url)));
    assert_eq!(
        (e["seq"].as_u64(), e["entry"]["content"]["i"].as_u64()),
        (Some(3), Some(2))
    );
    let id = e["entry"]["id"].as_str().unwrap().to_owned();
    let by_id: Value = json(get(&format!("{}/entries/{id}", server.url)));
    assert_eq!(by_id, e);
    let receipt = get(&format!("{}/entries/{id}/proof", server.url)).text().unwrap();
    std::fs::write(env.path("receipt"), &receipt).unwrap();
    env.run(&["ledger", "proof", "verify", "receipt", "--trust-key", &key])
        .ok();
    let proof = get(&format!("{}/consistency?from=1&to=601", server.url))
        .text()
        .unwrap();
    std::fs::write(env.path("proof.json"), &proof).unwrap();
    env.run(&[
        "ledger",
        "consistency",
        "--verify",
        "proof.json",
        "--trust-key",
        &key,
    ])
    .ok();
    let health: Value = json(get(&format!("{}/health", server.url)));
    assert_eq!(
        (health["status"].as_str(), health["size"].as_u64()),
        (Some("ok"), Some(602))
    );
    assert_eq!(server.stop(), 0);
}

/// `tlog_tiles` reading hash tiles over HTTP.
struct HttpTiles(String);

impl tlog_tiles::TileReader for HttpTiles {
    fn height(&self) -> u8 {
        8
    }
    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tiles
            .iter()
            .map(|t| {
                let url = format!("{}/{}", self.0, t.path().replacen("tile/8/", "tile/", 1));
                let r = reqwest::blocking::get(url).map_err(|_| tlog_tiles::Error::InvalidTile)?;
                Ok(r.bytes().map_err(|_| tlog_tiles::Error::InvalidTile)?.to_vec())
            })
            .collect()
    }
    fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
}

#[test]
fn an_independent_tlog_tiles_client_proves_inclusion_against_the_server() {
    let (env, _) = ledger(1_000);
    let server = Served::start(&env);
    let note = get(&format!("{}/checkpoint", server.url)).text().unwrap();
    let body = &note[..note.find("\n\n").unwrap() + 1];
    let cp = tlog_tiles::Checkpoint::from_bytes(body.as_bytes()).unwrap();
    let tiles = HttpTiles(server.url.clone());
    let reader = tlog_tiles::TileHashReader::new(cp.size(), *cp.hash(), &tiles);
    for n in [0u64, 500, 1_000] {
        let entry: Value = json(get(&format!("{}/entries/{n}", server.url)));
        let receipt = get(&format!("{}/entries/{n}/proof", server.url)).text().unwrap();
        let raw = receipt
            .lines()
            .find_map(|l| l.strip_prefix("extra "))
            .map(|b| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b).unwrap())
            .unwrap();
        // The entry as `ledger log --json` prints it: the canonical fields and the leaf hash.
        let mut shown = entry["entry"].clone();
        let leaf = shown.as_object_mut().unwrap().remove("leaf").unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&raw).unwrap(), shown);
        let mut h = <sha2::Sha256 as sha2::Digest>::new();
        sha2::Digest::update(&mut h, [0u8]);
        sha2::Digest::update(&mut h, &raw);
        let want: String = sha2::Digest::finalize(h)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(leaf, want.as_str());
        let proof = tlog_tiles::prove_record(cp.size(), n, &reader).unwrap();
        tlog_tiles::check_record(&proof, cp.size(), *cp.hash(), n, tlog_tiles::record_hash(&raw))
            .unwrap_or_else(|e| panic!("entry {n}: {e}"));
    }
}

/// Sends raw bytes and returns the status line of the answer.
fn raw(url: &str, request: &[u8]) -> String {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn hostile_requests_get_clear_4xx_and_honest_ones_are_still_answered() {
    let (env, _) = ledger(300);
    let server = Served::start(&env);
    let u = &server.url;
    for (path, status) in [
        ("tile/0/00", 400),
        ("tile/0/x000/001", 400),
        ("tile/9/000", 400),
        ("tile/0/000.p/0", 400),
        ("tile/0/000.p/999999999999999999999", 400),
        ("tile/0/x999/x999/x999/x999/x999/x999/x999/000", 400),
        ("tile/0/005", 404),
        ("tile/0/001", 404),
        ("tile/0/001.p/44", 404),
        ("tile/3/000", 404),
        ("tile/entries/x001/000", 404),
        ("entries/01ZZZZZZZZZZZZZZZZZZZZZZZZ", 404),
        ("entries/999999", 404),
        ("entries/999999/proof", 404),
        ("consistency?from=abc", 400),
        ("consistency?from=7", 404),
        ("consistency?from=301&to=1", 400),
        ("nowhere", 404),
    ] {
        let r = get(&format!("{u}/{path}"));
        assert_eq!(r.status().as_u16(), status, "{path}");
        if status == 404 && !path.starts_with("consistency?from=abc") {
            let v = json(r);
            assert!(v["error"].is_string(), "{path}");
        }
    }
    let r = reqwest::blocking::Client::new()
        .post(format!("{u}/checkpoint"))
        .body("x")
        .send()
        .unwrap();
    assert_eq!(r.status(), 405);
    assert!(raw(u, b"GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400"));
    let climb = raw(
        u,
        b"GET /tile/0/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(climb.starts_with("HTTP/1.1 400"), "{climb}");
    // A client trickling a request, a hundred idle connections: others are still answered.
    let mut slow = TcpStream::connect(u.trim_start_matches("http://")).unwrap();
    slow.write_all(b"GET /checkpoint HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let idle: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(u.trim_start_matches("http://")).unwrap())
        .collect();
    assert_eq!(get(&format!("{u}/tile/0/001.p/45")).status(), 200);
    drop(idle);
    slow.write_all(b"\r\n").unwrap();
    let mut first = [0u8; 12];
    slow.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    assert_eq!(server.stop(), 0);
}

#[test]
fn verify_url_of_a_server_that_is_not_there_is_an_environment_error() {
    let (env, _) = ledger(1);
    let r = env
        .run(&["ledger", "verify", "--url", "http://127.0.0.1:9"])
        .code(3);
    assert!(
        r.stderr.contains("fetch http://127.0.0.1:9/checkpoint"),
        "{}",
        r.stderr
    );
    let r = env.run(&["ledger", "verify", "--url", "ftp://x"]).code(2);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    let r = env.run(&["ledger", "verify", "--state", "s.json"]).code(2);
    assert!(
        r.stderr.contains("--state goes with --tiles or --url"),
        "{}",
        r.stderr
    );
}

/// `python3 -m http.server` on a directory: a plain static host of `ledger tiles` output.
struct Static {
    child: Child,
    url: String,
}

impl Static {
    fn start(dir: &std::path::Path) -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = std::process::Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string()])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if TcpStream::connect(url.trim_start_matches("http://")).is_ok() {
                return Some(Static { child, url });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Static {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn entries(env: &TestEnv, db: &str) -> Vec<Value> {
    env.run(&["--json", "--db", db, "ledger", "log"])
        .ok()
        .json_lines()
}

#[test]
fn a_mirror_copies_only_what_is_new_and_refuses_a_log_that_rewrote_history() {
    let (env, key) = ledger(300);
    let server = Served::start(&env);
    let mirror = |url: &str| {
        env.run(&[
            "--json",
            "--db",
            "mirror.db",
            "ledger",
            "mirror",
            "--url",
            url,
            "--trust-key",
            &key,
        ])
    };
    let v = mirror(&server.url).ok().json();
    assert_eq!(
        (v["created"].as_bool(), v["size"].as_u64()),
        (Some(true), Some(301))
    );
    env.append(r#"{"later":1}"#);
    let v = mirror(&server.url).ok().json();
    assert_eq!((v["from"].as_u64(), v["size"].as_u64()), (Some(301), Some(302)));
    assert_eq!(entries(&env, "mirror.db"), entries(&env, "echo.db"));
    env.run(&["--db", "mirror.db", "ledger", "verify", "--trust-key", &key])
        .ok();
    drop(server);

    // The same key and origin, another history, served by a static host.
    let mut fork = TestEnv::new();
    fork.seed = env.seed.clone();
    fork.init();
    fork.append(r#"{"forked":1}"#);
    for _ in 0..310 {
        fork.append_kind("test", "{}").ok();
    }
    fork.run(&["ledger", "tiles", "--out", "pub"]).ok();
    let Some(host) = Static::start(&fork.path("pub")) else {
        eprintln!("skipped the static-host half: python3 is not installed");
        return;
    };
    let before = std::fs::read(env.path("mirror.db")).unwrap();
    let r = mirror(&host.url).code(1);
    let v = r.json();
    assert!(
        v["failure"]["reason"]
            .as_str()
            .unwrap()
            .contains("rewrote history"),
        "{v}"
    );
    assert_eq!(std::fs::read(env.path("mirror.db")).unwrap(), before);
    // verify --url against the static host: the fork itself is a valid log.
    env.run(&["ledger", "verify", "--url", &host.url, "--trust-key", &key])
        .ok();

    // A damaged entry bundle on the host: a new mirror fails and is not created.
    let bundle = fork.path("pub/tile/entries/000");
    let mut bytes = std::fs::read(&bundle).unwrap();
    bytes[300] ^= 1;
    std::fs::write(&bundle, bytes).unwrap();
    let r = env
        .run(&[
            "--json",
            "--db",
            "fresh.db",
            "ledger",
            "mirror",
            "--url",
            &host.url,
            "--trust-key",
            &key,
        ])
        .code(1);
    assert_eq!(r.json()["valid"], false);
    assert!(!env.path("fresh.db").exists());
    // Another log into this mirror: refused.
    let mut other = TestEnv::new();
    other.seed = "other".into();
    other.run(&["init", "--origin", "other.example/log"]).ok();
    let served = Served::start(&other);
    let r = mirror(&served.url).code(1);
    assert!(r.stderr.contains("but this mirror holds"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: nothing was written"), "{}", r.stderr);
}
