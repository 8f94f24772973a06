//! An object's tags, attributes and ACL, and the bucket's ACL: small documents relayed between
//! the client and the store. Every handler gets its grant and headers from the plan
//! (`guard::plan`); tag writes reach here for access keys only, ACL writes never.

use super::body::read_capped;
use super::convert::{bytes_response, from_worker_headers};
use super::ctx::Ctx;
use super::store_fetch::{send, store_error, text};
use crate::auth::Principal;
use crate::guard::table::MAX_TAGGING_XML;
use crate::guard::{Grant, StoreHeaders};
use crate::http::{Headers, RequestParts};
use crate::s3::error::S3Error;
use crate::s3::xml;
use crate::sigv4::{sha256_hex, EMPTY_SHA256};
use wasm_bindgen::JsValue;
use web_sys::Request;
use worker::Response;

/// Store answer headers a sub-resource answer relays.
const RELAYED: &[&str] = &["x-amz-version-id", "x-amz-delete-marker", "last-modified"];

/// The store query: the sub-resource and the client's `versionId`, when it names one.
fn query(parts: &RequestParts, sub: &str) -> Vec<(String, String)> {
    let mut q = vec![(sub.to_string(), String::new())];
    q.extend(parts.query_pairs().into_iter().filter(|(k, v)| k == "versionId" && !v.is_empty()));
    q
}

fn relayed(store: &Headers) -> Headers {
    let mut h = Headers::new();
    for (k, v) in store.iter() {
        if RELAYED.iter().any(|r| k.eq_ignore_ascii_case(r)) {
            h.append(&k.to_ascii_lowercase(), v);
        }
    }
    h.insert("cache-control", "no-store");
    h
}

/// Send `r` and relay the store's answer (a document, or nothing) with `status` on success.
async fn relay(ctx: &Ctx, r: &crate::store::StoreRequest, body: Option<JsValue>, status: Option<u16>) -> Result<Response, S3Error> {
    let mut resp = send(r, body, ctx.cfg.store_timeout_ms).await?;
    let code = resp.status_code();
    if !(200..300).contains(&code) {
        return Err(store_error(&mut resp).await);
    }
    let mut h = relayed(&from_worker_headers(resp.headers()));
    let doc = text(&mut resp).await?;
    if !doc.is_empty() {
        h.insert("content-type", "application/xml");
    }
    Ok(bytes_response(status.unwrap_or(code), &h, doc.into_bytes()))
}

/// GetObjectTagging, GetObjectAttributes, GetObjectAcl (`sub`): the store's document relayed.
pub async fn get(ctx: &Ctx, parts: &RequestParts, grant: &Grant<'_>, sub: &str, headers: &StoreHeaders) -> Result<Response, S3Error> {
    let r = crate::store::build(grant, "GET", &query(parts, sub), headers, EMPTY_SHA256, ctx.now)?;
    relay(ctx, &r, None, None).await
}

/// GetBucketAcl (access keys).
pub async fn get_bucket_acl(ctx: &Ctx, grant: &Grant<'_>) -> Result<Response, S3Error> {
    let r = crate::store::build(grant, "GET", &[("acl".into(), String::new())], &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
    relay(ctx, &r, None, None).await
}

/// PutObjectTagging: the document read only now (after authorisation), capped, checked against
/// the signed payload hash and Content-MD5, and against S3's tag limits; the store gets the
/// document written from the tags that were checked.
pub async fn put_tagging(
    ctx: &Ctx,
    req: Request,
    parts: &RequestParts,
    principal: &Principal,
    grant: &Grant<'_>,
) -> Result<Response, S3Error> {
    let bytes = read_capped(req, &parts.headers, MAX_TAGGING_XML).await?;
    let payload = match principal {
        Principal::AccessKey(v) => Some(&v.payload),
        _ => None,
    };
    crate::auth::verify::check_buffered_body(payload, &parts.headers, &bytes)?;
    let doc = String::from_utf8(bytes).map_err(|_| xml::malformed_xml())?;
    let out = xml::tagging_xml(&xml::parse_tagging(&doc)?);
    let h = crate::store::xml_body_headers(&out);
    let r = crate::store::build(grant, "PUT", &query(parts, "tagging"), &h, &sha256_hex(out.as_bytes()), ctx.now)?;
    let answer = relay(ctx, &r, Some(JsValue::from_str(&out)), Some(200)).await;
    purge(ctx, grant, parts).await;
    answer
}

/// DeleteObjectTagging: 204, as S3.
pub async fn delete_tagging(ctx: &Ctx, parts: &RequestParts, grant: &Grant<'_>) -> Result<Response, S3Error> {
    let r = crate::store::build(grant, "DELETE", &query(parts, "tagging"), &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
    let answer = relay(ctx, &r, None, Some(204)).await;
    purge(ctx, grant, parts).await;
    answer
}

/// A tag write changes what a GET answers (`x-amz-tagging-count`): drop the cached object,
/// whatever the outcome (a write whose result is unknown may have happened).
async fn purge(ctx: &Ctx, grant: &Grant<'_>, parts: &RequestParts) {
    let version = parts.query_param("versionId").filter(|v| !v.is_empty());
    super::read::purge_version(&ctx.cfg.cache, grant.bucket(), grant.key(), version.as_deref()).await;
}
