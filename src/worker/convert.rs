//! Conversions between `worker` types and the core's plain types.

use crate::http::{Headers, RequestParts};
use crate::s3::error::S3Error;
use worker::{EncodeBody, Request, Response, ResponseBody, ResponseBuilder};

/// The core's view of a request: method, raw path and query exactly as sent, headers.
pub fn request_parts(req: &Request) -> RequestParts {
    let url = req.inner().url();
    // raw target: everything after the authority, without the fragment
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let target = match url[after_scheme..].find('/') {
        Some(i) => &url[after_scheme + i..],
        None => "/",
    };
    let target = target.split('#').next().unwrap_or("/");
    let headers = Headers(req.headers().entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect());
    let mut parts = RequestParts::from_target(&req.inner().method(), target, headers);
    // the edge rewrote Accept-Encoding; the client's own is `request.cf.clientAcceptEncoding`
    let cf = js_sys::Reflect::get(req.inner().as_ref(), &"cf".into()).ok().filter(|v| v.is_object());
    parts.client_accept_encoding =
        cf.and_then(|cf| js_sys::Reflect::get(&cf, &"clientAcceptEncoding".into()).ok()).and_then(|v| v.as_string());
    parts
}

pub fn to_worker_headers(h: &Headers) -> worker::Headers {
    let out = worker::Headers::new();
    for (k, v) in h.iter() {
        let _ = out.append(k, v);
    }
    out
}

pub fn from_worker_headers(h: &worker::Headers) -> Headers {
    Headers(h.entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect())
}

/// How the client wants errors: decided in the core, from the request's path and `Accept`.
pub use crate::s3::route::{error_style, ErrorStyle};

/// An S3 error as a response: XML (or JSON) body, the right status, no caching.
pub fn error_response(e: &S3Error, style: ErrorStyle, resource: &str, request_id: &str, head: bool) -> Response {
    let (body, ctype) = match style {
        ErrorStyle::Xml => (e.to_xml(resource, request_id), "application/xml"),
        ErrorStyle::Json => (e.to_json(), "application/json"),
    };
    let h = worker::Headers::new();
    let _ = h.set("content-type", ctype);
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
pub fn json_response(status: u16, value: &serde_json::Value) -> Response {
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
