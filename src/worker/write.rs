//! Writes through the edge: PUT (streamed), copy, multipart (create, part, part copy, list,
//! complete, abort), DELETE and DeleteObjects, and the access-key bucket listings. Each handler
//! gets its grants from the dispatcher (`super::s3`); every write that may have happened (a
//! success, and a timeout, network error or 5xx whose outcome is unknown) purges the object
//! from this data centre's edge cache before answering, and a successful write of a new object
//! posts an upload-complete event in the background.

use super::body::{pump, read_capped, read_whole, Deadline, ErrorSlot};
use super::convert::{bytes_response, from_worker_headers};
use super::ctx::Ctx;
use super::read::purge;
use super::store_fetch::{document, fetch_with, send, store_error, text};
use crate::auth::token::Method;
use crate::auth::Principal;
use crate::config::BucketConfig;
use crate::guard::grant::authorize;
use crate::guard::table::{MAX_COMPLETE_XML, MAX_DELETE_XML};
use crate::guard::{Grant, GrantKind, StoreHeaders, Who};
use crate::http::{Headers, RequestParts};
use crate::s3::error::S3Error;
use crate::s3::xml;
use crate::sigv4::{sha256_hex, EMPTY_SHA256, UNSIGNED_PAYLOAD};
use crate::store::build;
use crate::upload::{plan_put_with, upload_event, BodyFilter, UploadEvent};
use wasm_bindgen::JsValue;
use web_sys::Request;
use worker::Response;

/// Store response headers a write passes to the client.
fn write_headers(store: &Headers) -> Headers {
    let mut h = Headers::new();
    for (k, v) in store.iter() {
        if k == "etag"
            || k.starts_with("x-amz-version-id")
            || k == "x-amz-delete-marker"
            || k.starts_with("x-amz-checksum-")
            || k.starts_with("x-amz-server-side-encryption")
        {
            h.append(k, v);
        }
    }
    h
}

fn xml_response(status: u16, body: &str) -> Result<Response, S3Error> {
    xml_with_headers(status, Headers::new(), body)
}

/// An XML answer with some of the store's headers (`write_headers`).
fn xml_with_headers(status: u16, mut h: Headers, body: &str) -> Result<Response, S3Error> {
    h.insert("content-type", "application/xml");
    h.insert("cache-control", "no-store");
    Ok(bytes_response(status, &h, body.as_bytes().to_vec()))
}

fn pass_query(parts: &RequestParts, names: &[&str]) -> Vec<(String, String)> {
    parts.query_pairs().into_iter().filter(|(k, _)| names.contains(&k.as_str())).collect()
}

/// An XML body, read only now (after authorisation), at most `cap` bytes, checked against the
/// signed payload hash and Content-MD5 when the client sent them.
async fn read_xml(req: Request, parts: &RequestParts, principal: &Principal, cap: usize) -> Result<String, S3Error> {
    let bytes = read_capped(req, &parts.headers, cap).await?;
    crate::auth::verify::check_buffered_body(principal.payload(), &parts.headers, &bytes)?;
    String::from_utf8(bytes).map_err(|_| xml::malformed_xml())
}

/// May the principal read the key it writes (an access key; a token with GET or HEAD)?
fn may_read(p: &Principal) -> bool {
    match p {
        Principal::AccessKey(_) => true,
        Principal::Token(c, _, _) => c.methods.allows(Method::Head) || c.methods.allows(Method::Get),
        Principal::Anonymous => false,
    }
}

/// The byte limit for a principal's uploads (token `max_bytes`, `BAGROOM_MAX_UPLOAD_BYTES`).
fn upload_limit(ctx: &Ctx, principal: &Principal) -> u64 {
    principal.claims().and_then(|c| c.max_bytes).map_or(ctx.cfg.max_upload_bytes, |m| m.min(ctx.cfg.max_upload_bytes))
}

/// CreateMultipartUpload (S3 API): content-type limits of a token are checked here (parts carry
/// no type).
pub async fn create(
    ctx: &Ctx,
    parts: &RequestParts,
    principal: &Principal,
    grant: &Grant<'_>,
    headers: StoreHeaders,
) -> Result<Response, S3Error> {
    if let Some(c) = principal.claims() {
        crate::auth::token::check_upload(c, parts.headers.get("content-type"), Some(0))?;
    }
    let (mut doc, store_h) = create_multipart_with_headers(ctx, grant, &headers).await?;
    doc.bucket = grant.bucket().name.clone();
    // the store's answer headers: the checksum algorithm and type of a checksummed upload
    // (`x-amz-checksum-algorithm`, `x-amz-checksum-type`), SSE, as a client gets them directly
    xml_with_headers(200, write_headers(&store_h), &xml::initiate_multipart_upload_xml(&doc))
}

pub async fn list_parts(ctx: &Ctx, parts: &RequestParts, grant: &Grant<'_>) -> Result<Response, S3Error> {
    let q = pass_query(parts, &["uploadId", "max-parts", "part-number-marker"]);
    let r = build(grant, "GET", &q, &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
    let mut doc = xml::parse_list_parts(&document(&r, None, ctx.cfg.store_timeout_ms, &[]).await?)?;
    doc.bucket = grant.bucket().name.clone();
    doc.parts = crate::upload::latest_parts(std::mem::take(&mut doc.parts));
    xml_response(200, &xml::list_parts_xml(&doc))
}

pub async fn abort(ctx: &Ctx, parts: &RequestParts, grant: &Grant<'_>) -> Result<Response, S3Error> {
    abort_multipart(ctx, grant, &parts.query_param("uploadId").unwrap_or_default(), false).await?;
    Ok(bytes_response(204, &Headers::new(), Vec::new()))
}

pub async fn complete_s3(
    ctx: &Ctx,
    req: Request,
    parts: &RequestParts,
    principal: &Principal,
    grant: &Grant<'_>,
    headers: StoreHeaders,
) -> Result<Response, S3Error> {
    let upload_id = parts.query_param("uploadId").unwrap_or_default();
    let body = read_xml(req, parts, principal, MAX_COMPLETE_XML).await?;
    let list = xml::parse_complete_multipart_upload(&body)?;
    let done = complete(ctx, principal, grant, &upload_id, &list, headers).await?;
    let (bucket, key) = (grant.bucket(), grant.key());
    let out = xml::CompleteMultipartUploadResult {
        location: format!("/{}/{}", bucket.name, crate::encoding::uri_encode(key, true)),
        bucket: bucket.name.clone(),
        key: key.to_string(),
        // the ETag and the object's checksums (and their type) as the store answered them
        ..done.result
    };
    xml_with_headers(200, write_headers(&done.headers), &xml::complete_multipart_upload_result_xml(&out))
}

pub async fn delete(ctx: &Ctx, parts: &RequestParts, grant: &Grant<'_>) -> Result<Response, S3Error> {
    let q = pass_query(parts, &["versionId"]);
    let r = build(grant, "DELETE", &q, &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
    let sent = send(&r, None, ctx.cfg.store_timeout_ms).await;
    // purge whatever the outcome: a write whose result is unknown may have happened
    let version = parts.query_param("versionId").filter(|v| !v.is_empty());
    super::read::purge_version(&ctx.cfg.cache, grant.bucket(), grant.key(), version.as_deref()).await;
    let mut resp = sent?;
    if resp.status_code() >= 300 && resp.status_code() != 404 {
        return Err(store_error(&mut resp).await);
    }
    Ok(bytes_response(204, &write_headers(&from_worker_headers(resp.headers())), Vec::new()))
}

pub async fn list_uploads(ctx: &Ctx, parts: &RequestParts, grant: &Grant<'_>) -> Result<Response, S3Error> {
    let mut q = pass_query(parts, &["prefix", "delimiter", "key-marker", "upload-id-marker", "max-uploads", "encoding-type"]);
    q.push(("uploads".into(), String::new()));
    let r = build(grant, "GET", &q, &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
    let body = document(&r, None, ctx.cfg.store_timeout_ms, &[]).await?;
    xml_response(200, &xml::list_multipart_uploads_xml(&body, &grant.bucket().name)?)
}

/// The most bytes the wire body of an empty payload may have (the aws-chunked framing of no
/// bytes: a final chunk, its signature, a trailer).
const EMPTY_PAYLOAD_WIRE_CAP: usize = 8 * 1024;

/// PutObject / UploadPart: stream the body to the store.
pub async fn put(
    ctx: &Ctx,
    req: Request,
    parts: &RequestParts,
    principal: &Principal,
    grant: &Grant<'_>,
    headers: StoreHeaders,
    is_part: bool,
) -> Result<Response, S3Error> {
    let (bucket, key) = (grant.bucket(), grant.key());
    let claims = principal.claims();
    let mut plan = plan_put_with(headers, &parts.headers, principal.payload(), claims, ctx.cfg.max_upload_bytes, is_part)?;
    if bucket.store.r2_binding.is_some() {
        plan.check_header_checksum();
    }
    let query = if is_part { pass_query(parts, &["partNumber", "uploadId"]) } else { Vec::new() };
    let r = build(grant, "PUT", &query, &plan.store_headers, UNSIGNED_PAYLOAD, ctx.now)?;
    let slot: ErrorSlot = Default::default();
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
    let signing = || match principal {
        Principal::AccessKey(v) => Some((v.signing_key, v.amz_date.clone(), v.scope.clone(), v.signature.clone())),
        _ => None,
    };
    let body: Option<web_sys::ReadableStream> = if filtered && plan.length == Some(0) {
        // An empty payload has no final bytes to hold back from the store: its body (nothing, or
        // the aws-chunked framing of nothing) is read and checked before the store is asked at
        // all, or a replayed request could overwrite an object with an empty one.
        let wire = read_capped(req, &parts.headers, EMPTY_PAYLOAD_WIRE_CAP).await?;
        let mut check = BodyFilter::new(&plan, signing())?;
        check.push(&wire)?;
        check.finish()?;
        None
    } else {
        req.body()
    };
    let body_js: Option<JsValue> = match body {
        None => None,
        Some(stream) if !filtered => {
            deadline.start();
            Some(stream.into())
        }
        Some(stream) => {
            // the store's time limit runs from the end of the body, not from its start
            let d = deadline.clone();
            Some(pump(stream, plan.len(), BodyFilter::new(&plan, signing())?, slot.clone(), move || d.start())?.into())
        }
    };
    let body_js = match (body_js, plan.length) {
        (None, Some(n)) if n > 0 => return Err(S3Error::incomplete_body("The request body is missing.")),
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
    if !is_part {
        // purge whatever the outcome: a write whose result is unknown (a timeout, a network
        // error, a 5xx, a body cut short by the filter) may have happened
        purge(&ctx.cfg.cache, bucket, key).await;
    }
    if let Some(e) = slot.borrow_mut().take() {
        return Err(e);
    }
    let mut resp = sent?;
    if resp.status_code() >= 300 {
        return Err(store_error(&mut resp).await);
    }
    let sh = from_worker_headers(resp.headers());
    if !is_part {
        let etag = sh.get("etag").unwrap_or("").to_string();
        let content_type = parts.headers.get("content-type");
        notify(
            ctx,
            principal,
            UploadEvent { bucket: &bucket.name, key, size: plan.length, etag: &etag, content_type, via: "put", ..Default::default() },
        );
    }
    Ok(bytes_response(200, &write_headers(&sh), Vec::new()))
}

/// Every part the store lists for an upload (all pages, every attempt of a retried part).
pub async fn list_all_parts(ctx: &Ctx, grant: &Grant<'_>, upload_id: &str) -> Result<Vec<xml::PartInfo>, S3Error> {
    let mut all = Vec::new();
    let mut marker = 0u32;
    loop {
        let mut q = vec![("uploadId".to_string(), upload_id.to_string())];
        if marker > 0 {
            q.push(("part-number-marker".into(), marker.to_string()));
        }
        let r = build(grant, "GET", &q, &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
        let doc = xml::parse_list_parts(&document(&r, None, ctx.cfg.store_timeout_ms, &[]).await?)?;
        all.extend(doc.parts);
        match (doc.is_truncated, doc.next_part_number_marker) {
            (true, Some(m)) if m > marker => marker = m,
            _ => return Ok(all),
        }
    }
}

/// Start a multipart upload in the store (S3 API and Uppy routes alike).
pub async fn create_multipart(ctx: &Ctx, grant: &Grant<'_>, headers: &StoreHeaders) -> Result<xml::InitiateMultipartUpload, S3Error> {
    Ok(create_multipart_with_headers(ctx, grant, headers).await?.0)
}

/// A store XML answer (2xx) with its headers.
async fn document_and_headers(
    r: &crate::store::StoreRequest,
    body: Option<JsValue>,
    timeout_ms: u64,
) -> Result<(String, Headers), S3Error> {
    let mut resp = send(r, body, timeout_ms).await?;
    if !(200..300).contains(&resp.status_code()) {
        return Err(store_error(&mut resp).await);
    }
    let h = from_worker_headers(resp.headers());
    Ok((text(&mut resp).await?, h))
}

/// [`create_multipart`], with the store's answer headers.
async fn create_multipart_with_headers(
    ctx: &Ctx,
    grant: &Grant<'_>,
    headers: &StoreHeaders,
) -> Result<(xml::InitiateMultipartUpload, Headers), S3Error> {
    let r = build(grant, "POST", &[("uploads".into(), String::new())], headers, EMPTY_SHA256, ctx.now)?;
    let (doc, h) = document_and_headers(&r, None, ctx.cfg.store_timeout_ms).await?;
    Ok((xml::parse_initiate_multipart_upload(&doc)?, h))
}

/// Abort a multipart upload in the store; `missing_ok`: an upload already gone is not an error.
pub async fn abort_multipart(ctx: &Ctx, grant: &Grant<'_>, upload_id: &str, missing_ok: bool) -> Result<(), S3Error> {
    let q = [("uploadId".to_string(), upload_id.to_string())];
    let r = build(grant, "DELETE", &q, &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
    document(&r, None, ctx.cfg.store_timeout_ms, if missing_ok { &[404] } else { &[] }).await.map(drop)
}

/// The headers of an object as the store reports them (HEAD), if it exists.
async fn stored_head(ctx: &Ctx, grant: &Grant<'_>) -> Result<Option<Headers>, S3Error> {
    let r = build(grant, "HEAD", &[], &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
    let resp = send(&r, None, ctx.cfg.store_timeout_ms).await?;
    match resp.status_code() {
        200 => Ok(Some(from_worker_headers(resp.headers()))),
        404 => Ok(None),
        s => Err(S3Error::bad_gateway(format!("the store answered {s} to a HEAD"))),
    }
}

fn size_of(h: &Headers) -> Option<u64> {
    h.get("content-length").and_then(|v| v.trim().parse().ok())
}

/// The size of an object as the store reports it (HEAD), if it exists.
async fn stored_size(ctx: &Ctx, grant: &Grant<'_>) -> Result<Option<u64>, S3Error> {
    Ok(stored_head(ctx, grant).await?.as_ref().and_then(size_of))
}

/// A completed multipart upload: the store's result document, the object's size, and the
/// store's answer headers.
pub struct Completed {
    pub result: xml::CompleteMultipartUploadResult,
    pub size: u64,
    pub headers: Headers,
}

/// Complete a multipart upload: enforce the size limit over all parts (aborting the upload when
/// it is exceeded, so nothing is left behind), complete it in the store, then check the size the
/// store reports for the assembled object (a part uploaded straight to the store between the
/// listing and the completion could slip past the first check): an object over the limit is
/// deleted, and the client told. A completion the store no longer lists the upload of may be a
/// retry of one that happened (stores answer those with success): it succeeds only when the
/// object at the key has exactly the ETag the parts assemble to (`upload::already_completed`),
/// and writes nothing. The checks are `upload::multipart`'s; this does the IO between them.
pub async fn complete(
    ctx: &Ctx,
    principal: &Principal,
    grant: &Grant<'_>,
    upload_id: &str,
    parts_list: &[xml::CompletedPart],
    client_headers: StoreHeaders,
) -> Result<Completed, S3Error> {
    let (bucket, key) = (grant.bucket(), grant.key());
    // Multipart objects may exceed a single PUT's 5 GiB: only the configured and token limits apply.
    let limit = upload_limit(ctx, principal);
    // Sizes of the uploaded parts, from the store (every page: an upload may have 10,000 parts).
    // A store that cannot list parts (an R2 binding) leaves the limit to the check of the
    // assembled object's size below.
    let listed = match list_all_parts(ctx, grant, upload_id).await {
        Ok(listed) => Some(listed),
        Err(e) if e.code == crate::s3::error::Code::NotImplemented => None,
        Err(e) if e.code == crate::s3::error::Code::NoSuchUpload => return retried_completion(ctx, principal, grant, parts_list, e).await,
        Err(e) => return Err(e),
    };
    let total = match listed.map(|listed| crate::upload::check_listed_total(parts_list, &listed, limit)) {
        None => 0,
        Some(Ok(total)) => total,
        Some(Err(e)) => {
            let _ = abort_multipart(ctx, grant, upload_id, true).await;
            return Err(e);
        }
    };
    let body = xml::complete_multipart_upload_xml(parts_list);
    let h = crate::upload::complete_headers(client_headers, principal.claims().is_some_and(|c| c.no_overwrite));
    let q = [("uploadId".to_string(), upload_id.to_string())];
    let r = build(grant, "POST", &q, &h, &sha256_hex(body.as_bytes()), ctx.now)?;
    // S3 may answer 200 with an <Error> body: the parser turns that into an error.
    let done = document_and_headers(&r, Some(JsValue::from_str(&body)), ctx.cfg.store_timeout_ms).await;
    purge(&ctx.cfg.cache, bucket, key).await;
    let (done, done_headers) = match done {
        Err(e) if e.code == crate::s3::error::Code::NoSuchUpload => return retried_completion(ctx, principal, grant, parts_list, e).await,
        r => r?,
    };
    let done = xml::parse_complete_multipart_upload_result(&done)?;
    let stored = match crate::upload::check_stored_size(stored_size(ctx, grant).await?, total, limit) {
        Ok(stored) => stored,
        Err(e) => {
            // the gateway undoing its own write: not the client's DELETE
            let undo = Grant::maintenance(bucket, key, GrantKind::Delete);
            if let Ok(r) = build(&undo, "DELETE", &[], &StoreHeaders::none(), EMPTY_SHA256, ctx.now) {
                let _ = send(&r, None, ctx.cfg.store_timeout_ms).await;
            }
            purge(&ctx.cfg.cache, bucket, key).await;
            return Err(e);
        }
    };
    notify(
        ctx,
        principal,
        UploadEvent { bucket: &bucket.name, key, size: Some(stored), etag: &done.etag, via: "multipart", ..Default::default() },
    );
    Ok(Completed { result: done, size: stored, headers: done_headers })
}

/// A completion the store no longer knows the upload of (`e`, NoSuchUpload) may be a retry of one
/// that happened (the client lost the first answer): S3 answers it with success when the object
/// is the one these parts assembled. Nothing is written here: the answer is the object's, when
/// its ETag is exactly theirs, and only for a credential that may read the key (the answer says
/// what the object is).
async fn retried_completion(
    ctx: &Ctx,
    principal: &Principal,
    grant: &Grant<'_>,
    parts_list: &[xml::CompletedPart],
    e: S3Error,
) -> Result<Completed, S3Error> {
    if !may_read(principal) {
        return Err(e);
    }
    let head = stored_head(ctx, grant).await?;
    let Some(etag) = crate::upload::already_completed(parts_list, head.as_ref().and_then(|h| h.get("etag"))) else {
        return Err(e);
    };
    let h = head.unwrap_or_default();
    let result = xml::CompleteMultipartUploadResult { etag, ..Default::default() };
    Ok(Completed { result, size: size_of(&h).unwrap_or(0), headers: Headers::new() })
}

/// DeleteObjects: the body is read (capped) only after the credential proved it may delete
/// something here; keys it may not delete are reported as errors in the result (as S3 does per
/// key); the others go to the store in one request written from their grants, and each of them
/// is purged.
pub async fn delete_objects(
    ctx: &Ctx,
    req: Request,
    parts: &RequestParts,
    who: &Who<'_>,
    bucket: &BucketConfig,
) -> Result<Response, S3Error> {
    let body = read_xml(req, parts, who.principal, MAX_DELETE_XML).await?;
    let (quiet, objects) = xml::parse_delete_request(&body)?;
    let mut result = xml::DeleteResult::default();
    let mut allowed = Vec::new();
    for o in objects {
        match authorize(who, bucket, Method::Delete, &o.key) {
            Ok(g) => allowed.push((g, o.version_id)),
            Err(e) => result.errors.push((o, e.code.to_string(), e.message)),
        }
    }
    if !allowed.is_empty() {
        let (r, doc) = crate::store::delete_objects(&allowed, ctx.now)?;
        let sent = document(&r, Some(JsValue::from_str(&doc)), ctx.cfg.store_timeout_ms, &[]).await;
        // purge every key sent, whatever the outcome: deleted, failed with an unknown outcome
        // (a timeout, a 5xx, an unreadable answer, a per-key InternalError) or not deleted
        // (purging that costs one miss)
        for (g, v) in &allowed {
            super::read::purge_version(&ctx.cfg.cache, bucket, g.key(), v.as_deref()).await;
        }
        let done = xml::parse_delete_result(&sent?)?;
        result.deleted.extend(done.deleted);
        result.errors.extend(done.errors);
    }
    xml_response(200, &xml::delete_result_xml(&result, quiet))
}

/// CopyObject and UploadPartCopy. The source was named by `x-amz-copy-source`: it is authorised
/// here as a GET by the same principal, and for share tokens the copy obeys the upload limits
/// (size, content type, no-overwrite) from what the store says of the source, pinned by its ETag
/// so the store copies exactly what was checked.
#[allow(clippy::too_many_arguments)]
pub async fn copy(
    ctx: &Ctx,
    parts: &RequestParts,
    principal: &Principal,
    dest: &Grant<'_>,
    source: &Grant<'_>,
    version: Option<String>,
    headers: StoreHeaders,
    is_part: bool,
) -> Result<Response, S3Error> {
    let (bucket, key) = (dest.bucket(), dest.key());
    let mut h = headers;
    if let Some(claims) = principal.claims() {
        let vq: Vec<(String, String)> = version.iter().map(|v| ("versionId".to_string(), v.clone())).collect();
        let r = build(source, "HEAD", &vq, &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
        let mut resp = send(&r, None, ctx.cfg.store_timeout_ms).await?;
        if resp.status_code() == 404 {
            return Err(S3Error::no_such_key());
        }
        if resp.status_code() >= 300 {
            return Err(store_error(&mut resp).await);
        }
        let sh = from_worker_headers(resp.headers());
        let src_size: u64 = sh.get("content-length").and_then(|v| v.trim().parse().ok()).unwrap_or(u64::MAX);
        let plan = crate::upload::plan_copy(claims, ctx.cfg.max_upload_bytes, &parts.headers, &sh, src_size, is_part)?;
        if let Some(etag) = sh.get("etag") {
            h.set("x-amz-copy-source-if-match", etag);
        }
        if plan.no_overwrite {
            if stored_size(ctx, dest).await?.is_some() {
                return Err(S3Error::precondition_failed(None));
            }
            h.set("if-none-match", "*");
        }
    }
    let q = if is_part { pass_query(parts, &["partNumber", "uploadId"]) } else { Vec::new() };
    let r = crate::store::copy(dest, source, version.as_deref(), &q, &h, ctx.now)?;
    let sent = send(&r, None, ctx.cfg.store_timeout_ms).await;
    if !is_part {
        purge(&ctx.cfg.cache, bucket, key).await;
    }
    let mut resp = sent?;
    if resp.status_code() != 200 {
        return Err(store_error(&mut resp).await);
    }
    let sh = from_worker_headers(resp.headers());
    let doc = xml::parse_copy_result(&text(&mut resp).await?)?;
    let mut out = write_headers(&sh);
    out.insert("content-type", "application/xml");
    if is_part {
        return Ok(bytes_response(200, &out, xml::copy_part_result_xml(&doc).into_bytes()));
    }
    notify(ctx, principal, UploadEvent { bucket: &bucket.name, key, etag: &doc.etag, via: "copy", ..Default::default() });
    Ok(bytes_response(200, &out, xml::copy_object_result_xml(&doc).into_bytes()))
}

/// Post an upload-complete event to the configured webhook, in the background.
/// `written` says what was written and how; who and when are filled in here.
pub fn notify(ctx: &Ctx, principal: &Principal, written: UploadEvent) {
    let Some(url) = ctx.cfg.webhook_url.clone() else { return };
    let who = principal.label();
    let body = upload_event(&UploadEvent { who: &who, now: ctx.now, ..written });
    ctx.wait.wait_until(async move {
        let sent = match super::js::post_json(&url, &body) {
            Ok(p) => super::js::response(p).await,
            Err(e) => Err(e),
        };
        let ok = match sent {
            Ok(resp) if resp.status() < 300 => true,
            Ok(resp) => {
                worker::console_error!("upload event: webhook answered {}", resp.status());
                false
            }
            Err(e) => {
                worker::console_error!("upload event: webhook failed: {}", super::js::message(&e));
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
        let r = build(&Grant::maintenance(bucket, "", GrantKind::Bucket), "GET", &q, &StoreHeaders::none(), EMPTY_SHA256, now)?;
        let doc = xml::parse_list_multipart_uploads(&document(&r, None, cfg.store_timeout_ms, &[]).await?)?;
        for u in &doc.uploads {
            if crate::upload::is_stale(u.initiated, now, cfg.multipart_max_age_secs) {
                let q = vec![("uploadId".to_string(), u.upload_id.clone())];
                let Ok(r) =
                    build(&Grant::maintenance(bucket, &u.key, GrantKind::Write), "DELETE", &q, &StoreHeaders::none(), EMPTY_SHA256, now)
                else {
                    continue;
                };
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

/// Read a POST Object form whole: once its start reaches the file, at most what
/// `crate::upload::post::form_cap` allows (the policy's content-length-range maximum, or the
/// upload limit, whichever is smaller); before that, at most S3's 20 KiB of fields.
async fn read_form(req: Request, boundary: &str, limit: u64) -> Result<Vec<u8>, S3Error> {
    if req.body().is_none() {
        return Err(S3Error::invalid_argument("POST requires exactly one file upload per request.").with("ArgumentName", "file"));
    }
    let mut cap: Option<u64> = None;
    read_whole(req, None, &mut |out| {
        if cap.is_none() {
            cap = crate::upload::post::form_cap(out, boundary, limit)?;
        }
        match cap {
            Some(c) if out.len() as u64 > c => Err(S3Error::entity_too_large(c.min(limit))),
            _ => Ok(()),
        }
    })
    .await
}

/// POST Object: a browser form upload to the gateway (the form is read whole, see `read_form`);
/// the policy is verified and the form's key authorised for its signer by
/// `crate::guard::plan::plan_form`, then the file is PUT to the store.
pub async fn post_object(ctx: &Ctx, req: Request, parts: &RequestParts, who: &Who<'_>, bucket: &BucketConfig) -> Result<Response, S3Error> {
    use crate::upload::post::{post_response_xml, redirect_location, PostSuccess};
    let ct = parts.headers.get("content-type").unwrap_or("").to_string();
    let boundary =
        crate::upload::post::form_boundary(&ct).ok_or_else(|| S3Error::invalid_argument("POST Object needs a multipart/form-data body"))?;
    let body = read_form(req, &boundary, crate::upload::byte_limit(None, ctx.cfg.max_upload_bytes)).await?;
    let f = crate::guard::plan::plan_form(&ctx.cfg, who, bucket, &ct, &body)?;
    let file = &body[f.file.0..f.file.1];
    let key = f.grant.key().to_string();
    ctx.log_principal(&f.signer);
    ctx.log.borrow_mut().key(&key);
    let r = build(&f.grant, "PUT", &[], &f.headers, &sha256_hex(file), ctx.now)?;
    let sent = send(&r, Some(js_sys::Uint8Array::from(file).into()), ctx.cfg.store_timeout_ms).await;
    // purge whatever the outcome: a write whose result is unknown may have happened
    purge(&ctx.cfg.cache, bucket, &key).await;
    let mut resp = sent?;
    if resp.status_code() >= 300 {
        return Err(store_error(&mut resp).await);
    }
    let sh = from_worker_headers(resp.headers());
    let etag = sh.get("etag").unwrap_or("").to_string();
    let content_type = f.post.headers.get("content-type");
    notify(
        ctx,
        &f.signer,
        UploadEvent {
            bucket: &bucket.name,
            key: &key,
            size: Some(file.len() as u64),
            etag: &etag,
            content_type,
            via: "post",
            ..Default::default()
        },
    );
    let location =
        format!("{}/{}/{}", ctx.origin, crate::encoding::uri_encode(&bucket.name, false), crate::encoding::uri_encode(&key, true));
    let mut h = write_headers(&sh);
    h.insert("location", location.clone());
    match f.post.success {
        PostSuccess::Redirect(url) => {
            h.insert("location", redirect_location(&url, &bucket.name, &key, &etag));
            Ok(bytes_response(303, &h, Vec::new()))
        }
        PostSuccess::Status(201) => xml_with_headers(201, h, &post_response_xml(&location, &bucket.name, &key, &etag)),
        PostSuccess::Status(s) => Ok(bytes_response(s, &h, Vec::new())),
    }
}
