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

use base64::Engine as _;
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
    subs.sort_by(|a, b| a.0.cmp(&b.0));
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
    base64::engine::general_purpose::STANDARD.encode(hmac_sha1(secret, string_to_sign))
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
            "Query parameter '{}' is not signed by this Signature Version 2 URL; {why}.",
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
    check_unsigned_parameters(pairs)?;
    let secret = keys.secret_for(akid).ok_or_else(|| invalid_access_key_id(akid))?;

    let amz = amz_headers(req, pairs).map_err(|_| signature_does_not_match(akid, "", provided))?;
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
