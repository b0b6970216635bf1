//! The architecture, checked on the source: the ledger is the base and knows no feature,
//! and only the CLI's settings read the environment (issue 14).

use std::path::{Path, PathBuf};

const FEATURES: [&str; 7] = [
    "bft",
    "court",
    "treasury",
    "watchtower",
    "wealth",
    "witness",
    "serve",
];
/// Kinds that features own: the ledger must not name them.
const FEATURE_KINDS: [&str; 5] = ["case", "ruling", "task", "watchtower", "trade"];

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The code of a file: its lines before any `#[cfg(test)]` module, comments dropped.
fn code(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.to_owned()))
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn issue_14_the_ledger_imports_no_feature_and_names_no_feature_kind() {
    let mut found = Vec::new();
    for path in sources(&src().join("ledger")) {
        for (n, line) in code(&path) {
            for f in FEATURES.iter().chain(&["cli"]) {
                if line.contains(&format!("crate::{f}")) || line.contains(&format!("echoctl::{f}")) {
                    found.push(format!("{}:{n}: names crate::{f}: {line}", path.display()));
                }
            }
            // The amendment format's field `ruling` (the entry that ordered it) is the
            // one place a feature's word is part of the ledger's own format (FORMAT.md §5).
            if line.contains("pub const ORDER_FIELD") {
                continue;
            }
            for k in FEATURE_KINDS {
                if line.contains(&format!("\"{k}\"")) {
                    found.push(format!("{}:{n}: names the kind {k:?}: {line}", path.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "src/ledger must know no feature:\n{}",
        found.join("\n")
    );
}

#[test]
fn issue_14_only_the_settings_read_the_environment() {
    let settings = src().join("cli/settings.rs");
    let mut found = Vec::new();
    for path in sources(&src()) {
        if path == settings {
            continue;
        }
        for (n, line) in code(&path) {
            let reads = ["env::var(", "env::var_os(", "env::vars(", "env::vars_os("];
            if reads.iter().any(|r| line.contains(r)) {
                found.push(format!("{}:{n}: {line}", path.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "only src/cli/settings.rs reads the environment:\n{}",
        found.join("\n")
    );
}

/// The check above must see a violation when there is one.
#[test]
fn the_source_checks_see_what_they_look_for() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.rs");
    std::fs::write(&f, "use crate::court::Court;\n// crate::bft in a comment\nfn f() {}\n#[cfg(test)]\nmod t { use crate::wealth; }\n").unwrap();
    let lines = code(&f);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].1.contains("crate::court"));
}

/// Files small enough to read in one sitting.
const MAX_LINES: usize = 800;

#[test]
fn issue_14_no_source_file_is_a_monolith() {
    let too_long: Vec<String> = sources(&src())
        .into_iter()
        .filter_map(|p| {
            let n = std::fs::read_to_string(&p).unwrap().lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    assert!(too_long.is_empty(), "over {MAX_LINES} lines: {too_long:?}");
    assert!(sources(&src()).len() > 50, "the walk sees the source tree");
}

#[test]
fn issue_14_frames_are_dispatched_on_types_not_strings() {
    // The node reads typed frames: no `"type"` string is matched under src/bft/node.
    let mut found = Vec::new();
    for path in sources(&src().join("bft/node")) {
        for (n, line) in code(&path) {
            if line.contains("Some(\"vote\")") || line.contains(".get(\"type\")") {
                found.push(format!("{}:{n}: {line}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_storage_drivers_name_no_feature() {
    // The one exception: SQLite schema v4's migration of a version 3 validator's own
    // table (`bft_votes`) into records, kept for files written by echoctl before v4.
    let allowed = |path: &Path, line: &str| {
        path.ends_with("sqlite/schema.rs") && (line.contains("bft_votes") || line.contains("'bft/votes'"))
    };
    let mut found = Vec::new();
    for path in sources(&src().join("ledger/store")) {
        for (n, line) in code(&path) {
            for f in FEATURES {
                let word = |w: &str| {
                    line.match_indices(w).any(|(i, _)| {
                        let before = line[..i].chars().next_back();
                        let after = line[i + w.len()..].chars().next();
                        !before.is_some_and(|c| c.is_alphanumeric())
                            && !after.is_some_and(|c| c.is_alphanumeric())
                    })
                };
                if word(f) && !allowed(&path, &line) {
                    found.push(format!("{}:{n}: names {f}: {line}", path.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "src/ledger/store must name no feature:\n{}",
        found.join("\n")
    );
}
