//! Outgoing SigV4 (header form) for the gateway's own requests to its backing store
//! (AWS S3, R2, MinIO, SeaweedFS). Always S3 rules: no path normalisation, single
//! encoding, service `s3`.

use super::canonical_request::{canonical_headers, canonical_query, canonical_request, canonical_uri, UriMode};
use super::signature::signature;
use super::signing_key::signing_key;
use super::string_to_sign::{scope, string_to_sign, ALGORITHM};
use super::Credentials;
use crate::encoding::uri_encode;
use crate::http::Headers;
use crate::time::{amz_date, short_date};

/// The service every store request is signed for.
pub const SERVICE: &str = "s3";

/// The request the gateway is about to send.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Upper-case method, e.g. `GET`.
    pub method: &'a str,
    /// `https` or `http`.
    pub scheme: &'a str,
    /// `host[:port]` as it will appear in the `Host` header. A default port
    /// (`:443` for https, `:80` for http) is dropped when signing, as clients send none.
    pub host: &'a str,
    /// Path, already S3-encoded, e.g. `/bucket/a%20b` (see [`object_path`]).
    pub path: &'a str,
    /// Decoded query pairs, e.g. `[("uploadId", "x"), ("partNumber", "1")]`.
    pub query: &'a [(String, String)],
}

/// Whether a caller-supplied header is signed by [`sign_headers`]: every `x-amz-*`
/// header, plus `content-type`, `content-md5`, `content-encoding`, `content-length`,
/// `range` and `date`. Others (e.g. `user-agent`, `accept-encoding`) are left unsigned so
/// that intermediaries may change them.
pub fn is_signable(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("x-amz-")
        || matches!(n.as_str(), "content-type" | "content-md5" | "content-encoding" | "content-length" | "range" | "date")
}

/// Headers [`sign_headers`] sets itself; copies in the caller's headers are ignored.
const OWN: [&str; 5] = ["host", "authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"];

/// The `Host` header value clients send for `host` under `scheme` (default port dropped).
pub fn host_header(scheme: &str, host: &str) -> String {
    let h = if scheme.eq_ignore_ascii_case("https") {
        host.strip_suffix(":443").unwrap_or(host)
    } else if scheme.eq_ignore_ascii_case("http") {
        host.strip_suffix(":80").unwrap_or(host)
    } else {
        host
    };
    h.to_ascii_lowercase()
}

/// The credential scope for `now`, e.g. `20130524/us-east-1/s3/aws4_request`.
pub(crate) fn scope_for(now: u64, region: &str) -> String {
    scope(&short_date(now), region, SERVICE)
}

/// Sign `t` with `headers` (extra headers to sign) and return the headers to set on the
/// request: `authorization`, `x-amz-date`, `x-amz-content-sha256`, and
/// `x-amz-security-token` when the credentials carry a session token. The `Host` header
/// is signed from `t.host` but not returned (the HTTP client sets it).
///
/// `payload_hash` is the hex SHA-256 of the body, `UNSIGNED-PAYLOAD`, or a
/// `STREAMING-*` value. `now` is unix seconds.
pub fn sign_headers(
    t: &Target,
    headers: &Headers,
    payload_hash: &str,
    creds: &Credentials,
    region: &str,
    now: u64,
) -> Vec<(String, String)> {
    let amz = amz_date(now);
    let scope = scope_for(now, region);

    let mut h = Headers::new();
    h.append("host", host_header(t.scheme, t.host));
    h.append("x-amz-date", amz.clone());
    h.append("x-amz-content-sha256", payload_hash);
    if let Some(tok) = &creds.session_token {
        h.append("x-amz-security-token", tok.clone());
    }
    for (k, v) in headers.iter() {
        let k = k.to_ascii_lowercase();
        if is_signable(&k) && !OWN.contains(&k.as_str()) {
            h.append(&k, v);
        }
    }
    let names = signed_names(&h);
    let signed: Vec<&str> = names.iter().map(String::as_str).collect();
    let signed_list = signed.join(";");

    let uri = canonical_uri(t.path, UriMode::S3);
    let query = canonical_query(t.query, &[]);
    // Every signed name comes from `h`, so this is always Some.
    let ch = canonical_headers(&h, &signed).unwrap_or_default();
    let creq = canonical_request(&t.method.to_ascii_uppercase(), &uri, &query, &ch, &signed_list, payload_hash);
    let sts = string_to_sign(&amz, &scope, &creq);
    let key = signing_key(&creds.secret_access_key, &short_date(now), region, SERVICE);
    let sig = signature(&key, &sts);

    let mut out = Vec::with_capacity(4);
    out.push((
        "authorization".to_string(),
        format!("{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_list}, Signature={sig}", creds.access_key_id),
    ));
    out.push(("x-amz-date".to_string(), amz));
    out.push(("x-amz-content-sha256".to_string(), payload_hash.to_string()));
    if let Some(tok) = &creds.session_token {
        out.push(("x-amz-security-token".to_string(), tok.clone()));
    }
    out
}

/// The names of `h`, sorted and without duplicates: SigV4's signed-header list.
pub(crate) fn signed_names(h: &Headers) -> Vec<String> {
    let mut names: Vec<String> = h.0.iter().map(|(k, _)| k.clone()).collect();
    crate::sort::sort(&mut names);
    names.dedup();
    names
}

/// The request path for an object (or, with an empty `key`, its bucket).
///
/// Path style: `/bucket/<key>`; virtual-hosted style: `/<key>`. The key is encoded once
/// per segment (`/` kept, everything but `A-Za-z0-9-_.~` percent-encoded), so
/// `a b/c+d` becomes `a%20b/c%2Bd`. An empty key gives `/bucket` (path style) or `/`.
pub fn object_path(bucket: &str, key: &str, virtual_host: bool) -> String {
    let k = uri_encode(key, true);
    if virtual_host {
        format!("/{k}")
    } else if key.is_empty() {
        format!("/{}", uri_encode(bucket, false))
    } else {
        format!("/{}/{k}", uri_encode(bucket, false))
    }
}

/// The store's `host[:port]` for `bucket`: `bucket.endpoint_host` in virtual-hosted
/// style, else `endpoint_host` unchanged.
pub fn store_host(endpoint_host: &str, bucket: &str, virtual_host: bool) -> String {
    if virtual_host && !bucket.is_empty() {
        format!("{bucket}.{endpoint_host}")
    } else {
        endpoint_host.to_string()
    }
}
