//! Schema v1 of a PostgreSQL ledger: the same tables as SQLite's (same columns, same
//! bytes), text compared bytewise (`COLLATE "C"`), the one-row coordinator that
//! serialises writers, and triggers that refuse UPDATE, DELETE and TRUNCATE.

/// The schema version this build reads and writes (`echo_ledger.schema_version`). A row
/// with version 0 is a ledger whose `init` has not committed yet.
pub const SCHEMA_VERSION: i32 = 1;

/// `echo_ledger.application` of an echoctl ledger.
pub const APPLICATION: &str = "echoctl";

/// Every table of a ledger, the coordinator last.
pub const TABLES: [&str; 7] = [
    "entries",
    "tree_nodes",
    "checkpoints",
    "amendments",
    "cosignatures",
    "records",
    "echo_ledger",
];

pub const SCHEMA: &str = r#"
CREATE TABLE echo_ledger (
    one            boolean PRIMARY KEY DEFAULT true CHECK (one),
    application    text NOT NULL,
    schema_version integer NOT NULL,
    size           bigint NOT NULL CHECK (size >= 0),
    root           bytea NOT NULL
);
CREATE TABLE entries (
    seq   bigint PRIMARY KEY CHECK (seq >= 0),
    id    text COLLATE "C" NOT NULL UNIQUE,
    kind  text COLLATE "C" NOT NULL,
    ts    text COLLATE "C" NOT NULL,
    leaf  bytea NOT NULL,
    body  bytea NOT NULL
);
CREATE INDEX entries_rare_kinds ON entries (kind, seq)
    WHERE kind NOT IN ('observation', 'decision', 'outcome', 'constraint', 'test');
CREATE TABLE tree_nodes (
    level integer NOT NULL,
    idx   bigint NOT NULL,
    hash  bytea NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE checkpoints (
    size bigint PRIMARY KEY,
    note text COLLATE "C" NOT NULL
);
CREATE TABLE amendments (
    target_seq bigint NOT NULL,
    seq        bigint NOT NULL,
    PRIMARY KEY (target_seq, seq)
);
CREATE TABLE cosignatures (
    size bigint NOT NULL,
    line text COLLATE "C" NOT NULL,
    PRIMARY KEY (size, line)
);
CREATE TABLE records (
    space text COLLATE "C" NOT NULL,
    key   bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (space, key)
);
CREATE FUNCTION echo_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'echoctl ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'P0001';
END
$$;
-- The coordinator row changes, but only forward: size never shrinks, identity never moves.
CREATE FUNCTION echo_coordinator_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.size < OLD.size OR NEW.application <> OLD.application
       OR NEW.schema_version < OLD.schema_version THEN
        RAISE EXCEPTION 'echoctl ledger is append-only: the coordinator only moves forward'
            USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER echo_ledger_forward BEFORE UPDATE ON echo_ledger
    FOR EACH ROW EXECUTE FUNCTION echo_coordinator_forward();
"#;

/// The triggers that make every table append-only (the coordinator: no DELETE, no
/// TRUNCATE; its UPDATEs are checked by `echo_coordinator_forward`).
pub fn triggers() -> String {
    let mut s = String::new();
    for table in TABLES {
        if table != "echo_ledger" {
            s.push_str(&format!(
                "CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION echo_append_only();\n"
            ));
        } else {
            s.push_str(
                "CREATE TRIGGER echo_ledger_no_delete BEFORE DELETE ON echo_ledger \
                 FOR EACH ROW EXECUTE FUNCTION echo_append_only();\n",
            );
        }
        s.push_str(&format!(
            "CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION echo_append_only();\n"
        ));
    }
    s
}

/// Grants a role what a writer needs and nothing more: SELECT and INSERT on the ledger's
/// tables, and UPDATE of the coordinator's size and root (the row it locks).
pub fn writer_grants(role: &str) -> String {
    let mut s = String::new();
    for table in TABLES.iter().filter(|t| **t != "echo_ledger") {
        s.push_str(&format!("GRANT SELECT, INSERT ON {table} TO {role};\n"));
    }
    s.push_str(&format!(
        "GRANT SELECT, UPDATE (size, root) ON echo_ledger TO {role};\n"
    ));
    s
}

/// Drops a ledger's tables and functions (a failed `init` or `import`).
pub fn drop_all() -> String {
    let mut s = String::new();
    for table in TABLES {
        s.push_str(&format!("DROP TABLE IF EXISTS {table} CASCADE;\n"));
    }
    s.push_str("DROP FUNCTION IF EXISTS echo_append_only() CASCADE;\n");
    s.push_str("DROP FUNCTION IF EXISTS echo_coordinator_forward() CASCADE;\n");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_rare_kinds_index_matches_the_sqlite_one() {
        let listed: Vec<&str> = super::SCHEMA
            .split("kind NOT IN (")
            .nth(1)
            .and_then(|s| s.split(')').next())
            .unwrap_or_default()
            .split('\'')
            .skip(1)
            .step_by(2)
            .collect();
        assert_eq!(listed, crate::ledger::kinds::USER_KINDS);
    }
}
