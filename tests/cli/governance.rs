//! Court cases and rulings, the treasury, constraints and the watchtower.

use crate::harness::{sqlite, Run, TestEnv};
use crate::reader::edition;
use serde_json::Value;

fn append(env: &TestEnv, kind: &str, content: &str) -> String {
    env.append_kind(kind, content).first_id()
}

/// Two observations that disagree about db1's region, and a third bystander.
pub(crate) fn conflict() -> (TestEnv, String, String, String) {
    let env = TestEnv::new();
    env.init();
    let a = append(
        &env,
        "observation",
        r#"{"key":"db1.region","value":"eu-west","text":"db1 runs in eu-west"}"#,
    );
    let b = append(
        &env,
        "observation",
        r#"{"key":"db1.region","value":"us-east","text":"db1 runs in us-east"}"#,
    );
    let c = append(&env, "observation", r#"{"text":"unrelated"}"#);
    (env, a, b, c)
}

pub(crate) fn open_case(env: &TestEnv, a: &str, b: &str) -> String {
    env.run(&[
        "--json",
        "court",
        "open",
        "--entry",
        a,
        "--entry",
        b,
        "--description",
        "region mismatch",
    ])
    .first_id()
}

#[test]
fn open_and_rule_round_trip() {
    let (env, a, b, _) = conflict();
    let case = open_case(&env, &a, &b);
    let listed = env.run(&["--json", "court", "list", "--open"]).ok().json_lines();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["entries"], serde_json::json!([a, b]));
    let shown = env.run(&["--json", "court", "show", &case]).ok().json();
    assert_eq!(shown["status"], "open");
    assert_eq!(shown["entries"][1]["effective_content"]["value"], "us-east");
    let r = env
        .run(&[
            "--json",
            "court",
            "rule",
            &case,
            "--decision",
            "db1 is in eu-west",
            "--reasoning",
            "the inventory",
            "--amend",
            &b,
            "--type",
            "correction",
            "--content",
            r#"{"key":"db1.region","value":"eu-west","text":"db1 runs in eu-west"}"#,
        ])
        .ok()
        .json();
    let written: Vec<&str> = r["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        written,
        vec!["ruling", "amendment"],
        "one transaction: the ruling and its amendment"
    );
    assert_eq!(
        r["checkpoint"]["size"],
        r["entries"][1]["seq"].as_u64().unwrap() + 1
    );
    let shown = env.run(&["--json", "court", "show", &case]).ok().json();
    assert_eq!(shown["status"], "closed");
    assert_eq!(shown["entries"][1]["effective_content"]["value"], "eu-west");
    assert_eq!(shown["ruling"]["content"]["decision"], "db1 is in eu-west");
    assert_eq!(
        env.run(&["--json", "court", "list", "--closed"])
            .ok()
            .json_lines()
            .len(),
        1
    );
    assert!(env
        .run(&["--json", "court", "list", "--open"])
        .ok()
        .stdout
        .is_empty());
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn court_refusals() {
    let (env, a, b, c) = conflict();
    let r = env
        .run(&[
            "court",
            "open",
            "--entry",
            &a,
            "--entry",
            "01KZZZZZZZZZZZZZZZZZZZZZZZ",
            "--description",
            "x",
        ])
        .code(2);
    assert!(r.stderr.contains("not found"), "{}", r.stderr);
    env.run(&[
        "court",
        "open",
        "--entry",
        &a,
        "--entry",
        &a,
        "--description",
        "x",
    ])
    .code(2);
    env.run(&[
        "court",
        "open",
        "--entry",
        &a,
        "--entry",
        &b,
        "--description",
        " ",
    ])
    .code(2);
    let case = open_case(&env, &a, &b);
    let rule = |extra: &[&str]| {
        let mut args = vec!["court", "rule", &case, "--decision", "d", "--reasoning", "r"];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let r = rule(&["--amend", &c, "--type", "withdrawal"]).code(2);
    assert!(r.stderr.contains("not part of case"), "{}", r.stderr);
    let r = rule(&["--type", "withdrawal", "--amend", &b]).code(2);
    assert!(r.stderr.contains("must follow"), "{}", r.stderr);
    rule(&["--amend", &b]).code(2);
    env.run(&["court", "rule", &a, "--decision", "d", "--reasoning", "r"])
        .code(2);
    rule(&["--amend", &b, "--type", "withdrawal"]).ok();
    let r = rule(&[]).code(2);
    assert!(r.stderr.contains("closed"), "{}", r.stderr);
    // Nothing refused was written.
    let kinds: Vec<String> = env
        .run(&["--json", "ledger", "log"])
        .ok()
        .json_lines()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "ruling").count(), 1);
    assert_eq!(kinds.iter().filter(|k| *k == "case").count(), 1);
    // Cases and rulings are not appended by hand.
    env.run(&[
        "ledger",
        "append",
        "--kind",
        "ruling",
        "--source",
        "s",
        "--content",
        "{}",
    ])
    .code(2);
}

#[test]
fn ruling_amendments_show_in_the_reader() {
    let (env, a, b, _) = conflict();
    let case = open_case(&env, &a, &b);
    let r = env
        .run(&[
            "--json",
            "court",
            "rule",
            &case,
            "--decision",
            "keep eu-west",
            "--reasoning",
            "inventory",
            "--amend",
            &b,
            "--type",
            "withdrawal",
        ])
        .ok()
        .json();
    let ruling = r["entries"][0]["id"].as_str().unwrap().to_owned();
    let amendment = r["entries"][1]["id"].as_str().unwrap().to_owned();
    let e = edition(&env, &[]);
    assert_eq!(e.rulings.len(), 1);
    assert_eq!(
        (
            e.rulings[0].id.as_str(),
            e.rulings[0].case.as_str(),
            e.rulings[0].decision.as_str()
        ),
        (ruling.as_str(), case.as_str(), "keep eu-west")
    );
    assert_eq!(e.rulings[0].reasoning, "inventory");
    let withdrawn = &e.withdrawn[0];
    assert_eq!(withdrawn.entry, b);
    assert_eq!(
        withdrawn.withdrawal.as_ref().unwrap().ruling.as_deref(),
        Some(ruling.as_str())
    );
    assert_eq!(withdrawn.rulings[0].id, ruling);
    assert_eq!(withdrawn.rulings[0].case, case);
    assert_eq!(withdrawn.rulings[0].decision, "keep eu-west");
    assert_eq!(withdrawn.trace, vec![b.clone(), amendment, ruling.clone()]);
    let titles: Vec<&str> = e.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        vec!["Observations"],
        "cases and rulings are not paragraphs"
    );
    let html = env.run(&["ledger", "reader", "--format", "html"]).ok().stdout;
    assert!(
        html.contains("<em>Ruled</em>")
            && html.contains(&format!("id=\"e-{ruling}\""))
            && html.contains(&format!("id=\"e-{case}\""))
    );
    let md = env.run(&["ledger", "reader"]).ok().stdout;
    assert!(
        md.contains(&format!(
            "*Ruled* by [{ruling}](#e-{ruling}) in case [{case}](#e-{case}): keep eu-west"
        )),
        "{md}"
    );
}

#[test]
fn verify_rejects_a_ruling_that_amends_outside_its_case() {
    let (env, a, b, c) = conflict();
    let case = open_case(&env, &a, &b);
    let r = env
        .run(&[
            "--json",
            "court",
            "rule",
            &case,
            "--decision",
            "d",
            "--reasoning",
            "r",
            "--amend",
            &b,
            "--type",
            "withdrawal",
        ])
        .ok()
        .json();
    let ruling = r["entries"][0]["id"].as_str().unwrap().to_owned();
    // Forge a further amendment that cites the ruling but targets the bystander.
    crate::harness::forge_after_last(&env, |forged| {
        forged.content.insert("target".into(), Value::String(c.clone()));
        forged.refs = vec![c.clone(), ruling];
    });
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["failure"]["reason"]
            .as_str()
            .unwrap()
            .contains("not part of its case"),
        "{v}"
    );
}

#[test]
fn treasury_roi_is_exact() {
    let env = TestEnv::new();
    env.init();
    let record = |task: &str, cost: &str, expected: &str| {
        env.run(&[
            "treasury",
            "record",
            "--task",
            task,
            "--cost",
            cost,
            "--risk",
            "medium",
            "--expected-value",
            expected,
            "--proof-burden",
            "invoice",
        ])
    };
    record("migrate", "100.10", "300.30").ok();
    record("audit", "3", "4").ok();
    env.run(&["treasury", "settle", "migrate", "--actual-value", "150.15"])
        .ok();
    let rows = env.run(&["--json", "treasury", "roi"]).ok().json();
    let m = &rows[0];
    assert_eq!(
        (
            m["cost"].as_str(),
            m["expected_value"].as_str(),
            m["actual_value"].as_str()
        ),
        (Some("100.10"), Some("300.30"), Some("150.15"))
    );
    assert_eq!(m["expected_roi"], "2", "(300.30 - 100.10) / 100.10, exactly");
    assert_eq!(m["roi"], "0.5", "(150.15 - 100.10) / 100.10, exactly");
    assert_eq!(
        rows[1]["expected_roi"], "0.333333",
        "rounded half-even to 6 places"
    );
    assert_eq!(rows[1]["roi"], Value::Null);
    let one = env.run(&["--json", "treasury", "roi", "audit"]).ok().json();
    assert_eq!(one.as_array().unwrap().len(), 1);
    // Refusals: duplicate, unknown, settled twice, not an amount, zero cost.
    record("migrate", "1", "1").code(2);
    env.run(&["treasury", "settle", "nope", "--actual-value", "1"])
        .code(2);
    env.run(&["treasury", "settle", "migrate", "--actual-value", "1"])
        .code(2);
    record("x", "1e3", "1").code(2);
    record("y", "0", "1").code(2);
    env.run(&["treasury", "roi", "nope"]).code(2);
    let table = env.run(&["treasury", "roi"]).ok().stdout;
    assert!(table.contains("0.333333"), "{table}");
}

#[test]
fn watchtower_finds_planted_contradictions_and_violations_once() {
    let env = TestEnv::new();
    env.init();
    append(&env, "observation", r#"{"text":"steady"}"#);
    let clean = env.run(&["--json", "watchtower", "scan"]).ok().json();
    assert_eq!(
        clean["findings"],
        serde_json::json!([]),
        "silent on a clean ledger"
    );
    assert_eq!(clean["recorded"], Value::Null);

    let rule = append(
        &env,
        "constraint",
        r#"{"text":"disks stay below 90%","rule":{"key":"disk.pct","op":"<","value":90}}"#,
    );
    let ok = append(&env, "outcome", r#"{"disk":{"pct":42}}"#);
    let bad = append(&env, "outcome", r#"{"disk":{"pct":93}}"#);
    let a = append(&env, "observation", r#"{"key":"db1.region","value":"eu-west"}"#);
    let b = append(&env, "observation", r#"{"key":"db1.region","value":"us-east"}"#);
    append(&env, "observation", r#"{"key":"db1.region","value":"eu-west"}"#);
    let r = env.run(&["--json", "watchtower", "scan"]).code(1);
    let v = r.json();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{v}");
    let contradiction = findings.iter().find(|f| f["finding"] == "contradiction").unwrap();
    assert_eq!(contradiction["entries"], serde_json::json!([a, b]));
    assert_eq!(contradiction["severity"], "medium");
    let violation = findings
        .iter()
        .find(|f| f["finding"] == "constraint_violation")
        .unwrap();
    assert_eq!(violation["entries"], serde_json::json!([rule, bad]));
    assert!(!violation["entries"]
        .as_array()
        .unwrap()
        .contains(&Value::String(ok)));
    assert_eq!(violation["severity"], "high");
    assert_eq!(v["recorded"], 2);
    // --fail-on above the worst finding passes; findings are recorded once.
    let again = env
        .run(&["--json", "watchtower", "scan", "--fail-on", "critical"])
        .ok()
        .json();
    assert_eq!(again["recorded"], Value::Null);
    assert!(again["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["new"] == false));
    // Cases are opened once per finding.
    let opened = env
        .run(&[
            "--json",
            "watchtower",
            "scan",
            "--open-cases",
            "--fail-on",
            "critical",
        ])
        .ok()
        .json();
    assert_eq!(opened["cases_opened"], 2);
    let opened = env
        .run(&[
            "--json",
            "watchtower",
            "scan",
            "--open-cases",
            "--fail-on",
            "critical",
        ])
        .ok()
        .json();
    assert_eq!(opened["cases_opened"], 0, "the same case is not opened twice");
    assert_eq!(env.run(&["--json", "court", "list"]).ok().json_lines().len(), 2);
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
    // A malformed rule is refused when appended.
    env.run(&[
        "ledger",
        "append",
        "--kind",
        "constraint",
        "--source",
        "s",
        "--content",
        r#"{"rule":{"key":"x","op":"~","value":1}}"#,
    ])
    .code(2);
}

#[test]
fn temporal_constraints_apply_only_inside_their_window() {
    let env = TestEnv::new();
    env.init();
    let at = |ts: &str, args: &[&str]| -> Run {
        let mut c = env.command(args);
        c.env("ECHOCTL_TIMESTAMP", ts);
        c.output().unwrap().into()
    };
    let rule = r#"{"text":"freeze","rule":{"key":"deploys","op":"==","value":0,"from":"2026-12-20T00:00:00Z","until":"2027-01-02T00:00:00Z"},"severity":"critical"}"#;
    at(
        "2026-12-01T00:00:00Z",
        &[
            "ledger",
            "append",
            "--kind",
            "constraint",
            "--source",
            "s",
            "--content",
            rule,
        ],
    )
    .ok();
    at(
        "2026-12-19T23:59:59Z",
        &[
            "ledger",
            "append",
            "--kind",
            "outcome",
            "--source",
            "s",
            "--content",
            r#"{"deploys":3}"#,
        ],
    )
    .ok();
    at(
        "2027-01-02T00:00:00Z",
        &[
            "ledger",
            "append",
            "--kind",
            "outcome",
            "--source",
            "s",
            "--content",
            r#"{"deploys":1}"#,
        ],
    )
    .ok();
    let v = env.run(&["--json", "watchtower", "scan"]).ok().json();
    assert_eq!(
        v["findings"],
        serde_json::json!([]),
        "outside the window nothing is violated"
    );
    let inside = at(
        "2026-12-24T12:00:00Z",
        &[
            "--json",
            "ledger",
            "append",
            "--kind",
            "outcome",
            "--source",
            "s",
            "--content",
            r#"{"deploys":2}"#,
        ],
    )
    .ok();
    let inside = inside.json()["entries"][0]["id"].as_str().unwrap().to_owned();
    let v = env.run(&["--json", "watchtower", "scan"]).code(1).json();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["severity"], "critical");
    assert_eq!(findings[0]["entries"][1], inside.as_str());
}

#[test]
fn watchtower_reports_tampering_and_writes_nothing() {
    let (env, _, _, _) = conflict();
    let before: i64 = sqlite(&env.db())
        .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
        .unwrap();
    let conn = sqlite(&env.db());
    conn.execute_batch("DROP TRIGGER entries_no_update").unwrap();
    conn.execute("UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), 'unrelated', 'UNRELATED') AS BLOB) WHERE seq = 3", []).unwrap();
    drop(conn);
    let v = env
        .run(&["--json", "watchtower", "scan", "--open-cases"])
        .code(1)
        .json();
    assert_eq!(v["findings"][0]["event"], "integrity_violation");
    assert_eq!(v["findings"][0]["severity"], "critical");
    let after: i64 = sqlite(&env.db())
        .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before, after, "nothing appended to a tampered ledger");
}
