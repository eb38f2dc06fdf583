//! The deployment template (`deploy/template.yaml`) against the code, without
//! AWS: what cfn-lint cannot know.
//!
//! - The function's role grants exactly the IAM actions that the AWS adapters
//!   (`src/adapters/aws.rs`) and the Lambda binary (`src/bin/bootstrap.rs`)
//!   need for the SDK operations they call: not one more (least privilege),
//!   not one less (a production-only AccessDenied). Each statement names only
//!   this stack's table, buckets, log group, queue, mail identity,
//!   configuration set and the origin secret's parameter; never `*`.
//! - The function's settings that the SAM resource hides from cfn-lint:
//!   runtime, architecture, handler, reserved concurrency, retries, and an
//!   environment that sets every variable the code reads, and no other; the
//!   origin secret itself never in it.
//! - The store, the buckets (the invoices' lock, the access logs), the routes
//!   through CloudFront and the WAF, the CSP, the schedule, the alarms and the
//!   SES events, as far as the code depends on them; the retention the
//!   privacy statement promises; the GitHub deploy role's trust.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops at the first surprise; that is what unwrap and expect do"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_norway::Value;

// ------------------------------------------------------------------ mapping

/// SDK operations (the fluent builder's name, called on a client) and the
/// IAM actions each needs. An operation the adapters call that is not here
/// fails the test: add it, with its actions from the Service Authorization
/// Reference, and grant them in the template.
const OPERATIONS: &[(&str, &[&str])] = &[
    // DynamoDB
    ("get_item", &["dynamodb:GetItem"]),
    ("put_item", &["dynamodb:PutItem"]),
    ("update_item", &["dynamodb:UpdateItem"]),
    ("delete_item", &["dynamodb:DeleteItem"]),
    ("query", &["dynamodb:Query"]),
    ("scan", &["dynamodb:Scan"]),
    ("batch_get_item", &["dynamodb:BatchGetItem"]),
    ("batch_write_item", &["dynamodb:BatchWriteItem"]),
    // There is no IAM action for the transaction itself: each Put, Update,
    // Delete and ConditionCheck inside it is authorised as PutItem,
    // UpdateItem, DeleteItem and ConditionCheckItem ("Using IAM with
    // DynamoDB transactions"). See TRANSACTION_ITEMS.
    ("transact_write_items", &[]),
    ("transact_get_items", &["dynamodb:GetItem"]),
    // S3
    ("put_object", &["s3:PutObject"]),
    ("get_object", &["s3:GetObject"]),
    ("get_object_tagging", &["s3:GetObjectTagging"]),
    ("head_object", &["s3:GetObject"]),
    ("delete_object", &["s3:DeleteObject"]),
    ("copy_object", &["s3:GetObject", "s3:PutObject"]),
    ("list_objects_v2", &["s3:ListBucket"]),
    // SES v2. SendEmail is authorised as ses:SendEmail; with raw content
    // (EmailContent::raw) SES also checks ses:SendRawEmail (the v1 action of
    // raw sending): see RAW_MAIL below. Both are granted for raw content.
    ("send_email", &["ses:SendEmail"]),
    // SSM Parameter Store (bootstrap.rs: the origin secret). Decrypting a
    // SecureString under the account's aws/ssm key needs no kms:Decrypt of
    // the caller: that key's policy allows the account's principals through
    // SSM.
    ("get_parameter", &["ssm:GetParameter"]),
    ("get_parameters", &["ssm:GetParameters"]),
];

/// The sources whose SDK calls the role must cover.
const SDK_CALLERS: &[&str] = &[
    "function/src/adapters/aws.rs",
    "function/src/bin/bootstrap.rs",
];

/// The items of a DynamoDB transaction, as the adapters build them, and the
/// action each needs.
const TRANSACTION_ITEMS: &[(&str, &str)] = &[
    ("Put::builder()", "dynamodb:PutItem"),
    ("Update::builder()", "dynamodb:UpdateItem"),
    ("Delete::builder()", "dynamodb:DeleteItem"),
    ("ConditionCheck::builder()", "dynamodb:ConditionCheckItem"),
];

/// Raw MIME through SES v2 SendEmail: authorised as ses:SendRawEmail too.
const RAW_MAIL: (&str, &str) = (".raw(", "ses:SendRawEmail");

/// `GetObject` on a missing key answers 404 NoSuchKey only to a caller that
/// may also list the bucket; otherwise 403. The adapter reads NoSuchKey as
/// "no such file" (the port's `Ok(None)`), so it needs s3:ListBucket.
const NO_SUCH_KEY: (&str, &str) = ("is_no_such_key", "s3:ListBucket");

/// Granted without a call in the code: the Lambda runtime writes the logs.
const LOG_ACTIONS: &[&str] = &[
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];

/// Granted without a call in the code: Lambda itself sends a failed
/// asynchronous event to the function's dead-letter queue, as the function.
const DEAD_LETTER_ACTION: &str = "sqs:SendMessage";

/// Environment variables the template may set that config.rs and
/// bootstrap.rs do not read: tracing's filter (EnvFilter's default
/// variable).
const EXTRA_ENV: &[&str] = &["RUST_LOG"];

/// Variables config.rs reads that bootstrap.rs fills from the SSM parameter
/// named by `ORIGIN_VERIFY_SECRET_PARAMETER`: the template must not set them,
/// or the secret would sit in the function's configuration.
const FROM_SSM: &[&str] = &["ORIGIN_VERIFY_SECRET", "ORIGIN_VERIFY_SECRET_NEXT"];

/// CloudFront's managed cache policy "CachingDisabled".
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

// ------------------------------------------------------------------ reading

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

fn read(path: &str) -> String {
    let full = root().join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The source without comment lines (doc comments name operations too).
fn code(path: &str) -> String {
    read(path)
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

struct Template {
    root: Value,
}

impl Template {
    fn load() -> Template {
        Template::load_file("deploy/template.yaml")
    }

    fn load_file(path: &str) -> Template {
        let text = read(path);
        let root: Value =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
        Template { root }
    }

    fn parameter_default(&self, name: &str) -> &Value {
        self.root
            .get("Parameters")
            .and_then(|p| p.get(name))
            .and_then(|p| p.get("Default"))
            .unwrap_or_else(|| panic!("the parameter {name} has no default"))
    }

    fn resources(&self) -> &serde_norway::Mapping {
        self.root
            .get("Resources")
            .and_then(Value::as_mapping)
            .expect("the template has Resources")
    }

    fn resource(&self, id: &str) -> &Value {
        self.resources()
            .get(id)
            .unwrap_or_else(|| panic!("no resource {id}"))
    }

    fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        self.resources()
            .iter()
            .filter(move |(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
            .map(|(id, r)| (id.as_str().expect("a logical id"), r))
    }

    /// The one resource of `kind`.
    fn only<'a>(&'a self, kind: &'a str) -> (&'a str, &'a Value) {
        let all: Vec<_> = self.of_type(kind).collect();
        assert_eq!(all.len(), 1, "expected exactly one {kind}");
        all[0]
    }

    fn is_resource(&self, id: &str) -> bool {
        self.resources().contains_key(id)
    }
}

fn props(resource: &Value) -> &Value {
    resource
        .get("Properties")
        .expect("the resource has Properties")
}

/// The name of an intrinsic (`!Ref x` or `{Ref: x}`) and its argument.
fn intrinsic(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            let name = tag.trim_start_matches('!');
            let name = if name == "Ref" {
                "Ref".to_string()
            } else {
                format!("Fn::{name}")
            };
            Some((name, &t.value))
        }
        Value::Mapping(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next()?;
            let k = k.as_str()?;
            (k == "Ref" || k.starts_with("Fn::")).then(|| (k.to_string(), arg))
        }
        _ => None,
    }
}

/// The logical id `v` refers to: `!Ref X`, `!GetAtt X.Attr`, `!GetAtt [X, Attr]`.
fn target(v: &Value) -> Option<String> {
    let (name, arg) = intrinsic(v)?;
    match (name.as_str(), arg) {
        ("Ref", Value::String(id)) => Some(id.clone()),
        ("Fn::GetAtt", Value::String(s)) => s.split('.').next().map(str::to_string),
        ("Fn::GetAtt", Value::Sequence(parts)) => parts.first()?.as_str().map(str::to_string),
        _ => None,
    }
}

/// Every logical id or parameter named anywhere in `v` (Ref, GetAtt, and the
/// `${X}` / `${X.Attr}` of a Sub).
fn refs(v: &Value, out: &mut BTreeSet<String>) {
    if let Some(id) = target(v) {
        out.insert(id);
    }
    match v {
        Value::Tagged(t) => {
            if let (Some((name, _)), Value::String(s)) = (intrinsic(v), &t.value) {
                if name == "Fn::Sub" {
                    sub_refs(s, out);
                }
            }
            refs(&t.value, out)
        }
        Value::Sequence(items) => {
            if let Some(Value::String(s)) = items.first() {
                sub_refs(s, out);
            }
            items.iter().for_each(|i| refs(i, out))
        }
        Value::Mapping(m) => {
            if let Some(Value::String(s)) = m.get("Fn::Sub") {
                sub_refs(s, out);
            }
            m.values().for_each(|i| refs(i, out))
        }
        _ => {}
    }
}

fn sub_refs(s: &str, out: &mut BTreeSet<String>) {
    let mut rest = s;
    while let Some((_, after)) = rest.split_once("${") {
        let Some((name, tail)) = after.split_once('}') else {
            break;
        };
        if !name.starts_with('!') && !name.starts_with("AWS::") {
            out.insert(name.split('.').next().unwrap_or(name).to_string());
        }
        rest = tail;
    }
}

fn referenced(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    refs(v, &mut out);
    out
}

/// A string or a list of strings, as IAM writes Action and Resource.
fn strings(v: &Value) -> Vec<&Value> {
    match v {
        Value::Sequence(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn bool_true(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

// --------------------------------------------------------- the function

fn function(t: &Template) -> (&str, &Value) {
    t.only("AWS::Serverless::Function")
}

/// The function's environment: variable -> value.
fn environment(t: &Template) -> BTreeMap<String, &Value> {
    let (_, f) = function(t);
    props(f)
        .get("Environment")
        .and_then(|e| e.get("Variables"))
        .and_then(Value::as_mapping)
        .expect("the function has Environment.Variables")
        .iter()
        .map(|(k, v)| (k.as_str().expect("a variable name").to_string(), v))
        .collect()
}

/// The logical id the variable `name` refers to (`!Ref X`).
fn env_target(t: &Template, name: &str) -> String {
    let env = environment(t);
    let value = env.get(name).unwrap_or_else(|| panic!("{name} is not set"));
    target(value).unwrap_or_else(|| panic!("{name} is not a !Ref to a resource"))
}

/// The function's role: its logical id.
fn role_id(t: &Template) -> String {
    let (_, f) = function(t);
    let role = props(f)
        .get("Role")
        .expect("the function names its Role (no SAM-generated role)");
    let id = target(role).expect("Role is !GetAtt <role>.Arn");
    assert_eq!(
        t.resource(&id).get("Type").and_then(Value::as_str),
        Some("AWS::IAM::Role")
    );
    id
}

/// Every Allow statement that applies to the function's role: its inline
/// policies and any AWS::IAM::Policy attached to it.
fn role_statements(t: &Template) -> Vec<&Value> {
    let id = role_id(t);
    let role = props(t.resource(&id));
    assert!(
        role.get("ManagedPolicyArns").is_none(),
        "the role must not attach managed policies: their actions cannot be checked"
    );
    let mut documents: Vec<&Value> = role
        .get("Policies")
        .and_then(Value::as_sequence)
        .map(|ps| {
            ps.iter()
                .map(|p| p.get("PolicyDocument").expect("PolicyDocument"))
                .collect()
        })
        .unwrap_or_default();
    for kind in ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"] {
        for (_, policy) in t.of_type(kind) {
            let p = props(policy);
            let attached = p
                .get("Roles")
                .and_then(Value::as_sequence)
                .is_some_and(|roles| roles.iter().any(|r| target(r).as_deref() == Some(&id)));
            if attached {
                documents.push(p.get("PolicyDocument").expect("PolicyDocument"));
            }
        }
    }
    let mut statements = Vec::new();
    for document in documents {
        let list = document.get("Statement").expect("Statement");
        for statement in strings(list) {
            assert_eq!(
                statement.get("Effect").and_then(Value::as_str),
                Some("Allow"),
                "only Allow statements are expected in the function's role"
            );
            statements.push(statement);
        }
    }
    statements
}

fn statement_actions(statement: &Value) -> Vec<String> {
    assert!(
        statement.get("NotAction").is_none() && statement.get("NotResource").is_none(),
        "NotAction/NotResource grant more than they name"
    );
    strings(statement.get("Action").expect("Action"))
        .into_iter()
        .map(|a| a.as_str().expect("an action is a plain string").to_string())
        .collect()
}

fn granted_actions(t: &Template) -> BTreeSet<String> {
    role_statements(t)
        .into_iter()
        .flat_map(statement_actions)
        .collect()
}

/// The IAM actions the AWS adapters and bootstrap need, from their source.
fn needed_actions() -> BTreeSet<String> {
    let source = SDK_CALLERS
        .iter()
        .map(|path| code(path))
        .collect::<Vec<_>>()
        .join("\n");
    let mut calls = BTreeSet::new();
    // `client` (a field or a variable), then a zero-argument method call:
    // the SDK's fluent builder, `self.client.get_item()`, across lines.
    let mut rest = source.as_str();
    while let Some((head, tail)) = rest.split_once("client") {
        let before = head.chars().next_back();
        rest = tail;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let after = rest.trim_start();
        let Some(call) = after.strip_prefix('.') else {
            continue;
        };
        let name: String = call
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        if !name.is_empty() && call.get(name.len()..).is_some_and(|t| t.starts_with("()")) {
            calls.insert(name);
        }
    }
    assert!(
        calls.len() >= 3,
        "found too few SDK calls in aws.rs ({calls:?}): has the code's shape changed?"
    );
    let mut actions = BTreeSet::new();
    for call in &calls {
        let (_, needs) = OPERATIONS
            .iter()
            .find(|(op, _)| op == call)
            .unwrap_or_else(|| {
                panic!(
                    "{SDK_CALLERS:?} call `.{call}()`, which this test does not know: add it \
                     to OPERATIONS with its IAM actions, and grant them in deploy/template.yaml"
                )
            });
        actions.extend(needs.iter().map(|a| a.to_string()));
    }
    if calls.contains("transact_write_items") {
        for (builder, action) in TRANSACTION_ITEMS {
            if source.contains(builder) {
                actions.insert(action.to_string());
            }
        }
    }
    if calls.contains("send_email") && source.contains(RAW_MAIL.0) {
        actions.insert(RAW_MAIL.1.to_string());
    }
    if calls.contains("get_object") && source.contains(NO_SUCH_KEY.0) {
        actions.insert(NO_SUCH_KEY.1.to_string());
    }
    actions
}

#[test]
fn the_role_grants_exactly_what_the_code_calls() {
    let t = Template::load();
    let granted = granted_actions(&t);
    let needed = needed_actions();
    for action in &granted {
        assert!(
            !action.contains('*'),
            "{action}: no wildcards in the function's actions"
        );
    }
    let missing: Vec<_> = needed.difference(&granted).collect();
    let extra: Vec<_> = granted
        .difference(&needed)
        .filter(|a| !LOG_ACTIONS.contains(&a.as_str()) && a.as_str() != DEAD_LETTER_ACTION)
        .collect();
    assert!(
        missing.is_empty(),
        "the code needs {missing:?}, which the function's role does not grant"
    );
    assert!(
        extra.is_empty(),
        "the function's role grants {extra:?}, which the code does not use"
    );
    // The runtime must be able to write the logs.
    for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
        assert!(granted.contains(action), "{action} is not granted");
    }
}

#[test]
fn each_statement_names_only_this_stacks_resources() {
    let t = Template::load();
    let table = env_target(&t, "TABLE_NAME");
    let bucket = env_target(&t, "BUCKET_NAME");
    let invoices = env_target(&t, "INVOICES_BUCKET_NAME");
    let configuration_set = env_target(&t, "SES_CONFIGURATION_SET");
    let (_, f) = function(&t);
    let dead_letters = props(f)
        .get("DeadLetterQueue")
        .and_then(|d| d.get("TargetArn"))
        .and_then(target)
        .expect("the function has a DeadLetterQueue of this stack");
    let log_group = target(
        props(f)
            .get("LoggingConfig")
            .and_then(|l| l.get("LogGroup"))
            .expect("the function names its log group (LoggingConfig.LogGroup)"),
    )
    .expect("LogGroup is a !Ref");
    let allowed: BTreeMap<&str, BTreeSet<String>> = [
        ("dynamodb", BTreeSet::from([table])),
        ("s3", BTreeSet::from([bucket, invoices.clone()])),
        ("ses", BTreeSet::from([configuration_set])),
        ("logs", BTreeSet::from([log_group])),
        ("sqs", BTreeSet::from([dead_letters])),
        // A parameter, not a resource of the stack: checked below by name.
        ("ssm", BTreeSet::new()),
    ]
    .into_iter()
    .collect();
    for statement in role_statements(&t) {
        let actions = statement_actions(statement);
        let services: BTreeSet<&str> = actions
            .iter()
            .map(|a| a.split(':').next().unwrap_or(""))
            .collect();
        assert_eq!(
            services.len(),
            1,
            "one service per statement, so its resources can be checked: {actions:?}"
        );
        let service = *services.iter().next().expect("a service");
        let expected = allowed
            .get(service)
            .unwrap_or_else(|| panic!("unexpected service {service}"));
        let resource = statement.get("Resource").expect("Resource");
        for r in strings(resource) {
            assert_ne!(r.as_str(), Some("*"), "{actions:?} on every resource");
            let named: BTreeSet<String> = referenced(r)
                .into_iter()
                .filter(|id| t.is_resource(id))
                .collect();
            if service == "ses" && named.is_empty() {
                // The sending domain's identity, built from MailFrom.
                let text = format!("{r:?}");
                assert!(
                    text.contains(":identity/") && text.contains("MailFrom"),
                    "an SES resource that is neither the configuration set nor MailFrom's identity: {text}"
                );
                continue;
            }
            if service == "ssm" {
                // Exactly the parameter ORIGIN_VERIFY_SECRET_PARAMETER names.
                assert_eq!(
                    referenced(r)
                        .into_iter()
                        .filter(|id| !id.starts_with("AWS::"))
                        .collect::<Vec<_>>(),
                    ["OriginVerifySecretParameter"],
                    "{actions:?} on {r:?}"
                );
                assert!(format!("{r:?}").contains(":parameter${OriginVerifySecretParameter}"));
                continue;
            }
            assert!(
                !named.is_empty() && named.is_subset(expected),
                "{actions:?} on {named:?}; expected only {expected:?}"
            );
        }
    }
    // S3 object actions on the objects, ListBucket on the bucket itself; on
    // the invoices only PutObject: what is locked is never read back,
    // replaced or deleted by the function.
    for statement in role_statements(&t) {
        let actions = statement_actions(statement);
        for r in strings(statement.get("Resource").expect("Resource")) {
            if referenced(r).contains(&invoices) {
                assert_eq!(actions, ["s3:PutObject"], "on the invoices bucket");
            }
            let text = format!("{r:?}");
            if actions.iter().any(|a| a.ends_with("Object")) {
                assert!(
                    text.contains("/*"),
                    "{actions:?} must name the objects: {text}"
                );
            }
            if actions.iter().any(|a| a == "s3:ListBucket") {
                assert!(!text.contains("/*"), "ListBucket names the bucket: {text}");
            }
        }
    }
}

#[test]
fn the_function_is_configured_as_the_code_expects() {
    let t = Template::load();
    let (_, f) = function(&t);
    let p = props(f);
    assert_eq!(str_at(p, &["Runtime"]), Some("provided.al2023"));
    assert_eq!(str_at(p, &["Handler"]), Some("bootstrap"));
    let architectures: Vec<_> = p
        .get("Architectures")
        .and_then(Value::as_sequence)
        .expect("Architectures")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(architectures, ["arm64"]);
    // Reserved concurrency caps cost and load, but a new account cannot
    // reserve any: a parameter, default none.
    let reserved = p
        .get("ReservedConcurrentExecutions")
        .expect("ReservedConcurrentExecutions, from the parameter ReservedConcurrency");
    assert!(
        referenced(reserved).contains("ReservedConcurrency"),
        "{reserved:?}"
    );
    assert_eq!(
        t.parameter_default("ReservedConcurrency").as_str(),
        Some(""),
        "no reserved concurrency by default"
    );
    // The schedule's runs are never doubled by Lambda's own retries.
    assert_eq!(
        p.get("EventInvokeConfig")
            .and_then(|c| c.get("MaximumRetryAttempts"))
            .and_then(Value::as_u64),
        Some(0),
        "EventInvokeConfig.MaximumRetryAttempts"
    );
    assert!(
        p.get("Policies").is_none(),
        "SAM Policies would escape the role check: grant in the role"
    );
    let code_uri = str_at(p, &["CodeUri"]).expect("CodeUri");
    assert!(
        code_uri
            .trim_end_matches('/')
            .ends_with("target/lambda/bootstrap"),
        "CodeUri {code_uri} is not cargo-lambda's output folder"
    );
    let timeout = p.get("Timeout").and_then(Value::as_u64).expect("Timeout");
    assert!(
        (10..30).contains(&timeout),
        "Timeout {timeout} s: below CloudFront's 30 s"
    );
    // A claim on a pending mail that runs out must belong to a sender
    // that is gone, or two could send it.
    let lease = cbt_function::outbox::MAIL_LEASE.num_seconds();
    assert!(
        u64::try_from(lease).is_ok_and(|l| l > timeout),
        "MAIL_LEASE {lease} s must outlast the Timeout of {timeout} s"
    );
}

/// The variables config.rs and bootstrap.rs read: the upper-case string
/// literals they pass to `required`, `optional`, `number`, `secret` and
/// `vars.get`.
fn variables_read() -> BTreeSet<String> {
    let config = code("function/src/config.rs");
    let config = config.split("#[cfg(test)]").next().unwrap_or(&config);
    let bootstrap = code("function/src/bin/bootstrap.rs");
    let mut names = BTreeSet::new();
    for source in [config, bootstrap.as_str()] {
        for call in [
            "required(\"",
            "optional(\"",
            "number(\"",
            "secret(\"",
            "vars.get(\"",
        ] {
            let mut rest = source;
            while let Some((_, tail)) = rest.split_once(call) {
                rest = tail;
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !name.is_empty() && rest.get(name.len()..).is_some_and(|t| t.starts_with('"')) {
                    names.insert(name);
                }
            }
        }
    }
    names
}

#[test]
fn the_environment_sets_every_variable_the_code_reads() {
    let t = Template::load();
    let read = variables_read();
    for name in [
        "MAIL_FROM",
        "SITE_URL",
        "TABLE_NAME",
        "BUCKET_NAME",
        "INVOICES_BUCKET_NAME",
        "ORIGIN_VERIFY_SECRET_PARAMETER",
    ]
    .iter()
    .chain(FROM_SSM)
    {
        assert!(read.contains(*name), "the scan missed {name}: {read:?}");
    }
    let env = environment(&t);
    for name in FROM_SSM {
        assert!(
            !env.contains_key(*name),
            "the template sets {name}: the secret belongs in SSM, read through ORIGIN_VERIFY_SECRET_PARAMETER"
        );
    }
    for name in read.iter().filter(|n| !FROM_SSM.contains(&n.as_str())) {
        let value = env
            .get(name)
            .unwrap_or_else(|| panic!("the code reads {name}; the template does not set it"));
        assert!(
            !value.is_null() && value.as_str() != Some(""),
            "{name} is set empty: the function would not start"
        );
    }
    for name in env.keys() {
        assert!(
            read.contains(name) || EXTRA_ENV.contains(&name.as_str()),
            "the template sets {name}, which the code does not read"
        );
    }
}

// ------------------------------------------------------- store and files

#[test]
fn the_table_has_the_adapters_keys_ttl_and_recovery() {
    let t = Template::load();
    let table_id = env_target(&t, "TABLE_NAME");
    let table = t.resource(&table_id);
    assert_eq!(
        table.get("Type").and_then(Value::as_str),
        Some("AWS::DynamoDB::Table")
    );
    let p = props(table);
    let source = code("function/src/adapters/aws.rs");
    let ttl = str_at(p, &["TimeToLiveSpecification", "AttributeName"]).expect("TTL");
    assert_eq!(ttl, "expires_at");
    assert!(
        source.contains(&format!("\"{ttl}\"")),
        "aws.rs does not write {ttl}"
    );
    assert!(bool_true(
        p.get("TimeToLiveSpecification")
            .and_then(|s| s.get("Enabled"))
    ));
    assert!(
        bool_true(
            p.get("PointInTimeRecoverySpecification")
                .and_then(|s| s.get("PointInTimeRecoveryEnabled"))
        ),
        "point-in-time recovery"
    );
    assert!(
        bool_true(p.get("SSESpecification").and_then(|s| s.get("SSEEnabled"))),
        "encryption"
    );
    assert_eq!(str_at(p, &["BillingMode"]), Some("PAY_PER_REQUEST"));
    let keys: Vec<(String, String)> = p
        .get("KeySchema")
        .and_then(Value::as_sequence)
        .expect("KeySchema")
        .iter()
        .map(|k| {
            (
                str_at(k, &["AttributeName"]).unwrap_or("").to_string(),
                str_at(k, &["KeyType"]).unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("pk".to_string(), "HASH".to_string()),
            ("sk".to_string(), "RANGE".to_string())
        ]
    );
    for def in p
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .expect("AttributeDefinitions")
    {
        assert_eq!(str_at(def, &["AttributeType"]), Some("S"), "string keys");
    }
}

#[test]
fn buckets_are_private_and_encrypted_and_drafts_expire() {
    let t = Template::load();
    let buckets: Vec<_> = t.of_type("AWS::S3::Bucket").collect();
    assert!(buckets.len() >= 2, "the site and the uploads");
    for (id, bucket) in &buckets {
        let p = props(bucket);
        let block = p
            .get("PublicAccessBlockConfiguration")
            .unwrap_or_else(|| panic!("{id}: no PublicAccessBlockConfiguration"));
        for setting in [
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ] {
            assert!(bool_true(block.get(setting)), "{id}: {setting}");
        }
        assert!(p.get("BucketEncryption").is_some(), "{id}: encryption");
    }
    // The uploads: a lifecycle rule for drafts/ (the handler's key prefix).
    let drafts = code("function/src/drafts.rs");
    assert!(
        drafts.contains("\"drafts/"),
        "the function no longer writes under drafts/: adapt the lifecycle rule"
    );
    let uploads = t.resource(&env_target(&t, "BUCKET_NAME"));
    let rules = props(uploads)
        .get("LifecycleConfiguration")
        .and_then(|l| l.get("Rules"))
        .and_then(Value::as_sequence)
        .expect("the uploads bucket has lifecycle rules");
    let drafts = rules
        .iter()
        .find(|r| {
            str_at(r, &["Prefix"]) == Some("drafts/")
                || str_at(r, &["Filter", "Prefix"]) == Some("drafts/")
        })
        .expect("a lifecycle rule for drafts/");
    assert!(drafts.get("ExpirationInDays").is_some(), "drafts/ expire");
    // A sent application's document waits under unconfirmed/ as long as
    // retention.toml keeps an unconfirmed application, and a day for S3's
    // counting from the next midnight: not less, or a confirmation finds
    // it gone; not much more, or the privacy statement is untrue.
    let source = code("function/src/drafts.rs");
    assert!(
        source.contains("\"unconfirmed\""),
        "the function no longer keeps sent documents under unconfirmed/: adapt the lifecycle rule"
    );
    let unconfirmed = rules
        .iter()
        .find(|r| str_at(r, &["Prefix"]) == Some("unconfirmed/"))
        .expect("a lifecycle rule for unconfirmed/");
    let days = unconfirmed
        .get("ExpirationInDays")
        .and_then(Value::as_u64)
        .expect("unconfirmed/ expires after a number of days");
    let kept = u64::from(
        cbt::embedded_rules()
            .expect("rules")
            .retention
            .unconfirmed_days,
    );
    assert_eq!(
        days,
        kept + 1,
        "unconfirmed/ expires a day after unconfirmed_days"
    );
}

// --------------------------------------------------------------- CloudFront

/// CloudFront's path pattern match: `*` any run of characters, `?` one.
fn matches(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

/// The routes the function answers, from its own table, and a sample of
/// the applicant's pages under their prefix.
fn routes() -> Vec<(String, String)> {
    use cbt_function::routes::{CASE_METHODS, CASE_PREFIX};
    let mut routes: Vec<(String, String)> = cbt_function::routes::ROUTES
        .iter()
        .map(|(method, path, _)| (method.to_string(), path.to_string()))
        .collect();
    for method in CASE_METHODS {
        for page in ["link", "0123abcd/wijzigen", "0123abcd/document/0"] {
            routes.push((method.to_string(), format!("{CASE_PREFIX}/{page}")));
        }
    }
    // The workspace: its pages and actions.
    for (method, page) in [
        ("GET", ""),
        ("GET", "/aanmelden"),
        ("POST", "/aanmelden"),
        ("POST", "/aanmelden/0123abcd"),
        ("GET", "/zaak/CBT-2027-0001"),
        ("POST", "/zaak/CBT-2027-0001/betaling"),
        ("GET", "/medewerkers"),
    ] {
        routes.push((
            method.to_string(),
            format!("{}{page}", cbt::workspace::PREFIX),
        ));
    }
    // The links of the address check: a page and its button.
    for method in ["GET", "POST"] {
        routes.push((
            method.to_string(),
            format!("{}/0123abcd", cbt_function::addresses::PREFIX),
        ));
    }
    routes
}

/// The site's pages, from content/: they must stay with the site's origin.
fn pages() -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("content/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                let rel = path.strip_prefix(base).expect("under content/");
                let rel = rel.with_extension("");
                let rel = rel.to_string_lossy().replace('\\', "/");
                let rel = rel.trim_end_matches("_index").trim_end_matches('/');
                out.push(if rel.is_empty() {
                    "/".to_string()
                } else {
                    format!("/{rel}/")
                });
            }
        }
    }
    let base = root().join("content");
    let mut out = Vec::new();
    walk(&base, &base, &mut out);
    out
}

#[test]
fn cloudfront_sends_the_forms_to_the_function_and_the_pages_to_the_site() {
    let t = Template::load();
    let (_, distribution) = t.only("AWS::CloudFront::Distribution");
    let config = props(distribution)
        .get("DistributionConfig")
        .expect("DistributionConfig");
    let (function_id, _) = function(&t);
    let origins = config
        .get("Origins")
        .and_then(Value::as_sequence)
        .expect("Origins");
    let function_origin = origins
        .iter()
        .find(|o| {
            referenced(o.get("DomainName").expect("DomainName"))
                .iter()
                .any(|id| id.starts_with(function_id) && id.ends_with("Url"))
        })
        .and_then(|o| str_at(o, &["Id"]))
        .expect("an origin on the function's URL");
    let default = config
        .get("DefaultCacheBehavior")
        .expect("DefaultCacheBehavior");
    let behaviours: Vec<&Value> = config
        .get("CacheBehaviors")
        .and_then(Value::as_sequence)
        .map(|b| b.iter().collect())
        .unwrap_or_default();
    let behaviour_for = |path: &str| -> &Value {
        behaviours
            .iter()
            .copied()
            .find(|b| matches(str_at(b, &["PathPattern"]).unwrap_or(""), path))
            .unwrap_or(default)
    };

    let routes = routes();
    assert!(routes.len() >= 5, "the handler's routes: {routes:?}");
    let policies: BTreeMap<&str, &Value> =
        t.of_type("AWS::CloudFront::OriginRequestPolicy").collect();
    for (method, path) in &routes {
        let b = behaviour_for(path);
        assert_eq!(
            str_at(b, &["TargetOriginId"]),
            Some(function_origin),
            "{method} {path} does not reach the function"
        );
        let methods: Vec<_> = b
            .get("AllowedMethods")
            .and_then(Value::as_sequence)
            .expect("AllowedMethods")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            methods.contains(&method.as_str()),
            "{method} {path}: {methods:?}"
        );
        assert_eq!(
            str_at(b, &["CachePolicyId"]),
            Some(CACHING_DISABLED),
            "{path}: the function's answers are never cached"
        );
        let policy_id = target(
            b.get("OriginRequestPolicyId")
                .expect("OriginRequestPolicyId"),
        )
        .expect("an origin request policy of this template");
        let policy = props(policies[policy_id.as_str()])
            .get("OriginRequestPolicyConfig")
            .expect("OriginRequestPolicyConfig");
        let headers: Vec<String> = policy
            .get("HeadersConfig")
            .and_then(|h| h.get("Headers"))
            .and_then(Value::as_sequence)
            .expect("forwarded headers")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect();
        for needed in ["origin", "content-type", "accept"] {
            assert!(
                headers.iter().any(|h| h == needed),
                "{path}: {needed} is not forwarded"
            );
        }
        assert!(
            !headers.iter().any(|h| h == "host"),
            "Host must not be forwarded to a Function URL"
        );
        assert_eq!(
            str_at(policy, &["QueryStringsConfig", "QueryStringBehavior"]),
            Some("all"),
            "concept=... must reach the function"
        );
    }
    let pages = pages();
    assert!(
        pages.iter().any(|p| p == "/contact/"),
        "the pages: {pages:?}"
    );
    for page in pages.iter().chain(&["/assets/style.css".to_string()]) {
        assert_ne!(
            str_at(behaviour_for(page), &["TargetOriginId"]),
            Some(function_origin),
            "the site's page {page} would go to the function"
        );
    }
}

#[test]
fn every_answer_carries_a_strict_csp() {
    let t = Template::load();
    let (policy_id, policy) = t.only("AWS::CloudFront::ResponseHeadersPolicy");
    let security = props(policy)
        .get("ResponseHeadersPolicyConfig")
        .and_then(|c| c.get("SecurityHeadersConfig"))
        .expect("SecurityHeadersConfig");
    let csp = str_at(
        security,
        &["ContentSecurityPolicy", "ContentSecurityPolicy"],
    )
    .expect("a Content-Security-Policy");
    let directives: BTreeMap<&str, Vec<&str>> = csp
        .split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            Some((words.next()?, words.collect()))
        })
        .collect();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(
        directives.get("default-src"),
        Some(&vec!["'self'"]),
        "{csp}"
    );
    assert_eq!(
        directives.get("frame-ancestors"),
        Some(&vec!["'none'"]),
        "{csp}"
    );
    assert!(
        directives
            .get("form-action")
            .is_some_and(|d| d.contains(&"'self'")),
        "form-action must allow 'self': {csp}"
    );
    assert!(bool_true(
        security
            .get("ContentSecurityPolicy")
            .and_then(|c| c.get("Override"))
    ));
    assert!(security.get("StrictTransportSecurity").is_some(), "HSTS");
    assert!(security.get("ContentTypeOptions").is_some(), "nosniff");
    assert!(security.get("ReferrerPolicy").is_some(), "Referrer-Policy");

    // On every behaviour, the function's included.
    let (_, distribution) = t.only("AWS::CloudFront::Distribution");
    let config = props(distribution)
        .get("DistributionConfig")
        .expect("DistributionConfig");
    let mut behaviours = vec![config.get("DefaultCacheBehavior").expect("default")];
    if let Some(list) = config.get("CacheBehaviors").and_then(Value::as_sequence) {
        behaviours.extend(list);
    }
    for b in behaviours {
        assert_eq!(
            b.get("ResponseHeadersPolicyId").and_then(target).as_deref(),
            Some(policy_id),
            "a behaviour without the security headers: {b:?}"
        );
    }
}

// --------------------------------------------------------- retry and alarms

/// The metric filters of the function's log group: logical id -> properties.
fn metric_filters(t: &Template) -> BTreeMap<&str, &Value> {
    t.of_type("AWS::Logs::MetricFilter")
        .map(|(id, f)| (id, props(f)))
        .collect()
}

/// The alarm on `metric` (in the stack's namespace), if any.
fn alarm_on<'a>(t: &'a Template, metric: &str) -> Option<&'a Value> {
    t.of_type("AWS::CloudWatch::Alarm")
        .map(|(_, a)| props(a))
        .find(|a| str_at(a, &["MetricName"]) == Some(metric) && a.get("AlarmActions").is_some())
}

/// The filter whose pattern is exactly `pattern`, and its one transformation.
fn filter_with<'a>(t: &'a Template, pattern: &str, metric_value: &str) -> &'a Value {
    let found: Vec<&Value> = metric_filters(t)
        .into_values()
        .filter(|f| str_at(f, &["FilterPattern"]) == Some(pattern))
        .flat_map(|f| {
            f.get("MetricTransformations")
                .and_then(Value::as_sequence)
                .expect("MetricTransformations")
        })
        .filter(|m| str_at(m, &["MetricValue"]) == Some(metric_value))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one metric filter {pattern} with the value {metric_value}"
    );
    found[0]
}

/// Whether `source` logs the message `message` with the field `field` in
/// one tracing macro call (`field = value` or a bare `field,`).
fn logs_field(source: &str, message: &str, field: &str) -> bool {
    source.split("tracing::").any(|call| {
        let call = call.split(';').next().unwrap_or("");
        call.contains(&format!("\"{message}\""))
            && call.match_indices(field).any(|(at, _)| {
                let before = call.get(..at).and_then(|b| b.chars().next_back());
                let after = call.get(at + field.len()..).unwrap_or("").trim_start();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && (after.starts_with('=') || after.starts_with(','))
            })
    })
}

#[test]
fn the_schedule_and_the_alarms_match_what_the_function_logs() {
    let t = Template::load();
    let (function_id, f) = function(&t);
    let events = props(f)
        .get("Events")
        .and_then(Value::as_mapping)
        .expect("the function has Events");
    assert!(
        events.values().any(|e| {
            matches!(str_at(e, &["Type"]), Some("Schedule" | "ScheduleV2"))
                && str_at(e, &["Properties", "Schedule"])
                    .or_else(|| str_at(e, &["Properties", "ScheduleExpression"]))
                    == Some("rate(15 minutes)")
        }),
        "a schedule every 15 minutes (the pending-mail retry)"
    );

    let alarms: Vec<&Value> = t
        .of_type("AWS::CloudWatch::Alarm")
        .map(|(_, a)| props(a))
        .collect();
    for metric in ["Errors", "Throttles"] {
        assert!(
            alarms.iter().any(|a| {
                str_at(a, &["Namespace"]) == Some("AWS/Lambda")
                    && str_at(a, &["MetricName"]) == Some(metric)
                    && a.get("Dimensions")
                        .is_some_and(|d| referenced(d).contains(function_id))
                    && a.get("AlarmActions").is_some()
            }),
            "an alarm on the function's {metric}"
        );
    }

    // Every filter reads the function's own log group, which keeps logs for
    // a limited time, and every metric it makes has an alarm.
    let group = props(f)
        .get("LoggingConfig")
        .and_then(|l| l.get("LogGroup"))
        .and_then(target)
        .expect("the function names its log group");
    assert!(
        props(t.resource(&group)).get("RetentionInDays").is_some(),
        "log retention"
    );
    let filters = metric_filters(&t);
    assert!(filters.len() >= 4, "{:?}", filters.keys());
    for (id, filter) in &filters {
        let logged_to = target(filter.get("LogGroupName").expect("LogGroupName"));
        assert_eq!(logged_to.as_deref(), Some(group.as_str()), "{id}");
        for m in filter
            .get("MetricTransformations")
            .and_then(Value::as_sequence)
            .expect("MetricTransformations")
        {
            let metric = str_at(m, &["MetricName"]).expect("MetricName");
            assert!(alarm_on(&t, metric).is_some(), "{id}: no alarm on {metric}");
        }
    }

    let bootstrap = code("function/src/bin/bootstrap.rs");
    let responses = code("function/src/responses.rs");

    // Error-level lines: tracing's JSON format writes the level as "ERROR".
    filter_with(&t, r#"{ $.level = "ERROR" }"#, "1");
    assert!(
        bootstrap.contains(".json()"),
        "bootstrap.rs no longer logs JSON: the filters read JSON fields"
    );

    // 503s: Failure::log writes the failure's status with "request failed".
    filter_with(
        &t,
        r#"{ $.fields.message = "request failed" && $.fields.status = 503 }"#,
        "1",
    );
    assert!(
        logs_field(&responses, "request failed", "status"),
        "responses.rs no longer logs \"request failed\" with its status"
    );

    // The pending mail: the exact age of the oldest, from the retry's line.
    let retried = r#"{ $.fields.message = "retried pending mail" }"#;
    let age = filter_with(&t, retried, "$.fields.oldest_pending_age_seconds");
    assert!(
        logs_field(
            &bootstrap,
            "retried pending mail",
            "oldest_pending_age_seconds"
        ),
        "bootstrap.rs does not log oldest_pending_age_seconds with \"retried pending mail\""
    );
    let age_alarm = alarm_on(&t, str_at(age, &["MetricName"]).expect("MetricName"))
        .expect("an alarm on the age");
    assert_eq!(
        age_alarm.get("Threshold").and_then(Value::as_u64),
        Some(3600),
        "pending an hour"
    );
    assert_eq!(
        str_at(age_alarm, &["ComparisonOperator"]),
        Some("GreaterThanOrEqualToThreshold")
    );
    assert_eq!(str_at(age_alarm, &["Statistic"]), Some("Maximum"));

    // The heartbeat: a run that did not happen logs nothing, so missing
    // data is the alarm.
    let runs = filter_with(&t, retried, "1");
    let heartbeat = alarm_on(&t, str_at(runs, &["MetricName"]).expect("MetricName"))
        .expect("an alarm on the retry's heartbeat");
    assert_eq!(str_at(heartbeat, &["TreatMissingData"]), Some("breaching"));
    assert_eq!(
        str_at(heartbeat, &["ComparisonOperator"]),
        Some("LessThanThreshold")
    );
}

#[test]
fn ses_reputation_alarms_and_events_reach_the_function() {
    let t = Template::load();
    for (metric, threshold) in [
        ("Reputation.BounceRate", 0.05),
        ("Reputation.ComplaintRate", 0.001),
    ] {
        let alarm = t
            .of_type("AWS::CloudWatch::Alarm")
            .map(|(_, a)| props(a))
            .find(|a| {
                str_at(a, &["Namespace"]) == Some("AWS/SES")
                    && str_at(a, &["MetricName"]) == Some(metric)
            })
            .unwrap_or_else(|| panic!("an alarm on {metric}"));
        assert_eq!(
            alarm.get("Threshold").and_then(Value::as_f64),
            Some(threshold),
            "{metric}"
        );
        assert_eq!(
            str_at(alarm, &["ComparisonOperator"]),
            Some("GreaterThanThreshold")
        );
        assert!(alarm.get("AlarmActions").is_some());
    }

    // The configuration set the function sends with publishes bounces,
    // complaints and delays to a topic the function is subscribed to.
    let configuration_set = env_target(&t, "SES_CONFIGURATION_SET");
    let (_, destination) = t.only("AWS::SES::ConfigurationSetEventDestination");
    let destination = props(destination);
    assert_eq!(
        destination.get("ConfigurationSetName").and_then(target),
        Some(configuration_set)
    );
    let types: BTreeSet<&str> = destination
        .get("EventDestination")
        .and_then(|d| d.get("MatchingEventTypes"))
        .and_then(Value::as_sequence)
        .expect("MatchingEventTypes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        types,
        BTreeSet::from(["bounce", "complaint", "deliveryDelay"])
    );
    let topic = destination
        .get("EventDestination")
        .and_then(|d| d.get("SnsDestination"))
        .and_then(|d| d.get("TopicARN"))
        .and_then(target)
        .expect("an SNS destination of this stack");
    let (_, f) = function(&t);
    assert!(
        props(f)
            .get("Events")
            .and_then(Value::as_mapping)
            .expect("Events")
            .values()
            .any(|e| str_at(e, &["Type"]) == Some("SNS")
                && e.get("Properties")
                    .and_then(|p| p.get("Topic"))
                    .and_then(target)
                    .as_deref()
                    == Some(topic.as_str())),
        "the function is subscribed to {topic}"
    );
    // SES may publish to it (and only for this account).
    assert!(
        t.of_type("AWS::SNS::TopicPolicy").any(|(_, p)| {
            let p = props(p);
            referenced(p.get("Topics").expect("Topics")).contains(&topic)
                && format!("{:?}", p.get("PolicyDocument")).contains("ses.amazonaws.com")
        }),
        "a topic policy letting SES publish to {topic}"
    );
}

// ------------------------------------------------------- what must be kept

#[test]
fn invoices_are_locked_in_a_bucket_of_their_own() {
    let t = Template::load();
    let invoices = env_target(&t, "INVOICES_BUCKET_NAME");
    assert_ne!(invoices, env_target(&t, "BUCKET_NAME"));
    let bucket = t.resource(&invoices);
    assert_eq!(
        bucket.get("DeletionPolicy").and_then(Value::as_str),
        Some("Retain")
    );
    let p = props(bucket);
    assert!(bool_true(p.get("ObjectLockEnabled")));
    let retention = p
        .get("ObjectLockConfiguration")
        .and_then(|c| c.get("Rule"))
        .and_then(|r| r.get("DefaultRetention"))
        .expect("a default retention");
    assert_eq!(str_at(retention, &["Mode"]), Some("COMPLIANCE"));
    let days = retention
        .get("Years")
        .and_then(Value::as_u64)
        .map(|y| y * 365)
        .or_else(|| retention.get("Days").and_then(Value::as_u64))
        .expect("Years or Days");
    assert!(days >= 7 * 365, "locked for {days} days: at least 7 years");
    assert_eq!(
        str_at(p, &["VersioningConfiguration", "Status"]),
        Some("Enabled")
    );
    // Nothing removes an invoice before the lock ends.
    for rule in p
        .get("LifecycleConfiguration")
        .and_then(|l| l.get("Rules"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        if let Some(after) = rule.get("ExpirationInDays").and_then(Value::as_u64) {
            assert!(after >= days, "invoices expire after {after} days");
        }
    }

    // The function writes the invoices where bootstrap sends that prefix.
    let outbox = code("function/src/outbox.rs");
    let bootstrap = code("function/src/bin/bootstrap.rs");
    assert!(
        outbox.contains("format!(\"invoices/"),
        "outbox.rs no longer keeps the invoice under invoices/"
    );
    assert!(
        bootstrap.contains("const INVOICES_PREFIX: &str = \"invoices/\";"),
        "bootstrap.rs must send the keys under invoices/ to INVOICES_BUCKET_NAME"
    );
}

/// The number `days` in the privacy statement's Dutch, as "N dagen".
fn promises_days(statement: &str, days: u64) -> bool {
    statement.contains(&format!("{days} dagen"))
}

#[test]
fn retention_matches_the_privacy_statement() {
    let t = Template::load();
    let statement = read("content/privacyverklaring.md");
    let log_days = t
        .parameter_default("LogRetentionDays")
        .as_u64()
        .expect("LogRetentionDays");
    // The statement says the logs' period as written in retention.toml
    // ({{ bewaren.logs }}, "30 dagen" on the page), which must be the
    // stack's.
    let rules = cbt::embedded_rules().expect("rules");
    assert_eq!(
        u64::from(rules.retention.logs_days),
        log_days,
        "retention.toml's logs_days is not the stack's LogRetentionDays"
    );
    assert!(
        promises_days(&statement, log_days) || statement.contains("{{ bewaren.logs }}"),
        "the privacy statement does not say {log_days} dagen for logs"
    );
    let backup_days = t
        .parameter_default("TableBackupRetentionDays")
        .as_u64()
        .expect("TableBackupRetentionDays");
    assert!(
        promises_days(&statement, backup_days) && statement.contains("reservekopie"),
        "the privacy statement does not say backups are kept {backup_days} dagen"
    );
    assert!(
        statement.contains("toegangslog"),
        "the privacy statement does not mention the access logs"
    );

    // The uploads' access logs go to a bucket that keeps them LogRetentionDays.
    let uploads = t.resource(&env_target(&t, "BUCKET_NAME"));
    let logs = props(uploads)
        .get("LoggingConfiguration")
        .and_then(|l| l.get("DestinationBucketName"))
        .and_then(target)
        .expect("the uploads bucket logs its access to a bucket of this stack");
    let expire = props(t.resource(&logs))
        .get("LifecycleConfiguration")
        .and_then(|l| l.get("Rules"))
        .and_then(Value::as_sequence)
        .expect("the log bucket has lifecycle rules")
        .iter()
        .find_map(|r| r.get("ExpirationInDays").and_then(target))
        .expect("the access logs expire");
    assert_eq!(expire, "LogRetentionDays");

    // The table's backups, kept TableBackupRetentionDays.
    let table = env_target(&t, "TABLE_NAME");
    let (_, selection) = t.only("AWS::Backup::BackupSelection");
    assert!(referenced(props(selection)).contains(&table));
    let (_, plan) = t.only("AWS::Backup::BackupPlan");
    assert!(
        referenced(props(plan)).contains("TableBackupRetentionDays"),
        "the backups are deleted after TableBackupRetentionDays"
    );
}

// --------------------------------------------------------- WAF and deploying

#[test]
fn the_waf_rate_limits_every_post_route() {
    let waf = Template::load_file("deploy/waf.yaml");
    let (_, acl) = waf.only("AWS::WAFv2::WebACL");
    let p = props(acl);
    assert_eq!(str_at(p, &["Scope"]), Some("CLOUDFRONT"));
    let rate = p
        .get("Rules")
        .and_then(Value::as_sequence)
        .expect("Rules")
        .iter()
        .find_map(|r| r.get("Statement").and_then(|s| s.get("RateBasedStatement")))
        .expect("a rate-based rule");
    assert_eq!(str_at(rate, &["AggregateKeyType"]), Some("IP"));
    // The paths it counts: (positional constraint, search string).
    fn byte_matches(v: &Value, out: &mut Vec<(String, String)>) {
        if let Some(b) = v.get("ByteMatchStatement") {
            out.push((
                str_at(b, &["PositionalConstraint"])
                    .unwrap_or("")
                    .to_string(),
                str_at(b, &["SearchString"]).unwrap_or("").to_string(),
            ));
        }
        match v {
            Value::Mapping(m) => m.values().for_each(|x| byte_matches(x, out)),
            Value::Sequence(s) => s.iter().for_each(|x| byte_matches(x, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    byte_matches(rate.get("ScopeDownStatement").expect("a scope"), &mut found);
    assert!(found.contains(&("EXACTLY".to_string(), "POST".to_string())));
    for (method, path) in routes() {
        if method != "POST" {
            continue;
        }
        assert!(
            found.iter().any(|(how, what)| match how.as_str() {
                "EXACTLY" => *what == path,
                "STARTS_WITH" => path.starts_with(what.as_str()),
                _ => false,
            }),
            "the WAF's rate rule does not count POST {path}"
        );
    }
    // The main stack takes its ARN.
    let t = Template::load();
    let (_, distribution) = t.only("AWS::CloudFront::Distribution");
    assert!(referenced(props(distribution)).contains("WebAclArn"));
}

#[test]
fn github_deploys_only_from_main_without_keys() {
    let t = Template::load();
    let role = props(t.resource("GitHubDeployRole"));
    let trust = role
        .get("AssumeRolePolicyDocument")
        .and_then(|d| d.get("Statement"))
        .map(strings)
        .expect("a trust policy");
    assert_eq!(trust.len(), 1);
    let trust = trust[0];
    assert_eq!(
        str_at(trust, &["Action"]),
        Some("sts:AssumeRoleWithWebIdentity")
    );
    let equals = trust
        .get("Condition")
        .and_then(|c| c.get("StringEquals"))
        .expect("StringEquals, not StringLike: no wildcard in the subject");
    assert_eq!(
        str_at(equals, &["token.actions.githubusercontent.com:aud"]),
        Some("sts.amazonaws.com")
    );
    let sub = format!(
        "{:?}",
        equals
            .get("token.actions.githubusercontent.com:sub")
            .expect("the subject")
    );
    assert!(
        sub.contains("repo:${GitHubRepository}:ref:refs/heads/main"),
        "{sub}"
    );
    // Least privilege: no action on every resource, and it hands the stack
    // only to CloudFormation, as the execution role.
    for statement in role
        .get("Policies")
        .and_then(Value::as_sequence)
        .expect("Policies")
        .iter()
        .flat_map(|p| {
            strings(
                p.get("PolicyDocument")
                    .and_then(|d| d.get("Statement"))
                    .expect("Statement"),
            )
        })
    {
        let actions = statement_actions(statement);
        for r in strings(statement.get("Resource").expect("Resource")) {
            assert_ne!(r.as_str(), Some("*"), "{actions:?} on every resource");
        }
        for a in &actions {
            assert!(
                !a.contains('*'),
                "{a}: no wildcard actions in the deploy role"
            );
        }
        if actions.iter().any(|a| a == "iam:PassRole") {
            assert_eq!(
                statement.get("Resource").and_then(target).as_deref(),
                Some("CloudFormationExecutionRole")
            );
            assert_eq!(
                str_at(
                    statement,
                    &["Condition", "StringEquals", "iam:PassedToService"]
                ),
                Some("cloudformation.amazonaws.com")
            );
        }
    }
    // Only CloudFormation may act as the execution role.
    let exec = props(t.resource("CloudFormationExecutionRole"));
    let principal = exec
        .get("AssumeRolePolicyDocument")
        .and_then(|d| d.get("Statement"))
        .map(strings)
        .and_then(|s| s.first().copied())
        .and_then(|s| str_at(s, &["Principal", "Service"]));
    assert_eq!(principal, Some("cloudformation.amazonaws.com"));
}
