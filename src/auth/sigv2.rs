//! Legacy AWS Signature Version 2: presigned URLs
//! (`?AWSAccessKeyId=...&Expires=...&Signature=...`), as boto3, aws-cli v1 and s3cmd
//! still produce by default in us-east-1, and header-signed requests
//! (`Authorization: AWS AKID:Signature`, boto3 `signature_version='s3'`, s3cmd
//! `signature_v2 = True`): [`verify_header`].
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
//! Header-signed requests sign the `Date` header in place of `Expires` (an empty line when
//! `x-amz-date` is sent: that header is then among the amz headers and dates the request), and
//! the date must be within [`VerifyOptions::max_skew_secs`] of the gateway's clock.
//!
//! Clients put `Content-Type`, `Content-MD5` and `x-amz-*` values they signed into the
//! query string (`content-type=...`, `x-amz-security-token=...`); those count as
//! headers here. A header sent alongside a signed query value must agree with it.
//!
//! What the signature does not cover. Only the canonicalized resource's sub-resources
//! ([`SUB_RESOURCES`], names compared after percent-decoding, as S3 does) are signed among
//! the query parameters; every other parameter can be added to a URL by anyone. S3 ignores
//! those, but the gateway matches `response-*` overrides case-insensitively, so
//! [`verify_query`] refuses (403 `AccessDenied`, see [`check_unsigned_parameters`]) any
//! parameter whose decoded name is, ignoring case, a sub-resource, `response-*` or the
//! gateway's own `token`, unless it is exactly a sub-resource (and so signed). Every
//! `x-amz-*` header sent, each value of a repeated one included, is part of the string to
//! sign, and so are all values of `Content-Type` and `Content-MD5`: an added or repeated
//! one makes the signature fail.
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::verified::{invalid_access_key_id, signature_does_not_match, AuthKind, Payload, SecretLookup, Verified, VerifyOptions};
use crate::http::RequestParts;
use crate::sigv4::signature::constant_time_eq;
use crate::time::iso8601;
use crate::S3Error;

/// Query parameters that are part of the canonicalized resource (S3 sub-resources and
/// response header overrides): botocore's `HmacV1Auth.QSAOfInterest`, the list of the S3
/// SigV2 documentation, and the other sub-resources S3 serves (`attributes`, `encryption`,
/// `intelligent-tiering`, `legal-hold`, `ownershipControls`, `policyStatus`,
/// `publicAccessBlock`, `retention`). Names are case-sensitive, as S3 compares them.
pub const SUB_RESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "defaultObjectAcl",
    "delete",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "partNumber",
    "policy",
    "policyStatus",
    "publicAccessBlock",
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
/// `name=decoded value`, joined with `&`. A parameter is a sub-resource when its
/// percent-decoded name is exactly one of [`SUB_RESOURCES`] (S3 decodes names before it
/// looks at them: `version%49d=x` is `versionId=x`), split and decoded as
/// [`crate::encoding::parse_query`] does, so that what is signed is what the gateway reads.
pub fn canonical_resource(raw_path: &str, raw_query: &str, virtual_host_bucket: Option<&str>) -> String {
    let mut out = String::with_capacity(raw_path.len() + 16);
    if let Some(b) = virtual_host_bucket {
        out.push('/');
        out.push_str(b);
    }
    out.push_str(if raw_path.is_empty() && virtual_host_bucket.is_none() { "/" } else { raw_path });
    let mut subs: Vec<(String, Option<String>)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (crate::encoding::percent_decode(k), Some(crate::encoding::percent_decode(v))),
            None => (crate::encoding::percent_decode(p), None),
        })
        .filter(|(k, _)| SUB_RESOURCES.contains(&k.as_str()))
        .collect();
    crate::sort::sort_by(&mut subs, |a, b| a.0.cmp(&b.0));
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
    crate::sort::sort(&mut names);
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
pub fn string_to_sign(
    method: &str,
    content_md5: &str,
    content_type: &str,
    expires: &str,
    canonical_amz_headers: &str,
    canonical_resource: &str,
) -> String {
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
    crate::encoding::base64::encode(hmac_sha1(secret, string_to_sign))
}

/// The gateway's share-token query parameter (see [`crate::auth::find_token`]).
const TOKEN_PARAM: &str = "token";

/// `x-amz-*`, in any case.
fn is_amz(name: &str) -> bool {
    name.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
}

/// A query parameter name as an error message may show it: control and non-ASCII
/// characters escaped, at most 64 characters.
fn shown(name: &str) -> String {
    let mut out: String =
        name.chars().take(64).flat_map(|c| if c == ' ' || c.is_ascii_graphic() { vec![c] } else { c.escape_default().collect() }).collect();
    if name.chars().nth(64).is_some() {
        out.push_str("...");
    }
    out
}

/// Refuse the query parameters a SigV2 URL does not sign but the gateway would act on.
/// `pairs` are the request's decoded query parameters ([`RequestParts::query_pairs`]).
///
/// A parameter whose decoded name is exactly one of [`SUB_RESOURCES`] is part of the
/// canonical resource, hence signed. Any other whose decoded name, ignoring ASCII case, is
/// a sub-resource, starts with `response-`, or is `token` → 403 `AccessDenied` naming it
/// (S3 itself ignores `Response-Content-Type`, but the gateway matches overrides
/// case-insensitively). Not affected: the signing parameters (`AWSAccessKeyId`,
/// `Signature`, `Expires`), the pseudo-headers (`content-type`, `content-md5`, `x-amz-*`,
/// all in the string to sign) and the rest (`x-id`, listing parameters, ...), which S3
/// leaves unsigned too.
///
/// `token` is refused: a share token riding on an access-key URL is a second credential
/// that nobody signed. The signature wins in [`crate::auth::authenticate`], and nothing
/// downstream should see a token next to it (S3 likewise allows one auth mechanism).
pub fn check_unsigned_parameters(pairs: &[(String, String)]) -> Result<(), S3Error> {
    for (name, _) in pairs {
        if SUB_RESOURCES.contains(&name.as_str()) {
            continue;
        }
        let why = if name.eq_ignore_ascii_case(TOKEN_PARAM) {
            "a share token cannot be combined with an AWS signature"
        } else if SUB_RESOURCES.iter().any(|s| s.eq_ignore_ascii_case(name))
            || name.get(..9).is_some_and(|p| p.eq_ignore_ascii_case("response-"))
        {
            "sub-resource and response-* parameters are signed only under their exact, case-sensitive S3 names"
        } else {
            continue;
        };
        return Err(S3Error::access_denied(format!(
            "Query parameter '{}' is not signed by this Signature Version 2 request; {why}.",
            shown(name)
        )));
    }
    Ok(())
}

/// The signed value of a pseudo-header (`content-type`, `content-md5`): the query
/// parameter if present, else the header. Every value sent, in the query or as a header,
/// must be that same value (a second, different one would not be signed).
fn signed_value(req: &RequestParts, pairs: &[(String, String)], name: &str) -> Result<String, ()> {
    let mut values =
        pairs.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()).chain(req.headers.get_all(name).map(str::trim));
    match values.next() {
        None => Ok(String::new()),
        Some(first) if values.all(|v| v == first) => Ok(first.to_string()),
        Some(_) => Err(()),
    }
}

/// The `x-amz-*` "headers" of the string to sign: every `x-amz-*` query parameter, then
/// every value of each `x-amz-*` header the query does not carry. A header the query
/// carries too must say the same (its values joined as the string to sign joins them).
fn amz_headers(req: &RequestParts, pairs: &[(String, String)]) -> Result<Vec<(String, String)>, ()> {
    let joined = |values: Vec<&str>| values.iter().map(|v| v.trim()).collect::<Vec<_>>().join(",");
    let mut amz: Vec<(String, String)> = pairs.iter().filter(|(k, _)| is_amz(k)).cloned().collect();
    let mut seen: Vec<String> = Vec::new();
    for (k, _) in req.headers.iter().filter(|(k, _)| is_amz(k)) {
        let name = k.to_ascii_lowercase();
        if seen.contains(&name) {
            continue;
        }
        let values: Vec<&str> = req.headers.get_all(&name).collect();
        let in_query: Vec<&str> = pairs.iter().filter(|(n, _)| n.eq_ignore_ascii_case(&name)).map(|(_, v)| v.as_str()).collect();
        if in_query.is_empty() {
            amz.extend(values.iter().map(|v| (name.clone(), v.to_string())));
        } else if joined(values) != joined(in_query) {
            return Err(());
        }
        seen.push(name);
    }
    Ok(amz)
}

/// `Authorization: AWS <AKID>:<Signature>`, split (`None` if it is not of that form).
fn parse_authorization(value: &str) -> Option<(&str, &str)> {
    let rest = value.trim().strip_prefix("AWS ")?.trim();
    let (akid, sig) = rest.split_once(':')?;
    let (akid, sig) = (akid.trim(), sig.trim());
    (!akid.is_empty() && !sig.is_empty() && !sig.contains(char::is_whitespace)).then_some((akid, sig))
}

/// Verify a header-signed SigV2 request (`Authorization: AWS AKID:Signature`). `pairs` are
/// the request's decoded query parameters.
///
/// As S3 does: the string to sign is the method, `Content-MD5`, `Content-Type`, `Date` (empty
/// when `x-amz-date` is sent), every `x-amz-*` header (by construction: nothing `x-amz-*` can
/// ride along unsigned), and the canonical resource; the request's date (`x-amz-date`, else
/// `Date`) must be within the skew (403 `RequestTimeTooSkewed`); the signature is compared in
/// constant time. The unsigned query parameters the gateway would act on are refused as for
/// presigned URLs ([`check_unsigned_parameters`]). SigV2 signs no payload hash: an
/// `x-amz-content-sha256` the client sends (signed, as every `x-amz-*` header) is a SHA-256
/// the body must have, or `UNSIGNED-PAYLOAD`; aws-chunked bodies need SigV4.
pub fn verify_header(
    req: &RequestParts,
    pairs: &[(String, String)],
    authorization: &str,
    keys: &dyn SecretLookup,
    opts: &VerifyOptions,
) -> Result<Verified, S3Error> {
    if !opts.allow_sigv2 {
        return Err(disabled());
    }
    let (akid, provided) = parse_authorization(authorization).ok_or_else(|| {
        S3Error::invalid_argument("Authorization header is invalid -- one and only one ' ' (space) required")
            .with("ArgumentName", "Authorization")
            .with("ArgumentValue", authorization)
    })?;
    let no_date = || S3Error::access_denied("AWS authentication requires a valid Date or x-amz-date header");
    fn one<'r>(req: &'r RequestParts, name: &'r str) -> Result<Option<&'r str>, ()> {
        let mut it = req.headers.get_all(name);
        match (it.next(), it.next()) {
            (v, None) => Ok(v.map(str::trim)),
            _ => Err(()),
        }
    }
    let dates = (one(req, "x-amz-date").map_err(|_| no_date())?, one(req, "date").map_err(|_| no_date())?);
    let (raw_date, signed_date) = match dates {
        (Some(d), _) => (d, ""),
        (None, Some(d)) => (d, d),
        (None, None) => return Err(no_date()),
    };
    let t = crate::time::parse_http_date(raw_date).or_else(|| crate::time::parse_amz_date(raw_date)).ok_or_else(no_date)?;
    if t.abs_diff(opts.now) > opts.max_skew_secs {
        return Err(S3Error::of(crate::s3::error::Code::RequestTimeTooSkewed)
            .with("RequestTime", raw_date)
            .with("ServerTime", iso8601(opts.now))
            .with("MaxAllowedSkewMilliseconds", opts.max_skew_secs.saturating_mul(1000).to_string()));
    }
    let payload = match req.headers.get("x-amz-content-sha256").map(str::trim) {
        None => Payload::Unsigned,
        Some(v) => match Payload::parse(v) {
            Some(p @ (Payload::Unsigned | Payload::Sha256(_))) => p,
            Some(Payload::Streaming { .. }) => {
                return Err(S3Error::invalid_request("aws-chunked (STREAMING-*) bodies need a Signature Version 4 request."))
            }
            None => {
                return Err(S3Error::invalid_argument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.")
                    .with("ArgumentName", "x-amz-content-sha256")
                    .with("ArgumentValue", v))
            }
        },
    };
    check_unsigned_parameters(pairs)?;
    let secret = keys.secret_for(akid).ok_or_else(|| invalid_access_key_id(akid))?;

    // Headers only: an x-amz-* query parameter is no header here (and is not signed).
    let amz: Vec<(String, String)> =
        req.headers.iter().filter(|(k, _)| is_amz(k)).map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect();
    let all = |name: &str| req.headers.get_all(name).map(str::trim).collect::<Vec<_>>().join(",");
    // A bucket's own resource is `/bucket/` (botocore signs that for `GET /bucket?...`, as S3
    // expects); the path as sent (`/bucket`) is accepted too: both name the same bucket.
    let mut resources = Vec::with_capacity(2);
    let bucket_only = opts.virtual_host_bucket.is_none() && req.path.strip_prefix('/').is_some_and(|b| !b.is_empty() && !b.contains('/'));
    if bucket_only {
        resources.push(canonical_resource(&format!("{}/", req.path), &req.query, None));
    }
    resources.push(canonical_resource(&req.path, &req.query, opts.virtual_host_bucket));
    let (md5, ctype, amz) = (all("content-md5"), all("content-type"), canonical_amz_headers(&amz));
    let provided_bytes = crate::encoding::base64::decode(provided.as_bytes());
    let mut first = None;
    for resource in &resources {
        let sts = string_to_sign(&req.method, &md5, &ctype, signed_date, &amz, resource);
        let expected = hmac_sha1(secret, &sts);
        if provided_bytes.as_ref().is_some_and(|p| constant_time_eq(&expected, p)) {
            return Ok(header_verified(akid, provided, payload));
        }
        first.get_or_insert(sts);
    }
    Err(signature_does_not_match(akid, &first.unwrap_or_default(), provided))
}

fn header_verified(akid: &str, provided: &str, payload: Payload) -> Verified {
    Verified {
        access_key_id: akid.to_string(),
        kind: AuthKind::HeaderV2,
        expires_at: None,
        payload,
        signed_headers: Vec::new(),
        amz_date: String::new(),
        scope: String::new(),
        signature: provided.to_string(),
        signing_key: [0; 32],
    }
}

/// Verify a SigV2 presigned URL. `pairs` are the request's decoded query parameters.
pub fn verify_query(
    req: &RequestParts,
    pairs: &[(String, String)],
    keys: &dyn SecretLookup,
    opts: &VerifyOptions,
) -> Result<Verified, S3Error> {
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
    let expires: u64 =
        match (expires_s.len() <= 12 && !expires_s.is_empty() && expires_s.bytes().all(|b| b.is_ascii_digit()), expires_s.parse()) {
            (true, Ok(e)) => e,
            _ => return Err(S3Error::access_denied("Invalid date (should be seconds since epoch): ".to_string() + expires_s)),
        };
    if opts.now > expires {
        return Err(S3Error::access_denied("Request has expired").with("Expires", iso8601(expires)).with("ServerTime", iso8601(opts.now)));
    }
    // as long as a SigV4 presigned URL may live (7 days), not until the key is rotated
    if expires - opts.now > super::verified::MAX_EXPIRES_SECS {
        return Err(S3Error::access_denied("Signature Version 2 URLs are valid for at most 7 days (604800 seconds) on this endpoint")
            .with("Expires", iso8601(expires)));
    }
    check_unsigned_parameters(pairs)?;
    let secret = keys.secret_for(akid).ok_or_else(|| invalid_access_key_id(akid))?;

    let amz = amz_headers(req, pairs).map_err(|_| signature_does_not_match(akid, "", provided))?;
    let content_md5 = signed_value(req, pairs, "content-md5").map_err(|_| signature_does_not_match(akid, "", provided))?;
    let content_type = signed_value(req, pairs, "content-type").map_err(|_| signature_does_not_match(akid, "", provided))?;
    let resource = canonical_resource(&req.path, &req.query, opts.virtual_host_bucket);
    let sts = string_to_sign(&req.method, &content_md5, &content_type, expires_s, &canonical_amz_headers(&amz), &resource);
    let expected = hmac_sha1(secret, &sts);
    let ok = match crate::encoding::base64::decode(provided.as_bytes()) {
        Some(p) => constant_time_eq(&expected, &p),
        None => false,
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

    use crate::http::Headers;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    /// `Sun, 08 Nov 2026 10:00:00 GMT`.
    const NOW: u64 = 1_794_132_000;

    fn keys() -> std::collections::HashMap<String, String> {
        [("AKIAIOSFODNN7EXAMPLE".to_string(), SECRET.to_string())].into_iter().collect()
    }
    fn opts(now: u64) -> VerifyOptions<'static> {
        VerifyOptions { allow_sigv2: true, ..VerifyOptions::s3("us-east-1", now) }
    }
    fn check(method: &str, target: &str, h: Headers, now: u64) -> Result<Verified, S3Error> {
        let req = RequestParts::from_target(method, target, h);
        match crate::auth::verify::verify(&req, &keys(), &opts(now)) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => panic!("no signature found"),
            Err(e) => Err(e),
        }
    }

    #[test]
    fn aws_documentation_header_examples() {
        // "Authenticating requests (AWS signature version 2)": the object GET and PUT examples
        // (HMAC-SHA1 recomputed by hand with Python's hmac for the values below).
        let sts = string_to_sign("GET", "", "", "Tue, 27 Mar 2007 19:36:42 +0000", "", "/johnsmith/photos/puppy.jpg");
        assert_eq!(sign(SECRET, &sts), "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
        let sts = string_to_sign("PUT", "", "image/jpeg", "Tue, 27 Mar 2007 21:15:45 +0000", "", "/johnsmith/photos/puppy.jpg");
        assert_eq!(sign(SECRET, &sts), "MyyxeRY7whkBe+bq8fHCL/2kKUg=");
    }

    #[test]
    fn header_signed_get_with_date() {
        // StringToSign "GET\n\n\nSun, 08 Nov 2026 10:00:00 GMT\n/bkt/k", signed by hand (Python hmac)
        let h = || {
            Headers::from_pairs([
                ("host", "gw"),
                ("date", "Sun, 08 Nov 2026 10:00:00 GMT"),
                ("authorization", "AWS AKIAIOSFODNN7EXAMPLE:qejCbGjWAhe+v93Nkz7s01dhzF4="),
            ])
        };
        let v = check("GET", "/bkt/k", h(), NOW).unwrap();
        assert_eq!((v.kind, v.access_key_id.as_str(), v.payload.clone()), (AuthKind::HeaderV2, "AKIAIOSFODNN7EXAMPLE", Payload::Unsigned));
        assert_eq!(v.expires_at, None);
        // within 15 minutes either way; beyond, RequestTimeTooSkewed
        assert!(check("GET", "/bkt/k", h(), NOW + 900).is_ok());
        assert!(check("GET", "/bkt/k", h(), NOW - 900).is_ok());
        let e = check("GET", "/bkt/k", h(), NOW + 901).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "RequestTimeTooSkewed"));
        assert_eq!(check("GET", "/bkt/k", h(), NOW - 901).unwrap_err().code, "RequestTimeTooSkewed");
        // anything else changed: another key, path, method, an added x-amz-* header, a content type
        assert_eq!(check("GET", "/bkt/k2", h(), NOW).unwrap_err().code, "SignatureDoesNotMatch");
        assert_eq!(check("HEAD", "/bkt/k", h(), NOW).unwrap_err().code, "SignatureDoesNotMatch");
        assert_eq!(check("GET", "/bkt/k?acl", h(), NOW).unwrap_err().code, "SignatureDoesNotMatch");
        let mut added = h();
        added.insert("x-amz-copy-source", "/bkt/secret");
        assert_eq!(check("GET", "/bkt/k", added, NOW).unwrap_err().code, "SignatureDoesNotMatch");
        let mut added = h();
        added.insert("content-type", "text/html");
        assert_eq!(check("GET", "/bkt/k", added, NOW).unwrap_err().code, "SignatureDoesNotMatch");
        let mut date = h();
        date.insert("date", "Sun, 08 Nov 2026 10:00:01 GMT");
        assert_eq!(check("GET", "/bkt/k", date, NOW).unwrap_err().code, "SignatureDoesNotMatch");
        // unsigned parameters the gateway would act on are refused, as for presigned URLs
        let e = check("GET", "/bkt/k?Response-Content-Type=text/html", h(), NOW).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "AccessDenied"));
        let e = check("GET", "/bkt/k?token=abc", h(), NOW).unwrap_err();
        assert_eq!(e.code, "AccessDenied");
        // an unsigned listing parameter is not (S3 does not sign those either)
        let e = check("GET", "/bkt/k?x-id=GetObject", h(), NOW);
        assert!(e.is_ok(), "{e:?}");
    }

    #[test]
    fn header_signed_put_with_amz_date_md5_type_and_sub_resources() {
        // x-amz-date present: the Date line is empty; repeated x-amz-meta-a values are joined
        // with ','; the path as sent, sub-resources decoded and sorted. By hand (Python hmac):
        // "PUT\n1B2M2Y8AsgTpgAmY7PhCfg==\ntext/plain\n\nx-amz-date:Sun, 08 Nov 2026 10:00:00 GMT\n
        //  x-amz-meta-a:1,2\n/bkt/a%20b.txt?acl&versionId=v 1"
        let h = || {
            Headers::from_pairs([
                ("host", "gw"),
                ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
                ("Content-Type", "text/plain"),
                ("date", "Mon, 01 Jan 2001 00:00:00 GMT"),
                ("X-Amz-Date", "Sun, 08 Nov 2026 10:00:00 GMT"),
                ("x-amz-meta-a", "1"),
                ("x-amz-meta-a", " 2 "),
                ("authorization", "AWS AKIAIOSFODNN7EXAMPLE:Fv4H3beNpeLgMYYpcbQp1V5kGv4="),
            ])
        };
        let target = "/bkt/a%20b.txt?versionId=v%201&x-id=PutObject&acl";
        let v = check("PUT", target, h(), NOW).unwrap();
        assert_eq!(v.kind, AuthKind::HeaderV2);
        // the x-amz-date dates the request (the Date header is neither signed nor checked)
        assert_eq!(check("PUT", target, h(), NOW + 901).unwrap_err().code, "RequestTimeTooSkewed");
        let mut md5 = h();
        md5.insert("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==");
        assert_eq!(check("PUT", target, md5, NOW).unwrap_err().code, "SignatureDoesNotMatch");
        let mut meta = h();
        meta.insert("x-amz-meta-b", "3");
        assert_eq!(check("PUT", target, meta, NOW).unwrap_err().code, "SignatureDoesNotMatch");
        assert_eq!(check("PUT", "/bkt/a%20b.txt?versionId=v%202&acl", h(), NOW).unwrap_err().code, "SignatureDoesNotMatch");
    }

    #[test]
    fn a_bucket_request_signs_the_bucket_with_a_slash() {
        // botocore signs "/bkt/" for GET /bkt?prefix=a (S3's canonical form); "/bkt" is accepted too
        let date = "Sun, 08 Nov 2026 10:00:00 GMT";
        for (resource, path, ok) in [
            ("/bkt/", "/bkt?prefix=a", true),
            ("/bkt", "/bkt?prefix=a", true),
            ("/bkt/", "/bkt/?prefix=a", true),
            ("/bkt/", "/bkt2", false),
        ] {
            let sig = sign(SECRET, &string_to_sign("GET", "", "", date, "", resource));
            let h = Headers::from_pairs([("date", date.to_string()), ("authorization", format!("AWS AKIAIOSFODNN7EXAMPLE:{sig}"))]);
            assert_eq!(check("GET", path, h, NOW).is_ok(), ok, "{resource} {path}");
        }
        // never for a key: "/bkt/k/" is another object than "/bkt/k"
        let sig = sign(SECRET, &string_to_sign("GET", "", "", date, "", "/bkt/k/"));
        let h = Headers::from_pairs([("date", date.to_string()), ("authorization", format!("AWS AKIAIOSFODNN7EXAMPLE:{sig}"))]);
        assert_eq!(check("GET", "/bkt/k", h, NOW).unwrap_err().code, "SignatureDoesNotMatch");
    }

    #[test]
    fn header_signed_refusals() {
        let base = |auth: &str| Headers::from_pairs([("host", "gw"), ("date", "Sun, 08 Nov 2026 10:00:00 GMT"), ("authorization", auth)]);
        let good = "AWS AKIAIOSFODNN7EXAMPLE:qejCbGjWAhe+v93Nkz7s01dhzF4=";
        // SigV2 turned off
        let req = RequestParts::from_target("GET", "/bkt/k", base(good));
        let off = VerifyOptions { allow_sigv2: false, ..opts(NOW) };
        let e = crate::auth::verify::verify(&req, &keys(), &off).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "AccessDenied"));
        assert!(e.message.contains("Signature Version 2 is disabled"));
        // unknown key, malformed header, bad base64
        assert_eq!(check("GET", "/bkt/k", base("AWS NOPE:qejCbGjWAhe+v93Nkz7s01dhzF4="), NOW).unwrap_err().code, "InvalidAccessKeyId");
        for bad in ["AWS ", "AWS AKIAIOSFODNN7EXAMPLE", "AWS :sig", "AWS AKIAIOSFODNN7EXAMPLE:", "AWS AKIAIOSFODNN7EXAMPLE:a b"] {
            assert_eq!(check("GET", "/bkt/k", base(bad), NOW).unwrap_err().code, "InvalidArgument", "{bad}");
        }
        assert_eq!(check("GET", "/bkt/k", base("AWS AKIAIOSFODNN7EXAMPLE:!!!"), NOW).unwrap_err().code, "SignatureDoesNotMatch");
        // no date, an unparsable one, a repeated one
        let h = Headers::from_pairs([("host", "gw"), ("authorization", good)]);
        assert_eq!(check("GET", "/bkt/k", h, NOW).unwrap_err().code, "AccessDenied");
        let mut h = base(good);
        h.insert("date", "yesterday");
        assert_eq!(check("GET", "/bkt/k", h, NOW).unwrap_err().code, "AccessDenied");
        let h = Headers::from_pairs([
            ("host", "gw"),
            ("date", "Sun, 08 Nov 2026 10:00:00 GMT"),
            ("date", "Sun, 08 Nov 2026 10:00:00 GMT"),
            ("authorization", good),
        ]);
        assert_eq!(check("GET", "/bkt/k", h, NOW).unwrap_err().code, "AccessDenied");
        // aws-chunked needs SigV4; a malformed payload hash is refused
        let mut h = base(good);
        h.insert("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        assert_eq!(check("GET", "/bkt/k", h, NOW).unwrap_err().code, "InvalidRequest");
        let mut h = base(good);
        h.insert("x-amz-content-sha256", "nope");
        assert_eq!(check("GET", "/bkt/k", h, NOW).unwrap_err().code, "InvalidArgument");
        // one mechanism only
        let e = check("GET", "/bkt/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1&Signature=x", base(good), NOW).unwrap_err();
        assert_eq!(e.code, "InvalidArgument");
    }
}
