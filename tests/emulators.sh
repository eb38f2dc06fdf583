#!/usr/bin/env bash
# The AWS stand-ins the `aws` feature's tests run against, over the real
# wire protocol:
# - moto server 5.2.5 (DynamoDB, S3, SES v2), in .venv-moto/;
# - aws-ses-v2-local 2.10.2 (SES v2 that keeps every part of a mail), in
#   .cache/node/.
#
#   tests/emulators.sh start   install (once), start both on free loopback
#                              ports, wait until they answer; a no-op when
#                              they run already
#   tests/emulators.sh env     print the environment the tests read, as
#                              `export` lines: eval "$(tests/emulators.sh env)"
#   tests/emulators.sh stop    stop both (by their PIDs)
#
# Ports and PIDs are kept in target/emulators.env; logs in target/emulators/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

MOTO_VERSION=5.2.5
SES_LOCAL_VERSION=2.10.2
VENV="$ROOT/.venv-moto"
NODE_PREFIX="$ROOT/.cache/node"
SES_LOCAL_DIR="$NODE_PREFIX/node_modules/aws-ses-v2-local"
STATE="$ROOT/target/emulators.env"
LOGS="$ROOT/target/emulators"

say() { printf 'emulators: %s\n' "$*" >&2; }

# moto's server (what `moto_server -H HOST -p PORT` runs), with two changes:
# 1. It handles one request at a time. moto_server runs each request on a
#    thread of its own, and moto's TransactWriteItems is not isolated: it
#    deep-copies the whole table before a transaction and puts that copy
#    back when a condition fails, undoing what other requests wrote in the
#    meantime. Concurrent conditional transactions (the invoice counter)
#    then lose writes: measured, 4 of 30 racing writers never got a number.
#    Real DynamoDB transactions are atomic and isolated; a lock around the
#    application gives moto the same. Connections are still accepted
#    concurrently.
# 2. DynamoDB's models are not kept for /moto-api/data.json. moto keeps
#    every model instance it ever made for that page, and each transaction's
#    copy of the table adds all its items again: over one test run millions
#    of objects, GBs of memory and a data.json that takes minutes. The tests
#    read DynamoDB through its API; SES's sent mail is still in data.json.
MOTO_LAUNCHER='
import os, sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
import moto.dynamodb.models
from moto.core.model_instances import model_data

class Untracked(list):
    def append(self, item):
        pass

for model in model_data["dynamodb"].values():
    model.instances_tracked = Untracked()

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()

def serialised(environ, start_response):
    with lock:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

run_simple(host, port, serialised, threaded=True, request_handler=MotoRequestHandler)
'

install_moto() {
    if [ -x "$VENV/bin/moto_server" ] &&
        [ "$("$VENV/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" = "$MOTO_VERSION" ]; then
        return
    fi
    say "installing moto[server]==$MOTO_VERSION into $VENV (takes a minute or two)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
}

install_ses_local() {
    if [ -f "$SES_LOCAL_DIR/package.json" ] &&
        [ "$(node -p "require('$SES_LOCAL_DIR/package.json').version" 2>/dev/null)" = "$SES_LOCAL_VERSION" ]; then
        return
    fi
    say "installing aws-ses-v2-local@$SES_LOCAL_VERSION into $NODE_PREFIX"
    mkdir -p "$NODE_PREFIX"
    npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --loglevel=error "aws-ses-v2-local@$SES_LOCAL_VERSION" >&2
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Whether `pid` is still one of ours (not a PID reused by something else).
ours() {
    alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qE 'moto|aws-ses-v2-local'
}

# Waits until `url` answers 200, while `pid` lives; up to 60 s.
wait_ready() {
    local name="$1" url="$2" pid="$3" i
    for i in $(seq 1 300); do
        if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
            return 0
        fi
        if ! alive "$pid"; then
            say "$name exited before it was ready; its log ($LOGS/$name.log):"
            tail -n 30 "$LOGS/$name.log" >&2 || true
            return 1
        fi
        sleep 0.2
    done
    say "$name did not answer $url within 60 s"
    return 1
}

load_state() {
    MOTO_PORT="" MOTO_PID="" SES_LOCAL_PORT="" SES_LOCAL_PID=""
    if [ -f "$STATE" ]; then
        # shellcheck disable=SC1090
        . "$STATE"
    fi
}

running() {
    load_state
    ours "$MOTO_PID" && ours "$SES_LOCAL_PID" &&
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$MOTO_PORT/moto-api/" 2>/dev/null &&
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$SES_LOCAL_PORT/health-check" 2>/dev/null
}

start() {
    if running; then
        say "already running (moto on $MOTO_PORT, aws-ses-v2-local on $SES_LOCAL_PORT)"
        return
    fi
    stop >/dev/null 2>&1 || true
    install_moto
    install_ses_local
    mkdir -p "$LOGS" "$(dirname "$STATE")"

    MOTO_PORT="$(free_port)"
    setsid "$VENV/bin/python" -c "$MOTO_LAUNCHER" 127.0.0.1 "$MOTO_PORT" </dev/null >"$LOGS/moto.log" 2>&1 &
    MOTO_PID=$!
    SES_LOCAL_PORT="$(free_port)"
    setsid node "$SES_LOCAL_DIR/dist/cli.js" --host 127.0.0.1 --port "$SES_LOCAL_PORT" </dev/null >"$LOGS/ses-local.log" 2>&1 &
    SES_LOCAL_PID=$!
    {
        echo "MOTO_PORT=$MOTO_PORT"
        echo "MOTO_PID=$MOTO_PID"
        echo "SES_LOCAL_PORT=$SES_LOCAL_PORT"
        echo "SES_LOCAL_PID=$SES_LOCAL_PID"
    } >"$STATE"

    if ! wait_ready moto "http://127.0.0.1:$MOTO_PORT/moto-api/" "$MOTO_PID" ||
        ! wait_ready ses-local "http://127.0.0.1:$SES_LOCAL_PORT/health-check" "$SES_LOCAL_PID"; then
        stop
        return 1
    fi
    say "moto $MOTO_VERSION on 127.0.0.1:$MOTO_PORT (pid $MOTO_PID), aws-ses-v2-local $SES_LOCAL_VERSION on 127.0.0.1:$SES_LOCAL_PORT (pid $SES_LOCAL_PID)"
}

stop() {
    load_state
    local pid
    for pid in "$MOTO_PID" "$SES_LOCAL_PID"; do
        if ours "$pid"; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                alive "$pid" || break
                sleep 0.1
            done
            if alive "$pid"; then
                kill -9 "$pid" 2>/dev/null || true
            fi
        fi
    done
    rm -f "$STATE"
    say "stopped"
}

env_lines() {
    load_state
    if [ -z "$MOTO_PORT" ] || [ -z "$SES_LOCAL_PORT" ]; then
        say "not running: run tests/emulators.sh start first"
        return 1
    fi
    cat <<EOF
export AWS_REGION=eu-west-1
export AWS_DEFAULT_REGION=eu-west-1
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
unset AWS_SESSION_TOKEN AWS_PROFILE
export AWS_EC2_METADATA_DISABLED=true
export AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT
export AWS_S3_FORCE_PATH_STYLE=1
export CBT_MOTO_ENDPOINT=http://127.0.0.1:$MOTO_PORT
export CBT_SES_LOCAL_ENDPOINT=http://127.0.0.1:$SES_LOCAL_PORT
export CBT_MOTO_PYTHON=$VENV/bin/python
EOF
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    env) env_lines ;;
    *)
        echo "usage: $0 start|stop|env" >&2
        exit 2
        ;;
esac
