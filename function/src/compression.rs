//! gzip for the function's answers. CloudFront compresses only what it may
//! cache, and the function's pages are `no-store`; a form page with its two
//! country lists is over 50 kB, 8 kB gzipped, which a phone on a slow line
//! notices. Small answers and what is compressed already (PDFs) go as they
//! are.

use std::io::Write as _;

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, VARY};
use http::{HeaderMap, HeaderValue, Response};

/// Below this a gzip header and a round trip cost more than they save.
const SMALLEST: usize = 1024;

/// Whether the client takes gzip: `gzip` in `Accept-Encoding`, not with
/// `q=0`.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// `response` gzipped when the client takes it and it is text worth it.
pub fn gzip(accepts: bool, mut response: Response<Bytes>) -> Response<Bytes> {
    let headers = response.headers();
    let text = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/") || ct.starts_with("application/json"));
    if !text || headers.contains_key(CONTENT_ENCODING) {
        return response;
    }
    // Whether or not it is compressed now, the answer depends on it.
    response
        .headers_mut()
        .append(VARY, HeaderValue::from_static("accept-encoding"));
    if !accepts || response.body().len() < SMALLEST {
        return response;
    }
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    let compressed = encoder
        .write_all(response.body())
        .and_then(|()| encoder.finish());
    match compressed {
        Ok(bytes) => {
            *response.body_mut() = Bytes::from(bytes);
            let headers = response.headers_mut();
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            headers.remove(CONTENT_LENGTH);
            response
        }
        // Writing to memory does not fail; if it did, the plain answer is
        // still right.
        Err(e) => {
            tracing::warn!(error = %e, "an answer could not be gzipped");
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read as _;

    fn headers(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_str(accept).expect("value"),
        );
        h
    }

    #[test]
    fn reads_accept_encoding() {
        for yes in ["gzip", "gzip, deflate, br", "br;q=1.0, GZIP;q=0.5", "*"] {
            assert!(accepts_gzip(&headers(yes)), "{yes}");
        }
        for no in ["identity", "br", "gzip;q=0", "gzip; q=0.0", "xgzip", ""] {
            assert!(!accepts_gzip(&headers(no)), "{no}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    fn page(ct: &str, body: &str) -> Response<Bytes> {
        Response::builder()
            .header(CONTENT_TYPE, ct)
            .body(Bytes::from(body.to_string()))
            .expect("response")
    }

    #[test]
    fn gzips_a_page_the_client_takes_and_leaves_the_rest() {
        let html = "<p>Nederland</p>\n".repeat(200);
        let zipped = gzip(true, page("text/html; charset=utf-8", &html));
        assert_eq!(zipped.headers()[CONTENT_ENCODING], "gzip");
        assert_eq!(zipped.headers()[VARY], "accept-encoding");
        assert!(zipped.body().len() < html.len() / 10);
        let mut back = String::new();
        GzDecoder::new(&zipped.body()[..])
            .read_to_string(&mut back)
            .expect("gunzip");
        assert_eq!(back, html);

        let plain = gzip(false, page("text/html", &html));
        assert!(!plain.headers().contains_key(CONTENT_ENCODING));
        assert_eq!(plain.headers()[VARY], "accept-encoding");
        assert_eq!(plain.body().len(), html.len());

        let small = gzip(true, page("text/html", "<p>ok</p>"));
        assert!(!small.headers().contains_key(CONTENT_ENCODING));

        let pdf = gzip(true, page("application/pdf", &html));
        assert!(!pdf.headers().contains_key(CONTENT_ENCODING));
        assert!(!pdf.headers().contains_key(VARY));
    }
}
