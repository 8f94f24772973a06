//! The put plan: how a PUT / UploadPart body travels to the store, which byte limits bind it
//! (configured maximum, a token's `max_bytes`, S3's 5 GiB), and what a share token's copy must
//! respect.

use super::checksum::SUPPORTED_CHECKSUMS;
use crate::auth::token::Claims;
use crate::auth::verify::Payload;
use crate::guard::{headers::from_client, HeaderSet, PrincipalClass, StoreHeaders};
use crate::http::Headers;
use crate::s3::error::S3Error;

/// Slowest average rate (bytes/s) at which a proxied upload on the fast path may arrive before
/// the store deadline cuts it: `BAGROOM_STORE_TIMEOUT_MS` plus the body's length at this rate.
pub const MIN_UPLOAD_RATE: u64 = 16 * 1024;

/// S3's largest single PUT.
pub const S3_MAX_PUT: u64 = 5 * 1024 * 1024 * 1024;

/// How the body is framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// Plain bytes.
    Raw,
    /// `Content-Encoding: aws-chunked`.
    AwsChunked { signed: bool, trailer: bool },
}

/// What the shell does with one upload body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutPlan {
    pub framing: Framing,
    /// Payload length after decoding, when the client declared it.
    pub length: Option<u64>,
    /// Most bytes this upload may carry.
    pub limit: u64,
    /// Hex SHA-256 the decoded body must have (a signed payload hash).
    pub sha256: Option<String>,
    /// Checksum algorithm announced for a trailer (`x-amz-trailer`), e.g. `x-amz-checksum-crc32`.
    pub trailer_checksum: Option<String>,
    /// A checksum header (`x-amz-checksum-<algo>`, base64) the gateway checks itself over the
    /// body, for a store that would not ([`PutPlan::check_header_checksum`]).
    pub header_checksum: Option<(String, String)>,
    /// Headers for the store request (the client headers the operation table allows: content
    /// metadata, checksums, conditions; signed by the gateway).
    pub store_headers: StoreHeaders,
}

impl PutPlan {
    /// Must the body pass through [`BodyFilter`]? (Otherwise it is handed to the store as is.)
    pub fn needs_filter(&self) -> bool {
        self.framing != Framing::Raw || self.sha256.is_some() || self.length.is_none() || self.header_checksum.is_some()
    }
    /// The store does not check `x-amz-checksum-*` request headers (an R2 binding checks only
    /// MD5, SHA-1 and SHA-256, and echoing an unchecked one would say it was): the gateway checks
    /// the one the request carries over the body it passes on (400 `BadDigest` on a mismatch,
    /// before the store sees the whole body).
    pub fn check_header_checksum(&mut self) {
        self.header_checksum = crate::upload::checksum::SUPPORTED_CHECKSUMS
            .iter()
            .find_map(|n| self.store_headers.headers().iter().find(|(k, _)| k == n).map(|(k, v)| (k.to_string(), v.trim().to_string())));
    }
    /// The payload length (always known: [`plan_put`] refuses bodies without one).
    pub fn len(&self) -> u64 {
        self.length.unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The effective byte limit: the configured maximum, narrowed by a token's `max_bytes`.
pub fn byte_limit(claims: Option<&Claims>, max_upload: u64) -> u64 {
    let mut l = max_upload.min(S3_MAX_PUT);
    if let Some(m) = claims.and_then(|c| c.max_bytes) {
        l = l.min(m);
    }
    l
}

fn parse_len(h: &Headers, name: &str) -> Result<Option<u64>, S3Error> {
    match h.get(name) {
        None => Ok(None),
        Some(v) => {
            v.trim().parse::<u64>().map(Some).map_err(|_| S3Error::invalid_argument(format!("{name} must be a non-negative integer")))
        }
    }
}

/// Decide how a PUT / UploadPart body travels. `payload` is what the signature check found (Some
/// exactly for the gateway's access keys); `claims` the token's limits (None for access keys);
/// `multipart_part` is true for UploadPart (content-type limits were checked at
/// CreateMultipartUpload).
pub fn plan_put(
    client: &Headers,
    payload: Option<&Payload>,
    claims: Option<&Claims>,
    max_upload: u64,
    multipart_part: bool,
) -> Result<PutPlan, S3Error> {
    let class = if claims.is_none() && payload.is_some() { PrincipalClass::AccessKey } else { PrincipalClass::Limited };
    let allowed = from_client(if multipart_part { HeaderSet::Part } else { HeaderSet::Put }, class, client)?;
    plan_put_with(allowed, client, payload, claims, max_upload, multipart_part)
}

/// [`plan_put`] with the client headers the operation table already let through (the plan's:
/// `guard::plan` filtered them for this operation and principal), so they are filtered once.
pub fn plan_put_with(
    allowed: StoreHeaders,
    client: &Headers,
    payload: Option<&Payload>,
    claims: Option<&Claims>,
    max_upload: u64,
    multipart_part: bool,
) -> Result<PutPlan, S3Error> {
    let encodings: Vec<String> =
        client.get("content-encoding").unwrap_or("").split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let chunked_enc = encodings.iter().any(|e| e.eq_ignore_ascii_case("aws-chunked"));
    let sha_header = client.get("x-amz-content-sha256").unwrap_or("");
    let framing = match payload {
        Some(Payload::Streaming { signed, trailer }) => Framing::AwsChunked { signed: *signed, trailer: *trailer },
        _ if chunked_enc || sha_header.starts_with("STREAMING-") => {
            // aws-chunked without a verified streaming signature (e.g. a token upload from an SDK):
            // only the unsigned variants are acceptable.
            if sha_header.starts_with("STREAMING-AWS4-HMAC-SHA256") {
                return Err(S3Error::access_denied("signed aws-chunked bodies need a SigV4-signed request"));
            }
            Framing::AwsChunked { signed: false, trailer: sha_header.ends_with("TRAILER") || client.get("x-amz-trailer").is_some() }
        }
        _ => Framing::Raw,
    };
    let length = match framing {
        Framing::Raw => parse_len(client, "content-length")?,
        Framing::AwsChunked { .. } => parse_len(client, "x-amz-decoded-content-length")?,
    };
    // S3 needs the size up front (a store cannot tell a finished body from a cut one
    // otherwise): a plain body needs Content-Length, an aws-chunked one x-amz-decoded-content-length.
    // Kept for plain `Transfer-Encoding: chunked` bodies too, though the test store takes them:
    // the runtime ends a chunked store request whose body stream fails as if the body had ended
    // (checked end to end: tests/e2e/clients-first-contact.test.mjs), so a body cut at the limit,
    // or by a client going away, would be stored truncated (overwriting the object), where the
    // store given the same cut body directly discards it.
    if length.is_none() {
        return Err(S3Error::missing_content_length());
    }
    let limit = byte_limit(claims, max_upload);
    if let Some(n) = length {
        if n > limit {
            return Err(S3Error::entity_too_large(limit));
        }
    }
    if let Some(c) = claims.filter(|_| !multipart_part) {
        // The size limit is `limit` above (an undeclared size is counted while streaming);
        // here the content type. Parts carry none: it was checked at CreateMultipartUpload.
        crate::auth::token::check_upload(c, client.get("content-type"), Some(length.unwrap_or(0)))?;
    }
    let sha256 = match payload {
        Some(Payload::Sha256(h)) => Some(h.to_ascii_lowercase()),
        // a hash the client states without signing it (token uploads) is still checked
        None if sha_header.len() == 64 && sha_header.bytes().all(|b| b.is_ascii_hexdigit()) => Some(sha_header.to_ascii_lowercase()),
        _ => None,
    };
    let trailer_checksum = match framing {
        Framing::AwsChunked { trailer: true, .. } => client.get("x-amz-trailer").map(|t| t.trim().to_ascii_lowercase()),
        _ => None,
    };
    if let Some(t) = &trailer_checksum {
        if !SUPPORTED_CHECKSUMS.contains(&t.as_str()) {
            return Err(S3Error::invalid_argument(format!("unsupported trailing checksum {t}")));
        }
    }

    let mut h = allowed;
    if framing != Framing::Raw {
        let rest: Vec<&String> = encodings.iter().filter(|e| !e.eq_ignore_ascii_case("aws-chunked")).collect();
        h.remove("content-encoding");
        if !rest.is_empty() && !multipart_part {
            h.set("content-encoding", rest.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","));
        }
    }
    if let Some(n) = length {
        h.set("content-length", n.to_string());
    }
    if claims.is_some_and(|c| c.no_overwrite) && !multipart_part {
        h.set("if-none-match", "*");
    }
    Ok(PutPlan { framing, length, limit, sha256, trailer_checksum, header_checksum: None, store_headers: h })
}

/// What a share token's copy (CopyObject or UploadPartCopy) must respect beyond the copy itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPlan {
    /// Bytes the copy writes (the source, or the part's `x-amz-copy-source-range`).
    pub size: u64,
    /// The destination must not exist (the token's `no_overwrite`).
    pub no_overwrite: bool,
}

/// A share token's copy obeys its upload limits as an upload of the same bytes would: the size
/// (the source's, or the part's copy range), the content type the destination gets (the source's,
/// or the request's with `x-amz-metadata-directive: REPLACE`), and no-overwrite. `source` are the
/// store's headers for the source object.
pub fn plan_copy(
    claims: &Claims,
    max_upload: u64,
    client: &Headers,
    source: &Headers,
    source_size: u64,
    part: bool,
) -> Result<CopyPlan, S3Error> {
    let size = match client.get("x-amz-copy-source-range").filter(|_| part) {
        Some(r) => {
            let bad = || {
                S3Error::invalid_argument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
            };
            let (a, b) = r.trim().strip_prefix("bytes=").and_then(|v| v.split_once('-')).ok_or_else(bad)?;
            let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
            if b < a || b >= source_size {
                return Err(bad());
            }
            b - a + 1
        }
        None => source_size,
    };
    let limit = byte_limit(Some(claims), max_upload);
    if size > limit {
        return Err(S3Error::entity_too_large(limit));
    }
    if !part {
        let replace = client.get("x-amz-metadata-directive").is_some_and(|d| d.trim().eq_ignore_ascii_case("REPLACE"));
        let ct = if replace { client.get("content-type") } else { source.get("content-type") };
        crate::auth::token::check_upload(claims, ct, Some(size))?;
    }
    Ok(CopyPlan { size, no_overwrite: claims.no_overwrite && !part })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::{Methods, Scope};

    fn claims(max: Option<u64>, types: &[&str], no_overwrite: bool) -> Claims {
        let mut c = Claims::new("k", 10_000, Methods::ALL, "b", Scope::Prefix("up/".into()));
        c.max_bytes = max;
        c.content_types = types.iter().map(|s| s.to_string()).collect();
        c.no_overwrite = no_overwrite;
        c
    }
    #[test]
    fn copies_obey_the_tokens_upload_limits() {
        let src = Headers::from_pairs([("content-type", "text/plain")]);
        let none = Headers::new();
        // size
        assert_eq!(plan_copy(&claims(Some(100), &[], false), 1 << 30, &none, &src, 5_000, false).unwrap_err().code, "EntityTooLarge");
        assert_eq!(plan_copy(&claims(Some(100), &[], false), 1 << 30, &none, &src, 100, false).unwrap().size, 100);
        let range = Headers::from_pairs([("x-amz-copy-source-range", "bytes=0-99")]);
        assert_eq!(plan_copy(&claims(Some(100), &[], false), 1 << 30, &range, &src, 5_000, true).unwrap().size, 100);
        let range = Headers::from_pairs([("x-amz-copy-source-range", "bytes=0-100")]);
        assert!(plan_copy(&claims(Some(100), &[], false), 1 << 30, &range, &src, 5_000, true).is_err());
        // content type: the source's, or the request's with REPLACE
        let img = claims(None, &["image/*"], false);
        assert_eq!(plan_copy(&img, 1 << 30, &none, &src, 1, false).unwrap_err().code, "AccessDenied");
        let png = Headers::from_pairs([("content-type", "image/png")]);
        assert!(plan_copy(&img, 1 << 30, &none, &png, 1, false).is_ok());
        let replace = Headers::from_pairs([("x-amz-metadata-directive", "REPLACE"), ("content-type", "text/html")]);
        assert_eq!(plan_copy(&img, 1 << 30, &replace, &png, 1, false).unwrap_err().code, "AccessDenied");
        // no-overwrite
        assert!(plan_copy(&claims(None, &[], true), 1 << 30, &none, &src, 1, false).unwrap().no_overwrite);
    }

    #[test]
    fn plain_put_with_length_takes_the_fast_path() {
        let h = Headers::from_pairs([("content-length", "5"), ("content-type", "text/plain"), ("x-amz-meta-a", "1")]);
        let p = plan_put(&h, Some(&Payload::Unsigned), None, 1 << 30, false).unwrap();
        assert!(!p.needs_filter());
        assert_eq!(p.store_headers.get("content-length"), Some("5"));
        assert_eq!(p.store_headers.get("x-amz-meta-a"), Some("1"));
    }

    #[test]
    fn limits_refused_up_front() {
        let h = Headers::from_pairs([("content-length", "101"), ("content-type", "text/plain")]);
        let e = plan_put(&h, None, Some(&claims(Some(100), &[], false)), 1 << 30, false).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "EntityTooLarge"));
        let e = plan_put(&h, None, None, 100, false).unwrap_err();
        assert_eq!(e.code, "EntityTooLarge");
        let h = Headers::from_pairs([("content-length", "1"), ("content-type", "text/html")]);
        let e = plan_put(&h, None, Some(&claims(None, &["image/*"], false)), 1 << 30, false).unwrap_err();
        assert_eq!(e.status, 403);
        let h = Headers::from_pairs([
            ("x-amz-decoded-content-length", "500"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ]);
        assert_eq!(plan_put(&h, None, Some(&claims(Some(100), &[], false)), 1 << 30, false).unwrap_err().code, "EntityTooLarge");
    }

    #[test]
    fn no_overwrite_becomes_a_conditional_write() {
        let h = Headers::from_pairs([("content-length", "1")]);
        let p = plan_put(&h, None, Some(&claims(None, &[], true)), 1 << 30, false).unwrap();
        assert_eq!(p.store_headers.get("if-none-match"), Some("*"));
    }

    #[test]
    fn a_body_without_a_length_is_refused() {
        let h = Headers::from_pairs([("transfer-encoding", "chunked")]);
        let e = plan_put(&h, None, Some(&claims(Some(10), &[], false)), 1 << 30, false).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (411, "MissingContentLength"));
        let h = Headers::from_pairs([("content-encoding", "aws-chunked"), ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")]);
        assert_eq!(plan_put(&h, None, None, 1 << 30, false).unwrap_err().code, "MissingContentLength");
    }

    #[test]
    fn a_chunked_body_without_a_length_is_refused_for_access_keys_too() {
        let h = Headers::from_pairs([("transfer-encoding", "chunked"), ("content-type", "text/plain")]);
        for payload in [Payload::Unsigned, Payload::Sha256("a".repeat(64))] {
            let e = plan_put(&h, Some(&payload), None, 1 << 30, false).unwrap_err();
            assert_eq!((e.status, e.code.as_str()), (411, "MissingContentLength"));
        }
        let e = plan_put(&h, Some(&Payload::Unsigned), None, 1 << 30, true).unwrap_err();
        assert_eq!(e.status, 411);
    }
}
