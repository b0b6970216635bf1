//! PostgreSQL for the tests: the server named by `ECHOCTL_TEST_POSTGRES` (a URL), a fresh
//! database per test (dropped at the end, even when the test fails), and a private server
//! of the same binaries for the tests that restart it or need password logins.

use crate::harness::{Run, TestEnv};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// The server URL, or None (and a note) when the tests are to be skipped.
pub fn server() -> Option<String> {
    match std::env::var("ECHOCTL_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipped: set ECHOCTL_TEST_POSTGRES to a PostgreSQL URL to run the PostgreSQL tests");
            None
        }
    }
}

/// `url` with its database replaced by `db`.
pub fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{db}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

pub fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("ECHOCTL_TEST_POSTGRES is set but the server cannot be reached: {e}"))
}

/// A database of its own for one test.
pub struct PgDb {
    pub url: String,
    server: String,
    pub name: String,
}

impl PgDb {
    pub fn new(server: &str) -> PgDb {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "echo_test_{}_{}_{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        connect(server)
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        PgDb {
            url: with_db(server, &name),
            server: server.to_owned(),
            name,
        }
    }

    /// A superuser's connection to this database (an attacker with SQL).
    pub fn sql(&self) -> postgres::Client {
        connect(&self.url)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// A test home whose ledger is a PostgreSQL database.
pub struct PgEnv {
    pub env: TestEnv,
    pub db: PgDb,
}

impl PgEnv {
    pub fn new(server: &str) -> PgEnv {
        PgEnv {
            env: TestEnv::new(),
            db: PgDb::new(server),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = self.env.command(args);
        c.env("ECHOCTL_DB", &self.db.url);
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().expect("run echoctl").into()
    }

    pub fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        crate::harness::with_stdin(self.command(args), input)
    }
}

/// A PostgreSQL server of our own (the machine's binaries, a temporary data directory, a
/// free port, password logins), run as the `postgres` user: a test may restart it without
/// disturbing the tests that share the machine's server.
pub struct PrivateServer {
    pub dir: tempfile::TempDir,
    pub port: u16,
    bin: std::path::PathBuf,
}

impl PrivateServer {
    /// None (with a note) where the binaries, the `postgres` user or root are missing.
    pub fn start() -> Option<PrivateServer> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .find(|b| b.join("initdb").is_file());
        let root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
        let (Some(bin), true) = (bin, root) else {
            eprintln!("skipped: a private PostgreSQL server needs root and the server binaries");
            return None;
        };
        let dir = tempfile::tempdir().ok()?;
        let data = dir.path().join("data");
        let chown = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(dir.path())
            .status()
            .ok()?;
        assert!(chown.success());
        std::fs::write(dir.path().join("pw"), "owner-secret\n").unwrap();
        let ok = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(bin.join("initdb"))
            .args(["-A", "scram-sha-256", "-U", "owner", "--pwfile"])
            .arg(dir.path().join("pw"))
            .arg("-D")
            .arg(&data)
            .stdout(Stdio::null())
            .status()
            .ok()?;
        assert!(ok.success(), "initdb failed");
        let port = free_port();
        let server = PrivateServer { dir, port, bin };
        server.pg_ctl("start");
        Some(server)
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.dir.path().join("data");
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let ok = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-o", &opts, "-w", "-m", "fast", "-l"])
            .arg(self.dir.path().join("log"))
            .arg(action)
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl");
        assert!(ok.success(), "pg_ctl {action} failed");
    }

    /// Stops and starts the server (every connection is cut).
    pub fn restart(&self) {
        self.pg_ctl("restart");
    }

    pub fn url(&self, user: &str, password: &str, db: &str) -> String {
        format!("postgres://{user}:{password}@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
