#!/usr/bin/env bash
# deploy/deploy.sh --dry-run prints every step it would take, and takes none.
#
# Runs deploy.sh against stand-ins for aws, sam, cargo, rustup, openssl and the pinned tools' pip, which record
# every call: once with --dry-run (no stand-in may be called), once for real (every call succeeds, reads return
# FAKE). Then the real run's calls must be exactly the lines it printed, and the dry run must print the same
# commands, with <placeholders> where the real run read a value from AWS. Also: --site-only, --skip-waf,
# --keep-secret leave out what they say, and a first deploy without AlarmEmail stops before it builds anything.
# Ends with one line `N passed, M failed` (tests/run counts it); exits non-zero on any failure.
#
# The checks below are strings that check() evaluates later: their $ expands then, on purpose.
# shellcheck disable=SC2016,SC2034
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="$ROOT/deploy/deploy.sh"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cbt-deploy-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

passed=0 failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/     /'; }
check() { if eval "$2"; then ok "$1"; else fail "$1" "${3:-}"; fi; }

# --- stand-ins -------------------------------------------------------------------------------------------------
mkdir -p "$WORK/bin" "$WORK/tools/bin"
cat >"$WORK/bin/stand-in" <<'SH'
#!/usr/bin/env bash
# Records the call; in STUB_MODE=refuse fails it. Reads (--output text) answer FAKE-<n>.
name=$(basename "$0")
printf '%s' "$name" >>"$STUB_LOG"
printf ' %s' "$@" >>"$STUB_LOG"
printf '\n' >>"$STUB_LOG"
[ "$STUB_MODE" = refuse ] && exit 97
case "$name $*" in
    "aws --region eu-west-1 cloudformation describe-stacks --stack-name cbt") [ -z "${STUB_NO_STACK:-}" ] ;;
    *"--output text"*) echo "FAKE-$(wc -l <"$STUB_LOG")" ;;
    "openssl rand"*) echo "FAKESECRET" ;;
esac
SH
chmod +x "$WORK/bin/stand-in"
for tool in aws sam cargo rustup openssl; do ln -s stand-in "$WORK/bin/$tool"; done
sam_version=$(sed -n 's/^SAM_CLI_VERSION=//p' "$DEPLOY")
lambda_version=$(sed -n 's/^CARGO_LAMBDA_VERSION=//p' "$DEPLOY")
cat >"$WORK/tools/bin/pip" <<SH
#!/usr/bin/env bash
# The pinned tools are there: pip show answers their versions.
case "\$2" in aws-sam-cli) echo "Version: $sam_version" ;; cargo-lambda) echo "Version: $lambda_version" ;; esac
SH
chmod +x "$WORK/tools/bin/pip"
touch "$WORK/tools/bin/python"
chmod +x "$WORK/tools/bin/python"

# deploy.sh with the stand-ins first on PATH; stdout and stderr in $WORK/$1.out, calls in $WORK/$1.calls.
deploy() {
    local name="$1" mode="$2"
    shift 2
    : >"$WORK/$name.calls"
    PATH="$WORK/bin:$PATH" CBT_DEPLOY_TOOLS="$WORK/tools" STUB_LOG="$WORK/$name.calls" STUB_MODE="$mode" \
        "$DEPLOY" "$@" >"$WORK/$name.out" 2>&1
}
# The commands a run printed ("+ ..." lines), values read from AWS and secrets made alike.
printed() {
    grep '^+ ' "$WORK/$1.out" | sed -E "s/<[^>]*>/VALUE/g; s/FAKE-[0-9]+/VALUE/g; s/\*\*\*/VALUE/g; s/'//g"
}
has() { grep -qF -- "$2" "$WORK/$1.out"; }

# --- the dry run takes no step ------------------------------------------------------------------------------
deploy dry refuse --dry-run
status=$?
check "--dry-run exits 0" '[ "$status" = 0 ]' "$(tail -n 20 "$WORK/dry.out")"
check "--dry-run calls no tool (aws, sam, cargo, rustup, openssl)" '[ ! -s "$WORK/dry.calls" ]' "$(cat "$WORK/dry.calls")"

# Every step, in the dry run's words.
for step in \
    "aws sts get-caller-identity" \
    "aws --region eu-west-1 ssm get-parameter --name /cbt/origin-verify --with-decryption" \
    "ssm put-parameter --name /cbt/origin-verify --type SecureString" \
    "aws --region us-east-1 cloudformation deploy --template-file deploy/waf.yaml --stack-name cbt-waf" \
    "rustup target add aarch64-unknown-linux-gnu" \
    "cargo lambda build --profile lambda-release --arm64 -p cbt-function --features aws --bin bootstrap" \
    "sam deploy --template-file deploy/template.yaml --stack-name cbt --region eu-west-1 --s3-bucket <ArtifactsBucketName> --role-arn <CloudFormationExecutionRoleArn>" \
    "OriginVerifySecret=<secret> OriginVerifySecretParameter=/cbt/origin-verify OriginVerifySecretVersion=<version> WebAclArn=<WebAclArn>" \
    "cargo run --quiet -p cbt-site --no-default-features -- build" \
    "aws --region eu-west-1 s3 sync public/ s3://<SiteBucketName>/ --delete" \
    "aws cloudfront create-invalidation --distribution-id <DistributionId> --paths '/*'"; do
    check "--dry-run prints: $step" 'has dry "$step"'
done
check "--dry-run passes deploy/samconfig.toml's parameters on" 'has dry "--parameter-overrides SiteUrl=https://www.balanstoetstelemarketing.nl MailFrom="'

# --- the real run does what the dry run printed, and prints all it does -------------------------------------
deploy real ok
status=$?
check "a run (every tool a stand-in) exits 0" '[ "$status" = 0 ]' "$(tail -n 20 "$WORK/real.out")"
real_printed=$(grep -c '^+ ' "$WORK/real.out")
real_calls=$(wc -l <"$WORK/real.calls")
check "a run prints every command it runs ($real_printed printed, $real_calls run)" '[ "$real_printed" = "$real_calls" ] && [ "$real_calls" -gt 10 ]' \
    "$(diff <(grep '^+ ' "$WORK/real.out") "$WORK/real.calls")"
check "the dry run prints the commands the run runs" 'diff <(printed dry) <(printed real) >/dev/null' \
    "$(diff <(printed dry) <(printed real))"
# The stand-in answers the n-th call FAKE-n: the secret is what the call reading it with decryption answered.
secret="FAKE-$(grep -n -- '--with-decryption' "$WORK/real.calls" | cut -d: -f1)"
check "the secret read from SSM ($secret) is never printed, *** instead" \
    '[ "$secret" != FAKE- ] && ! grep -qw -- "$secret" "$WORK/real.out" && has real " OriginVerifySecret=*** "' \
    "$(grep -- "$secret\|OriginVerifySecret=" "$WORK/real.out")"

# --- the options leave out what they say --------------------------------------------------------------------
deploy site refuse --dry-run --site-only
check "--site-only: no function build, no sam deploy, no WAF, no secret" \
    '! has site "cargo lambda" && ! has site "sam deploy" && ! has site waf.yaml && ! has site "ssm " && has site "s3 sync"'
deploy ci refuse --dry-run --skip-waf --keep-secret
check "--skip-waf --keep-secret (the GitHub workflow): no WAF stack, no SSM, WebAclArn and the secret kept" \
    '! has ci waf.yaml && ! has ci "ssm " && ! has ci WebAclArn= && ! has ci OriginVerifySecret && has ci "sam deploy"'
deploy fn refuse --dry-run --function-only
check "--function-only: no site build, sync or invalidation" '! has fn "cbt-site" && ! has fn "s3 sync" && ! has fn invalidation && has fn "sam deploy"'

# --- the first deploy -------------------------------------------------------------------------------------------
STUB_NO_STACK=1 deploy first ok
status=$?
check "a first deploy without AlarmEmail in deploy/samconfig.toml stops, saying so, before it builds" \
    '[ "$status" != 0 ] && has first "set AlarmEmail" && ! grep -q "^cargo" "$WORK/first.calls"' "$(tail -n 5 "$WORK/first.out")"

printf '\n%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
