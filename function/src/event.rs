//! The Lambda event (payload format 2.0, as Function URLs and HTTP APIs
//! send it) to an HTTP request, and the response back.
//!
//! Done here rather than by lambda_http's conversion because a Function URL
//! delivers form bodies base64-encoded, and a body that claims to be base64
//! but is not must be a 400 page, not a panic in the runtime.

use std::collections::BTreeMap;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::handler::{handle, App, SOURCE_IP_HEADER};
use crate::ports::{Files, Mailer, Store};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpEvent {
    #[serde(default)]
    raw_path: String,
    #[serde(default)]
    raw_query_string: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    cookies: Vec<String>,
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
    request_context: RequestContext,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestContext {
    #[serde(default)]
    request_id: String,
    http: HttpContext,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpContext {
    method: String,
    #[serde(default)]
    source_ip: String,
}

/// Why an event is not a request we can handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not an HTTP event (payload format 2.0): {0}")]
    NotHttp(String),
    #[error("the body is marked base64 but is not: {0}")]
    BadBase64(String),
}

/// The request in `event`, and its request id for the logs.
pub fn to_request(event: Value) -> Result<(Request<Bytes>, String), EventError> {
    let event: HttpEvent =
        serde_json::from_value(event).map_err(|e| EventError::NotHttp(e.to_string()))?;
    let body = match (event.body, event.is_base64_encoded) {
        (None, _) => Bytes::new(),
        (Some(text), false) => Bytes::from(text),
        (Some(text), true) => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|e| EventError::BadBase64(e.to_string()))?,
        ),
    };
    let uri = if event.raw_query_string.is_empty() {
        event.raw_path.clone()
    } else {
        format!("{}?{}", event.raw_path, event.raw_query_string)
    };
    let mut builder = Request::builder()
        .method(event.request_context.http.method.as_str())
        .uri(if uri.is_empty() { "/".to_string() } else { uri });
    for (name, value) in &event.headers {
        if name.eq_ignore_ascii_case(SOURCE_IP_HEADER) {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            builder = builder.header(n, v);
        }
    }
    if !event.cookies.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&event.cookies.join("; ")) {
            builder = builder.header(http::header::COOKIE, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&event.request_context.http.source_ip) {
        builder = builder.header(SOURCE_IP_HEADER, v);
    }
    let request = builder
        .body(body)
        .map_err(|e| EventError::NotHttp(e.to_string()))?;
    Ok((request, event.request_context.request_id))
}

/// The response as the Lambda payload format 2.0 expects it.
pub fn from_response(response: Response<Bytes>) -> Value {
    let (parts, body) = response.into_parts();
    let mut headers = serde_json::Map::new();
    for (name, value) in &parts.headers {
        if let Ok(v) = value.to_str() {
            headers.insert(name.as_str().to_string(), Value::String(v.to_string()));
        }
    }
    let text = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("text/") || ct.starts_with("application/json"));
    let (body, encoded) = match (text, std::str::from_utf8(&body)) {
        (true, Ok(s)) => (s.to_string(), false),
        _ => (
            base64::engine::general_purpose::STANDARD.encode(&body),
            true,
        ),
    };
    json!({ "statusCode": parts.status.as_u16(), "headers": headers, "body": body, "isBase64Encoded": encoded })
}

/// One Lambda invocation: event in, response out. A broken event is a 400
/// page; nothing here panics.
pub async fn handle_event<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    event: Value,
) -> Value {
    match to_request(event) {
        Ok((request, request_id)) => {
            let span = tracing::info_span!("request", request_id = %request_id);
            let _enter = span.enter();
            from_response(handle(app, request).await)
        }
        Err(e) => {
            tracing::warn!(error = %e, "unusable event");
            let title = "Het formulier kwam beschadigd aan";
            let html = cbt::pages::message(
                &app.rules,
                &app.templates,
                title,
                &["Probeer het opnieuw via het formulier op de site."],
            )
            .unwrap_or_else(|_| title.to_string());
            let response = Response::builder()
                .status(StatusCode::BAD_REQUEST)
                .header(http::header::CONTENT_TYPE, "text/html; charset=utf-8")
                .header(http::header::CACHE_CONTROL, "no-store")
                .body(Bytes::from(html))
                .unwrap_or_else(|_| Response::new(Bytes::new()));
            from_response(response)
        }
    }
}
