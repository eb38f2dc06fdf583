#!/usr/bin/env bash
# Deploys the CBT site and its function from a laptop, in one command (README, "Deploy"). In order:
#
#   1. the origin secret: read from SSM Parameter Store (created, random, on the very first deploy), so that
#      CloudFront sends its last value and the function reads the version deployed (--keep-secret: leave both);
#   2. the WAF web ACL: deploy/waf.yaml as its own stack in us-east-1, its ARN for the main stack
#      (--skip-waf: leave the WAF stack and the main stack's WebAclArn as they are);
#   3. the function: cargo lambda build (arm64, profile lambda-release), then sam deploy of deploy/template.yaml
#      with deploy/samconfig.toml's settings and parameters (--site-only: neither);
#   4. the site: cargo-site build, aws s3 sync to the site bucket, a CloudFront invalidation (--function-only:
#      none of these).
#
#   deploy/deploy.sh [--dry-run] [--site-only | --function-only] [--skip-waf] [--keep-secret]
#
# --dry-run prints every command it would run, and runs none (no AWS call, no build); values it would read from
# AWS show as <placeholders>. Without it, every command is printed before it runs (`+ ...`), secrets as ***.
# Needs: cargo and rustup, python3 (the SAM CLI and cargo-lambda are installed, pinned, into .venv-sam on first
# use), the AWS CLI v2, credentials for the account (and openssl on the first deploy). The GitHub workflow
# (.github/workflows/publish.yml) runs this same script with --keep-secret --skip-waf.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SAM_CLI_VERSION=1.170.0
CARGO_LAMBDA_VERSION=1.9.2
# Where the pinned SAM CLI and cargo-lambda live (tests/deploy-dry-run.sh points it at stand-ins).
TOOLS=${CBT_DEPLOY_TOOLS:-.venv-sam}
CONFIG=deploy/samconfig.toml

dry_run="" site=1 function=1 waf=1 secret=1
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
    case "$arg" in
        --dry-run) dry_run=1 ;;
        --site-only) function="" ;;
        --function-only) site="" ;;
        --skip-waf) waf="" ;;
        --keep-secret) secret="" ;;
        -h | --help) usage; exit 0 ;;
        *) echo "deploy.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
    esac
done
[ -n "$site" ] || [ -n "$function" ] || { echo "deploy.sh: --site-only and --function-only exclude each other" >&2; exit 2; }

# --- printing and running -------------------------------------------------------------------------------------

redact=()
# The command as one would type it (quoted where the shell needs it), every value in `redact` as ***. On stderr,
# like every line of progress, so that they stay in order around values read with $(...).
show() {
    local line="+" arg value
    for arg in "$@"; do
        for value in "${redact[@]}"; do arg=${arg//"$value"/***}; done
        # Plain when the shell would read it as it is (*** being a redacted secret), quoted otherwise.
        if [[ "${arg//\*\*\*/}" =~ ^[][A-Za-z0-9_@%+=:,./\<\>-]*$ ]]; then
            line+=" $arg"
        else
            line+=" ${arg@Q}"
        fi
    done
    printf '%s\n' "$line" >&2
}
# Prints the command; runs it unless --dry-run.
run() {
    show "$@"
    [ -n "$dry_run" ] || "$@"
}
# Prints the command and, unless --dry-run, runs it for what it writes to stdout (a value read from AWS); in a
# dry run that value is the placeholder $1.
read_value() {
    local placeholder="$1"
    shift
    show "$@"
    if [ -n "$dry_run" ]; then printf '%s' "$placeholder"; else "$@"; fi
}
# Prints the command and, unless --dry-run, runs it quietly for its exit status (does something exist?); a dry
# run assumes it does.
probe() {
    show "$@"
    [ -n "$dry_run" ] || "$@" >/dev/null 2>&1
}
say() { printf '\n==> %s\n' "$*" >&2; }

# --- settings from deploy/samconfig.toml ---------------------------------------------------------------------

setting() {
    python3 - "$CONFIG" "$1" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    config = tomllib.load(f)["default"]
key = sys.argv[2]
if key == "parameter_overrides":
    value = config.get("deploy", {}).get("parameters", {}).get(key, [])
    print("\n".join(value if isinstance(value, list) else value.split()))
else:
    for section in ("deploy", "global"):
        if key in config.get(section, {}).get("parameters", {}):
            print(config[section]["parameters"][key])
            break
PY
}
STACK=$(setting stack_name)
REGION=$(setting region)
mapfile -t OVERRIDES < <(setting parameter_overrides)
: "${STACK:?deploy/samconfig.toml names no stack_name}" "${REGION:?deploy/samconfig.toml names no region}"
ORIGIN_SECRET_PARAMETER=/cbt/origin-verify
for o in "${OVERRIDES[@]}"; do
    case "$o" in OriginVerifySecretParameter=*) ORIGIN_SECRET_PARAMETER=${o#*=} ;; esac
done

# One output of the main stack; <Name> in a dry run.
output() {
    read_value "<$1>" aws --region "$REGION" cloudformation describe-stacks --stack-name "$STACK" \
        --query "Stacks[0].Outputs[?OutputKey==\`$1\`].OutputValue" --output text
}

# --- tools ---------------------------------------------------------------------------------------------------

say "the account: AWS credentials, stack $STACK in $REGION"
if [ -z "$dry_run" ]; then
    for tool in cargo python3 aws; do
        command -v "$tool" >/dev/null || { echo "deploy.sh: $tool is missing (README, \"Deploy\")" >&2; exit 1; }
    done
fi
probe aws sts get-caller-identity ||
    { echo "deploy.sh: no AWS credentials (aws configure, or AWS_PROFILE)" >&2; exit 1; }
stack_exists=1
probe aws --region "$REGION" cloudformation describe-stacks --stack-name "$STACK" || stack_exists=""
if [ -z "$stack_exists" ] && [ -z "$function" ]; then
    echo "deploy.sh: the stack $STACK does not exist yet: deploy it first (without --site-only)" >&2
    exit 1
fi
if [ -n "$function" ]; then
    say "tools: the SAM CLI $SAM_CLI_VERSION and cargo-lambda $CARGO_LAMBDA_VERSION in $TOOLS"
    if ! { "$TOOLS/bin/pip" show aws-sam-cli 2>/dev/null | grep -qx "Version: $SAM_CLI_VERSION" &&
        "$TOOLS/bin/pip" show cargo-lambda 2>/dev/null | grep -qx "Version: $CARGO_LAMBDA_VERSION"; }; then
        [ -x "$TOOLS/bin/python" ] || run python3 -m venv "$TOOLS"
        run "$TOOLS/bin/pip" install --quiet --disable-pip-version-check \
            "aws-sam-cli==$SAM_CLI_VERSION" "cargo-lambda==$CARGO_LAMBDA_VERSION"
    fi
    export PATH="$PWD/$TOOLS/bin:$PATH"
    run rustup target add aarch64-unknown-linux-gnu
fi

# --- 1. the origin secret ------------------------------------------------------------------------------------

extra=()
if [ -n "$function" ] && [ -n "$secret" ]; then
    say "the origin secret: SSM parameter $ORIGIN_SECRET_PARAMETER"
    if ! probe aws --region "$REGION" ssm get-parameter --name "$ORIGIN_SECRET_PARAMETER"; then
        new=$(read_value "" openssl rand -hex 24)
        redact+=("$new")
        run aws --region "$REGION" ssm put-parameter --name "$ORIGIN_SECRET_PARAMETER" --type SecureString \
            --description "CBT origin secret: current[,next] (README, Rotating the origin secret)" --value "$new"
    elif [ -n "$dry_run" ]; then
        printf '%s\n' "  (when it does not exist yet, the first deploy: openssl rand -hex 24, then" \
            "   aws --region $REGION ssm put-parameter --name $ORIGIN_SECRET_PARAMETER --type SecureString --value <it>)" >&2
    fi
    value=$(read_value "<current[,next]>" aws --region "$REGION" ssm get-parameter --name "$ORIGIN_SECRET_PARAMETER" \
        --with-decryption --query Parameter.Value --output text)
    version=$(read_value "<version>" aws --region "$REGION" ssm get-parameter --name "$ORIGIN_SECRET_PARAMETER" \
        --query Parameter.Version --output text)
    # CloudFront sends the last value: the next one during a rotation. The function accepts every value.
    sent=${value##*,}
    [ -z "$dry_run" ] || sent="<secret>"
    [ -n "$dry_run" ] || redact+=("$value" "$sent")
    [ -n "$dry_run" ] || [ -z "${GITHUB_ACTIONS:-}" ] || echo "::add-mask::$sent"
    extra+=("OriginVerifySecret=$sent" "OriginVerifySecretParameter=$ORIGIN_SECRET_PARAMETER"
        "OriginVerifySecretVersion=$version")
elif [ -n "$function" ] && [ -z "$stack_exists" ]; then
    echo "deploy.sh: the first deploy needs the origin secret: run without --keep-secret" >&2
    exit 1
fi

# --- 2. the WAF (us-east-1) ----------------------------------------------------------------------------------

if [ -n "$function" ] && [ -n "$waf" ]; then
    say "the WAF web ACL: deploy/waf.yaml as the stack $STACK-waf in us-east-1"
    run aws --region us-east-1 cloudformation deploy --template-file deploy/waf.yaml --stack-name "$STACK-waf" \
        --no-fail-on-empty-changeset
    # shellcheck disable=SC2016 # the backticks are JMESPath's literal, not the shell's
    acl=$(read_value "<WebAclArn>" aws --region us-east-1 cloudformation describe-stacks --stack-name "$STACK-waf" \
        --query 'Stacks[0].Outputs[?OutputKey==`WebAclArn`].OutputValue' --output text)
    extra+=("WebAclArn=$acl")
fi

# --- 3. the function and the stack ---------------------------------------------------------------------------

if [ -n "$function" ]; then
    if [ -z "$stack_exists" ] && ! printf '%s\n' "${OVERRIDES[@]}" | grep -q '^AlarmEmail='; then
        echo "deploy.sh: set AlarmEmail in $CONFIG (parameter_overrides) before the first deploy" >&2
        exit 1
    fi
    say "the function: cargo lambda build (arm64, lambda-release; 10 to 35 minutes)"
    run env AWS_LC_SYS_NO_JITTER_ENTROPY=1 cargo lambda build --profile lambda-release --arm64 \
        -p cbt-function --features aws --bin bootstrap

    say "the stack: sam deploy of deploy/template.yaml ($STACK, $REGION)"
    # The stack's own artifacts bucket; on the very first deploy it does not exist yet, and SAM's own bucket
    # (--resolve-s3, which SAM creates in a stack of its own) takes the zip. (The AWS CLI prints None for an
    # output the stack lacks.)
    where=(--resolve-s3)
    if [ -n "$stack_exists" ]; then
        artifacts=$(output ArtifactsBucketName)
        if [ -n "$artifacts" ] && [ "$artifacts" != "None" ]; then where=(--s3-bucket "$artifacts"); fi
        # Once the stack has the GitHub deploy path, CloudFormation acts as its execution role; pass it, so
        # that a deploy from here and one from GitHub change the stack alike.
        role=$(output CloudFormationExecutionRoleArn)
        if [ -n "$role" ] && [ "$role" != "None" ]; then where+=(--role-arn "$role"); fi
    fi
    run sam deploy --template-file deploy/template.yaml --stack-name "$STACK" --region "$REGION" \
        "${where[@]}" --no-confirm-changeset --no-fail-on-empty-changeset \
        --parameter-overrides "${OVERRIDES[@]}" "${extra[@]}"
fi

# --- 4. the site ---------------------------------------------------------------------------------------------

if [ -n "$site" ]; then
    say "the site: build, sync to the site bucket, invalidate CloudFront"
    # The one line to change when cbt-site build gets its --production flag:
    run cargo run --quiet -p cbt-site --no-default-features -- build
    bucket=$(output SiteBucketName)
    run aws --region "$REGION" s3 sync public/ "s3://$bucket/" --delete
    distribution=$(output DistributionId)
    run aws cloudfront create-invalidation --distribution-id "$distribution" --paths '/*'
fi

say "done${dry_run:+ (dry run: nothing was run)}"
