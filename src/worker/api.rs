//! The demo page's JSON API and Uppy's S3 signing routes: thin wrappers over `crate::api`.

use super::convert::json_response;
use super::download::list_objects;
use super::Ctx;
use crate::api::{self, parse_json, uppy_op, CompleteRequest, CreateRequest, PresignRequest, ShareRequest, Signer, UppyOp};
use crate::auth::{authenticate, authorize, Principal};
use crate::config::BucketConfig;
use crate::error::S3Error;
use crate::http::{Headers, RequestParts};
use crate::token::{Claims, Method};
use crate::upload::key_for_upload;
use crate::xml;
use serde_json::{json, Value};
use wasm_bindgen::JsCast;
use worker::{Request, Response};

/// Random bytes from the platform's CSPRNG (`crypto.getRandomValues`).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let arr = js_sys::Uint8Array::new_with_length(n as u32);
    let global = js_sys::global();
    if let Ok(crypto) = js_sys::Reflect::get(&global, &"crypto".into()) {
        if let Ok(f) = js_sys::Reflect::get(&crypto, &"getRandomValues".into()) {
            if let Ok(f) = f.dyn_into::<js_sys::Function>() {
                let _ = f.call1(&crypto, &arr);
            }
        }
    }
    arr.to_vec()
}
fn ok(v: Value) -> Result<Response, S3Error> {
    Ok(json_response(200, &v))
}

/// The token's claims and bucket (the demo API and Uppy routes take share tokens only).
fn token_bucket<'a>(ctx: &'a Ctx, principal: &'a Principal) -> Result<(&'a Claims, &'a str, &'a BucketConfig), S3Error> {
    let Principal::Token(claims, raw) = principal else {
        return Err(S3Error::access_denied("this endpoint needs a bagroom share token (Authorization: Bearer <token>)"));
    };
    Ok((claims, raw.as_str(), ctx.cfg.token_bucket(&claims.bucket)?))
}

async fn body_bytes(mut req: Request) -> Result<Vec<u8>, S3Error> {
    req.bytes().await.map_err(|e| S3Error::new(400, "IncompleteBody", format!("reading the request body: {e}")))
}

fn signer<'a>(ctx: &'a Ctx, bucket: &'a BucketConfig) -> Signer<'a> {
    Signer { cfg: &ctx.cfg, bucket, revoked: &ctx.keys.revoked, ip: ctx.client_ip.as_deref(), now: ctx.now }
}

/// `/api/<rest>`.
pub async fn api(ctx: &Ctx, req: Request, parts: &RequestParts, rest: &str) -> Result<Response, S3Error> {
    let principal = authenticate(parts, &ctx.cfg, &ctx.keys, None, None, ctx.now)?;
    let (claims, _raw, bucket) = token_bucket(ctx, &principal)?;
    // the token itself must still be valid now (time window, revocation, IP): check it against
    // its own scope with a method it has
    let any_method = claims.methods.iter().next().unwrap_or(Method::Get);
    let probe = match &claims.scope {
        crate::token::Scope::Exact(k) => k.clone(),
        crate::token::Scope::Prefix(p) => p.clone(),
    };
    if any_method != Method::List {
        authorize(&principal, &ctx.keys, any_method, &bucket, &probe, ctx.client_ip.as_deref(), ctx.now)?;
    }
    match (parts.method.as_str(), rest) {
        ("GET", "session") => ok(api::session(claims, &bucket, &ctx.cfg)),
        ("GET", "objects") => {
            // the page's names for ListObjectsV2's parameters
            let mut lq = vec![("list-type".to_string(), "2".to_string())];
            for (k, v) in parts.query_pairs() {
                let name = match k.as_str() {
                    "prefix" => "prefix",
                    "cursor" if !v.is_empty() => "continuation-token",
                    "limit" => "max-keys",
                    "delimiter" => "delimiter",
                    _ => continue,
                };
                lq.push((name.to_string(), v));
            }
            list_objects(ctx, &lq, &principal, bucket, true).await
        }
        ("POST", "share") => {
            let body = body_bytes(req).await?;
            let r: ShareRequest = parse_json(&body)?;
            let kid = ctx.keys.token_keys.signing_kid().unwrap_or(&claims.kid).to_string();
            let child = api::share(claims, &r, &kid, random_bytes(8), ctx.now)?;
            let token = crate::token::mint(&child, &ctx.keys.token_keys)?;
            let base = link_base(ctx, parts);
            ok(json!({
                "token": token,
                "share_url": format!("{base}/s/{token}"),
                "download_url": format!("{base}/{}/{}?token={token}", bucket.name, crate::encoding::uri_encode(&r.key, true)),
                "expires_at": child.exp,
                "key": r.key,
            }))
        }
        ("POST", "presign") => {
            let body = body_bytes(req).await?;
            let r: PresignRequest = parse_json(&body)?;
            ok(signer(ctx, &bucket).upload(claims, &r)?)
        }
        _ => Err(S3Error::new(404, "NotFound", format!("no API route {} /api/{rest}", parts.method))),
    }
}

/// Base URL for links the API returns: `BAGROOM_PUBLIC_URL`, else the request's own origin.
fn link_base(ctx: &Ctx, parts: &RequestParts) -> String {
    if let Some(u) = &ctx.cfg.public_url {
        return u.clone();
    }
    let host = parts.headers.get("host").unwrap_or("localhost");
    let scheme = parts.headers.get("x-forwarded-proto").unwrap_or(if host.starts_with("127.0.0.1") || host.starts_with("localhost") { "http" } else { "https" });
    format!("{scheme}://{host}")
}

/// `/s3/<rest>` and `/t/<token>/s3/<rest>`.
pub async fn uppy(ctx: &Ctx, req: Request, parts: &RequestParts, token: Option<&str>, rest: &str) -> Result<Response, S3Error> {
    let principal = authenticate(parts, &ctx.cfg, &ctx.keys, token, None, ctx.now)?;
    let (claims, raw, bucket) = token_bucket(ctx, &principal)?;
    let op = uppy_op(&parts.method, rest).ok_or_else(|| S3Error::new(404, "NotFound", format!("no S3 signing route {} /s3/{rest}", parts.method)))?;
    let q = parts.query_pairs();
    let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let key_param = || get("key").filter(|k| !k.is_empty()).ok_or_else(|| S3Error::invalid_argument("key is required"));
    let ip = ctx.client_ip.as_deref();
    match op {
        UppyOp::Params => {
            let filename = get("filename").unwrap_or_default();
            let key = key_for_upload(&claims.scope, &filename)?;
            let method = if bucket.store.post_policy && !claims.no_overwrite { "POST" } else { "PUT" };
            let size = get("size").and_then(|s| s.parse().ok());
            let r = PresignRequest { key, content_type: get("type").filter(|t| !t.is_empty()), size, method: Some(method.into()) };
            ok(signer(ctx, &bucket).upload(claims, &r)?)
        }
        UppyOp::Create => {
            let body = body_bytes(req).await?;
            let r: CreateRequest = parse_json(&body)?;
            let key = key_for_upload(&claims.scope, &r.filename)?;
            authorize(&principal, &ctx.keys, Method::Put, &bucket, &key, ip, ctx.now)?;
            crate::token::check_upload(claims, r.content_type.as_deref(), Some(0))?;
            let mut h = Headers::new();
            if let Some(ct) = r.content_type.as_ref().filter(|t| !t.is_empty()) {
                h.insert("content-type", ct.clone());
            }
            for (k, v) in api::meta_headers(&r.metadata) {
                h.insert(&k, v);
            }
            let doc = super::upload::create_multipart(ctx, bucket, &key, &h).await?;
            ok(json!({"key": key, "uploadId": doc.upload_id}))
        }
        UppyOp::ListParts { upload_id } => {
            let key = key_param()?;
            authorize(&principal, &ctx.keys, Method::Put, &bucket, &key, ip, ctx.now)?;
            let listed = crate::upload::latest_parts(super::upload::list_all_parts(ctx, &bucket, &key, &upload_id).await?);
            let all: Vec<Value> = listed.iter().map(|p| json!({"PartNumber": p.part_number, "Size": p.size, "ETag": p.etag})).collect();
            ok(Value::Array(all))
        }
        UppyOp::SignPart { upload_id, part } => {
            let key = key_param()?;
            if get("via").as_deref() == Some("edge") {
                authorize(&principal, &ctx.keys, Method::Put, &bucket, &key, ip, ctx.now)?;
                let base = link_base(ctx, parts);
                let url = format!(
                    "{base}/{}/{}?partNumber={part}&uploadId={}&token={}",
                    bucket.name,
                    crate::encoding::uri_encode(&key, true),
                    crate::encoding::uri_encode(&upload_id, false),
                    raw
                );
                return ok(json!({"url": url, "expires": claims.exp.saturating_sub(ctx.now), "headers": {}}));
            }
            let size = get("size").and_then(|s| s.parse().ok());
            ok(signer(ctx, &bucket).part(claims, &key, &upload_id, part, size, get("checksum").as_deref())?)
        }
        UppyOp::Batch { upload_id } => {
            let key = key_param()?;
            let mut urls = serde_json::Map::new();
            for n in get("partNumbers").unwrap_or_default().split(',').filter(|s| !s.is_empty()) {
                let part: u32 = n.trim().parse().map_err(|_| S3Error::invalid_argument("partNumbers must be numbers"))?;
                let v = signer(ctx, &bucket).part(claims, &key, &upload_id, part, None, None)?;
                urls.insert(part.to_string(), v["url"].clone());
            }
            ok(json!({"presignedUrls": urls}))
        }
        UppyOp::Complete { upload_id } => {
            let key = key_param()?;
            authorize(&principal, &ctx.keys, Method::Put, &bucket, &key, ip, ctx.now)?;
            let body = body_bytes(req).await?;
            let r: CompleteRequest = parse_json(&body)?;
            let mut list: Vec<xml::CompletedPart> = r
                .parts
                .iter()
                .map(|p| xml::CompletedPart { part_number: p.part_number, etag: p.etag.clone(), checksums: Vec::new() })
                .collect();
            list.sort_by_key(|p| p.part_number);
            let (etag, size) = super::upload::complete(ctx, &principal, &bucket, &key, &upload_id, &list, &Headers::new()).await?;
            let base = link_base(ctx, parts);
            ok(json!({
                "location": format!("{base}/{}/{}", bucket.name, crate::encoding::uri_encode(&key, true)),
                "bucket": bucket.name,
                "key": key,
                "etag": etag,
                "size": size,
            }))
        }
        UppyOp::Abort { upload_id } => {
            let key = key_param()?;
            authorize(&principal, &ctx.keys, Method::Put, &bucket, &key, ip, ctx.now)?;
            super::upload::abort_multipart(ctx, bucket, &key, &upload_id, true).await?;
            ok(json!({}))
        }
    }
}
