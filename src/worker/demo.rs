//! The demo page's JSON API and Uppy's S3 signing routes: thin wrappers over `crate::api`.

use super::convert::json_response;
use super::ctx::Ctx;
use super::read::list_objects;
use crate::api::{self, parse_json, uppy_op, CompleteRequest, CreateRequest, PartUrl, PresignRequest, ShareRequest, Signer, UppyOp};
use crate::auth::token::{Claims, Method};
use crate::auth::{authenticate, Principal, TokenSource};
use crate::config::BucketConfig;
use crate::guard::grant::authorize;
use crate::guard::{headers::from_client, HeaderSet, PrincipalClass};
use crate::http::{Headers, RequestParts};
use crate::json;
use crate::json::Value;
use crate::s3::error::S3Error;
use crate::s3::xml;
use crate::upload::key_for_upload;
use wasm_bindgen::JsCast;
use web_sys::Request;
use worker::Response;

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

/// The token's claims and bucket (the demo API and Uppy routes take share tokens only, never the
/// ambient share cookie), checked valid now (time window, revocation, client IP) before anything
/// else happens, whatever its methods.
fn token_bucket<'a>(ctx: &'a Ctx, principal: &'a Principal) -> Result<(&'a Claims, &'a str, &'a BucketConfig), S3Error> {
    let Principal::Token(claims, raw, source) = principal else {
        return Err(S3Error::access_denied("this endpoint needs a bagroom share token (Authorization: Bearer <token>)"));
    };
    if *source == TokenSource::Cookie {
        return Err(S3Error::access_denied("the share cookie does not authorise this endpoint: send the token as Authorization: Bearer"));
    }
    crate::auth::token::check_valid(claims, &ctx.keys.revoked, ctx.client_ip.as_deref(), ctx.now)?;
    Ok((claims, raw.as_str(), ctx.cfg.token_bucket(&claims.bucket)?))
}

/// A JSON body, read only after the token was checked, at most `MAX_JSON_BODY` bytes.
async fn body_bytes(req: Request, parts: &RequestParts) -> Result<Vec<u8>, S3Error> {
    super::body::read_capped(req, &parts.headers, api::MAX_JSON_BODY).await
}

fn signer<'a>(ctx: &'a Ctx, bucket: &'a BucketConfig) -> Signer<'a> {
    Signer { cfg: &ctx.cfg, bucket, revoked: &ctx.keys.revoked, ip: ctx.client_ip.as_deref(), now: ctx.now }
}

/// `/api/<rest>`.
pub async fn api(ctx: &Ctx, req: Request, parts: &RequestParts, rest: &str) -> Result<Response, S3Error> {
    let principal = authenticate(parts, &ctx.cfg, &ctx.keys, None, None, ctx.now)?;
    ctx.log_principal(&principal);
    let (claims, _raw, bucket) = token_bucket(ctx, &principal)?;
    let who = ctx.who(&principal);
    match (parts.method.as_str(), rest) {
        ("GET", "session") => ok(api::session(claims, bucket, &ctx.cfg)),
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
            let (g, lreq) = crate::guard::plan::plan_list(&who, bucket, &lq)?;
            list_objects(ctx, &g, lreq, true).await
        }
        ("POST", "share") => {
            let body = body_bytes(req, parts).await?;
            let r: ShareRequest = parse_json(&body)?;
            // the child keeps the parent's key id: retiring the parent's key retires its children
            let kid = claims.kid.clone();
            let child = api::share(claims, &r, &kid, random_bytes(8), ctx.now)?;
            let token = crate::auth::token::mint(&child, &ctx.keys.token_keys)?;
            let base = link_base(ctx, parts);
            // the key's name ends the share link, so a browser saves the file under its name
            let path = crate::encoding::uri_encode(&r.key, true);
            ok(json!({
                "token": token,
                "share_url": format!("{base}/s/{token}/{path}"),
                "download_url": format!("{base}/{}/{path}?token={token}", bucket.name),
                "expires_at": child.exp,
                "key": r.key,
            }))
        }
        ("POST", "presign") => {
            let body = body_bytes(req, parts).await?;
            let r: PresignRequest = parse_json(&body)?;
            ok(signer(ctx, bucket).upload(claims, &r)?)
        }
        _ => Err(S3Error::not_found(format!("no API route {} /api/{rest}", parts.method))),
    }
}

/// Base URL for links the API returns: `BAGROOM_PUBLIC_URL`, else the request's own origin (from
/// its URL, never from a client header such as `X-Forwarded-Proto`).
fn link_base(ctx: &Ctx, _parts: &RequestParts) -> String {
    ctx.cfg.public_url.clone().unwrap_or_else(|| ctx.origin.clone())
}

/// `/s3/<rest>` and `/t/<token>/s3/<rest>`.
pub async fn uppy(ctx: &Ctx, req: Request, parts: &RequestParts, token: Option<&str>, rest: &str) -> Result<Response, S3Error> {
    let principal = authenticate(parts, &ctx.cfg, &ctx.keys, token, None, ctx.now)?;
    ctx.log_principal(&principal);
    let (claims, raw, bucket) = token_bucket(ctx, &principal)?;
    let op = uppy_op(&parts.method, rest).ok_or_else(|| S3Error::not_found(format!("no S3 signing route {} /s3/{rest}", parts.method)))?;
    let q = parts.query_pairs();
    let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let key_param = || get("key").filter(|k| !k.is_empty()).ok_or_else(|| S3Error::invalid_argument("key is required"));
    let who = ctx.who(&principal);
    let put_grant = |key: &str| authorize(&who, bucket, Method::Put, key);
    match op {
        UppyOp::Params => {
            let filename = get("filename").unwrap_or_default();
            let key = key_for_upload(&claims.scope, &filename)?;
            let method = if bucket.store.post_policy && !claims.no_overwrite { "POST" } else { "PUT" };
            let size = get("size").and_then(|s| s.parse().ok());
            if method == "PUT" && (size.is_none() || !bucket.store.direct_uploads()) {
                // a presigned PUT must bind its length: without one (or without a store the
                // browser can reach: an R2 binding), the upload goes through the gateway, which
                // counts it against the token's limits
                put_grant(&key)?;
                let url = format!("{}/{}/{}?token={raw}", link_base(ctx, parts), bucket.name, crate::encoding::uri_encode(&key, true));
                let mut headers = crate::json::Map::new();
                if let Some(t) = get("type").filter(|t| !t.is_empty()) {
                    headers.insert("content-type", Value::String(t));
                }
                return ok(json!({"method": "PUT", "url": url, "fields": {}, "headers": headers}));
            }
            let r = PresignRequest { key, content_type: get("type").filter(|t| !t.is_empty()), size, method: Some(method.into()) };
            ok(signer(ctx, bucket).upload(claims, &r)?)
        }
        UppyOp::Create => {
            let body = body_bytes(req, parts).await?;
            let r: CreateRequest = parse_json(&body)?;
            let key = key_for_upload(&claims.scope, &r.filename)?;
            let grant = put_grant(&key)?;
            crate::auth::token::check_upload(claims, r.content_type.as_deref(), Some(0))?;
            let mut h = Headers::new();
            if let Some(ct) = r.content_type.as_ref().filter(|t| !t.is_empty()) {
                h.insert("content-type", ct.clone());
            }
            for (k, v) in api::meta_headers(&r.metadata) {
                h.insert(&k, v);
            }
            let h = from_client(HeaderSet::CreateMultipart, PrincipalClass::Limited, &h)?;
            let doc = super::write::create_multipart(ctx, &grant, &h).await?;
            ok(json!({"key": key, "uploadId": doc.upload_id}))
        }
        UppyOp::ListParts { upload_id } => {
            let grant = put_grant(&key_param()?)?;
            let listed = crate::upload::latest_parts(super::write::list_all_parts(ctx, &grant, &upload_id).await?);
            let all: Vec<Value> = listed.iter().map(|p| json!({"PartNumber": p.part_number, "Size": p.size, "ETag": p.etag})).collect();
            ok(Value::Array(all))
        }
        UppyOp::SignPart { upload_id, part } => {
            let key = key_param()?;
            let size = get("size").and_then(|s| s.parse().ok());
            // a presigned part URL must bind the part's length: without one, through the gateway
            let s = signer(ctx, bucket);
            let via_gateway = get("via").as_deref() == Some("edge");
            match s.part_url(claims, &key, &upload_id, part, if via_gateway { None } else { size }, get("checksum").as_deref())? {
                PartUrl::Presigned(v) => ok(v),
                PartUrl::ViaGateway => ok(s.gateway_part(&link_base(ctx, parts), claims, raw, &key, &upload_id, part)),
            }
        }
        UppyOp::Batch { upload_id } => {
            let key = key_param()?;
            put_grant(&key)?;
            // no part lengths are given here: every URL goes through the gateway
            let mut urls = crate::json::Map::new();
            for n in get("partNumbers").unwrap_or_default().split(',').filter(|s| !s.is_empty()) {
                let part: u32 = n.trim().parse().map_err(|_| S3Error::invalid_argument("partNumbers must be numbers"))?;
                if !(1..=10_000).contains(&part) {
                    return Err(S3Error::invalid_argument("part numbers are 1 to 10000"));
                }
                urls.insert(
                    part.to_string(),
                    signer(ctx, bucket).gateway_part(&link_base(ctx, parts), claims, raw, &key, &upload_id, part)["url"].clone(),
                );
            }
            ok(json!({"presignedUrls": urls}))
        }
        UppyOp::Complete { upload_id } => {
            let key = key_param()?;
            let grant = put_grant(&key)?;
            let body = body_bytes(req, parts).await?;
            let r: CompleteRequest = parse_json(&body)?;
            let mut list: Vec<xml::CompletedPart> = r
                .parts
                .iter()
                .map(|p| xml::CompletedPart { part_number: p.part_number, etag: p.etag.clone(), checksums: Vec::new() })
                .collect();
            crate::sort::sort_by_key(&mut list, |p| p.part_number);
            let done = super::write::complete(ctx, &principal, &grant, &upload_id, &list, crate::guard::StoreHeaders::none()).await?;
            let (etag, size) = (done.result.etag, done.size);
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
            let grant = put_grant(&key_param()?)?;
            super::write::abort_multipart(ctx, &grant, &upload_id, true).await?;
            ok(json!({}))
        }
    }
}
