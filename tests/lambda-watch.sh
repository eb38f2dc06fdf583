#!/usr/bin/env bash
# The real Lambda (`bootstrap`, feature `aws`) behind `cargo lambda watch`,
# cargo-lambda 1.9.2's Function URL emulator, over moto: what a developer's
# local loop sends, end to end. A contact form post (303), the thank-you
# page (200), an unknown page (404), a broken multipart body (400), and the
# contact mails in moto.
#
# Needs the emulators' environment, as tests/run sets it up:
#
#   tests/emulators.sh start && eval "$(tests/emulators.sh env)"
#   tests/lambda-watch.sh
#
# Installs cargo-lambda into .venv-lambda/ once. Builds `bootstrap` in the
# target dir the tests use (CARGO_TARGET_DIR, or target/), the same build
# `cargo lambda watch` then runs, and reuses what is there. Stops what it
# started, by PID, also on failure. Logs in target/lambda-watch/. Prints
# "N passed, M failed" last; exits 1 if anything failed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LAMBDA_VERSION=1.9.2
VENV="$ROOT/.venv-lambda"
MOTO_PYTHON="$ROOT/.venv-moto/bin/python"
LOGS="$ROOT/target/lambda-watch"
SITE=https://www.balanstoetstelemarketing.nl
FUNCTION=bootstrap

say() { printf 'lambda-watch: %s\n' "$*" >&2; }

passed=0
failed=0
summary_printed=""
check() {
    local name="$1"
    shift
    if "$@"; then
        passed=$((passed + 1))
        printf 'ok - %s\n' "$name"
    else
        failed=$((failed + 1))
        printf 'not ok - %s\n' "$name"
    fi
}
summary() {
    [ -n "$summary_printed" ] && return
    summary_printed=1
    printf '%d passed, %d failed\n' "$passed" "$failed"
}

WATCH_PID=""
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# The PIDs below `pid`, deepest first: cargo-lambda starts `cargo run` (and
# it the function) through watchexec, which may give them groups of their own.
descendants() {
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        descendants "$child"
        echo "$child"
    done
}

stop_watch() {
    alive "$WATCH_PID" || return 0
    local pids pid
    pids="$(descendants "$WATCH_PID") $WATCH_PID"
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 50); do
        local any=""
        for pid in $pids; do alive "$pid" && any=1; done
        [ -z "$any" ] && break
        sleep 0.1
    done
    for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done
    WATCH_PID=""
}

finish() {
    local rc=$?
    stop_watch
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        # Stopped before its checks could say why: that is a failure too.
        failed=$((failed + 1))
        printf 'not ok - the run stopped early (exit %s); logs in %s\n' "$rc" "$LOGS"
    fi
    summary
    [ "$failed" -eq 0 ] || exit 1
}
trap finish EXIT
trap 'exit 130' INT TERM

if [ -z "${CBT_MOTO_ENDPOINT:-}" ] || [ ! -x "$MOTO_PYTHON" ]; then
    say "CBT_MOTO_ENDPOINT is not set or moto is not installed: run"
    say "  tests/emulators.sh start && eval \"\$(tests/emulators.sh env)\""
    exit 1
fi

install_cargo_lambda() {
    if [ -x "$VENV/bin/cargo-lambda" ] &&
        "$VENV/bin/cargo-lambda" lambda --version 2>/dev/null | grep -q "^cargo-lambda $CARGO_LAMBDA_VERSION "; then
        return
    fi
    say "installing cargo-lambda==$CARGO_LAMBDA_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$1" "$(now)"; }

# moto, as the template's resources: the table (pk/sk, TTL on expires_at),
# the bucket, and the sender identities SES requires. Names unique per run,
# so nothing of an earlier run (or of the rate limit) is seen.
MOTO_SETUP='
import os, sys, boto3
from botocore.exceptions import ClientError
table, bucket, domain = sys.argv[1], sys.argv[2], sys.argv[3]
kw = dict(endpoint_url=os.environ["CBT_MOTO_ENDPOINT"], region_name="eu-west-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
ddb = boto3.client("dynamodb", **kw)
ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gsi1pk", "gsi1sk")],
    GlobalSecondaryIndexes=[{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
        "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}])
ddb.update_time_to_live(TableName=table,
    TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
boto3.client("s3", **kw).create_bucket(Bucket=bucket,
    CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
ses = boto3.client("sesv2", **kw)
for identity in (domain, "noreply@" + domain):
    try:
        ses.create_email_identity(EmailIdentity=identity)
    except ClientError as e:
        if e.response["Error"]["Code"] != "AlreadyExistsException":
            raise
'

# The mails moto sent that mention `token`, one "recipients | subject" line
# each (moto keeps raw MIME whole under RawMessage).
MOTO_MAILS='
import email, json, os, sys, urllib.request
token = sys.argv[1]
with urllib.request.urlopen(os.environ["CBT_MOTO_ENDPOINT"] + "/moto-api/data.json", timeout=60) as r:
    ses = json.load(r).get("ses") or {}
for message in ses.get("RawMessage", []) + ses.get("Message", []):
    if token in json.dumps(message):
        subject = email.message_from_string(message.get("raw_data") or "").get("Subject") or message.get("subject")
        print(" ".join(message.get("destinations") or []), "|", subject)
'

mkdir -p "$LOGS"
started="$(now)"
install_cargo_lambda

token="watch$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
table="cbt-watch-$token"
bucket="cbt-watch-$token"
"$MOTO_PYTHON" -c "$MOTO_SETUP" "$table" "$bucket" balanstoetstelemarketing.nl

# The build `cargo lambda watch` runs (`cargo run` with these options), made
# here so that a compile error fails with its message and the timing shows.
t="$(now)"
cargo build --quiet -p cbt-function --features aws --bin "$FUNCTION"
say "bootstrap built in $(since "$t")"

cat >"$LOGS/function.env" <<EOF
MAIL_FROM=noreply@balanstoetstelemarketing.nl
SITE_URL=$SITE
TABLE_NAME=$table
BUCKET_NAME=$bucket
AWS_REGION=eu-west-1
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
AWS_ENDPOINT_URL=$CBT_MOTO_ENDPOINT
AWS_S3_FORCE_PATH_STYLE=1
AWS_EC2_METADATA_DISABLED=true
RUST_LOG=info
EOF

PORT="$(free_port)"
t="$(now)"
# --ignore-changes: the tests' own edits (target/, logs) must not restart it.
PATH="$VENV/bin:$PATH" setsid cargo lambda watch --ignore-changes \
    --invoke-address 127.0.0.1 --invoke-port "$PORT" \
    -p cbt-function --bin "$FUNCTION" --features aws \
    --env-file "$LOGS/function.env" \
    </dev/null >"$LOGS/watch.log" 2>&1 &
WATCH_PID=$!

for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        break
    fi
    if ! alive "$WATCH_PID"; then
        say "cargo lambda watch exited; its log ($LOGS/watch.log):"
        tail -n 30 "$LOGS/watch.log" >&2 || true
        exit 1
    fi
    sleep 0.1
done

BASE="http://127.0.0.1:$PORT/lambda-url/$FUNCTION"

# One request: `request NAME ARGS...` keeps status, headers and body in
# $LOGS/NAME.*. cargo-lambda starts the function (cargo run, then
# bootstrap) at the first request; a function that cannot start (a missing
# variable) exits, and the request would wait for ever: it is given up as
# soon as the log says so.
request() {
    local name="$1" curl_pid
    shift
    curl -sS --max-time 600 -o "$LOGS/$name.body" -D "$LOGS/$name.headers" \
        -w '%{http_code}' "$@" >"$LOGS/$name.status" 2>"$LOGS/$name.err" &
    curl_pid=$!
    while alive "$curl_pid"; do
        if grep -q 'command exited' "$LOGS/watch.log" || ! alive "$WATCH_PID"; then
            kill "$curl_pid" 2>/dev/null || true
            say "the function stopped; cargo lambda watch's log ($LOGS/watch.log):"
            tail -n 30 "$LOGS/watch.log" >&2 || true
            break
        fi
        sleep 0.05
    done
    wait "$curl_pid" 2>/dev/null || true
}
status_is() { [ "$(cat "$LOGS/$1.status" 2>/dev/null)" = "$2" ]; }
header_is() { tr -d '\r' <"$LOGS/$1.headers" | grep -qix "$2: $3"; }
body_has() { grep -qF "$2" "$LOGS/$1.body"; }

contact_sent_on() { status_is contact 303 && header_is contact location /contact/bedankt; }
thanks_shown() { status_is thanks 200 && body_has thanks "Bedankt voor uw bericht"; }
unknown_refused() { status_is unknown 404 && body_has unknown "Pagina niet gevonden"; }
broken_refused() { status_is broken 400 && body_has broken "beschadigd"; }
both_mails_sent() {
    [ "$(wc -l <"$LOGS/mails.txt")" -eq 2 ] &&
        grep -q "aanvragen@balanstoetstelemarketing.nl.*| Contactformulier" "$LOGS/mails.txt" &&
        grep -qF "els+$token@voorbeeld.nl" "$LOGS/mails.txt"
}

t="$(now)"
request contact -X POST "$BASE/contact" \
    -H "Origin: $SITE" -H 'Accept: text/html' \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "naam=Els+Jansen&email=els%2B$token%40voorbeeld.nl&onderwerp=Vraag&bericht=Hoe+lang+duurt+het%3F+$token&akkoord_privacy=ja&website="
say "first answer after $(since "$t")"
check "a contact form post is 303 to the thank-you page" contact_sent_on

request thanks "$BASE/contact/bedankt" -H 'Accept: text/html'
check "the thank-you page is 200" thanks_shown

request unknown "$BASE/wp-login.php" -H 'Accept: text/html'
check "an unknown page is 404" unknown_refused

request broken -X POST "$BASE/aanvraag" \
    -H "Origin: $SITE" -H 'Accept: text/html' \
    -H 'Content-Type: multipart/form-data; boundary=x' \
    --data-binary $'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nnever closed'
check "a broken multipart body is 400" broken_refused

"$MOTO_PYTHON" -c "$MOTO_MAILS" "$token" >"$LOGS/mails.txt" 2>"$LOGS/mails.err" || true
check "both contact mails reached moto (secretariat and receipt)" both_mails_sent

for name in contact thanks unknown broken; do
    say "$name: $(cat "$LOGS/$name.status" 2>/dev/null)"
done
if [ "$failed" -gt 0 ]; then
    say "cargo lambda watch's log ($LOGS/watch.log), last lines:"
    tail -n 40 "$LOGS/watch.log" >&2 || true
fi
say "done in $(since "$started")"
