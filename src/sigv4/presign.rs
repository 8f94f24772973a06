//! Presigned URLs (SigV4 query form) for GET, HEAD, PUT and UploadPart.
//!
//! Besides `host`, any headers passed in `signed_headers` are bound into the signature
//! (`X-Amz-SignedHeaders`): the browser must then send exactly those values. Useful ones:
//! `content-type`, `content-length` (caps an upload's size), `x-amz-checksum-crc32` /
//! `x-amz-checksum-sha256` (binds the content), `if-none-match: *` (no overwrite).

use super::canonical_request::{canonical_headers, canonical_query, canonical_request, canonical_uri, UriMode};
use super::sign::{host_header, scope_for, Target, SERVICE};
use super::signature::signature;
use super::signing_key::signing_key;
use super::string_to_sign::{string_to_sign, ALGORITHM};
use super::{Credentials, UNSIGNED_PAYLOAD};
use crate::http::Headers;
use crate::time::{amz_date, short_date};

const OWN_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

/// Longest validity SigV4 allows (7 days).
pub const MAX_EXPIRES: u64 = 604_800;

/// A presigned URL: `scheme://host/path?<query and X-Amz-* parameters>&X-Amz-Signature=<hex>`.
///
/// `expires_secs` is clamped to `1..=604800`. The payload is `UNSIGNED-PAYLOAD`. The
/// query string is the canonical one (sorted, strictly encoded) with `X-Amz-Signature`
/// appended, so it round-trips through any verifier unchanged. Header names in
/// `signed_headers` are lower-cased; `host` and SigV4's own names in it are ignored.
pub fn presign(t: &Target, signed_headers: &Headers, creds: &Credentials, region: &str, now: u64, expires_secs: u64) -> String {
    let amz = amz_date(now);
    let scope = scope_for(now, region);

    let mut h = Headers::new();
    h.append("host", host_header(t.scheme, t.host));
    for (k, v) in signed_headers.iter() {
        let k = k.to_ascii_lowercase();
        if !matches!(k.as_str(), "host" | "authorization" | "x-amz-date" | "x-amz-signature") {
            h.append(&k, v);
        }
    }
    let names = super::sign::signed_names(&h);
    let signed: Vec<&str> = names.iter().map(String::as_str).collect();
    let signed_list = signed.join(";");

    // SigV4's own parameters are always set here; copies in `t.query` are dropped.
    let mut q: Vec<(String, String)> = t.query.iter().filter(|(k, _)| !OWN_PARAMS.contains(&k.as_str())).cloned().collect();
    q.push(("X-Amz-Algorithm".into(), ALGORITHM.into()));
    q.push(("X-Amz-Credential".into(), format!("{}/{scope}", creds.access_key_id)));
    q.push(("X-Amz-Date".into(), amz.clone()));
    q.push(("X-Amz-Expires".into(), expires_secs.clamp(1, MAX_EXPIRES).to_string()));
    q.push(("X-Amz-SignedHeaders".into(), signed_list.clone()));
    if let Some(tok) = &creds.session_token {
        q.push(("X-Amz-Security-Token".into(), tok.clone()));
    }

    let uri = canonical_uri(t.path, UriMode::S3);
    let query = canonical_query(&q, &[]);
    let ch = canonical_headers(&h, &signed).unwrap_or_default();
    let creq = canonical_request(&t.method.to_ascii_uppercase(), &uri, &query, &ch, &signed_list, UNSIGNED_PAYLOAD);
    let sts = string_to_sign(&amz, &scope, &creq);
    let key = signing_key(&creds.secret_access_key, &short_date(now), region, SERVICE);
    let sig = signature(&key, &sts);

    let path = if t.path.is_empty() { "/" } else { t.path };
    format!("{}://{}{}?{}&X-Amz-Signature={}", t.scheme, t.host, path, query, sig)
}
