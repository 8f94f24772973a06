//! Upload decisions: how a proxied PUT (or UploadPart) body travels to the store, which
//! limits bind it, and the byte filter that enforces them while the body streams.
//!
//! Fast path: a body with a known length, no `aws-chunked` framing and no payload hash to
//! check goes to the store untouched (the JS stream is handed over, never read in Rust).
//! Everything else passes through [`BodyFilter`]: it decodes `aws-chunked` (checking every
//! chunk signature), hashes the body when a SHA-256 was signed, verifies trailing checksums,
//! and counts bytes against the limit. On any failure the shell errors the stream, so the
//! store never completes the object.

use crate::auth::token::Claims;
use crate::auth::verify::Payload;
use crate::guard::{headers::from_client, HeaderSet, PrincipalClass, StoreHeaders};
use crate::http::Headers;
use crate::s3::error::S3Error;
use crate::sigv4::chunked::{ChunkMode, ChunkedDecoder};
use base64::Engine;
use sha2::{Digest, Sha256};

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
    /// Headers for the store request (the client headers the operation table allows: content
    /// metadata, checksums, conditions; signed by the gateway).
    pub store_headers: StoreHeaders,
}

impl PutPlan {
    /// Must the body pass through [`BodyFilter`]? (Otherwise it is handed to the store as is.)
    pub fn needs_filter(&self) -> bool {
        self.framing != Framing::Raw || self.sha256.is_some() || self.length.is_none()
    }
    /// The payload length (always known: [`plan_put`] refuses bodies without one).
    pub fn len(&self) -> u64 {
        self.length.unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// 400 EntityTooLarge for a limit of `limit` bytes.
pub fn too_large(limit: u64) -> S3Error {
    S3Error::new(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
        .with("MaxSizeAllowed", limit.to_string())
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
    if length.is_none() {
        return Err(S3Error::new(411, "MissingContentLength", "You must provide the Content-Length HTTP header."));
    }
    let limit = byte_limit(claims, max_upload);
    if let Some(n) = length {
        if n > limit {
            return Err(too_large(limit));
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

    let class = if claims.is_none() && payload.is_some() { PrincipalClass::AccessKey } else { PrincipalClass::Limited };
    let mut h = from_client(if multipart_part { HeaderSet::Part } else { HeaderSet::Put }, class, client)?;
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
    Ok(PutPlan { framing, length, limit, sha256, trailer_checksum, store_headers: h })
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
        return Err(too_large(limit));
    }
    if !part {
        let replace = client.get("x-amz-metadata-directive").is_some_and(|d| d.trim().eq_ignore_ascii_case("REPLACE"));
        let ct = if replace { client.get("content-type") } else { source.get("content-type") };
        crate::auth::token::check_upload(claims, ct, Some(size))?;
    }
    Ok(CopyPlan { size, no_overwrite: claims.no_overwrite && !part })
}

/// Trailing checksums the gateway verifies.
pub const SUPPORTED_CHECKSUMS: &[&str] =
    &["x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256"];

enum Check {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64(u64),
    Sha1(sha1::Sha1),
    Sha256(Sha256),
}

impl Check {
    fn new(name: &str) -> Option<Check> {
        Some(match name {
            "x-amz-checksum-crc32" => Check::Crc32(crc32fast::Hasher::new()),
            "x-amz-checksum-crc32c" => Check::Crc32c(0),
            "x-amz-checksum-crc64nvme" => Check::Crc64(!0),
            "x-amz-checksum-sha1" => Check::Sha1(sha1::Sha1::default()),
            "x-amz-checksum-sha256" => Check::Sha256(Sha256::new()),
            _ => return None,
        })
    }
    fn update(&mut self, b: &[u8]) {
        match self {
            Check::Crc32(h) => h.update(b),
            Check::Crc32c(c) => *c = crc32c::crc32c_append(*c, b),
            Check::Crc64(c) => *c = crc64nvme_update(*c, b),
            Check::Sha1(h) => sha1::Digest::update(h, b),
            Check::Sha256(h) => h.update(b),
        }
    }
    fn finish_b64(self) -> String {
        let b64 = |v: &[u8]| base64::engine::general_purpose::STANDARD.encode(v);
        match self {
            Check::Crc32(h) => b64(&h.finalize().to_be_bytes()),
            Check::Crc32c(c) => b64(&c.to_be_bytes()),
            Check::Crc64(c) => b64(&(!c).to_be_bytes()),
            Check::Sha1(h) => b64(&sha1::Digest::finalize(h)),
            Check::Sha256(h) => b64(&h.finalize()),
        }
    }
}

/// CRC-64/NVME (reflected, poly 0xAD93D23594C93659), as S3's `x-amz-checksum-crc64nvme`.
pub fn crc64nvme_update(mut crc: u64, data: &[u8]) -> u64 {
    const POLY: u64 = 0x9A6C_9329_AC4B_C9B5;
    for &b in data {
        crc ^= b as u64;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ POLY } else { crc >> 1 };
        }
    }
    crc
}

/// The streaming filter: decode, hash, verify and count, in bounded memory.
pub struct BodyFilter {
    decoder: Option<ChunkedDecoder>,
    limit: u64,
    length: Option<u64>,
    count: u64,
    sha256: Option<(Sha256, String)>,
    trailer: Option<(String, Check)>,
    scratch: Vec<u8>,
    /// The bytes that complete the declared length, held back until [`BodyFilter::finish`] has
    /// checked everything: the store never sees a whole body that fails a check.
    held: Vec<u8>,
}

/// What to send on for one input chunk.
pub enum Out<'a> {
    /// The input as it came (no copy needed).
    Same,
    /// These bytes (possibly empty).
    Bytes(&'a [u8]),
}

impl BodyFilter {
    /// `signing` is (signing key, amz date, scope, seed signature) from the verified request,
    /// needed only for signed aws-chunked bodies.
    pub fn new(plan: &PutPlan, signing: Option<([u8; 32], String, String, String)>) -> Result<BodyFilter, S3Error> {
        let decoder = match &plan.framing {
            Framing::Raw => None,
            Framing::AwsChunked { signed, trailer } => {
                let mode = if *signed {
                    let (signing_key, amz_date, scope, seed_signature) =
                        signing.ok_or_else(|| S3Error::access_denied("signed aws-chunked body without a verified seed signature"))?;
                    ChunkMode::Signed { signing_key, amz_date, scope, seed_signature }
                } else {
                    ChunkMode::Unsigned
                };
                Some(ChunkedDecoder::new(mode, *trailer))
            }
        };
        let trailer = plan.trailer_checksum.as_ref().and_then(|n| Check::new(n).map(|c| (n.clone(), c)));
        Ok(BodyFilter {
            decoder,
            limit: plan.limit,
            length: plan.length,
            count: 0,
            sha256: plan.sha256.clone().map(|h| (Sha256::new(), h)),
            trailer,
            scratch: Vec::new(),
            held: Vec::new(),
        })
    }

    /// Payload bytes seen so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Feed the next input bytes; returns what to pass on.
    pub fn push<'a>(&'a mut self, input: &[u8]) -> Result<Out<'a>, S3Error> {
        let same = self.decoder.is_none();
        if let Some(d) = self.decoder.as_mut() {
            self.scratch.clear();
            d.push(input, &mut self.scratch)?;
        }
        let payload: &[u8] = if same { input } else { &self.scratch };
        self.count += payload.len() as u64;
        if self.count > self.limit {
            return Err(too_large(self.limit));
        }
        if let Some(n) = self.length {
            if self.count > n {
                return Err(S3Error::new(400, "IncompleteBody", "The body is longer than its declared length."));
            }
        }
        if let Some((h, _)) = self.sha256.as_mut() {
            h.update(payload);
        }
        if let Some((_, c)) = self.trailer.as_mut() {
            c.update(payload);
        }
        if self.length == Some(self.count) && !payload.is_empty() {
            // the last payload bytes: hold them until finish() has checked the whole body
            self.held.extend_from_slice(payload);
            return Ok(Out::Bytes(&[]));
        }
        Ok(if same { Out::Same } else { Out::Bytes(&self.scratch) })
    }

    /// The body ended: check framing, length, hash and trailing checksum. On success, returns the
    /// held-back final bytes to pass on.
    pub fn finish(&mut self) -> Result<Vec<u8>, S3Error> {
        let trailers = match self.decoder.as_mut() {
            Some(d) => Some(d.finish()?),
            None => None,
        };
        if let Some(n) = self.length {
            if self.count != n {
                return Err(S3Error::new(
                    400,
                    "IncompleteBody",
                    "You did not provide the number of bytes specified by the Content-Length HTTP header.",
                ));
            }
        }
        if let Some((h, expected)) = self.sha256.take() {
            let got = crate::sigv4::hex(&h.finalize());
            if !crate::sigv4::constant_time_eq(got.as_bytes(), expected.as_bytes()) {
                return Err(S3Error::new(
                    400,
                    "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                )
                .with("ClientComputedContentSHA256", expected)
                .with("S3ComputedContentSHA256", got));
            }
        }
        if let Some((name, c)) = self.trailer.take() {
            let got = c.finish_b64();
            let sent = trailers.as_ref().and_then(|t| t.get(&name)).map(str::trim).map(str::to_string);
            match sent {
                Some(s) if s == got => {}
                Some(_) => {
                    return Err(S3Error::new(400, "BadDigest", format!("The {name} you specified did not match the calculated checksum.")))
                }
                None => {
                    return Err(S3Error::new(
                        400,
                        "MalformedTrailerError",
                        "The request contained trailing data that was not well-formed or did not conform to our published schema.",
                    ))
                }
            }
        }
        Ok(std::mem::take(&mut self.held))
    }
}

/// The key an upload from the demo page or Uppy lands at: a file name relative to the token's
/// scope (`uploads/` + `cat.png`), or the token's exact key.
pub fn key_for_upload(scope: &crate::auth::token::Scope, filename: &str) -> Result<String, S3Error> {
    use crate::auth::token::Scope;
    let name = filename.trim_start_matches('/');
    if name.is_empty() {
        return Err(S3Error::invalid_argument("a file name is required"));
    }
    if name.len() > 1024 || name.chars().any(|c| c.is_control()) {
        return Err(S3Error::invalid_argument("the file name is not a valid S3 key"));
    }
    match scope {
        Scope::Exact(k) => Ok(k.clone()),
        Scope::Prefix(p) if name.starts_with(p.as_str()) => Ok(name.to_string()),
        Scope::Prefix(p) => Ok(format!("{p}{name}")),
    }
}

/// Is a multipart upload initiated at `initiated` (unix s) older than `max_age` at `now`?
/// An upload whose start time is unknown is left alone.
pub fn is_stale(initiated: Option<u64>, now: u64, max_age: u64) -> bool {
    initiated.is_some_and(|t| now.saturating_sub(t) > max_age)
}

/// One entry per part number, in part-number order. Some stores keep every attempt of a retried
/// part and list each (SeaweedFS does, in no particular order): the latest upload wins (by
/// `LastModified`; when those tie, the first listed). A client resuming from this list completes
/// with the ETag it shows, and the store assembles exactly the attempt with that ETag.
pub fn latest_parts(parts: Vec<crate::s3::xml::PartInfo>) -> Vec<crate::s3::xml::PartInfo> {
    let mut out: Vec<crate::s3::xml::PartInfo> = Vec::with_capacity(parts.len());
    for p in parts {
        match out.iter_mut().find(|q| q.part_number == p.part_number) {
            Some(q) => {
                if p.last_modified > q.last_modified {
                    *q = p;
                }
            }
            None => out.push(p),
        }
    }
    out.sort_by_key(|p| p.part_number);
    out
}

fn bare_etag(e: &str) -> &str {
    e.trim().trim_start_matches("W/").trim_matches('"')
}

/// The size of the object a CompleteMultipartUpload would assemble from `requested`, given the
/// store's listing. Each requested part is matched by number *and* ETag, since a store may list
/// several attempts of one part number with different sizes; a part whose ETag matches no listed
/// attempt counts as its largest attempt (the limit check errs on the safe side; the store refuses
/// such a part anyway).
pub fn completed_size(requested: &[crate::s3::xml::CompletedPart], listed: &[crate::s3::xml::PartInfo]) -> u64 {
    requested
        .iter()
        .map(|r| {
            let same: Vec<&crate::s3::xml::PartInfo> = listed.iter().filter(|l| l.part_number == r.part_number).collect();
            same.iter()
                .find(|l| bare_etag(&l.etag) == bare_etag(&r.etag))
                .map(|l| l.size)
                .unwrap_or_else(|| same.iter().map(|l| l.size).max().unwrap_or(0))
        })
        .sum()
}

/// The JSON body of an upload-complete event (like S3's event notifications).
pub fn upload_event(
    bucket: &str,
    key: &str,
    size: Option<u64>,
    etag: &str,
    content_type: Option<&str>,
    who: &str,
    now: u64,
    via: &str,
) -> String {
    serde_json::json!({
        "event": "ObjectCreated",
        "via": via,
        "bucket": bucket,
        "key": key,
        "size": size,
        "etag": etag,
        "content_type": content_type,
        "who": who,
        "time": crate::time::iso8601(now),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::{Claims, Methods, Scope};

    fn claims(max: Option<u64>, types: &[&str], no_overwrite: bool) -> Claims {
        let mut c = Claims::new("k", 10_000, Methods::ALL, "b", Scope::Prefix("up/".into()));
        c.max_bytes = max;
        c.content_types = types.iter().map(|s| s.to_string()).collect();
        c.no_overwrite = no_overwrite;
        c
    }

    fn run(plan: &PutPlan, body: &[u8], split: usize) -> Result<Vec<u8>, S3Error> {
        let mut f = BodyFilter::new(plan, None)?;
        let mut out = Vec::new();
        for c in body.chunks(split.max(1)) {
            match f.push(c)? {
                Out::Same => out.extend_from_slice(c),
                Out::Bytes(b) => out.extend_from_slice(b),
            }
        }
        out.extend(f.finish()?);
        Ok(out)
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
        assert_eq!((e.status, e.code), (400, "EntityTooLarge"));
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
        assert_eq!((e.status, e.code), (411, "MissingContentLength"));
        let h = Headers::from_pairs([("content-encoding", "aws-chunked"), ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")]);
        assert_eq!(plan_put(&h, None, None, 1 << 30, false).unwrap_err().code, "MissingContentLength");
    }

    #[test]
    fn the_final_bytes_are_held_until_every_check_passed() {
        let body = b"hello world";
        let h = Headers::from_pairs([("content-length", "11")]);
        let p = plan_put(&h, Some(&Payload::Sha256(crate::sigv4::sha256_hex(b"hello worlD"))), None, 1 << 30, false).unwrap();
        let mut f = BodyFilter::new(&p, None).unwrap();
        let mut passed = 0;
        for c in body.chunks(4) {
            passed += match f.push(c).unwrap() {
                Out::Same => c.len(),
                Out::Bytes(b) => b.len(),
            };
        }
        assert!(passed < body.len(), "the store must not have received the whole body");
        assert_eq!(f.finish().unwrap_err().code, "XAmzContentSHA256Mismatch");
    }

    #[test]
    fn signed_payload_hash_is_checked() {
        let body = b"hello world";
        let h = Headers::from_pairs([("content-length", "11")]);
        let good = crate::sigv4::sha256_hex(body);
        let p = plan_put(&h, Some(&Payload::Sha256(good)), None, 1 << 30, false).unwrap();
        assert!(p.needs_filter());
        assert_eq!(run(&p, body, 4).unwrap(), body);
        let p = plan_put(&h, Some(&Payload::Sha256(crate::sigv4::sha256_hex(b"other"))), None, 1 << 30, false).unwrap();
        assert_eq!(run(&p, body, 4).unwrap_err().code, "XAmzContentSHA256Mismatch");
    }

    #[test]
    fn declared_length_must_match() {
        let h = Headers::from_pairs([("content-length", "5")]);
        let p = plan_put(&h, Some(&Payload::Sha256(crate::sigv4::sha256_hex(b"abc"))), None, 1 << 30, false).unwrap();
        assert_eq!(run(&p, b"abc", 1).unwrap_err().code, "IncompleteBody");
    }

    fn chunked(payload: &[u8], trailer: Option<(&str, &str)>) -> Vec<u8> {
        let mut b = Vec::new();
        for c in payload.chunks(4) {
            b.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
            b.extend_from_slice(c);
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(b"0\r\n");
        if let Some((k, v)) = trailer {
            b.extend_from_slice(format!("{k}:{v}\r\n").as_bytes());
        }
        b.extend_from_slice(b"\r\n");
        b
    }

    #[test]
    fn unsigned_aws_chunked_with_crc32_trailer() {
        // the captured boto3 body: "hello world\n" with CRC32 rwg7LQ==
        let h = Headers::from_pairs([
            ("content-encoding", "aws-chunked"),
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("x-amz-decoded-content-length", "12"),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
        ]);
        let payload = Payload::Streaming { signed: false, trailer: true };
        let p = plan_put(&h, Some(&payload), None, 1 << 30, false).unwrap();
        assert_eq!(p.store_headers.get("content-length"), Some("12"));
        assert_eq!(p.store_headers.get("content-encoding"), None);
        assert_eq!(p.store_headers.get("x-amz-sdk-checksum-algorithm"), None);
        let body = chunked(b"hello world\n", Some(("x-amz-checksum-crc32", "rwg7LQ==")));
        for split in [1, 5, 1000] {
            assert_eq!(run(&p, &body, split).unwrap(), b"hello world\n");
        }
        let bad = chunked(b"hello world\n", Some(("x-amz-checksum-crc32", "AAAAAA==")));
        assert_eq!(run(&p, &bad, 7).unwrap_err().code, "BadDigest");
    }

    #[test]
    fn other_checksums() {
        for (name, expected) in [
            ("x-amz-checksum-sha256", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"abc"))),
            ("x-amz-checksum-crc32c", "Nks/tw==".to_string()),
        ] {
            let h =
                Headers::from_pairs([("content-encoding", "aws-chunked"), ("x-amz-decoded-content-length", "3"), ("x-amz-trailer", name)]);
            let p = plan_put(&h, Some(&Payload::Streaming { signed: false, trailer: true }), None, 1 << 30, false).unwrap();
            assert_eq!(run(&p, &chunked(b"abc", Some((name, &expected))), 2).unwrap(), b"abc", "{name}");
        }
    }

    #[test]
    fn staleness() {
        assert!(is_stale(Some(0), 100, 99));
        assert!(!is_stale(Some(0), 100, 100));
        assert!(!is_stale(None, 100, 0));
    }

    fn part(n: u32, etag: &str, size: u64, t: u64) -> crate::s3::xml::PartInfo {
        crate::s3::xml::PartInfo { part_number: n, last_modified: Some(t), etag: format!("\"{etag}\""), size, checksums: Vec::new() }
    }

    #[test]
    fn retried_parts_listed_once_latest_wins() {
        let listed = vec![part(2, "b-old", 10, 100), part(1, "a", 5, 100), part(2, "b-new", 20, 101), part(2, "b-tie", 30, 101)];
        let got = latest_parts(listed);
        let etags: Vec<&str> = got.iter().map(|p| p.etag.as_str()).collect();
        assert_eq!(etags, ["\"a\"", "\"b-new\""]);
    }

    #[test]
    fn completed_size_matches_each_part_by_etag() {
        use crate::s3::xml::CompletedPart;
        let listed = vec![part(2, "small", 1, 100), part(1, "a", 5 << 20, 100), part(2, "big", 100 << 20, 100), part(2, "small2", 2, 100)];
        let req = |n: u32, e: &str| CompletedPart { part_number: n, etag: e.to_string(), checksums: Vec::new() };
        // whatever the listing order, the attempt the client names is the one counted
        assert_eq!(completed_size(&[req(1, "\"a\""), req(2, "big")], &listed), (5 << 20) + (100 << 20));
        assert_eq!(completed_size(&[req(1, "a"), req(2, "\"small\"")], &listed), (5 << 20) + 1);
        // an ETag the store does not list: counted as the largest attempt
        assert_eq!(completed_size(&[req(2, "nope")], &listed), 100 << 20);
        assert_eq!(completed_size(&[req(3, "x")], &listed), 0);
    }

    #[test]
    fn crc64nvme_check_value() {
        assert_eq!(!crc64nvme_update(!0, b"123456789"), 0xAE8B_1486_0A79_9888);
    }

    #[test]
    fn upload_keys() {
        assert_eq!(key_for_upload(&Scope::Prefix("up/".into()), "a b.txt").unwrap(), "up/a b.txt");
        assert_eq!(key_for_upload(&Scope::Prefix("up/".into()), "up/x").unwrap(), "up/x");
        assert_eq!(key_for_upload(&Scope::Exact("k".into()), "whatever").unwrap(), "k");
        assert!(key_for_upload(&Scope::Prefix("".into()), "").is_err());
    }
}
