//! Conversions between `worker` types and the core's plain types.

use crate::http::{Headers, RequestParts};
use crate::s3::error::S3Error;
use worker::{EncodeBody, Response, ResponseBody, ResponseBuilder};

/// The core's view of a request: method, raw path and query exactly as sent, headers (read in
/// one call, `js::request_head`), and the request's URL. The client's own Accept-Encoding
/// (`request.cf`) is read only for a GET or HEAD, the only answers it changes
/// (`s3::download::edge_may_transform`).
pub fn request_parts(req: &web_sys::Request) -> (RequestParts, String) {
    let head = super::js::request_head(req);
    let (method, url, headers) = crate::http::request_head_from_lines(&head).unwrap_or(("GET", "/", Headers::new()));
    let mut parts = RequestParts::from_target(method, crate::http::url_target(url), headers);
    if matches!(parts.method.as_str(), "GET" | "HEAD") {
        parts.client_accept_encoding = super::js::client_accept_encoding(req);
    }
    (parts, url.to_string())
}

pub fn to_worker_headers(h: &Headers) -> worker::Headers {
    worker::Headers(super::js::headers_from_lines(&h.to_lines()))
}

pub fn from_worker_headers(h: &worker::Headers) -> Headers {
    Headers::from_lines(&super::js::header_lines(&h.0))
}

/// How the client wants errors: decided in the core, from the request's path and `Accept`.
pub use crate::s3::route::{error_style, ErrorStyle};

/// An S3 error as a response: XML (or JSON) body, the right status, no caching.
pub fn error_response(e: &S3Error, style: ErrorStyle, resource: &str, request_id: &str, head: bool) -> Response {
    let (body, ctype) = match style {
        ErrorStyle::Xml => (e.to_xml(resource, request_id), "application/xml"),
        ErrorStyle::Json => (e.to_json(), "application/json"),
        ErrorStyle::Html => (e.to_html(), "text/html; charset=utf-8"),
    };
    let h = worker::Headers::new();
    let _ = h.set("content-type", ctype);
    if style == ErrorStyle::Html {
        // the page runs nothing and loads nothing
        let _ = h.set("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox");
        let _ = h.set("x-content-type-options", "nosniff");
    }
    let _ = h.set("cache-control", "no-store");
    let _ = h.set("x-bagroom-error", e.code.as_str());
    if e.status == 416 {
        if let Some((_, total)) = e.extra.iter().find(|(k, _)| *k == "ActualObjectSize") {
            let _ = h.set("content-range", &format!("bytes */{total}"));
        }
    }
    let b = ResponseBuilder::new().with_status(e.status).with_headers(h);
    if head || e.status == 304 {
        b.empty()
    } else {
        b.fixed(body.into_bytes())
    }
}

/// A response with a fixed body.
pub fn bytes_response(status: u16, headers: &Headers, body: Vec<u8>) -> Response {
    ResponseBuilder::new().with_status(status).with_headers(to_worker_headers(headers)).fixed(body)
}

/// A JSON response (demo API).
pub fn json_response(status: u16, value: &crate::json::Value) -> Response {
    let mut h = Headers::new();
    h.insert("content-type", "application/json");
    h.insert("cache-control", "no-store");
    bytes_response(status, &h, value.to_string().into_bytes())
}

/// A response whose body is passed through as the JS stream it is (never read in Rust).
/// The bytes are sent as they are (`encodeBody: "manual"`): an object stored with a
/// `Content-Encoding` is already encoded, and the runtime must not compress it again.
pub fn stream_response(status: u16, headers: &Headers, body: ResponseBody, head: bool) -> Response {
    let b = ResponseBuilder::new().with_status(status).with_headers(to_worker_headers(headers)).with_encode_body(EncodeBody::Manual);
    match body {
        ResponseBody::Stream(s) if !head => b.stream(s),
        ResponseBody::Body(v) if !head => b.fixed(v),
        _ => b.empty(),
    }
}
