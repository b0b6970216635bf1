#!/usr/bin/env bash
# Runs every fuzz target in turn, SECONDS_EACH seconds at a time (default 600), for
# ROUNDS rounds (default 1), one job at a time. Work corpora and crash artifacts go under
# $FUZZ_WORK (default target/fuzz-work), seeded from fuzz/corpus. Needs a nightly toolchain
# and cargo-fuzz (cargo install cargo-fuzz). Usage: fuzz/run.sh [target...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
each="${SECONDS_EACH:-600}"
rounds="${ROUNDS:-1}"
work="${FUZZ_WORK:-$here/target/fuzz-work}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(canonical_json note receipt consistency bundle policy wire validators fees exchange)
fi
cd "$here"
for r in $(seq 1 "$rounds"); do
  for t in "${targets[@]}"; do
    mkdir -p "$work/$t" "$work/artifacts/$t"
    echo "== round $r: $t for ${each}s ($(date -u +%FT%TZ))"
    # A crash stops this target's run (its input is in the artifacts); the others go on.
    cargo +nightly fuzz run -O -s none "$t" "$work/$t" "corpus/$t" -- \
      -max_total_time="$each" -rss_limit_mb=512 -max_len=262144 -timeout=10 \
      -artifact_prefix="$work/artifacts/$t/" -print_final_stats=1 2>&1 | tail -n 20 ||
      echo "== $t stopped early: see $work/artifacts/$t"
  done
done
