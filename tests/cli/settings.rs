//! Settings: flag > ECHOCTL_* variable > config file > default, and a config file that
//! is not one refused with exit 2 (issue 14).

use crate::harness::TestEnv;

fn write_config(env: &TestEnv, text: &str) {
    let dir = env.path("config/echoctl");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

fn origin_of(env: &TestEnv, args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut all = vec!["--json", "ledger", "checkpoint"];
    all.splice(0..0, args.iter().copied());
    let r = env.run_env(&all, vars).ok();
    r.json()["origin"].as_str().unwrap().to_owned()
}

#[test]
fn issue_14_flag_beats_variable_beats_config_file_beats_default() {
    let env = TestEnv::new();
    // Three ledgers, told apart by their origins.
    for (db, origin) in [
        ("echo.db", "default.example/x"),
        ("cfg.db", "config.example/x"),
        ("var.db", "var.example/x"),
        ("flag.db", "flag.example/x"),
    ] {
        env.run(&["--db", db, "init", "--origin", origin]).ok();
    }
    assert_eq!(origin_of(&env, &[], &[]), "default.example/x");
    // A path in the config file is relative to the file's directory.
    write_config(&env, "db = \"../../cfg.db\"\n");
    assert_eq!(origin_of(&env, &[], &[]), "config.example/x");
    assert_eq!(origin_of(&env, &[], &[("ECHOCTL_DB", "var.db")]), "var.example/x");
    assert_eq!(
        origin_of(&env, &["--db", "flag.db"], &[("ECHOCTL_DB", "var.db")]),
        "flag.example/x"
    );
    // ECHOCTL_CONFIG names another file.
    std::fs::write(env.path("other.toml"), "db = \"var.db\"\n").unwrap();
    let other = env.path("other.toml");
    assert_eq!(
        origin_of(&env, &[], &[("ECHOCTL_CONFIG", other.to_str().unwrap())]),
        "var.example/x"
    );
}

#[test]
fn issue_14_the_config_file_names_the_signing_key() {
    let env = TestEnv::new();
    env.init();
    let vkey = env
        .run(&[
            "key",
            "generate",
            "--name",
            crate::harness::ORIGIN,
            "--out",
            "second.key",
        ])
        .ok();
    env.run(&["key", "add", vkey.stdout.trim(), "--reason", "second signer"])
        .ok();
    write_config(&env, "key = \"../../second.key\"\n");
    let r = env
        .run(&[
            "--json",
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "t",
            "--content",
            "{}",
        ])
        .ok();
    let id = r.json()["entries"][0]["id"].as_str().unwrap().to_owned();
    let shown = env.run(&["--json", "ledger", "show", &id]).ok().json();
    let signer = shown["entry"]["signer"].as_str().unwrap();
    assert!(
        vkey.stdout.starts_with(signer),
        "{signer} signed, not {}",
        vkey.stdout
    );
    // A --key flag wins over the file.
    let default_key = env.path(&format!(
        "config/echoctl/keys/{}.key",
        crate::harness::ORIGIN.replace('/', "_")
    ));
    let r = env
        .run(&[
            "--json",
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "t",
            "--content",
            "{}",
            "--key",
            default_key.to_str().unwrap(),
        ])
        .ok();
    let id = r.json()["entries"][0]["id"].as_str().unwrap().to_owned();
    let shown = env.run(&["--json", "ledger", "show", &id]).ok().json();
    assert_ne!(shown["entry"]["signer"].as_str().unwrap(), signer);
}

#[test]
fn issue_14_a_config_file_that_is_not_one_is_refused_with_exit_2() {
    let env = TestEnv::new();
    env.init();
    for (text, says) in [
        ("db = \n", "config file"),
        ("bd = \"x.db\"\n", "unknown field"),
        ("[bft]\nnodes = \"1.2.3.4:5\"\n", "unknown field"),
        ("color = \"sometimes\"\n", "color"),
        ("lock_timeout = \"soon\"\n", "config file"),
    ] {
        write_config(&env, text);
        let r = env.run(&["ledger", "log"]).code(2);
        assert!(r.stderr.contains(says), "{text:?}: {}", r.stderr);
        assert!(r.stderr.contains("hint:"), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    // A bad lock timeout in the file is refused when a write needs it.
    write_config(&env, "lock_timeout = -5\n");
    let r = env
        .run(&[
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "t",
            "--content",
            "{}",
        ])
        .code(2);
    assert!(r.stderr.contains("lock_timeout"), "{}", r.stderr);
    // A file named by ECHOCTL_CONFIG must exist: exit 3.
    std::fs::remove_file(env.path("config/echoctl/config.toml")).unwrap();
    let r = env
        .run_env(
            &["ledger", "log"],
            &[("ECHOCTL_CONFIG", "/nonexistent/echoctl.toml")],
        )
        .code(3);
    assert!(r.stderr.contains("config file"), "{}", r.stderr);
}

#[test]
fn issue_14_validators_and_node_come_from_the_config_file_too() {
    let env = TestEnv::new();
    write_config(
        &env,
        "[bft]\nvalidators = \"../../missing.toml\"\nnode = \"not an address\"\n",
    );
    let r = env.run(&["bft", "status"]).code(3);
    assert!(r.stderr.contains("missing.toml"), "{}", r.stderr);
    let r = env.run(&["bft", "pending"]).code(2);
    assert!(r.stderr.contains("bft.node in the config file"), "{}", r.stderr);
}
