//! docs/audit.py, written from docs/FORMAT.md alone, agrees with `echoctl ledger verify`:
//! evidence that the format document is complete. Skips when python3 is missing.

use crate::harness::{sqlite, TestEnv};
use std::path::Path;
use std::process::Command;

pub(crate) fn audit(env: &TestEnv, extra: &[&str]) -> Option<(i32, String)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/audit.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(env.db())
        .args(extra)
        .output()
        .ok()?;
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

#[test]
fn the_python_auditor_agrees_with_verify() {
    let env = TestEnv::new();
    let vkey = env.init();
    let a = env.append(r#"{"text":"héllo \"quoted\"\n","n":-3,"x":0.5,"big":1e21,"list":[true,null]}"#)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = env.append(r#"{"text":"b"}"#)["id"].as_str().unwrap().to_owned();
    env.run(&[
        "ledger",
        "amend",
        &a,
        "--type",
        "clarification",
        "--reason",
        "ctx",
        "--content",
        r#"{"text":"c"}"#,
    ])
    .ok();
    env.run(&[
        "ledger",
        "amend",
        &a,
        "--type",
        "supersession",
        "--reason",
        "r",
        "--superseded-by",
        &b,
    ])
    .ok();
    // A court case and a ruling that withdraws one of its entries.
    let c = env.append(r#"{"text":"c"}"#)["id"].as_str().unwrap().to_owned();
    let d = env.append(r#"{"text":"d"}"#)["id"].as_str().unwrap().to_owned();
    let case = env
        .run(&[
            "--json",
            "court",
            "open",
            "--entry",
            &c,
            "--entry",
            &d,
            "--description",
            "c or d",
        ])
        .ok()
        .json()["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    env.run(&[
        "court",
        "rule",
        &case,
        "--decision",
        "d",
        "--reasoning",
        "r",
        "--amend",
        &d,
        "--type",
        "withdrawal",
    ])
    .ok();
    let batch: String = (0..40)
        .map(|i| format!("{{\"kind\":\"test\",\"content\":{{\"i\":{i}}},\"refs\":[\"{b}\"]}}\n"))
        .collect();
    env.run_stdin(&["ledger", "append", "--batch", "-", "--source", "ci"], &batch)
        .ok();
    let Some((code, out)) = audit(&env, &["--trust-key", &vkey]) else {
        eprintln!("skipped: python3 is not available");
        return;
    };
    assert_eq!(code, 0, "{out}");
    let (_, v) = env.verify_json(&[]);
    assert!(
        out.contains(&format!(
            "valid: 50 entries, root {}",
            v["root"].as_str().unwrap()
        )),
        "{out}"
    );

    let conn = sqlite(&env.db());
    conn.execute_batch("DROP TRIGGER entries_no_update").unwrap();
    conn.execute(
        "UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), '\"b\"', '\"B\"') AS BLOB) WHERE seq = 2",
        [],
    )
    .unwrap();
    drop(conn);
    let (code, out) = audit(&env, &["--trust-key", &vkey]).unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("INVALID at seq 2"), "{out}");
    let (code, v) = env.verify_json(&[]);
    assert_eq!((code, v["failure"]["seq"].as_u64()), (1, Some(2)));
}
