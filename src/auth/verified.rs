//! What a verified signature says ([`Verified`], [`Payload`], [`AuthKind`]), how to verify
//! ([`VerifyOptions`], [`SecretLookup`]), and the errors of signature checks worded as S3 words
//! them: shared by SigV4 ([`super::verify`]) and SigV2 ([`super::sigv2`]).

use std::collections::HashMap;

use crate::s3::error::{Code, S3Error};
use crate::sigv4::canonical_request::UriMode;
use crate::sigv4::{
    payload_hash_is_valid, STREAMING_AWS4_HMAC_SHA256_PAYLOAD, STREAMING_AWS4_HMAC_SHA256_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD,
};

/// Longest validity of a presigned URL: 7 days.
pub const MAX_EXPIRES_SECS: u64 = 604_800;
/// S3's allowed clock skew for header-signed requests: 15 minutes.
pub const DEFAULT_MAX_SKEW_SECS: u64 = 900;

/// Where the verifier finds the secret of an access key id.
pub trait SecretLookup {
    fn secret_for(&self, access_key_id: &str) -> Option<&str>;
}

impl SecretLookup for [(String, String)] {
    fn secret_for(&self, access_key_id: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k == access_key_id).map(|(_, s)| s.as_str())
    }
}

impl<const N: usize> SecretLookup for [(String, String); N] {
    fn secret_for(&self, access_key_id: &str) -> Option<&str> {
        self[..].secret_for(access_key_id)
    }
}

impl SecretLookup for Vec<(String, String)> {
    fn secret_for(&self, access_key_id: &str) -> Option<&str> {
        self[..].secret_for(access_key_id)
    }
}

impl SecretLookup for HashMap<String, String> {
    fn secret_for(&self, access_key_id: &str) -> Option<&str> {
        self.get(access_key_id).map(String::as_str)
    }
}

impl<T: SecretLookup + ?Sized> SecretLookup for &T {
    fn secret_for(&self, access_key_id: &str) -> Option<&str> {
        (**self).secret_for(access_key_id)
    }
}

/// What the verifier accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions<'a> {
    /// The region every credential scope must name (e.g. `us-east-1`, or `auto`).
    pub region: &'a str,
    /// The service every credential scope must name: `s3`.
    pub service: &'a str,
    /// Current time, unix seconds.
    pub now: u64,
    /// Accept legacy SigV2 presigned URLs (`AWSAccessKeyId`/`Signature`/`Expires`).
    pub allow_sigv2: bool,
    /// Largest accepted difference between the request date and `now` for
    /// header-signed requests (S3: 900 s).
    pub max_skew_secs: u64,
    /// Canonical URI rules: [`UriMode::S3`] for S3.
    pub uri_mode: UriMode,
    /// SigV2 only: the bucket named by a virtual-hosted `Host` (`bkt.gw.example`), which
    /// SigV2's canonical resource puts before the path (`/bkt/key`). `None` for path-style
    /// requests. SigV4 ignores it (it signs the path as sent).
    pub virtual_host_bucket: Option<&'a str>,
}

impl Default for VerifyOptions<'_> {
    fn default() -> Self {
        VerifyOptions {
            region: "us-east-1",
            service: "s3",
            now: 0,
            allow_sigv2: false,
            max_skew_secs: DEFAULT_MAX_SKEW_SECS,
            uri_mode: UriMode::S3,
            virtual_host_bucket: None,
        }
    }
}

impl<'a> VerifyOptions<'a> {
    /// S3 rules for `region` at `now`: service `s3`, 15 min skew, SigV2 off.
    pub fn s3(region: &'a str, now: u64) -> Self {
        VerifyOptions { region, now, ..Default::default() }
    }
}

/// Which signature a request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// `Authorization: AWS4-HMAC-SHA256 ...`
    HeaderV4,
    /// Presigned SigV4 URL (`X-Amz-Signature=...`).
    QueryV4,
    /// Presigned SigV2 URL (`AWSAccessKeyId=...&Signature=...&Expires=...`).
    QueryV2,
    /// `Authorization: AWS AKID:Signature` (header-signed SigV2).
    HeaderV2,
    /// A POST Object form whose policy is SigV4-signed (`crate::guard::plan::plan_form`).
    PostPolicy,
}

/// What the signature says about the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `UNSIGNED-PAYLOAD` (and every presigned URL without `X-Amz-Content-Sha256`).
    Unsigned,
    /// The body's SHA-256 (64 hex digits, lower-cased here). The caller must hash the
    /// body and compare: [`check_buffered_body`] for a body read whole, else see
    /// [`S3Error::content_sha256_mismatch`].
    Sha256(String),
    /// `Content-Encoding: aws-chunked`: `STREAMING-UNSIGNED-PAYLOAD-TRAILER`
    /// (`signed: false, trailer: true`), `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`
    /// (`signed: true, trailer: false`) or `...-PAYLOAD-TRAILER` (both true).
    Streaming { signed: bool, trailer: bool },
}

impl Payload {
    /// The payload of an `x-amz-content-sha256` value, `None` if S3 would refuse it.
    pub fn parse(v: &str) -> Option<Payload> {
        if !payload_hash_is_valid(v) {
            return None;
        }
        Some(match v {
            UNSIGNED_PAYLOAD => Payload::Unsigned,
            STREAMING_UNSIGNED_PAYLOAD_TRAILER => Payload::Streaming { signed: false, trailer: true },
            STREAMING_AWS4_HMAC_SHA256_PAYLOAD => Payload::Streaming { signed: true, trailer: false },
            STREAMING_AWS4_HMAC_SHA256_PAYLOAD_TRAILER => Payload::Streaming { signed: true, trailer: true },
            hash => Payload::Sha256(hash.to_ascii_lowercase()),
        })
    }
}

/// A request whose signature checked out.
#[derive(Clone, PartialEq, Eq)]
pub struct Verified {
    pub access_key_id: String,
    pub kind: AuthKind,
    /// Query forms: when the URL stops being valid (unix seconds). `None` for headers.
    pub expires_at: Option<u64>,
    pub payload: Payload,
    /// Lower-case signed header names, as listed by the client (empty for SigV2).
    pub signed_headers: Vec<String>,
    /// The request date `YYYYMMDD'T'HHMMSS'Z'` (empty for SigV2).
    pub amz_date: String,
    /// The credential scope `date/region/service/aws4_request` (empty for SigV2).
    pub scope: String,
    /// The request signature: lowercase hex for SigV4 (the seed of aws-chunked chunk
    /// signatures), base64 for SigV2.
    pub signature: String,
    /// SigV4 `kSigning`, for checking aws-chunked chunk signatures (zero for SigV2).
    pub signing_key: [u8; 32],
}

/// Debug output never shows the signing key.
impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("access_key_id", &self.access_key_id)
            .field("kind", &self.kind)
            .field("expires_at", &self.expires_at)
            .field("payload", &self.payload)
            .field("signed_headers", &self.signed_headers)
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("signature", &self.signature)
            .field("signing_key", &"<redacted>")
            .finish()
    }
}

// ---------------------------------------------------------------------------------
// Errors, worded as S3 words them.

/// Bytes of `s` as S3 lists them in `StringToSignBytes`: two hex digits, space separated.
pub(crate) fn spaced_hex(s: &str) -> String {
    s.bytes().map(|b| crate::encoding::hex(&[b])).collect::<Vec<_>>().join(" ")
}

pub(crate) fn signature_does_not_match(access_key_id: &str, string_to_sign: &str, provided: &str) -> S3Error {
    S3Error::of(Code::SignatureDoesNotMatch)
        .with("AWSAccessKeyId", access_key_id)
        .with("StringToSign", string_to_sign)
        .with("SignatureProvided", provided)
        .with("StringToSignBytes", spaced_hex(string_to_sign))
}

pub(crate) fn invalid_access_key_id(access_key_id: &str) -> S3Error {
    S3Error::of(Code::InvalidAccessKeyId).with("AWSAccessKeyId", access_key_id)
}
