//! Verification of incoming SigV4 requests with S3's rules: header form
//! (`Authorization: AWS4-HMAC-SHA256 ...`) and query form (presigned URLs,
//! `X-Amz-Signature=...`). Legacy SigV2 presigned URLs are delegated to [`crate::auth::sigv2`].
//!
//! The verifier recomputes the signature exactly as the client did:
//!
//! 1. parse the credential `<AKID>/<YYYYMMDD>/<region>/<service>/aws4_request`, the
//!    signed header list and the provided signature;
//! 2. check the scope (date equals the request date, region, service, terminator) and
//!    the clock (skew for the header form, `X-Amz-Expires` for the query form);
//! 3. rebuild the canonical request from the raw request (S3 canonical URI, canonical
//!    query without `X-Amz-Signature`, canonical headers of the signed headers, payload
//!    hash from `x-amz-content-sha256` or `UNSIGNED-PAYLOAD`);
//! 4. derive the signing key from the secret, build the string to sign, HMAC it and
//!    compare with the provided signature in constant time.
//!
//! Every failure is the S3 error S3 itself would return, with the same extra elements.
//! Nothing here panics on any input.

use crate::http::{Headers, RequestParts};
use crate::s3::error::{Code, S3Error};
use crate::sigv4::canonical_request::{canonical_headers, canonical_query, canonical_request, canonical_uri};
use crate::sigv4::signature::{constant_time_eq, signature};
use crate::sigv4::signing_key::{signing_key, TERMINATOR};
use crate::sigv4::string_to_sign::{scope, string_to_sign, ALGORITHM};
use crate::sigv4::UNSIGNED_PAYLOAD;
use crate::time::{amz_date, iso8601, parse_amz_date, parse_http_date};

use super::verified::{invalid_access_key_id, signature_does_not_match, spaced_hex};
pub use super::verified::{AuthKind, Payload, SecretLookup, Verified, VerifyOptions, DEFAULT_MAX_SKEW_SECS, MAX_EXPIRES_SECS};

// ---------------------------------------------------------------------------------
// Buffered bodies.

/// Check a body the gateway has read whole (the XML of DeleteObjects and
/// CompleteMultipartUpload) against what the request says about it, before acting on it.
///
/// `payload` is what the verified signature covers ([`Verified::payload`]), or `None`
/// when no AWS signature was verified (share tokens, anonymous requests). Every
/// `x-amz-content-sha256` header the request sends is checked as well, in both cases. For
/// each of these:
/// - a SHA-256: the body's must equal it, else 400 `XAmzContentSHA256Mismatch`;
/// - `UNSIGNED-PAYLOAD`: nothing to check;
/// - a `STREAMING-*` value: 400 `InvalidRequest` (an aws-chunked body is not a document);
/// - any other header value: 400 `InvalidArgument`, as [`verify`] answers it.
///
/// Then every `Content-MD5` header: not the base64 of 16 bytes → 400 `InvalidDigest`;
/// not the body's MD5 → 400 `BadDigest`. Malformed declarations are refused before any
/// hash is compared.
pub fn check_buffered_body(payload: Option<&Payload>, headers: &Headers, body: &[u8]) -> Result<(), S3Error> {
    use md5::{Digest as _, Md5};

    let mut declared: Vec<Payload> = payload.into_iter().cloned().collect();
    for v in headers.get_all("x-amz-content-sha256") {
        let v = v.trim();
        declared.push(Payload::parse(v).ok_or_else(|| {
            S3Error::invalid_argument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or a valid sha256 value.")
                .with("ArgumentName", "x-amz-content-sha256")
                .with("ArgumentValue", v)
        })?);
    }
    let mut sha256s: Vec<&str> = Vec::new();
    for p in &declared {
        match p {
            Payload::Unsigned => {}
            Payload::Sha256(h) => sha256s.push(h),
            Payload::Streaming { .. } => {
                return Err(S3Error::invalid_request(
                    "This request's XML body must be sent whole: a streaming (aws-chunked) x-amz-content-sha256 is not accepted here; send the body's SHA-256 or UNSIGNED-PAYLOAD.",
                ))
            }
        }
    }
    let mut md5s: Vec<(&str, Vec<u8>)> = Vec::new();
    for v in headers.get_all("content-md5") {
        let v = v.trim();
        match crate::encoding::base64::decode(v) {
            Some(d) if d.len() == 16 => md5s.push((v, d)),
            _ => return Err(S3Error::of(Code::InvalidDigest).with("Content-MD5", v)),
        }
    }

    if !sha256s.is_empty() {
        let computed = crate::sigv4::sha256_hex(body);
        for h in sha256s {
            if !constant_time_eq(h.to_ascii_lowercase().as_bytes(), computed.as_bytes()) {
                return Err(S3Error::content_sha256_mismatch(h, &computed));
            }
        }
    }
    if !md5s.is_empty() {
        let computed = Md5::digest(body);
        for (v, d) in md5s {
            if !constant_time_eq(&d, &computed) {
                return Err(S3Error::of(Code::BadDigest)
                    .with("ExpectedDigest", crate::encoding::hex(&d))
                    .with("CalculatedDigest", crate::encoding::base64::encode(computed))
                    .with("Content-MD5", v));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Errors, worded as S3 words them.

fn header_malformed(detail: impl AsRef<str>) -> S3Error {
    S3Error::with_message(Code::AuthorizationHeaderMalformed, format!("The authorization header is malformed; {}", detail.as_ref()))
}

fn query_error(message: impl Into<String>) -> S3Error {
    S3Error::with_message(Code::AuthorizationQueryParametersError, message)
}

fn one_mechanism() -> S3Error {
    S3Error::invalid_argument(
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
    )
    .with("ArgumentName", "Authorization")
}

// ---------------------------------------------------------------------------------

/// Which form of signature the request carries.
enum Form<'r> {
    None,
    HeaderV4(&'r str),
    HeaderV2(&'r str),
    QueryV4,
    QueryV2,
}

fn has(pairs: &[(String, String)], name: &str) -> bool {
    pairs.iter().any(|(k, _)| k == name)
}

/// The single value of a query parameter; `Err` if it is repeated.
fn single<'p>(pairs: &'p [(String, String)], name: &str) -> Result<Option<&'p str>, ()> {
    let mut it = pairs.iter().filter(|(k, _)| k == name);
    let first = it.next().map(|(_, v)| v.as_str());
    if it.next().is_some() {
        return Err(());
    }
    Ok(first)
}

/// Verify the AWS signature of `req`.
///
/// `Ok(None)` when the request carries no AWS signature (no `Authorization:
/// AWS4-HMAC-SHA256`/`AWS ` header, no `X-Amz-Signature` / `X-Amz-Algorithm` /
/// `X-Amz-Credential` query parameter, no `AWSAccessKeyId` (or `Signature` with
/// `Expires`) query parameter): the request is anonymous. `Ok(Some(_))` when it carries
/// one and it checks out; `Err` with the S3 error otherwise.
pub fn verify(req: &RequestParts, keys: &dyn SecretLookup, opts: &VerifyOptions) -> Result<Option<Verified>, S3Error> {
    let pairs = req.query_pairs();
    let mut forms = 0;
    let mut form = Form::None;

    let mut auths = req.headers.get_all("authorization");
    if let Some(a) = auths.next() {
        let t = a.trim_start();
        let scheme = t.split(|c: char| c.is_ascii_whitespace()).next().unwrap_or("");
        if scheme == ALGORITHM {
            form = Form::HeaderV4(t);
            forms += 1;
        } else if scheme == "AWS" {
            form = Form::HeaderV2(t);
            forms += 1;
        } else if scheme.starts_with("AWS4-") {
            return Err(header_malformed(format!("the authorization mechanism '{scheme}' is not supported; use '{ALGORITHM}'")));
        }
        if forms > 0 && auths.next().is_some() {
            return Err(header_malformed("more than one Authorization header was sent"));
        }
    }
    if has(&pairs, "X-Amz-Signature") || has(&pairs, "X-Amz-Algorithm") || has(&pairs, "X-Amz-Credential") {
        form = Form::QueryV4;
        forms += 1;
    }
    if has(&pairs, "AWSAccessKeyId") || (has(&pairs, "Signature") && has(&pairs, "Expires")) {
        form = Form::QueryV2;
        forms += 1;
    }
    if forms > 1 {
        return Err(one_mechanism());
    }
    match form {
        Form::None => Ok(None),
        Form::HeaderV4(value) => verify_header(req, &pairs, value, keys, opts).map(Some),
        Form::QueryV4 => verify_query(req, &pairs, keys, opts).map(Some),
        Form::QueryV2 => crate::auth::sigv2::verify_query(req, &pairs, keys, opts).map(Some),
        Form::HeaderV2(value) => crate::auth::sigv2::verify_header(req, &pairs, value, keys, opts).map(Some),
    }
}

/// `Credential=AKID/20130524/us-east-1/s3/aws4_request`, split.
struct Credential<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
}

fn parse_credential(c: &str) -> Option<Credential<'_>> {
    let mut it = c.split('/');
    let cred = Credential { access_key_id: it.next()?, date: it.next()?, region: it.next()?, service: it.next()?, terminator: it.next()? };
    if it.next().is_some() {
        return None;
    }
    Some(cred)
}

/// Which error family scope errors belong to.
#[derive(Clone, Copy)]
enum Where {
    Header,
    Query,
}

fn scope_error(w: Where, detail: String) -> S3Error {
    match w {
        Where::Header => header_malformed(detail),
        Where::Query => query_error(format!("Error parsing the X-Amz-Credential parameter; {detail}")),
    }
}

/// Check the credential scope: date equals the request date, then region, service and
/// terminator equal what this endpoint serves.
fn check_scope(cred: &Credential, amz: &str, opts: &VerifyOptions, w: Where) -> Result<(), S3Error> {
    if cred.access_key_id.is_empty() {
        return Err(scope_error(w, "a non-empty Access Key (AKID) must be provided in the credential.".into()));
    }
    let req_date = amz.get(..8).unwrap_or("");
    if cred.date != req_date {
        return Err(scope_error(
            w,
            format!("Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{req_date}\".", cred.date),
        ));
    }
    if cred.region != opts.region {
        return Err(
            scope_error(w, format!("the region '{}' is wrong; expecting '{}'", cred.region, opts.region)).with("Region", opts.region)
        );
    }
    if cred.service != opts.service {
        return Err(scope_error(w, format!("incorrect service \"{}\". This endpoint belongs to \"{}\".", cred.service, opts.service)));
    }
    if cred.terminator != TERMINATOR {
        return Err(scope_error(w, format!("incorrect terminal \"{}\". This endpoint uses \"{TERMINATOR}\".", cred.terminator)));
    }
    Ok(())
}

/// `a;b;c` → names; every one non-empty, `host` among them.
fn parse_signed_headers(s: &str, w: Where) -> Result<Vec<String>, S3Error> {
    let names: Vec<String> = s.split(';').map(|n| n.to_ascii_lowercase()).collect();
    if s.is_empty() || names.iter().any(|n| n.is_empty() || n.bytes().any(|b| b <= b' ' || b == b':' || b >= 0x7f)) {
        return Err(match w {
            Where::Header => header_malformed("the SignedHeaders component is not a ';'-separated list of header names."),
            Where::Query => query_error("X-Amz-SignedHeaders must be a ';'-separated list of header names."),
        });
    }
    if !names.iter().any(|n| n == "host") {
        return Err(match w {
            Where::Header => header_malformed("the host header must be signed."),
            Where::Query => query_error("X-Amz-SignedHeaders must include the host header."),
        });
    }
    Ok(names)
}

/// Every `x-amz-*` header the request sends must be among the signed headers, as S3
/// requires in both forms, `x-amz-content-sha256` and `x-amz-date` included: the store
/// acts on them (`x-amz-copy-source`, `x-amz-acl`, ...), so one added to a signed request
/// must not ride along. Nothing is exempt: the headers an edge or runtime adds by itself
/// (`cf-*`, `x-forwarded-*`, `x-real-ip`) and the SDKs' unsigned `x-amzn-trace-id` are
/// not `x-amz-*`.
fn check_amz_headers_signed(req: &RequestParts, signed: &[String]) -> Result<(), S3Error> {
    let mut unsigned: Vec<String> = req
        .headers
        .iter()
        .map(|(k, _)| k)
        .filter(|k| k.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-")))
        .filter(|k| !signed.iter().any(|s| s.eq_ignore_ascii_case(k)))
        .map(str::to_ascii_lowercase)
        .collect();
    if unsigned.is_empty() {
        return Ok(());
    }
    crate::sort::sort(&mut unsigned);
    unsigned.dedup();
    Err(S3Error::access_denied("There were headers present in the request which were not signed")
        .with("HeadersNotSigned", unsigned.join(", ")))
}

/// A `Content-Type` sent with an empty value does not reach the worker (the runtime drops the
/// empty header), but the client signed it as `content-type:`. So a signed `content-type` that is
/// absent counts as the empty value it was: the canonical request is the client's, and nothing
/// else changes (the store gets no Content-Type either way).
fn with_empty_content_type<'h>(headers: &'h Headers, signed: &[&str]) -> std::borrow::Cow<'h, Headers> {
    if signed.iter().any(|n| n.eq_ignore_ascii_case("content-type")) && headers.get("content-type").is_none() {
        let mut h = headers.clone();
        h.append("content-type", "");
        std::borrow::Cow::Owned(h)
    } else {
        std::borrow::Cow::Borrowed(headers)
    }
}

/// Steps 3 and 4: rebuild the canonical request, sign it, compare in constant time.
#[allow(clippy::too_many_arguments)]
fn check_signature(
    req: &RequestParts,
    pairs: &[(String, String)],
    secret: &str,
    access_key_id: &str,
    cred_date: &str,
    amz: &str,
    signed: &[String],
    signed_raw: &str,
    payload_hash: &str,
    provided: &str,
    opts: &VerifyOptions,
) -> Result<[u8; 32], S3Error> {
    let names: Vec<&str> = signed.iter().map(String::as_str).collect();
    let headers = match canonical_headers(&with_empty_content_type(&req.headers, &names), &names) {
        Some(h) => h,
        None => {
            let missing: Vec<&str> = names.iter().copied().filter(|n| req.headers.get(n).is_none()).collect();
            return Err(S3Error::access_denied("There were headers listed as signed which were not present in the request")
                .with("HeadersMissing", missing.join(", ")));
        }
    };
    let uri = canonical_uri(&req.path, opts.uri_mode);
    let query = canonical_query(pairs, &["X-Amz-Signature"]);
    let creq = canonical_request(&req.method, &uri, &query, &headers, signed_raw, payload_hash);
    let sc = scope(cred_date, opts.region, opts.service);
    let sts = string_to_sign(amz, &sc, &creq);
    let key = signing_key(secret, cred_date, opts.region, opts.service);
    let expected = signature(&key, &sts);
    if constant_time_eq(expected.as_bytes(), provided.as_bytes()) {
        Ok(key)
    } else {
        Err(signature_does_not_match(access_key_id, &sts, provided)
            .with("CanonicalRequest", creq.clone())
            .with("CanonicalRequestBytes", spaced_hex(&creq)))
    }
}

/// `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
fn parse_authorization(value: &str) -> Result<(&str, &str, &str), S3Error> {
    let rest = value.get(ALGORITHM.len()..).unwrap_or("");
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = match part.split_once('=') {
            Some(kv) => kv,
            None => return Err(header_malformed(format!("the component '{part}' is not of the form name=value."))),
        };
        let slot = match k.trim() {
            "Credential" => &mut cred,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut sig,
            other => return Err(header_malformed(format!("unknown component '{other}'."))),
        };
        if slot.replace(v.trim()).is_some() {
            return Err(header_malformed(format!("the component '{}' is repeated.", k.trim())));
        }
    }
    match (cred, signed, sig) {
        (Some(c), Some(h), Some(s)) => Ok((c, h, s)),
        _ => Err(header_malformed("the authorization header requires three components: Credential, SignedHeaders, and Signature.")),
    }
}

fn verify_header(
    req: &RequestParts,
    pairs: &[(String, String)],
    auth: &str,
    keys: &dyn SecretLookup,
    opts: &VerifyOptions,
) -> Result<Verified, S3Error> {
    let (cred_s, signed_s, sig) = parse_authorization(auth)?;
    let cred = parse_credential(cred_s)
        .ok_or_else(|| header_malformed("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."))?;

    // The request date: X-Amz-Date, else Date.
    let no_date = || S3Error::access_denied("AWS authentication requires a valid Date or x-amz-date header");
    let (amz, t, raw_date) = match req.headers.get("x-amz-date") {
        Some(d) => {
            let d = d.trim();
            (d.to_string(), parse_amz_date(d).ok_or_else(no_date)?, d.to_string())
        }
        None => {
            let d = req.headers.get("date").ok_or_else(no_date)?;
            let t = parse_http_date(d).ok_or_else(no_date)?;
            (amz_date(t), t, d.to_string())
        }
    };
    check_scope(&cred, &amz, opts, Where::Header)?;
    if t.abs_diff(opts.now) > opts.max_skew_secs {
        return Err(S3Error::of(Code::RequestTimeTooSkewed)
            .with("RequestTime", raw_date)
            .with("ServerTime", iso8601(opts.now))
            .with("MaxAllowedSkewMilliseconds", (opts.max_skew_secs.saturating_mul(1000)).to_string()));
    }

    let payload_hash = req
        .headers
        .get("x-amz-content-sha256")
        .ok_or_else(|| S3Error::invalid_request("Missing required header for this request: x-amz-content-sha256"))?
        .trim();
    let payload = Payload::parse(payload_hash).ok_or_else(|| {
        S3Error::invalid_argument(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
        )
        .with("ArgumentName", "x-amz-content-sha256")
        .with("ArgumentValue", payload_hash)
    })?;

    let signed = parse_signed_headers(signed_s, Where::Header)?;
    check_amz_headers_signed(req, &signed)?;
    let secret = keys.secret_for(cred.access_key_id).ok_or_else(|| invalid_access_key_id(cred.access_key_id))?;
    let key = check_signature(req, pairs, secret, cred.access_key_id, cred.date, &amz, &signed, signed_s, payload_hash, sig, opts)?;
    Ok(Verified {
        access_key_id: cred.access_key_id.to_string(),
        kind: AuthKind::HeaderV4,
        expires_at: None,
        payload,
        signed_headers: signed,
        scope: scope(cred.date, opts.region, opts.service),
        amz_date: amz,
        signature: sig.to_string(),
        signing_key: key,
    })
}

fn verify_query(
    req: &RequestParts,
    pairs: &[(String, String)],
    keys: &dyn SecretLookup,
    opts: &VerifyOptions,
) -> Result<Verified, S3Error> {
    const REQUIRED: &str = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
    let get = |name: &str| -> Result<&str, S3Error> {
        match single(pairs, name) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(query_error(REQUIRED)),
            Err(()) => Err(query_error(format!("The {name} parameter must not be repeated."))),
        }
    };
    let algorithm = get("X-Amz-Algorithm")?;
    let cred_s = get("X-Amz-Credential")?;
    let sig = get("X-Amz-Signature")?;
    let amz = get("X-Amz-Date")?;
    let signed_s = get("X-Amz-SignedHeaders")?;
    let expires_s = get("X-Amz-Expires")?;

    if algorithm != ALGORITHM {
        return Err(query_error(format!("X-Amz-Algorithm only supports \"{ALGORITHM}\"")));
    }
    let cred = parse_credential(cred_s).ok_or_else(|| {
        query_error("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
    })?;
    let t = parse_amz_date(amz).ok_or_else(|| query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""))?;
    let expires: u64 = if !expires_s.is_empty() && expires_s.len() <= 12 && expires_s.bytes().all(|b| b.is_ascii_digit()) {
        expires_s.parse().unwrap_or(u64::MAX)
    } else if expires_s.starts_with('-') {
        return Err(query_error("X-Amz-Expires must be non-negative"));
    } else {
        return Err(query_error("X-Amz-Expires should be a number"));
    };
    if expires > MAX_EXPIRES_SECS {
        return Err(query_error("X-Amz-Expires must be less than a week (in seconds) that is; the maximum expires is 604800 seconds"));
    }
    check_scope(&cred, amz, opts, Where::Query)?;

    // S3 (and SeaweedFS) answer X-Amz-Expires=0 as a URL that has already expired
    let expires_at = t.saturating_add(expires);
    if expires == 0 || opts.now > expires_at {
        return Err(S3Error::access_denied("Request has expired")
            .with("X-Amz-Expires", expires_s)
            .with("Expires", iso8601(expires_at))
            .with("ServerTime", iso8601(opts.now)));
    }
    if t > opts.now.saturating_add(opts.max_skew_secs) {
        return Err(S3Error::access_denied("Request is not valid yet").with("X-Amz-Date", amz).with("ServerTime", iso8601(opts.now)));
    }

    let payload_hash = match single(pairs, "X-Amz-Content-Sha256") {
        Ok(Some(v)) => v,
        Ok(None) => UNSIGNED_PAYLOAD,
        Err(()) => return Err(query_error("The X-Amz-Content-Sha256 parameter must not be repeated.")),
    };
    let payload = Payload::parse(payload_hash).ok_or_else(|| {
        S3Error::invalid_argument("X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or a valid sha256 value.")
            .with("ArgumentName", "X-Amz-Content-Sha256")
            .with("ArgumentValue", payload_hash)
    })?;

    let signed = parse_signed_headers(signed_s, Where::Query)?;
    check_amz_headers_signed(req, &signed)?;

    let secret = keys.secret_for(cred.access_key_id).ok_or_else(|| invalid_access_key_id(cred.access_key_id))?;
    let key = check_signature(req, pairs, secret, cred.access_key_id, cred.date, amz, &signed, signed_s, payload_hash, sig, opts)?;
    Ok(Verified {
        access_key_id: cred.access_key_id.to_string(),
        kind: AuthKind::QueryV4,
        expires_at: Some(expires_at),
        payload,
        signed_headers: signed,
        amz_date: amz.to_string(),
        scope: scope(cred.date, opts.region, opts.service),
        signature: sig.to_string(),
        signing_key: key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::sign::{sign_headers, Target};
    use crate::sigv4::Credentials;

    const NOW: u64 = 1_790_000_000;

    fn creds() -> Credentials {
        Credentials { access_key_id: "AK".into(), secret_access_key: "secret".into(), session_token: None }
    }
    fn keys() -> Vec<(String, String)> {
        vec![("AK".into(), "secret".into())]
    }

    /// A PUT signed with `Content-Type:` (empty) arrives without the header (the runtime drops
    /// it): it still verifies, and a different signed value does not.
    #[test]
    fn an_empty_signed_content_type_the_runtime_dropped() {
        let t = Target { method: "PUT", scheme: "https", host: "gw.example", path: "/b/k", query: &[] };
        let signed = sign_headers(&t, &Headers::from_pairs([("content-type", "")]), UNSIGNED_PAYLOAD, &creds(), "us-east-1", NOW);
        let auth = signed.iter().find(|(k, _)| k == "authorization").unwrap().1.clone();
        assert!(auth.contains("content-type;host"), "{auth}");
        let mut h = Headers::from_pairs(signed.clone());
        h.append("host", "gw.example");
        let opts = VerifyOptions::s3("us-east-1", NOW);
        let req = RequestParts::new("PUT", "/b/k", "", h.clone());
        assert!(verify(&req, &keys().as_slice(), &opts).unwrap().is_some());
        let mut sent = h.clone();
        sent.append("content-type", "");
        assert!(verify(&RequestParts::new("PUT", "/b/k", "", sent), &keys().as_slice(), &opts).unwrap().is_some());
        let mut other = h;
        other.append("content-type", "text/html");
        let e = verify(&RequestParts::new("PUT", "/b/k", "", other), &keys().as_slice(), &opts).unwrap_err();
        assert_eq!(e.code.as_str(), "SignatureDoesNotMatch");
        // a content-type not listed as signed is still absent-is-absent
        let t = Target { method: "PUT", scheme: "https", host: "gw.example", path: "/b/k", query: &[] };
        let signed = sign_headers(&t, &Headers::new(), UNSIGNED_PAYLOAD, &creds(), "us-east-1", NOW);
        let mut h = Headers::from_pairs(signed);
        h.append("host", "gw.example");
        assert!(verify(&RequestParts::new("PUT", "/b/k", "", h), &keys().as_slice(), &opts).unwrap().is_some());
    }

    /// `X-Amz-Expires=0` is a URL that has expired: 403 AccessDenied, as S3 and SeaweedFS answer.
    #[test]
    fn presigned_with_zero_expiry_has_expired() {
        let t = Target { method: "GET", scheme: "https", host: "gw.example", path: "/b/k", query: &[] };
        let url = crate::sigv4::presign::presign(&t, &Headers::new(), &creds(), "us-east-1", NOW, 60);
        let query = url.split_once('?').unwrap().1.to_string();
        let req = |q: &str| {
            let h = Headers::from_pairs([("host", "gw.example")]);
            RequestParts::new("GET", "/b/k", q, h)
        };
        let opts = VerifyOptions::s3("us-east-1", NOW);
        assert!(verify(&req(&query), &keys().as_slice(), &opts).unwrap().is_some());
        let zero = query.replace("X-Amz-Expires=60", "X-Amz-Expires=0");
        assert_ne!(zero, query);
        let e = verify(&req(&zero), &keys().as_slice(), &opts).unwrap_err();
        assert_eq!((e.status, e.code.as_str(), e.message.as_str()), (403, "AccessDenied", "Request has expired"));
    }
}
