//! The Reader Edition: amendments applied, trace links, history, determinism, refusal of
//! a tampered ledger, and the three formats.

use crate::harness::{sqlite, TestEnv};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

/// The documented JSON structure (docs/FORMAT.md, "Reader Edition").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Edition {
    pub version: u32,
    pub format: String,
    pub verified: bool,
    pub problem: Option<String>,
    pub origin: String,
    pub keys: Vec<String>,
    pub compiled_at: String,
    pub source: Source,
    pub kinds: Vec<String>,
    pub sections: Vec<Section>,
    pub withdrawn: Vec<Paragraph>,
    pub rulings: Vec<Ruling>,
    pub trace_map: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ruling {
    pub id: String,
    pub case: String,
    pub decision: String,
    pub reasoning: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParagraphRuling {
    pub id: String,
    pub case: String,
    pub decision: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Source {
    pub size: u64,
    pub root: String,
    pub signature_verified: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub paragraphs: Vec<Paragraph>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paragraph {
    pub id: String,
    pub entry: String,
    pub leaf: String,
    pub kind: String,
    pub ts: String,
    pub source: String,
    pub text: Option<String>,
    pub fields: BTreeMap<String, String>,
    pub supersedes: Vec<Superseded>,
    pub corrections: Vec<Amend>,
    pub clarifications: Vec<Amend>,
    pub withdrawal: Option<Amend>,
    pub rulings: Vec<ParagraphRuling>,
    pub trace: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Superseded {
    pub entry: String,
    pub leaf: String,
    pub amendment: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amend {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub reason: String,
    pub text: Option<String>,
    pub fields: BTreeMap<String, String>,
    pub ruling: Option<String>,
}

struct Fixture {
    env: TestEnv,
    /// entry ids by name
    ids: BTreeMap<&'static str, String>,
    amendments: BTreeMap<&'static str, String>,
}

/// A ledger with every amendment type.
fn fixture() -> Fixture {
    let env = TestEnv::new();
    env.init();
    let mut ids = BTreeMap::new();
    let mut amendments = BTreeMap::new();
    let add = |kind: &str, content: &str| env.append_kind(kind, content).first_id();
    ids.insert(
        "rule",
        add("constraint", r#"{"text":"disks stay below 90%","limit":90}"#),
    );
    ids.insert(
        "disk",
        add("observation", r#"{"text":"db1 disk at 93%","host":"db1"}"#),
    );
    ids.insert("old", add("decision", r#"{"claim":"add a disk to db1"}"#));
    ids.insert(
        "new",
        add("decision", r#"{"claim":"move db1 to a bigger volume"}"#),
    );
    ids.insert(
        "noise",
        add(
            "observation",
            r#"{"summary":"alarm flapped","section":"Incidents"}"#,
        ),
    );
    ids.insert("cpu", add("observation", r#"{"text":"db2 cpu at 40%"}"#));
    let amend = |target: &str, args: &[&str]| {
        let mut v = vec!["--json", "ledger", "amend", target];
        v.extend_from_slice(args);
        crate::harness::Run::first_id(env.run(&v))
    };
    amendments.insert(
        "correction",
        amend(
            &ids["disk"],
            &[
                "--type",
                "correction",
                "--reason",
                "misread",
                "--content",
                r#"{"text":"db1 disk at 39%","host":"db1"}"#,
            ],
        ),
    );
    amendments.insert(
        "clarification",
        amend(
            &ids["rule"],
            &[
                "--type",
                "clarification",
                "--reason",
                "scope",
                "--content",
                r#"{"text":"applies to data volumes only"}"#,
            ],
        ),
    );
    amendments.insert(
        "supersession",
        amend(
            &ids["old"],
            &[
                "--type",
                "supersession",
                "--reason",
                "better plan",
                "--superseded-by",
                &ids["new"],
            ],
        ),
    );
    amendments.insert(
        "withdrawal",
        amend(&ids["cpu"], &["--type", "withdrawal", "--reason", "wrong host"]),
    );
    Fixture { env, ids, amendments }
}

pub fn edition(env: &TestEnv, extra: &[&str]) -> Edition {
    let mut args = vec!["ledger", "reader", "--format", "json"];
    args.extend_from_slice(extra);
    let r = env.run(&args).ok();
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn paragraph<'a>(e: &'a Edition, entry: &str) -> Option<&'a Paragraph> {
    e.sections
        .iter()
        .flat_map(|s| &s.paragraphs)
        .find(|p| p.entry == entry)
}

#[test]
fn reader_compilation_includes_amendments() {
    let f = fixture();
    let e = edition(&f.env, &[]);
    assert!(e.verified && e.problem.is_none() && e.source.signature_verified);
    assert_eq!((e.version, e.format.as_str()), (1, "echoctl-reader/v1"));
    // Correction: the content is replaced.
    let disk = paragraph(&e, &f.ids["disk"]).expect("disk paragraph");
    assert_eq!(disk.text.as_deref(), Some("db1 disk at 39%"));
    assert_eq!(disk.corrections[0].id, f.amendments["correction"]);
    // Clarification: added, marked.
    let rule = paragraph(&e, &f.ids["rule"]).unwrap();
    assert_eq!(rule.text.as_deref(), Some("disks stay below 90%"));
    assert_eq!(rule.fields["limit"], "90");
    assert_eq!(rule.clarifications[0].kind, "clarification");
    assert_eq!(
        rule.clarifications[0].text.as_deref(),
        Some("applies to data volumes only")
    );
    // Supersession: the replacement stands in the superseded entry's place, once.
    assert!(paragraph(&e, &f.ids["old"]).is_none());
    let decisions = e.sections.iter().find(|s| s.title == "Decisions").unwrap();
    assert_eq!(decisions.paragraphs.len(), 1);
    let new = &decisions.paragraphs[0];
    assert_eq!(new.entry, f.ids["new"]);
    assert_eq!(
        new.id,
        format!("p-{}", f.ids["old"]),
        "named after the first entry of its chain"
    );
    assert_eq!(new.supersedes[0].entry, f.ids["old"]);
    assert_eq!(new.supersedes[0].amendment, f.amendments["supersession"]);
    assert_eq!(new.text.as_deref(), Some("move db1 to a bigger volume"));
    // Withdrawal: moved to the appendix.
    assert!(paragraph(&e, &f.ids["cpu"]).is_none());
    assert_eq!(e.withdrawn.len(), 1);
    assert_eq!(
        e.withdrawn[0].withdrawal.as_ref().unwrap().id,
        f.amendments["withdrawal"]
    );
    // Sections: named sections first, then kinds in the documented order.
    assert_eq!(e.origin, crate::harness::ORIGIN);
    assert_eq!(e.keys.len(), 1);
    assert!(e.keys[0].starts_with(crate::harness::ORIGIN));
    assert_eq!(
        e.compiled_at, "2026-11-22T12:00:00.000Z",
        "the time of the newest entry, not of compiling"
    );
    assert_eq!(decisions.id, "s-kind-decision");
    assert_eq!(
        (new.kind.as_str(), new.ts.as_str(), new.source.as_str()),
        ("decision", "2026-11-22T12:00:00.000Z", "test")
    );
    assert_eq!(new.supersedes[0].reason, "better plan");
    assert_eq!(disk.corrections[0].reason, "misread");
    assert_eq!(disk.corrections[0].fields["host"], "db1");
    let titles: Vec<&str> = e.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        vec!["Incidents", "Constraints", "Decisions", "Observations"]
    );
    let incidents = &e.sections[0].paragraphs[0];
    assert_eq!(
        incidents.text.as_deref(),
        Some("alarm flapped"),
        "summary renders as prose"
    );
    assert!(!incidents.fields.contains_key("section"));
}

#[test]
fn reader_compilation_maintains_trace_links() {
    let f = fixture();
    let e = edition(&f.env, &[]);
    let log = f.env.run(&["--json", "ledger", "log"]).ok().json_lines();
    let leaf_of = |id: &str| {
        log.iter().find(|x| x["id"] == id).unwrap()["leaf"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let disk = paragraph(&e, &f.ids["disk"]).unwrap();
    assert_eq!(
        disk.trace,
        vec![f.ids["disk"].clone(), f.amendments["correction"].clone()]
    );
    assert_eq!(
        disk.leaf,
        leaf_of(&f.ids["disk"]),
        "the trace carries the original's leaf hash"
    );
    let new = paragraph(&e, &f.ids["new"]).unwrap();
    assert_eq!(
        new.trace,
        vec![
            f.ids["old"].clone(),
            f.amendments["supersession"].clone(),
            f.ids["new"].clone()
        ]
    );
    assert_eq!(new.supersedes[0].leaf, leaf_of(&f.ids["old"]));
    // The trace map covers every paragraph, withdrawn ones included, and names only
    // entries that exist.
    let all: Vec<&Paragraph> = e
        .sections
        .iter()
        .flat_map(|s| &s.paragraphs)
        .chain(&e.withdrawn)
        .collect();
    assert_eq!(e.trace_map.len(), all.len());
    let known: HashSet<&str> = log.iter().map(|x| x["id"].as_str().unwrap()).collect();
    for p in all {
        assert_eq!(e.trace_map[&p.id], p.trace);
        assert!(p.trace.iter().all(|id| known.contains(id.as_str())));
    }
}

#[test]
fn html_has_an_anchor_for_every_trace_link() {
    let f = fixture();
    let html = f.env.run(&["ledger", "reader", "--format", "html"]).ok().stdout;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("src=") && !html.contains("<link"),
        "self-contained: no external assets"
    );
    let hrefs: Vec<&str> = html
        .split("href=\"#")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    let ids: HashSet<&str> = html
        .split(" id=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert!(hrefs.len() > 10);
    for h in &hrefs {
        assert!(ids.contains(h), "link #{h} has no anchor");
    }
    for id in f.ids.values().chain(f.amendments.values()) {
        assert!(
            ids.contains(format!("e-{id}").as_str()),
            "entry {id} has an anchor"
        );
    }
    // The markdown edition carries the same anchors.
    let md = f.env.run(&["ledger", "reader"]).ok().stdout;
    for h in hrefs {
        assert!(
            md.contains(&format!("<a id=\"{h}\"></a>")) || h.starts_with("s-"),
            "markdown anchor {h}"
        );
    }
    assert!(md.contains("**Clarification**") && md.contains("## Withdrawn"));
}

#[test]
fn at_compiles_history() {
    let f = fixture();
    // Size 3 = genesis + rule + disk, before any amendment.
    let e = edition(&f.env, &["--at", "3"]);
    assert_eq!(e.source.size, 3);
    let disk = paragraph(&e, &f.ids["disk"]).unwrap();
    assert_eq!(
        disk.text.as_deref(),
        Some("db1 disk at 93%"),
        "the correction came later"
    );
    assert!(paragraph(&e, &f.ids["cpu"]).is_none(), "not yet written");
    let now = edition(&f.env, &[]);
    assert_ne!(e.source.root, now.source.root);
    let r = f.env.run(&["ledger", "reader", "--at", "999"]).code(2);
    assert!(r.stderr.contains("no checkpoint of size 999"), "{}", r.stderr);
}

#[test]
fn editions_are_deterministic() {
    let f = fixture();
    for format in ["md", "html", "json"] {
        let a = f.env.run(&["ledger", "reader", "--format", format]).ok().stdout;
        let b = f
            .env
            .command(&["ledger", "reader", "--format", format])
            .env("ECHOCTL_TIMESTAMP", "2031-01-01T00:00:00Z")
            .output()
            .unwrap();
        assert_eq!(
            a.as_bytes(),
            b.stdout.as_slice(),
            "{format}: byte-identical, whatever the time of compiling"
        );
    }
}

#[test]
fn kind_filter_and_out_file() {
    let f = fixture();
    let e = edition(&f.env, &["--kind", "decision"]);
    assert_eq!(e.kinds, vec!["decision"]);
    assert_eq!(e.sections.len(), 1);
    assert!(e.withdrawn.is_empty());
    assert!(e.rulings.is_empty(), "no court here");
    f.env.run(&["ledger", "reader", "--kind", "rumour"]).code(2);
    let r = f
        .env
        .run(&[
            "--json",
            "ledger",
            "reader",
            "--format",
            "html",
            "--out",
            "edition.html",
        ])
        .ok();
    let summary = r.json();
    assert_eq!(summary["verified"], true);
    assert_eq!(
        summary["paragraphs"], 5,
        "old and new decision share one paragraph"
    );
    let written = std::fs::read_to_string(f.env.path("edition.html")).unwrap();
    assert_eq!(
        written,
        f.env.run(&["ledger", "reader", "--format", "html"]).ok().stdout
    );
}

#[test]
fn a_tampered_ledger_is_refused_unless_forced() {
    let f = fixture();
    let conn = sqlite(&f.env.db());
    conn.execute_batch("DROP TRIGGER entries_no_update").unwrap();
    conn.execute(
        "UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), 'at 93%', 'at 13%') AS BLOB) WHERE id = ?1",
        [&f.ids["disk"]],
    )
    .unwrap();
    drop(conn);
    let r = f.env.run(&["ledger", "reader"]).code(1);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("fails verification"), "{}", r.stderr);
    let forced = f.env.run(&["ledger", "reader", "--force"]).ok();
    assert!(
        forced
            .stdout
            .lines()
            .next()
            .unwrap()
            .starts_with("**UNVERIFIED EDITION**"),
        "{}",
        forced.stdout
    );
    let html = f
        .env
        .run(&["ledger", "reader", "--force", "--format", "html"])
        .ok()
        .stdout;
    assert!(html
        .lines()
        .next()
        .unwrap()
        .starts_with("<!-- UNVERIFIED EDITION"));
    let e = edition(&f.env, &["--force"]);
    assert!(!e.verified && e.problem.is_some());
}

/// The amendment and id indexes only tell pass B where to look: an index that points
/// elsewhere must fail the edition, not silently drop an amendment from it.
#[test]
fn a_misleading_amendment_or_id_index_is_refused() {
    let seq_of = |conn: &rusqlite::Connection, id: &str| -> u64 {
        conn.query_row("SELECT seq FROM entries WHERE id = ?1", [id], |r| r.get(0))
            .unwrap()
    };
    // The correction's index row names the wrong target.
    let f = fixture();
    let conn = sqlite(&f.env.db());
    let correction = seq_of(&conn, &f.amendments["correction"]);
    let cpu = seq_of(&conn, &f.ids["cpu"]);
    conn.execute_batch("DROP TRIGGER amendments_no_update").unwrap();
    let changed = conn
        .execute(
            "UPDATE amendments SET target_seq = ?1 WHERE seq = ?2",
            [cpu, correction],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let r = f.env.run(&["ledger", "reader"]).code(1);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr
            .contains(&format!("amendment {correction}: its target is not found")),
        "{}",
        r.stderr
    );
    let e = edition(&f.env, &["--force"]);
    assert!(!e.verified && e.problem.is_some());
    // `ledger verify` agrees that the file is not sound.
    f.env.run(&["ledger", "verify"]).code(1);

    // A second index row for the correction would apply it twice.
    let f = fixture();
    let conn = sqlite(&f.env.db());
    let correction = seq_of(&conn, &f.amendments["correction"]);
    let cpu = seq_of(&conn, &f.ids["cpu"]);
    conn.execute(
        "INSERT INTO amendments (target_seq, seq) VALUES (?1, ?2)",
        [cpu, correction],
    )
    .unwrap();
    drop(conn);
    let r = f.env.run(&["ledger", "reader"]).code(1);
    assert!(
        r.stderr.contains(&format!(
            "the amendment index lists amendment {correction} more than once"
        )),
        "{}",
        r.stderr
    );
    let e = edition(&f.env, &["--force"]);
    let disk = paragraph(&e, &f.ids["disk"]).unwrap();
    assert_eq!(disk.corrections.len(), 1, "applied once even when forced");

    // The id index sends the lookup of the supersession's replacement elsewhere.
    let f = fixture();
    let conn = sqlite(&f.env.db());
    let supersession = seq_of(&conn, &f.amendments["supersession"]);
    conn.execute_batch("DROP TRIGGER entries_no_update").unwrap();
    conn.execute(
        "UPDATE entries SET id = '01ARZ3NDEKTSV4RRFFQ69G5FAV' WHERE id = ?1",
        [&f.ids["new"]],
    )
    .unwrap();
    drop(conn);
    let r = f.env.run(&["ledger", "reader"]).code(1);
    assert!(
        r.stderr
            .contains(&format!("amendment {supersession}: its replacement is not found")),
        "{}",
        r.stderr
    );
}

/// `--kind` keeps a supersession chain when its first entry's kind is chosen, whatever
/// the kind of the entry that replaced it; the edition stays verified either way.
#[test]
fn kind_filter_follows_the_first_entry_of_a_chain() {
    let env = TestEnv::new();
    env.init();
    let seen = env
        .append_kind("observation", r#"{"text":"db1 disk at 93%"}"#)
        .first_id();
    let plan = env
        .append_kind("decision", r#"{"claim":"move db1 to a bigger volume"}"#)
        .first_id();
    env.run(&[
        "ledger",
        "amend",
        &seen,
        "--type",
        "supersession",
        "--reason",
        "acted on",
        "--superseded-by",
        &plan,
    ])
    .ok();
    let observations = edition(&env, &["--kind", "observation"]);
    assert!(observations.verified, "{:?}", observations.problem);
    let p = paragraph(&observations, &plan).expect("the decision stands in the observation's place");
    assert_eq!(p.id, format!("p-{seen}"));
    assert_eq!(p.supersedes[0].entry, seen);
    assert_eq!(observations.sections.len(), 1);
    assert_eq!(observations.sections[0].id, "s-kind-observation");

    let decisions = edition(&env, &["--kind", "decision"]);
    assert!(decisions.verified, "{:?}", decisions.problem);
    assert!(paragraph(&decisions, &plan).is_none());
    assert!(decisions.sections.is_empty());
}
