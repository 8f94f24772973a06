//! Properties of `verify()`: whatever the keys, paths, query sets and headers, a request
//! signed with the SigV4 step functions verifies (header and query form); any single
//! change to a signed part fails; arbitrary input never panics.

use bagroom::auth::verify::{verify, AuthKind, VerifyOptions};
use bagroom::encoding::uri_encode;
use bagroom::http::{Headers, RequestParts};
use bagroom::sigv4::{
    canonical_headers, canonical_query, canonical_request, canonical_uri, scope, sha256_hex, signature, signing_key, string_to_sign,
    UriMode,
};
use bagroom::time::amz_date;
use proptest::prelude::*;

const REGION: &str = "us-east-1";
const NOW: u64 = 1_795_422_156; // 2026-11-23

#[derive(Debug, Clone)]
struct Case {
    akid: String,
    secret: String,
    method: String,
    /// raw (encoded) path
    path: String,
    /// decoded query pairs
    query: Vec<(String, String)>,
    /// extra signed headers (lower-case names)
    headers: Vec<(String, String)>,
    payload: String,
    skew: i64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        "[A-Z0-9]{4,24}",
        "[ -~]{1,48}",
        prop::sample::select(vec!["GET", "PUT", "POST", "HEAD", "DELETE"]),
        prop::collection::vec("\\PC{0,12}", 0..5),
        prop::collection::vec(("[a-zA-Z0-9 +/=&%_.~-]{1,10}", "\\PC{0,12}"), 0..5),
        prop::collection::vec(("x-amz-meta-[a-z0-9]{1,8}", "[ -~]{0,20}"), 0..4),
        prop::sample::select(vec![
            "UNSIGNED-PAYLOAD".to_string(),
            sha256_hex(b"body"),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".to_string(),
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER".to_string(),
        ]),
        -800i64..800,
    )
        .prop_map(|(akid, secret, method, segs, query, mut headers, payload, skew)| {
            headers.sort_by(|a, b| a.0.cmp(&b.0));
            headers.dedup_by(|a, b| a.0 == b.0);
            let path = format!("/bkt/{}", segs.iter().map(|s| uri_encode(s, false)).collect::<Vec<_>>().join("/"));
            Case { akid, secret, method: method.to_string(), path, query, headers, payload, skew }
        })
}

fn raw_query(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false))).collect::<Vec<_>>().join("&")
}

fn keys(c: &Case) -> Vec<(String, String)> {
    vec![(c.akid.clone(), c.secret.clone())]
}

fn opts() -> VerifyOptions<'static> {
    VerifyOptions::s3(REGION, NOW)
}

/// Sign the case in header form with the step functions.
fn header_signed(c: &Case) -> RequestParts {
    let t = (NOW as i64 + c.skew) as u64;
    let amz = amz_date(t);
    let mut h = Headers::new();
    h.append("host", "gw.example.test");
    h.append("x-amz-date", amz.clone());
    h.append("x-amz-content-sha256", c.payload.clone());
    for (k, v) in &c.headers {
        h.append(k, v.clone());
    }
    let mut names: Vec<String> = h.0.iter().map(|(k, _)| k.clone()).collect();
    names.sort();
    let signed: Vec<&str> = names.iter().map(String::as_str).collect();
    let signed_s = signed.join(";");
    let creq = canonical_request(
        &c.method,
        &canonical_uri(&c.path, UriMode::S3),
        &canonical_query(&c.query, &[]),
        &canonical_headers(&h, &signed).unwrap(),
        &signed_s,
        &c.payload,
    );
    let sc = scope(&amz[..8], REGION, "s3");
    let sig = signature(&signing_key(&c.secret, &amz[..8], REGION, "s3"), &string_to_sign(&amz, &sc, &creq));
    h.append("authorization", format!("AWS4-HMAC-SHA256 Credential={}/{sc}, SignedHeaders={signed_s}, Signature={sig}", c.akid));
    RequestParts::new(&c.method, &c.path, &raw_query(&c.query), h)
}

/// Sign the case as a presigned URL with the step functions.
fn query_signed(c: &Case) -> RequestParts {
    let t = (NOW as i64 + c.skew) as u64;
    let amz = amz_date(t);
    let sc = scope(&amz[..8], REGION, "s3");
    let mut h = Headers::new();
    h.append("host", "gw.example.test");
    for (k, v) in &c.headers {
        h.append(k, v.clone());
    }
    let mut names: Vec<String> = h.0.iter().map(|(k, _)| k.clone()).collect();
    names.sort();
    let signed: Vec<&str> = names.iter().map(String::as_str).collect();
    let signed_s = signed.join(";");
    let mut q: Vec<(String, String)> = c.query.iter().filter(|(k, _)| !k.starts_with("X-Amz-")).cloned().collect();
    q.push(("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()));
    q.push(("X-Amz-Credential".into(), format!("{}/{sc}", c.akid)));
    q.push(("X-Amz-Date".into(), amz.clone()));
    q.push(("X-Amz-Expires".into(), "3600".into()));
    q.push(("X-Amz-SignedHeaders".into(), signed_s.clone()));
    let creq = canonical_request(
        &c.method,
        &canonical_uri(&c.path, UriMode::S3),
        &canonical_query(&q, &[]),
        &canonical_headers(&h, &signed).unwrap(),
        &signed_s,
        "UNSIGNED-PAYLOAD",
    );
    let sig = signature(&signing_key(&c.secret, &amz[..8], REGION, "s3"), &string_to_sign(&amz, &sc, &creq));
    q.push(("X-Amz-Signature".into(), sig));
    RequestParts::new(&c.method, &c.path, &raw_query(&q), h)
}

/// One change to a signed part of the request (or the key).
fn mutate(req: &RequestParts, c: &Case, which: usize, header_form: bool) -> (RequestParts, Vec<(String, String)>) {
    let mut m = req.clone();
    let mut k = keys(c);
    match which % 7 {
        0 => m.path.push('Z'),
        1 => m.method = if m.method == "GET" { "PUT".into() } else { "GET".into() },
        2 => {
            // change the value of one (signed) query parameter, or add one
            let n = if m.query.is_empty() { 0 } else { m.query.split('&').count() };
            if n == 0 {
                m.query = "Z=1".into();
            } else {
                let i = which / 7 % n;
                m.query = m
                    .query
                    .split('&')
                    .enumerate()
                    .map(|(j, p)| if i == j { format!("{p}Z") } else { p.to_string() })
                    .collect::<Vec<_>>()
                    .join("&");
            }
        }
        3 => {
            // change one signed header value
            let names: Vec<String> = m.headers.0.iter().map(|(k, _)| k.clone()).filter(|k| k != "authorization").collect();
            let name = &names[which / 7 % names.len()];
            let v = m.headers.get(name).unwrap().to_string();
            m.headers.insert(name, format!("{v}Z"));
        }
        4 => {
            // the date, one second later
            if header_form {
                let d = m.headers.get("x-amz-date").unwrap().to_string();
                let t = bagroom::time::parse_amz_date(&d).unwrap();
                m.headers.insert("x-amz-date", amz_date(t + 1));
            } else {
                let d = m.query_param("X-Amz-Date").unwrap();
                let t = bagroom::time::parse_amz_date(&d).unwrap();
                m.query = m.query.replace(&format!("X-Amz-Date={d}"), &format!("X-Amz-Date={}", amz_date(t + 1)));
            }
        }
        5 => k[0].1.push('Z'), // wrong secret
        _ => {
            // the payload hash
            if header_form {
                let v = if m.headers.get("x-amz-content-sha256") == Some("UNSIGNED-PAYLOAD") {
                    sha256_hex(b"")
                } else {
                    "UNSIGNED-PAYLOAD".into()
                };
                m.headers.insert("x-amz-content-sha256", v);
            } else {
                m.query.push_str("&X-Amz-Content-Sha256=STREAMING-UNSIGNED-PAYLOAD-TRAILER");
            }
        }
    }
    (m, k)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn header_signed_requests_verify_and_any_mutation_fails(c in case(), which in 0usize..1000) {
        let req = header_signed(&c);
        let v = verify(&req, &keys(&c), &opts());
        let v = v.map_err(|e| TestCaseError::fail(format!("{e} {:?}", e.extra)))?.expect("signed");
        prop_assert_eq!(v.kind, AuthKind::HeaderV4);
        prop_assert_eq!(&v.access_key_id, &c.akid);
        let (m, k) = mutate(&req, &c, which, true);
        prop_assert!(verify(&m, &k, &opts()).is_err(), "mutation {} verified: {:?}", which % 7, m);
    }

    #[test]
    fn presigned_urls_verify_and_any_mutation_fails(c in case(), which in 0usize..1000) {
        let req = query_signed(&c);
        let v = verify(&req, &keys(&c), &opts());
        let v = v.map_err(|e| TestCaseError::fail(format!("{e} {:?}", e.extra)))?.expect("signed");
        prop_assert_eq!(v.kind, AuthKind::QueryV4);
        let (m, k) = mutate(&req, &c, which, false);
        prop_assert!(verify(&m, &k, &opts()).is_err(), "mutation {} verified: {:?}", which % 7, m);
    }

    #[test]
    fn arbitrary_authorization_never_panics(a in "\\PC*", b in ".*", prefix in prop::sample::select(vec![
        "", "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256 Credential=", "AWS4-HMAC-SHA256 Credential=AK/20261123/us-east-1/s3/aws4_request, SignedHeaders=", "AWS ", "AWS4-X ",
    ])) {
        let mut h = Headers::from_pairs([("host", "h"), ("x-amz-date", "20261123T082236Z"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]);
        h.append("authorization", format!("{prefix}{a}"));
        h.append("x-amz-meta-x", b.clone());
        let req = RequestParts::new("GET", &format!("/{b}"), &b, h);
        let k = vec![("AK".to_string(), "s".to_string())];
        let _ = verify(&req, &k, &VerifyOptions { allow_sigv2: true, ..opts() });
    }

    #[test]
    fn arbitrary_query_never_panics(q in "\\PC*", path in "\\PC*", tail in prop::sample::select(vec![
        "", "&X-Amz-Signature=00", "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20261123%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261123T082236Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=",
        "&AWSAccessKeyId=AK&Expires=1900000000&Signature=", "&AWSAccessKeyId=AK&Expires=&Signature=%ZZ",
    ]), raw in prop::collection::vec(any::<u8>(), 0..64)) {
        let query = format!("{q}{tail}{}", String::from_utf8_lossy(&raw));
        let req = RequestParts::new("GET", &path, &query, Headers::from_pairs([("host", "h")]));
        let k = vec![("AK".to_string(), "s".to_string())];
        for allow_sigv2 in [false, true] {
            let _ = verify(&req, &k, &VerifyOptions { allow_sigv2, virtual_host_bucket: Some("bkt"), ..opts() });
        }
    }
}
