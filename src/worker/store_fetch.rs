//! Sending a signed request to the backing store, with a timeout.

use crate::s3::error::{Code, S3Error};
use crate::store::StoreRequest;
use wasm_bindgen::JsValue;
use worker::Response;

/// Send `r` (with an optional body: a JS `ReadableStream` or bytes) and wait for the response
/// head. A store that does not answer within `timeout_ms` is a 504; one that cannot be
/// reached is a 502. The body of the answer is not read here.
pub async fn send(r: &StoreRequest, body: Option<JsValue>, timeout_ms: u64) -> Result<Response, S3Error> {
    let signal = web_sys::AbortSignal::timeout_with_u32(timeout_ms.min(u32::MAX as u64) as u32);
    fetch_with(r, body, &signal).await.map_err(|e| {
        if signal.aborted() {
            S3Error::gateway_timeout(format!("the store did not answer within {timeout_ms} ms"))
        } else {
            e
        }
    })
}

/// Send `r`, cancelled by `signal` (the caller decides what its abort means). A failure is a 502.
/// An `r2://` request goes to its R2 binding (no subrequest: the binding answers as the store
/// would). Either way the access log counts the round trip for the request being answered.
pub async fn fetch_with(r: &StoreRequest, body: Option<JsValue>, signal: &web_sys::AbortSignal) -> Result<Response, S3Error> {
    let (facts, t0) = (super::access::current(), js_sys::Date::now());
    let answer = if r.url.starts_with(crate::store::r2::SCHEME) { super::r2::send(r, body).await } else { http(r, body, signal).await };
    super::access::store_round_trip(facts.as_ref(), js_sys::Date::now() - t0, &r.method, answer.as_ref().ok());
    answer
}

/// The request over HTTP (`fetch`, built in one call: `js::store_fetch`), its body taken
/// undecoded when `raw_body`.
async fn http(r: &StoreRequest, body: Option<JsValue>, signal: &web_sys::AbortSignal) -> Result<Response, S3Error> {
    if let Some((k, _)) = r.headers.iter().find(|(k, v)| !crate::http::header_line_ok(k, v)) {
        return Err(S3Error::internal(format!("bad header {k}")));
    }
    let lines = crate::http::pairs_to_lines(&r.headers);
    let fetched = super::js::store_fetch(&r.url, &r.method, &lines, body, signal, r.raw_body);
    match super::js::response(fetched).await {
        Ok(resp) => Ok(Response::from(resp)),
        Err(e) => Err(S3Error::bad_gateway(format!("the store could not be reached: {}", super::js::message(&e)))),
    }
}

/// Send a request whose answer is a small document: any status but 2xx (or one of `also_ok`)
/// becomes the error to report; otherwise the answer's body.
pub async fn document(r: &StoreRequest, body: Option<JsValue>, timeout_ms: u64, also_ok: &[u16]) -> Result<String, S3Error> {
    let mut resp = send(r, body, timeout_ms).await?;
    let status = resp.status_code();
    if !(200..300).contains(&status) && !also_ok.contains(&status) {
        return Err(store_error(&mut resp).await);
    }
    text(&mut resp).await
}

/// Read a (small) store response body as text, e.g. an XML document or error.
pub async fn text(resp: &mut Response) -> Result<String, S3Error> {
    // read by the runtime (`new Response(stream).text()`), not by worker's `Response::text`,
    // whose stream reader formats every `worker::Error` it might meet (the texts of serde_json's,
    // std::io's and the router's errors in the bundle)
    let failed = |e: JsValue| S3Error::bad_gateway(format!("reading the store's answer: {}", super::js::message(&e)));
    match resp.body() {
        worker::ResponseBody::Empty => Ok(String::new()),
        worker::ResponseBody::Body(bytes) => Ok(String::from_utf8_lossy(bytes).into_owned()),
        worker::ResponseBody::Stream(stream) => {
            let promise = web_sys::Response::new_with_opt_readable_stream(Some(stream)).and_then(|r| r.text()).map_err(failed)?;
            let v = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(failed)?;
            Ok(v.as_string().unwrap_or_default())
        }
    }
}

/// Turn a store error answer into the error bagroom reports: 5xx become 502 (the store failed,
/// not the client); 4xx keep the store's code and message.
pub async fn store_error(resp: &mut Response) -> S3Error {
    let e = store_error_body(resp).await;
    // a 416 names the object's size (S3's ActualObjectSize, and `Content-Range: bytes */size`)
    if e.status != 416 || e.extra.iter().any(|(k, _)| *k == "ActualObjectSize") {
        return e;
    }
    match resp.headers().get("content-range").ok().flatten().and_then(|v| crate::s3::download::total_from_content_range(&v)) {
        Some(total) => e.with("ActualObjectSize", total.to_string()),
        None => e,
    }
}

async fn store_error_body(resp: &mut Response) -> S3Error {
    let status = resp.status_code();
    let body = if status == 304 { String::new() } else { text(resp).await.unwrap_or_default() };
    if status >= 500 {
        return S3Error::bad_gateway(format!("the store answered {status}"));
    }
    match crate::s3::xml::parse_error(&body) {
        Some((code, message)) => crate::s3::xml::store_error_with_status(code.trim(), &message, status),
        None => match status {
            404 => S3Error::no_such_key(),
            403 => S3Error::access_denied("the store refused the gateway's request"),
            412 => S3Error::precondition_failed(None),
            416 => S3Error::of(Code::InvalidRange),
            s => S3Error::invalid_request(format!("the store answered {s}")).with_status(s),
        },
    }
}
