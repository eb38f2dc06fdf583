#!/usr/bin/env bash
# Lints deploy/template.yaml with cfn-lint, offline, twice:
#   1. the SAM template as written;
#   2. the CloudFormation it becomes: the SAM transform (aws-sam-translator,
#      the library CloudFormation's own transform runs) expands
#      AWS::Serverless::Function into the function, its Function URL, their
#      permissions and the schedule's rule, which cfn-lint then checks
#      property by property (it checks little inside the SAM resource).
# Installs both once, pinned, into .venv-deploy. Fails on any error AND on any
# warning: the template has none, and a new one should be read before it is
# accepted (to accept one, add `Metadata: cfn-lint: config: ignore_checks:
# [Wxxxx]` to the resource concerned, with a comment saying why).
#
# What neither pass checks (the IAM actions against the code, the function's
# settings and environment, the CSP) is checked by
# function/tests/iam_policy.rs, which `cargo test` runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CFN_LINT_VERSION=1.58.0
SAM_TRANSLATOR_VERSION=1.115.0
venv=.venv-deploy
installed() { "$venv/bin/pip" show "$1" 2>/dev/null | grep -qx "Version: $2"; }
if ! installed cfn-lint "$CFN_LINT_VERSION" || ! installed aws-sam-translator "$SAM_TRANSLATOR_VERSION"; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "cfn-lint==$CFN_LINT_VERSION" "aws-sam-translator==$SAM_TRANSLATOR_VERSION"
fi

# eu-west-1: the region the privacy statement names (Ireland).
export AWS_DEFAULT_REGION=eu-west-1
"$venv/bin/cfn-lint" --regions "$AWS_DEFAULT_REGION" -- deploy/template.yaml
echo "cfn-lint $CFN_LINT_VERSION: deploy/template.yaml is clean"

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
    # The template attaches none; a lookup would need AWS.
    def load(self):
        return {}

with open(sys.argv[2], "w") as f:
    json.dump(transform(template, {}, NoManagedPolicies()), f, indent=1)
PY
"$venv/bin/cfn-lint" --regions "$AWS_DEFAULT_REGION" -- "$work/transformed.json"
echo "cfn-lint $CFN_LINT_VERSION: the template after the SAM transform ($SAM_TRANSLATOR_VERSION) is clean"
