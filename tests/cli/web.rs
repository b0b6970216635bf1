//! The web view of `echoctl serve`: plain HTML pages read over HTTP (links, history,
//! search, escaping), then walked in a real headless Chromium with JavaScript off when
//! `scripts/install-browser.sh` has installed it (else the browser part says it skipped).

use crate::harness::TestEnv;
use crate::serve::Served;
use std::path::Path;

fn page(url: &str) -> (u16, String) {
    let r = reqwest::blocking::get(url).unwrap();
    let status = r.status().as_u16();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    (status, r.text().unwrap())
}

/// A ledger with an observation, its correction, and an entry that refers to it.
fn ledger() -> (TestEnv, String, String) {
    let env = TestEnv::new();
    env.init();
    let id = env
        .append_kind("observation", r#"{"text":"disk <b>93%</b> full"}"#)
        .ok()
        .json()["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let amend = env
        .run(&[
            "--json",
            "ledger",
            "amend",
            &id,
            "--type",
            "correction",
            "--reason",
            "wrong volume",
            "--content",
            r#"{"text":"disk 39% full"}"#,
        ])
        .ok()
        .json()["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    env.run(&[
        "ledger",
        "append",
        "--kind",
        "decision",
        "--source",
        "disk-oncall",
        "--content",
        r#"{"text":"grow the volume"}"#,
        "--ref",
        &id,
    ])
    .ok();
    (env, id, amend)
}

#[test]
fn the_web_view_links_an_entry_to_its_amendments_history_receipt_and_search_without_javascript() {
    let (env, id, amend) = ledger();
    let server = Served::start(&env);
    let u = &server.url;
    let (status, home) = page(&format!("{u}/"));
    assert_eq!(status, 200);
    assert!(home.contains(&format!("href=\"/view/{id}\"")), "{home}");
    assert!(!home.contains("<script"), "no JavaScript");

    let (_, entry) = page(&format!("{u}/view/{id}"));
    assert!(entry.contains("class=\"status-active\">active"), "{entry}");
    assert!(entry.contains("disk 39% full"), "the corrected content: {entry}");
    assert!(
        entry.contains("disk &lt;b&gt;93%&lt;/b&gt; full"),
        "the original, escaped: {entry}"
    );
    assert!(entry.contains(&format!("href=\"/view/{amend}\"")));
    assert!(entry.contains(&format!("href=\"/entries/{id}/proof\"")));
    assert!(entry.contains(&format!("href=\"/reader#e-{id}\"")));
    // History: before its correction (seq 2), the entry shows what was first written.
    let (_, before) = page(&format!("{u}/view/{id}?at=2"));
    assert!(
        before.contains("disk &lt;b&gt;93%&lt;/b&gt; full") && !before.contains("39%"),
        "{before}"
    );
    assert!(before.contains("<p>None.</p>"), "{before}");
    let (status, _) = page(&format!("{u}/view/{amend}?at=2"));
    assert_eq!(status, 404, "written after size 2");
    assert_eq!(page(&format!("{u}/view/{id}?at=x")).0, 400);
    assert_eq!(page(&format!("{u}/view/nothing")).0, 404);

    let (_, found) = page(&format!("{u}/search?kind=decision&source=oncall"));
    assert_eq!(found.matches("<tr><td>").count(), 1, "{found}");
    assert!(found.contains("grow") || found.contains("decision"), "{found}");
    let (_, none) = page(&format!("{u}/search?kind=observation&source=oncall"));
    assert!(none.contains("No entries match."), "{none}");
    let (status, odd) = page(&format!("{u}/search?kind=%00%3Cb%3E"));
    assert_eq!(status, 200);
    assert!(
        odd.contains("No entries match.") && odd.contains("&lt;b&gt;"),
        "{odd}"
    );

    let (status, edition) = page(&format!("{u}/reader"));
    assert_eq!(status, 200);
    assert!(edition.contains(&format!("id=\"e-{id}\"")), "{edition}");
    let (status, old) = page(&format!("{u}/reader?at=2"));
    assert_eq!(status, 200);
    assert!(old.contains("93%") && !old.contains("39%"), "{old}");
    // The kept edition is served again as it is, and not once the ledger has grown.
    assert_eq!(page(&format!("{u}/reader")).1, edition);
    let later = env
        .append_kind("observation", r#"{"text":"written later"}"#)
        .ok()
        .json()["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, again) = page(&format!("{u}/reader"));
    assert!(
        again.contains(&format!("id=\"e-{later}\"")),
        "the new entry is in the edition"
    );
    assert_eq!(page(&format!("{u}/reader?at=99")).0, 404);
    assert_eq!(page(&format!("{u}/reader?kind=genesis")).0, 400);

    browser(u, &id);
}

/// The same walk in headless Chromium through playwright-core (tests/browser/).
fn browser(url: &str, id: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/browser/webview.mjs");
    let driver = root.join("tests/browser/node_modules/playwright-core");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !driver.exists() || !Path::new(&chromium).exists() {
        println!(
            "skipped: the browser walk (run scripts/install-browser.sh for chromium and playwright-core)"
        );
        return;
    }
    // Kept after the test, for a person to look at.
    let shot = root.join("target/webview-entry.png");
    let out = std::process::Command::new("node")
        .arg(&script)
        .args([url, id])
        .arg(&shot)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(seen["entry"].as_str().unwrap().contains(id), "{seen}");
    assert_eq!(seen["status"], "active");
    assert!(
        seen["amendment_page"].as_str().unwrap().starts_with("amendment"),
        "{seen}"
    );
    assert_eq!(seen["before"], "active");
    assert_eq!(seen["receipt"], true);
    assert_eq!(seen["search_url"], "?kind=decision&source=oncall");
    assert_eq!(seen["search_rows"], 1, "{seen}");
    assert_eq!(seen["reader_anchor"], true);
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 1000,
        "a screenshot was saved"
    );
    println!("browser walk: {seen}");
}
