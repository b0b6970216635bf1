#!/usr/bin/env bash
# The JSON API against its own description: schemathesis (from PyPI, in a virtualenv
# under target/) generates requests from /openapi.json of a real `echoctl serve` that
# takes appends, and checks that no answer is a 5xx and that every status, content type,
# header and body matches the description. Run by .ci/run; needs python3 with venv and
# the registry, and a built echoctl (target/debug/echoctl).
#
# The two checks of data acceptance (positive_data_acceptance, negative_data_rejection)
# are not run: the ledger's rules go beyond what JSON Schema says (canonical JSON numbers
# within ±(2^53-1) anywhere in the content, 65,535 bytes per canonical entry, refs that
# must name existing entries), so a request the schema allows may rightly be refused.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/target/debug/echoctl"
venv="$PWD/target/schemathesis"
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
work="$(mktemp -d)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
    rm -rf "$work"
}
trap cleanup EXIT
export ECHOCTL_DB="$work/api.db" XDG_CONFIG_HOME="$work/config" NO_COLOR=1
"$bin" -q init --origin example.com/api-conformance > /dev/null
"$bin" ledger append --kind observation --source setup --content '{"n":1}' > /dev/null
token="$("$bin" token add schemathesis --tokens "$work/tokens.json" 2> /dev/null)"
"$bin" --json serve --listen 127.0.0.1:0 --tokens "$work/tokens.json" --rate 0 > "$work/serve.json" 2> "$work/serve.log" &
pid=$!
for _ in $(seq 50); do
    [ -s "$work/serve.json" ] && break
    sleep 0.1
done
url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["listen"])' "$work/serve.json")"
cd "$work" # schemathesis keeps its own files in the working directory
"$venv/bin/schemathesis" run "$url/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --header "Authorization: Bearer $token" \
    --max-examples 100 --seed 1 --no-color
"$bin" ledger verify > /dev/null
echo "api conformance: passed; the ledger the requests wrote verifies"
