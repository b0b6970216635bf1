//! Emergency powers: a signed halt that every acting command obeys, a k-of-n resume
//! collected offline, a break-glass window of at most 15 minutes measured on the
//! ledger's own times, and `ledger verify` proving each rule from the bytes.

use crate::harness::{sqlite, Run, TestEnv};
use echoctl::ledger::store::Location;
use serde_json::Value;

/// A ledger with roles: emergency key e1, resume quorum 2 of r1, r2, r3; also a key
/// outside every role (x). Returns the env.
fn with_roles() -> TestEnv {
    let env = TestEnv::new();
    env.init();
    generate_keys(&env, &["e1", "r1", "r2", "r3", "x"]);
    let v = |k: &str| vkey(&env, k);
    env.run(&[
        "emergency",
        "roles",
        "--emergency-key",
        &v("e1"),
        "--resume-key",
        &v("r1"),
        "--resume-key",
        &v("r2"),
        "--resume-key",
        &v("r3"),
        "--quorum",
        "2",
    ])
    .ok();
    env
}

/// Key files `K.key` named ops.example/K.
fn generate_keys(env: &TestEnv, names: &[&str]) {
    for k in names {
        let (name, out) = (format!("ops.example/{k}"), format!("{k}.key"));
        env.run(&["key", "generate", "--name", &name, "--out", &out]).ok();
    }
}

fn vkey(env: &TestEnv, k: &str) -> String {
    env.run(&["key", "show", "--key", &format!("{k}.key")])
        .ok()
        .stdout
        .trim()
        .to_owned()
}

fn size(env: &TestEnv) -> i64 {
    sqlite(&env.db())
        .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
        .unwrap()
}

fn halt(env: &TestEnv, area: &str, reason: &str) -> String {
    env.run(&[
        "--json",
        "emergency",
        "halt",
        "--area",
        area,
        "--reason",
        reason,
        "--as",
        "e1.key",
    ])
    .first_id()
}

#[track_caller]
fn refused(r: Run, code: i32, needle: &str) {
    assert_eq!(r.code, code, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert!(r.stderr.contains(needle), "expected {needle:?} in {}", r.stderr);
}

/// The resume statement for `halt`, signed by each of `keys`; returns the signature files.
fn resume_signatures(env: &TestEnv, halt: &str, keys: &[&str]) -> Vec<String> {
    let st = env
        .run(&[
            "emergency",
            "resume",
            "--halt",
            halt,
            "--reason",
            "all clear",
            "--print-statement",
        ])
        .ok()
        .stdout;
    std::fs::write(env.path("statement.json"), st).unwrap();
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            let sig = env
                .run(&["emergency", "sign", "statement.json", "--as", &format!("{k}.key")])
                .ok()
                .stdout;
            let file = format!("sig{i}.json");
            std::fs::write(env.path(&file), sig).unwrap();
            file
        })
        .collect()
}

fn resume(env: &TestEnv, halt: &str, files: &[String]) -> Run {
    let mut args = vec!["emergency", "resume", "--halt", halt, "--reason", "all clear"];
    for f in files {
        args.extend_from_slice(&["--signature", f]);
    }
    env.run(&args)
}

fn case(env: &TestEnv) -> String {
    let a = env.append(r#"{"key":"k","value":"a","text":"a"}"#)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = env.append(r#"{"key":"k","value":"b","text":"b"}"#)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::governance::open_case(env, &a, &b)
}

#[test]
fn a_halt_refuses_every_acting_command_and_reading_goes_on() {
    let env = with_roles();
    let snap = crate::wealth::write_bundle(&env, "snap.json", &crate::wealth::bundle(&[]));
    let case = case(&env);
    let h = halt(&env, "all", "suspected key leak");
    let before = size(&env);
    refused(
        crate::wealth::trade(&env, &snap, &["--best"]),
        2,
        "suspected key leak",
    );
    refused(
        env.run(&["court", "rule", &case, "--decision", "d", "--reasoning", "r"]),
        2,
        &h,
    );
    refused(record_task(&env), 2, "halted");
    assert_eq!(size(&env), before, "nothing written while halted");
    assert!(!env.path("echo.db.snapshots").exists());
    // Reading, verifying, exporting and the emergency commands still work.
    env.run(&["ledger", "verify"]).ok();
    env.run(&["ledger", "log"]).ok();
    env.run(&["ledger", "export", "--out", "b"]).ok();
    let st = env.run(&["--json", "emergency", "status"]).ok().json();
    assert_eq!(st["halts"][0]["id"], h.as_str(), "{st}");
    assert_eq!(st["halts"][0]["reason"], "suspected key leak");
    assert_eq!(st["roles"]["resume_quorum"], 2);
    // A scoped halt stops only its area.
    let env = with_roles();
    halt(&env, "wealth", "exchange outage");
    refused(
        crate::wealth::trade(&env, &snap_in(&env), &["--best"]),
        2,
        "exchange outage",
    );
    record_task(&env).ok();
}

fn record_task(env: &TestEnv) -> Run {
    env.run(&[
        "treasury",
        "record",
        "--task",
        "t",
        "--cost",
        "1",
        "--risk",
        "low",
        "--expected-value",
        "2",
        "--proof-burden",
        "p",
    ])
}

fn snap_in(env: &TestEnv) -> String {
    crate::wealth::write_bundle(env, "snap.json", &crate::wealth::bundle(&[]))
}

#[test]
fn a_resume_needs_k_valid_signatures_of_distinct_quorum_keys() {
    let env = with_roles();
    let h = halt(&env, "wealth", "drill");
    let before = size(&env);
    // k−1 signatures; two from one key; one by a key outside the quorum; the halting key.
    refused(
        resume(&env, &h, &resume_signatures(&env, &h, &["r1"])),
        2,
        "2 needed",
    );
    refused(
        resume(&env, &h, &resume_signatures(&env, &h, &["r1", "r1"])),
        2,
        "2 needed",
    );
    refused(
        resume(&env, &h, &resume_signatures(&env, &h, &["r1", "x"])),
        2,
        "not in the resume quorum",
    );
    refused(
        resume(&env, &h, &resume_signatures(&env, &h, &["e1", "r1"])),
        2,
        "not in the resume quorum",
    );
    // A signature over another statement (another reason) does not verify.
    let files = resume_signatures(&env, &h, &["r1", "r2"]);
    let mut args = vec!["emergency", "resume", "--halt", &h, "--reason", "something else"];
    for f in &files {
        args.extend_from_slice(&["--signature", f]);
    }
    refused(env.run(&args), 2, "does not verify");
    assert_eq!(size(&env), before);
    // k good ones lift it, once.
    resume(&env, &h, &files).ok();
    crate::wealth::trade(&env, &snap_in(&env), &["--best"]).ok();
    refused(resume(&env, &h, &files), 2, "no halt");
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn a_break_glass_window_lasts_at_most_15_minutes_of_ledger_time() {
    let env = with_roles();
    let snap = snap_in(&env);
    let open = |minutes: &str| {
        env.run(&[
            "--json",
            "emergency",
            "break-glass",
            "--guard",
            "risk-limits",
            "--minutes",
            minutes,
            "--reason",
            "rebalance",
            "--as",
            "e1.key",
        ])
    };
    refused(open("16"), 2, "15 minutes");
    refused(open("0"), 2, "15 minutes");
    let w = open("15").first_id();
    // Over the position limit: refused without the window, done under it and naming it.
    crate::wealth::trade(&env, &snap, &["--best", "--size", "1000.01"]).code(1);
    let t = crate::wealth::trade(&env, &snap, &["--best", "--size", "1000.01", "--break-glass", &w]).ok();
    assert!(t.stdout.contains("1000.01"), "{}", t.stdout);
    let at = |ts: &str, extra: &[&str]| {
        let mut args = vec![
            "--json",
            "wealth",
            "trade",
            "--snapshot",
            &snap,
            "--best",
            "--size",
            "1000.01",
        ];
        args.extend_from_slice(extra);
        env.run_env(&args, &[("ECHOCTL_TIMESTAMP", ts)])
    };
    // Sixteen minutes on, the window is closed.
    refused(
        at("2026-11-22T12:16:00Z", &["--break-glass", &w]),
        2,
        "no break-glass window",
    );
    // An entry is written at 12:16; a clock set back to 12:05 does not reopen the window.
    env.run_env(
        &[
            "ledger",
            "append",
            "--kind",
            "observation",
            "--source",
            "s",
            "--content",
            "{}",
        ],
        &[("ECHOCTL_TIMESTAMP", "2026-11-22T12:16:00Z")],
    )
    .ok();
    refused(
        at("2026-11-22T12:05:00Z", &["--break-glass", &w]),
        2,
        "no break-glass window",
    );
    // Opened with a clock behind the ledger, a window would lie in the past: refused.
    refused(open("15"), 3, "clock is behind");
    // Closed early, it is closed.
    let w2 = env
        .run_env(
            &[
                "--json",
                "emergency",
                "break-glass",
                "--guard",
                "risk-limits",
                "--minutes",
                "15",
                "--reason",
                "again",
                "--as",
                "e1.key",
            ],
            &[("ECHOCTL_TIMESTAMP", "2026-11-22T12:16:10Z")],
        )
        .first_id();
    env.run_env(
        &["emergency", "close", &w2, "--reason", "done", "--as", "e1.key"],
        &[("ECHOCTL_TIMESTAMP", "2026-11-22T12:16:30Z")],
    )
    .ok();
    refused(
        at("2026-11-22T12:17:00Z", &["--break-glass", &w2]),
        2,
        "no break-glass window",
    );
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
    // The Reader Edition shows the emergency entries.
    let md = env.run(&["ledger", "reader"]).ok().stdout;
    assert!(md.contains("rebalance"), "{md}");
    // The watchtower reports each window and the actions under it.
    let scan = env
        .run_env(
            &["--json", "watchtower", "scan", "--fail-on", "critical"],
            &[("ECHOCTL_TIMESTAMP", "2026-11-22T12:20:00Z")],
        )
        .ok()
        .json();
    let windows: Vec<&Value> = scan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["finding"] == "break_glass")
        .collect();
    assert_eq!(windows.len(), 2, "{scan}");
    assert_eq!(windows[0]["entries"][0], w.as_str());
    assert_eq!(
        windows[0]["entries"].as_array().unwrap().len(),
        2,
        "the window and the trade under it"
    );
    assert_eq!(
        windows[1]["entries"].as_array().unwrap().len(),
        1,
        "a window nothing used"
    );
}

#[test]
fn verify_names_a_guarded_action_recorded_during_a_halt() {
    let env = with_roles();
    let h = halt(&env, "treasury", "audit");
    // Forged behind echoctl's back: a task entry after the halt.
    crate::harness::forge_after_last(&env, |e| {
        e.kind = "task".into();
        e.content = serde_json::from_str(r#"{"action":"record","task":"t","cost":"1","expected_value":"2","risk":"low","proof_burden":"p"}"#).unwrap();
    });
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 1, "{v}");
    let reason = v["failure"]["reason"].as_str().unwrap();
    assert!(reason.contains("halt") && reason.contains(&h), "{reason}");
}

#[test]
fn verify_fails_a_halt_whose_signature_does_not_verify() {
    let env = with_roles();
    halt(&env, "all", "drill");
    // A copy of the halt with its reason changed after signing.
    crate::harness::forge_after_last(&env, |e| {
        e.content
            .insert("reason".into(), Value::String("changed after signing".into()));
    });
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["failure"]["reason"]
            .as_str()
            .unwrap()
            .contains("does not verify"),
        "{v}"
    );
}

#[test]
fn bad_emergency_input_is_refused_and_writes_nothing() {
    let env = with_roles();
    let before = size(&env);
    refused(
        env.run(&["emergency", "halt", "--reason", "  ", "--as", "e1.key"]),
        2,
        "reason",
    );
    refused(
        env.run(&["emergency", "halt", "--reason", "r", "--as", "x.key"]),
        2,
        "does not hold the emergency role",
    );
    refused(
        env.run(&[
            "emergency",
            "halt",
            "--area",
            "moon",
            "--reason",
            "r",
            "--as",
            "e1.key",
        ]),
        2,
        "unknown area",
    );
    refused(
        env.run(&[
            "emergency",
            "break-glass",
            "--guard",
            "everything",
            "--minutes",
            "5",
            "--reason",
            "r",
            "--as",
            "e1.key",
        ]),
        2,
        "unknown guard",
    );
    // Roles again need the current quorum's approval; a quorum of one is refused.
    let v = vkey(&env, "x");
    refused(
        env.run(&[
            "emergency",
            "roles",
            "--emergency-key",
            &v,
            "--resume-key",
            &v,
            "--resume-key",
            &v,
            "--quorum",
            "2",
        ]),
        2,
        "2 needed",
    );
    refused(
        env.run(&[
            "emergency",
            "roles",
            "--emergency-key",
            &v,
            "--resume-key",
            &v,
            "--quorum",
            "1",
        ]),
        2,
        "quorum",
    );
    assert_eq!(size(&env), before);
    // Without roles, halting is refused with a hint to set them.
    let bare = TestEnv::new();
    bare.init();
    bare.run(&["key", "generate", "--name", "ops.example/e1", "--out", "e1.key"])
        .ok();
    refused(
        bare.run(&["emergency", "halt", "--reason", "r", "--as", "e1.key"]),
        2,
        "emergency roles",
    );
}

#[test]
fn halted_validators_open_nothing_until_a_resume() {
    let mut c = crate::bft_net::Cluster::new();
    let env = &c.env;
    generate_keys(env, &["e1", "r1", "r2"]);
    let (e1, r1, r2) = (vkey(env, "e1"), vkey(env, "r1"), vkey(env, "r2"));
    let dbs: Vec<String> = (0..4).map(|i| format!("n{i}.db")).collect();
    for db in &dbs {
        env.run(&[
            "--db",
            db,
            "emergency",
            "roles",
            "--emergency-key",
            &e1,
            "--resume-key",
            &r1,
            "--resume-key",
            &r2,
            "--quorum",
            "2",
        ])
        .ok();
    }
    c.start_all();
    assert_eq!(
        c.propose("before", r#"{"text":"a"}"#, "20").ok().json()["decision"],
        "approve"
    );
    let halts: Vec<String> = dbs
        .iter()
        .map(|db| {
            c.env
                .run(&[
                    "--db",
                    db,
                    "--json",
                    "emergency",
                    "halt",
                    "--area",
                    "bft",
                    "--reason",
                    "freeze",
                    "--as",
                    "e1.key",
                ])
                .first_id()
        })
        .collect();
    let r = c.propose("during", r#"{"text":"b"}"#, "5");
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stderr.contains("halted"), "{}", r.stderr);
    for (db, h) in dbs.iter().zip(&halts) {
        let st = c
            .env
            .run(&[
                "--db",
                db,
                "emergency",
                "resume",
                "--halt",
                h,
                "--reason",
                "thaw",
                "--print-statement",
            ])
            .ok()
            .stdout;
        std::fs::write(c.env.path("st.json"), st).unwrap();
        for (k, f) in [("r1", "a.json"), ("r2", "b.json")] {
            let sig = c
                .env
                .run(&["emergency", "sign", "st.json", "--as", &format!("{k}.key")])
                .ok()
                .stdout;
            std::fs::write(c.env.path(f), sig).unwrap();
        }
        c.env
            .run(&[
                "--db",
                db,
                "emergency",
                "resume",
                "--halt",
                h,
                "--reason",
                "thaw",
                "--signature",
                "a.json",
                "--signature",
                "b.json",
            ])
            .ok();
    }
    assert_eq!(
        c.propose("after", r#"{"text":"c"}"#, "20").ok().json()["decision"],
        "approve"
    );
    for i in 0..4 {
        let subjects: Vec<String> = c
            .wait_decisions(i, 2)
            .iter()
            .filter_map(|d| d["subject"].as_str().map(str::to_owned))
            .collect();
        assert!(
            !subjects.contains(&"during".to_owned()),
            "validator {i}: {subjects:?}"
        );
        let (code, v) = c.verify(i);
        assert_eq!(code, 0, "validator {i}: {v}");
    }
    c.kill(0);
}

#[test]
fn roles_set_at_init_are_written_in_its_one_transaction() {
    let env = TestEnv::new();
    generate_keys(&env, &["e1", "r1", "r2"]);
    let (e1, r1, r2) = (vkey(&env, "e1"), vkey(&env, "r1"), vkey(&env, "r2"));
    // A quorum of one is refused before anything is made, key file included.
    refused(
        env.run(&[
            "init",
            "--origin",
            crate::harness::ORIGIN,
            "--emergency-key",
            &e1,
            "--resume-key",
            &r1,
            "--resume-quorum",
            "2",
        ]),
        2,
        "2 <= k <= n",
    );
    assert!(!env.db().exists());
    assert!(!env.path("config/echoctl/keys").exists());
    let init = env
        .run(&[
            "--json",
            "init",
            "--origin",
            crate::harness::ORIGIN,
            "--emergency-key",
            &e1,
            "--resume-key",
            &r1,
            "--resume-key",
            &r2,
            "--resume-quorum",
            "2",
        ])
        .ok()
        .json();
    assert_eq!(
        init["checkpoint"]["size"], 2,
        "genesis and roles under the first checkpoint: {init}"
    );
    let st = env.run(&["--json", "emergency", "status"]).ok().json();
    assert_eq!(st["roles"]["emergency"][0], e1.as_str());
    halt(&env, "all", "from day one");
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn an_emergency_key_inside_the_hsm_halts_and_resume_keys_sign_offline() {
    let hsm = crate::harness::MockHsm::start();
    let env = TestEnv::new();
    let r = env
        .run_env(
            &[
                "--json",
                "key",
                "generate",
                "--name",
                "ops.example/e-hsm",
                "--hsm",
                &hsm.url,
                "--key-id",
                "9",
            ],
            &hsm.vars(),
        )
        .ok()
        .json();
    let e = r["verifier_key"].as_str().unwrap().to_owned();
    generate_keys(&env, &["r1", "r2"]);
    let (r1, r2) = (vkey(&env, "r1"), vkey(&env, "r2"));
    env.run(&[
        "init",
        "--origin",
        crate::harness::ORIGIN,
        "--emergency-key",
        &e,
        "--resume-key",
        &r1,
        "--resume-key",
        &r2,
        "--resume-quorum",
        "2",
    ])
    .ok();
    let h = env
        .run_env(
            &[
                "--json",
                "emergency",
                "halt",
                "--area",
                "court",
                "--reason",
                "hsm drill",
                "--as",
                "hsm:9",
            ],
            &hsm.vars(),
        )
        .first_id();
    let files = resume_signatures(&env, &h, &["r1", "r2"]);
    resume(&env, &h, &files).ok();
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn a_halt_appended_while_a_trade_runs_stops_its_next_leg_and_reports_what_is_held() {
    use echoctl::wealth::{exchange::snapshot::Snapshot, fees::FeeSchedule, scan, trade};
    use rust_decimal::Decimal;
    let env = with_roles();
    let bytes = crate::wealth::bundle(&[]);
    let snap = Snapshot::from_bytes(&bytes).unwrap();
    let now = snap.round(0).map(|b| b.fetched_at).max().unwrap();
    let p = scan::ScanParams {
        asset: "USDT".into(),
        capital: Decimal::from(10_000),
        max_position: Decimal::new(10, 2),
        min_profit_bps: Decimal::ZERO,
        max_legs: 3,
        max_age_ms: 10_000,
        max_skew_ms: 5_000,
        now,
        fees: FeeSchedule::default(),
        round: 0,
    };
    let opp = scan::scan(&snap, &p)
        .opportunities
        .into_iter()
        .next()
        .expect("the planted opportunity");
    let tp = trade::TradeParams {
        scan: p.clone(),
        size: None,
        latency_ms: 0,
        risk: trade::RiskLimits {
            max_position: p.max_position,
            stop_loss: Decimal::new(2, 2),
            daily_loss_limit: Decimal::from(200),
        },
        break_glass: None,
    };
    let kinds = echoctl::features::registry();
    let ledger_key = env.path(&format!(
        "config/echoctl/keys/{}.key",
        crate::harness::ORIGIN.replace('/', "_")
    ));
    let mut ledger = echoctl::ledger::Ledger::open(&Location::from(&env.db()), kinds.clone()).unwrap();
    let key = echoctl::sign::file::KeyFile::load(&ledger_key).unwrap();
    let signers = echoctl::sign::Signers::one(key);
    let clock = echoctl::clock::Clock {
        now,
        seed: Some([7; 32]),
    };
    // Another writer halts wealth just after the first order was placed.
    let mut orders = 0;
    let mut may_act = || {
        orders += 1;
        if orders == 2 {
            let mut other = echoctl::ledger::Ledger::open(&Location::from(&env.db()), kinds.clone()).unwrap();
            let e1 = echoctl::sign::file::KeyFile::load(&env.path("e1.key")).unwrap();
            let writer =
                echoctl::sign::Signers::one(echoctl::sign::file::KeyFile::load(&ledger_key).unwrap());
            echoctl::emergency::halt(
                &mut other,
                &writer,
                &clock,
                "ops",
                &e1,
                echoctl::emergency::Area::Wealth,
                "venue compromised",
            )
            .unwrap();
        }
        echoctl::emergency::check_not_halted(&ledger_view(&env), echoctl::emergency::Area::Wealth)
            .map_err(|e| e.to_string())
    };
    let o = trade::trade(
        &mut ledger,
        &signers,
        &clock,
        "paper",
        &snap,
        &opp,
        &tp,
        &mut may_act,
    )
    .unwrap();
    let (leg, why) = o
        .execution
        .failed_leg
        .clone()
        .expect("the second leg was stopped");
    assert_eq!(leg, 1, "{why}");
    assert!(why.contains("venue compromised"), "{why}");
    assert_eq!(
        o.execution.fills.len(),
        1,
        "one leg placed, no unwind placed during the halt"
    );
    assert!(
        !o.execution.residuals.is_empty(),
        "the position left is reported: {:?}",
        o.execution
    );
    // In the ledger: the decision before the halt, the fill and result after it.
    let log = env.run(&["--json", "ledger", "log"]).ok().json_lines();
    let kinds_events: Vec<(String, String)> = log
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["content"]["event"]
                    .as_str()
                    .or(e["content"]["action"].as_str())
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect();
    let at = |k: &str, ev: &str| kinds_events.iter().position(|x| x.0 == k && x.1 == ev).unwrap();
    assert!(at("trade", "decision") < at("emergency", "halt"));
    assert!(at("emergency", "halt") < at("trade", "result"));
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
}

fn ledger_view(env: &TestEnv) -> echoctl::ledger::Ledger {
    echoctl::ledger::Ledger::open(&Location::from(&env.db()), echoctl::features::registry()).unwrap()
}
