//! Runs the real `echoctl` binary in a temporary directory with a cleared, pinned
//! environment, so that output is deterministic.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_echoctl");
pub const ORIGIN: &str = "test.example/ledger";

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }
    /// The id of the first entry a `--json` append-like command printed.
    pub fn first_id(self) -> String {
        self.ok().json()["entries"][0]["id"]
            .as_str()
            .expect("an entry id")
            .to_owned()
    }
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    pub fn code(self, want: i32) -> Self {
        assert_eq!(
            self.code, want,
            "wrong exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `cmd` with `input` on its stdin.
pub fn with_stdin(mut cmd: Command, input: &str) -> Run {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn echoctl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait").into()
}

/// A temporary home with a pinned clock and seed.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub seed: String,
}

impl TestEnv {
    pub fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().expect("tempdir"),
            seed: "test-seed".into(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db(&self) -> PathBuf {
        self.path("echo.db")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        self.command_in(&[], args)
    }

    /// `command`, run through `wrapper` (e.g. `ip netns exec NS`): the wrapper's words,
    /// then the echoctl binary and its arguments.
    pub fn command_in(&self, wrapper: &[&str], args: &[&str]) -> Command {
        let mut c = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        c.args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("ECHOCTL_TIMESTAMP", "2026-11-22T12:00:00Z")
            .env("ECHOCTL_SEED", &self.seed)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().expect("run echoctl").into()
    }

    pub fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        with_stdin(self.command(args), input)
    }

    /// `echoctl init` with the test origin; returns the verifier key.
    pub fn init(&self) -> String {
        let r = self.run(&["init", "--origin", ORIGIN]).ok();
        r.stdout.trim().to_owned()
    }

    /// `ledger append --json` of one entry of `kind` (source "test"), as it ran.
    pub fn append_kind(&self, kind: &str, content: &str) -> Run {
        self.run(&[
            "--json",
            "ledger",
            "append",
            "--kind",
            kind,
            "--source",
            "test",
            "--content",
            content,
        ])
    }

    /// Appends one observation and returns its JSON description.
    pub fn append(&self, content: &str) -> Value {
        self.append_kind("observation", content).ok().json()["entries"][0].clone()
    }

    pub fn verify_json(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["--json", "ledger", "verify"];
        args.extend_from_slice(extra);
        let r = self.run(&args);
        let v = r.json();
        (r.code, v)
    }
}

/// Opens a ledger file directly, as an attacker or a second writer would.
pub fn sqlite(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open sqlite")
}

/// Drops the triggers that keep `table` append-only, as an attacker with the file would.
pub fn unguard(conn: &rusqlite::Connection, table: &str) {
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1")
        .unwrap()
        .query_map([table], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for t in triggers {
        conn.execute_batch(&format!("DROP TRIGGER \"{t}\"")).unwrap();
    }
}

/// Appends a forged entry behind echoctl's back, as an attacker with the file would: a copy
/// of the newest entry, changed by `edit`, chained correctly after it, with no checkpoint.
/// Returns its seq.
pub fn forge_after_last(env: &TestEnv, edit: impl FnOnce(&mut echoctl::ledger::entry::Entry)) -> u64 {
    forge_after_last_in(&env.db(), edit)
}

/// `forge_after_last` in the ledger file at `path`.
pub fn forge_after_last_in(path: &Path, edit: impl FnOnce(&mut echoctl::ledger::entry::Entry)) -> u64 {
    let conn = sqlite(path);
    let (body, leaf, seq): (Vec<u8>, Vec<u8>, u64) = conn
        .query_row(
            "SELECT body, leaf, seq FROM entries ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("a newest entry");
    let mut forged: echoctl::ledger::entry::Entry = serde_json::from_slice(&body).expect("an entry");
    forged.seq = seq + 1;
    forged.id = "01KZZZZZZZZZZZZZZZZZZZZZZZ".into();
    forged.prev = leaf.try_into().expect("a leaf hash");
    edit(&mut forged);
    let bytes = forged.to_canonical();
    let leaf = echoctl::ledger::merkle::leaf_hash(&bytes);
    conn.execute(
        "INSERT INTO entries (seq, id, kind, ts, leaf, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![forged.seq, forged.id, forged.kind, forged.ts, &leaf[..], bytes],
    )
    .expect("insert the forged entry");
    forged.seq
}

impl TestEnv {
    /// Runs echoctl with extra environment variables.
    pub fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut c = self.command(args);
        for (k, v) in vars {
            c.env(k, v);
        }
        c.output().expect("run echoctl").into()
    }
}

/// A YubiHSM2 for a test: yubihsm's MockHsm behind yubihsm's connector server, in its own
/// process (examples/mockhsm_connector), so a test can kill it like a real connector.
pub struct MockHsm {
    child: std::process::Child,
    pub url: String,
}

impl MockHsm {
    pub fn start() -> Self {
        use std::io::BufRead;
        // target/debug/deps/cli-… -> target/debug/examples/mockhsm_connector
        let exe = std::env::current_exe().expect("test exe");
        let helper = exe
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .join("examples")
            .join(format!("mockhsm_connector{}", std::env::consts::EXE_SUFFIX));
        if !helper.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let built = Command::new(cargo)
                .args(["build", "--example", "mockhsm_connector"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("build the MockHsm helper");
            assert!(built.success(), "cargo build --example mockhsm_connector failed");
        }
        let mut child = Command::new(&helper)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the MockHsm connector");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the port");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected helper output {line:?}"));
        MockHsm {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Kills the connector, as a crash or an unplugged HSM would.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The environment a command needs to use it with the factory credentials.
    pub fn vars(&self) -> Vec<(&str, &str)> {
        vec![
            ("ECHOCTL_HSM", self.url.as_str()),
            ("ECHOCTL_HSM_AUTH_KEY", "1"),
            ("ECHOCTL_HSM_PASSWORD", "password"),
        ]
    }
}

impl Drop for MockHsm {
    fn drop(&mut self) {
        self.stop();
    }
}
