//! The committed completions and man pages match what the clap types generate.

use crate::harness::TestEnv;
use std::path::Path;

fn assert_same_tree(generated: &Path, committed: &Path) {
    let mut names: Vec<_> = std::fs::read_dir(generated)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in &names {
        let want = std::fs::read(generated.join(name)).unwrap();
        let have = std::fs::read(committed.join(name)).unwrap_or_default();
        assert!(
            want == have,
            "{} is stale: regenerate with 'cargo run -- generate {} {}'",
            committed.join(name).display(),
            if committed.ends_with("man") {
                "man"
            } else {
                "completions"
            },
            committed.display()
        );
    }
    let committed_count = std::fs::read_dir(committed).map(|d| d.count()).unwrap_or(0);
    assert_eq!(
        committed_count,
        names.len(),
        "{} holds files the generator no longer makes",
        committed.display()
    );
}

#[test]
fn completions_and_man_pages_are_fresh() {
    let env = TestEnv::new();
    env.run(&["generate", "completions", "out/completions"]).ok();
    env.run(&["generate", "man", "out/man"]).ok();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_same_tree(&env.path("out/completions"), &root.join("completions"));
    assert_same_tree(&env.path("out/man"), &root.join("man"));
    let page = std::fs::read_to_string(env.path("out/man/echoctl.1")).unwrap();
    assert!(
        page.contains("EXIT STATUS") && page.contains("ECHOCTL_DB"),
        "the man page documents exit codes and environment"
    );
}
