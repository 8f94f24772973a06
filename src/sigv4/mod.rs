//! AWS Signature Version 4, split into the steps of the specification:
//!
//! 1. [`canonical_request`]: method, canonical URI, canonical query string, canonical
//!    headers, signed headers and payload hash.
//! 2. [`string_to_sign`]: algorithm, request date, credential scope, hash of (1).
//! 3. [`signing_key`]: `kSigning` derived from the secret, date, region and service;
//!    [`signature`]: `HexEncode(HMAC-SHA256(kSigning, StringToSign))`.
//!
//! Verifying incoming requests is authentication's: [`crate::auth::verify`].

pub mod canonical_request;
pub mod chunked;
pub mod post_policy;
pub mod post_policy_verify;
pub mod presign;
pub mod sign;
pub mod signature;
pub mod signing_key;
pub mod string_to_sign;

pub use canonical_request::{canonical_headers, canonical_query, canonical_request, canonical_uri, UriMode};
pub use signature::{constant_time_eq, hex, hmac_sha256, sha256_hex, signature};
pub use signing_key::signing_key;
pub use string_to_sign::{scope, string_to_sign, ALGORITHM};

/// An access key pair, with the session token of temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl Credentials {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials { access_key_id: access_key_id.into(), secret_access_key: secret_access_key.into(), session_token: None }
    }
}

/// Debug output never shows the secret or the token.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Payload hash of a request whose body is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// aws-chunked body, unsigned chunks, trailing checksum.
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// aws-chunked body, every chunk signed (chained from the seed signature).
pub const STREAMING_AWS4_HMAC_SHA256_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// aws-chunked body, every chunk signed, plus a signed trailer.
pub const STREAMING_AWS4_HMAC_SHA256_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// `HexEncode(SHA256(""))`.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Whether `v` is a payload hash S3 accepts in `x-amz-content-sha256`: 64 hex digits,
/// `UNSIGNED-PAYLOAD` or one of the three `STREAMING-*` values above.
pub fn payload_hash_is_valid(v: &str) -> bool {
    (v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        || matches!(
            v,
            UNSIGNED_PAYLOAD
                | STREAMING_UNSIGNED_PAYLOAD_TRAILER
                | STREAMING_AWS4_HMAC_SHA256_PAYLOAD
                | STREAMING_AWS4_HMAC_SHA256_PAYLOAD_TRAILER
        )
}
