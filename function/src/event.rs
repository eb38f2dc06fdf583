//! The Lambda event (payload format 2.0, as Function URLs and HTTP APIs
//! send it) to an HTTP request, and the response back.
//!
//! The payloads are read through `aws_lambda_events`' own types, which take
//! `null` wherever AWS or `cargo lambda watch` may send it (the emulator
//! sends `"rawQueryString": null` for a request without a query, and leaves
//! `cookies` out). The body is decoded here rather than by lambda_http's
//! conversion because a Function URL delivers form bodies base64-encoded,
//! and a body that claims to be base64 but is not must be a 400 page, not a
//! panic in the runtime.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use serde::Deserialize as _;
use serde_json::{json, Value};
use tracing::Instrument as _;

use crate::handler::{handle, App, SOURCE_IP_HEADER};
use crate::ports::{Files, Mailer, Store};

/// What a request needs from either payload.
struct Incoming {
    method: Method,
    raw_path: Option<String>,
    raw_query_string: Option<String>,
    headers: HeaderMap,
    cookies: Option<Vec<String>>,
    body: Option<String>,
    is_base64_encoded: bool,
    source_ip: Option<String>,
    request_id: Option<String>,
}

impl TryFrom<LambdaFunctionUrlRequest> for Incoming {
    type Error = EventError;

    fn try_from(event: LambdaFunctionUrlRequest) -> Result<Self, EventError> {
        let context = event.request_context;
        let method = context
            .http
            .method
            .as_deref()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| EventError::NotHttp("requestContext.http.method is missing".into()))?;
        Ok(Incoming {
            method: Method::from_bytes(method.as_bytes())
                .map_err(|e| EventError::NotHttp(format!("requestContext.http.method: {e}")))?,
            raw_path: event.raw_path,
            raw_query_string: event.raw_query_string,
            headers: event.headers,
            cookies: event.cookies,
            body: event.body,
            is_base64_encoded: event.is_base64_encoded,
            source_ip: context.http.source_ip,
            request_id: context.request_id,
        })
    }
}

impl From<ApiGatewayV2httpRequest> for Incoming {
    fn from(event: ApiGatewayV2httpRequest) -> Self {
        let context = event.request_context;
        Incoming {
            // Not the top-level `httpMethod`: that one is only in authorizer
            // payloads and defaults to GET (cargo-lambda even sends it so).
            method: context.http.method,
            raw_path: event.raw_path,
            raw_query_string: event.raw_query_string,
            headers: event.headers,
            cookies: event.cookies,
            body: event.body,
            is_base64_encoded: event.is_base64_encoded,
            source_ip: context.http.source_ip,
            request_id: context.request_id,
        }
    }
}

/// Why an event is not a request we can handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not an HTTP event (payload format 2.0): {0}")]
    NotHttp(String),
    #[error("the body is marked base64 but is not: {0}")]
    BadBase64(String),
}

/// The event as a Function URL request, which is what production sends;
/// failing that as an HTTP API request, whose type is laxer (it takes a
/// missing `isBase64Encoded` or `timeEpoch`, and `null` headers).
fn incoming(event: &Value) -> Result<Incoming, EventError> {
    match LambdaFunctionUrlRequest::deserialize(event) {
        Ok(url) => Incoming::try_from(url),
        Err(_) => ApiGatewayV2httpRequest::deserialize(event)
            .map(Incoming::from)
            // The laxer type's complaint is the one about what is really wrong.
            .map_err(|e| EventError::NotHttp(e.to_string())),
    }
}

/// The request in `event`, and its request id for the logs.
pub fn to_request(event: Value) -> Result<(Request<Bytes>, String), EventError> {
    let event = incoming(&event)?;
    let body = match (event.body, event.is_base64_encoded) {
        (None, _) => Bytes::new(),
        (Some(text), false) => Bytes::from(text),
        (Some(text), true) => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|e| EventError::BadBase64(e.to_string()))?,
        ),
    };
    // The path and query exactly as sent: the handler decodes them itself.
    let path = event.raw_path.filter(|p| !p.is_empty());
    let uri = match (path, event.raw_query_string.filter(|q| !q.is_empty())) {
        (None, None) => "/".to_string(),
        (Some(path), None) => path,
        (path, Some(query)) => format!("{}?{query}", path.as_deref().unwrap_or("/")),
    };
    let mut request = Request::builder()
        .method(event.method)
        .uri(uri)
        .body(body)
        .map_err(|e| EventError::NotHttp(e.to_string()))?;
    let headers = request.headers_mut();
    *headers = event.headers;
    // Only the event's own context says where the request came from.
    headers.remove(SOURCE_IP_HEADER);
    // Payload 2.0 moves the Cookie header into `cookies`; the handler reads
    // the header, as a server would give it.
    let cookies = event.cookies.unwrap_or_default();
    if !cookies.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&cookies.join("; ")) {
            headers.insert(http::header::COOKIE, v);
        }
    }
    if let Some(v) = event
        .source_ip
        .filter(|ip| !ip.is_empty())
        .and_then(|ip| HeaderValue::from_str(&ip).ok())
    {
        headers.insert(SOURCE_IP_HEADER, v);
    }
    Ok((request, event.request_id.unwrap_or_default()))
}

/// The response as a Function URL (and an HTTP API, payload 2.0) expects
/// it. `cookies` is always written: `cargo lambda watch` refuses a response
/// without it.
pub fn from_response(response: Response<Bytes>) -> Value {
    let (parts, body) = response.into_parts();
    let mut out = LambdaFunctionUrlResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    let mut headers = parts.headers;
    // Payload 2.0 sets cookies from `cookies`, not from headers.
    out.cookies = headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    headers.remove(http::header::SET_COOKIE);
    // One value a name: repeated headers are joined with commas, as HTTP
    // allows; a value that is not text cannot go into JSON and is left out.
    for name in headers.keys() {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            continue;
        }
        if let Ok(v) = HeaderValue::from_str(&values.join(", ")) {
            out.headers.insert(name.clone(), v);
        }
    }
    let text = out
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
    out.body = Some(body);
    out.is_base64_encoded = encoded;
    serde_json::to_value(&out).unwrap_or_else(|e| {
        // Only a header value that is not UTF-8 fails here, and those were
        // left out above; answer something the runtime can still pass on.
        tracing::error!(error = %e, "the response could not be written as JSON");
        json!({ "statusCode": 500, "headers": {}, "cookies": [], "body": "", "isBase64Encoded": false })
    })
}

/// One Lambda invocation: event in, response out. A broken event is a 400
/// page; nothing here panics.
pub async fn handle_event<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    event: Value,
) -> Value {
    match to_request(event) {
        Ok((request, request_id)) => {
            // Instrumented rather than entered: a guard held across the
            // await would tag whatever else the runtime polls meanwhile.
            let span = tracing::info_span!("request", request_id = %request_id);
            from_response(handle(app, request).instrument(span).await)
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
