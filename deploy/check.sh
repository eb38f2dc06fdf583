#!/usr/bin/env bash
# Checks the deployment templates offline:
#   1. cfn-lint, informational rules included (--include-checks I), on deploy/template.yaml as written, on
#      deploy/waf.yaml (in us-east-1, where it is deployed), and on the CloudFormation the main template becomes:
#      the SAM transform (aws-sam-translator, the library CloudFormation's own transform runs) expands
#      AWS::Serverless::Function into the function, its Function URL, event invoke config, subscriptions,
#      permissions and the schedule's rule, which cfn-lint then checks property by property (it checks little
#      inside the SAM resource);
#   2. the CloudFormation execution role (the GitHub deploy path) against CloudFormation's own list of the
#      permissions each resource type's handlers need (deploy/check_execution_role.py);
#   3. checkov on all three, with deploy/.checkov.yaml (every skip listed there with its reason), and a check that
#      no resource skips a checkov check that file does not list.
# Installs the tools once, pinned: cfn-lint and aws-sam-translator into .venv-deploy, checkov into .venv-checkov
# (its own pins would fight cfn-lint's). Fails on any error AND on any warning or informational finding: the
# templates have none, and a new one should be read before it is accepted (to accept one, add `Metadata:
# cfn-lint: config: ignore_checks: [Wxxxx]` or `Metadata: checkov: skip:` to the resource concerned, with the
# reason, and list a checkov skip in deploy/.checkov.yaml).
#
# What none of these checks (the IAM actions against the code, the function's settings and environment, the
# routes, the alarms against the log lines, the retention against the privacy statement) is checked by
# function/tests/iam_policy.rs, which `cargo test` runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CFN_LINT_VERSION=1.58.0
SAM_TRANSLATOR_VERSION=1.115.0
CHECKOV_VERSION=3.3.30
venv=.venv-deploy
checkov_venv=.venv-checkov
installed() { "$1/bin/pip" show "$2" 2>/dev/null | grep -qx "Version: $3"; }
if ! installed "$venv" cfn-lint "$CFN_LINT_VERSION" || ! installed "$venv" aws-sam-translator "$SAM_TRANSLATOR_VERSION"; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "cfn-lint==$CFN_LINT_VERSION" "aws-sam-translator==$SAM_TRANSLATOR_VERSION"
fi
if ! installed "$checkov_venv" checkov "$CHECKOV_VERSION"; then
    [ -x "$checkov_venv/bin/python" ] || python3 -m venv "$checkov_venv"
    "$checkov_venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

# eu-west-1: the region the privacy statement names (Ireland).
export AWS_DEFAULT_REGION=eu-west-1
"$venv/bin/cfn-lint" --include-checks I --regions "$AWS_DEFAULT_REGION" -- deploy/template.yaml
echo "cfn-lint $CFN_LINT_VERSION (informational rules included): deploy/template.yaml is clean"
"$venv/bin/cfn-lint" --include-checks I --regions us-east-1 -- deploy/waf.yaml
echo "cfn-lint $CFN_LINT_VERSION (informational rules included): deploy/waf.yaml is clean (us-east-1)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" - deploy/template.yaml "$work/transformed.json" <<'PY'
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

with open(sys.argv[1]) as f:
    template = yaml_parse(f.read())
# `sam package` replaces the local CodeUri by an S3 location; do the same.
for resource in template["Resources"].values():
    if resource.get("Type") == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = "s3://packaged/bootstrap.zip"

class NoManagedPolicies:
    # The function's role attaches none; a lookup would need AWS.
    def load(self):
        return {}

with open(sys.argv[2], "w") as f:
    json.dump(transform(template, {}, NoManagedPolicies()), f, indent=1)
PY
"$venv/bin/cfn-lint" --include-checks I --regions "$AWS_DEFAULT_REGION" -- "$work/transformed.json"
echo "cfn-lint $CFN_LINT_VERSION (informational rules included): the template after the SAM transform ($SAM_TRANSLATOR_VERSION) is clean"

"$venv/bin/python" deploy/check_execution_role.py "$work/transformed.json"

for template in deploy/template.yaml "$work/transformed.json" deploy/waf.yaml; do
    if ! out=$("$checkov_venv/bin/checkov" --config-file deploy/.checkov.yaml -f "$template" 2>&1); then
        printf '%s\n' "$out"
        echo "checkov: $template has failed checks (above)"
        exit 1
    fi
    summary=$(grep -E '^Passed checks' <<<"$out" || true)
    echo "checkov $CHECKOV_VERSION: ${template/#$work\//after the SAM transform: } is clean (${summary:-no checks})"
done

# A skip in a resource's Metadata must be listed in deploy/.checkov.yaml too, so that file names every skip.
grep -hoE -- '- id: CKV[0-9]*_[A-Z0-9]+_[0-9]+' deploy/template.yaml deploy/waf.yaml | awk '{print $3}' | sort -u |
    while read -r id; do
        grep -qE "^# - $id " deploy/.checkov.yaml || {
            echo "checkov: $id is skipped in a resource's Metadata but not listed in deploy/.checkov.yaml"
            exit 1
        }
    done
