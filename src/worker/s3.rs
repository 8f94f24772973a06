//! The one S3 dispatcher: for each operation, its row of the operation table
//! (`crate::guard::table`) says what to authorise; the grants it gets are the only keys the
//! handlers can send to the store, and the allowed client headers the only headers.

use super::convert::bytes_response;
use super::download::{get_object, list_objects};
use super::upload;
use super::Ctx;
use crate::auth::Principal;
use crate::config::BucketConfig;
use crate::error::S3Error;
use crate::guard::grant::{authorize, authorize_bucket, list_scope, precheck};
use crate::guard::{headers::from_client, rule, Need, PrincipalClass, Who};
use crate::http::{Headers, RequestParts};
use crate::route::S3Op;
use crate::token::Method;
use worker::{Request, Response};

pub fn who<'a>(ctx: &'a Ctx, principal: &'a Principal) -> Who<'a> {
    Who { principal, revoked: &ctx.keys.revoked, client_ip: ctx.client_ip.as_deref(), now: ctx.now }
}

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
    let row = rule(&op);
    let who = who(ctx, principal);
    // The client headers that may reach the store (refused ones answer here, before anything).
    let headers = from_client(row.headers, PrincipalClass::of(principal), &parts.headers)?;
    let grant = match row.need {
        Need::Refused => {
            let S3Op::Unsupported(what) = &op else { return Err(S3Error::internal("refused operation")) };
            return Err(S3Error::not_implemented(format!("bagroom does not implement {what}")));
        }
        Need::Key(m) => Some(authorize(&who, bucket, m, key)?),
        Need::BucketScope => Some(authorize(&who, bucket, Method::List, &list_scope(principal, bucket, ""))?),
        Need::AccessKey => Some(authorize_bucket(&who, bucket, &format!("{op:?}"))?),
        Need::AnyKey(m) => {
            precheck(&who, bucket, m)?;
            None
        }
        // the prefix comes from the query; list_objects authorises it
        Need::ListPrefix => None,
    };
    let g = || grant.as_ref().ok_or_else(|| S3Error::internal("operation without a grant"));
    match op {
        S3Op::GetObject | S3Op::HeadObject => get_object(ctx, parts, g()?, matches!(principal, Principal::AccessKey(_)), &headers).await,
        S3Op::ListObjects => {
            let json = crate::listing::wants_json(parts.headers.get("accept"));
            list_objects(ctx, &parts.query_pairs(), &who, bucket, json).await
        }
        S3Op::GetBucketLocation => {
            g()?;
            let mut h = Headers::new();
            h.insert("content-type", "application/xml");
            Ok(bytes_response(200, &h, crate::xml::location_xml(&ctx.cfg.region).into_bytes()))
        }
        S3Op::HeadBucket => {
            g()?;
            let mut h = Headers::new();
            h.insert("x-amz-bucket-region", ctx.cfg.region.clone());
            Ok(bytes_response(200, &h, Vec::new()))
        }
        S3Op::PutObject | S3Op::UploadPart => upload::put(ctx, req, parts, principal, g()?, op == S3Op::UploadPart).await,
        S3Op::CopyObject | S3Op::UploadPartCopy => upload::copy(ctx, parts, &who, g()?, headers, op == S3Op::UploadPartCopy).await,
        S3Op::CreateMultipartUpload => upload::create(ctx, parts, principal, g()?, headers).await,
        S3Op::ListParts => upload::list_parts(ctx, parts, g()?).await,
        S3Op::AbortMultipartUpload => upload::abort(ctx, parts, g()?).await,
        S3Op::CompleteMultipartUpload => upload::complete_s3(ctx, req, parts, principal, g()?, headers).await,
        S3Op::DeleteObject => upload::delete(ctx, parts, g()?).await,
        S3Op::DeleteObjects => upload::delete_objects(ctx, req, parts, &who, bucket).await,
        S3Op::ListBuckets => upload::list_buckets(ctx, g()?),
        S3Op::ListMultipartUploads => upload::list_uploads(ctx, parts, g()?).await,
        S3Op::Unsupported(_) => Err(S3Error::internal("routed an unsupported operation")),
    }
}
