//! Implementations of the ports: [`local`] (a folder; for `cbt-site serve`
//! and tests) and, with the `aws` feature, `aws` (DynamoDB, S3, SES v2).

pub mod local;

#[cfg(feature = "aws")]
pub mod aws;
