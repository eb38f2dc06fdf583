//! The Lambda: the form intake over DynamoDB, S3 and SES v2.
//!
//! Environment: everything [`Config::from_vars`] reads (`MAIL_FROM`,
//! `SITE_URL`, ...), plus `TABLE_NAME` (the DynamoDB table), `BUCKET_NAME`
//! (the uploads bucket) and optionally `INVOICES_BUCKET_NAME` (the invoices'
//! own bucket, under S3 Object Lock: the keys under `invoices/` go there),
//! `SES_CONFIGURATION_SET` and `ORIGIN_VERIFY_SECRET_PARAMETER` (the SSM
//! parameter holding the origin secret, read once at start:
//! [`ORIGIN_SECRET_PARAMETER`]). A missing or malformed variable stops the
//! start with a message naming it.
//!
//! Events:
//! - an HTTP event (payload format 2.0: Function URL or HTTP API) is a
//!   request for [`event::handle_event`];
//! - an EventBridge scheduled event (`"source": "aws.events"`,
//!   `"detail-type": "Scheduled Event"`) runs the schedule
//!   ([`cbt_function::schedule::run`]: reminders, the daily digest,
//!   retention, the mail retry); its report is the result, and an error is
//!   a Lambda error, so the errors alarm fires.
//! - an SNS notification (SES's bounce, complaint and delivery-delay events
//!   of the configuration set) is kept with the mail it is about, and a
//!   bounce or complaint mailed to the secretariat
//!   ([`cbt_function::delivery`]).
//!
//! Logs are JSON lines without colours; they carry no personal data (no
//! form values, no addresses).

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ssm::error::DisplayErrorContext;
use cbt_function::adapters::aws::{DynamoStore, S3Files, SesMailer};
use cbt_function::config::{Config, ORIGIN_SECRET_PARAMETER};
use cbt_function::event;
use cbt_function::handler::{App, Clock};
use cbt_function::ports::{Files, FilesError, Scan};
use lambda_http::{lambda_runtime, service_fn, Error, LambdaEvent};
use serde_json::Value;
use tracing_subscriber::EnvFilter;

type AwsApp = App<DynamoStore, SesMailer, Buckets>;

/// Where the outbox keeps the invoice PDF as sent (`outbox.rs`).
const INVOICES_PREFIX: &str = "invoices/";

/// The function's files: the uploads bucket, and for the keys under
/// [`INVOICES_PREFIX`] the invoices' own bucket, whose Object Lock keeps
/// every version 7 years, beyond the reach of a mistake or of stolen keys
/// (deploy/template.yaml, InvoicesBucket). Without `INVOICES_BUCKET_NAME`
/// (a local run) everything goes to the uploads bucket. The function's role
/// may only write to the invoices' bucket: a `get` of an invoice would be
/// refused.
struct Buckets {
    uploads: S3Files,
    invoices: Option<S3Files>,
}

impl Buckets {
    fn for_key(&self, key: &str) -> &S3Files {
        match &self.invoices {
            Some(invoices) if key.starts_with(INVOICES_PREFIX) => invoices,
            _ => &self.uploads,
        }
    }
}

impl Files for Buckets {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<(), FilesError> {
        self.for_key(key).put(key, bytes, content_type).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FilesError> {
        self.for_key(key).get(key).await
    }

    async fn delete(&self, key: &str) -> Result<(), FilesError> {
        self.for_key(key).delete(key).await
    }

    async fn scan(&self, key: &str) -> Result<Scan, FilesError> {
        self.for_key(key).scan(key).await
    }
}

/// A required variable, trimmed; missing or empty stops the start.
fn required(name: &'static str) -> Result<String, Error> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(format!("environment variable {name} is not set").into()),
    }
}

fn optional(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether `event` is EventBridge's scheduled event (the retry schedule).
fn is_scheduled(event: &Value) -> bool {
    event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
        || event.get("source").and_then(Value::as_str) == Some("aws.events")
}

async fn invocation(app: &AwsApp, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let payload = event.payload;
    // The runtime's span around each invocation carries its request id.
    if is_scheduled(&payload) {
        return match cbt_function::schedule::run(app).await {
            Ok(report) => {
                let retry = &report.retry;
                let oldest = retry.oldest_pending.map(|t| t.to_rfc3339());
                tracing::info!(
                    reminders = report.reminders,
                    digest = report.digest,
                    purged = report.purged,
                    anonymised = report.anonymised,
                    removed = report.removed,
                    "schedule ran"
                );
                tracing::info!(
                    pending_before = retry.pending_before,
                    sent = retry.sent,
                    pending_after = retry.pending_after,
                    oldest_pending = oldest.as_deref(),
                    oldest_pending_age_seconds = retry.oldest_pending_age_seconds,
                    "retried pending mail"
                );
                serde_json::to_value(&report).map_err(Error::from)
            }
            Err(e) => {
                tracing::error!(error = %e, "the schedule failed");
                Err(format!("the schedule failed: {e}").into())
            }
        };
    }
    if let Some(reports) = cbt_function::delivery::reports_from_sns(&payload) {
        return match reports {
            Ok(reports) => match cbt_function::delivery::record(app, &reports).await {
                Ok(tally) => {
                    tracing::info!(
                        kept = tally.kept,
                        again = tally.again,
                        unknown = tally.unknown,
                        notices = tally.notices,
                        "mail reports recorded"
                    );
                    serde_json::to_value(&tally).map_err(Error::from)
                }
                // Failed: Lambda invokes again with the same event, and
                // what was kept is kept once.
                Err(e) => {
                    tracing::error!(error = %e, "recording mail reports failed");
                    Err(format!("recording mail reports failed: {e}").into())
                }
            },
            // The same event again would fail the same way: logged for the
            // error alarm, not retried.
            Err(e) => {
                tracing::error!(error = %e, "an SNS event that is not SES's");
                Ok(Value::Null)
            }
        };
    }
    Ok(event::handle_event(app, payload).await)
}

/// The origin secret(s) from SSM Parameter Store: a SecureString, decrypted
/// with the account's `aws/ssm` key. Read once per cold start; a rotation
/// deploys a new `ORIGIN_VERIFY_SECRET_PARAMETER` (`name:version`), so new
/// instances read the new value (README, "Rotating the origin secret").
async fn origin_secret_parameter(sdk: &SdkConfig, parameter: &str) -> Result<String, Error> {
    let client = aws_sdk_ssm::Client::new(sdk);
    let answer = client
        .get_parameter()
        .name(parameter)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| {
            format!(
                "reading the SSM parameter {parameter}: {}",
                DisplayErrorContext(&e)
            )
        })?;
    answer
        .parameter
        .and_then(|p| p.value)
        .ok_or_else(|| format!("the SSM parameter {parameter} has no value").into())
}

/// Loads everything once per cold start; any failure is logged and stops it.
async fn app() -> Result<AwsApp, Error> {
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let mut vars: BTreeMap<String, String> = std::env::vars().collect();
    if let Some(parameter) = optional("ORIGIN_VERIFY_SECRET_PARAMETER") {
        if optional("ORIGIN_VERIFY_SECRET").is_some()
            || optional("ORIGIN_VERIFY_SECRET_NEXT").is_some()
        {
            return Err(format!(
                "{ORIGIN_SECRET_PARAMETER} and ORIGIN_VERIFY_SECRET are both set: set one of them"
            )
            .into());
        }
        let value = origin_secret_parameter(&sdk, &parameter).await?;
        vars.extend(Config::origin_secret_vars(&value).map_err(|e| e.to_string())?);
    }
    let config = Config::from_vars(&vars).map_err(|e| e.to_string())?;
    let table = required("TABLE_NAME")?;
    let bucket = required("BUCKET_NAME")?;
    let invoices_bucket = optional("INVOICES_BUCKET_NAME");
    let configuration_set = optional("SES_CONFIGURATION_SET");
    let rules = cbt::embedded_rules().map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        format!("the embedded rules are invalid: {}", list.join("; "))
    })?;
    let templates = cbt::templates::Templates::embedded()
        .map_err(|e| format!("the embedded templates are invalid: {e}"))?;
    Ok(App {
        rules: Arc::new(rules),
        templates: Arc::new(templates),
        config,
        store: DynamoStore::new(&sdk, table),
        mailer: SesMailer::new(&sdk, configuration_set),
        files: Buckets {
            // The stack sets it from EnableMalwareProtection; a run without
            // the stack (cargo lambda watch on moto) has no GuardDuty, and
            // the secretariat's mail then says the document was not scanned.
            uploads: match optional("MALWARE_SCAN").as_deref().unwrap_or("off") {
                "guardduty" => S3Files::new(&sdk, bucket),
                "off" => S3Files::new(&sdk, bucket).unscanned(),
                other => {
                    return Err(format!(
                        "environment variable MALWARE_SCAN is not valid: \"{other}\" is neither guardduty nor off"
                    )
                    .into())
                }
            },
            invoices: invoices_bucket.map(|b| S3Files::new(&sdk, b)),
        },
        clock: Clock::System,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_ansi(false)
        .with_target(false)
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| format!("logging: {e}"))?;

    let app = match app().await {
        Ok(app) => Arc::new(app),
        Err(e) => {
            tracing::error!(error = %e, "the function cannot start");
            return Err(e);
        }
    };
    tracing::info!("started");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        async move { invocation(&app, event).await }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use aws_config::{BehaviorVersion, Region, SdkConfig};

    use super::*;

    fn files(bucket: &str) -> S3Files {
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .build();
        S3Files::new(&sdk, bucket)
    }

    #[test]
    fn invoices_go_to_their_own_bucket_and_the_rest_to_the_uploads() {
        let buckets = Buckets {
            uploads: files("uploads"),
            invoices: Some(files("invoices")),
        };
        assert_eq!(
            buckets.for_key("invoices/factuur-2026-0001.pdf").bucket,
            "invoices"
        );
        assert_eq!(
            buckets.for_key("drafts/abc/balanstest.pdf").bucket,
            "uploads"
        );
        assert_eq!(
            buckets.for_key("applications/abc/balanstest.pdf").bucket,
            "uploads"
        );
        // Only the prefix counts, not a name that merely contains it.
        assert_eq!(buckets.for_key("drafts/invoices/x.pdf").bucket, "uploads");

        let local = Buckets {
            uploads: files("uploads"),
            invoices: None,
        };
        assert_eq!(
            local.for_key("invoices/factuur-2026-0001.pdf").bucket,
            "uploads"
        );
    }

    #[test]
    fn scheduled_events_are_told_from_others() {
        let scheduled =
            serde_json::json!({"source": "aws.events", "detail-type": "Scheduled Event"});
        assert!(is_scheduled(&scheduled));
        let http = serde_json::json!({"version": "2.0", "rawPath": "/contact"});
        assert!(!is_scheduled(&http));
        let sns = serde_json::json!({"Records": [{"EventSource": "aws:sns"}]});
        assert!(!is_scheduled(&sns));
    }
}
