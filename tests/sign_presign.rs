//! Outgoing SigV4 (header form), presigned URLs and POST policies: the S3
//! documentation's examples byte for byte, plus the gateway's own conventions.

use bagroom::http::Headers;
use bagroom::sigv4::post_policy::{policy_json, post_form, Condition, PostPolicy};
use bagroom::sigv4::presign::presign;
use bagroom::sigv4::sign::{object_path, sign_headers, store_host, Target};
use bagroom::sigv4::Credentials;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::PathBuf;

const DOC_NOW: u64 = 1_369_353_600; // 20130524T000000Z

fn doc() -> serde_json::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigv4/s3-doc-examples/s3-doc-examples.json");
    serde_json::from_str(&std::fs::read_to_string(&p).expect("s3-doc-examples.json")).expect("json")
}

fn doc_creds() -> Credentials {
    Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
}

fn get<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Sign like the documentation case `name` and check SignedHeaders and Signature.
fn check_doc_case(name: &str, method: &str, host: &str, path: &str, query: &[(&str, &str)], headers: &[(&str, &str)], payload: &str) {
    let d = doc();
    let case = &d["cases"][name];
    let query = q(query);
    let t = Target { method, scheme: "https", host, path, query: &query };
    let out = sign_headers(&t, &Headers::from_pairs(headers.iter().copied()), payload, &doc_creds(), "us-east-1", DOC_NOW);
    let want = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders={}, Signature={}",
        case["signed_headers"].as_str().unwrap(),
        case["signature"].as_str().unwrap()
    );
    assert_eq!(get(&out, "authorization"), Some(want.as_str()), "{name}");
    assert_eq!(get(&out, "x-amz-date"), Some("20130524T000000Z"));
    assert_eq!(get(&out, "x-amz-content-sha256"), Some(payload));
    assert_eq!(get(&out, "x-amz-security-token"), None);
    assert_eq!(out.len(), 3);
}

const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[test]
fn doc_get_object_range() {
    check_doc_case("get-object-range", "GET", "examplebucket.s3.amazonaws.com", "/test.txt", &[], &[("Range", "bytes=0-9")], EMPTY);
}

#[test]
fn doc_put_object() {
    check_doc_case(
        "put-object",
        "PUT",
        "examplebucket.s3.amazonaws.com",
        "/test%24file.text",
        &[],
        &[("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
    );
}

#[test]
fn doc_get_bucket_lifecycle() {
    check_doc_case("get-bucket-lifecycle", "GET", "examplebucket.s3.amazonaws.com", "/", &[("lifecycle", "")], &[], EMPTY);
}

#[test]
fn doc_list_objects() {
    // query order does not matter
    check_doc_case("list-objects", "GET", "examplebucket.s3.amazonaws.com", "/", &[("prefix", "J"), ("max-keys", "2")], &[], EMPTY);
}

#[test]
fn doc_streaming_put_seed_signature() {
    check_doc_case(
        "put-object-streaming-signed-chunks",
        "PUT",
        "s3.amazonaws.com",
        "/examplebucket/chunkObject.txt",
        &[],
        &[
            ("Content-Encoding", "aws-chunked"),
            ("Content-Length", "66824"),
            ("x-amz-decoded-content-length", "66560"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ],
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    );
}

#[test]
fn unsignable_and_own_headers_are_ignored_default_port_dropped() {
    let query = Vec::new();
    let base = Target { method: "GET", scheme: "https", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: &query };
    let want = sign_headers(&base, &Headers::from_pairs([("range", "bytes=0-9")]), EMPTY, &doc_creds(), "us-east-1", DOC_NOW);
    let noisy = Headers::from_pairs([
        ("User-Agent", "x"),
        ("range", "bytes=0-9"),
        ("accept-encoding", "gzip"),
        ("x-amz-date", "19990101T000000Z"),
        ("x-amz-content-sha256", "bogus"),
        ("authorization", "bogus"),
        ("host", "evil.example"),
    ]);
    let with_port = Target { host: "examplebucket.s3.amazonaws.com:443", ..base };
    assert_eq!(sign_headers(&with_port, &noisy, EMPTY, &doc_creds(), "us-east-1", DOC_NOW), want);
    // a non-default port is part of the signed host
    let other = Target { host: "examplebucket.s3.amazonaws.com:8443", ..base };
    assert_ne!(sign_headers(&other, &noisy, EMPTY, &doc_creds(), "us-east-1", DOC_NOW), want);
}

#[test]
fn session_token_is_signed_and_returned() {
    let mut c = doc_creds();
    c.session_token = Some("TOKEN/with+chars=".into());
    let query = q(&[("uploads", "")]);
    let t = Target { method: "POST", scheme: "http", host: "127.0.0.1:9000", path: "/bkt/a%20b", query: &query };
    let out = sign_headers(&t, &Headers::from_pairs([("content-type", "text/plain"), ("x-amz-meta-a", "1")]), EMPTY, &c, "auto", DOC_NOW);
    assert_eq!(get(&out, "x-amz-security-token"), Some("TOKEN/with+chars="));
    let auth = get(&out, "authorization").unwrap();
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/auto/s3/aws4_request, "));
    assert!(auth.contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a;x-amz-security-token, "));
}

#[test]
fn paths_and_hosts() {
    assert_eq!(object_path("bkt", "a b/c+d/ü.txt", false), "/bkt/a%20b/c%2Bd/%C3%BC.txt");
    assert_eq!(object_path("bkt", "a b/c+d", true), "/a%20b/c%2Bd");
    assert_eq!(object_path("bkt", "", false), "/bkt");
    assert_eq!(object_path("bkt", "", true), "/");
    assert_eq!(object_path("bkt", "dir//./../x~", false), "/bkt/dir//./../x~");
    assert_eq!(store_host("s3.us-east-1.amazonaws.com", "bkt", true), "bkt.s3.us-east-1.amazonaws.com");
    assert_eq!(store_host("127.0.0.1:8333", "bkt", false), "127.0.0.1:8333");
}

// ---------- presign ----------

#[test]
fn doc_presigned_get() {
    let d = doc();
    let case = &d["cases"]["presigned-get-object"];
    let query = Vec::new();
    let t = Target { method: "GET", scheme: "https", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: &query };
    let url = presign(&t, &Headers::new(), &doc_creds(), "us-east-1", DOC_NOW, 86_400);
    assert_eq!(url, case["url"].as_str().unwrap());
}

#[test]
fn presign_shapes() {
    let mut c = doc_creds();
    c.session_token = Some("tok en".into());
    let query = q(&[("uploadId", "U/1"), ("partNumber", "3")]);
    let t = Target { method: "PUT", scheme: "http", host: "127.0.0.1:8333", path: "/bkt/my%20file", query: &query };
    let h = Headers::from_pairs([("Content-Length", "1024"), ("x-amz-checksum-crc32", "AAAAAA==")]);
    let url = presign(&t, &h, &c, "us-east-1", DOC_NOW, 10_000_000);
    assert!(url.starts_with("http://127.0.0.1:8333/bkt/my%20file?"), "{url}");
    assert!(url.contains("&X-Amz-Expires=604800&"), "clamped: {url}");
    assert!(url.contains("X-Amz-SignedHeaders=content-length%3Bhost%3Bx-amz-checksum-crc32"), "{url}");
    assert!(url.contains("X-Amz-Security-Token=tok%20en"), "{url}");
    assert!(url.contains("partNumber=3&uploadId=U%2F1"), "{url}");
    let sig = url.rsplit_once("&X-Amz-Signature=").unwrap().1;
    assert_eq!(sig.len(), 64);
    // binding: a different content-length gives a different signature
    let h2 = Headers::from_pairs([("Content-Length", "1025"), ("x-amz-checksum-crc32", "AAAAAA==")]);
    assert_ne!(presign(&t, &h2, &c, "us-east-1", DOC_NOW, 10_000_000), url);
    // SigV4's own parameters in the query are replaced, other x-amz ones kept; method case does not matter
    let query2 =
        q(&[("X-Amz-Signature", "bogus"), ("X-Amz-Expires", "5"), ("x-id", "PutObject"), ("uploadId", "U/1"), ("partNumber", "3")]);
    let t2 = Target { method: "put", query: &query2, ..t };
    let url2 = presign(&t2, &h, &c, "us-east-1", DOC_NOW, 10_000_000);
    assert_eq!(url2.matches("X-Amz-Signature=").count(), 1);
    assert_eq!(url2.matches("X-Amz-Expires=").count(), 1);
    assert!(url2.contains("x-id=PutObject"));
    let strip = |u: &str| u.replace("x-id=PutObject&", "");
    assert_eq!(strip(&url2).split("X-Amz-Signature").next(), url.split("X-Amz-Signature").next());
    // expiry of 0 becomes 1
    assert!(presign(&t, &Headers::new(), &c, "us-east-1", DOC_NOW, 0).contains("X-Amz-Expires=1&"));
}

// ---------- POST policy ----------

fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn field<'a>(f: &'a [(String, String)], name: &str) -> Option<&'a str> {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn sample_policy() -> PostPolicy {
    PostPolicy {
        bucket: "sigv4examplebucket".into(),
        key_starts_with: Some("user/user1/".into()),
        key_exact: None,
        content_length_range: Some((1, 10_485_760)),
        content_type: Some(Condition::StartsWith("image/".into())),
        success_action_status: Some(201),
        extra_fields: vec![("x-amz-meta-uuid".into(), "14365123651274".into()), ("x-amz-meta-note".into(), "quote \" and \\".into())],
        expires_at: 1_451_476_800, // 2015-12-30T12:00:00Z
    }
}

#[test]
fn post_form_signature_and_policy() {
    let now = 1_451_347_200; // 20151229T000000Z
    let p = sample_policy();
    let form = post_form(&p, "http://127.0.0.1:8333/sigv4examplebucket", &doc_creds(), "us-east-1", now);
    assert_eq!(form.url, "http://127.0.0.1:8333/sigv4examplebucket");
    let f = &form.fields;
    let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "key",
            "policy",
            "x-amz-algorithm",
            "x-amz-credential",
            "x-amz-date",
            "x-amz-signature",
            "Content-Type",
            "success_action_status",
            "x-amz-meta-uuid",
            "x-amz-meta-note"
        ]
    );
    assert_eq!(field(f, "key"), Some("user/user1/${filename}"));
    assert_eq!(field(f, "x-amz-credential"), Some("AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"));
    assert_eq!(field(f, "x-amz-date"), Some("20151229T000000Z"));
    assert_eq!(field(f, "success_action_status"), Some("201"));

    // signature = hex(HMAC(signing key, base64(policy)))
    let policy_b64 = field(f, "policy").unwrap();
    let key = bagroom::sigv4::signing_key::signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20151229", "us-east-1", "s3");
    assert_eq!(field(f, "x-amz-signature").unwrap(), hmac_hex(&key, policy_b64.as_bytes()));

    let policy = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(policy_b64).unwrap()).unwrap();
    assert_eq!(policy, policy_json(&p, "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request", "20151229T000000Z", None));
    let v: serde_json::Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(v["expiration"], "2015-12-30T12:00:00.000Z");
    let conds = v["conditions"].as_array().unwrap();
    let has = |c: serde_json::Value| conds.contains(&c);
    use serde_json::json;
    assert!(has(json!({"bucket": "sigv4examplebucket"})));
    assert!(has(json!(["starts-with", "$key", "user/user1/"])));
    assert!(has(json!(["content-length-range", 1, 10485760])));
    assert!(has(json!(["starts-with", "$Content-Type", "image/"])));
    assert!(has(json!({"success_action_status": "201"})));
    assert!(has(json!({"x-amz-meta-uuid": "14365123651274"})));
    assert!(has(json!({"x-amz-meta-note": "quote \" and \\"})));
    assert!(has(json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"})));
    assert!(has(json!({"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"})));
    assert!(has(json!({"x-amz-date": "20151229T000000Z"})));
    assert_eq!(conds.len(), 10);

    // every form field but policy and the signature is covered by a condition
    for (k, _) in f.iter().filter(|(k, _)| k != "policy" && k != "x-amz-signature") {
        let covered = conds.iter().any(|c| c.get(k).is_some() || c.get(1).and_then(|s| s.as_str()) == Some(&format!("${k}")));
        assert!(covered, "field {k} has no condition");
    }
}

#[test]
fn post_policy_exact_key_session_token_and_defaults() {
    let mut c = doc_creds();
    c.session_token = Some("TOKEN".into());
    let p = PostPolicy {
        bucket: "b".into(),
        key_exact: Some("uploads/exact.bin".into()),
        content_type: Some(Condition::Exact("application/octet-stream".into())),
        expires_at: DOC_NOW + 600,
        ..PostPolicy::default()
    };
    let form = post_form(&p, "https://b.s3.amazonaws.com/", &c, "eu-west-1", DOC_NOW);
    assert_eq!(field(&form.fields, "key"), Some("uploads/exact.bin"));
    assert_eq!(field(&form.fields, "x-amz-security-token"), Some("TOKEN"));
    assert_eq!(field(&form.fields, "Content-Type"), Some("application/octet-stream"));
    assert_eq!(field(&form.fields, "success_action_status"), None);
    let policy = base64::engine::general_purpose::STANDARD.decode(field(&form.fields, "policy").unwrap()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&policy).unwrap();
    assert_eq!(v["expiration"], "2013-05-24T00:10:00.000Z");
    let conds = v["conditions"].as_array().unwrap();
    assert!(conds.contains(&serde_json::json!({"key": "uploads/exact.bin"})));
    assert!(conds.contains(&serde_json::json!({"Content-Type": "application/octet-stream"})));
    assert!(conds.contains(&serde_json::json!({"x-amz-security-token": "TOKEN"})));
    assert!(conds.contains(&serde_json::json!({"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20130524/eu-west-1/s3/aws4_request"})));

    // neither key condition: any key
    let p = PostPolicy { bucket: "b".into(), expires_at: DOC_NOW, ..PostPolicy::default() };
    let json = policy_json(&p, "AK/20130524/us-east-1/s3/aws4_request", "20130524T000000Z", None);
    assert!(json.contains("[\"starts-with\",\"$key\",\"\"]"), "{json}");
    assert!(json.starts_with("{\"expiration\":\"2013-05-24T00:00:00.000Z\",\"conditions\":["));
}

// ---------- round trips through the verifier ----------

mod round_trip {
    use super::*;
    use bagroom::auth::verify::{verify, AuthKind, Payload, VerifyOptions};
    use bagroom::http::RequestParts;

    const AK: &str = "AKIDEXAMPLE";
    const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const NOW: u64 = 1_795_422_156; // 2026-11-23

    fn keys() -> Vec<(String, String)> {
        vec![(AK.to_string(), SK.to_string())]
    }

    fn creds(token: bool) -> Credentials {
        let mut c = Credentials::new(AK, SK);
        if token {
            c.session_token = Some("FwoGZXIvYXdzE+/token==".into());
        }
        c
    }

    /// Turn a presigned URL into the request a browser would send.
    fn browser_request(method: &str, url: &str, host: &str, extra: &[(&str, &str)]) -> RequestParts {
        let target = &url[url.find("://").unwrap() + 3..];
        let target = &target[target.find('/').unwrap()..];
        let mut h = Headers::from_pairs([("Host", host)]);
        for (k, v) in extra {
            h.append(k, *v);
        }
        h.append("user-agent", "Mozilla/5.0");
        RequestParts::from_target(method, target, h)
    }

    #[test]
    fn presigned_urls_verify() {
        let bound = [("content-length", "1048576"), ("x-amz-checksum-crc32", "rwg7LQ=="), ("content-type", "video/mp4")];
        type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<(&'a str, &'a str)>);
        let cases: Vec<Case> = vec![
            ("GET", vec![], vec![]),
            ("HEAD", vec![], vec![]),
            ("GET", vec![("response-content-disposition", "attachment; filename=\"a b.txt\"")], vec![]),
            ("PUT", vec![], bound.to_vec()),
            ("PUT", vec![("partNumber", "2"), ("uploadId", "abc/DEF+ghi=")], bound.to_vec()),
            ("PUT", vec![], vec![("if-none-match", "*"), ("x-amz-checksum-sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")]),
        ];
        for token in [false, true] {
            for (scheme, host, sent_host) in [
                ("https", "gw.example.test", "gw.example.test"),
                ("http", "127.0.0.1:8787", "127.0.0.1:8787"),
                ("https", "gw.example.test:443", "gw.example.test"),
            ] {
                for (method, query, headers) in &cases {
                    let query = q(query);
                    let path = object_path("bkt", "dir/a b+c~ü.bin", false);
                    let t = Target { method, scheme, host, path: &path, query: &query };
                    let url = presign(&t, &Headers::from_pairs(headers.iter().copied()), &creds(token), "us-east-1", NOW, 900);
                    let req = browser_request(method, &url, sent_host, headers);
                    let v = verify(&req, &keys(), &VerifyOptions::s3("us-east-1", NOW + 60))
                        .unwrap_or_else(|e| panic!("{method} {url}: {e}"))
                        .expect("signed");
                    assert_eq!(v.kind, AuthKind::QueryV4);
                    assert_eq!(v.payload, Payload::Unsigned);
                    assert_eq!(v.expires_at, Some(NOW + 900));
                    let mut want: Vec<String> = headers.iter().map(|(k, _)| k.to_string()).chain(["host".to_string()]).collect();
                    want.sort();
                    assert_eq!(v.signed_headers, want, "{url}");

                    // the browser sending other values for a bound header fails
                    for (i, (k, _)) in headers.iter().enumerate() {
                        let mut changed = headers.clone();
                        changed[i] = (k, "1");
                        let req = browser_request(method, &url, sent_host, &changed);
                        let e = verify(&req, &keys(), &VerifyOptions::s3("us-east-1", NOW)).unwrap_err();
                        assert_eq!(e.status, 403, "{k}: {e}");
                    }
                    // a bound header left out fails
                    if !headers.is_empty() {
                        let req = browser_request(method, &url, sent_host, &headers[1..]);
                        assert!(verify(&req, &keys(), &VerifyOptions::s3("us-east-1", NOW)).is_err());
                    }
                    // another method, or after expiry, fails
                    let other = if *method == "GET" { "PUT" } else { "GET" };
                    assert!(
                        verify(&browser_request(other, &url, sent_host, headers), &keys(), &VerifyOptions::s3("us-east-1", NOW)).is_err()
                    );
                    assert!(verify(&req, &keys(), &VerifyOptions::s3("us-east-1", NOW + 901)).is_err());
                }
            }
        }
    }

    #[test]
    fn signed_headers_verify() {
        for token in [false, true] {
            for (method, payload, query, headers) in [
                ("GET", EMPTY, vec![], vec![("range", "bytes=0-99")]),
                ("GET", EMPTY, vec![("list-type", "2"), ("prefix", "a b/"), ("continuation-token", "x+y=")], vec![]),
                (
                    "PUT",
                    "UNSIGNED-PAYLOAD",
                    vec![("partNumber", "1"), ("uploadId", "u")],
                    vec![("content-length", "5"), ("content-md5", "XUFAKrxLKna5cZ2REBfFkg==")],
                ),
                (
                    "PUT",
                    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                    vec![],
                    vec![
                        ("content-encoding", "aws-chunked"),
                        ("x-amz-decoded-content-length", "12"),
                        ("x-amz-trailer", "x-amz-checksum-crc32"),
                    ],
                ),
                ("POST", EMPTY, vec![("uploads", "")], vec![("content-type", "image/png"), ("x-amz-meta-Owner", "Alice  Smith")]),
            ] {
                let query = q(&query);
                let path = object_path("bkt", "k/ey 1.txt", false);
                let t = Target { method, scheme: "http", host: "127.0.0.1:8333", path: &path, query: &query };
                let sent = Headers::from_pairs(headers.iter().copied());
                let out = sign_headers(&t, &sent, payload, &creds(token), "us-east-1", NOW);
                let mut h = Headers::from_pairs([("host", "127.0.0.1:8333")]);
                for (k, v) in sent.iter().chain(out.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
                    h.append(k, v);
                }
                h.append("accept-encoding", "gzip");
                let qs: Vec<String> = query
                    .iter()
                    .map(|(k, v)| format!("{}={}", bagroom::encoding::uri_encode(k, false), bagroom::encoding::uri_encode(v, false)))
                    .collect();
                let req = RequestParts::new(method, &path, &qs.join("&"), h.clone());
                let v = verify(&req, &keys(), &VerifyOptions::s3("us-east-1", NOW + 30))
                    .unwrap_or_else(|e| panic!("{method} {payload}: {e}"))
                    .expect("signed");
                assert_eq!(v.kind, AuthKind::HeaderV4);
                assert_eq!(v.payload, Payload::parse(payload).unwrap());
                // tamper with a signed header
                let mut h2 = h.clone();
                h2.insert("x-amz-date", "20261123T000000Z");
                let req = RequestParts::new(method, &path, &qs.join("&"), h2);
                assert!(verify(&req, &keys(), &VerifyOptions::s3("us-east-1", NOW)).is_err());
            }
        }
    }

    /// The documentation's streaming upload: verify the request, then decode its body
    /// with the verifier's seed signature and signing key.
    #[test]
    fn doc_streaming_request_verifies_and_seeds_the_chunk_decoder() {
        use bagroom::sigv4::chunked::{ChunkMode, ChunkedDecoder};
        let d = doc();
        let case = &d["cases"]["put-object-streaming-signed-chunks"];
        let headers = [
            ("content-encoding", "aws-chunked"),
            ("content-length", "66824"),
            ("x-amz-decoded-content-length", "66560"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ];
        let no_query = Vec::new();
        let t =
            Target { method: "PUT", scheme: "https", host: "s3.amazonaws.com", path: "/examplebucket/chunkObject.txt", query: &no_query };
        let sent = Headers::from_pairs(headers);
        let out = sign_headers(&t, &sent, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", &doc_creds(), "us-east-1", DOC_NOW);
        let mut h = Headers::from_pairs([("host", "s3.amazonaws.com")]);
        for (k, v) in sent.iter().chain(out.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            h.append(k, v);
        }
        let req = RequestParts::new("PUT", "/examplebucket/chunkObject.txt", "", h);
        let keys = vec![("AKIAIOSFODNN7EXAMPLE".to_string(), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string())];
        let v = verify(&req, &keys, &VerifyOptions::s3("us-east-1", DOC_NOW)).unwrap().unwrap();
        assert_eq!(v.signature, case["signature"].as_str().unwrap());
        assert_eq!(v.payload, Payload::Streaming { signed: true, trailer: false });

        let mut body = Vec::new();
        for c in case["chunks"].as_array().unwrap() {
            let size = c["size"].as_u64().unwrap() as usize;
            body.extend_from_slice(format!("{size:x};chunk-signature={}\r\n", c["signature"].as_str().unwrap()).as_bytes());
            body.extend(std::iter::repeat_n(b'a', size));
            body.extend_from_slice(b"\r\n");
        }
        let mut dec = ChunkedDecoder::new(
            ChunkMode::Signed {
                signing_key: v.signing_key,
                amz_date: v.amz_date.clone(),
                scope: v.scope.clone(),
                seed_signature: v.signature.clone(),
            },
            false,
        );
        let mut outb = Vec::new();
        for piece in body.chunks(1500) {
            dec.push(piece, &mut outb).unwrap();
        }
        dec.finish().unwrap();
        assert_eq!(outb.len(), 66560);
        assert_eq!(dec.decoded_len(), 66560);
    }
}
