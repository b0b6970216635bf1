#!/usr/bin/env bash
# Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/ from a small
# ledger made by echoctl itself, and from the repository's own exchange fixture. Nothing
# here comes from ../shared. Usage: fuzz/seed.sh [path/to/echoctl]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../target/debug/echoctl}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HOME="$work" XDG_CONFIG_HOME="$work/config" NO_COLOR=1
export ECHOCTL_TIMESTAMP=2026-11-22T12:00:00Z ECHOCTL_SEED=fuzz-seed
corpus="$here/corpus"
for t in canonical_json note receipt consistency bundle policy wire validators fees exchange; do
  mkdir -p "$corpus/$t"
done
cd "$work"
e() { "$bin" "$@"; }
vkey="$(e init --origin fuzz.example/ledger)"
e ledger append --kind observation --source seed --content '{"text":"disk 93% full","n":-12.5e3,"ok":true}' >/dev/null
e ledger checkpoint > "$work/old.cp"
e ledger append --kind decision --source seed --content '{"text":"rotate","refs":[],"u":"\u00e9\u2028"}' >/dev/null
id="$(e --json ledger log --kind observation | head -1 | sed 's/.*"id":"\([^"]*\)".*/\1/')"
e ledger amend "$id" --type correction --reason "typo" --content '{"text":"disk 94% full"}' >/dev/null
e key generate --name witness.example/w --out w.key >/dev/null
wkey="$(e key show --witness --key w.key)"

# Canonical JSON: entry bodies as stored, and hand-written edge cases.
e --json ledger log | while read -r line; do
  printf '%s' "$line" | python3 -c 'import sys,json; print(json.dumps(json.load(sys.stdin)["content"],sort_keys=True,separators=(",",":")),end="")' \
    > "$corpus/canonical_json/content-$(printf '%s' "$line" | sha256sum | cut -c1-12)"
done
printf '%s' '{"a":[1,2.5,-0,1e21,1e-7,9007199254740991],"b":{"\u0000":"\ud83d\ude00"}}' > "$corpus/canonical_json/numbers"
printf '%s' '{"a":1,"a":2}' > "$corpus/canonical_json/duplicate"
printf '%s' '{"n":18446744073709551616}' > "$corpus/canonical_json/huge"

# Notes, receipts, consistency proofs, bundles.
cp "$work/old.cp" "$corpus/note/checkpoint"
e ledger checkpoint > "$corpus/note/newest"
e ledger witness cosign "$corpus/note/newest" --key w.key --state s.json > cosig
cat "$corpus/note/newest" cosig > "$corpus/note/cosigned"
e ledger proof 1 > "$corpus/receipt/entry-1"
e ledger proof 0 > "$corpus/receipt/genesis"
e ledger consistency --from "$work/old.cp" > "$corpus/consistency/from-old"
e ledger export --out "$corpus/bundle/small" 2>/dev/null

# Policies.
printf 'log %s\nwitness w %s\ngroup g 1 w\nquorum g\n' "$vkey" "$wkey" > "$corpus/policy/quorum"
printf '# none\nlog %s\nquorum none\n' "$vkey" > "$corpus/policy/none"

# Validators files, and BFT frames (u32 big-endian length, then JSON).
v="cluster = \"fuzz.example/bft\"\nepoch = 1\n"
for i in 0 1 2 3; do
  e key generate --name "v$i" --out "v$i.key" >/dev/null
  v="$v[[validator]]\nname = \"v$i\"\nkey = \"$(e key show --key "v$i.key")\"\naddress = \"127.0.0.1:$((7100 + i))\"\n"
done
printf "$v" > "$corpus/validators/four"
frame() { python3 -c 'import sys,struct; b=sys.argv[1].encode(); sys.stdout.buffer.write(struct.pack(">I",len(b))+b)' "$1"; }
sig="$(python3 -c 'import base64; print(base64.b64encode(bytes(64)).decode())')"
val="$(printf 'x' | sha256sum | cut -c1-64)"
frame '{"type":"status"}' > "$corpus/wire/status"
frame '{"type":"submit","subject":"s","content":{"text":"t"}}' > "$corpus/wire/submit"
frame '{"type":"query","subject":"s","wait_ms":100}' > "$corpus/wire/query"
frame "{\"type\":\"vote\",\"kind\":\"prevote\",\"subject\":\"s\",\"round\":0,\"from\":1,\"value\":\"$val\",\"sig\":\"$sig\"}" > "$corpus/wire/prevote"
frame "{\"type\":\"vote\",\"kind\":\"proposal\",\"subject\":\"s\",\"round\":0,\"from\":1,\"value\":\"$val\",\"valid_round\":null,\"decision\":\"approve\",\"content\":{},\"sig\":\"$sig\"}" > "$corpus/wire/proposal"
frame "{\"type\":\"certificate\",\"subject\":\"s\",\"round\":0,\"decision\":\"approve\",\"content\":{},\"value\":\"$val\",\"precommits\":[{\"validator\":0,\"sig\":\"$sig\"}]}" > "$corpus/wire/certificate"
cat "$corpus/wire/status" "$corpus/wire/query" > "$corpus/wire/pipelined"

# Fees.
printf '[binance]\ntaker = "0.001"\n[kraken]\ntaker = "0.0026"\nvolume_30d = "0"\n[coinbase]\ntaker = "0.006"\n' > "$corpus/fees/all"
printf '[binance]\ntaker = "0.00075"\n' > "$corpus/fees/one"

# Exchange bodies: every response of the repository's fixture, prefixed by its venue.
python3 - "$here/../fixtures/wealth/exchanges.json" "$corpus/exchange" <<'EOF'
import hashlib, json, sys
fixture, out = sys.argv[1], sys.argv[2]
venues = ["binance", "kraken", "coinbase"]
for v, routes in json.load(open(fixture)).items():
    for route, body in routes.items():
        name = hashlib.sha256((v + route).encode()).hexdigest()[:12]
        open(f"{out}/{v}-{name}", "wb").write(bytes([venues.index(v)]) + body.encode())
EOF
echo "seeded $(find "$corpus" -type f | wc -l) files under $corpus"
