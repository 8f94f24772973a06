//! Writes: proxied PUT, multipart through the edge, DELETE.

use super::Ctx;
use crate::auth::Principal;
use crate::config::BucketConfig;
use crate::error::S3Error;
use crate::http::RequestParts;
use crate::route::S3Op;
use worker::{Request, Response};

pub async fn s3(
    _ctx: &Ctx,
    _req: Request,
    _parts: &RequestParts,
    _principal: &Principal,
    op: S3Op,
    _bucket: &BucketConfig,
    _key: &str,
) -> Result<Response, S3Error> {
    Err(S3Error::not_implemented(format!("{op:?} is not implemented yet")))
}
