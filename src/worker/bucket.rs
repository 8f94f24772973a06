//! Bucket-level requests: ListBuckets (the configured buckets, and the namespace's store
//! buckets for its admins), HeadBucket, and CreateBucket / DeleteBucket of namespace buckets
//! (`crate::guard::namespace`). Each takes the grant the plan made.

use super::convert::bytes_response;
use super::ctx::Ctx;
use super::store_fetch::{document, send, store_error};
use crate::auth::Principal;
use crate::guard::grant::authorize_store_buckets;
use crate::guard::{Grant, StoreHeaders};
use crate::http::Headers;
use crate::s3::error::S3Error;
use crate::s3::xml;
use crate::sigv4::EMPTY_SHA256;
use crate::store::build;
use worker::Response;

fn no_store(mut h: Headers) -> Headers {
    h.insert("cache-control", "no-store");
    h
}

/// ListBuckets (the caller is an access key: `guard::grant::authorize_gateway`): the configured
/// buckets, then, for an admin of the namespace, the store's buckets its rule maps to.
pub async fn list_buckets(ctx: &Ctx, principal: &Principal) -> Result<Response, S3Error> {
    let cfg = &ctx.cfg;
    let mut store_buckets = Vec::new();
    if let Some(grant) = authorize_store_buckets(&ctx.who(principal), cfg) {
        let r = build(&grant, "GET", &[], &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
        store_buckets = xml::parse_list_buckets(&document(&r, None, cfg.store_timeout_ms, &[]).await?)?;
    }
    let mut all: Vec<(&str, &str)> = cfg.buckets.iter().map(|b| (b.name.as_str(), xml::BUCKET_CREATION_DATE)).collect();
    if let Some(ns) = &cfg.namespace {
        all.extend(crate::guard::namespace::listed(cfg, ns, &store_buckets));
    }
    crate::sort::sort_by(&mut all, |a, b| a.0.cmp(b.0));
    let mut h = Headers::new();
    h.insert("content-type", "application/xml");
    Ok(bytes_response(200, &no_store(h), xml::list_buckets_xml(all).into_bytes()))
}

/// HeadBucket: a configured bucket exists (the plan checked the credential may list in it); a
/// namespace bucket exists if the store says so.
pub async fn head_bucket(ctx: &Ctx, grant: &Grant<'_>) -> Result<Response, S3Error> {
    let bucket = grant.bucket();
    if bucket.in_namespace {
        let r = build(grant, "HEAD", &[], &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
        let mut resp = send(&r, None, ctx.cfg.store_timeout_ms).await?;
        match resp.status_code() {
            200..=299 => {}
            404 => return Err(S3Error::no_such_bucket(&bucket.name)),
            _ => return Err(store_error(&mut resp).await),
        }
    }
    let mut h = Headers::new();
    h.insert("x-amz-bucket-region", ctx.cfg.region.clone());
    Ok(bytes_response(200, &no_store(h), Vec::new()))
}

/// CreateBucket of a namespace bucket (a `BucketAdmin` grant), made in the store's region; the
/// request's CreateBucketConfiguration, if any, is not read.
pub async fn create_bucket(ctx: &Ctx, grant: &Grant<'_>) -> Result<Response, S3Error> {
    let r = build(grant, "PUT", &[], &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
    let mut resp = send(&r, None, ctx.cfg.store_timeout_ms).await?;
    if resp.status_code() >= 300 {
        return Err(store_error(&mut resp).await.with("BucketName", &grant.bucket().name));
    }
    let mut h = Headers::new();
    h.insert("location", format!("/{}", grant.bucket().name));
    Ok(bytes_response(200, &no_store(h), Vec::new()))
}

/// DeleteBucket of a namespace bucket (a `BucketAdmin` grant): a bucket that still holds objects
/// is refused (`BucketNotEmpty`), whatever the store would do.
pub async fn delete_bucket(ctx: &Ctx, grant: &Grant<'_>) -> Result<Response, S3Error> {
    // S3 refuses to delete a bucket that holds objects, versions or delete markers; some stores
    // (SeaweedFS) delete it with everything in it. Look first.
    let q = [("versions".to_string(), String::new()), ("max-keys".to_string(), "1".to_string())];
    let r = build(grant, "GET", &q, &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
    match document(&r, None, ctx.cfg.store_timeout_ms, &[]).await {
        Ok(listing) => {
            let l = xml::parse_list_versions(&listing)?;
            if !l.entries.is_empty() || l.is_truncated {
                return Err(S3Error::of(crate::s3::error::Code::BucketNotEmpty).with("BucketName", &grant.bucket().name));
            }
        }
        Err(e) if e.code == "NoSuchBucket" => return Err(S3Error::no_such_bucket(&grant.bucket().name)),
        Err(e) => return Err(e),
    }
    let r = build(grant, "DELETE", &[], &StoreHeaders::none(), EMPTY_SHA256, ctx.now)?;
    let mut resp = send(&r, None, ctx.cfg.store_timeout_ms).await?;
    match resp.status_code() {
        200..=299 => Ok(bytes_response(204, &no_store(Headers::new()), Vec::new())),
        404 => Err(S3Error::no_such_bucket(&grant.bucket().name)),
        _ => Err(store_error(&mut resp).await.with("BucketName", &grant.bucket().name)),
    }
}
