//! Writes through the edge: PUT (streamed), multipart (create, part, list, complete, abort),
//! DELETE and copy. Every successful write purges the object from the edge cache and, for new
//! objects, posts an upload-complete event in the background.

use super::body::{filter, fixed_length, Deadline, ErrorSlot};
use super::convert::{bytes_response, from_worker_headers};
use super::download::purge;
use super::store_fetch::{document, fetch_with, send, store_error, text};
use super::Ctx;
use crate::auth::{authorize, Principal};
use crate::config::BucketConfig;
use crate::error::S3Error;
use crate::http::{Headers, RequestParts};
use crate::route::S3Op;
use crate::sigv4::verify::Payload;
use crate::sigv4::{sha256_hex, EMPTY_SHA256, UNSIGNED_PAYLOAD};
use crate::store::{build, forwardable};
use crate::token::{Claims, Method};
use crate::upload::{plan_put, upload_event, BodyFilter};
use crate::xml;
use wasm_bindgen::JsValue;
use worker::{Request, Response};

/// Largest XML body the gateway reads from a client (CompleteMultipartUpload).
const MAX_XML_BODY: usize = 2 * 1024 * 1024;

fn claims_of(p: &Principal) -> Option<&Claims> {
    match p {
        Principal::Token(c, _) => Some(c),
        _ => None,
    }
}

fn payload_of(p: &Principal) -> Option<&Payload> {
    match p {
        Principal::AccessKey(v) => Some(&v.payload),
        _ => None,
    }
}

/// Store response headers a write passes to the client.
fn write_headers(store: &Headers) -> Headers {
    let mut h = Headers::new();
    for (k, v) in store.iter() {
        if k == "etag" || k.starts_with("x-amz-version-id") || k.starts_with("x-amz-checksum-") || k.starts_with("x-amz-server-side-encryption") {
            h.append(k, v);
        }
    }
    h
}

pub async fn s3(
    ctx: &Ctx,
    req: Request,
    parts: &RequestParts,
    principal: &Principal,
    op: S3Op,
    bucket: &BucketConfig,
    key: &str,
) -> Result<Response, S3Error> {
    let ip = ctx.client_ip.as_deref();
    match op {
        S3Op::PutObject | S3Op::UploadPart => {
            authorize(principal, &ctx.keys, Method::Put, bucket, key, ip, ctx.now)?;
            put(ctx, req, parts, principal, &op, bucket, key).await
        }
        S3Op::CreateMultipartUpload => {
            authorize(principal, &ctx.keys, Method::Put, bucket, key, ip, ctx.now)?;
            if let Some(c) = claims_of(principal) {
                crate::token::check_upload(c, parts.headers.get("content-type"), Some(0))?;
            }
            let mut doc = create_multipart(ctx, bucket, key, &forwardable(&parts.headers)).await?;
            doc.bucket = bucket.name.clone();
            xml_response(200, &xml::initiate_multipart_upload_xml(&doc))
        }
        S3Op::ListParts => {
            authorize(principal, &ctx.keys, Method::Put, bucket, key, ip, ctx.now)?;
            let q = pass_query(parts, &["uploadId", "max-parts", "part-number-marker"]);
            let r = build(&bucket.store, "GET", key, &q, &Headers::new(), EMPTY_SHA256, ctx.now);
            let mut doc = xml::parse_list_parts(&document(&r, None, ctx.cfg.store_timeout_ms, &[]).await?)?;
            doc.bucket = bucket.name.clone();
            doc.parts = crate::upload::latest_parts(std::mem::take(&mut doc.parts));
            xml_response(200, &xml::list_parts_xml(&doc))
        }
        S3Op::AbortMultipartUpload => {
            authorize(principal, &ctx.keys, Method::Put, bucket, key, ip, ctx.now)?;
            abort_multipart(ctx, bucket, key, &parts.query_param("uploadId").unwrap_or_default(), false).await?;
            Ok(bytes_response(204, &Headers::new(), Vec::new()))
        }
        S3Op::CompleteMultipartUpload => {
            authorize(principal, &ctx.keys, Method::Put, bucket, key, ip, ctx.now)?;
            let upload_id = parts.query_param("uploadId").unwrap_or_default();
            let body = read_small_body(req).await?;
            let list = xml::parse_complete_multipart_upload(&body)?;
            let (etag, _) = complete(ctx, principal, bucket, key, &upload_id, &list, &parts.headers).await?;
            let out = xml::CompleteMultipartUploadResult {
                location: format!("/{}/{}", bucket.name, crate::encoding::uri_encode(key, true)),
                bucket: bucket.name.clone(),
                key: key.to_string(),
                etag,
                checksums: Vec::new(),
            };
            xml_response(200, &xml::complete_multipart_upload_result_xml(&out))
        }
        S3Op::DeleteObject => {
            authorize(principal, &ctx.keys, Method::Delete, bucket, key, ip, ctx.now)?;
            let q = pass_query(parts, &["versionId"]);
            let r = build(&bucket.store, "DELETE", key, &q, &Headers::new(), EMPTY_SHA256, ctx.now);
            let mut resp = send(&r, None, ctx.cfg.store_timeout_ms).await?;
            purge(bucket, key).await;
            if resp.status_code() >= 300 && resp.status_code() != 404 {
                return Err(store_error(&mut resp).await);
            }
            Ok(bytes_response(204, &write_headers(&from_worker_headers(resp.headers())), Vec::new()))
        }
        S3Op::DeleteObjects => delete_objects(ctx, req, principal, bucket).await,
        S3Op::CopyObject => copy(ctx, parts, principal, bucket, key).await,
        S3Op::ListBuckets => {
            if !matches!(principal, Principal::AccessKey(_)) {
                return Err(S3Error::access_denied("ListBuckets needs an access key"));
            }
            let mut w = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>bagroom</ID><DisplayName>bagroom</DisplayName></Owner><Buckets>");
            for b in &ctx.cfg.buckets {
                w.push_str(&format!("<Bucket><Name>{}</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>", xml::escape(&b.name)));
            }
            w.push_str("</Buckets></ListAllMyBucketsResult>");
            xml_response(200, &w)
        }
        S3Op::ListMultipartUploads => {
            if !matches!(principal, Principal::AccessKey(_)) {
                return Err(S3Error::access_denied("ListMultipartUploads needs an access key"));
            }
            let mut q = pass_query(parts, &["prefix", "delimiter", "key-marker", "upload-id-marker", "max-uploads", "encoding-type"]);
            q.push(("uploads".into(), String::new()));
            let r = build(&bucket.store, "GET", "", &q, &Headers::new(), EMPTY_SHA256, ctx.now);
            let body = document(&r, None, ctx.cfg.store_timeout_ms, &[]).await?;
            let store_bucket = format!("<Bucket>{}</Bucket>", xml::escape(&bucket.store.bucket));
            xml_response(200, &body.replacen(&store_bucket, &format!("<Bucket>{}</Bucket>", xml::escape(&bucket.name)), 1))
        }
        S3Op::Unsupported(what) => Err(S3Error::not_implemented(format!("bagroom does not implement {what}"))),
        S3Op::GetObject | S3Op::HeadObject | S3Op::ListObjects | S3Op::HeadBucket | S3Op::GetBucketLocation => {
            Err(S3Error::internal("routed to the wrong handler"))
        }
    }
}

fn xml_response(status: u16, body: &str) -> Result<Response, S3Error> {
    let mut h = Headers::new();
    h.insert("content-type", "application/xml");
    h.insert("cache-control", "no-store");
    Ok(bytes_response(status, &h, body.as_bytes().to_vec()))
}

fn pass_query(parts: &RequestParts, names: &[&str]) -> Vec<(String, String)> {
    parts.query_pairs().into_iter().filter(|(k, _)| names.contains(&k.as_str())).collect()
}

async fn read_small_body(mut req: Request) -> Result<String, S3Error> {
    let bytes = req.bytes().await.map_err(|e| S3Error::new(400, "IncompleteBody", format!("reading the request body: {e}")))?;
    if bytes.len() > MAX_XML_BODY {
        return Err(S3Error::new(400, "MaxMessageLengthExceeded", "Your request was too big."));
    }
    String::from_utf8(bytes).map_err(|_| xml::malformed_xml())
}

/// PutObject / UploadPart: stream the body to the store.
async fn put(
    ctx: &Ctx,
    req: Request,
    parts: &RequestParts,
    principal: &Principal,
    op: &S3Op,
    bucket: &BucketConfig,
    key: &str,
) -> Result<Response, S3Error> {
    let is_part = *op == S3Op::UploadPart;
    let claims = claims_of(principal);
    let plan = plan_put(&parts.headers, payload_of(principal), claims, ctx.cfg.max_upload_bytes, is_part)?;
    let query = if is_part { pass_query(parts, &["partNumber", "uploadId"]) } else { Vec::new() };
    let r = build(&bucket.store, "PUT", key, &query, &plan.store_headers, UNSIGNED_PAYLOAD, ctx.now);
    let slot: ErrorSlot = Default::default();
    let mut keep = None;
    let filtered = plan.needs_filter();
    // Fast path: the client's body goes to the store as the runtime's own stream (no JS pump per
    // chunk, so no CPU per byte); without a pump there is no signal for the body's end, so its
    // deadline is the store's answer time plus the body's length at MIN_UPLOAD_RATE. Filtered
    // bodies: the deadline runs from the end of the body.
    let deadline = if filtered {
        Deadline::new(ctx.cfg.store_timeout_ms)?
    } else {
        Deadline::new(ctx.cfg.store_timeout_ms.saturating_add(plan.len().saturating_mul(1000) / crate::upload::MIN_UPLOAD_RATE))?
    };
    let body: Option<web_sys::ReadableStream> = req.inner().body();
    let body_js: Option<JsValue> = match body {
        None => None,
        Some(stream) if !filtered => {
            deadline.start();
            Some(stream.into())
        }
        Some(stream) => {
            let signing = match principal {
                Principal::AccessKey(v) => Some((v.signing_key, v.amz_date.clone(), v.scope.clone(), v.signature.clone())),
                _ => None,
            };
            let f = filter(stream, BodyFilter::new(&plan, signing)?, slot.clone())?;
            let s = f.stream.clone();
            keep = Some(f);
            // the store's time limit runs from the end of the body, not from its start
            let d = deadline.clone();
            Some(fixed_length(s, plan.len(), move || d.start()).into())
        }
    };
    let body_js = match (body_js, plan.length) {
        (None, Some(n)) if n > 0 => return Err(S3Error::new(400, "IncompleteBody", "The request body is missing.")),
        (None, _) => {
            deadline.start();
            Some(JsValue::from_str(""))
        }
        (b, _) => b,
    };
    let sent = fetch_with(&r, body_js, &deadline.signal()).await.map_err(|e| {
        if deadline.expired() {
            S3Error::gateway_timeout("the store did not answer in time after the upload")
        } else {
            e
        }
    });
    deadline.clear();
    drop(keep);
    if let Some(e) = slot.borrow_mut().take() {
        return Err(e);
    }
    let mut resp = sent?;
    if resp.status_code() >= 300 {
        return Err(store_error(&mut resp).await);
    }
    let sh = from_worker_headers(resp.headers());
    if !is_part {
        purge(bucket, key).await;
        let etag = sh.get("etag").unwrap_or("").to_string();
        notify(ctx, bucket, key, plan.length, &etag, parts.headers.get("content-type"), principal, "put");
    }
    Ok(bytes_response(200, &write_headers(&sh), Vec::new()))
}

/// Every part the store lists for an upload (all pages, every attempt of a retried part).
pub async fn list_all_parts(ctx: &Ctx, bucket: &BucketConfig, key: &str, upload_id: &str) -> Result<Vec<xml::PartInfo>, S3Error> {
    let mut all = Vec::new();
    let mut marker = 0u32;
    loop {
        let mut q = vec![("uploadId".to_string(), upload_id.to_string())];
        if marker > 0 {
            q.push(("part-number-marker".into(), marker.to_string()));
        }
        let r = build(&bucket.store, "GET", key, &q, &Headers::new(), EMPTY_SHA256, ctx.now);
        let doc = xml::parse_list_parts(&document(&r, None, ctx.cfg.store_timeout_ms, &[]).await?)?;
        all.extend(doc.parts);
        match (doc.is_truncated, doc.next_part_number_marker) {
            (true, Some(m)) if m > marker => marker = m,
            _ => return Ok(all),
        }
    }
}

/// Start a multipart upload in the store (S3 API and Uppy routes alike).
pub async fn create_multipart(ctx: &Ctx, bucket: &BucketConfig, key: &str, headers: &Headers) -> Result<xml::InitiateMultipartUpload, S3Error> {
    let r = build(&bucket.store, "POST", key, &[("uploads".into(), String::new())], headers, EMPTY_SHA256, ctx.now);
    xml::parse_initiate_multipart_upload(&document(&r, None, ctx.cfg.store_timeout_ms, &[]).await?)
}

/// Abort a multipart upload in the store; `missing_ok`: an upload already gone is not an error.
pub async fn abort_multipart(ctx: &Ctx, bucket: &BucketConfig, key: &str, upload_id: &str, missing_ok: bool) -> Result<(), S3Error> {
    let q = [("uploadId".to_string(), upload_id.to_string())];
    let r = build(&bucket.store, "DELETE", key, &q, &Headers::new(), EMPTY_SHA256, ctx.now);
    document(&r, None, ctx.cfg.store_timeout_ms, if missing_ok { &[404] } else { &[] }).await.map(drop)
}

/// Complete a multipart upload: enforce the size limit over all parts (aborting the upload when
/// it is exceeded, so nothing is left behind), then complete it in the store.
pub async fn complete(
    ctx: &Ctx,
    principal: &Principal,
    bucket: &BucketConfig,
    key: &str,
    upload_id: &str,
    parts_list: &[xml::CompletedPart],
    client_headers: &Headers,
) -> Result<(String, u64), S3Error> {
    // Multipart objects may exceed a single PUT's 5 GiB: only the configured and token limits apply.
    let limit = claims_of(principal).and_then(|c| c.max_bytes).map_or(ctx.cfg.max_upload_bytes, |m| m.min(ctx.cfg.max_upload_bytes));
    // Sizes of the uploaded parts, from the store (every page: an upload may have 10,000 parts).
    let listed = list_all_parts(ctx, bucket, key, upload_id).await?;
    let total = crate::upload::completed_size(parts_list, &listed);
    if total > limit {
        let _ = abort_multipart(ctx, bucket, key, upload_id, true).await;
        return Err(S3Error::new(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.").with("MaxSizeAllowed", limit.to_string()));
    }
    let body = xml::complete_multipart_upload_xml(parts_list);
    let mut h = Headers::new();
    h.insert("content-type", "application/xml");
    if claims_of(principal).is_some_and(|c| c.no_overwrite) {
        h.insert("if-none-match", "*");
    } else if let Some(v) = client_headers.get("if-none-match") {
        h.insert("if-none-match", v);
    }
    let q = [("uploadId".to_string(), upload_id.to_string())];
    let r = build(&bucket.store, "POST", key, &q, &h, &sha256_hex(body.as_bytes()), ctx.now);
    // S3 may answer 200 with an <Error> body: the parser turns that into an error.
    let done = xml::parse_complete_multipart_upload_result(&document(&r, Some(JsValue::from_str(&body)), ctx.cfg.store_timeout_ms, &[]).await?)?;
    purge(bucket, key).await;
    notify(ctx, bucket, key, Some(total), &done.etag, None, principal, "multipart");
    Ok((done.etag, total))
}

/// DeleteObjects: keys the credential may not delete are reported as errors in the result (as S3
/// does per key); the others go to the store in one request, and each deleted key is purged.
async fn delete_objects(ctx: &Ctx, req: Request, principal: &Principal, bucket: &BucketConfig) -> Result<Response, S3Error> {
    use md5::Digest;
    let body = read_small_body(req).await?;
    let (quiet, objects) = xml::parse_delete_request(&body)?;
    let mut result = xml::DeleteResult::default();
    let mut allowed = Vec::new();
    for o in objects {
        match authorize(principal, &ctx.keys, Method::Delete, bucket, &o.key, ctx.client_ip.as_deref(), ctx.now) {
            Ok(()) => allowed.push(o),
            Err(e) => result.errors.push((o, e.code.to_string(), e.message)),
        }
    }
    if !allowed.is_empty() {
        let doc = xml::delete_request_xml(false, &allowed);
        let mut h = Headers::new();
        h.insert("content-type", "application/xml");
        h.insert("content-md5", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, md5::Md5::digest(doc.as_bytes())));
        let r = build(&bucket.store, "POST", "", &[("delete".into(), String::new())], &h, &sha256_hex(doc.as_bytes()), ctx.now);
        let done = xml::parse_delete_result(&document(&r, Some(JsValue::from_str(&doc)), ctx.cfg.store_timeout_ms, &[]).await?)?;
        for d in &done.deleted {
            purge(bucket, &d.key).await;
        }
        result.deleted.extend(done.deleted);
        result.errors.extend(done.errors);
    }
    xml_response(200, &xml::delete_result_xml(&result, quiet))
}

async fn copy(ctx: &Ctx, parts: &RequestParts, principal: &Principal, bucket: &BucketConfig, key: &str) -> Result<Response, S3Error> {
    let ip = ctx.client_ip.as_deref();
    authorize(principal, &ctx.keys, Method::Put, bucket, key, ip, ctx.now)?;
    let src = crate::encoding::percent_decode(parts.headers.get("x-amz-copy-source").unwrap_or(""));
    let src = src.trim_start_matches('/');
    let (src_bucket, rest) = src.split_once('/').ok_or_else(|| S3Error::invalid_argument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey"))?;
    let (src_key, version) = match rest.split_once("?versionId=") {
        Some((k, v)) => (k, Some(v)),
        None => (rest, None),
    };
    let sb = ctx.cfg.bucket(src_bucket).ok_or_else(|| S3Error::no_such_bucket(src_bucket))?;
    if sb.store.endpoint() != bucket.store.endpoint() {
        return Err(S3Error::not_implemented("copying between different stores"));
    }
    authorize(principal, &ctx.keys, Method::Get, sb, src_key, ip, ctx.now)?;
    let mut h = forwardable(&parts.headers);
    let mut source = format!("/{}/{}", sb.store.bucket, crate::encoding::uri_encode(src_key, true));
    if let Some(v) = version {
        source.push_str(&format!("?versionId={}", crate::encoding::uri_encode(v, false)));
    }
    h.insert("x-amz-copy-source", source);
    let r = build(&bucket.store, "PUT", key, &[], &h, EMPTY_SHA256, ctx.now);
    let mut resp = send(&r, None, ctx.cfg.store_timeout_ms).await?;
    if resp.status_code() != 200 {
        return Err(store_error(&mut resp).await);
    }
    let sh = from_worker_headers(resp.headers());
    let doc = xml::parse_copy_result(&text(&mut resp).await?)?;
    purge(bucket, key).await;
    notify(ctx, bucket, key, None, &doc.etag, None, principal, "copy");
    let mut h = write_headers(&sh);
    h.insert("content-type", "application/xml");
    Ok(bytes_response(200, &h, xml::copy_object_result_xml(&doc).into_bytes()))
}

/// Post an upload-complete event to the configured webhook, in the background.
pub fn notify(ctx: &Ctx, bucket: &BucketConfig, key: &str, size: Option<u64>, etag: &str, ctype: Option<&str>, principal: &Principal, via: &str) {
    let Some(url) = ctx.cfg.webhook_url.clone() else { return };
    let body = upload_event(&bucket.name, key, size, etag, ctype, &principal.label(), ctx.now, via);
    ctx.wait.wait_until(async move {
        let h = worker::Headers::new();
        let _ = h.set("content-type", "application/json");
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::Post).with_headers(h).with_body(Some(JsValue::from_str(&body)));
        let ok = match worker::Request::new_with_init(&url, &init) {
            Ok(r) => match worker::Fetch::Request(r).send().await {
                Ok(resp) if resp.status_code() < 300 => true,
                Ok(resp) => {
                    worker::console_error!("upload event: webhook answered {}", resp.status_code());
                    false
                }
                Err(e) => {
                    worker::console_error!("upload event: webhook failed: {e}");
                    false
                }
            },
            Err(e) => {
                worker::console_error!("upload event: bad webhook request: {e}");
                false
            }
        };
        if !ok {
            worker::console_error!("upload event not delivered: {body}");
        }
    });
}

/// Abort every multipart upload in `bucket` initiated more than the configured age ago.
/// Returns how many were aborted.
pub async fn abort_stale(cfg: &crate::config::Config, bucket: &BucketConfig, now: u64) -> Result<usize, S3Error> {
    let mut aborted = 0;
    let mut key_marker = String::new();
    let mut id_marker = String::new();
    for _page in 0..100 {
        let mut q = vec![("uploads".to_string(), String::new())];
        if !key_marker.is_empty() {
            q.push(("key-marker".into(), key_marker.clone()));
            q.push(("upload-id-marker".into(), id_marker.clone()));
        }
        let r = build(&bucket.store, "GET", "", &q, &Headers::new(), EMPTY_SHA256, now);
        let doc = xml::parse_list_multipart_uploads(&document(&r, None, cfg.store_timeout_ms, &[]).await?)?;
        for u in &doc.uploads {
            if crate::upload::is_stale(u.initiated, now, cfg.multipart_max_age_secs) {
                let q = vec![("uploadId".to_string(), u.upload_id.clone())];
                let r = build(&bucket.store, "DELETE", &u.key, &q, &Headers::new(), EMPTY_SHA256, now);
                match send(&r, None, cfg.store_timeout_ms).await {
                    Ok(resp) if resp.status_code() < 300 || resp.status_code() == 404 => aborted += 1,
                    Ok(resp) => worker::console_error!("cleanup: abort {} answered {}", u.key, resp.status_code()),
                    Err(e) => worker::console_error!("cleanup: abort {}: {}", u.key, e.message),
                }
            }
        }
        match (doc.is_truncated, doc.next_key_marker, doc.next_upload_id_marker) {
            (true, Some(k), Some(i)) if !k.is_empty() => {
                key_marker = k;
                id_marker = i;
            }
            _ => break,
        }
    }
    Ok(aborted)
}
