#!/usr/bin/env bash
# Builds the release binary and runs every demo; exits non-zero if any demo fails.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
failed=0
for demo in demos/*.sh; do
    case "$(basename "$demo")" in run-all.sh | lib.sh) continue ;; esac
    printf '\n\033[1m######## %s\033[0m\n' "$demo"
    if bash "$demo"; then
        echo "-- $demo: ok"
    else
        echo "-- $demo: FAILED" >&2
        failed=1
    fi
done
exit $failed
