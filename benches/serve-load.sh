#!/usr/bin/env bash
# Requests per second through `cbt-site serve` for contact-form posts: the
# real handler over the local adapters (check, store, two mails written to
# the outbox), measured with wrk from Debian. Prints a table.
#
# Usage: benches/serve-load.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_RUN=${1:-10}
CONNECTIONS=${2:-8}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p cbt-site
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA=$(mktemp -d)
./target/release/cbt-site serve --port "$PORT" --data "$DATA" --rate-limit 1000000000 >"$DATA/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.1; done
cat >"$DATA/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Origin"] = "http://127.0.0.1:$PORT"
wrk.body = "naam=Els+Jansen&email=els%40voorbeeld.nl&onderwerp=Vraag&bericht=Hoe+lang+duurt+het%3F&akkoord_privacy=ja&website="
LUA
OUT=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_RUN}s" --latency -s "$DATA/post.lua" "http://127.0.0.1:$PORT/contact")
RPS=$(echo "$OUT" | awk '/Requests\/sec/ {print $2}')
P50=$(echo "$OUT" | awk '$1=="50%" {print $2}')
P99=$(echo "$OUT" | awk '$1=="99%" {print $2}')
NON2XX=$(echo "$OUT" | awk '/Non-2xx or 3xx/ {print $5}')
MAILS=$(ls "$DATA/outbox" | wc -l)
echo
echo "| what | connections | seconds | requests/s | p50 | p99 | non-2xx/3xx | mails written |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
echo "| POST /contact via cbt-site serve (local adapters) | $CONNECTIONS | $SECONDS_RUN | $RPS | $P50 | $P99 | ${NON2XX:-0} | $MAILS |"
