//! The store interface's R2-binding implementation: carries out an operation
//! (`crate::store::r2::Op`, read back from the request the store layer built from a grant) on
//! the bucket's Workers binding, and answers as an S3 store does, so the handlers above treat
//! both stores alike. Every decision (metadata mapping, conditions, ranges, XML) is the core's.

use crate::http::conditional::{decide, Outcome, Validators};
use crate::http::range::{content_range, parse_range, resolve, RangeAnswer, RangeRequest};
use crate::http::Headers;
use crate::s3::error::S3Error;
use crate::store::r2::{self as core, ListPage, ObjectInfo, Op, R2Request};
use crate::store::StoreRequest;
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{Env, Response};

thread_local! {
    /// The bindings of the request being answered (`env` is the same object for an isolate's
    /// life; it is set again by every request and holds no state of its own).
    static ENV: RefCell<Option<Env>> = const { RefCell::new(None) };
}

/// Remember `env` for the binding lookups of this request.
pub fn set_env(env: &Env) {
    ENV.with(|e| *e.borrow_mut() = Some(env.clone()));
}

fn binding(name: &str) -> Result<JsValue, S3Error> {
    let b = ENV.with(|e| e.borrow().as_ref().map(|env| Reflect::get(env, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)));
    match b {
        Some(b) if b.is_object() && Reflect::has(&b, &"list".into()).unwrap_or(false) => Ok(b),
        _ => Err(S3Error::config(format!(
            "the R2 binding {name:?} does not exist: add it to wrangler.toml ([[r2_buckets]] binding = {name:?}) or fix STORE_R2_BINDING / r2_binding"
        ))),
    }
}

/// Call `obj.method(...args)` and wait for it; an exception is the binding's S3 error.
async fn call(obj: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, S3Error> {
    let f: Function = Reflect::get(obj, &method.into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| S3Error::internal(format!("the R2 binding has no {method}()")))?;
    let arr: Array = args.iter().collect();
    let v = f.apply(obj, &arr).map_err(|e| core::error_from(&super::js::message(&e)))?;
    match v.dyn_into::<Promise>() {
        Ok(p) => JsFuture::from(p).await.map_err(|e| core::error_from(&super::js::message(&e))),
        Err(v) => Ok(v),
    }
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

fn field(o: &JsValue, name: &str) -> JsValue {
    Reflect::get(o, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

fn string_pairs(o: &JsValue) -> Vec<(String, String)> {
    if !o.is_object() {
        return Vec::new();
    }
    Object::entries(o.unchecked_ref())
        .iter()
        .filter_map(|e| {
            let e: Array = e.dyn_into().ok()?;
            let k = e.get(0).as_string()?;
            let v = e.get(1);
            let v = match v.dyn_ref::<js_sys::Date>() {
                // milliseconds as an integer (f64's Display would pull float formatting in)
                Some(d) => match d.get_time() {
                    t if t.is_finite() => (t as i64).to_string(),
                    _ => "NaN".to_string(),
                },
                None => v.as_string()?,
            };
            Some((k, v))
        })
        .collect()
}

/// What an `R2Object` says of itself.
fn info(o: &JsValue) -> ObjectInfo {
    let uploaded = field(o, "uploaded").dyn_ref::<js_sys::Date>().map(|d| d.get_time()).unwrap_or(0.0);
    let checksums = {
        let c = field(o, "checksums");
        let json = if c.is_object() { Reflect::get(&c, &"toJSON".into()).ok().and_then(|f| f.dyn_into::<Function>().ok()) } else { None };
        let v = json.and_then(|f| f.call0(&c).ok()).unwrap_or(JsValue::UNDEFINED);
        string_pairs(&v).into_iter().filter(|(k, _)| k == "sha1" || k == "sha256").collect()
    };
    ObjectInfo {
        key: field(o, "key").as_string().unwrap_or_default(),
        size: field(o, "size").as_f64().unwrap_or(0.0) as u64,
        etag: field(o, "httpEtag").as_string().unwrap_or_default(),
        uploaded_ms: uploaded,
        http: string_pairs(&field(o, "httpMetadata")),
        custom: string_pairs(&field(o, "customMetadata")),
        checksums,
    }
}

/// An answer as a store would send it.
fn answer(status: u16, headers: &Headers, body: Option<&JsValue>) -> Result<Response, S3Error> {
    let h = web_sys::Headers::new().map_err(|_| S3Error::internal("Headers"))?;
    for (k, v) in headers.iter() {
        let _ = h.append(k, v);
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers(&h);
    // an object's bytes are the object: never encoded again by its Content-Encoding
    let _ = Reflect::set(&init, &"encodeBody".into(), &"manual".into());
    let resp = match body {
        Some(b) if b.is_string() => web_sys::Response::new_with_opt_str_and_init(b.as_string().as_deref(), &init),
        Some(b) => web_sys::Response::new_with_opt_readable_stream_and_init(b.dyn_ref(), &init),
        None => web_sys::Response::new_with_opt_str_and_init(None, &init),
    }
    .map_err(|e| S3Error::internal(format!("building the R2 answer: {}", super::js::message(&e))))?;
    Ok(Response::from(resp))
}

fn xml(status: u16, doc: String) -> Result<Response, S3Error> {
    answer(status, &Headers::from_pairs([("content-type", "application/xml")]), Some(&JsValue::from_str(&doc)))
}

/// A 4xx is the store's answer (an S3 error document with its status); anything else fails the
/// request as an error of the gateway's.
fn error_answer(e: S3Error) -> Result<Response, S3Error> {
    if e.status >= 500 {
        return Err(e);
    }
    let mut answer = xml(e.status, e.to_xml("", ""))?;
    // as S3 answers a range past the end: the object's size in Content-Range too
    if let Some((_, total)) = e.extra.iter().find(|(k, _)| *k == "ActualObjectSize") {
        let _ = answer.headers_mut().set("content-range", &format!("bytes */{total}"));
    }
    Ok(answer)
}

/// Send `r` (to an `r2://` URL) with its body to the binding; the answer is shaped as S3's.
pub async fn send(r: &StoreRequest, body: Option<JsValue>) -> Result<Response, S3Error> {
    let req = core::parse(r)?;
    match run(&req, body).await {
        Ok(resp) => Ok(resp),
        Err(e) => error_answer(e),
    }
}

async fn body_text(body: Option<JsValue>) -> Result<String, S3Error> {
    let Some(b) = body else { return Ok(String::new()) };
    if let Some(s) = b.as_string() {
        return Ok(s);
    }
    let resp = web_sys::Response::new_with_opt_readable_stream(b.dyn_ref()).map_err(|e| S3Error::internal(super::js::message(&e)))?;
    let text = resp.text().map_err(|e| S3Error::internal(super::js::message(&e)))?;
    JsFuture::from(text).await.ok().and_then(|t| t.as_string()).ok_or_else(|| S3Error::incomplete_body("reading the request body"))
}

fn metadata_options(m: &core::Metadata) -> (JsValue, JsValue) {
    let http = Object::new();
    for (k, v) in &m.http {
        let v = if *k == "cacheExpiry" {
            match crate::time::parse_http_date(v) {
                Some(t) => js_sys::Date::new(&JsValue::from_f64(t as f64 * 1000.0)).into(),
                None => continue,
            }
        } else {
            JsValue::from_str(v)
        };
        let _ = Reflect::set(&http, &JsValue::from_str(k), &v);
    }
    let custom = Object::new();
    for (k, v) in &m.custom {
        let _ = Reflect::set(&custom, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    (http.into(), custom.into())
}

/// The metadata of an existing object, in R2's shape, for a copy that keeps it.
fn stored_metadata(o: &ObjectInfo) -> core::Metadata {
    let http = o
        .http
        .iter()
        .filter_map(|(k, v)| {
            let (header, field) = core::HTTP_METADATA.iter().find(|(_, f)| f == k)?;
            // cacheExpiry comes back as milliseconds: the copy takes it as an HTTP date again
            let v = if *header == "expires" { crate::time::http_date(core::expiry_secs(v)?) } else { v.clone() };
            Some((*field, v))
        })
        .collect();
    core::Metadata { http, custom: o.custom.clone() }
}

fn unquoted(etag: &str) -> String {
    crate::text::trim_start_matches(etag.trim(), "W/").trim_matches('"').to_string()
}

async fn run(req: &R2Request, body: Option<JsValue>) -> Result<Response, S3Error> {
    let b = binding(&req.binding)?;
    let h = &req.headers;
    match &req.op {
        Op::Get { key, head } => get(&b, key, *head, h).await,
        Op::Put { key } => {
            let meta = core::metadata_of(h);
            let (http, custom) = metadata_options(&meta);
            let mut opts = vec![("httpMetadata", http), ("customMetadata", custom)];
            for (name, hex) in core::put_checksums(h)? {
                opts.push((name, JsValue::from_str(&hex)));
            }
            if let Some(c) = conditions(h, &["if-match", "if-none-match"]) {
                opts.push(("onlyIf", c));
            }
            let body = body.unwrap_or_else(|| JsValue::from_str(""));
            let o = call(&b, "put", &[JsValue::from_str(key), body, obj(&opts)]).await?;
            if o.is_null() || o.is_undefined() {
                return Err(S3Error::precondition_failed(None));
            }
            let o = info(&o);
            let mut out = Headers::from_pairs([("etag", o.etag.clone())]);
            for (k, v) in h.iter().filter(|(k, _)| k.starts_with("x-amz-checksum-") && *k != "x-amz-checksum-algorithm") {
                out.append(k, v.to_string());
            }
            answer(200, &out, None)
        }
        Op::Copy { key, source } => copy(&b, key, source, h).await,
        Op::Delete { key } => {
            call(&b, "delete", &[JsValue::from_str(key)]).await?;
            answer(204, &Headers::new(), None)
        }
        Op::DeleteMany => {
            let doc = body_text(body).await?;
            let (quiet, keys, result) = core::delete_many(&doc)?;
            if !keys.is_empty() {
                let keys: Array = keys.iter().map(|k| JsValue::from_str(k)).collect();
                call(&b, "delete", &[keys.into()]).await?;
            }
            xml(200, crate::s3::xml::delete_result_xml(&result, quiet))
        }
        Op::List(lr) => {
            let (prefix, delimiter, cursor, start_after, limit) = core::list_options(lr);
            let page = list(&b, &prefix, delimiter.as_deref(), cursor.as_deref(), start_after.as_deref(), limit).await?;
            xml(200, core::list_xml(&req.binding, lr, page))
        }
        Op::ListVersions { prefix, max_keys, key_marker } => {
            let page = list(&b, prefix, None, None, key_marker.as_deref(), (*max_keys).max(1)).await?;
            xml(200, core::list_versions_xml(&req.binding, prefix, *max_keys, &page))
        }
        Op::GetVersioning => xml(200, core::versioning_xml()),
        Op::HeadBucket => {
            list(&b, "", None, None, None, 1).await?;
            answer(200, &Headers::new(), None)
        }
        Op::CreateMultipart { key } => {
            let (http, custom) = metadata_options(&core::metadata_of(h));
            let u =
                call(&b, "createMultipartUpload", &[JsValue::from_str(key), obj(&[("httpMetadata", http), ("customMetadata", custom)])])
                    .await?;
            let upload_id = field(&u, "uploadId").as_string().unwrap_or_default();
            let doc = crate::s3::xml::initiate_multipart_upload_xml(&crate::s3::xml::InitiateMultipartUpload {
                bucket: req.binding.clone(),
                key: key.clone(),
                upload_id,
            });
            xml(200, doc)
        }
        Op::UploadPart { key, upload_id, part } => {
            let u = call(&b, "resumeMultipartUpload", &[JsValue::from_str(key), JsValue::from_str(upload_id)]).await?;
            let body = body.unwrap_or_else(|| JsValue::from_str(""));
            let p = call(&u, "uploadPart", &[JsValue::from_f64(*part as f64), body]).await?;
            let etag = field(&p, "etag").as_string().unwrap_or_default();
            answer(200, &Headers::from_pairs([("etag", format!("\"{}\"", unquoted(&etag)))]), None)
        }
        Op::Complete { key, upload_id } => {
            let doc = body_text(body).await?;
            let parts = crate::s3::xml::parse_complete_multipart_upload(&doc)?;
            let list: Array = parts
                .iter()
                .map(|p| obj(&[("partNumber", JsValue::from_f64(p.part_number as f64)), ("etag", JsValue::from_str(&unquoted(&p.etag)))]))
                .collect();
            let u = call(&b, "resumeMultipartUpload", &[JsValue::from_str(key), JsValue::from_str(upload_id)]).await?;
            let o = info(&call(&u, "complete", &[list.into()]).await?);
            let doc = crate::s3::xml::complete_multipart_upload_result_xml(&crate::s3::xml::CompleteMultipartUploadResult {
                location: String::new(),
                bucket: req.binding.clone(),
                key: key.clone(),
                etag: o.etag,
                checksums: Vec::new(),
                checksum_type: None,
            });
            xml(200, doc)
        }
        Op::Abort { key, upload_id } => {
            let u = call(&b, "resumeMultipartUpload", &[JsValue::from_str(key), JsValue::from_str(upload_id)]).await?;
            call(&u, "abort", &[]).await?;
            answer(204, &Headers::new(), None)
        }
    }
}

/// The request's conditional headers `names` as a `Headers` object for R2's `onlyIf`.
fn conditions(h: &Headers, names: &[&str]) -> Option<JsValue> {
    let present: Vec<(&str, &str)> = names.iter().filter_map(|n| h.get(n).map(|v| (*n, v))).collect();
    if present.is_empty() {
        return None;
    }
    let out = web_sys::Headers::new().ok()?;
    for (k, v) in present {
        let _ = out.append(k, v);
    }
    Some(out.into())
}

async fn list(
    b: &JsValue,
    prefix: &str,
    delimiter: Option<&str>,
    cursor: Option<&str>,
    start_after: Option<&str>,
    limit: u32,
) -> Result<ListPage, S3Error> {
    let mut opts = vec![("prefix", JsValue::from_str(prefix)), ("limit", JsValue::from_f64(limit as f64))];
    if let Some(d) = delimiter {
        opts.push(("delimiter", JsValue::from_str(d)));
    }
    if let Some(c) = cursor {
        opts.push(("cursor", JsValue::from_str(c)));
    }
    if let Some(s) = start_after {
        opts.push(("startAfter", JsValue::from_str(s)));
    }
    let r = call(b, "list", &[obj(&opts)]).await?;
    let objects = field(&r, "objects").dyn_into::<Array>().map(|a| a.iter().map(|o| info(&o)).collect()).unwrap_or_default();
    let prefixes =
        field(&r, "delimitedPrefixes").dyn_into::<Array>().map(|a| a.iter().filter_map(|p| p.as_string()).collect()).unwrap_or_default();
    let truncated = field(&r, "truncated").as_bool().unwrap_or(false);
    Ok(ListPage { objects, prefixes, truncated, cursor: field(&r, "cursor").as_string() })
}

/// GetObject / HeadObject, with the conditions and the range decided by the core on the object's
/// metadata. A whole-object GET is one `get`, which brings the metadata with the body. A HEAD is
/// one `head`. A ranged GET needs the size first: `head`, then a `get` of those bytes, read only if
/// they are still the head's.
async fn get(b: &JsValue, key: &str, head: bool, h: &Headers) -> Result<Response, S3Error> {
    let checksum_mode = h.get("x-amz-checksum-mode").is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"));
    if !head && h.get("range").is_none() {
        let got = call(b, "get", &[JsValue::from_str(key)]).await?;
        if got.is_null() || got.is_undefined() {
            return Err(S3Error::no_such_key());
        }
        let o = info(&got);
        let stream = field(&got, "body");
        if let Some(instead) = condition_answer(&o, "GET", h, checksum_mode) {
            cancel(&stream);
            return instead;
        }
        return answer(200, &core::object_headers(&o, o.size, checksum_mode), Some(&stream));
    }
    for _attempt in 0..3 {
        let o = call(b, "head", &[JsValue::from_str(key)]).await?;
        if o.is_null() || o.is_undefined() {
            return Err(S3Error::no_such_key());
        }
        let o = info(&o);
        if let Some(instead) = condition_answer(&o, if head { "HEAD" } else { "GET" }, h, checksum_mode) {
            return instead;
        }
        let v = Validators { etag: Some(&o.etag), last_modified: Some(o.last_modified()) };
        let range = match h.get("range") {
            Some(r) if crate::http::conditional::range_allowed(h, &v) => parse_range(r),
            _ => RangeRequest::Ignored,
        };
        let answer_range = resolve(&range, o.size);
        let (status, length) = match answer_range {
            RangeAnswer::Full => (200, o.size),
            RangeAnswer::Partial { start, end, .. } => (206, end - start + 1),
            RangeAnswer::Unsatisfiable { .. } => {
                let mut e = S3Error::of(crate::s3::error::Code::InvalidRange);
                e = e.with("RangeRequested", h.get("range").unwrap_or_default()).with("ActualObjectSize", o.size.to_string());
                return Err(e);
            }
        };
        let mut out = core::object_headers(&o, length, checksum_mode);
        if let Some(cr) = content_range(&answer_range) {
            out.append("content-range", cr);
        }
        if head {
            return answer(status, &out, None);
        }
        let mut opts = vec![("onlyIf", obj(&[("etagMatches", JsValue::from_str(&unquoted(&o.etag)))]))];
        if let RangeAnswer::Partial { start, .. } = answer_range {
            opts.push(("range", obj(&[("offset", JsValue::from_f64(start as f64)), ("length", JsValue::from_f64(length as f64))])));
        }
        let got = call(b, "get", &[JsValue::from_str(key), obj(&opts)]).await?;
        if got.is_null() || got.is_undefined() {
            return Err(S3Error::no_such_key());
        }
        let stream = field(&got, "body");
        if stream.is_undefined() || stream.is_null() {
            // replaced between the head and the get: decide again on the new object
            continue;
        }
        return answer(status, &out, Some(&stream));
    }
    Err(S3Error::with_message(crate::s3::error::Code::SlowDown, "the object kept changing while it was read").with_status(503))
}

/// The answer the request's conditions give instead of the object `o` (a 304, or a 412), if any.
fn condition_answer(o: &ObjectInfo, method: &str, h: &Headers, checksum_mode: bool) -> Option<Result<Response, S3Error>> {
    let v = Validators { etag: Some(&o.etag), last_modified: Some(o.last_modified()) };
    match decide(method, h, &v).outcome {
        Outcome::Proceed => None,
        Outcome::NotModified => {
            let full = core::object_headers(o, o.size, checksum_mode);
            Some(answer(304, &crate::http::conditional::not_modified_headers(&full), None))
        }
        Outcome::PreconditionFailed => Some(Err(S3Error::precondition_failed(None))),
    }
}

/// Let go of a body that will not be sent (`ReadableStream.cancel()`; its promise is not waited for).
fn cancel(stream: &JsValue) {
    if let Some(s) = stream.dyn_ref::<web_sys::ReadableStream>() {
        let _ = s.cancel();
    }
}

/// CopyObject as a streamed get-then-put (R2's binding has no copy): the source's conditions
/// (`x-amz-copy-source-if-*`), its metadata unless `REPLACE`, within `COPY_MAX_BYTES`.
async fn copy(b: &JsValue, key: &str, source: &str, h: &Headers) -> Result<Response, S3Error> {
    let src = call(b, "head", &[JsValue::from_str(source)]).await?;
    if src.is_null() || src.is_undefined() {
        return Err(S3Error::no_such_key());
    }
    let s = info(&src);
    let mut cond = Headers::new();
    for (from, to) in [
        ("x-amz-copy-source-if-match", "if-match"),
        ("x-amz-copy-source-if-none-match", "if-none-match"),
        ("x-amz-copy-source-if-modified-since", "if-modified-since"),
        ("x-amz-copy-source-if-unmodified-since", "if-unmodified-since"),
    ] {
        if let Some(v) = h.get(from) {
            cond.append(to, v.to_string());
        }
    }
    let v = Validators { etag: Some(&s.etag), last_modified: Some(s.last_modified()) };
    if decide("PUT", &cond, &v).outcome != Outcome::Proceed || decide("GET", &cond, &v).outcome != Outcome::Proceed {
        return Err(S3Error::precondition_failed(None));
    }
    if s.size > core::COPY_MAX_BYTES {
        return Err(S3Error::invalid_request(format!(
            "an R2 binding copies objects of up to {} bytes (a get piped into a put); this one has {}",
            core::COPY_MAX_BYTES,
            s.size
        )));
    }
    let replace = h.get("x-amz-metadata-directive").is_some_and(|d| d.trim().eq_ignore_ascii_case("REPLACE"));
    let meta = if replace { core::metadata_of(h) } else { stored_metadata(&s) };
    let got =
        call(b, "get", &[JsValue::from_str(source), obj(&[("onlyIf", obj(&[("etagMatches", JsValue::from_str(&unquoted(&s.etag)))]))])])
            .await?;
    let body = field(&got, "body");
    if got.is_null() || body.is_undefined() || body.is_null() {
        return Err(S3Error::precondition_failed(None));
    }
    let (http, custom) = metadata_options(&meta);
    let mut opts = vec![("httpMetadata", http), ("customMetadata", custom)];
    if let Some(c) = conditions(h, &["if-match", "if-none-match"]) {
        opts.push(("onlyIf", c));
    }
    let o = call(b, "put", &[JsValue::from_str(key), body, obj(&opts)]).await?;
    if o.is_null() || o.is_undefined() {
        return Err(S3Error::precondition_failed(None));
    }
    let o = info(&o);
    let doc = crate::s3::xml::copy_object_result_xml(&crate::s3::xml::CopyResult {
        last_modified: Some(o.last_modified()),
        etag: o.etag,
        checksums: Vec::new(),
    });
    xml(200, doc)
}
