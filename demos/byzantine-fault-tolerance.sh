#!/usr/bin/env bash
# Four validators decide a proposal; one is killed during the round; the other three
# still decide with a 3-of-4 certificate, which every surviving ledger records and verifies.
source "$(dirname "$0")/lib.sh"
NODES=()
KEYS=()
trap 'for p in "${NODES[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

step "Four validators, each with its own ledger and key; one validators file for all"
printf 'cluster = "demo.example/ops"\nepoch = 1\n' > validators.toml
for i in 0 1 2 3; do
    KEY=$(echoctl --db "node$i.db" init --origin "node$i.demo.example" 2>/dev/null)
    KEYS+=("$KEY")
    printf '[[validator]]\nname = "node%s"\nkey = "%s"\naddress = "127.0.0.1:%s"\n' "$i" "$KEY" "$(free_port)" >> validators.toml
done
cat validators.toml

step "Start them (echoctl bft serve)"
for i in 0 1 2 3; do
    # The binary itself, not the echoctl shell function, so that $! is its pid.
    "$ECHOCTL" --db "node$i.db" bft serve --validators validators.toml &
    NODES+=($!)
done
for _ in $(seq 50); do
    echoctl --quiet bft status --validators validators.toml >/dev/null 2>&1 && break
    sleep 0.1
done
show echoctl bft status --validators validators.toml

step "Propose, and kill node3 while the round runs"
"$ECHOCTL" --json bft propose --validators validators.toml --subject "grow-db1-volume" \
    --content '{"text":"grow the db1 volume to 2 TiB","disk":{"pct":93}}' --timeout 20 > decision.json &
PROPOSER=$!
kill "${NODES[3]}"
echo "(node3 killed)"
wait "$PROPOSER"
python3 -c 'import json; d = json.load(open("decision.json")); print(d["subject"], d["decision"], "round", d["round"], "signed by", [s["name"] for s in d["signers"]])'

step "A second proposal with node3 down: decided by the other three"
show echoctl bft propose --validators validators.toml --subject "rotate-oncall" --content '{"text":"rotate on-call to team B"}'

step "Every surviving ledger holds the decisions with their certificates"
for i in 0 1 2; do
    echo "node$i:"
    echoctl --db "node$i.db" --json ledger log --kind decision \
        | python3 -c 'import json,sys
for line in sys.stdin:
    b = json.loads(line)["content"]["bft"]
    print("  ", b["subject"], b["decision"], "with", len(b["precommits"]), "of", len(b["validators"]), "precommits")'
done

step "Each ledger verifies, certificates included (offline)"
for i in 0 1 2; do
    show echoctl --db "node$i.db" ledger verify --trust-key "${KEYS[$i]}"
done
