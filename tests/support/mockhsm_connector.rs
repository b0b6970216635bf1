//! A YubiHSM2 for the tests: yubihsm's MockHsm behind yubihsm's own
//! `yubihsm-connector`-compatible HTTP server, on a free loopback port. It prints
//! `listening on PORT` once it accepts connections, then serves until killed. The real
//! `echoctl` binary talks to it over the real connector protocol. (MockHsm refuses
//! release builds; this is a test helper only. Its authentication key 1 has the password
//! "password", as on a factory-fresh YubiHSM2.)

use std::io::Write;
use yubihsm::connector::http::Server;
use yubihsm::{Connector, HttpConfig};

fn main() {
    let connector = Connector::mockhsm();
    let mut last_error = String::new();
    for _ in 0..20 {
        let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
            Ok(addr) => addr.port(),
            Err(e) => {
                last_error = e.to_string();
                continue;
            }
        };
        let config = HttpConfig {
            addr: "127.0.0.1".into(),
            port,
            timeout_ms: 5_000,
        };
        match Server::new(&config, connector.clone()) {
            Ok(server) => {
                println!("listening on {port}");
                std::io::stdout().flush().expect("stdout");
                loop {
                    if let Err(e) = server.handle_request() {
                        eprintln!("mockhsm-connector: {e}");
                    }
                }
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    eprintln!("mockhsm-connector: cannot listen: {last_error}");
    std::process::exit(3);
}
