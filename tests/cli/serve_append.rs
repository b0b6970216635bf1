//! `POST /entries` on a real `echoctl serve` process: bearer tokens, kinds, limits, the
//! batching of concurrent requests, receipts that verify offline, graceful shutdown, and
//! the Prometheus metrics that count it all.

use crate::harness::TestEnv;
use crate::serve::Served;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A ledger, a token file with `ci` (every user kind) and `obs` (observations only), and
/// the two secrets.
fn with_tokens() -> (TestEnv, String, String, String) {
    let env = TestEnv::new();
    let key = env.init();
    let add = |name: &str, kinds: &[&str]| {
        let mut args = vec!["--json", "token", "add", name, "--tokens", "tokens.json"];
        for k in kinds {
            args.extend_from_slice(&["--kind", k]);
        }
        let v = env.run(&args).ok().json();
        v["token"].as_str().unwrap().to_owned()
    };
    let ci = add("ci", &[]);
    let obs = add("obs", &["observation"]);
    (env, key, ci, obs)
}

fn serve_with(env: &TestEnv, extra: &[&str]) -> Served {
    let mut args: Vec<&str> = Served::ARGS.to_vec();
    args.extend_from_slice(&["--tokens", "tokens.json"]);
    args.extend_from_slice(extra);
    Served::spawn(env.command(&args))
}

/// POSTs `body` as JSON with `token`; the status and the parsed answer.
fn post(url: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut r = reqwest::blocking::Client::new()
        .post(format!("{url}/entries"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().unwrap();
    let status = r.status().as_u16();
    let text = r.text().unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, v)
}

fn size(env: &TestEnv) -> u64 {
    env.run(&["--json", "ledger", "verify"]).ok().json()["entries"]
        .as_u64()
        .unwrap()
}

#[test]
fn concurrent_posts_are_written_once_each_batched_and_answered_with_receipts_that_verify() {
    let (env, key, ci, _) = with_tokens();
    // A batch waits up to 3 s for company: the 64 requests below share few transactions.
    let server = serve_with(&env, &["--batch-age-ms", "3000", "--rate", "0"]);
    let url = server.url.clone();
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..64)
            .map(|_| {
                let (url, ci) = (&url, &ci);
                s.spawn(move || post(url, Some(ci), r#"{"kind":"observation","content":{"same":true}}"#))
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut seqs: Vec<u64> = Vec::new();
    let mut sizes = std::collections::BTreeSet::new();
    for (i, (status, v)) in answers.iter().enumerate() {
        assert_eq!(*status, 201, "{v}");
        let e = &v["entries"][0];
        seqs.push(e["seq"].as_u64().unwrap());
        sizes.insert(v["size"].as_u64().unwrap());
        // Every receipt verifies with no ledger at all, against the ledger's key.
        let file = format!("r{i}.proof");
        std::fs::write(env.path(&file), e["receipt"].as_str().unwrap()).unwrap();
        env.run(&["ledger", "proof", "verify", &file, "--trust-key", &key])
            .ok();
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=64).collect::<Vec<u64>>(),
        "nothing lost, nothing twice"
    );
    assert!(
        sizes.len() < 64,
        "batched: {} checkpoints for 64 requests",
        sizes.len()
    );
    assert_eq!(server.stop(), 0);

    let v = env
        .run(&["--json", "ledger", "verify", "--trust-key", &key])
        .ok()
        .json();
    assert_eq!(v["entries"], 65);
    assert_eq!(v["checkpoints"].as_u64(), Some(1 + sizes.len() as u64));
    let log = env.run(&["--json", "ledger", "log"]).ok().json_lines();
    assert_eq!(log.len(), 65);
    assert!(log[1..].iter().all(|e| e["source"] == "token:ci"), "{log:?}");
}

#[test]
fn a_bad_request_is_refused_with_a_clear_4xx_and_writes_nothing() {
    let (env, _, ci, obs) = with_tokens();
    let server = serve_with(&env, &[]);
    let u = &server.url;
    let good = r#"{"kind":"observation","content":{"ok":1}}"#;
    let big = format!(
        r#"{{"kind":"observation","content":{{"x":"{}"}}}}"#,
        "a".repeat(2 << 20)
    );
    let many = format!(r#"{{"entries":[{}]}}"#, vec![good; 1001].join(","));
    let too_long_entry = format!(
        r#"{{"kind":"observation","content":{{"x":"{}"}}}}"#,
        "a".repeat(70_000)
    );
    let one_bad_in_a_batch = format!(r#"{{"entries":[{good},{{"kind":"genesis","content":{{}}}}]}}"#);
    for (token, body, status, says) in [
        (None, good, 401, "no bearer token"),
        (Some("echo_not-a-token"), good, 401, "not valid"),
        (
            Some(obs.as_str()),
            r#"{"kind":"decision","content":{}}"#,
            403,
            "may not append kind",
        ),
        (Some(ci.as_str()), "{not json", 400, "not valid JSON"),
        (
            Some(ci.as_str()),
            r#"{"kind":"observation","content":{},"extra":1}"#,
            400,
            "unknown field",
        ),
        (
            Some(ci.as_str()),
            r#"{"kind":"observation","content":{},"source":""}"#,
            400,
            "source",
        ),
        (Some(ci.as_str()), r#"{"entries":[]}"#, 400, "empty"),
        (
            Some(ci.as_str()),
            r#"{"kind":"observation","content":{"a":1,"a":2}}"#,
            400,
            "duplicate",
        ),
        (Some(ci.as_str()), &big, 413, "larger than"),
        (Some(ci.as_str()), &many, 413, "at most 1000 entries"),
        (Some(ci.as_str()), &too_long_entry, 422, "65,535 bytes"),
        (Some(ci.as_str()), &one_bad_in_a_batch, 422, "genesis"),
        (
            Some(ci.as_str()),
            r#"{"kind":"observation","content":{},"refs":["01ARZ3NDEKTSV4RRFFQ69G5FAV"]}"#,
            422,
            "not found",
        ),
    ] {
        let (got, v) = post(u, token, body);
        let error = v["error"].as_str().unwrap_or_default();
        assert_eq!(got, status, "{error}");
        assert!(error.contains(says), "{status}: {error}");
    }
    let r = reqwest::blocking::Client::new()
        .post(format!("{u}/entries"))
        .bearer_auth(&ci)
        .header("content-type", "text/plain")
        .body(good)
        .send()
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(size(&env), 1, "nothing was written");
    // The honest request after them all is written.
    assert_eq!(post(u, Some(&ci), good).0, 201);
    assert_eq!(server.stop(), 0);
    assert_eq!(size(&env), 2);
}

#[test]
fn a_refused_request_in_a_batch_does_not_fail_the_others() {
    let (env, _, ci, _) = with_tokens();
    let server = serve_with(&env, &["--batch-age-ms", "1500"]);
    let u = server.url.clone();
    let (good, bad) = std::thread::scope(|s| {
        let g = s.spawn(|| post(&u, Some(&ci), r#"{"kind":"observation","content":{"good":1}}"#));
        let b = s.spawn(|| {
            post(
                &u,
                Some(&ci),
                r#"{"kind":"observation","content":{},"refs":["01ARZ3NDEKTSV4RRFFQ69G5FAV"]}"#,
            )
        });
        (g.join().unwrap(), b.join().unwrap())
    });
    assert_eq!((good.0, bad.0), (201, 422), "{good:?} {bad:?}");
    assert_eq!(size(&env), 2);
    drop(server);
}

#[test]
fn a_token_over_its_rate_is_told_when_to_come_back() {
    let (env, _, ci, _) = with_tokens();
    let server = serve_with(&env, &["--rate", "5"]);
    let five = format!(
        r#"{{"entries":[{}]}}"#,
        [r#"{"kind":"observation","content":{}}"#; 5].join(",")
    );
    assert_eq!(post(&server.url, Some(&ci), &five).0, 201);
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/entries", server.url))
        .bearer_auth(&ci)
        .header("content-type", "application/json")
        .body(five.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert_eq!(size(&env), 6);
    drop(server);
}

#[test]
fn a_server_without_tokens_is_read_only() {
    let env = TestEnv::new();
    env.init();
    let server = Served::start(&env);
    let (status, v) = post(
        &server.url,
        Some("echo_x"),
        r#"{"kind":"observation","content":{}}"#,
    );
    assert_eq!(status, 405, "{v}");
    assert!(v["error"].as_str().unwrap().contains("read-only"), "{v}");
    // A token file without tokens is a usage error, not a server nobody can write to.
    std::fs::write(env.path("empty.json"), r#"{"version":1,"tokens":[]}"#).unwrap();
    let r = env.run(&["serve", "--listen", "127.0.0.1:0", "--tokens", "empty.json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("holds no token"), "{}", r.stderr);
    drop(server);
}

#[test]
fn sigterm_lets_a_post_in_flight_finish_and_its_entry_is_kept() {
    let (env, _, ci, _) = with_tokens();
    let server = serve_with(&env, &["--batch-age-ms", "1500"]);
    let url = server.url.clone();
    let in_flight =
        std::thread::spawn(move || post(&url, Some(&ci), r#"{"kind":"observation","content":{"late":1}}"#));
    // The request is in the writer's batch (which waits 1.5 s) when SIGTERM arrives.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(server.stop(), 0);
    let (status, v) = in_flight.join().unwrap();
    assert_eq!(status, 201, "{v}");
    assert_eq!(size(&env), 2);
}

#[test]
fn metrics_count_requests_by_route_and_status_in_prometheus_text() {
    let (env, _, ci, _) = with_tokens();
    let server = serve_with(&env, &[]);
    assert_eq!(
        post(&server.url, Some(&ci), r#"{"kind":"observation","content":{}}"#).0,
        201
    );
    assert_eq!(post(&server.url, None, "{}").0, 401);
    // Invented method names do not each become a series.
    for m in ["BREW", "WHEN", "FOO"] {
        let r = reqwest::blocking::Client::new()
            .request(
                reqwest::Method::from_bytes(m.as_bytes()).unwrap(),
                format!("{}/health", server.url),
            )
            .send()
            .unwrap();
        assert_eq!(r.status(), 405);
    }
    let r = reqwest::blocking::get(format!("{}/metrics", server.url)).unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().unwrap();
    for line in [
        r#"echoctl_http_requests_total{route="/entries",method="POST",status="201"} 1"#,
        r#"echoctl_http_requests_total{route="/entries",method="POST",status="401"} 1"#,
        r#"echoctl_http_appended_entries_total{token="ci"} 1"#,
        "echoctl_http_append_batch_entries_count 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    assert!(
        text.contains("echoctl_http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(!text.contains("BREW"), "{text}");
    assert!(text.contains(r#"method="other",status="405"} 3"#), "{text}");
    // A head trickled past the timeout is cut off; the server goes on answering.
    drop(server);
    let server = serve_with(&env, &["--timeout", "1"]);
    let mut slow = TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHo").unwrap();
    let mut rest = Vec::new();
    // Closed by the server (EOF), not by our own 20 s read timeout.
    slow.read_to_end(&mut rest)
        .expect("the server closes a trickled head");
    let answer = String::from_utf8_lossy(&rest);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert_eq!(
        reqwest::blocking::get(format!("{}/health", server.url))
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn token_commands_add_list_and_remove_and_keep_no_secret() {
    let (env, _, ci, _) = with_tokens();
    let text = std::fs::read_to_string(env.path("tokens.json")).unwrap();
    assert!(!text.contains(&ci), "the secret is not stored");
    let v = env
        .run(&["--json", "token", "list", "--tokens", "tokens.json"])
        .ok()
        .json();
    assert_eq!(v["tokens"][1]["kinds"][0], "observation");
    let r = env.run(&["token", "add", "ci", "--tokens", "tokens.json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("exists already"), "{}", r.stderr);
    let r = env.run(&["token", "add", "bad name", "--tokens", "tokens.json"]);
    assert_eq!(r.code, 2);
    env.run(&["token", "remove", "ci", "--tokens", "tokens.json"])
        .ok();
    let v = env
        .run(&["--json", "token", "list", "--tokens", "tokens.json"])
        .ok()
        .json();
    assert_eq!(v["tokens"].as_array().unwrap().len(), 1);
    std::fs::write(env.path("broken.json"), "{").unwrap();
    let r = env.run(&["token", "list", "--tokens", "broken.json"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    // A removed token no longer writes.
    let server = serve_with(&env, &[]);
    assert_eq!(
        post(&server.url, Some(&ci), r#"{"kind":"observation","content":{}}"#).0,
        401
    );
}

#[test]
fn sixty_four_clients_sending_the_largest_bodies_leave_memory_bounded_and_write_nothing() {
    let (env, _, ci, _) = with_tokens();
    let server = serve_with(&env, &[]);
    // 64 clients at once, each a body just under 1 MiB of entries the ledger refuses (each
    // over 65,535 bytes), and 300 idle connections beside them.
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(server.url.trim_start_matches("http://")).unwrap())
        .collect();
    let entry = format!(
        r#"{{"kind":"observation","content":{{"x":"{}"}}}}"#,
        "a".repeat(70_000)
    );
    let body = format!(r#"{{"entries":[{}]}}"#, vec![entry.as_str(); 14].join(","));
    assert!(body.len() < 1 << 20);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..64)
            .map(|_| s.spawn(|| post(&server.url, Some(&ci), &body).0))
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|&s| s == 422), "{statuses:?}");
    drop(idle);
    // The bound in README ("Bounds"): 32 bodies of 1 MiB in flight and their parsed JSON,
    // a few KiB per connection; 64 MiB of bodies were sent.
    let peak = server.peak_rss_kib();
    println!("peak RSS of the server: {peak} KiB");
    assert!(peak < 160 * 1024, "peak RSS {peak} KiB");
    assert_eq!(
        post(&server.url, Some(&ci), r#"{"kind":"observation","content":{}}"#).0,
        201
    );
    assert_eq!(size(&env), 2, "nothing of the refused bodies was written");
}
