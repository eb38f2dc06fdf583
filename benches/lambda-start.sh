#!/usr/bin/env bash
# Time from process start to ready of the Lambda binary `bootstrap`, with
# its AWS clients configured: a stand-in for the Lambda Runtime API notes
# when the binary first asks for an invocation (GET .../invocation/next),
# which it does only after reading its configuration and building the
# DynamoDB, S3 and SES clients. Prints a table over RUNS starts.
#
# Usage: benches/lambda-start.sh [BINARY] [RUNS]
#   BINARY defaults to a host (x86_64) build with the release profile.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${1:-}
RUNS=${2:-20}
if [ -z "$BIN" ]; then
  AWS_LC_SYS_NO_JITTER_ENTROPY=1 cargo build --release -q -p cbt-function --features aws --bin bootstrap
  BIN=target/release/bootstrap
fi
python3 - "$BIN" "$RUNS" <<'PY'
import http.server, os, socket, statistics, subprocess, sys, threading, time
binary, runs = sys.argv[1], int(sys.argv[2])
ready = threading.Event()
class Runtime(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ready.set()
        time.sleep(0.2)  # never hand out an invocation: the start is all we time
        self.send_response(500); self.end_headers()
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
threading.Thread(target=srv.serve_forever, daemon=True).start()
env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{srv.server_address[1]}",
           AWS_LAMBDA_FUNCTION_NAME="cbt", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512", AWS_LAMBDA_FUNCTION_VERSION="1",
           AWS_REGION="eu-west-1", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x",
           TABLE_NAME="cbt", BUCKET_NAME="cbt-uploads", MAIL_FROM="noreply@balanstoetstelemarketing.nl",
           SITE_URL="https://www.balanstoetstelemarketing.nl", RUST_LOG="off")
times = []
for _ in range(runs):
    ready.clear()
    t0 = time.perf_counter()
    p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not ready.wait(10):
        p.kill(); sys.exit("bootstrap never asked for an invocation")
    times.append((time.perf_counter() - t0) * 1000)
    p.kill(); p.wait()
size = os.path.getsize(binary)
print(f"\n| binary | size MB | starts | median ms | min ms | max ms |")
print(f"|---|---:|---:|---:|---:|---:|")
print(f"| {binary} | {size/1e6:.1f} | {runs} | {statistics.median(times):.1f} | {min(times):.1f} | {max(times):.1f} |")
PY
