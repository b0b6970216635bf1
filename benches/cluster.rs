//! Four release `echoctl bft serve` processes on loopback, each with its own ledger and
//! key file in one temporary folder, for the BFT benchmarks. `ECHOCTL_BIN` picks the
//! binary (default target/release/echoctl). The validators are killed on drop.
#![allow(dead_code)] // each bench uses its own part

use echoctl::bft::validators::ValidatorSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct BenchCluster {
    pub dir: tempfile::TempDir,
    pub bin: PathBuf,
    pub set: ValidatorSet,
    pub nodes: Vec<Child>,
}

/// The echoctl binary a benchmark runs.
pub fn echoctl_bin() -> PathBuf {
    let bin = std::env::var_os("ECHOCTL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/echoctl"));
    assert!(bin.exists(), "build echoctl first: cargo build --release");
    bin
}

/// Runs echoctl in `dir` and returns its stdout; panics when it fails.
pub fn run_in(bin: &Path, dir: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

impl BenchCluster {
    /// Starts the four validators of cluster `name`; `prepare` runs first in the folder
    /// and returns lines for the head of the validators file (e.g. `proposers`).
    pub fn start(name: &str, prepare: impl FnOnce(&dyn Fn(&[&str]) -> String) -> String) -> Self {
        let bin = echoctl_bin();
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| run_in(&bin, dir.path(), args);
        let mut toml = format!("cluster = \"{name}\"\nepoch = 1\n{}", prepare(&run));
        for i in 0..4 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let db = format!("n{i}.db");
            let vkey = run(&["--db", &db, "init", "--origin", &format!("node{i}.{name}")]);
            toml.push_str(&format!(
                "[[validator]]\nname = \"n{i}\"\nkey = \"{}\"\naddress = \"127.0.0.1:{port}\"\n",
                vkey.trim()
            ));
        }
        std::fs::write(dir.path().join("v.toml"), &toml).unwrap();
        let nodes = (0..4)
            .map(|i| {
                Command::new(&bin)
                    .args([
                        "--db",
                        &format!("n{i}.db"),
                        "-q",
                        "bft",
                        "serve",
                        "--validators",
                        "v.toml",
                    ])
                    .current_dir(dir.path())
                    .env("XDG_CONFIG_HOME", dir.path())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let set = ValidatorSet::load(&dir.path().join("v.toml")).unwrap();
        for v in &set.validators {
            while std::net::TcpStream::connect(v.address).is_err() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        std::thread::sleep(Duration::from_millis(300));
        BenchCluster { dir, bin, set, nodes }
    }

    pub fn run(&self, args: &[&str]) -> String {
        run_in(&self.bin, self.dir.path(), args)
    }
}

impl Drop for BenchCluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            let _ = n.kill();
            let _ = n.wait();
        }
    }
}
