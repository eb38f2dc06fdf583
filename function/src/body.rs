//! Reading a post: form-urlencoded and multipart from browsers, JSON from
//! scripts. Every way a body can be wrong is an error the handler turns
//! into a Dutch page (or JSON), never a panic.

use base64::Engine as _;
use bytes::Bytes;
use cbt::validate::{Posted, PostedFile};
use http::HeaderMap;

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("content type {0:?} is not accepted")]
    UnsupportedType(String),
    #[error("the body is malformed: {0}")]
    Malformed(String),
}

/// Reads `body` by its `Content-Type`.
pub async fn parse(headers: &HeaderMap, body: Bytes, max: usize) -> Result<Posted, BodyError> {
    if body.len() > max {
        return Err(BodyError::TooLarge(max));
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Ok(urlencoded(&body)),
        "multipart/form-data" => multipart(&content_type, body, max).await,
        "application/json" => json(&body),
        _ => Err(BodyError::UnsupportedType(content_type)),
    }
}

fn urlencoded(body: &[u8]) -> Posted {
    Posted {
        fields: form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        files: Vec::new(),
    }
}

async fn multipart(content_type: &str, body: Bytes, max: usize) -> Result<Posted, BodyError> {
    let boundary =
        multer::parse_boundary(content_type).map_err(|e| BodyError::Malformed(e.to_string()))?;
    let limits =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(max as u64));
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut form = multer::Multipart::with_constraints(stream, boundary, limits);
    let mut posted = Posted::default();
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(BodyError::Malformed(e.to_string())),
        };
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| BodyError::Malformed(e.to_string()))?;
        match filename {
            Some(filename) => posted.files.push(PostedFile {
                field: name,
                filename,
                bytes: bytes.to_vec(),
            }),
            None => posted
                .fields
                .push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok(posted)
}

/// `{"field": "value", ..., "balanstest": {"filename": "a.pdf", "content_base64": "..."}}`
fn json(body: &[u8]) -> Result<Posted, BodyError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| BodyError::Malformed(format!("JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| BodyError::Malformed("JSON: expected an object".into()))?;
    let mut posted = Posted::default();
    for (name, v) in object {
        match v {
            serde_json::Value::String(s) => posted.fields.push((name.clone(), s.clone())),
            serde_json::Value::Number(n) => posted.fields.push((name.clone(), n.to_string())),
            serde_json::Value::Bool(true) => posted.fields.push((name.clone(), "ja".into())),
            serde_json::Value::Bool(false) | serde_json::Value::Null => {}
            serde_json::Value::Object(file) => {
                let filename = file
                    .get("filename")
                    .and_then(|f| f.as_str())
                    .unwrap_or_default()
                    .to_string();
                let content = file
                    .get("content_base64")
                    .and_then(|c| c.as_str())
                    .ok_or_else(|| {
                        BodyError::Malformed(format!("JSON: {name}.content_base64 is missing"))
                    })?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(content.trim())
                    .map_err(|e| {
                        BodyError::Malformed(format!("JSON: {name}.content_base64: {e}"))
                    })?;
                posted.files.push(PostedFile {
                    field: name.clone(),
                    filename,
                    bytes,
                });
            }
            serde_json::Value::Array(_) => {
                return Err(BodyError::Malformed(format!("JSON: {name} is a list")))
            }
        }
    }
    Ok(posted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::CONTENT_TYPE, ct.parse().expect("header"));
        h
    }

    #[tokio::test]
    async fn reads_every_encoding() {
        let p = parse(
            &headers("application/x-www-form-urlencoded"),
            Bytes::from_static(b"naam=Els+J&bericht=a%0Ab"),
            1000,
        )
        .await
        .expect("form");
        assert_eq!(p.get("naam"), Some("Els J"));
        assert_eq!(p.get("bericht"), Some("a\nb"));
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"naam\"\r\n\r\nEls\r\n--XyZ\r\nContent-Disposition: form-data; name=\"balanstest\"; filename=\"b.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1\r\n--XyZ--\r\n";
        let p = parse(
            &headers("multipart/form-data; boundary=XyZ"),
            Bytes::from(body),
            1000,
        )
        .await
        .expect("multipart");
        assert_eq!(p.get("naam"), Some("Els"));
        assert_eq!(p.files[0].filename, "b.pdf");
        assert_eq!(p.files[0].bytes, b"%PDF-1");
        let p = parse(&headers("application/json; charset=utf-8"), Bytes::from_static(br#"{"naam":"Els","jaren":5,"akkoord":true,"balanstest":{"filename":"b.pdf","content_base64":"JVBERi0x"}}"#), 1000).await.expect("json");
        assert_eq!(
            (p.get("naam"), p.get("jaren"), p.get("akkoord")),
            (Some("Els"), Some("5"), Some("ja"))
        );
        assert_eq!(p.files[0].bytes, b"%PDF-1");
    }

    #[tokio::test]
    async fn every_bad_body_is_an_error() {
        assert_eq!(
            parse(&headers("text/plain"), Bytes::from_static(b"x"), 10)
                .await
                .err(),
            Some(BodyError::UnsupportedType("text/plain".into()))
        );
        assert_eq!(
            parse(&HeaderMap::new(), Bytes::from_static(b"x"), 10)
                .await
                .err(),
            Some(BodyError::UnsupportedType(String::new()))
        );
        assert_eq!(
            parse(
                &headers("application/x-www-form-urlencoded"),
                Bytes::from(vec![b'a'; 11]),
                10
            )
            .await
            .err(),
            Some(BodyError::TooLarge(10))
        );
        for (ct, body) in [
            ("multipart/form-data", "x"),
            (
                "multipart/form-data; boundary=XyZ",
                "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnever closed",
            ),
            ("multipart/form-data; boundary=XyZ", "garbage"),
            ("application/json", "{"),
            ("application/json", "[1]"),
            (
                "application/json",
                r#"{"balanstest":{"content_base64":"***"}}"#,
            ),
        ] {
            assert!(
                matches!(
                    parse(&headers(ct), Bytes::from(body), 1000).await,
                    Err(BodyError::Malformed(_))
                ),
                "{ct}: {body}"
            );
        }
    }
}
