# Shared helpers for the demos: sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${ECHOCTL:-}" ]; then
    # Build (a no-op when up to date) so a demo never runs a stale binary.
    (cd "$ROOT" && cargo build --release --quiet)
    ECHOCTL="$ROOT/target/release/echoctl"
fi
echoctl() { "$ECHOCTL" "$@"; }

# Every demo runs in its own scratch directory, with a pinned clock and seed so that a
# recording replays byte for byte (override ECHOCTL_TIMESTAMP / ECHOCTL_SEED to vary).
WORK="$(mktemp -d "${TMPDIR:-/tmp}/echoctl-demo.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export XDG_CONFIG_HOME="$WORK/config" ECHOCTL_DB="$WORK/echo.db" NO_COLOR=1
export ECHOCTL_TIMESTAMP="${ECHOCTL_TIMESTAMP:-2026-11-22T09:00:00Z}" ECHOCTL_SEED="${ECHOCTL_SEED:-demo}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

# Raw SQL against the ledger file, as an attacker with write access would run it
# (python3's sqlite3 module, else the sqlite3 shell).
raw_sql() {
    if command -v python3 >/dev/null; then
        python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()' "$ECHOCTL_DB" "$1"
    else
        sqlite3 "$ECHOCTL_DB" "$1"
    fi
}

# Runs a command that must fail with the given exit status.
expect_status() {
    local want="$1"; shift
    printf '$ %s\n' "$*"
    set +e; "$@"; local got=$?; set -e
    if [ "$got" -ne "$want" ]; then
        echo "demo failed: expected exit $want, got $got" >&2
        exit 1
    fi
    echo "(exit $got, as expected)"
}
