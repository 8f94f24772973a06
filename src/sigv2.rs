//! Legacy AWS Signature Version 2, presigned URLs only
//! (`?AWSAccessKeyId=...&Expires=...&Signature=...`), as boto3, aws-cli v1 and s3cmd
//! still produce by default in us-east-1.
//!
//! ```text
//! StringToSign = HTTP-Verb + "\n" +
//!                Content-MD5 + "\n" +
//!                Content-Type + "\n" +
//!                Expires + "\n" +
//!                CanonicalizedAmzHeaders +        ("name:value\n" per x-amz-* header, sorted)
//!                CanonicalizedResource            ([/bucket] + path as sent [+ ?sub-resources])
//! Signature = Base64(HMAC-SHA1(SecretAccessKey, UTF-8(StringToSign)))
//! ```
//!
//! Clients put `Content-Type`, `Content-MD5` and `x-amz-*` values they signed into the
//! query string (`content-type=...`, `x-amz-security-token=...`); those count as
//! headers here. A header sent alongside a signed query value must agree with it.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::http::RequestParts;
use crate::sigv4::signature::constant_time_eq;
use crate::sigv4::verify::{invalid_access_key_id, signature_does_not_match, AuthKind, Payload, SecretLookup, Verified, VerifyOptions};
use crate::time::iso8601;
use crate::S3Error;

/// Query parameters that are part of the canonicalized resource (S3 sub-resources and
/// response header overrides), as S3 and botocore list them.
pub const SUB_RESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "encryption",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "retention",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// The error for any SigV2 request when SigV2 is turned off.
pub fn disabled() -> S3Error {
    S3Error::access_denied("Signature Version 2 is disabled on this endpoint; please use AWS4-HMAC-SHA256 (Signature Version 4).")
}

/// CanonicalizedResource: `/bucket` (virtual-hosted requests only) + the path exactly as
/// sent + `?` + the sub-resources of the raw query, sorted by name, each `name` or
/// `name=decoded value`, joined with `&`.
pub fn canonical_resource(raw_path: &str, raw_query: &str, virtual_host_bucket: Option<&str>) -> String {
    let mut out = String::with_capacity(raw_path.len() + 16);
    if let Some(b) = virtual_host_bucket {
        out.push('/');
        out.push_str(b);
    }
    out.push_str(if raw_path.is_empty() && virtual_host_bucket.is_none() { "/" } else { raw_path });
    let mut subs: Vec<(&str, Option<String>)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k, Some(crate::encoding::percent_decode(v))),
            None => (p, None),
        })
        .filter(|(k, _)| SUB_RESOURCES.contains(k))
        .collect();
    subs.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (k, v)) in subs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        if let Some(v) = v {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// CanonicalizedAmzHeaders: `name:value\n` for each `(lower-case name, values)`, sorted
/// by name, values trimmed and joined with `,`.
pub fn canonical_amz_headers(headers: &[(String, String)]) -> String {
    let mut names: Vec<String> = headers.iter().map(|(k, _)| k.to_ascii_lowercase()).collect();
    names.sort_unstable();
    names.dedup();
    let mut out = String::new();
    for n in &names {
        out.push_str(n);
        out.push(':');
        let vals: Vec<&str> = headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.trim()).collect();
        out.push_str(&vals.join(","));
        out.push('\n');
    }
    out
}

/// The SigV2 string to sign (`expires` is the `Expires` value, or `Date` for headers).
pub fn string_to_sign(method: &str, content_md5: &str, content_type: &str, expires: &str, canonical_amz_headers: &str, canonical_resource: &str) -> String {
    format!("{method}\n{content_md5}\n{content_type}\n{expires}\n{canonical_amz_headers}{canonical_resource}")
}

/// `HMAC-SHA1(secret, string_to_sign)`.
pub fn hmac_sha1(secret: &str, string_to_sign: &str) -> [u8; 20] {
    let mut mac = match <Hmac<Sha1> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(string_to_sign.as_bytes());
    mac.finalize().into_bytes().into()
}

/// `Base64(HMAC-SHA1(secret, string_to_sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha1(secret, string_to_sign))
}

/// The signed value of a pseudo-header: the query parameter if present (a header sent as
/// well must agree), else the header.
fn signed_value(req: &RequestParts, pairs: &[(String, String)], name: &str) -> Result<String, ()> {
    let q = pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim());
    let h = req.headers.get(name).map(str::trim);
    match (q, h) {
        (Some(q), Some(h)) if q != h => Err(()),
        (Some(q), _) => Ok(q.to_string()),
        (None, Some(h)) => Ok(h.to_string()),
        (None, None) => Ok(String::new()),
    }
}

/// Verify a SigV2 presigned URL. `pairs` are the request's decoded query parameters.
pub fn verify_query(req: &RequestParts, pairs: &[(String, String)], keys: &dyn SecretLookup, opts: &VerifyOptions) -> Result<Verified, S3Error> {
    if !opts.allow_sigv2 {
        return Err(disabled());
    }
    let one = |name: &str| -> Result<&str, S3Error> {
        let mut it = pairs.iter().filter(|(k, _)| k == name);
        match (it.next(), it.next()) {
            (Some((_, v)), None) => Ok(v.as_str()),
            _ => Err(S3Error::access_denied("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")),
        }
    };
    let akid = one("AWSAccessKeyId")?;
    let provided = one("Signature")?;
    let expires_s = one("Expires")?;
    let expires: u64 = match (expires_s.len() <= 12 && !expires_s.is_empty() && expires_s.bytes().all(|b| b.is_ascii_digit()), expires_s.parse()) {
        (true, Ok(e)) => e,
        _ => return Err(S3Error::access_denied("Invalid date (should be seconds since epoch): ".to_string() + expires_s)),
    };
    if opts.now > expires {
        return Err(S3Error::access_denied("Request has expired").with("Expires", iso8601(expires)).with("ServerTime", iso8601(opts.now)));
    }
    let secret = keys.secret_for(akid).ok_or_else(|| invalid_access_key_id(akid))?;

    let mut amz: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k.len() > 6 && k.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-")))
        .cloned()
        .collect();
    for (k, v) in req.headers.iter() {
        if k.len() > 6 && k.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-")) && !amz.iter().any(|(n, _)| n.eq_ignore_ascii_case(k)) {
            amz.push((k.to_string(), v.to_string()));
        }
    }
    for (k, v) in req.headers.iter() {
        // a header that repeats a signed query value must carry the same value
        if let Some((_, qv)) = pairs.iter().find(|(n, _)| n.eq_ignore_ascii_case(k) && k.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))) {
            if qv.trim() != v.trim() {
                return Err(signature_does_not_match(akid, "", provided));
            }
        }
    }
    let content_md5 = signed_value(req, pairs, "content-md5").map_err(|_| signature_does_not_match(akid, "", provided))?;
    let content_type = signed_value(req, pairs, "content-type").map_err(|_| signature_does_not_match(akid, "", provided))?;
    let resource = canonical_resource(&req.path, &req.query, opts.virtual_host_bucket);
    let sts = string_to_sign(&req.method, &content_md5, &content_type, expires_s, &canonical_amz_headers(&amz), &resource);
    let expected = hmac_sha1(secret, &sts);
    let ok = match base64::engine::general_purpose::STANDARD.decode(provided.as_bytes()) {
        Ok(p) => constant_time_eq(&expected, &p),
        Err(_) => false,
    };
    if !ok {
        return Err(signature_does_not_match(akid, &sts, provided));
    }
    Ok(Verified {
        access_key_id: akid.to_string(),
        kind: AuthKind::QueryV2,
        expires_at: Some(expires),
        payload: Payload::Unsigned,
        signed_headers: Vec::new(),
        amz_date: String::new(),
        scope: String::new(),
        signature: provided.to_string(),
        signing_key: [0; 32],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_documentation_query_example() {
        // "Query string request authentication" example of the S3 SigV2 documentation.
        let sts = string_to_sign("GET", "", "", "1175139620", "", "/johnsmith/photos/puppy.jpg");
        assert_eq!(sign("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &sts), "NpgCjnDzrM+WFzoENXmpNDUsSn8=");
        assert_eq!(
            canonical_resource("/k", "uploadId=U1&x-id=Foo&partNumber=1&response-content-disposition=a%20b&acl", Some("bkt")),
            "/bkt/k?acl&partNumber=1&response-content-disposition=a b&uploadId=U1"
        );
    }
}
