//! Validators on a real network: each one a host in its own network namespace, joined by
//! a switch in another (tests/support/netem_switch.py) that delays, jitters, drops and
//! cuts frames per direction of each link — netem's job, in userspace, because the
//! kernels these tests run on have no sch_netem. Hosts are 10.213.0.(i+1); the last one
//! is the client's. Needs root, `ip`, /dev/net/tun and python3; without them each test
//! says it is skipped. Every namespace a test makes (and with it every device) is removed
//! when it ends, even when it fails; the host's own interfaces are never touched.

use crate::harness::{Run, TestEnv};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const PORT: u16 = 7000;

fn ip_tool() -> Option<&'static str> {
    ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

fn python() -> Option<String> {
    let out = Command::new("sh")
        .args(["-c", "command -v python3"])
        .output()
        .ok()?;
    let path = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!path.is_empty()).then_some(path)
}

/// Why these tests cannot run here, if they cannot.
fn unavailable() -> Option<String> {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next().map(|u| u == "0"))
        .unwrap_or(false);
    if !root {
        return Some("not root".into());
    }
    if ip_tool().is_none() {
        return Some("no ip (iproute2)".into());
    }
    if !std::path::Path::new("/dev/net/tun").exists() {
        return Some("no /dev/net/tun".into());
    }
    if python().is_none() {
        return Some("no python3".into());
    }
    None
}

macro_rules! need_network {
    () => {
        if let Some(why) = unavailable() {
            eprintln!("skipped: network namespace tests need root, ip, /dev/net/tun and python3 ({why})");
            return;
        }
    };
}

fn ip(args: &[&str]) {
    let out = Command::new(ip_tool().unwrap())
        .args(args)
        .output()
        .expect("run ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Namespaces left by a test process that no longer exists (killed before its cleanup).
fn remove_stale_namespaces() {
    let Ok(out) = Command::new(ip_tool().unwrap()).args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let Some(pid) = name.strip_prefix("ect").and_then(|r| r.split('x').next()) else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = Command::new(ip_tool().unwrap())
                .args(["netns", "del", name])
                .status();
        }
    }
}

/// The hosts, the switch between them, and the link settings.
pub struct Net {
    names: Vec<String>,
    switch_ns: String,
    switch: Child,
    control: ChildStdin,
    replies: BufReader<ChildStdout>,
}

static NETS: AtomicUsize = AtomicUsize::new(0);

impl Net {
    /// `hosts` hosts on one switch, every link clear.
    pub fn new(hosts: usize) -> Net {
        remove_stale_namespaces();
        let id = format!(
            "ect{}x{}",
            std::process::id(),
            NETS.fetch_add(1, Ordering::Relaxed)
        );
        let switch_ns = format!("{id}s");
        let names: Vec<String> = (0..hosts).map(|i| format!("{id}h{i}")).collect();
        // Registered before anything can fail, so that Drop removes whatever was made.
        let mut made = vec![switch_ns.clone()];
        made.extend(names.iter().cloned());
        let cleanup = Cleanup(made);
        ip(&["netns", "add", &switch_ns]);
        for n in &names {
            ip(&["netns", "add", n]);
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/netem_switch.py");
        let mut switch = Command::new(ip_tool().unwrap())
            .args([
                "netns",
                "exec",
                &switch_ns,
                &python().unwrap(),
                script,
                &hosts.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the switch");
        let control = switch.stdin.take().unwrap();
        let mut replies = BufReader::new(switch.stdout.take().unwrap());
        let mut ready = String::new();
        replies.read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "ready", "the switch did not start");
        for (i, n) in names.iter().enumerate() {
            let tap = format!("t{i}");
            ip(&["-n", &switch_ns, "link", "set", &tap, "netns", n]);
            ip(&["-n", n, "link", "set", &tap, "name", "eth0"]);
            ip(&["-n", n, "link", "set", "eth0", "address", &mac(i)]);
            ip(&["-n", n, "addr", "add", &format!("{}/24", addr(i)), "dev", "eth0"]);
            ip(&["-n", n, "link", "set", "eth0", "up"]);
            ip(&["-n", n, "link", "set", "lo", "up"]);
            // Static neighbours: no ARP to lose on a lossy link.
            for j in (0..hosts).filter(|j| *j != i) {
                ip(&[
                    "-n",
                    n,
                    "neigh",
                    "add",
                    &addr(j),
                    "lladdr",
                    &mac(j),
                    "dev",
                    "eth0",
                    "nud",
                    "permanent",
                ]);
            }
        }
        std::mem::forget(cleanup);
        Net {
            names,
            switch_ns,
            switch,
            control,
            replies,
        }
    }

    /// Sets links: `link A B opts` (A to B) or `both A B opts`; `*` is every host.
    pub fn set(&mut self, command: &str) {
        writeln!(self.control, "{command}").unwrap();
        let mut reply = String::new();
        self.replies.read_line(&mut reply).unwrap();
        assert_eq!(reply.trim(), "ok", "{command}: {reply}");
    }

    pub fn ns(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// echoctl in host i's namespace.
    pub fn echoctl(&self, env: &TestEnv, i: usize, args: &[&str]) -> Command {
        env.command_in(&[ip_tool().unwrap(), "netns", "exec", self.ns(i)], args)
    }
}

fn mac(i: usize) -> String {
    format!("02:00:00:00:00:{i:02x}")
}

fn addr(i: usize) -> String {
    format!("10.213.0.{}", i + 1)
}

/// Removes namespaces on drop (and with them the devices in them).
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = Command::new(ip_tool().unwrap())
                .args(["netns", "del", n])
                .status();
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        let _ = writeln!(self.control, "quit");
        let _ = self.switch.kill();
        let _ = self.switch.wait();
        let mut all = vec![self.switch_ns.clone()];
        all.extend(self.names.iter().cloned());
        drop(Cleanup(all));
    }
}

/// n validators, one per host 0..n, and a client on host n.
pub struct NetCluster {
    pub env: TestEnv,
    pub net: Net,
    pub n: usize,
    nodes: Vec<Option<Child>>,
}

impl NetCluster {
    pub fn new(n: usize) -> NetCluster {
        let env = TestEnv::new();
        let mut toml = String::from("cluster = \"net.cluster\"\nepoch = 1\n");
        for i in 0..n {
            let db = format!("n{i}.db");
            let vkey = env
                .run(&["--db", &db, "init", "--origin", &format!("node{i}.example")])
                .ok()
                .stdout
                .trim()
                .to_owned();
            toml.push_str(&format!(
                "[[validator]]\nname = \"node{i}\"\nkey = \"{vkey}\"\naddress = \"{}:{PORT}\"\n",
                addr(i)
            ));
        }
        std::fs::write(env.path("validators.toml"), toml).unwrap();
        let net = Net::new(n + 1);
        let mut c = NetCluster {
            env,
            net,
            n,
            nodes: (0..n).map(|_| None).collect(),
        };
        for i in 0..n {
            c.start(i);
        }
        c
    }

    pub fn start(&mut self, i: usize) {
        let db = format!("n{i}.db");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.env.path(&format!("n{i}.log")))
            .unwrap();
        let child = self
            .net
            .echoctl(
                &self.env,
                i,
                &[
                    "--db",
                    &db,
                    "bft",
                    "serve",
                    "--validators",
                    "validators.toml",
                    "--timeout-ms",
                    "300",
                ],
            )
            .env_remove("ECHOCTL_TIMESTAMP")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start a validator");
        self.nodes[i] = Some(child);
        // Up once it answers a status from the client's host.
        let t = Instant::now();
        while !self.reachable().get(&i).copied().unwrap_or(false) {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "validator {i} did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn status(&self) -> Run {
        self.net
            .echoctl(
                &self.env,
                self.n,
                &[
                    "--json",
                    "bft",
                    "status",
                    "--validators",
                    "validators.toml",
                    "--timeout",
                    "2",
                ],
            )
            .output()
            .unwrap()
            .into()
    }

    /// Which validators answer a signed status from the client's host.
    pub fn reachable(&self) -> HashMap<usize, bool> {
        let r = self.status();
        let v: Value = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
        v["validators"]
            .as_array()
            .map(|a| {
                a.iter()
                    .enumerate()
                    .map(|(i, x)| (i, x["reachable"] == true))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `bft propose` from the client's host, in the background.
    pub fn propose(&self, subject: &str, timeout: &str) -> Child {
        let content = format!("{{\"text\":\"{subject}\"}}");
        self.net
            .echoctl(
                &self.env,
                self.n,
                &[
                    "--json",
                    "bft",
                    "propose",
                    "--validators",
                    "validators.toml",
                    "--subject",
                    subject,
                    "--content",
                    &content,
                    "--timeout",
                    timeout,
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// The subjects of the decisions in validator i's ledger, in ledger order.
    pub fn decided(&self, i: usize) -> Vec<String> {
        let db = format!("n{i}.db");
        self.env
            .run(&["--db", &db, "--json", "ledger", "log", "--kind", "decision"])
            .ok()
            .json_lines()
            .iter()
            .filter_map(|e| e["content"]["bft"]["subject"].as_str().map(str::to_owned))
            .collect()
    }

    /// Waits (up to `limit`) until every validator's ledger holds every subject; then
    /// checks each holds each exactly once and verifies.
    pub fn all_decided_once(&self, subjects: &[String], limit: Duration) {
        let t = Instant::now();
        for i in 0..self.n {
            loop {
                let d = self.decided(i);
                if subjects.iter().all(|s| d.contains(s)) {
                    break;
                }
                assert!(
                    t.elapsed() < limit,
                    "validator {i} lacks {:?}\n{}",
                    subjects.iter().filter(|s| !d.contains(s)).collect::<Vec<_>>(),
                    std::fs::read_to_string(self.env.path(&format!("n{i}.log"))).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        for i in 0..self.n {
            let d = self.decided(i);
            for s in subjects {
                assert_eq!(d.iter().filter(|x| *x == s).count(), 1, "validator {i}: {s}");
            }
            let db = format!("n{i}.db");
            let r = self.env.run(&["--db", &db, "--json", "ledger", "verify"]);
            assert_eq!(r.code, 0, "validator {i}: {}", r.stdout);
        }
    }
}

impl Drop for NetCluster {
    fn drop(&mut self) {
        for c in self.nodes.iter_mut().flatten() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn approved(child: Child) -> bool {
    let out = child.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    out.status.success() && v["decision"] == "approve"
}

fn decide_over_a_slow_lossy_network(n: usize) {
    let mut c = NetCluster::new(n);
    // 50 ms ± 10 ms one way and 2% loss on every link, the client's too.
    c.net.set("link * * delay=50 jitter=10 loss=0.02");
    let subjects: Vec<String> = (0..8).map(|k| format!("slow-{n}-{k}")).collect();
    let running: Vec<Child> = subjects.iter().map(|s| c.propose(s, "60")).collect();
    for (s, child) in subjects.iter().zip(running) {
        assert!(approved(child), "{s} was not approved");
    }
    c.all_decided_once(&subjects, Duration::from_secs(60));
}

#[test]
fn four_validators_decide_everything_once_over_a_slow_lossy_network() {
    need_network!();
    decide_over_a_slow_lossy_network(4);
}

#[test]
fn seven_validators_decide_everything_once_over_a_slow_lossy_network() {
    need_network!();
    decide_over_a_slow_lossy_network(7);
}

#[test]
fn a_two_two_partition_decides_nothing_until_it_heals() {
    need_network!();
    let mut c = NetCluster::new(4);
    c.net.set("both 0 2 cut=1");
    c.net.set("both 0 3 cut=1");
    c.net.set("both 1 2 cut=1");
    c.net.set("both 1 3 cut=1");
    let subjects: Vec<String> = (0..4).map(|k| format!("split-{k}")).collect();
    let started = Instant::now();
    let running: Vec<Child> = subjects.iter().map(|s| c.propose(s, "10")).collect();
    for (s, child) in subjects.iter().zip(running) {
        assert!(!approved(child), "{s} was decided across a 2-2 partition");
    }
    // The partition lasts 30 s; nothing is decided anywhere meanwhile.
    while started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(500));
        for i in 0..4 {
            assert!(
                c.decided(i).is_empty(),
                "validator {i} decided during the partition"
            );
        }
    }
    c.net.set("both * * cut=0");
    c.all_decided_once(&subjects, Duration::from_secs(60));
}

#[test]
fn one_direction_of_one_link_dropped_still_decides_everything_everywhere() {
    need_network!();
    let mut c = NetCluster::new(4);
    // Validator 0's frames never reach validator 1; 1's still reach 0.
    c.net.set("link 0 1 cut=1");
    let subjects: Vec<String> = (0..8).map(|k| format!("oneway-{k}")).collect();
    let running: Vec<Child> = subjects.iter().map(|s| c.propose(s, "60")).collect();
    for (s, child) in subjects.iter().zip(running) {
        assert!(approved(child), "{s} was not approved");
    }
    c.all_decided_once(&subjects, Duration::from_secs(60));
}

/// A client written from PROTOCOL.md (§1 framing, §2 submit and query), in Python, run on
/// the client's host: submits `count` subjects `prefix-k` to the validators at the given
/// addresses in windows of 50 (pipelined on one connection each), and waits for each
/// window to be decided at the first address. Prints how many were decided.
const PIPELINED_CLIENT: &str = r#"
import json, socket, struct, sys
prefix, count, addrs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def send(s, v):
    b = json.dumps(v).encode()
    s.sendall(struct.pack(">I", len(b)) + b)
def recv(s):
    n = b""
    while len(n) < 4:
        c = s.recv(4 - len(n))
        if not c: raise EOFError
        n += c
    (size,) = struct.unpack(">I", n)
    b = b""
    while len(b) < size:
        c = s.recv(size - len(b))
        if not c: raise EOFError
        b += c
    return json.loads(b)
def connect(a):
    host, port = a.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=30)
    return s
decided = 0
for w in range(0, count, 50):
    subjects = [f"{prefix}-{k}" for k in range(w, min(w + 50, count))]
    for a in addrs:
        s = connect(a)
        for subj in subjects:
            send(s, {"type": "submit", "subject": subj, "content": {"n": subj}})
        for _ in subjects:
            recv(s)
        s.close()
    s = connect(addrs[0])
    for subj in subjects:
        for _ in range(30):
            send(s, {"type": "query", "subject": subj, "wait_ms": 10000})
            if recv(s).get("type") == "certificate":
                decided += 1
                break
    s.close()
print(decided)
"#;

#[test]
fn a_validator_cut_off_for_500_decisions_catches_up_and_verifies() {
    need_network!();
    let mut c = NetCluster::new(4);
    c.net.set("both 3 * cut=1");
    let addrs: Vec<String> = (0..3).map(|i| format!("{}:{PORT}", addr(i))).collect();
    let mut args = vec![
        "netns".to_owned(),
        "exec".to_owned(),
        c.net.ns(c.n).to_owned(),
        python().unwrap(),
        "-c".to_owned(),
        PIPELINED_CLIENT.to_owned(),
        "away".to_owned(),
        "500".to_owned(),
    ];
    args.extend(addrs);
    let out = Command::new(ip_tool().unwrap()).args(&args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "500");
    assert!(c.decided(3).is_empty(), "validator 3 was cut off");
    c.net.set("both 3 * cut=0");
    let subjects: Vec<String> = (0..500).map(|k| format!("away-{k}")).collect();
    c.all_decided_once(&subjects, Duration::from_secs(120));
}
