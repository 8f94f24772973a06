//! Attacks on what a signature covers: parameters and headers a client did not sign but
//! the gateway would act on (SigV2 presigned URLs, header-signed and presigned SigV4),
//! and buffered bodies that differ from the hash or Content-MD5 the request declared.
//! Real client requests come from `tests/data/sigv4/captured-clients`.

use std::fs;

use bagroom::auth::sigv2;
use bagroom::auth::verify::{check_buffered_body, verify, AuthKind, Payload, Verified, VerifyOptions};
use bagroom::encoding::uri_encode;
use bagroom::http::{Headers, RequestParts};
use bagroom::sigv4::{canonical_headers, canonical_request, scope, sha256_hex, signature, signing_key, string_to_sign};
use bagroom::time::{amz_date, parse_amz_date};
use bagroom::S3Error;

mod common;
use common::{dir, keys, AKID, SECRET};

fn opts(now: u64) -> VerifyOptions<'static> {
    VerifyOptions {
        region: "us-east-1",
        service: "s3",
        now,
        allow_sigv2: true,
        max_skew_secs: 900,
        uri_mode: Default::default(),
        virtual_host_bucket: None,
    }
}

/// Line `line` of a captured JSONL file, as the gateway would see it, and its body head
/// (the whole body for small requests), with the clock at its own date.
fn captured(file: &str, line: usize) -> (RequestParts, Vec<u8>, u64) {
    let text = fs::read_to_string(dir().join(file)).unwrap();
    let r: serde_json::Value = serde_json::from_str(text.lines().nth(line).unwrap()).unwrap();
    let pairs: Vec<(String, String)> =
        r["headers"].as_array().unwrap().iter().map(|h| (h[0].as_str().unwrap().to_string(), h[1].as_str().unwrap().to_string())).collect();
    let req = RequestParts::from_target(r["method"].as_str().unwrap(), r["path"].as_str().unwrap(), Headers::from_pairs(pairs));
    assert_eq!(
        r["body_len"].as_u64().unwrap() as usize,
        r["body_head"].as_str().unwrap().len(),
        "{file}:{line}: body head is the whole body"
    );
    let now = parse_amz_date(req.headers.get("x-amz-date").unwrap()).unwrap();
    (req, r["body_head"].as_str().unwrap().as_bytes().to_vec(), now)
}

/// The first presigned URL under the `## heading` of a captured `.out` file, as a GET
/// request, and a clock one second before it expires.
fn captured_v2_url(file: &str, heading: &str) -> (RequestParts, u64) {
    let text = fs::read_to_string(dir().join(file)).unwrap();
    let mut lines = text.lines().skip_while(|l| *l != format!("## {heading}"));
    let url = lines.find(|l| l.starts_with("https://")).unwrap_or_else(|| panic!("{file}: no URL under {heading}"));
    let rest = url.split_once("://").unwrap().1;
    let (host, target) = rest.split_at(rest.find('/').unwrap());
    let req = RequestParts::from_target("GET", target, Headers::from_pairs([("host", host)]));
    let expires: u64 = req.query_param("Expires").unwrap().parse().unwrap();
    let v = verify(&req, &keys(), &opts(expires - 1)).unwrap().unwrap();
    assert_eq!(v.kind, AuthKind::QueryV2);
    (req, expires - 1)
}

fn with_query(req: &RequestParts, extra: &str) -> RequestParts {
    let mut m = req.clone();
    m.query = format!("{}&{extra}", req.query);
    m
}

fn ok(req: &RequestParts, now: u64) -> Verified {
    match verify(req, &keys(), &opts(now)) {
        Ok(Some(v)) => v,
        other => panic!("expected to verify: {req:?} -> {other:?}"),
    }
}

fn refused(req: &RequestParts, now: u64) -> S3Error {
    match verify(req, &keys(), &opts(now)) {
        Err(e) => e,
        Ok(v) => panic!("altered request still verified: {req:?} -> {v:?}"),
    }
}

fn assert_not_signed_param(req: &RequestParts, now: u64, name: &str) {
    let e = refused(req, now);
    assert_eq!((e.status, e.code.as_str()), (403, "AccessDenied"), "{e}");
    assert!(e.message.contains(&format!("'{name}'")), "the message names the parameter {name}: {}", e.message);
    assert!(!e.message.contains(SECRET) && !e.extra.iter().any(|(_, v)| v.contains(SECRET)));
}

/// A SigV2 presigned URL signed by hand as botocore's HmacV1QueryAuth does: `resource`
/// is the canonical resource the client signed, `amz` its `x-amz-*` lines, `query` the
/// request's own parameters (sent before the signing ones).
fn v2_signed(method: &str, content_type: &str, amz: &str, resource: &str, path: &str, query: &str, expires: u64) -> RequestParts {
    let sts = format!("{method}\n\n{content_type}\n{expires}\n{amz}{resource}");
    let sig = uri_encode(&sigv2::sign(SECRET, &sts), false);
    let q = if query.is_empty() { String::new() } else { format!("{query}&") };
    RequestParts::new(
        method,
        path,
        &format!("{q}AWSAccessKeyId={AKID}&Signature={sig}&Expires={expires}"),
        Headers::from_pairs([("host", "gw.example.test")]),
    )
}

const EXP: u64 = 1_795_422_715;

// ---------------------------------------------------------------------------------
// SigV2: unsigned query parameters

#[test]
fn sigv2_response_override_in_another_case_is_refused() {
    let (req, now) = captured_v2_url("boto3_presign.out", "get_object addressing_style=path");
    for (extra, name) in [
        ("Response-Content-Type=text/html", "Response-Content-Type"),
        ("RESPONSE-CONTENT-DISPOSITION=inline", "RESPONSE-CONTENT-DISPOSITION"),
        ("Response%2DContent-Type=text/html", "Response-Content-Type"),
        ("response-Cache-Control=public", "response-Cache-Control"),
        ("response-x-unknown=1", "response-x-unknown"),
    ] {
        assert_not_signed_param(&with_query(&req, extra), now, name);
    }
    // the exact S3 name, plain or percent-encoded, is part of the canonical resource: the
    // URL did not sign it, so the signature fails
    for extra in ["response-content-type=text/html", "response-content-typ%65=text/html", "%72esponse-content-type=text/html"] {
        assert_eq!(refused(&with_query(&req, extra), now).code, "SignatureDoesNotMatch", "{extra}");
    }

    // a URL that signed one override cannot be given a second spelling of it (the last
    // override applied would win)
    let (req, now) = captured_v2_url("boto3_presign.out", "get_object with ResponseContentDisposition + Range param");
    assert_not_signed_param(&with_query(&req, "Response-Content-Disposition=inline"), now, "Response-Content-Disposition");
    assert_not_signed_param(&with_query(&req, "response-content-type%20=x"), now, "response-content-type ");
    assert_eq!(refused(&with_query(&req, "response-content-disposition=inline"), now).code, "SignatureDoesNotMatch");
    // parameters that are not sub-resources stay outside the signature, as on S3
    ok(&with_query(&req, "x-id=GetObject"), now);
}

#[test]
fn sigv2_percent_encoded_version_id_is_signed_like_s3() {
    let (req, now) = captured_v2_url("boto3_presign.out", "get_object addressing_style=path");
    // `version%49d` decodes to `versionId`: S3 (and the gateway) read it as the version
    assert_eq!(refused(&with_query(&req, "version%49d=x"), now).code, "SignatureDoesNotMatch");
    assert_eq!(refused(&with_query(&req, "%76ersionId=x"), now).code, "SignatureDoesNotMatch");
    assert_eq!(sigv2::canonical_resource("/bkt/k", "version%49d=x&partNumbe%72=2", None), "/bkt/k?partNumber=2&versionId=x");
    for (extra, name) in [("VersionId=x", "VersionId"), ("versionid=x", "versionid"), ("VERSION%49D=x", "VERSIONID")] {
        assert_not_signed_param(&with_query(&req, extra), now, name);
    }

    // a URL that signed a version and an override still verifies, whatever the order or
    // the encoding of the names it is sent with
    let signed = "/bkt/k?response-content-type=text/plain&versionId=v1";
    let a = v2_signed("GET", "", "", signed, "/bkt/k", "versionId=v1&response-content-type=text%2Fplain", EXP);
    ok(&a, EXP - 1);
    let b = v2_signed("GET", "", "", signed, "/bkt/k", "response-content-type=text/plain&version%49d=v1", EXP);
    ok(&b, EXP - 1);
    // ... and not with the version changed or a second version added
    let c = v2_signed("GET", "", "", signed, "/bkt/k", "versionId=v2&response-content-type=text%2Fplain", EXP);
    assert_eq!(refused(&c, EXP - 1).code, "SignatureDoesNotMatch");
    assert_eq!(refused(&with_query(&a, "versionId=v2"), EXP - 1).code, "SignatureDoesNotMatch");
    assert_eq!(refused(&with_query(&a, "version%49d=v2"), EXP - 1).code, "SignatureDoesNotMatch");
}

#[test]
fn sigv2_every_sub_resource_must_be_signed_whatever_its_case() {
    let (req, now) = captured_v2_url("boto3_presign.out", "get_object addressing_style=path");
    for sub in sigv2::SUB_RESOURCES {
        assert_eq!(refused(&with_query(&req, sub), now).code, "SignatureDoesNotMatch", "{sub}");
        assert_eq!(refused(&with_query(&req, &format!("{sub}=1")), now).code, "SignatureDoesNotMatch", "{sub}");
        let upper = sub.to_ascii_uppercase();
        assert_not_signed_param(&with_query(&req, &format!("{upper}=1")), now, &upper);
        // first letter flipped, percent-encoded
        let mut flipped: Vec<char> = sub.chars().collect();
        flipped[0] = if flipped[0].is_ascii_lowercase() { flipped[0].to_ascii_uppercase() } else { flipped[0].to_ascii_lowercase() };
        let flipped: String = flipped.into_iter().collect();
        assert_not_signed_param(&with_query(&req, &format!("%{:02X}{}=1", flipped.as_bytes()[0], &flipped[1..])), now, &flipped);
    }
    // the list covers what S3 and botocore sign
    for name in [
        "acl",
        "attributes",
        "delete",
        "legal-hold",
        "object-lock",
        "partNumber",
        "retention",
        "select-type",
        "uploadId",
        "uploads",
        "versionId",
    ] {
        assert!(sigv2::SUB_RESOURCES.contains(&name), "{name}");
    }
}

#[test]
fn sigv2_share_token_parameter_is_refused() {
    // a share token riding on an access-key URL is a second credential nobody signed
    let (req, now) = captured_v2_url("boto3_presign.out", "get_object addressing_style=path");
    assert_not_signed_param(&with_query(&req, "token=abc"), now, "token");
    assert_not_signed_param(&with_query(&req, "Token=abc"), now, "Token");
    assert_not_signed_param(&with_query(&req, "%74oken=abc"), now, "token");
}

// ---------------------------------------------------------------------------------
// SigV2: x-amz-* headers and the pseudo-headers of the string to sign

#[test]
fn sigv2_repeated_headers_are_all_in_the_string_to_sign() {
    // the client signed `x-amz-meta-a: 1` as a header
    let mut a = v2_signed("PUT", "", "x-amz-meta-a:1\n", "/bkt/k", "/bkt/k", "", EXP);
    a.headers.append("x-amz-meta-a", "1");
    ok(&a, EXP - 1);
    let mut m = a.clone();
    m.headers.append("x-amz-meta-a", "2");
    assert_eq!(refused(&m, EXP - 1).code, "SignatureDoesNotMatch");
    let mut m = a.clone();
    m.headers.append("x-amz-copy-source", "/bkt/secret");
    assert_eq!(refused(&m, EXP - 1).code, "SignatureDoesNotMatch");

    // ... or in the query, as botocore does
    let mut b = v2_signed("PUT", "", "x-amz-meta-a:1\n", "/bkt/k", "/bkt/k", "x-amz-meta-a=1", EXP);
    ok(&b, EXP - 1);
    b.headers.append("x-amz-meta-a", "1");
    ok(&b, EXP - 1);
    b.headers.append("x-amz-meta-a", "2");
    assert_eq!(refused(&b, EXP - 1).code, "SignatureDoesNotMatch");

    // Content-Type: a second header value, or a second query value, is not the signed one
    let mut c = v2_signed("PUT", "text/plain", "", "/bkt/k", "/bkt/k", "content-type=text%2Fplain", EXP);
    ok(&c, EXP - 1);
    c.headers.append("content-type", "text/plain");
    ok(&c, EXP - 1);
    let mut m = c.clone();
    m.headers.append("content-type", "text/html");
    assert_eq!(refused(&m, EXP - 1).code, "SignatureDoesNotMatch");
    assert_eq!(refused(&with_query(&c, "content-type=text%2Fhtml"), EXP - 1).code, "SignatureDoesNotMatch");
    let mut d = v2_signed("PUT", "text/plain", "", "/bkt/k", "/bkt/k", "", EXP);
    d.headers.append("content-type", "text/plain");
    ok(&d, EXP - 1);
    d.headers.append("content-type", "text/html");
    assert_eq!(refused(&d, EXP - 1).code, "SignatureDoesNotMatch");
}

// ---------------------------------------------------------------------------------
// SigV4 header form: unsigned x-amz-* headers

const NOT_SIGNED: &str = "There were headers present in the request which were not signed";

fn headers_not_signed(e: &S3Error) -> &str {
    e.extra.iter().find(|(k, _)| *k == "HeadersNotSigned").map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no HeadersNotSigned: {e:?}"))
}

#[test]
fn sigv4_header_signed_unsigned_x_amz_header_is_refused() {
    // boto3 PutObject, SignedHeaders=host;x-amz-content-sha256;x-amz-date
    let (req, _, now) = captured("boto3_ops_https_when_required.jsonl", 0);
    assert!(req.headers.get("authorization").unwrap().contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"));
    ok(&req, now);

    let mut m = req.clone();
    m.headers.append("x-amz-copy-source", "bkt/secret.txt");
    let e = refused(&m, now);
    assert_eq!((e.status, e.code.as_str(), e.message.as_str()), (403, "AccessDenied", NOT_SIGNED));
    assert_eq!(headers_not_signed(&e), "x-amz-copy-source");

    let mut m = req.clone();
    m.headers.append("x-amz-acl", "public-read");
    m.headers.append("x-amz-copy-source", "bkt/secret.txt");
    m.headers.append("x-amz-acl", "public-read");
    assert_eq!(headers_not_signed(&refused(&m, now)), "x-amz-acl, x-amz-copy-source");

    // header names as a runtime might hand them over, not lower-cased
    let mut m = req.clone();
    m.headers.0.push(("X-Amz-Copy-Source".to_string(), "bkt/secret.txt".to_string()));
    assert_eq!(refused(&m, now).message, NOT_SIGNED);
}

#[test]
fn sigv4_header_signed_edge_headers_still_verify() {
    // what Cloudflare, proxies and SDKs add without signing: none of it is x-amz-*
    for (file, line) in [("boto3_ops_https_when_required.jsonl", 0), ("boto3_ops_https.jsonl", 8), ("rclone_https.jsonl", 3)] {
        let (req, _, now) = captured(file, line);
        let mut m = req.clone();
        for (k, v) in [
            ("cf-connecting-ip", "203.0.113.7"),
            ("cf-ipcountry", "NL"),
            ("cf-ray", "8d1f0a2b3c4d5e6f-AMS"),
            ("cf-visitor", "{\"scheme\":\"https\"}"),
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "https"),
            ("x-real-ip", "203.0.113.7"),
            ("x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793"),
            ("user-agent", "curl/8"),
        ] {
            m.headers.append(k, v);
        }
        assert_eq!(ok(&m, now).kind, AuthKind::HeaderV4, "{file}:{line}");
    }
}

/// A header-signed GET whose signature covers `signed` (sorted names) of `headers`.
fn v4_header_signed(headers: &[(&str, &str)], signed: &[&str], payload: &str, now: u64) -> RequestParts {
    let amz = amz_date(now);
    let mut h = Headers::from_pairs(headers.iter().copied());
    let ch = canonical_headers(&h, signed).unwrap();
    let creq = canonical_request("GET", "/bkt/k", "", &ch, &signed.join(";"), payload);
    let sc = scope(&amz[..8], "us-east-1", "s3");
    let sig = signature(&signing_key(SECRET, &amz[..8], "us-east-1", "s3"), &string_to_sign(&amz, &sc, &creq));
    h.append("authorization", format!("AWS4-HMAC-SHA256 Credential={AKID}/{sc}, SignedHeaders={}, Signature={sig}", signed.join(";")));
    RequestParts::new("GET", "/bkt/k", "", h)
}

#[test]
fn sigv4_header_signed_content_sha256_and_date_must_be_signed() {
    let now = 1_795_422_156;
    let amz = amz_date(now);
    let empty = sha256_hex(b"");
    let all = [("host", "gw.example.test"), ("x-amz-content-sha256", empty.as_str()), ("x-amz-date", amz.as_str())];
    ok(&v4_header_signed(&all, &["host", "x-amz-content-sha256", "x-amz-date"], &empty, now), now);

    // S3 requires x-amz-content-sha256 among the signed headers
    let e = refused(&v4_header_signed(&all, &["host", "x-amz-date"], &empty, now), now);
    assert_eq!((e.code.as_str(), e.message.as_str()), ("AccessDenied", NOT_SIGNED));
    assert_eq!(headers_not_signed(&e), "x-amz-content-sha256");
    let e = refused(&v4_header_signed(&all, &["host"], &empty, now), now);
    assert_eq!(headers_not_signed(&e), "x-amz-content-sha256, x-amz-date");
}

#[test]
fn sigv4_presigned_unsigned_x_amz_header_still_refused() {
    // the presigned form already refused this; the shared check must keep doing so
    let (req, now) = {
        let text = fs::read_to_string(dir().join("boto3_presign_v4.out")).unwrap();
        let url = text
            .lines()
            .find(|l| {
                l.starts_with("https://gw.example.test/bkt/k?response-content-disposition=") && l.contains("X-Amz-SignedHeaders=host&")
            })
            .unwrap()
            .to_string();
        let target = &url["https://gw.example.test".len()..];
        let req = RequestParts::from_target("GET", target, Headers::from_pairs([("host", "gw.example.test")]));
        let now = parse_amz_date(&req.query_param("X-Amz-Date").unwrap()).unwrap();
        (req, now)
    };
    ok(&req, now);
    let mut m = req.clone();
    m.headers.append("x-amz-copy-source", "bkt/secret.txt");
    let e = refused(&m, now);
    assert_eq!((e.code.as_str(), e.message.as_str(), headers_not_signed(&e)), ("AccessDenied", NOT_SIGNED, "x-amz-copy-source"));
}

// ---------------------------------------------------------------------------------
// Buffered bodies (DeleteObjects, CompleteMultipartUpload)

fn body_refused(payload: Option<&Payload>, headers: &Headers, body: &[u8]) -> S3Error {
    match check_buffered_body(payload, headers, body) {
        Err(e) => e,
        Ok(()) => panic!("body accepted: {payload:?} {headers:?} {:?}", String::from_utf8_lossy(body)),
    }
}

#[test]
fn buffered_body_must_match_the_signed_sha256() {
    // boto3 CompleteMultipartUpload, body hash signed in x-amz-content-sha256
    let (req, body, now) = captured("boto3_ops_https_when_required.jsonl", 8);
    let v = ok(&req, now);
    assert!(matches!(v.payload, Payload::Sha256(_)));
    check_buffered_body(Some(&v.payload), &req.headers, &body).unwrap();

    // the same signed headers with another document: a part swapped for another ETag
    let forged =
        String::from_utf8(body.clone()).unwrap().replacen("6f5902ac237024bdd0c176cb93063dc4", "00000000000000000000000000000000", 1);
    let e = body_refused(Some(&v.payload), &req.headers, forged.as_bytes());
    assert_eq!((e.status, e.code.as_str()), (400, "XAmzContentSHA256Mismatch"));
    assert_eq!(e.extra[0], ("ClientComputedContentSHA256", req.headers.get("x-amz-content-sha256").unwrap().to_string()));
    assert_eq!(e.extra[1], ("S3ComputedContentSHA256", sha256_hex(forged.as_bytes())));
    assert_eq!(body_refused(Some(&v.payload), &req.headers, b"").code, "XAmzContentSHA256Mismatch");

    // a presigned URL that signed X-Amz-Content-Sha256 binds the body the same way
    let e = body_refused(Some(&Payload::Sha256(sha256_hex(b"<Delete/>"))), &Headers::new(), b"<Delete></Delete>");
    assert_eq!(e.code, "XAmzContentSHA256Mismatch");
    check_buffered_body(Some(&Payload::Sha256(sha256_hex(b"<Delete/>").to_ascii_uppercase())), &Headers::new(), b"<Delete/>").unwrap();
}

#[test]
fn buffered_body_refuses_streaming_and_accepts_unsigned() {
    let doc = b"<Delete><Object><Key>k</Key></Object></Delete>";
    for (signed, trailer) in [(false, true), (true, false), (true, true)] {
        let e = body_refused(Some(&Payload::Streaming { signed, trailer }), &Headers::new(), doc);
        assert_eq!((e.status, e.code.as_str()), (400, "InvalidRequest"), "{e}");
    }
    check_buffered_body(Some(&Payload::Unsigned), &Headers::new(), doc).unwrap();
    check_buffered_body(Some(&Payload::Unsigned), &Headers::from_pairs([("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]), doc).unwrap();
    check_buffered_body(None, &Headers::new(), doc).unwrap();
    // a declared streaming body is refused whoever sends it
    let h = Headers::from_pairs([("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")]);
    assert_eq!(body_refused(None, &h, doc).code, "InvalidRequest");
    assert_eq!(body_refused(Some(&Payload::Unsigned), &h, doc).code, "InvalidRequest");
}

#[test]
fn buffered_body_content_md5() {
    // aws-cli v2 PutObject with Content-MD5 (and UNSIGNED-PAYLOAD)
    let (req, body, now) = captured("awscli_v2deb_cp_https.jsonl", 0);
    let v = ok(&req, now);
    assert_eq!(v.payload, Payload::Unsigned);
    check_buffered_body(Some(&v.payload), &req.headers, &body).unwrap();
    check_buffered_body(None, &req.headers, &body).unwrap();

    let mut other = body.clone();
    other[0] ^= 1;
    let e = body_refused(Some(&v.payload), &req.headers, &other);
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
    );
    assert_eq!(body_refused(None, &req.headers, &other).code, "BadDigest");

    let md5_of_body = req.headers.get("content-md5").unwrap().to_string();
    for bad in ["", "not base64!", "2OZqTrVK6QS/UTVEFvAP", "2OZqTrVK6QS/UTVEFvAPug", "AAAAAAAAAAAAAAAAAAAA", "2OZqTrVK6QS/UTVEFvAPugAA"] {
        let mut h = req.headers.clone();
        h.insert("content-md5", bad);
        let e = body_refused(Some(&Payload::Unsigned), &h, &body);
        assert_eq!(
            (e.status, e.code.as_str(), e.message.as_str()),
            (400, "InvalidDigest", "The Content-MD5 you specified was invalid."),
            "{bad:?}"
        );
    }
    // whitespace around the value is not part of it; a second, different value is checked too
    let mut h = req.headers.clone();
    h.insert("content-md5", format!(" {md5_of_body} "));
    check_buffered_body(None, &h, &body).unwrap();
    h.append("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==");
    assert_eq!(body_refused(None, &h, &body).code, "BadDigest");
}

#[test]
fn buffered_body_of_token_requests_must_match_what_they_declare() {
    // no signature was verified (share token): the request's own declarations still bind
    let doc = b"<CompleteMultipartUpload></CompleteMultipartUpload>";
    let h = Headers::from_pairs([("x-amz-content-sha256", sha256_hex(b"something else"))]);
    assert_eq!(body_refused(None, &h, doc).code, "XAmzContentSHA256Mismatch");
    check_buffered_body(None, &Headers::from_pairs([("x-amz-content-sha256", sha256_hex(doc).to_ascii_uppercase())]), doc).unwrap();
    let e = body_refused(None, &Headers::from_pairs([("x-amz-content-sha256", "abc")]), doc);
    assert_eq!((e.status, e.code.as_str()), (400, "InvalidArgument"));
    // ... and a header that disagrees with the signed payload hash is refused as well
    assert_eq!(body_refused(Some(&Payload::Sha256(sha256_hex(doc))), &h, doc).code, "XAmzContentSHA256Mismatch");
}

#[test]
fn sigv2_urls_live_at_most_seven_days() {
    let now = EXP - 3600;
    let near = v2_signed("GET", "", "", "/bkt/k", "/bkt/k", "", now + 604_800);
    ok(&near, now);
    let far = v2_signed("GET", "", "", "/bkt/k", "/bkt/k", "", now + 604_801);
    let e = refused(&far, now);
    assert_eq!(e.code, "AccessDenied");
    assert!(e.message.contains("at most 7 days"), "{}", e.message);
}
