#!/usr/bin/env bash
# Byte-identity check between two echoctl binaries (never run by CI):
#
#   benches/identity.sh OLD_BIN NEW_BIN [SNAPSHOT]
#
# Builds the same ledgers with each binary (pinned clock and seed; every feature that runs
# without validators: amendments of every type, keys, constraints, watchtower, court,
# treasury, wealth trades from a recorded snapshot), then compares, file by file, what
# each wrote and printed: the entries and checkpoints, Reader Editions in every format,
# export bundles, receipts, and every --json listing. Prints one SHA-256 per output and
# exits 1 on any difference. SNAPSHOT is a `wealth record` bundle (default: one recorded
# from fixtures/wealth through demos/exchange-fixtures.py).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OLD="$(realpath "$1")" NEW="$(realpath "$2")"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/echoctl-identity.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

SNAP="${3:-}"
if [ -z "$SNAP" ]; then
    python3 "$ROOT/demos/exchange-fixtures.py" > "$WORK/port.txt" &
    SERVER=$!
    for _ in $(seq 50); do [ -s "$WORK/port.txt" ] && break; sleep 0.1; done
    PORT=$(cat "$WORK/port.txt")
    ECHOCTL_TIMESTAMP=2026-11-22T09:00:00Z ECHOCTL_BINANCE_URL="http://127.0.0.1:$PORT/binance" \
        ECHOCTL_KRAKEN_URL="http://127.0.0.1:$PORT/kraken" "$OLD" -q wealth record \
        --exchange binance --exchange kraken --symbols BTC/USDT,ETH/USDT,ETH/BTC --pace-ms 0 \
        --out "$WORK/books.json" >/dev/null
    kill "$SERVER" 2>/dev/null || true
    SNAP="$WORK/books.json"
fi

# Everything one binary writes and prints, under $2.
build() {
    local bin="$1" out="$2"
    mkdir -p "$out"
    cp "$SNAP" "$out/books.json"
    (
        cd "$out"
        export XDG_CONFIG_HOME="$out/config" ECHOCTL_DB="$out/echo.db" NO_COLOR=1 COLUMNS=100
        export ECHOCTL_TIMESTAMP=2026-11-22T09:00:00Z ECHOCTL_SEED=identity
        e() { "$bin" "$@"; }
        q() { "$bin" -q "$@" > /dev/null; }
        j() { "$bin" --json "$@"; }
        id() { python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["id"])'; }
        e init --origin identity.example/ops > p.init
        A=$(j ledger append --kind observation --source inventory \
            --content '{"text":"db1 runs in eu-west","key":"db1.region","value":"eu-west"}' | id)
        B=$(j ledger append --kind observation --source dashboard \
            --content '{"text":"db1 runs in us-east","key":"db1.region","value":"us-east"}' | id)
        q ledger append --kind constraint --source sre \
            --content '{"text":"disks below 90%","rule":{"key":"disk_pct","op":"<","value":90}}'
        q ledger append --kind outcome --source deploy --content '{"text":"migrated","disk_pct":93}'
        printf '%s\n' '{"kind":"decision","content":{"text":"grow db1","section":"Plans"}}' \
            '{"kind":"test","content":{"claim":"restore works","n":-12.5e3,"u":"é\u0001<b>"}}' \
            '{"kind":"observation","content":{"summary":"x","nested":{"b":[1,2,{"a":null}]}}}' \
            | q ledger append --batch - --source batch
        C=$(j ledger log --kind test | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
        D=$(j ledger append --kind decision --source ops --content '{"text":"old plan"}' | id)
        R=$(j ledger append --kind decision --source ops --content '{"text":"new plan"}' | id)
        W=$(j ledger append --kind observation --source ops --content '{"text":"a mistake"}' | id)
        q ledger amend "$C" --type clarification --reason "context" --content '{"text":"on staging"}'
        q ledger amend "$C" --type correction --reason "wrong n" --content '{"claim":"restore works","n":3}'
        q ledger amend "$D" --type supersession --reason "replaced" --superseded-by "$R"
        q ledger amend "$W" --type withdrawal --reason "never happened"
        e key generate --name identity.example/ops --out k2.key > p.k2
        q key rotate "$(cat p.k2)" --reason "rotation"
        q ledger append --kind observation --source ops --key k2.key --content '{"text":"new key"}'
        e watchtower scan --open-cases --key k2.key > p.watchtower || true
        j court list > p.court.list
        CASE=$(python3 -c 'import json; print([json.loads(l) for l in open("p.court.list") if "db1.region" in l][0]["id"])')
        q court rule "$CASE" --key k2.key --decision "db1 runs in eu-west" --reasoning "inventory wins" \
            --amend "$B" --type correction --content '{"text":"db1 runs in eu-west","key":"db1.region","value":"eu-west"}'
        q treasury record --key k2.key --task t1 --cost 12.50 --risk low --expected-value 40 --proof-burden "an invoice"
        q treasury settle t1 --key k2.key --actual-value 38.25
        q wealth scan --snapshot books.json --capital 10000 --record --key k2.key || true
        q wealth trade --best --snapshot books.json --capital 10000 --key k2.key || true
        for f in md html json; do e ledger reader --format "$f" > "p.reader.$f"; done
        e ledger reader --format md --kind observation --kind test > p.reader.kinds.md
        e ledger reader --format json --at 5 > p.reader.at5.json
        e ledger export --out bundle.txt
        e ledger proof "$A" --out receipt.txt
        e ledger checkpoint > p.checkpoint
        j ledger log > p.log.jsonl
        e ledger log > p.log.table
        j ledger show "$C" > p.show.json
        e ledger show "$D" > p.show.table
        j ledger verify --trust-key "$(head -1 p.init)" > p.verify.json
        j key list > p.keys.json
        j court list > p.court.json
        j court show "$CASE" > p.case.json
        j treasury roi > p.roi.json
        j wealth pnl > p.pnl.json
        j wealth replay > p.replay.json
        e --db imported.db ledger import bundle.txt --trust-key "$(head -1 p.init)" > /dev/null
        e --db imported.db ledger export --out bundle2.txt
        python3 -c 'import sqlite3,sys
c = sqlite3.connect("echo.db")
for t in ("entries", "checkpoints", "tree_nodes", "amendments"):
    with open("db." + t, "w") as f:
        for row in c.execute("SELECT * FROM %s ORDER BY 1, 2" % t):
            f.write(repr(row) + "\n")'
        rm -rf config echo.db echo.db-* imported.db* books.json echo.db.snapshots
    )
}

build "$OLD" "$WORK/old" 2> "$WORK/old.stderr" || { tail "$WORK/old.stderr"; exit 2; }
build "$NEW" "$WORK/new" 2> "$WORK/new.stderr" || { tail "$WORK/new.stderr"; exit 2; }
status=0
for f in $(cd "$WORK/old" && ls); do
    a=$(sha256sum < "$WORK/old/$f" | cut -c1-16)
    b=$(sha256sum < "$WORK/new/$f" 2>/dev/null | cut -c1-16 || echo missing)
    if [ "$a" = "$b" ]; then
        echo "same $a $f"
    else
        echo "DIFF $a $b $f"
        diff <(head -c 4000 "$WORK/old/$f") <(head -c 4000 "$WORK/new/$f") | head -20 || true
        status=1
    fi
done
sed -i "s|$WORK/old|W|g" "$WORK/old.stderr"
sed -i "s|$WORK/new|W|g" "$WORK/new.stderr"
if diff -q "$WORK/old.stderr" "$WORK/new.stderr" >/dev/null; then
    echo "same $(sha256sum < "$WORK/old.stderr" | cut -c1-16) stderr"
else
    echo "stderr differs (messages may change; data may not):"
    diff "$WORK/old.stderr" "$WORK/new.stderr" | head -40 || true
fi
exit $status
