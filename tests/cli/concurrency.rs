//! Two writers at once, and a writer killed in the middle of a batch.

use crate::harness::TestEnv;
use std::io::Write;
use std::process::Stdio;

fn batch(n: usize, tag: &str) -> String {
    (0..n)
        .map(|i| format!("{{\"kind\":\"test\",\"content\":{{\"writer\":\"{tag}\",\"i\":{i}}}}}\n"))
        .collect()
}

#[test]
fn two_processes_append_at_once() {
    let env = TestEnv::new();
    env.init();
    std::fs::write(env.path("a.jsonl"), batch(3000, "a")).unwrap();
    std::fs::write(env.path("b.jsonl"), batch(3000, "b")).unwrap();
    let mut children: Vec<_> = ["a.jsonl", "b.jsonl", "a.jsonl", "b.jsonl"]
        .iter()
        .map(|f| {
            env.command(&["ledger", "append", "--batch", f, "--source", "writer"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let singles: Vec<_> = (0..4)
        .map(|i| {
            env.command(&[
                "ledger",
                "append",
                "--kind",
                "test",
                "--source",
                "single",
                "--content",
                &format!("{{\"n\":{i}}}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    children.extend(singles);
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entries"], 1 + 4 * 3000 + 4);
    assert_eq!(v["checkpoints"], 1 + 8);
    // Each batch is contiguous: transactions are serialised, never interleaved.
    let log = env
        .run(&["--json", "ledger", "log", "--kind", "test"])
        .ok()
        .json_lines();
    let starts: Vec<usize> = (0..log.len()).filter(|&p| log[p]["content"]["i"] == 0).collect();
    assert_eq!(starts.len(), 4);
    for p in starts {
        let writer = &log[p]["content"]["writer"];
        for i in 0..3000 {
            assert_eq!(&log[p + i]["content"]["writer"], writer);
            assert_eq!(log[p + i]["content"]["i"], i);
        }
    }
}

#[test]
fn sigkill_in_the_middle_of_a_batch_leaves_the_previous_state() {
    let env = TestEnv::new();
    env.init();
    env.append(r#"{"text":"before"}"#);
    let before = env.run(&["ledger", "checkpoint"]).ok().stdout;
    let mut child = env
        .command(&["ledger", "append", "--batch", "-", "--source", "killed"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Feed half a large batch and keep the pipe open: the writer is inside its
    // transaction, waiting for more lines, when it is killed.
    stdin.write_all(batch(50_000, "k").as_bytes()).unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entries"], 2, "nothing of the killed batch remains");
    assert_eq!(env.run(&["ledger", "checkpoint"]).ok().stdout, before);
    env.append(r#"{"text":"after"}"#);
    let (code, v) = env.verify_json(&[]);
    assert_eq!((code, v["entries"].as_u64()), (0, Some(3)));
}
