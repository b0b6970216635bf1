#!/usr/bin/env bash
# A contradiction found by the watchtower, a case, a ruling that amends the ledger, the
# amended Reader Edition, and verify.
source "$(dirname "$0")/lib.sh"

step "A ledger with a standing constraint and two observations that disagree"
VKEY=$(echoctl init --origin demo.example/court)
echoctl -q ledger append --kind constraint --source sre \
    --content '{"text":"data disks stay below 90%","rule":{"key":"disk_pct","op":"<","value":90}}' >/dev/null
echoctl -q ledger append --kind observation --source inventory \
    --content '{"text":"db1 runs in eu-west","key":"db1.region","value":"eu-west"}' >/dev/null
echoctl -q ledger append --kind observation --source dashboard \
    --content '{"text":"db1 runs in us-east","key":"db1.region","value":"us-east"}' >/dev/null
echoctl -q ledger append --kind outcome --source deploy \
    --content '{"text":"migration finished","disk_pct":93}' >/dev/null
show echoctl ledger log

step "The watchtower finds both problems, records them and opens cases (exit 1: a high finding)"
expect_status 1 echoctl watchtower scan --open-cases
show echoctl court list

step "The court decides the region case: the dashboard reading is corrected"
json_get() { python3 -c "import json, sys; print(eval('d' + sys.argv[1], {'d': json.load(sys.stdin)}))" "$1"; }
CASE=$(echoctl --json court list --open | grep -m1 'db1.region' | json_get '["id"]')
WRONG=$(echoctl --json court show "$CASE" | json_get '["entries"][1]["entry"]["id"]')
show echoctl court rule "$CASE" --decision "db1 runs in eu-west" --reasoning "the inventory is the system of record" \
    --amend "$WRONG" --type correction \
    --content '{"text":"db1 runs in eu-west","key":"db1.region","value":"eu-west"}'
show echoctl court show "$CASE"

step "Only the constraint violation remains"
expect_status 1 echoctl watchtower scan

step "The Reader Edition shows the ruling next to the paragraph it amended"
echoctl ledger reader | sed -n '/Observations/,/^<a id="s-/p'

step "Verify against the pinned key"
show echoctl ledger verify --trust-key "$VKEY"
