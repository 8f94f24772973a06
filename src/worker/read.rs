//! GET, HEAD and listings: authorise, answer from the edge cache when it holds the object (in
//! `revalidate` mode once the store confirmed it: `cache::revalidate`), else stream from the
//! store (and fill the cache in the background).

use super::convert::{bytes_response, from_worker_headers, stream_response};
use super::ctx::Ctx;
use super::store_fetch::{self, send, store_error};
use crate::auth::token::{Method, Scope};
use crate::auth::Principal;
use crate::cache::policy::{
    cache_key, entry_headers, miss_decision, miss_label, not_modified_label, passthrough_response_headers, storable, CacheConfig,
    Consistency, Storable, HIT, REVALIDATED, STALE,
};
use crate::cache::revalidate::{self, After, StoreAnswer};
use crate::config::BucketConfig;
use crate::guard::grant::authorize;
use crate::guard::{headers::from_client, Grant, HeaderSet, PrincipalClass, StoreHeaders};
use crate::http::{Headers, RequestParts};
use crate::s3::download::{finish_download_headers, overrides, plan_hit, Answer, HitPlan};
use crate::s3::error::S3Error;
use worker::{Cache, Response};

/// CORS preflight: the demo page and browser SDKs call the gateway from other origins. Any
/// method and request header may follow (each request is still authorised on its own); the
/// origin and the headers a page may read are added to every answer in `fetch`.
pub fn preflight() -> Response {
    let mut h = Headers::new();
    h.insert("access-control-allow-methods", "GET, HEAD, PUT, POST, DELETE, OPTIONS");
    h.insert("access-control-allow-headers", "*");
    h.insert("access-control-max-age", "3600");
    bytes_response(204, &h, Vec::new())
}

/// A share link: `/s/<token>` (the token's exact key) or `/s/<token>/<key>` (a key in its prefix).
pub async fn share(ctx: &Ctx, parts: &RequestParts, principal: &Principal, key: Option<String>) -> Result<Response, S3Error> {
    let Principal::Token(claims, _, _) = principal else {
        return Err(S3Error::access_denied("malformed token"));
    };
    let resolved = crate::guard::namespace::token_bucket(&ctx.cfg, principal, &claims.bucket)?;
    let bucket = resolved.bucket();
    let key = match (key, &claims.scope) {
        (Some(k), _) => k,
        (None, Scope::Exact(k)) => k.clone(),
        (None, Scope::Prefix(_)) => return Err(S3Error::invalid_request("this share link covers a prefix: add the key, /s/<token>/<key>")),
    };
    let method = if parts.method == "HEAD" {
        Method::Head
    } else if parts.method == "GET" {
        Method::Get
    } else {
        return Err(S3Error::method_not_allowed());
    };
    let grant = authorize(&ctx.who(principal), bucket, method, &key)?;
    let headers = from_client(HeaderSet::Read, PrincipalClass::of(principal), &parts.headers)?;
    let mut resp = get_object(ctx, parts, &grant, false, &headers).await?;
    // A share link opened in a browser: let the page's sub-requests to objects in the token's
    // scope carry the token. The cookie is sent only to those object paths, and authorises only
    // GET and HEAD there (`guard::grant::authorize`).
    if let Principal::Token(_, t, _) = principal {
        let ttl = claims.exp.saturating_sub(ctx.now).min(86_400);
        let path = crate::auth::cookie_path(&bucket.name, &claims.scope);
        let _ = resp.headers_mut().append(
            "set-cookie",
            &format!("{}={t}; Path={path}; Max-Age={ttl}; HttpOnly; Secure; SameSite=Lax", crate::auth::TOKEN_COOKIE),
        );
    }
    Ok(resp)
}

/// GET or HEAD of one object through the edge cache; `headers` are the client's read headers
/// the operation table lets through.
pub async fn get_object(
    ctx: &Ctx,
    parts: &RequestParts,
    grant: &Grant<'_>,
    signed: bool,
    headers: &StoreHeaders,
) -> Result<Response, S3Error> {
    let (bucket, key) = (grant.bucket(), grant.key());
    // user content never runs as script on the gateway's origin (see content_safety)
    let content_origin = ctx.cfg.on_content_origin(parts.headers.get("host"));
    let safe = |h: &mut Headers| crate::http::content_safety::apply(h, content_origin);
    let head = parts.method == "HEAD";
    let query = parts.query_pairs();
    let version_id = query.iter().find(|(k, _)| k == "versionId").map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    // one part of a multipart object: another representation than the object, never cached
    let part_number = crate::s3::download::part_number(&query)?;
    let ovr = if signed { overrides(&query) } else { Vec::new() };
    let answer = |status| Answer { method: &parts.method, status, accept_encoding: parts.accept_encoding() };
    let ccfg = &ctx.cfg.cache;
    let cacheable = crate::cache::policy::cacheable_key(key)
        && crate::cache::policy::cacheable_version(version_id.as_deref())
        && !crate::cache::policy::sse_c_request(&parts.headers)
        && part_number.is_none();
    let consistency = if cacheable { ccfg.consistency_for(key) } else { Consistency::Bypass };
    let ttl = if cacheable { ccfg.ttl_for(key) } else { 0 };
    let ckey = cache_key(&bucket.name, key, version_id.as_deref(), &[]);
    let cache = Cache::default();
    // The store's answer to a revalidation, when it is the client's own (`After::UseAnswer`).
    let mut answered: Option<Response> = None;

    if ttl > 0 {
        if let Ok(Some(hit)) = cache.get(ckey.as_str(), true).await {
            let cached = from_worker_headers(hit.headers());
            let label = match consistency {
                Consistency::Revalidate => {
                    let (label, store_answer) = confirm(ctx, parts, grant, version_id.as_deref(), headers, &cached).await?;
                    if label.is_none() {
                        // changed, gone, or not confirmable: the copy goes (a miss may store the new one)
                        let _ = cache.delete(ckey.as_str(), true).await;
                    }
                    answered = store_answer;
                    label
                }
                _ => Some(HIT),
            };
            if let Some(label) = label {
                match plan_hit(&parts.method, &parts.headers, &cached) {
                    HitPlan::NotModified(mut h) => {
                        finish_download_headers(&mut h, &[], label, &answer(304));
                        return Ok(bytes_response(304, &h, Vec::new()));
                    }
                    HitPlan::Error(e) => return Err(e),
                    HitPlan::Full(mut h) => {
                        finish_download_headers(&mut h, &ovr, label, &answer(200));
                        safe(&mut h);
                        let (_, body) = hit.into_parts();
                        return Ok(stream_response(200, &h, body, head));
                    }
                    HitPlan::Partial { range, headers: mut h } => {
                        if let Some(part) = cached_range(&ckey, &range).await.filter(|p| p.status_code() == 206) {
                            finish_download_headers(&mut h, &ovr, label, &answer(206));
                            safe(&mut h);
                            let (_, body) = part.into_parts();
                            return Ok(stream_response(206, &h, body, head));
                        }
                        // the cache could not serve the range: fall through to the store
                    }
                }
            }
        }
    }

    // MISS (or BYPASS): ask the store, passing the client's range and conditions on (unless a
    // revalidation already brought the store's answer to exactly that request).
    let mut resp = match answered {
        Some(r) => r,
        None => {
            let sreq = crate::store::object_part_read(grant, &parts.method, version_id.as_deref(), part_number, headers, ctx.now)?;
            send(&sreq, None, ctx.cfg.store_timeout_ms).await?
        }
    };
    // (only a ranged miss with If-Range converts the store's headers for this check)
    if resp.status_code() == 206
        && parts.headers.get("if-range").is_some()
        && crate::s3::download::if_range_fails(&parts.headers, &from_worker_headers(resp.headers()))
    {
        // the store ignored If-Range: the object changed, so the client gets all of it
        let mut whole = headers.clone();
        whole.remove("range");
        whole.remove("if-range");
        let sreq = crate::store::object_part_read(grant, &parts.method, version_id.as_deref(), part_number, &whole, ctx.now)?;
        resp = send(&sreq, None, ctx.cfg.store_timeout_ms).await?;
    }
    let status = resp.status_code();
    let store_h = from_worker_headers(resp.headers());
    if matches!(status, 404 | 405) && store_h.get("x-amz-delete-marker").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        // the latest version (or the version named) is a delete marker: answer as the store does
        let e = match (head, status) {
            (true, 404) => S3Error::no_such_key(),
            (true, _) => S3Error::method_not_allowed(),
            _ => store_error(&mut resp).await,
        };
        return Ok(delete_marker_answer(&e, &store_h, parts, head));
    }
    match status {
        200 | 206 => {}
        304 => {
            let mut h = crate::http::conditional::not_modified_headers(&store_h);
            finish_download_headers(&mut h, &[], not_modified_label(ttl), &answer(304));
            return Ok(bytes_response(304, &h, Vec::new()));
        }
        404 if head => return Err(S3Error::no_such_key()),
        412 if head => return Err(S3Error::precondition_failed(None)),
        _ => return Err(store_error(&mut resp).await),
    }
    let mut h = passthrough_response_headers(&store_h);
    let status = if head { crate::s3::download::head_range(&parts.headers, status, &mut h)? } else { status };
    let decision = miss_decision(ccfg, key, ttl, head, status, &store_h);
    let label = miss_label(ttl, &decision, status);
    // the object's Cache-Control as stored, `no-transform` only where the edge could re-encode
    finish_download_headers(&mut h, &ovr, label.status, &answer(status));
    safe(&mut h);
    if let Some(reason) = label.reason {
        h.insert(crate::cache::policy::CACHE_REASON_HEADER, reason);
    }
    let (_, body) = resp.into_parts();
    let mut client = stream_response(status, &h, body, head);

    if let Storable::Yes { ttl } = decision {
        // Tee the body: one branch to the client, one into the cache.
        if let Ok(copy) = client.cloned() {
            let ch = entry_headers(&store_h, ttl, ctx.now);
            let (_, cbody) = copy.into_parts();
            let cresp = stream_response(200, &ch, cbody, false);
            let k = ckey.clone();
            ctx.wait.wait_until(async move {
                if let Err(e) = Cache::default().put(k.as_str(), cresp).await {
                    worker::console_warn!("cache put failed: {}", super::js::error_text(&e));
                }
            });
        }
    } else if status == 206 && ttl > 0 && !head {
        // A ranged miss: fill the cache with the whole object in the background, only if the
        // cache would keep it (else every ranged request would fetch the whole object).
        if crate::cache::policy::fill_after_range(ccfg, key, &store_h) {
            let grant = grant.clone();
            let k = ckey.clone();
            let cfg = ccfg.clone();
            let now = ctx.now;
            let timeout = ctx.cfg.store_timeout_ms;
            let Ok(r) = crate::store::object_read(&grant, "GET", version_id.as_deref(), &StoreHeaders::none(), now) else {
                return Ok(client);
            };
            let key = key.to_string();
            ctx.wait.wait_until(async move {
                if let Ok(full) = send(&r, None, timeout).await {
                    let fh = from_worker_headers(full.headers());
                    if let Storable::Yes { ttl } = storable(&cfg, &key, full.status_code(), &fh) {
                        let (_, b) = full.into_parts();
                        let _ = Cache::default().put(k.as_str(), stream_response(200, &entry_headers(&fh, ttl, now), b, false)).await;
                    }
                }
            });
        }
    }
    Ok(client)
}

/// `revalidate` mode: ask the store whether the copy with stored headers `cached` is current
/// (`cache::revalidate` decides; this sends). The label to serve the copy with (`REVALIDATED`, or
/// `STALE` when the store failed within `BAGROOM_CACHE_STALE_IF_ERROR`), or `None` when it may not
/// be served, with the store's answer when that is the client's own (`After::UseAnswer`); the
/// store's error when it failed and no stale copy may be served.
async fn confirm(
    ctx: &Ctx,
    parts: &RequestParts,
    grant: &Grant<'_>,
    version_id: Option<&str>,
    headers: &StoreHeaders,
    cached: &Headers,
) -> Result<(Option<&'static str>, Option<Response>), S3Error> {
    // a copy without an ETag (cached before such copies were refused): answered as a miss
    let Some(rv) = revalidate::request(&parts.method, &parts.headers, cached) else { return Ok((None, None)) };
    // the client's read headers (for a conditional request, without its conditions and range)
    // and the copy's ETag; a GET or HEAD under the request's own Read grant, with no body
    let mut h = headers.clone();
    if !rv.exact {
        for name in revalidate::LEFT_OUT {
            h.remove(name);
        }
    }
    h.set("if-none-match", rv.if_none_match.clone());
    let sreq = crate::store::object_read(grant, rv.method, version_id, &h, ctx.now)?;
    let sent = send(&sreq, None, ctx.cfg.store_timeout_ms).await;
    let answer_h = sent.as_ref().map(|r| from_worker_headers(r.headers())).unwrap_or_default();
    let answer = match &sent {
        Ok(r) => StoreAnswer::Status(r.status_code(), &answer_h),
        Err(_) => StoreAnswer::Failed,
    };
    let stale_ok = revalidate::stale_allowed(&ctx.cfg.cache, cached, ctx.now);
    Ok(match revalidate::after(&rv, answer, cached, stale_ok) {
        After::Serve => (Some(REVALIDATED), None),
        After::Stale => (Some(STALE), None),
        After::Fail => {
            return Err(match sent {
                Ok(mut r) => store_error(&mut r).await,
                Err(e) => e,
            })
        }
        After::UseAnswer => (None, sent.ok()),
        After::AskAgain => (None, None),
    })
}

/// The error answer for a delete marker, with the store's `x-amz-delete-marker`,
/// `x-amz-version-id` and `Last-Modified` (the request id is added to every answer later).
fn delete_marker_answer(e: &S3Error, store_h: &Headers, parts: &RequestParts, head: bool) -> Response {
    let style = super::convert::error_style(parts);
    let mut resp = super::convert::error_response(e, style, &parts.path, "", head);
    for name in ["x-amz-delete-marker", "x-amz-version-id", "last-modified"] {
        if let Some(v) = store_h.get(name) {
            let _ = resp.headers_mut().set(name, v);
        }
    }
    resp
}

/// Drop an object from the edge cache (after a write or delete through the gateway), where a
/// read could take it from there (`cache::policy::purge_names`).
pub async fn purge(cache: &CacheConfig, bucket: &BucketConfig, key: &str) {
    purge_version(cache, bucket, key, None).await
}

/// Drop an object and, when a write names one, that version of it.
pub async fn purge_version(cache: &CacheConfig, bucket: &BucketConfig, key: &str, version_id: Option<&str>) {
    let versions: &[Option<&str>] = if version_id.is_some() { &[None, version_id] } else { &[None] };
    for name in crate::cache::policy::purge_names(cache, key) {
        for v in versions {
            let k = cache_key(&bucket.name, &name, *v, &[]);
            let _ = Cache::default().delete(k.as_str(), true).await;
        }
    }
}

/// ListObjectsV2 (and V1): `lreq` was clamped to what the credential may see and `grant`
/// authorised it (`guard::plan`). `json` for the demo API.
pub async fn list_objects(ctx: &Ctx, grant: &Grant<'_>, lreq: crate::s3::listing::ListRequest, json: bool) -> Result<Response, S3Error> {
    let bucket = grant.bucket();
    // Always ask the store for url-encoded keys (safe for any key bytes); the parser decodes.
    let mut store_req = lreq.clone();
    store_req.encoding_type_url = true;
    let q = store_req.query_pairs();
    let sreq = crate::store::build(grant, "GET", &q, &StoreHeaders::none(), crate::sigv4::EMPTY_SHA256, ctx.now)?;
    let body = store_fetch::document(&sreq, None, ctx.cfg.store_timeout_ms, &[]).await?;
    let mut result = crate::s3::listing::parse_store_listing(&body, &store_req)
        .map_err(|e| S3Error::bad_gateway(format!("the store's listing could not be read: {}", e.message)))?;
    result.name = bucket.name.clone();
    result.encoding_type_url = lreq.encoding_type_url;
    crate::s3::listing::hide_owners(&mut result);
    let out = if json {
        crate::s3::listing::list_json(&result)
    } else if lreq.v2 {
        crate::s3::listing::list_v2_xml(&result)
    } else {
        crate::s3::listing::list_v1_xml(&result)
    };
    let mut h = Headers::new();
    h.insert("content-type", if json { "application/json" } else { "application/xml" });
    h.insert("cache-control", "no-store");
    Ok(bytes_response(200, &h, out.into_bytes()))
}

/// ListObjectVersions: `vreq` was clamped to what the credential may see and `grant` authorised
/// it (`guard::plan`); the store's listing is written again naming the public bucket, owners
/// the gateway's.
pub async fn list_versions(ctx: &Ctx, grant: &Grant<'_>, vreq: &crate::s3::xml::VersionsRequest) -> Result<Response, S3Error> {
    let sreq = crate::store::build(grant, "GET", &vreq.store_query(), &StoreHeaders::none(), crate::sigv4::EMPTY_SHA256, ctx.now)?;
    let body = store_fetch::document(&sreq, None, ctx.cfg.store_timeout_ms, &[]).await?;
    let out = crate::s3::xml::list_versions_for_client(&body, &grant.bucket().name, vreq.list.encoding_type_url)?;
    let mut h = Headers::new();
    h.insert("content-type", "application/xml");
    h.insert("cache-control", "no-store");
    Ok(bytes_response(200, &h, out.into_bytes()))
}

/// GetBucketVersioning: the store's versioning state (LIST on the credential's scope).
pub async fn get_bucket_versioning(ctx: &Ctx, grant: &Grant<'_>) -> Result<Response, S3Error> {
    let q = [("versioning".to_string(), String::new())];
    let sreq = crate::store::build(grant, "GET", &q, &StoreHeaders::none(), crate::sigv4::EMPTY_SHA256, ctx.now)?;
    let body = store_fetch::document(&sreq, None, ctx.cfg.store_timeout_ms, &[]).await?;
    let mut h = Headers::new();
    h.insert("content-type", "application/xml");
    h.insert("cache-control", "no-store");
    Ok(bytes_response(200, &h, crate::s3::xml::versioning_for_client(&body)?.into_bytes()))
}

/// The edge cache's answer for `range` of the entry `key`, if it has one.
async fn cached_range(key: &str, range: &str) -> Option<Response> {
    let promise = super::js::cache_match_range(key, range).ok()?;
    super::js::response(promise).await.ok().map(Response::from)
}
