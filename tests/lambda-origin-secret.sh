#!/usr/bin/env bash
# The origin secret as deployed, end to end: the real Lambda (`bootstrap`, feature `aws`) behind `cargo lambda
# watch`, over moto, reading its secret from an SSM SecureString by name and version
# (ORIGIN_VERIFY_SECRET_PARAMETER=/.../origin-verify:2), as deploy/template.yaml sets it, in the middle of a
# rotation: the parameter holds "current,next". A post carrying either value in X-Origin-Verify is taken (303;
# the next value exists only in version 2, so the function read the version it was given), one without or with
# another value is refused (403), and neither value reaches the log.
#
# Needs the emulators' environment, as tests/run sets it up:
#
#   tests/emulators.sh start && eval "$(tests/emulators.sh env)"
#   tests/lambda-origin-secret.sh
#
# Installs cargo-lambda into .venv-lambda/ once (as tests/lambda-watch.sh does). Stops what it started, by PID,
# also on failure. Logs in target/lambda-origin-secret/. Prints "N passed, M failed" last; exits 1 if anything
# failed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LAMBDA_VERSION=1.9.2
VENV="$ROOT/.venv-lambda"
MOTO_PYTHON="$ROOT/.venv-moto/bin/python"
LOGS="$ROOT/target/lambda-origin-secret"
SITE=https://www.balanstoetstelemarketing.nl
FUNCTION=bootstrap

say() { printf 'origin-secret: %s\n' "$*" >&2; }

passed=0 failed=0 summary_printed=""
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
# cargo-lambda starts `cargo run` (and it the function) through watchexec: stop the whole tree, deepest first.
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

if ! { [ -x "$VENV/bin/cargo-lambda" ] &&
    "$VENV/bin/cargo-lambda" lambda --version 2>/dev/null | grep -q "^cargo-lambda $CARGO_LAMBDA_VERSION "; }; then
    say "installing cargo-lambda==$CARGO_LAMBDA_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi

mkdir -p "$LOGS"
token="secret$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
current="current-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
next="next-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
parameter="/cbt-test/$token/origin-verify"

# moto, as the template's resources and the SSM parameter after step 1 of a rotation (README, "Rotating the
# origin secret"): version 1 "current", version 2 "current,next".
"$MOTO_PYTHON" - "$token" "$parameter" "$current" "$next" <<'PY'
import os, sys, boto3
token, parameter, current, next_ = sys.argv[1:5]
kw = dict(endpoint_url=os.environ["CBT_MOTO_ENDPOINT"], region_name="eu-west-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
ddb = boto3.client("dynamodb", **kw)
ddb.create_table(TableName=f"cbt-{token}", BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}])
s3 = boto3.client("s3", **kw)
for bucket in (f"cbt-{token}", f"cbt-{token}-invoices"):
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
ses = boto3.client("sesv2", **kw)
for identity in ("balanstoetstelemarketing.nl", "noreply@balanstoetstelemarketing.nl"):
    try:
        ses.create_email_identity(EmailIdentity=identity)
    except ses.exceptions.AlreadyExistsException:
        pass
ssm = boto3.client("ssm", **kw)
ssm.put_parameter(Name=parameter, Type="SecureString", Value=current)
ssm.put_parameter(Name=parameter, Type="SecureString", Value=f"{current},{next_}", Overwrite=True)
PY

cargo build --quiet -p cbt-function --features aws --bin "$FUNCTION"

cat >"$LOGS/function.env" <<EOF
MAIL_FROM=noreply@balanstoetstelemarketing.nl
SITE_URL=$SITE
TABLE_NAME=cbt-$token
BUCKET_NAME=cbt-$token
INVOICES_BUCKET_NAME=cbt-$token-invoices
ORIGIN_VERIFY_SECRET_PARAMETER=$parameter:2
AWS_REGION=eu-west-1
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
AWS_ENDPOINT_URL=$CBT_MOTO_ENDPOINT
AWS_S3_FORCE_PATH_STYLE=1
AWS_EC2_METADATA_DISABLED=true
RUST_LOG=info
EOF

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
PATH="$VENV/bin:$PATH" setsid cargo lambda watch --ignore-changes \
    --invoke-address 127.0.0.1 --invoke-port "$PORT" \
    -p cbt-function --bin "$FUNCTION" --features aws \
    --env-file "$LOGS/function.env" \
    </dev/null >"$LOGS/watch.log" 2>&1 &
WATCH_PID=$!
for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    alive "$WATCH_PID" || { say "cargo lambda watch exited:"; tail -n 30 "$LOGS/watch.log" >&2; exit 1; }
    sleep 0.1
done

BASE="http://127.0.0.1:$PORT/lambda-url/$FUNCTION"

# One contact post, with `secret` in X-Origin-Verify (none when empty) and a visitor address of its own (as
# CloudFront reports it), so the rate limit never counts two posts together. Gives up as soon as the function
# stops (a start that failed, such as an unreadable parameter).
post() {
    local name="$1" secret="$2" n="$3" curl_pid
    local headers=(-H "Origin: $SITE" -H 'Accept: text/html' -H "CloudFront-Viewer-Address: 192.0.2.$n:443"
        -H 'Content-Type: application/x-www-form-urlencoded')
    [ -z "$secret" ] || headers+=(-H "X-Origin-Verify: $secret")
    curl -sS --max-time 600 -o "$LOGS/$name.body" -w '%{http_code}' -X POST "$BASE/contact" "${headers[@]}" \
        --data "naam=Els+Jansen&email=els%2B$token%40voorbeeld.nl&onderwerp=Vraag&bericht=Rotatie+$n&akkoord_privacy=ja&website=" \
        >"$LOGS/$name.status" 2>"$LOGS/$name.err" &
    curl_pid=$!
    while alive "$curl_pid"; do
        if grep -q 'command exited' "$LOGS/watch.log" || ! alive "$WATCH_PID"; then
            kill "$curl_pid" 2>/dev/null || true
            say "the function stopped; cargo lambda watch's log:"
            tail -n 30 "$LOGS/watch.log" >&2 || true
            break
        fi
        sleep 0.05
    done
    wait "$curl_pid" 2>/dev/null || true
}
status_is() { [ "$(cat "$LOGS/$1.status" 2>/dev/null)" = "$2" ]; }

post current "$current" 1
check "a post with the current secret (from SSM, version 2) is taken: 303" status_is current 303
post next "$next" 2
check "a post with the next secret, during the rotation, is taken: 303" status_is next 303
post none "" 3
check "a post without the secret is refused: 403" status_is none 403
post other "other-$(python3 -c 'import secrets; print(secrets.token_hex(12))')" 4
check "a post with another value is refused: 403" status_is other 403
post both "$current,$next" 5
check "a post with both values joined is refused: 403" status_is both 403
check "the function never logged the secrets" bash -c "! grep -qE '$current|$next' '$LOGS/watch.log'"

for name in current next none other both; do say "$name: $(cat "$LOGS/$name.status" 2>/dev/null)"; done
