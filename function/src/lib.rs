//! `cbt-function`: the CBT's form intake. An AWS Lambda (Function URL or
//! HTTP API) that receives the application and contact forms, checks them
//! with the shared rules ([`cbt`]), stores them, and sends the invoice and
//! the mails.
//!
//! - [`handler`]: the core, a plain async function from request to
//!   response over the [`ports`], by concern: [`routes`], [`admission`]
//!   (with [`limits`] and [`challenge`]), [`drafts`], [`addresses`] (the
//!   address check before filing), [`contact`], [`outbox`] (mail and its
//!   retry), [`responses`];
//! - [`event`]: the Lambda event (payload format 2.0) to and from a
//!   request, decoding base64 bodies with care;
//! - [`body`]: form-urlencoded, multipart and JSON bodies;
//! - [`adapters`]: the ports on a local folder, and (feature `aws`) on
//!   DynamoDB, S3 and SES v2;
//! - [`mime`]: a message as raw MIME;
//! - [`config`]: the environment.
//!
//! Store first, then mail: an application is safe once stored; a mail that
//! fails stays pending and the scheduled retry ([`outbox::retry_pending`])
//! sends it.

// A `Failure` carries the page it answers with (the form again, with its
// errors): larger than clippy likes in an `Err`, built at most once per
// request, and moved a few times on the way out.
#![allow(
    clippy::result_large_err,
    reason = "a failure is built at most once per request; boxing it buys nothing measurable"
)]

pub mod adapters;
pub mod addresses;
pub mod admission;
pub mod applicant;
pub mod body;
pub mod cases;
pub mod challenge;
pub mod compression;
pub mod config;
pub mod contact;
pub mod delivery;
pub mod drafts;
pub mod event;
pub mod handler;
pub mod limits;
pub mod mime;
pub mod outbox;
pub mod ports;
pub mod responses;
pub mod routes;
pub mod schedule;
pub mod workspace;

pub use handler::{handle, App, Clock};
