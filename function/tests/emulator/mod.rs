//! Setting up the emulators for the over-the-wire tests (`aws_contract.rs`,
//! `aws_handler.rs`): endpoints, SDK configuration, a table, a bucket and a
//! verified sender as the template creates them.

#![allow(
    dead_code,
    reason = "each test binary that includes the set-up uses part of it"
)]

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use cbt_function::adapters::aws::S3Files;

pub const SENDER_DOMAIN: &str = "balanstoetstelemarketing.nl";

/// An endpoint `tests/run` exports; missing means the emulators are not
/// running, which is a failure.
pub fn endpoint(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().trim_end_matches('/').to_string(),
        _ => panic!(
            "{name} is not set: the AWS adapter tests run against emulators. Run `tests/run`, or \
             `tests/emulators.sh start && eval \"$(tests/emulators.sh env)\"` before \
             `cargo test -p cbt-function --features aws`"
        ),
    }
}

pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "testing", "testing", None, None, "emulator",
        ))
        .load()
        .await
}

pub async fn moto() -> SdkConfig {
    sdk_config(&endpoint("CBT_MOTO_ENDPOINT")).await
}

/// A name no other test (or earlier run on the same emulator) uses.
pub fn unique(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("random");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

/// A table as the template creates it: `pk`/`sk` strings, on demand, TTL
/// on `expires_at`, and the index of cases by state and deadline.
pub async fn create_table(config: &SdkConfig, name: &str) {
    let client = aws_sdk_dynamodb::Client::new(config);
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .expect("key")
    };
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute")
    };
    client
        .create_table()
        .table_name(name)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .attribute_definitions(attr("gsi1pk"))
        .attribute_definitions(attr("gsi1sk"))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(cbt_function::adapters::aws::CASES_INDEX)
                .key_schema(key("gsi1pk", KeyType::Hash))
                .key_schema(key("gsi1sk", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .expect("index"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create table");
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .expect("ttl"),
        )
        .send()
        .await
        .expect("enable TTL");
}

pub async fn create_bucket(config: &SdkConfig, name: &str) -> S3Files {
    let files = S3Files::new(config, name);
    files
        .client
        .create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("create bucket");
    files
}

/// moto sends only from identities; SES in production needs the same.
pub async fn verify_sender(config: &SdkConfig) {
    let client = aws_sdk_sesv2::Client::new(config);
    for identity in [
        SENDER_DOMAIN.to_string(),
        format!("noreply@{SENDER_DOMAIN}"),
    ] {
        client
            .create_email_identity()
            .email_identity(identity)
            .send()
            .await
            .expect("create email identity");
    }
}
