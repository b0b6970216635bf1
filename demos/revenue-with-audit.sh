#!/usr/bin/env bash
# The seed's third demo: record exchange books (from a local server standing in for
# Binance and Kraken), scan the recorded snapshot, paper-trade the best opportunity, show
# the trade in the ledger and the Reader Edition, replay it to the last decimal, verify.
source "$(dirname "$0")/lib.sh"

step "A local HTTP server answers as Binance and Kraken would (fixtures/wealth/exchanges.json)"
python3 "$ROOT/demos/exchange-fixtures.py" > port.txt &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do [ -s port.txt ] && break; sleep 0.1; done
PORT=$(cat port.txt)
export ECHOCTL_BINANCE_URL="http://127.0.0.1:$PORT/binance" ECHOCTL_KRAKEN_URL="http://127.0.0.1:$PORT/kraken"

step "Record the books into a snapshot bundle (raw bodies kept verbatim, with SHA-256)"
show echoctl wealth record --exchange binance --exchange kraken \
    --symbols BTC/USDT,ETH/USDT,ETH/BTC --pace-ms 0 --out books.json
kill $SERVER

step "Scan the snapshot offline: every cycle from USDT, sized exactly against the depth"
VKEY=$(echoctl init --origin demo.example/wealth)
show echoctl wealth scan --snapshot books.json --capital 10000 --record

step "Paper-trade the best opportunity (at most 10% of capital, 2% stop-loss)"
show echoctl wealth trade --best --snapshot books.json --capital 10000

step "Every decision and fill is a ledger entry naming the snapshot"
show echoctl ledger log --kind trade

step "The Reader Edition carries the trade with its trace links"
echoctl ledger reader | sed -n '/^## Trade/,$p' | head -20

step "Replay recomputes the trade from the ledger and the snapshot, and P&L sums it"
show echoctl wealth replay
show echoctl wealth pnl

step "An oversized position is refused (exit 1) and nothing is written"
expect_status 1 echoctl wealth trade --best --snapshot books.json --capital 10000 --size 5000

step "Verify against the pinned key"
show echoctl ledger verify --trust-key "$VKEY"
