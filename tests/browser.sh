#!/usr/bin/env bash
# The browser tests of the site (tests/browser/): end to end in headless
# Chromium with and without JavaScript, accessibility (axe-core), validity
# (vnu), links and anchors, Lighthouse, page weight, keyboard, screenshots.
#
# Installs what is missing, idempotently: Debian's chromium and
# chromium-driver, a Java runtime for vnu, and the pinned npm packages of
# tests/browser (npm ci, skipped while node_modules matches package-lock.json).
# Builds cbt-site once, serves the site with working forms on a free port
# over a fresh data folder (and the built site on a plain file server), runs
# every check and stops both servers by their PIDs. Ends with one line
# `N passed, M failed`; exits non-zero on any failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STARTED=$(date +%s)
BROWSER_DIR="$ROOT/tests/browser"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cbt-browser.XXXXXX")"
SERVE_PID=""
STATIC_PID=""

say() { printf '\n==> browser: %s\n' "$*"; }

cleanup() {
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
    [ -n "$STATIC_PID" ] && kill "$STATIC_PID" 2>/dev/null && wait "$STATIC_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A step before the tests that fails: counts as one failed check.
setup_failed() {
    printf 'browser: %s\n' "$*" >&2
    for log in "$WORK"/*.log; do
        [ -f "$log" ] && { echo "--- $log" >&2; tail -n 40 "$log" >&2; }
    done
    printf '\n0 passed, 1 failed\n'
    exit 1
}

# --- installs ---------------------------------------------------------------
APT_UPDATED=""
apt_install() {
    if [ -z "$APT_UPDATED" ]; then
        apt-get update -qq || return 1
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "$@"
}
if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium and chromium-driver"
    apt_install chromium chromium-driver || setup_failed "apt-get install chromium chromium-driver failed"
fi
if ! command -v java >/dev/null 2>&1; then
    say "installing a Java runtime for vnu"
    apt_install default-jre-headless || setup_failed "apt-get install default-jre-headless failed"
fi
command -v node >/dev/null 2>&1 || setup_failed "node is missing"

LOCK_SUM="$(sha256sum "$BROWSER_DIR/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$BROWSER_DIR/node_modules/.package-lock.sha256" 2>/dev/null)" != "$LOCK_SUM" ]; then
    say "npm ci in tests/browser"
    # --ignore-scripts: vnu-jar's postinstall would download a JDK; Debian's
    # Java runs vnu.jar instead.
    (cd "$BROWSER_DIR" && npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error) ||
        setup_failed "npm ci in tests/browser failed"
    echo "$LOCK_SUM" >"$BROWSER_DIR/node_modules/.package-lock.sha256"
fi

# --- build and serve --------------------------------------------------------
# CBT_BROWSER_NO_BUILD=1 reuses the binary there is (to iterate on the tests
# while the Rust code is mid-change); the default builds it.
if [ -z "${CBT_BROWSER_NO_BUILD:-}" ]; then
    say "cargo build -p cbt-site"
    cargo build -p cbt-site --quiet || setup_failed "cargo build -p cbt-site failed"
fi
BIN="$TARGET_DIR/debug/cbt-site"

say "building the site into a temporary folder"
"$BIN" build --out "$WORK/site" >"$WORK/build.log" 2>&1 || setup_failed "cbt-site build failed"

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_for() { # URL
    for _ in $(seq 1 300); do
        node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status<500?0:1),()=>process.exit(1))' "$1" && return 0
        sleep 0.1
    done
    return 1
}

PORT="$(free_port)"
mkdir -p "$WORK/data"
# The workspace's first secretariat member (its sign-in links land in the outbox).
export CBT_STAFF=secretariaat@voorbeeld.nl
"$BIN" serve --port "$PORT" --data "$WORK/data" --staff "$CBT_STAFF" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
STATIC_PORT="$(free_port)"
node "$BROWSER_DIR/static-server.js" "$WORK/site" "$STATIC_PORT" >"$WORK/static.log" 2>&1 &
STATIC_PID=$!
wait_for "http://127.0.0.1:$PORT/" || setup_failed "cbt-site serve did not answer on port $PORT"
wait_for "http://127.0.0.1:$STATIC_PORT/" || setup_failed "the static file server did not answer"
say "serving on http://127.0.0.1:$PORT/ (data in $WORK/data), built site on http://127.0.0.1:$STATIC_PORT/"

# --- the tests --------------------------------------------------------------
mkdir -p "$ROOT/test-artifacts/screenshots" "$WORK/tmp"
export CBT_BASE_URL="http://127.0.0.1:$PORT"
export CBT_STATIC_URL="http://127.0.0.1:$STATIC_PORT"
export CBT_DATA_DIR="$WORK/data"
export CBT_SITE_DIR="$WORK/site"
export CBT_WORK_DIR="$WORK/tmp"
export CBT_ARTIFACTS="$ROOT/test-artifacts"
export CHROME_PATH=/usr/bin/chromium

cd "$BROWSER_DIR"
# Arguments name test files to run (default: all), e.g. e2e.test.js.
if [ "$#" -gt 0 ]; then TESTS=("$@"); else TESTS=(./*.test.js); fi
say "node --test ${TESTS[*]}"
# One file at a time: the machine has two cores, and the e2e tests count the
# outbox and the invoice numbers as they go.
timeout 1500 node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$WORK/results.tap" \
    "${TESTS[@]}"
STATUS=$?
cd "$ROOT"

PASSED=$(awk '/^# pass / { print $3 }' "$WORK/results.tap" 2>/dev/null | tail -n1)
FAILED=$(awk '/^# fail / { print $3 }' "$WORK/results.tap" 2>/dev/null | tail -n1)
PASSED=${PASSED:-0}
FAILED=${FAILED:-0}
if [ "$STATUS" -ne 0 ] && [ "$FAILED" -eq 0 ]; then
    # The runner itself failed (a crash, the time limit): that is a failure.
    echo "browser: node --test exited with $STATUS" >&2
    tail -n 40 "$WORK/serve.log" >&2
    FAILED=1
fi
if [ "$FAILED" -gt 0 ]; then
    echo "--- serve log (last lines)" >&2
    tail -n 40 "$WORK/serve.log" >&2
fi
TODO=$(awk '/^# todo / { print $3 }' "$WORK/results.tap" 2>/dev/null | tail -n1)
if [ "${TODO:-0}" -gt 0 ]; then
    echo "browser: ${TODO} known problem(s) run as TODO (not counted): see the '# ...' reasons above"
fi
echo "browser: took $(($(date +%s) - STARTED)) s"
printf '\n%d passed, %d failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
