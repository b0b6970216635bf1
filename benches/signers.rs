//! Signer benchmarks (never run by CI): a key file against a YubiHSM2 reached over the
//! real connector protocol (yubihsm's MockHsm behind yubihsm's HTTP server, in this
//! process, on loopback):
//!
//!   cargo build --release && cargo run --release --example bench_signers -- [SIGNS] [APPENDS]
//!
//! 1. Checkpoint signing: SIGNS signatures (default 500) over a checkpoint body, each way.
//! 2. Append latency: APPENDS whole `echoctl ledger append` processes (default 12) against
//!    a ledger signed by a key file, then against one signed by the HSM key. Each process
//!    uses one of the HSM's 16 sessions until it idles out (yubihsm 0.42.1 cannot close
//!    them), so APPENDS stays below 14.

use echoctl::sign::file::KeyFile;
use echoctl::sign::yubihsm::{Hsm, HsmAddress, HsmAuth};
use echoctl::sign::Signer;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn report(what: &str, mut v: Vec<Duration>) {
    let (p50, p99) = (percentile(&mut v, 0.5), percentile(&mut v, 0.99));
    println!(
        "{what:<44} p50 {:>9.3} ms   p99 {:>9.3} ms   (n = {})",
        ms(p50),
        ms(p99),
        v.len()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let mut args = std::env::args().skip(1);
    let signs: usize = args.next().map_or(500, |a| a.parse().expect("SIGNS"));
    let appends: usize = args.next().map_or(12, |a| a.parse().expect("APPENDS"));
    assert!(appends <= 13, "APPENDS must stay below the HSM's 16 sessions");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let config = yubihsm::HttpConfig {
        addr: "127.0.0.1".into(),
        port,
        timeout_ms: 5_000,
    };
    let server =
        yubihsm::connector::http::Server::new(&config, yubihsm::Connector::mockhsm()).expect("server");
    std::thread::spawn(move || loop {
        let _ = server.handle_request();
    });
    let url = format!("http://127.0.0.1:{port}");
    let origin = "bench.example/signers";

    let file = KeyFile::from_seed(origin, [3; 32]).unwrap();
    let hsm = Hsm::open(
        &HsmAddress::parse(&url).unwrap(),
        &HsmAuth {
            key_id: 1,
            password: "password".into(),
        },
    )
    .expect("open the HSM");
    let hsm_key = hsm.generate(9, origin).expect("generate");
    let body = format!("{origin}\n1000000\n{}\n", "A".repeat(43) + "=");
    for (what, signer) in [
        ("sign a checkpoint: key file", &file as &dyn Signer),
        (
            "sign a checkpoint: HSM over HTTP (MockHsm)",
            &hsm_key as &dyn Signer,
        ),
    ] {
        let times = (0..signs)
            .map(|_| {
                let t = Instant::now();
                signer.sign(body.as_bytes()).expect("sign");
                t.elapsed()
            })
            .collect();
        report(what, times);
    }

    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/echoctl");
    assert!(bin.exists(), "build echoctl first: cargo build --release");
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("file.key");
    let run = |args: &[&str]| {
        let out = Command::new(&bin)
            .args(args)
            .current_dir(dir.path())
            .env("ECHOCTL_HSM", &url)
            .env("ECHOCTL_HSM_PASSWORD", "password")
            .env("XDG_CONFIG_HOME", dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    run(&[
        "key",
        "generate",
        "--name",
        origin,
        "--out",
        key_path.to_str().unwrap(),
    ]);
    let key_path = key_path.to_str().unwrap().to_owned();
    for (what, db, key) in [
        ("append (whole process): key file", "file.db", key_path.as_str()),
        ("append (whole process): HSM over HTTP", "hsm.db", "hsm:9"),
    ] {
        run(&["--db", db, "init", "--key", key]);
        let times = (0..appends)
            .map(|i| {
                let content = format!(r#"{{"n":{i}}}"#);
                let t = Instant::now();
                run(&[
                    "--db",
                    db,
                    "ledger",
                    "append",
                    "--kind",
                    "observation",
                    "--source",
                    "bench",
                    "--content",
                    &content,
                    "--key",
                    key,
                ]);
                t.elapsed()
            })
            .collect();
        report(what, times);
    }
}
