//! A real HTTP/1.1 server on 127.0.0.1 standing in for an exchange: each `path?query`
//! answers a scripted sequence of replies (the last one repeats), and every request is
//! counted. Bodies default to fixtures/wealth/exchanges.json, our own fixtures written in
//! the venues' documented formats.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn ok(body: &str) -> Self {
        Reply {
            status: 200,
            headers: vec![],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn status(status: u16, body: &str) -> Self {
        Reply {
            status,
            ..Reply::ok(body)
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delayed(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Vec<Reply>>,
    hits: HashMap<String, usize>,
}

pub struct ExchangeServer {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

/// The fixture bodies: venue -> "path?query" -> body.
pub fn fixtures() -> HashMap<String, HashMap<String, String>> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wealth/exchanges.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("read fixtures")).expect("fixtures JSON")
}

impl ExchangeServer {
    /// A server answering every fixture route of every venue under /VENUE.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        for (venue, routes) in fixtures() {
            for (path, body) in routes {
                state
                    .lock()
                    .unwrap()
                    .routes
                    .insert(format!("/{venue}{path}"), vec![Reply::ok(&body)]);
            }
        }
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
                            break;
                        }
                    }
                    let reply = {
                        let mut s = st.lock().unwrap();
                        *s.hits.entry(path.clone()).or_default() += 1;
                        match s.routes.get_mut(&path) {
                            Some(q) if q.len() > 1 => q.remove(0),
                            Some(q) => q[0].clone(),
                            None => Reply::status(404, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}"),
                        }
                    };
                    std::thread::sleep(reply.delay);
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                        reply.status,
                        reply.body.len()
                    );
                    for (k, v) in &reply.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = conn.write_all(head.as_bytes());
                    let _ = conn.write_all(reply.body.as_bytes());
                });
            }
        });
        ExchangeServer { port, state }
    }

    /// Scripts the replies of one route (`/binance/api/v3/depth?symbol=…`).
    pub fn script(&self, path: &str, replies: Vec<Reply>) {
        self.state.lock().unwrap().routes.insert(path.into(), replies);
    }

    pub fn body(&self, path: &str) -> String {
        self.state.lock().unwrap().routes[path][0].body.clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.state.lock().unwrap().hits.get(path).copied().unwrap_or(0)
    }

    /// The ECHOCTL_*_URL variables pointing every venue here.
    pub fn env(&self) -> Vec<(String, String)> {
        ["binance", "kraken", "coinbase"]
            .iter()
            .map(|v| {
                (
                    format!("ECHOCTL_{}_URL", v.to_uppercase()),
                    format!("http://127.0.0.1:{}/{v}", self.port),
                )
            })
            .collect()
    }
}
