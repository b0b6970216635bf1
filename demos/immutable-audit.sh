#!/usr/bin/env bash
# The seed's first demo: an observation is recorded, cannot be modified, is amended
# instead, verifies; then someone tampers with the file directly and verify fails.
source "$(dirname "$0")/lib.sh"

step "Create a ledger; the verifier key it prints is what CI pins"
VKEY=$(echoctl init --origin demo.example/ops)
echo "$VKEY"

step "Record an observation"
show echoctl ledger append --kind observation --source monitoring \
    --content '{"text":"disk on db1 is 93% full","host":"db1","pct":93}'
ID=$(echoctl --json ledger log --kind observation | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null \
    || echoctl ledger log --kind observation | grep -o '01[0-9A-Z]\{24\}' | tail -n 1)

step "Try to modify it in place: the database refuses"
expect_status 1 raw_sql "UPDATE entries SET body = replace(body, '93', '39') WHERE id = '$ID'" 2>&1 | sed 's/^/  /'

step "Amend it instead: the original stays, the correction is a new entry"
show echoctl ledger amend "$ID" --type correction --reason "sensor read the wrong volume" \
    --content '{"text":"disk on db1 is 39% full","host":"db1","pct":39}'
show echoctl ledger show "$ID"

step "Verify against the pinned key"
show echoctl ledger verify --trust-key "$VKEY"

step "Rotate the signing key: history signed by the old key stays valid"
NEWKEY=$(echoctl key generate --name demo.example/ops --out "$WORK/ops-2027.key")
show echoctl key rotate "$NEWKEY" --reason "yearly rotation"
show echoctl ledger append --kind decision --source ops --key "$WORK/ops-2027.key" \
    --content '{"text":"grow the db1 volume to 2 TiB"}'
show echoctl key list
expect_status 2 echoctl ledger append --kind observation --source ops --content '{"text":"old key"}'
show echoctl ledger verify --trust-key "$VKEY"

step "An attacker drops the triggers and rewrites the observation"
raw_sql "DROP TRIGGER entries_no_update; UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), '93%', '13%') AS BLOB) WHERE id = '$ID';"
echo "(entry $ID rewritten behind echoctl's back)"

step "Verify catches it: exit 1, naming the first bad entry"
expect_status 1 echoctl ledger verify --trust-key "$VKEY"
