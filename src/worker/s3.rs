//! The one S3 dispatcher: `crate::guard::plan` decides, from the operation table, every grant
//! and header the request may use; the handlers get only those, so the plan's keys are the only
//! keys they can send to the store.

use super::bucket;
use super::convert::bytes_response;
use super::ctx::Ctx;
use super::read::{get_bucket_versioning, get_object, list_objects, list_versions};
use super::subresource;
use super::write;
use crate::auth::Principal;
use crate::config::BucketConfig;
use crate::guard::plan;
use crate::http::{Headers, RequestParts};
use crate::s3::error::S3Error;
use crate::s3::route::S3Op;
use web_sys::Request;
use worker::Response;

/// An S3 path-style (or virtual-hosted) operation.
pub async fn dispatch(
    ctx: &Ctx,
    req: Request,
    parts: &RequestParts,
    principal: &Principal,
    op: S3Op,
    bucket: &BucketConfig,
    key: &str,
) -> Result<Response, S3Error> {
    let who = ctx.who(principal);
    let p = plan(&ctx.cfg, &who, parts, op, bucket, key)?;
    let headers = p.headers;
    let grant = p.grant;
    let g = || grant.as_ref().ok_or_else(|| S3Error::internal("operation without a grant"));
    match p.op {
        S3Op::GetObject | S3Op::HeadObject => get_object(ctx, parts, g()?, matches!(principal, Principal::AccessKey(_)), &headers).await,
        S3Op::ListObjects => {
            let json = crate::s3::listing::wants_json(parts.headers.get("accept"));
            let lreq = p.list.ok_or_else(|| S3Error::internal("listing without a plan"))?;
            list_objects(ctx, g()?, lreq, json).await
        }
        S3Op::GetBucketLocation => {
            g()?;
            let mut h = Headers::new();
            h.insert("content-type", "application/xml");
            Ok(bytes_response(200, &h, crate::s3::xml::location_xml(&ctx.cfg.region).into_bytes()))
        }
        S3Op::HeadBucket => bucket::head_bucket(ctx, g()?).await,
        S3Op::CreateBucket => bucket::create_bucket(ctx, g()?).await,
        S3Op::DeleteBucket => bucket::delete_bucket(ctx, g()?).await,
        S3Op::PostObject => write::post_object(ctx, req, parts, &who, bucket).await,
        S3Op::PutObject | S3Op::UploadPart => write::put(ctx, req, parts, principal, g()?, headers, p.op == S3Op::UploadPart).await,
        S3Op::CopyObject | S3Op::UploadPartCopy => {
            let (source, version) = p.copy_source.ok_or_else(|| S3Error::internal("copy without a source grant"))?;
            write::copy(ctx, parts, principal, g()?, &source, version, headers, p.op == S3Op::UploadPartCopy).await
        }
        S3Op::CreateMultipartUpload => write::create(ctx, parts, principal, g()?, headers).await,
        S3Op::ListParts => write::list_parts(ctx, parts, g()?).await,
        S3Op::AbortMultipartUpload => write::abort(ctx, parts, g()?).await,
        S3Op::CompleteMultipartUpload => write::complete_s3(ctx, req, parts, principal, g()?, headers).await,
        S3Op::DeleteObject => write::delete(ctx, parts, g()?).await,
        S3Op::DeleteObjects => write::delete_objects(ctx, req, parts, &who, bucket).await,
        S3Op::ListBuckets => {
            g()?;
            bucket::list_buckets(ctx, principal).await
        }
        S3Op::ListMultipartUploads => write::list_uploads(ctx, parts, g()?).await,
        S3Op::GetObjectTagging | S3Op::GetObjectAttributes | S3Op::GetObjectAcl => {
            let sub = crate::s3::route::subresource_name(&p.op).unwrap_or_default();
            subresource::get(ctx, parts, g()?, sub, &headers).await
        }
        S3Op::PutObjectTagging => subresource::put_tagging(ctx, req, parts, principal, g()?).await,
        S3Op::DeleteObjectTagging => subresource::delete_tagging(ctx, parts, g()?).await,
        S3Op::GetBucketAcl => subresource::get_bucket_acl(ctx, g()?).await,
        S3Op::GetBucketVersioning => get_bucket_versioning(ctx, g()?).await,
        S3Op::ListObjectVersions => {
            let v = p.versions.as_ref().ok_or_else(|| S3Error::internal("version listing without a plan"))?;
            list_versions(ctx, g()?, v).await
        }
        S3Op::PutObjectAcl | S3Op::PutBucketAcl | S3Op::PutBucketVersioning => {
            Err(S3Error::internal("routed an operation nobody is served"))
        }
        S3Op::Unsupported(_) => Err(S3Error::internal("routed an unsupported operation")),
    }
}
