//! A ledger in PostgreSQL: the same commands give the same bytes as on SQLite; bad
//! locations and foreign databases are refused with hints; a superuser's edits in SQL are
//! found by verify; a writer role may append and nothing else; TLS as libpq's sslmode says.
//! Each test has a database of its own on `ECHOCTL_TEST_POSTGRES` (skipped without it).

use crate::harness::{Run, TestEnv, ORIGIN};
use crate::pg_support::{server, PgDb, PgEnv};

/// One ledger, driven by `run(args, stdin)`.
type Runner<'a> = dyn Fn(&[&str], Option<&str>) -> Run + 'a;

/// The script both engines run: every kind of write the CLI makes. Returns what it saw of
/// the ledger as bytes: the export bundle, the Reader Edition (Markdown and JSON), the log.
fn script(run: &Runner<'_>, dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    run(&["init", "--origin", ORIGIN], None).ok();
    let id = |r: Run| r.json()["entries"][0]["id"].as_str().unwrap().to_owned();
    let append = |content: &str| {
        id(run(
            &[
                "--json",
                "ledger",
                "append",
                "--kind",
                "observation",
                "--source",
                "s",
                "--content",
                content,
            ],
            None,
        )
        .ok())
    };
    let a = append(r#"{"region":"eu"}"#);
    let b = append(r#"{"region":"us"}"#);
    let batch: String = (0..50)
        .map(|i| format!("{{\"kind\":\"observation\",\"source\":\"batch\",\"content\":{{\"i\":{i}}}}}\n"))
        .collect();
    run(&["ledger", "append", "--batch", "-"], Some(&batch)).ok();
    run(
        &[
            "ledger",
            "amend",
            &a,
            "--type",
            "correction",
            "--reason",
            "typo",
            "--content",
            r#"{"region":"EU"}"#,
        ],
        None,
    )
    .ok();
    let case = run(
        &[
            "--json",
            "court",
            "open",
            "--entry",
            &a,
            "--entry",
            &b,
            "--description",
            "regions",
        ],
        None,
    )
    .first_id();
    run(
        &[
            "court",
            "rule",
            &case,
            "--decision",
            "eu",
            "--reasoning",
            "r",
            "--amend",
            &b,
            "--type",
            "withdrawal",
        ],
        None,
    )
    .ok();
    run(
        &[
            "treasury",
            "record",
            "--task",
            "t1",
            "--cost",
            "10.5",
            "--risk",
            "low",
            "--expected-value",
            "20",
            "--proof-burden",
            "invoice",
        ],
        None,
    )
    .ok();
    // A witness cosignature, stored with the checkpoint.
    run(
        &["key", "generate", "--name", "witness.example/w", "--out", "w.key"],
        None,
    )
    .ok();
    let wkey = run(&["key", "show", "--witness", "--key", "w.key"], None)
        .ok()
        .stdout
        .trim()
        .to_owned();
    std::fs::write(dir.join("cp"), run(&["ledger", "checkpoint"], None).ok().stdout).unwrap();
    let line = run(
        &[
            "ledger", "witness", "cosign", "cp", "--key", "w.key", "--state", "w.json",
        ],
        None,
    )
    .ok()
    .stdout;
    std::fs::write(dir.join("cosig"), line).unwrap();
    run(
        &[
            "ledger",
            "checkpoint",
            "--add-cosignature",
            "cosig",
            "--witness-key",
            &wkey,
        ],
        None,
    )
    .ok();
    run(&["watchtower", "scan"], None);
    // A paper trade from a recorded snapshot, every leg in the ledger.
    std::fs::write(dir.join("snap.json"), crate::wealth::bundle(&[])).unwrap();
    run(&["wealth", "trade", "--best", "--snapshot", "snap.json"], None).ok();
    run(&["key", "generate", "--name", ORIGIN, "--out", "next.key"], None).ok();
    let next = run(&["key", "show", "--key", "next.key"], None)
        .ok()
        .stdout
        .trim()
        .to_owned();
    run(&["key", "rotate", &next, "--reason", "scheduled"], None).ok();
    run(
        &[
            "ledger",
            "append",
            "--key",
            "next.key",
            "--kind",
            "test",
            "--source",
            "s",
            "--content",
            "{}",
        ],
        None,
    )
    .ok();
    run(&["ledger", "verify"], None).ok();
    run(&["ledger", "verify", "--since", "cp"], None).ok();
    run(&["ledger", "consistency", "--from", "cp"], None).ok();
    run(&["ledger", "export", "--out", "ledger.bundle"], None).ok();
    let mut seen = vec![(
        "bundle".to_owned(),
        std::fs::read(dir.join("ledger.bundle")).unwrap(),
    )];
    run(&["ledger", "tiles", "--out", "tiles"], None).ok();
    let mut tiles = Vec::new();
    for f in crate::tiles::files(&dir.join("tiles")) {
        tiles.extend_from_slice(f.as_bytes());
        tiles.extend(std::fs::read(dir.join("tiles").join(&f)).unwrap());
    }
    seen.push(("tiles".to_owned(), tiles));
    for (what, args) in [
        ("reader", vec!["ledger", "reader"]),
        ("reader json", vec!["--json", "ledger", "reader"]),
        ("log", vec!["--json", "ledger", "log"]),
        ("verify", vec!["--json", "ledger", "verify"]),
        ("show", vec!["--json", "ledger", "show", &a]),
        ("keys", vec!["--json", "key", "list"]),
        ("proof", vec!["ledger", "proof", &b]),
        ("consistency", vec!["ledger", "consistency", "--from", "cp"]),
        ("trades", vec!["--json", "ledger", "log", "--kind", "trade"]),
    ] {
        seen.push((what.to_owned(), run(&args, None).ok().stdout.into_bytes()));
    }
    seen
}

#[test]
fn the_same_commands_write_the_same_bytes_on_sqlite_and_postgres() {
    let Some(url) = server() else { return };
    let lite = TestEnv::new();
    let pg = PgEnv::new(&url);
    let on_lite = script(&|a, i| with_input(&lite, a, i), lite.dir.path());
    let on_pg = script(
        &|a, i| match i {
            Some(i) => pg.run_stdin(a, i),
            None => pg.run(a),
        },
        pg.env.dir.path(),
    );
    assert_eq!(on_lite.len(), on_pg.len());
    for ((what, l), (_, p)) in on_lite.iter().zip(&on_pg) {
        assert!(l.len() > 50, "{what} is not empty");
        assert!(
            l == p,
            "{what} differs between SQLite and PostgreSQL:\n{}\n---\n{}",
            String::from_utf8_lossy(l),
            String::from_utf8_lossy(p)
        );
    }
    // And the bundle imports into PostgreSQL as the same ledger.
    let other = PgDb::new(&url);
    lite.run(&["--db", &other.url, "ledger", "import", "ledger.bundle"])
        .ok();
    lite.run(&["--db", &other.url, "ledger", "export", "--out", "again.bundle"])
        .ok();
    assert_eq!(std::fs::read(lite.path("again.bundle")).unwrap(), on_lite[0].1);
}

fn with_input(env: &TestEnv, args: &[&str], input: Option<&str>) -> Run {
    match input {
        Some(i) => env.run_stdin(args, i),
        None => env.run(args),
    }
}

#[test]
fn a_postgres_url_that_cannot_serve_a_ledger_is_refused_with_a_hint_and_nothing_is_written() {
    let Some(url) = server() else { return };
    let env = TestEnv::new();
    let expect = |db: &str, args: &[&str], code: i32, says: &str| {
        let mut all = vec!["--db", db];
        all.extend_from_slice(args);
        let r = env.run(&all).code(code);
        assert!(r.stderr.contains(says), "{db}: {}", r.stderr);
        assert!(r.stderr.contains("hint:"), "{db}: {}", r.stderr);
        assert!(
            !r.stderr.contains("secret"),
            "a password is never printed: {}",
            r.stderr
        );
        r
    };
    // Malformed: a port that is not a number, an sslmode libpq does not know.
    expect(
        "postgres://u:secret@127.0.0.1:notaport/db",
        &["ledger", "verify"],
        2,
        "invalid database location",
    );
    expect(
        "postgres://u:secret@127.0.0.1/db?sslmode=sometimes",
        &["ledger", "log"],
        2,
        "sslmode",
    );
    // Nobody listens there.
    let r = expect(
        "postgres://u:secret@127.0.0.1:1/db",
        &["ledger", "verify"],
        3,
        "database unavailable",
    );
    assert!(
        r.stderr.contains("postgres://u:***@127.0.0.1:1/db"),
        "{}",
        r.stderr
    );
    // A database that does not exist; one with another application's tables; an empty one.
    let missing = crate::pg_support::with_db(&url, "echo_no_such_database");
    expect(&missing, &["ledger", "log"], 3, "does not exist");
    let foreign = PgDb::new(&url);
    foreign
        .sql()
        .batch_execute("CREATE TABLE invoices (n int); INSERT INTO invoices VALUES (1);")
        .unwrap();
    expect(&foreign.url, &["ledger", "verify"], 2, "is not an echoctl ledger");
    expect(
        &foreign.url,
        &[
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "s",
            "--content",
            "{}",
        ],
        2,
        "not an echoctl ledger",
    );
    let tables = |db: &PgDb| -> i64 {
        db.sql()
            .query_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", &[])
            .unwrap()
            .get(0)
    };
    assert_eq!(
        tables(&foreign),
        1,
        "nothing was created beside the foreign table"
    );
    let empty = PgDb::new(&url);
    expect(&empty.url, &["ledger", "log"], 3, "no ledger at");
    assert_eq!(tables(&empty), 0);
    // A newer schema, and an unfinished ledger (its init never committed).
    let pg = PgEnv::new(&url);
    pg.run(&["init", "--origin", ORIGIN]).ok();
    let mut sql = pg.db.sql();
    sql.batch_execute("UPDATE echo_ledger SET schema_version = 99")
        .unwrap();
    expect(
        &pg.db.url,
        &["ledger", "verify"],
        2,
        "newer than this echoctl supports",
    );
    sql.batch_execute(
        "ALTER TABLE echo_ledger DISABLE TRIGGER USER; UPDATE echo_ledger SET schema_version = 0; \
         ALTER TABLE echo_ledger ENABLE TRIGGER USER;",
    )
    .unwrap();
    expect(&pg.db.url, &["ledger", "log"], 2, "unfinished");
    // init refuses a database that holds a ledger, before any key is made.
    sql.batch_execute(
        "ALTER TABLE echo_ledger DISABLE TRIGGER USER; UPDATE echo_ledger SET schema_version = 1; \
         ALTER TABLE echo_ledger ENABLE TRIGGER USER;",
    )
    .unwrap();
    let fresh = TestEnv::new();
    let r = fresh
        .run(&["--db", &pg.db.url, "init", "--origin", "other.example/x"])
        .code(2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert!(!fresh.path("config/echoctl/keys/other.example_x.key").exists());
    pg.run(&["ledger", "verify"]).ok();
}

#[test]
fn the_database_refuses_update_delete_and_truncate_of_the_ledger() {
    let Some(url) = server() else { return };
    let pg = PgEnv::new(&url);
    pg.run(&["init", "--origin", ORIGIN]).ok();
    pg.run(&[
        "ledger",
        "append",
        "--kind",
        "test",
        "--source",
        "s",
        "--content",
        "{}",
    ])
    .ok();
    let mut sql = pg.db.sql();
    for stmt in [
        "UPDATE entries SET body = 'x' WHERE seq = 1",
        "DELETE FROM entries WHERE seq = 1",
        "TRUNCATE entries",
        "UPDATE checkpoints SET note = 'x'",
        "DELETE FROM tree_nodes",
        "TRUNCATE records",
        "DELETE FROM echo_ledger",
        "UPDATE echo_ledger SET size = 0",
    ] {
        let e = sql.batch_execute(stmt).expect_err(stmt);
        assert!(
            e.to_string().contains("append-only") || format!("{e:?}").contains("append-only"),
            "{stmt}: {e:?}"
        );
    }
    pg.run(&["ledger", "verify"]).ok();
}

/// A superuser drops the triggers, then edits: each edit alone makes verify exit 1 and
/// name what it found.
#[test]
fn a_superuser_who_edits_the_tables_is_caught_by_verify() {
    let Some(url) = server() else { return };
    let cases: [(&str, &str); 5] = [
        ("UPDATE entries SET body = convert_to(replace(convert_from(body, 'UTF8'), '\"n\":3', '\"n\":4'), 'UTF8') WHERE seq = 3", "seq 3 (id"),
        ("DELETE FROM entries WHERE seq = 3", "entry 3 is missing"),
        ("UPDATE checkpoints SET note = replace(note, 'test.example', 'evil.example') WHERE size = 4", "checkpoint 4"),
        ("UPDATE entries SET seq = 1000 WHERE seq = 2; UPDATE entries SET seq = 2 WHERE seq = 3; UPDATE entries SET seq = 3 WHERE seq = 1000", "seq 2"),
        ("DELETE FROM tree_nodes WHERE level = 1 AND idx = 0", "node"),
    ];
    for (edit, names) in cases {
        let pg = PgEnv::new(&url);
        pg.run(&["init", "--origin", ORIGIN]).ok();
        for n in 1..=6 {
            pg.run(&[
                "ledger",
                "append",
                "--kind",
                "observation",
                "--source",
                "s",
                "--content",
                &format!("{{\"n\":{n}}}"),
            ])
            .ok();
        }
        pg.run(&["ledger", "verify"]).ok();
        let mut sql = pg.db.sql();
        sql.batch_execute("ALTER TABLE entries DISABLE TRIGGER USER; ALTER TABLE checkpoints DISABLE TRIGGER USER; ALTER TABLE tree_nodes DISABLE TRIGGER USER;")
            .unwrap();
        sql.batch_execute(edit)
            .unwrap_or_else(|e| panic!("{edit}: {e:?}"));
        let r = pg.run(&["--json", "ledger", "verify"]).code(1);
        let v = r.json();
        assert_eq!(v["valid"], false, "{edit}");
        assert!(v["failure"]["reason"].is_string(), "{edit}: {v}");
        let r = pg.run(&["ledger", "verify"]).code(1);
        assert!(
            r.stdout.contains("INVALID") && r.stdout.contains(names),
            "{edit}: {}{}",
            r.stdout,
            r.stderr
        );
    }
}

#[test]
fn a_writer_role_appends_but_cannot_change_or_delete() {
    let Some(url) = server() else { return };
    let pg = PgEnv::new(&url);
    let role = format!("{}_writer", pg.db.name);
    pg.run(&["init", "--origin", ORIGIN, "--pg-writer-role", &role])
        .ok();
    let mut sql = pg.db.sql();
    let ci = format!("{}_ci", pg.db.name);
    sql.batch_execute(&format!("CREATE ROLE {ci} LOGIN; GRANT {role} TO {ci};"))
        .unwrap();
    let as_ci = pg.db.url.replacen("postgres@", &format!("{ci}@"), 1);
    assert_ne!(as_ci, pg.db.url, "the test URL names its user");
    let env = &pg.env;
    // The signing key is the operator's; CI uses the same key file here.
    env.run(&[
        "--db",
        &as_ci,
        "ledger",
        "append",
        "--kind",
        "test",
        "--source",
        "ci",
        "--content",
        "{}",
    ])
    .ok();
    env.run(&["--db", &as_ci, "ledger", "verify"]).ok();
    let mut ci_sql = crate::pg_support::connect(&as_ci);
    for stmt in [
        "ALTER TABLE entries DISABLE TRIGGER USER",
        "DROP TRIGGER entries_no_change ON entries",
        "UPDATE entries SET kind = 'x'",
        "DELETE FROM checkpoints",
        "UPDATE echo_ledger SET schema_version = 2",
    ] {
        assert!(
            ci_sql.batch_execute(stmt).is_err(),
            "the writer role may not: {stmt}"
        );
    }
    drop(ci_sql);
    sql.batch_execute(&format!(
        "DROP OWNED BY {ci}; DROP ROLE {ci}; DROP OWNED BY {role}; DROP ROLE {role};"
    ))
    .unwrap();
    // On SQLite there are no roles: refused before anything is made.
    let lite = TestEnv::new();
    let r = lite
        .run(&["init", "--origin", ORIGIN, "--pg-writer-role", "w"])
        .code(2);
    assert!(r.stderr.contains("PostgreSQL"), "{}", r.stderr);
    assert!(!lite.db().exists());
}

#[test]
fn tls_is_used_as_sslmode_asks() {
    let Some(url) = server() else { return };
    let pg = PgEnv::new(&url);
    pg.run(&["init", "--origin", ORIGIN]).ok();
    let sep = if pg.db.url.contains('?') { '&' } else { '?' };
    let require = format!("{}{sep}sslmode=require", pg.db.url);
    let ssl_on = pg
        .db
        .sql()
        .query_one("SHOW ssl", &[])
        .unwrap()
        .get::<_, String>(0)
        == "on";
    if ssl_on {
        pg.env.run(&["--db", &require, "ledger", "verify"]).ok();
        // A certificate nobody vouches for (this machine's self-signed one) fails verify-full.
        let full = format!("{}{sep}sslmode=verify-full", pg.db.url);
        let r = pg.env.run(&["--db", &full, "ledger", "verify"]).code(3);
        assert!(
            r.stderr.contains("certificate") || r.stderr.contains("Certificate"),
            "{}",
            r.stderr
        );
    } else {
        let r = pg.env.run(&["--db", &require, "ledger", "verify"]).code(3);
        assert!(r.stderr.contains("hint:"), "{}", r.stderr);
        eprintln!("the server has ssl off: only the refusal of sslmode=require was checked");
    }
    let disable = format!("{}{sep}sslmode=disable", pg.db.url);
    pg.env.run(&["--db", &disable, "ledger", "verify"]).ok();
}

/// `ledger copy` SQLite -> PostgreSQL -> SQLite, as an auditor's round trip.
#[test]
fn a_ledger_copies_between_engines_only_what_is_missing_and_refuses_a_diverged_destination() {
    let lite = TestEnv::new();
    lite.init();
    for n in 0..5 {
        lite.append(&format!("{{\"n\":{n}}}"));
    }
    let server = server();
    let pg = server.as_ref().map(|u| PgDb::new(u));
    // Without a server, the round trip goes through a second file.
    let middle = pg
        .as_ref()
        .map_or_else(|| lite.path("middle.db").display().to_string(), |p| p.url.clone());
    let copy = |from: &str, to: &str| lite.run(&["--json", "ledger", "copy", "--from", from, "--to", to]);
    let v = copy("echo.db", &middle).ok().json();
    assert_eq!(
        (v["created"].as_bool(), v["copied"].as_u64(), v["valid"].as_bool()),
        (Some(true), Some(6), Some(true))
    );
    // Again: nothing to copy. After two more appends: only those two.
    assert_eq!(copy("echo.db", &middle).ok().json()["copied"], 0);
    lite.append(r#"{"n":5}"#);
    lite.append(r#"{"n":6}"#);
    let v = copy("echo.db", &middle).ok().json();
    assert_eq!(
        (v["from_size"].as_u64(), v["copied"].as_u64()),
        (Some(6), Some(2))
    );
    // And back into a new file: the same bundle as the original.
    copy(&middle, "back.db").ok();
    lite.run(&["ledger", "export", "--out", "a.bundle"]).ok();
    lite.run(&["--db", "back.db", "ledger", "export", "--out", "b.bundle"])
        .ok();
    assert_eq!(
        std::fs::read(lite.path("a.bundle")).unwrap(),
        std::fs::read(lite.path("b.bundle")).unwrap()
    );
    // A destination with an entry of its own at seq 8 has diverged: refused, untouched.
    lite.run(&[
        "--db",
        "back.db",
        "ledger",
        "append",
        "--kind",
        "test",
        "--source",
        "x",
        "--content",
        "{}",
    ])
    .ok();
    lite.append(r#"{"n":7}"#);
    let before = std::fs::read(lite.path("back.db")).unwrap();
    let r = lite.run(&["ledger", "copy", "--to", "back.db"]).code(1);
    assert!(
        r.stderr.contains("differs from the source at seq 8"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(lite.path("back.db")).unwrap(),
        before,
        "nothing written"
    );
    // A destination longer than the source, too.
    let r = lite
        .run(&["--db", "back.db", "ledger", "copy", "--to", "middle2.db"])
        .ok();
    drop(r);
    lite.append(r#"{"n":8}"#);
    let r = lite
        .run(&["--db", "middle2.db", "ledger", "copy", "--to", "echo.db"])
        .code(1);
    assert!(
        r.stderr.contains("differs") || r.stderr.contains("more than"),
        "{}",
        r.stderr
    );
    // The same location twice is a usage error.
    lite.run(&["ledger", "copy", "--to", "echo.db"]).code(2);
}

/// Four validators, each with its ledger in a PostgreSQL database: they decide, and each
/// ledger holds the decision with its certificate and verifies.
#[test]
fn validators_with_their_ledgers_in_postgres_decide_and_verify() {
    let Some(url) = server() else { return };
    let dbs: Vec<PgDb> = (0..4).map(|_| PgDb::new(&url)).collect();
    let mut c = crate::bft_net::Cluster::on("test-seed", dbs.iter().map(|d| d.url.clone()).collect());
    c.start_all();
    for n in 0..3 {
        let v = c
            .propose(&format!("deploy-{n}"), r#"{"text":"deploy"}"#, "20")
            .ok()
            .json();
        assert_eq!(v["decided"], true, "{v}");
    }
    for i in 0..4 {
        assert_eq!(c.wait_decisions(i, 3).len(), 3, "node {i}");
        let (code, v) = c.verify(i);
        assert_eq!(code, 0, "node {i}: {v}");
    }
    // Restarted, a validator answers from its PostgreSQL ledger.
    c.kill(2);
    c.start(2);
    let again = c.propose("deploy-0", r#"{"text":"other"}"#, "20").ok().json();
    assert_eq!(again["decided"], true, "{again}");
    drop(c);
}

/// A server that accepts the connection and never answers: the connect timeout ends it.
#[test]
fn a_silent_server_is_given_up_after_the_connect_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("postgres://u:secret@{}/db", silent.local_addr().unwrap());
    let env = TestEnv::new();
    let r: Run = env
        .command(&["--db", &url, "ledger", "log"])
        .env("ECHOCTL_CONNECT_TIMEOUT", "0.3")
        .output()
        .unwrap()
        .into();
    let r = r.code(3);
    assert!(
        r.stderr.contains("database unavailable") && r.stderr.contains("timeout"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("secret"), "{}", r.stderr);
    // A setting that is not a number of seconds is a usage error.
    let r: Run = env
        .command(&["--db", &url, "ledger", "log"])
        .env("ECHOCTL_CONNECT_TIMEOUT", "soon")
        .output()
        .unwrap()
        .into();
    assert!(r.code(2).stderr.contains("ECHOCTL_CONNECT_TIMEOUT"));
    drop(silent);
}

#[test]
fn a_ledger_in_postgres_is_served_verifies_from_its_url_and_takes_appends() {
    let Some(url) = server() else { return };
    let pg = PgEnv::new(&url);
    let key = pg
        .run(&["init", "--origin", "pg.example/served"])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let batch: String = (0..300)
        .map(|i| format!("{{\"kind\":\"test\",\"content\":{{\"i\":{i}}}}}\n"))
        .collect();
    pg.run_stdin(&["ledger", "append", "--batch", "-", "--source", "t"], &batch)
        .ok();
    let served = crate::serve::Served::spawn(pg.command(&crate::serve::Served::ARGS));
    let v = pg
        .run(&[
            "--json",
            "ledger",
            "verify",
            "--url",
            &served.url,
            "--trust-key",
            &key,
        ])
        .ok()
        .json();
    assert_eq!(
        (v["valid"].as_bool(), v["entries"].as_u64()),
        (Some(true), Some(301))
    );
    assert_eq!(served.stop(), 0);

    // The same server appends to PostgreSQL: 8 concurrent clients, batched, each answer's
    // receipt against a checkpoint the ledger holds.
    let token = pg
        .run(&["--json", "token", "add", "ci", "--tokens", "t.json"])
        .ok()
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut args: Vec<&str> = crate::serve::Served::ARGS.to_vec();
    args.extend_from_slice(&["--tokens", "t.json", "--batch-age-ms", "500"]);
    let served = crate::serve::Served::spawn(pg.command(&args));
    let seqs: Vec<u64> = std::thread::scope(|s| {
        let posts: Vec<_> = (0..8)
            .map(|i| {
                let (url, token) = (&served.url, &token);
                s.spawn(move || {
                    let r = reqwest::blocking::Client::new()
                        .post(format!("{url}/entries"))
                        .bearer_auth(token)
                        .header("content-type", "application/json")
                        .body(format!(r#"{{"kind":"test","content":{{"posted":{i}}}}}"#))
                        .send()
                        .unwrap();
                    assert_eq!(r.status(), 201);
                    let v: serde_json::Value = serde_json::from_str(&r.text().unwrap()).unwrap();
                    v["entries"][0]["seq"].as_u64().unwrap()
                })
            })
            .collect();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (301..309).collect::<Vec<u64>>());
    assert_eq!(served.stop(), 0);
    let v = pg
        .run(&["--json", "ledger", "verify", "--trust-key", &key])
        .ok()
        .json();
    assert_eq!(v["entries"], 309);
}
