"""The CloudFormation execution role of deploy/template.yaml against what CloudFormation says it needs.

Usage: python check_execution_role.py TRANSFORMED_TEMPLATE.json   (deploy/check.sh runs it)

CloudFormation's resource schemas (shipped with cfn-lint) list, for every resource type, the IAM permissions its
create, read, update and delete handlers call. The role CloudFormationExecutionRole must grant:

1. every permission of every resource type in the template after the SAM transform, except those NOT_USED lists
   (each with the reason: a feature of the type this template does not use), so that no deploy stops on an
   AccessDenied halfway. A read handler's permission is never left out (CloudFormation reads every resource it
   manages, whatever its properties), unless READ_NOT_USED says why;
2. nothing else: each action pattern it grants must match at least one needed permission, so that a pattern
   stays honest when the template changes;
3. no action pattern that is `*` or a whole service (`s3:*`).

Permissions a schema lists that are not IAM actions at all (cfn-lint's list of actions says so) are ignored and
reported. What the role's Resource lines allow is read by people, not by this script: they name this stack's
resources (the template's comments say how).
"""

import fnmatch
import json
import os
import sys

import cfnlint

ROLE = "CloudFormationExecutionRole"
HANDLERS = ("create", "read", "update", "delete")

# (resource type, permission pattern) -> why the role does not need it.
NOT_USED = {
    ("AWS::DynamoDB::Table", "dynamodb:*Item"): "items are the function's; CloudFormation writes none "
    "(ImportSourceSpecification is not used)",
    ("AWS::DynamoDB::Table", "dynamodb:Query"): "as above",
    ("AWS::DynamoDB::Table", "dynamodb:Scan"): "as above",
    ("AWS::DynamoDB::Table", "dynamodb:ImportTable"): "no ImportSourceSpecification",
    ("AWS::DynamoDB::Table", "s3:*"): "no ImportSourceSpecification (import from S3)",
    ("AWS::DynamoDB::Table", "logs:*"): "no ImportSourceSpecification (its log)",
    ("AWS::DynamoDB::Table", "kinesis:*"): "no KinesisStreamSpecification",
    ("AWS::DynamoDB::Table", "dynamodb:EnableKinesisStreamingDestination"): "no KinesisStreamSpecification",
    ("AWS::DynamoDB::Table", "dynamodb:DisableKinesisStreamingDestination"): "no KinesisStreamSpecification",
    ("AWS::DynamoDB::Table", "dynamodb:UpdateKinesisStreamingDestination"): "no KinesisStreamSpecification",
    ("AWS::DynamoDB::Table", "dynamodb:*TableReplica"): "not a global table",
    ("AWS::DynamoDB::Table", "iam:CreateServiceLinkedRole"): "no replicas or auto scaling",
    ("AWS::Backup::BackupSelection", "iam:CreateServiceLinkedRole"): "the selection names its own role",
    ("AWS::Lambda::Function", "ec2:*"): "no VpcConfig",
    ("AWS::Lambda::Function", "elasticfilesystem:*"): "no FileSystemConfigs",
    ("AWS::Lambda::Function", "s3files:*"): "no FileSystemConfigs",
    ("AWS::Lambda::Function", "kms:*"): "no KmsKeyArn: the AWS-managed key, which Lambda uses itself",
    ("AWS::Lambda::Function", "lambda:GetLayerVersion"): "no Layers",
    ("AWS::Lambda::Function", "lambda:PassCapacityProvider"): "no CapacityProviderConfig",
    ("AWS::Logs::LogGroup", "firehose:*"): "no delivery to Firehose",
    ("AWS::Logs::LogGroup", "logs:CreateLogDelivery"): "no delivery configuration",
    ("AWS::S3::Bucket", "s3tables:*"): "no MetadataConfiguration",
    ("AWS::S3::Bucket", "s3:CreateBucketMetadataTableConfiguration"): "no MetadataConfiguration",
    ("AWS::S3::Bucket", "s3:DeleteBucketMetadataTableConfiguration"): "no MetadataConfiguration",
    ("AWS::S3::Bucket", "s3:UpdateBucketMetadata*"): "no MetadataConfiguration",
    ("AWS::S3::Bucket", "s3:PutObjectAcl"): "ACLs are disabled (BucketOwnerEnforced)",
    ("AWS::S3::Bucket", "s3:DeleteObject"): "CloudFormation never empties a bucket here: they are retained",
    ("AWS::S3::Bucket", "iam:PassRole"): "no ReplicationConfiguration (its role)",
}

# Read-handler permissions the role does not need, and why.
READ_NOT_USED = {
    ("AWS::Lambda::Function", "kms:*"): "no KmsKeyArn: Lambda decrypts with its AWS-managed key itself",
}


def schema_dir():
    return os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas")


def iam_actions():
    """Every IAM action cfn-lint knows, as lower-case "service:action"."""
    path = os.path.join(os.path.dirname(cfnlint.__file__), "data", "AdditionalSpecs", "Policies.json")
    with open(path) as f:
        policies = json.load(f)
    return {f"{service}:{action}" for service, spec in policies.items() for action in spec.get("Actions", {})}


def needed(template, region):
    """(resource type, handler, permission) for every handler permission of every type in the template."""
    base = schema_dir()
    with open(os.path.join(base, "providers", f"{region}.json")) as f:
        registry = json.load(f)
    types = sorted({r["Type"] for r in template["Resources"].values()})
    out = set()
    for kind in types:
        with open(os.path.join(base, "resources", registry[kind] + ".json")) as f:
            schema = json.load(f)
        for handler in HANDLERS:
            for permission in schema.get("handlers", {}).get(handler, {}).get("permissions", []):
                out.add((kind, handler, permission))
    return out


def granted(template):
    role = template["Resources"][ROLE]["Properties"]
    patterns = []
    for policy in role.get("Policies", []):
        statements = policy["PolicyDocument"]["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            assert statement["Effect"] == "Allow", statement
            actions = statement["Action"]
            patterns += actions if isinstance(actions, list) else [actions]
    return patterns


def matches(pattern, permission):
    return fnmatch.fnmatchcase(permission.lower(), pattern.lower())


def main():
    with open(sys.argv[1]) as f:
        template = json.load(f)
    region = os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")
    known = iam_actions()
    all_needed = needed(template, region)
    not_actions = sorted({p for _, _, p in all_needed if p.lower() not in known})
    used_exclusions = set()
    to_grant = set()
    for kind, handler, permission in all_needed:
        if permission.lower() not in known:
            continue
        exclusions = READ_NOT_USED if handler == "read" else NOT_USED
        why = [key for key in exclusions if key[0] == kind and matches(key[1], permission)]
        if why:
            used_exclusions.update(why)
        else:
            to_grant.add((kind, permission))

    patterns = granted(template)
    failures = []
    for pattern in patterns:
        service, _, action = pattern.partition(":")
        if pattern == "*" or action == "*":
            failures.append(f"{ROLE} grants {pattern}: name the actions")
        if not any(matches(pattern, p) for _, p in to_grant):
            failures.append(f"{ROLE} grants {pattern}, which no resource type of the template needs")
    for kind, permission in sorted(to_grant):
        if not any(matches(pattern, permission) for pattern in patterns):
            failures.append(f"{kind} needs {permission}, which {ROLE} does not grant")
    for key in sorted((set(NOT_USED) | set(READ_NOT_USED)) - used_exclusions):
        failures.append(f"{key} is left out, but no resource type needs it any more: remove it")

    if not_actions:
        print(f"{len(not_actions)} permissions in the schemas are not IAM actions, ignored: {', '.join(not_actions)}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    kinds = len({k for k, _ in to_grant})
    print(f"{ROLE}: {len(patterns)} action patterns cover the {len(to_grant)} permissions of {kinds} resource types")


if __name__ == "__main__":
    main()
