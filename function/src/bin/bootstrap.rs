//! The Lambda: the form intake over DynamoDB, S3 and SES v2.
//!
//! Environment: everything [`Config::from_env`] reads (`MAIL_FROM`,
//! `SITE_URL`, ...), plus `TABLE_NAME` (the DynamoDB table), `BUCKET_NAME`
//! (the uploads bucket) and optionally `SES_CONFIGURATION_SET`. A missing
//! or malformed variable stops the start with a message naming it.
//!
//! Events:
//! - an HTTP event (payload format 2.0: Function URL or HTTP API) is a
//!   request for [`event::handle_event`];
//! - an EventBridge scheduled event (`"source": "aws.events"`,
//!   `"detail-type": "Scheduled Event"`) runs the schedule
//!   ([`cbt_function::schedule::run`]: reminders, the daily digest,
//!   retention, the mail retry); its report is the result, and an error is
//!   a Lambda error, so the errors alarm fires.
//!
//! Logs are JSON lines without colours; they carry no personal data (no
//! form values, no addresses).

use std::sync::Arc;

use aws_config::BehaviorVersion;
use cbt_function::adapters::aws::{DynamoStore, S3Files, SesMailer};
use cbt_function::config::Config;
use cbt_function::event;
use cbt_function::handler::{App, Clock};
use lambda_http::{lambda_runtime, service_fn, Error, LambdaEvent};
use serde_json::Value;
use tracing_subscriber::EnvFilter;

type AwsApp = App<DynamoStore, SesMailer, S3Files>;

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
    Ok(event::handle_event(app, payload).await)
}

/// Loads everything once per cold start; any failure is logged and stops it.
async fn app() -> Result<AwsApp, Error> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let table = required("TABLE_NAME")?;
    let bucket = required("BUCKET_NAME")?;
    let configuration_set = optional("SES_CONFIGURATION_SET");
    let rules = cbt::embedded_rules().map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        format!("the embedded rules are invalid: {}", list.join("; "))
    })?;
    let templates = cbt::templates::Templates::embedded()
        .map_err(|e| format!("the embedded templates are invalid: {e}"))?;
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    Ok(App {
        rules: Arc::new(rules),
        templates: Arc::new(templates),
        config,
        store: DynamoStore::new(&sdk, table),
        mailer: SesMailer::new(&sdk, configuration_set),
        files: S3Files::new(&sdk, bucket),
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
