//! Properties of the guard: whatever the request (method, bucket, key bytes, sub-resources,
//! headers, body) and whoever sends it (share tokens of any methods, scope, bucket, validity and
//! source; anonymous callers with a public prefix configured; the gateway's access keys), every
//! store request the handlers build from `guard::plan` names only keys that principal may touch
//! with the method the operation table says, carries only signing headers, the gateway's own
//! headers and client headers the table lets that principal pass, and every refusal is an S3
//! error. The oracle (`guard::check::violations`) reads the store requests as a store does.

use std::cell::RefCell;
use std::collections::BTreeMap;

use bagroom::auth::token::{self, Claims, IpNet, Method, Methods, Scope};
use bagroom::auth::verify::{AuthKind, Payload, Verified};
use bagroom::auth::{authenticate, Keys, Principal, TokenSource};
use bagroom::config::valid_new_bucket_name;
use bagroom::config::Config;
use bagroom::guard::check::{
    dispatch_outcome, dispatch_violations, s3_outcome, share_outcome, violations, Asked, Outcome, Sent, FIXTURE_ADMIN, FIXTURE_NON_ADMIN,
};
use bagroom::guard::{rule, Grant, GrantKind, Need, OtherKeys, StoreHeaders, Who};
use bagroom::http::{Headers, RequestParts};
use bagroom::s3::route::{route_with, virtual_host_bucket, Route, S3Op};
use bagroom::sigv4::{sha256_hex, EMPTY_SHA256 as EMPTY};
use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestRunner};

const NOW: u64 = 1_795_422_156;
const CLIENT_IP: &str = "203.0.113.9";
const CASES: u32 = 40_000;

fn config() -> Config {
    bagroom::guard::check::fixture_config("k1:guard-props-secret-0123456789")
}

fn access_key(payload: Payload) -> Principal {
    access_key_as("GWKEY", payload)
}

/// The access keys of the fixture: `GWKEY` and `NSUSER` are no admins of the namespace, `NSADMIN` is.
const ACCESS_KEY_IDS: [&str; 3] = ["GWKEY", FIXTURE_NON_ADMIN.0, FIXTURE_ADMIN.0];

fn access_key_as(id: &str, payload: Payload) -> Principal {
    Principal::AccessKey(Box::new(Verified {
        access_key_id: id.into(),
        kind: AuthKind::HeaderV4,
        expires_at: None,
        payload,
        signed_headers: vec!["host".into(), "x-amz-content-sha256".into(), "x-amz-date".into()],
        amz_date: bagroom::time::amz_date(NOW),
        scope: format!("{}/us-east-1/s3/aws4_request", &bagroom::time::amz_date(NOW)[..8]),
        signature: "0".repeat(64),
        signing_key: [7; 32],
    }))
}

// ------------------------------------------------------------------------ generators

#[derive(Debug, Clone)]
enum Cred {
    /// Built directly (a real signature is `guard_signatures.rs`'s and the fuzz target's business).
    AccessKey {
        sha256_body: bool,
        /// Which of [`ACCESS_KEY_IDS`].
        id: usize,
    },
    Anonymous,
    /// A minted token and where the request carries it: 0 `?token=`, 1 Bearer, 2 cookie, 3 a share link.
    Token {
        claims: Box<Claims>,
        place: u8,
    },
    /// Not a token of ours.
    Garbage {
        place: u8,
    },
}

fn claims() -> impl Strategy<Value = Claims> {
    (
        prop_oneof![2 => Just(127u8), 1 => Just(0b10_0011u8), 2 => 0u8..128],
        prop::sample::select(vec![
            Scope::Prefix("up/".into()),
            Scope::Prefix("up/".into()),
            Scope::Prefix("".into()),
            Scope::Prefix("up".into()),
            Scope::Exact("up/a".into()),
            Scope::Exact("up/src.txt".into()),
            Scope::Prefix("pub/".into()),
        ]),
        prop::sample::select(vec![
            "demo", "demo", "demo", "demo", "demo", "", "other", "vh", "scratch", "scratch", "scratch", "taken", "files", "files",
        ]),
        prop::sample::select(vec![NOW + 3600, NOW + 3600, NOW + 3600, NOW + 3600, NOW + 3600, NOW, NOW - 1]),
        (any::<bool>(), 0u8..12, 0u8..10, 0u8..8, 0u8..12),
    )
        .prop_map(|(methods, scope, bucket, exp, (no_overwrite, nbf, ip, limits, jti))| {
            let mut c = Claims::new("k1", exp, Methods::from_bits(methods).unwrap(), bucket, scope);
            c.no_overwrite = no_overwrite;
            if nbf == 0 {
                c.nbf = NOW + 3600;
            }
            c.ip = match ip {
                0 => Some(IpNet::parse("203.0.113.0/24").unwrap()),
                1 => Some(IpNet::parse("10.0.0.0/8").unwrap()),
                _ => None,
            };
            match limits {
                0 => c.max_bytes = Some(3),
                1 => c.content_types = vec!["text/plain".into()],
                2 => c.content_types = vec!["image/*".into()],
                _ => {}
            }
            c.jti = match jti {
                0 => vec![0xde, 0xad, 1],
                1 => vec![0xde],
                _ => vec![jti, 1, 2, 3],
            };
            c
        })
}

fn cred() -> impl Strategy<Value = Cred> {
    prop_oneof![
        3 => (any::<bool>(), prop::sample::select(vec![0usize, 0, 1, 2, 2])).prop_map(|(sha256_body, id)| Cred::AccessKey { sha256_body, id }),
        2 => Just(Cred::Anonymous),
        6 => (claims(), prop::sample::select(vec![0u8, 0, 0, 1, 1, 1, 2, 3])).prop_map(|(c, place)| Cred::Token { claims: Box::new(c), place }),
        1 => (0u8..4).prop_map(|place| Cred::Garbage { place }),
    ]
}

/// Raw (encoded) key material: plain, and what path tricks are made of.
const ATOMS: &[&str] = &["a", "b.txt", "src.txt", "/", "é", "%C3%A9", "日本", "%20", "+", "%2B", "~", "x", "&", "%26", "%3F"];
const TRICKS: &[&str] = &[".", "..", "%2e", "%2E%2e", "%2F", "\\", "%5C", "%", "%25", "%FF", "%0D", "%00", "/", "//"];
const KEY_STARTS: &[&str] = &["up/", "up/", "up/", "up/", "up", "pub/", "pub/", "private/", "", "up/sub/", "pub", "%75p/", "up%2F"];

fn raw_key() -> impl Strategy<Value = String> {
    (
        prop::sample::select(KEY_STARTS),
        prop::collection::vec(prop_oneof![4 => prop::sample::select(ATOMS), 1 => prop::sample::select(TRICKS)], 1..4),
    )
        .prop_map(|(s, atoms)| format!("{s}{}", atoms.concat()))
}

const QUERY: &[&str] = &[
    "uploads",
    "uploadId=u1",
    "partNumber=1",
    "partNumber=1&uploadId=u1",
    "partNumber=1&uploadId=u1",
    "delete",
    "acl",
    "tagging",
    "attributes",
    "versionId=v1",
    "versionId=",
    "list-type=2",
    "prefix=up/",
    "prefix=",
    "prefix=pub/",
    "prefix=private/",
    "prefix=up",
    "prefix=u",
    "prefix=pub/%2e%2e/",
    "delimiter=/",
    "max-keys=5",
    "max-keys=-1",
    "response-content-type=text/html",
    "location",
    "encoding-type=url",
    "continuation-token=x",
    "start-after=up/a",
    "token=garbage",
    "X-Amz-Signature=00",
    "policy",
    "x-id=PutObject",
    "max-parts=2",
    "part-number-marker=1",
    "key-marker=a",
    "fetch-owner=true",
    "versions",
    "versioning",
    "version-id-marker=v1",
];

fn query() -> impl Strategy<Value = Vec<String>> {
    let item = prop_oneof![8 => prop::sample::select(QUERY).prop_map(str::to_string), 1 => "[a-z-]{1,8}(=[a-z0-9]{0,4})?"];
    prop_oneof![3 => Just(Vec::new()), 2 => prop::collection::vec(item, 1..3)]
}

const HEADERS: &[(&str, &str)] = &[
    ("x-amz-copy-source", "/demo/up/src.txt"),
    ("x-amz-copy-source", "/demo/up/src.txt"),
    ("x-amz-copy-source", "demo/up/src.txt"),
    ("x-amz-copy-source", "/demo/private/secret"),
    ("x-amz-copy-source", "/other/up/a"),
    ("x-amz-copy-source", "/far/up/a"),
    ("x-amz-copy-source", "/nope/up/a"),
    ("x-amz-copy-source", "/demo/up/%2e%2e/private/x"),
    ("x-amz-copy-source", "/demo/up/../private/x"),
    ("x-amz-copy-source", "/demo/up/x?versionId=v2"),
    ("x-amz-copy-source", "/demo/pub/p.txt"),
    ("x-amz-copy-source", "/vh/up/x"),
    ("x-amz-copy-source", "/demo/up/a%3Fb"),
    ("x-amz-copy-source", "/demo/up/x?acl"),
    ("x-amz-copy-source", "/demo/"),
    ("x-amz-copy-source", "/demo/up/x%2F..%2F..%2Fprivate"),
    ("x-amz-copy-source", "/demo/up/a"),
    ("x-amz-copy-source", "/scratch/up/src.txt"),
    ("x-amz-copy-source", "/ns-scratch/up/src.txt"),
    ("x-amz-copy-source", "/taken/up/a"),
    ("x-amz-copy-source", "/files/up/src.txt"),
    ("x-amz-copy-source", "/files/private/secret"),
    ("x-amz-acl", "private"),
    ("x-amz-acl", "public-read"),
    ("x-amz-acl", "bucket-owner-full-control"),
    ("x-amz-grant-read", "uri=http://acs.amazonaws.com/groups/global/AllUsers"),
    ("x-amz-grant-full-control", "id=x"),
    ("x-amz-storage-class", "GLACIER"),
    ("x-amz-tagging", "a=b"),
    ("x-amz-tagging-directive", "REPLACE"),
    ("x-amz-server-side-encryption", "AES256"),
    ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
    ("x-amz-server-side-encryption-customer-key", "a2V5"),
    ("x-amz-copy-source-server-side-encryption-customer-key", "a2V5"),
    ("x-amz-object-lock-mode", "COMPLIANCE"),
    ("x-amz-website-redirect-location", "/evil"),
    ("x-amz-meta-a", "1"),
    ("x-amz-meta-", "empty name"),
    ("content-type", "text/plain"),
    ("content-type", "text/html"),
    ("content-type", "image/png"),
    ("content-type", "bad"),
    ("content-encoding", "gzip"),
    ("content-encoding", "aws-chunked,gzip"),
    ("content-disposition", "attachment"),
    ("range", "bytes=0-1"),
    ("if-none-match", "*"),
    ("if-match", "\"e\""),
    ("if-modified-since", "Sun, 01 Jan 2026 00:00:00 GMT"),
    ("cookie", "bagroom_token=garbage"),
    ("cookie", "other=1"),
    ("authorization", "Bearer garbage"),
    ("authorization", "AWS4-HMAC-SHA256 Credential=GWKEY/20261123/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"),
    ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
    ("x-amz-decoded-content-length", "5"),
    ("x-amz-trailer", "x-amz-checksum-crc32"),
    ("x-amz-date", "20261123T000000Z"),
    ("x-amz-security-token", "client-token"),
    ("x-forwarded-for", "1.2.3.4"),
    ("x-amz-checksum-crc32", "AAAAAA=="),
    ("x-amz-checksum-algorithm", "CRC32"),
    ("content-md5", "bogus"),
    ("x-amz-copy-source-range", "bytes=0-1"),
    ("x-amz-copy-source-range", "bytes=0-100"),
    ("x-amz-metadata-directive", "REPLACE"),
    ("x-amz-copy-source-if-match", "\"e\""),
    ("host", "evil.example"),
    ("host", "vh.s3.gw.test"),
    ("host", "demo.s3.gw.test"),
    ("host", "scratch.s3.gw.test"),
    ("x-amz-unknown", "1"),
    ("X-Amz-Meta-Upper", "2"),
    ("expect", "100-continue"),
    ("accept", "application/json"),
];

/// Headers of well-behaved clients.
const PLAIN_HEADERS: &[(&str, &str)] = &[
    ("x-amz-meta-a", "1"),
    ("content-type", "text/plain"),
    ("content-type", "image/png"),
    ("content-disposition", "attachment"),
    ("range", "bytes=0-1"),
    ("if-none-match", "*"),
    ("if-match", "\"e\""),
    ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ("x-amz-checksum-crc32", "AAAAAA=="),
    ("x-amz-acl", "private"),
    ("x-amz-metadata-directive", "REPLACE"),
    ("x-amz-copy-source-range", "bytes=0-1"),
    ("accept", "application/json"),
    ("cookie", "other=1"),
    ("x-forwarded-for", "1.2.3.4"),
    ("x-amz-unknown", "1"),
];

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let one = prop_oneof![2 => prop::sample::select(PLAIN_HEADERS), 1 => prop::sample::select(HEADERS)];
    (
        prop::collection::vec(one, 0..4),
        prop::sample::select(vec![Some("5"), Some("5"), Some("5"), Some("5"), Some("0"), Some("99999999999"), None]),
    )
        .prop_map(|(h, len)| {
            let mut v: Vec<(String, String)> = h.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            if let Some(n) = len {
                v.push(("content-length".into(), n.into()));
            }
            v
        })
}

/// Requests for each operation (method, does it name a key, sub-resources), and anything at all.
const SHAPES: &[(&str, bool, &[&str])] = &[
    ("GET", true, &[]),
    ("HEAD", true, &[]),
    ("PUT", true, &[]),
    ("PUT", true, &["partNumber=1", "uploadId=u1"]),
    ("POST", true, &["uploads"]),
    ("POST", true, &["uploadId=u1"]),
    ("DELETE", true, &["uploadId=u1"]),
    ("GET", true, &["uploadId=u1"]),
    ("DELETE", true, &[]),
    ("POST", false, &["delete"]),
    ("GET", false, &["list-type=2", "prefix=up/"]),
    ("GET", false, &["list-type=2"]),
    ("GET", false, &[]),
    ("HEAD", false, &[]),
    ("GET", false, &["uploads"]),
    ("GET", false, &["location"]),
    ("PUT", false, &[]),
    ("DELETE", false, &[]),
];
const COPY_SOURCES: &[&str] = &[
    "/demo/up/src.txt",
    "demo/up/src.txt",
    "/demo/up/a",
    "/demo/pub/p.txt",
    "/vh/up/x",
    "/other/up/a",
    "/demo/private/secret",
    "/far/up/a",
    "/scratch/up/src.txt",
    "/scratch/up/a",
    "/taken/up/a",
    "/other-spelling/up/a",
    "/alias/up/a",
    "/ns-scratch/up/a",
    "/files/up/src.txt",
    "/files/private/secret",
    "/files//up/a",
];

fn shape() -> impl Strategy<Value = (&'static str, bool, Vec<String>, Option<&'static str>)> {
    let method = prop::sample::select(vec!["GET", "GET", "HEAD", "PUT", "PUT", "POST", "POST", "DELETE", "OPTIONS", "PATCH"]);
    prop_oneof![
        3 => (prop::sample::select(SHAPES), prop::option::weighted(0.1, prop::sample::select(COPY_SOURCES)))
            .prop_map(|((m, k, q), cs)| (m, k, q.iter().map(|s| s.to_string()).collect(), cs)),
        // copies (CopyObject, UploadPartCopy)
        1 => (any::<bool>(), prop::sample::select(COPY_SOURCES)).prop_map(|(part, cs)| {
            let q = if part { vec!["partNumber=1".to_string(), "uploadId=u1".to_string()] } else { Vec::new() };
            ("PUT", true, q, Some(cs))
        }),
        1 => (method, prop::bool::weighted(0.8)).prop_map(|(m, k)| (m, k, Vec::new(), None)),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    /// Path-style bucket segment (raw), or the bucket of a virtual-hosted request.
    bucket: &'static str,
    virtual_hosted: bool,
    /// `None`: a bucket request (`/<bucket>` or `/<bucket>/`).
    key: Option<String>,
    query: Vec<String>,
    headers: Vec<(String, String)>,
    /// DeleteObjects keys (decoded) with an optional version.
    delete_keys: Vec<(String, Option<String>)>,
    cred: Cred,
    client_ip: bool,
}

/// Bucket names of the namespace's (`scratch`; `taken`, whose store bucket is `alias`'s; names
/// nobody made), and names that are no bucket's at all (or none: ListBuckets).
const NAMESPACE_NAMES: &[&str] =
    &["scratch", "scratch", "scratch", "scratch", "scr%61tch", "taken", "other-spelling", "ns-scratch", "nope"];
const NO_BUCKET_NAMES: &[&str] = &["DEMO", "Scratch", "de%6Do", "s%2Fx", "", ""];

/// Requests to the configured buckets mostly, and to the namespace's and to none.
fn case() -> impl Strategy<Value = Case> {
    case_in(prop_oneof![
        7 => prop::sample::select(vec!["demo", "demo", "demo", "demo", "demo", "demo", "other", "vh", "far", "alias", "files", "files", "files"]),
        2 => prop::sample::select(NAMESPACE_NAMES),
        1 => prop::sample::select(NO_BUCKET_NAMES),
    ])
}

fn case_in(buckets: impl Strategy<Value = &'static str>) -> impl Strategy<Value = Case> {
    (
        shape(),
        buckets,
        prop::bool::weighted(0.15),
        raw_key(),
        query(),
        headers(),
        prop::collection::vec(
            (raw_key().prop_map(|k| bagroom::encoding::percent_decode(&k)), prop::option::weighted(0.2, Just("v1".to_string()))),
            1..4,
        ),
        cred(),
        (prop::bool::weighted(0.8), prop::option::weighted(0.5, any::<bool>())),
    )
        .prop_map(
            |(
                (mut method, mut has_key, mut q, copy_source),
                bucket,
                virtual_hosted,
                mut key,
                extra_q,
                mut headers,
                delete_keys,
                cred,
                (client_ip, reader),
            )| {
                q.extend(extra_q);
                // browsers: the share cookie, share links and anonymous visitors mostly read
                let browser = matches!(cred, Cred::Anonymous | Cred::Token { place: 2 | 3, .. });
                if let (true, Some(head)) = (browser, reader) {
                    method = if head { "HEAD" } else { "GET" };
                    has_key = true;
                    q.clear();
                    if matches!(cred, Cred::Anonymous) && !key.starts_with("pub") {
                        key = format!("pub/{key}");
                    }
                }
                if let Some(cs) = copy_source {
                    headers.push(("x-amz-copy-source".into(), cs.into()));
                }
                Case { method, bucket, virtual_hosted, key: has_key.then_some(key), query: q, headers, delete_keys, cred, client_ip }
            },
        )
}

fn delete_doc(keys: &[(String, Option<String>)]) -> String {
    let mut s = String::from("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (k, v) in keys {
        s.push_str(&format!("<Object><Key>{}</Key>", bagroom::s3::xml::escape(k)));
        if let Some(v) = v {
            s.push_str(&format!("<VersionId>{v}</VersionId>"));
        }
        s.push_str("</Object>");
    }
    s.push_str("</Delete>");
    s
}

const TAGGING_DOC: &str = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>";
const COMPLETE_DOC: &str = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag></Part></CompleteMultipartUpload>";

/// The request a case describes, its body, and the principal to use when it is built directly.
fn request(c: &Case, keys: &token::TokenKeys) -> (RequestParts, Vec<u8>, Option<Principal>) {
    let mut headers: Vec<(String, String)> = c.headers.clone();
    let mut query = c.query.clone();
    let key = c.key.clone().unwrap_or_default();
    let mut path = if c.virtual_hosted {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case("host"));
        headers.push(("host".into(), format!("{}.s3.gw.test", c.bucket)));
        format!("/{key}")
    } else {
        match &c.key {
            Some(k) => format!("/{}/{k}", c.bucket),
            None => format!("/{}", c.bucket),
        }
    };
    let mut direct = None;
    match &c.cred {
        Cred::AccessKey { .. } | Cred::Anonymous => {}
        Cred::Token { claims, place } => {
            let t = token::mint(claims, keys).unwrap();
            match place {
                0 => query.push(format!("token={t}")),
                1 => headers.push(("authorization".into(), format!("Bearer {t}"))),
                2 => headers.push(("cookie".into(), format!("a=1; bagroom_token={t}"))),
                _ => path = format!("/s/{t}{}", c.key.as_ref().map(|k| format!("/{k}")).unwrap_or_default()),
            }
        }
        Cred::Garbage { place } => match place {
            0 => query.push("token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()),
            1 => headers.push(("authorization".into(), "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into())),
            2 => headers.push(("cookie".into(), "bagroom_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into())),
            _ => path = "/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/up/a".into(),
        },
    }
    let has_delete = query.iter().any(|q| q == "delete" || q.starts_with("delete="));
    let has_tagging = query.iter().any(|q| q == "tagging" || q.starts_with("tagging="));
    let body = if has_delete {
        delete_doc(&c.delete_keys)
    } else if has_tagging {
        TAGGING_DOC.to_string()
    } else {
        COMPLETE_DOC.to_string()
    };
    if let Cred::AccessKey { sha256_body, id } = &c.cred {
        let payload = if *sha256_body { Payload::Sha256(sha256_hex(body.as_bytes())) } else { Payload::Unsigned };
        direct = Some(access_key_as(ACCESS_KEY_IDS[*id], payload));
    }
    let parts = RequestParts::new(c.method, &path, &query.join("&"), Headers::from_pairs(headers));
    (parts, body.into_bytes(), direct)
}

#[derive(Debug, Default)]
struct Stats {
    cases: u32,
    s3_known_bucket: u32,
    served: u32,
    served_with_store_requests: u32,
    store_requests: u32,
    served_by: BTreeMap<&'static str, u32>,
    served_ops: BTreeMap<String, u32>,
    denied_codes: BTreeMap<&'static str, u32>,
    /// Requests naming a bucket the namespace's rule would take (not configured, a valid name).
    s3_namespace: u32,
    /// Served on a bucket of the namespace, by principal and operation.
    served_namespace_by: BTreeMap<&'static str, u32>,
    served_namespace_ops: BTreeMap<String, u32>,
    /// ListBuckets answered, with the store's list (admins) or without.
    list_buckets: (u32, u32),
    /// Why share tokens were refused (the first words of the message).
    token_refusals: BTreeMap<String, u32>,
    other_routes: u32,
}

fn principal_label(p: &Principal) -> &'static str {
    match p {
        Principal::AccessKey(_) => "access key",
        Principal::Token(_, _, TokenSource::Cookie) => "token (cookie)",
        Principal::Token(_, _, TokenSource::Path) => "token (share link)",
        Principal::Token(..) => "token",
        Principal::Anonymous => "anonymous",
    }
}

fn record(stats: &mut Stats, p: &Principal, op: &S3Op, out: &Outcome) {
    match out {
        Outcome::Served(s) => {
            stats.served += 1;
            stats.store_requests += s.len() as u32;
            if !s.is_empty() {
                stats.served_with_store_requests += 1;
            }
            *stats.served_by.entry(principal_label(p)).or_default() += 1;
            *stats.served_ops.entry(format!("{op:?}")).or_default() += 1;
        }
        Outcome::Denied(e) => {
            *stats.denied_codes.entry(e.code.as_str()).or_default() += 1;
            if matches!(p, Principal::Token(..)) {
                let why: String = e.message.split(':').next().unwrap_or("").chars().take(48).collect();
                *stats.token_refusals.entry(why).or_default() += 1;
            }
        }
    }
}

fn run_case(cfg: &Config, keys: &Keys, c: &Case, stats: &mut Stats) -> Result<(), TestCaseError> {
    stats.cases += 1;
    let (parts, body, direct) = request(c, &keys.token_keys);
    let vb = virtual_host_bucket(&parts, cfg.virtual_host.as_deref());
    let client_ip = c.client_ip.then_some(CLIENT_IP);
    let minted = match &c.cred {
        Cred::Token { claims, .. } => Some(claims.as_ref().clone()),
        _ => None,
    };
    let authenticated = |path_token: Option<&str>, virtual_bucket: Option<&str>| -> Result<Option<Principal>, TestCaseError> {
        let p = match (&direct, path_token) {
            (Some(p), None) => p.clone(),
            _ => match authenticate(&parts, cfg, keys, path_token, virtual_bucket, NOW) {
                Ok(p) => p,
                Err(e) => {
                    prop_assert!((400..600).contains(&e.status) && !e.code.is_empty(), "authentication error {e:?}");
                    return Ok(None);
                }
            },
        };
        if let Principal::Token(claims, _, _) = &p {
            // only our own tokens authenticate, and they say what they were minted to say
            prop_assert_eq!(Some(claims.as_ref()), minted.as_ref());
        }
        Ok(Some(p))
    };
    match route_with(&parts, vb.as_deref()) {
        Route::S3 { op, bucket, key } => {
            // a name that stands for a bucket: configured, or one the namespace's rule takes
            let configured = cfg.bucket(&bucket).is_some();
            let known = configured || (op != S3Op::ListBuckets && valid_new_bucket_name(&bucket));
            if configured {
                stats.s3_known_bucket += 1;
            } else if known {
                stats.s3_namespace += 1;
            }
            let Some(principal) = authenticated(None, vb.as_deref())? else {
                *stats.denied_codes.entry("(authentication)").or_default() += 1;
                return Ok(());
            };
            let who = Who { principal: &principal, revoked: &keys.revoked, client_ip, now: NOW };
            let (out, resolved) = dispatch_outcome(cfg, &who, &parts, &op, &bucket, &key, &body);
            let v = dispatch_violations(cfg, &who, &parts, &op, &bucket, &key, &body, resolved.as_ref(), &out);
            prop_assert!(v.is_empty(), "violations: {v:#?}\nrequest: {parts:#?}\nprincipal: {principal:#?}\nop: {op:?} bucket {bucket:?} key {key:?}\noutcome: {out:#?}");
            if op == S3Op::ListBuckets {
                if out.is_served() {
                    if out.sent().is_empty() {
                        stats.list_buckets.1 += 1;
                    } else {
                        stats.list_buckets.0 += 1;
                    }
                }
                return Ok(());
            }
            if !known {
                prop_assert!(!out.is_served(), "served a name that stands for no bucket: {out:?}");
                return Ok(());
            }
            if resolved.as_ref().is_some_and(|r| r.bucket().in_namespace) {
                if out.is_served() {
                    *stats.served_namespace_by.entry(principal_label(&principal)).or_default() += 1;
                    *stats.served_namespace_ops.entry(format!("{op:?}")).or_default() += 1;
                }
                return Ok(());
            }
            if !configured {
                prop_assert!(!out.is_served(), "served a name that resolved to no bucket: {out:?}");
                return Ok(());
            }
            record(stats, &principal, &op, &out);
        }
        Route::Share { token, key } => {
            stats.s3_known_bucket += 1;
            let Some(principal) = authenticated(Some(&token), None)? else {
                *stats.denied_codes.entry("(authentication)").or_default() += 1;
                return Ok(());
            };
            let who = Who { principal: &principal, revoked: &keys.revoked, client_ip, now: NOW };
            let (out, asked_for) = share_outcome(cfg, &who, &parts, key);
            let op = if parts.method == "HEAD" { S3Op::HeadObject } else { S3Op::GetObject };
            match asked_for {
                Some((b, key)) => {
                    if b.bucket().in_namespace && out.is_served() {
                        *stats.served_namespace_by.entry("token (share link)").or_default() += 1;
                    }
                    let asked = Asked { op: &op, bucket: b.bucket(), key: &key, body: &body };
                    let v = violations(cfg, &who, &parts, &asked, &out);
                    prop_assert!(v.is_empty(), "violations: {v:#?}\nrequest: {parts:#?}\nprincipal: {principal:#?}\noutcome: {out:#?}");
                }
                None => prop_assert!(!out.is_served(), "a share link served without a bucket and key: {out:?}"),
            }
            record(stats, &principal, &op, &out);
        }
        _ => stats.other_routes += 1,
    }
    Ok(())
}

/// Run `cases` cases of `strategy` through the shell's model and the oracle; the statistics.
fn run_property(strategy: impl Strategy<Value = Case>, cases: u32) -> Stats {
    let cfg = config();
    let keys = Keys::from_config(&cfg).unwrap();
    let stats = RefCell::new(Stats::default());
    let mut runner = TestRunner::new(PropConfig { cases, failure_persistence: None, ..PropConfig::default() });
    let result = runner.run(&strategy, |c| run_case(&cfg, &keys, &c, &mut stats.borrow_mut()));
    let s = stats.into_inner();
    if let Err(e) = result {
        panic!("{e}\n{s:#?}");
    }
    s
}

#[test]
fn every_store_request_on_a_namespace_bucket_stays_within_the_principals_rights() {
    let s = run_property(case_in(prop::sample::select(NAMESPACE_NAMES)), CASES);
    eprintln!("{:#?}\n{:#?}", s.served_namespace_by, s.served_namespace_ops);
    // the namespace's buckets are served, to its admin and to tokens naming them (share links
    // too), across the operations; everyone else is refused (the oracle checks each)
    for (who, least) in [("access key", 300), ("token", 30), ("token (share link)", 20)] {
        assert!(s.served_namespace_by.get(who).copied().unwrap_or(0) >= least, "{who}: {s:#?}");
    }
    for op in [
        "CreateBucket",
        "DeleteBucket",
        "HeadBucket",
        "GetObject",
        "PutObject",
        "CopyObject",
        "UploadPartCopy",
        "CreateMultipartUpload",
        "DeleteObjects",
        "ListObjects",
    ] {
        assert!(s.served_namespace_ops.get(op).copied().unwrap_or(0) >= 20, "{op} served too rarely on the namespace: {s:#?}");
    }
    assert!(s.denied_codes.get("AccessDenied").copied().unwrap_or(0) >= 1000, "{s:#?}");
}

#[test]
fn every_store_request_stays_within_the_principals_rights() {
    let s = run_property(case(), CASES);
    // the generator is no trivially-denied one: a good share of requests is served, by every
    // kind of principal, across the operations that name keys
    let served = s.served as f64 / s.s3_known_bucket.max(1) as f64;
    let with_store = s.served_with_store_requests as f64 / s.s3_known_bucket.max(1) as f64;
    eprintln!("{s:#?}\nserved {:.1}% of S3 requests to a known bucket ({:.1}% with store requests)", served * 100.0, with_store * 100.0);
    assert!(s.s3_known_bucket as f64 >= 0.6 * s.cases as f64, "{s:#?}");
    assert!(served >= 0.2, "served {served}: {s:#?}");
    assert!(with_store >= 0.15, "{s:#?}");
    for who in ["access key", "token", "token (cookie)", "token (share link)", "anonymous"] {
        // (each kind is a few percent of the cases: 40,000 cases give each about 40 to 300)
        assert!(s.served_by.get(who).copied().unwrap_or(0) >= 15, "{who}: {s:#?}");
    }
    // ListBuckets: with the store's list (the namespace's admin) and without (other access keys)
    assert!(s.list_buckets.0 >= 20 && s.list_buckets.1 >= 20, "{s:#?}");
    for op in [
        "GetObject",
        "HeadObject",
        "PutObject",
        "CopyObject",
        "UploadPart",
        "UploadPartCopy",
        "CreateMultipartUpload",
        "CompleteMultipartUpload",
        "DeleteObject",
        "DeleteObjects",
        "ListObjects",
        "ListParts",
        "AbortMultipartUpload",
    ] {
        assert!(s.served_ops.get(op).copied().unwrap_or(0) >= 40, "{op} served too rarely: {s:#?}");
    }
}

// ------------------------------------------------------------- the table, restated

/// The method each operation needs on its key, as `docs/security.md` states it.
fn expected_need(op: &S3Op) -> Need {
    match op {
        S3Op::GetObject => Need::Key(Method::Get),
        S3Op::HeadObject => Need::Key(Method::Head),
        S3Op::PutObject
        | S3Op::CopyObject
        | S3Op::CreateMultipartUpload
        | S3Op::UploadPart
        | S3Op::UploadPartCopy
        | S3Op::CompleteMultipartUpload
        | S3Op::AbortMultipartUpload
        | S3Op::ListParts => Need::Key(Method::Put),
        S3Op::DeleteObject => Need::Key(Method::Delete),
        // the form's key, PUT, for the access key that signed its policy
        S3Op::PostObject => Need::FormPolicy(Method::Put),
        S3Op::DeleteObjects => Need::AnyKey(Method::Delete),
        S3Op::ListObjects | S3Op::ListObjectVersions => Need::ListPrefix,
        S3Op::HeadBucket | S3Op::GetBucketLocation | S3Op::GetBucketVersioning => Need::BucketScope,
        S3Op::ListBuckets | S3Op::ListMultipartUploads | S3Op::GetBucketAcl => Need::AccessKey,
        S3Op::GetObjectTagging | S3Op::GetObjectAttributes | S3Op::GetObjectAcl => Need::Key(Method::Get),
        // tags are store attributes: never a share token's
        S3Op::PutObjectTagging | S3Op::DeleteObjectTagging => Need::AccessKeyOn(Method::Put),
        S3Op::PutObjectAcl | S3Op::PutBucketAcl => Need::Denied(bagroom::guard::table::ACL_WRITE_REFUSED),
        S3Op::PutBucketVersioning => Need::Denied(bagroom::guard::table::VERSIONING_WRITE_REFUSED),
        // a namespace bucket, by its admins
        S3Op::CreateBucket | S3Op::DeleteBucket => Need::BucketAdmin,
        S3Op::Unsupported(_) => Need::Refused,
    }
}

#[test]
fn the_operation_table_says_what_the_threat_model_says() {
    let ops = [
        S3Op::ListBuckets,
        S3Op::CreateBucket,
        S3Op::DeleteBucket,
        S3Op::HeadBucket,
        S3Op::ListObjects,
        S3Op::ListMultipartUploads,
        S3Op::GetBucketLocation,
        S3Op::DeleteObjects,
        S3Op::GetObject,
        S3Op::HeadObject,
        S3Op::PutObject,
        S3Op::PostObject,
        S3Op::CopyObject,
        S3Op::DeleteObject,
        S3Op::CreateMultipartUpload,
        S3Op::UploadPart,
        S3Op::UploadPartCopy,
        S3Op::CompleteMultipartUpload,
        S3Op::AbortMultipartUpload,
        S3Op::ListParts,
        S3Op::GetObjectTagging,
        S3Op::PutObjectTagging,
        S3Op::DeleteObjectTagging,
        S3Op::GetObjectAttributes,
        S3Op::GetObjectAcl,
        S3Op::PutObjectAcl,
        S3Op::GetBucketAcl,
        S3Op::PutBucketAcl,
        S3Op::GetBucketVersioning,
        S3Op::PutBucketVersioning,
        S3Op::ListObjectVersions,
        S3Op::Unsupported("acl".into()),
    ];
    for op in &ops {
        let r = rule(op);
        assert_eq!(r.need, expected_need(op), "{op:?}");
        let other = match op {
            S3Op::CopyObject | S3Op::UploadPartCopy => OtherKeys::CopySource,
            S3Op::DeleteObjects => OtherKeys::BodyKeys(Method::Delete),
            _ => OtherKeys::None,
        };
        assert_eq!(r.other_keys, other, "{op:?}");
    }
}

// ------------------------------------------------------------- the oracle is not blind

fn token_principal(scope: &str) -> Principal {
    let c = Claims::new("k1", NOW + 3600, Methods::ALL, "demo", Scope::Prefix(scope.into()));
    Principal::Token(Box::new(c), "t".into(), TokenSource::Query)
}

fn check(cfg: &Config, p: &Principal, parts: &RequestParts, op: S3Op, key: &str, body: &[u8], sent: Vec<Sent>) -> Vec<String> {
    let who = Who { principal: p, revoked: &[], client_ip: None, now: NOW };
    let asked = Asked { op: &op, bucket: cfg.bucket("demo").unwrap(), key, body };
    violations(cfg, &who, parts, &asked, &Outcome::Served(sent))
}

fn sent(req: bagroom::store::StoreRequest) -> Sent {
    Sent { req, body: None }
}

#[test]
fn the_oracle_sees_keys_headers_and_documents_outside_the_rights() {
    let cfg = config();
    let demo = cfg.bucket("demo").unwrap();
    let p = token_principal("up/");
    let none = StoreHeaders::none();
    let get = RequestParts::from_target("GET", "/demo/up/a", Headers::new());

    // a correct read passes
    let ok = Grant::maintenance(demo, "up/a", GrantKind::Read);
    let r = bagroom::store::object_read(&ok, "GET", None, &none, NOW).unwrap();
    assert_eq!(check(&cfg, &p, &get, S3Op::GetObject, "up/a", b"", vec![sent(r)]), Vec::<String>::new());

    // another key than the client's, outside the scope
    let forged = Grant::maintenance(demo, "private/x", GrantKind::Read);
    let r = bagroom::store::object_read(&forged, "GET", None, &none, NOW).unwrap();
    assert!(!check(&cfg, &p, &get, S3Op::GetObject, "up/a", b"", vec![sent(r)]).is_empty());

    // a dot segment a URL normaliser would resolve
    let dots = Grant::maintenance(demo, "up/../private/x", GrantKind::Read);
    let r = bagroom::store::object_read(&dots, "GET", None, &none, NOW).unwrap();
    let req = RequestParts::from_target("GET", "/demo/up/../private/x", Headers::new());
    let v = check(&cfg, &p, &req, S3Op::GetObject, "up/../private/x", b"", vec![sent(r)]);
    assert!(v.iter().any(|m| m.contains("normaliser")) && v.iter().any(|m| m.contains("not allowed")), "{v:?}");

    // a header no client may set, and a client header the operation does not pass
    let mut h = StoreHeaders::none();
    h.set("x-amz-acl", "public-read");
    h.set("x-amz-storage-class", "GLACIER");
    let w = Grant::maintenance(demo, "up/a", GrantKind::Write);
    let put = RequestParts::from_target("PUT", "/demo/up/a", Headers::from_pairs([("content-length", "5")]));
    let r = bagroom::store::build(&w, "PUT", &[], &h, bagroom::sigv4::UNSIGNED_PAYLOAD, NOW).unwrap();
    let v = check(&cfg, &p, &put, S3Op::PutObject, "up/a", b"", vec![sent(r)]);
    assert!(v.iter().any(|m| m.contains("x-amz-acl")) && v.iter().any(|m| m.contains("x-amz-storage-class")), "{v:?}");
    let mut h = StoreHeaders::none();
    h.set("range", "bytes=0-1");
    let r = bagroom::store::build(&w, "PUT", &[], &h, bagroom::sigv4::UNSIGNED_PAYLOAD, NOW).unwrap();
    let put_range = RequestParts::from_target("PUT", "/demo/up/a", Headers::from_pairs([("range", "bytes=0-1")]));
    assert!(!check(&cfg, &p, &put_range, S3Op::PutObject, "up/a", b"", vec![sent(r)]).is_empty());

    // a copy from a source the principal may not read
    let src = Grant::maintenance(demo, "private/secret", GrantKind::Read);
    let copy = RequestParts::from_target("PUT", "/demo/up/a", Headers::from_pairs([("x-amz-copy-source", "/demo/up/src.txt")]));
    let r = bagroom::store::copy(&w, &src, None, &[], &none, NOW).unwrap();
    let v = check(&cfg, &p, &copy, S3Op::CopyObject, "up/a", b"", vec![sent(r)]);
    assert!(v.iter().any(|m| m.contains("x-amz-copy-source")), "{v:?}");

    // a DeleteObjects document with a key the client did not name, outside the scope
    let asked = delete_doc(&[("up/a".into(), None)]);
    let d = |k: &str| (Grant::maintenance(demo, k, GrantKind::Delete), None);
    let (r, doc) = bagroom::store::delete_objects(&[d("up/a"), d("private/x")], NOW).unwrap();
    let del = RequestParts::from_target("POST", "/demo?delete", Headers::new());
    let v = check(&cfg, &p, &del, S3Op::DeleteObjects, "", asked.as_bytes(), vec![Sent { req: r, body: Some(doc) }]);
    assert!(v.iter().any(|m| m.contains("did not name")) && v.iter().any(|m| m.contains("without DELETE")), "{v:?}");

    // a listing wider than the scope, and a bucket-wide listing for a token
    let l = Grant::maintenance(demo, "", GrantKind::List);
    let r = bagroom::store::build(&l, "GET", &[("prefix".into(), "".into())], &none, bagroom::sigv4::EMPTY_SHA256, NOW).unwrap();
    let list = RequestParts::from_target("GET", "/demo?prefix=", Headers::new());
    assert!(!check(&cfg, &p, &list, S3Op::ListObjects, "", b"", vec![sent(r)]).is_empty());
    let bkt = Grant::maintenance(demo, "", GrantKind::Bucket);
    let r = bagroom::store::build(&bkt, "GET", &[("uploads".into(), "".into())], &none, bagroom::sigv4::EMPTY_SHA256, NOW).unwrap();
    assert!(!check(&cfg, &p, &list, S3Op::ListObjects, "", b"", vec![sent(r)]).is_empty());

    // and a served refusal-worthy request is one
    let acl = RequestParts::from_target("GET", "/demo/up/a", Headers::from_pairs([("x-amz-grant-read", "x")]));
    let r = bagroom::store::object_read(&ok, "GET", None, &none, NOW).unwrap();
    assert!(!check(&cfg, &p, &acl, S3Op::GetObject, "up/a", b"", vec![sent(r)]).is_empty());

    // a tag write for a share token (even on its own key, with PUT there), a tag read of a key
    // outside the scope, a bucket ACL read for a token
    let tagging = [("tagging".to_string(), String::new())];
    let r = bagroom::store::build(&w, "PUT", &tagging, &none, bagroom::sigv4::EMPTY_SHA256, NOW).unwrap();
    let put_tags = RequestParts::from_target("PUT", "/demo/up/a?tagging", Headers::new());
    let v = check(&cfg, &p, &put_tags, S3Op::PutObjectTagging, "up/a", b"", vec![sent(r.clone())]);
    assert!(v.iter().any(|m| m.contains("no access key")) && v.iter().any(|m| m.contains("tag write")), "{v:?}");
    // the same store request under another operation's name is still a tag write
    let v = check(&cfg, &p, &put, S3Op::PutObject, "up/a", b"", vec![sent(r)]);
    assert!(v.iter().any(|m| m.contains("tag write")), "{v:?}");
    let r = bagroom::store::build(&forged, "GET", &tagging, &none, bagroom::sigv4::EMPTY_SHA256, NOW).unwrap();
    let get_tags = RequestParts::from_target("GET", "/demo/up/a?tagging", Headers::new());
    assert!(!check(&cfg, &p, &get_tags, S3Op::GetObjectTagging, "up/a", b"", vec![sent(r)]).is_empty());
    let r = bagroom::store::build(&bkt, "GET", &[("acl".into(), "".into())], &none, bagroom::sigv4::EMPTY_SHA256, NOW).unwrap();
    let bucket_acl = RequestParts::from_target("GET", "/demo?acl", Headers::new());
    assert!(!check(&cfg, &p, &bucket_acl, S3Op::GetBucketAcl, "", b"", vec![sent(r)]).is_empty());
}

#[test]
fn tags_are_an_access_keys_to_write_and_acls_nobodys() {
    let cfg = config();
    let demo = cfg.bucket("demo").unwrap();
    let token = token_principal("up/");
    let ak = access_key(Payload::Unsigned);
    let outcome = |p: &Principal, method: &str, target: &str, op: S3Op, key: &str, body: &[u8]| {
        let parts = RequestParts::from_target(method, target, Headers::new());
        let who = Who { principal: p, revoked: &[], client_ip: None, now: NOW };
        let asked = Asked { op: &op, bucket: demo, key, body };
        let out = s3_outcome(&cfg, &who, &parts, &asked);
        assert!(violations(&cfg, &who, &parts, &asked, &out).is_empty(), "{out:?}");
        out
    };
    let doc = TAGGING_DOC.as_bytes();
    let denied = |o: Outcome| match o {
        Outcome::Denied(e) => (e.status, e.code.to_string(), e.message),
        o => panic!("served: {o:?}"),
    };
    // a token with every method, on its own key: tags are store attributes
    for (m, op) in [("PUT", S3Op::PutObjectTagging), ("DELETE", S3Op::DeleteObjectTagging)] {
        let (status, code, msg) = denied(outcome(&token, m, "/demo/up/a?tagging", op.clone(), "up/a", doc));
        assert_eq!((status, code.as_str()), (403, "AccessDenied"), "{op:?}");
        assert!(msg.contains("access keys"), "{msg}");
        let out = outcome(&ak, m, "/demo/up/a?tagging&versionId=v1", op.clone(), "up/a", doc);
        let sent = out.sent();
        assert_eq!(sent.len(), 1, "{op:?}");
        assert!(sent[0].req.url.ends_with("/demo/up/a?tagging=&versionId=v1"), "{}", sent[0].req.url);
    }
    // the store gets the document written from the checked tags, with its MD5
    let out = outcome(&ak, "PUT", "/demo/up/a?tagging", S3Op::PutObjectTagging, "up/a", doc);
    let s = &out.sent()[0];
    assert!(s.body.as_deref().unwrap().contains("<Key>a</Key><Value>1</Value>"));
    assert!(s.req.headers.iter().any(|(k, _)| k == "content-md5"));
    let eleven: String = (0..11).map(|i| format!("<Tag><Key>k{i}</Key><Value>v</Value></Tag>")).collect();
    let eleven = format!("<Tagging><TagSet>{eleven}</TagSet></Tagging>");
    let (_, code, _) = denied(outcome(&ak, "PUT", "/demo/up/a?tagging", S3Op::PutObjectTagging, "up/a", eleven.as_bytes()));
    assert_eq!(code, "BadRequest");
    // reads need GET on the key
    for op in [S3Op::GetObjectTagging, S3Op::GetObjectAttributes, S3Op::GetObjectAcl] {
        assert_eq!(outcome(&token, "GET", "/demo/up/a", op.clone(), "up/a", b"").sent().len(), 1, "{op:?}");
        assert_eq!(denied(outcome(&token, "GET", "/demo/private/a", op.clone(), "private/a", b"")).0, 403, "{op:?}");
    }
    // the bucket ACL is an access key's; ACL writes are nobody's (403, not 501)
    assert_eq!(outcome(&ak, "GET", "/demo?acl", S3Op::GetBucketAcl, "", b"").sent().len(), 1);
    assert_eq!(denied(outcome(&token, "GET", "/demo?acl", S3Op::GetBucketAcl, "", b"")).0, 403);
    for (target, op, key) in [("/demo/up/a?acl", S3Op::PutObjectAcl, "up/a"), ("/demo?acl", S3Op::PutBucketAcl, "")] {
        for p in [&ak, &token] {
            let (status, code, msg) = denied(outcome(p, "PUT", target, op.clone(), key, b""));
            assert_eq!((status, code.as_str()), (403, "AccessDenied"), "{op:?}");
            assert!(msg.contains("private"), "{msg}");
        }
    }
}

// ------------------------------------------------------------- the namespace, attacked

fn form_body(fields: &[(String, String)]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(format!("--BB\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    b.extend_from_slice(b"--BB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\nhello\r\n--BB--\r\n");
    b
}

#[test]
fn the_oracle_knows_who_reaches_the_namespace() {
    use bagroom::guard::namespace::resolve;
    use bagroom::sigv4::post_policy::{post_form, PostPolicy};
    let cfg = config();
    let ns = cfg.namespace.as_ref().unwrap();
    let scratch = ns.bucket("scratch");
    let none = StoreHeaders::none();
    let admin = access_key_as(FIXTURE_ADMIN.0, Payload::Unsigned);
    let other = access_key_as(FIXTURE_NON_ADMIN.0, Payload::Unsigned);
    let tok = Principal::Token(
        Box::new(Claims::new("k1", NOW + 3600, Methods::ALL, "scratch", Scope::Prefix("up/".into()))),
        "t".into(),
        TokenSource::Query,
    );
    fn who(p: &Principal) -> Who<'_> {
        Who { principal: p, revoked: &[], client_ip: None, now: NOW }
    }
    fn asked<'a>(op: &'a S3Op, bucket: &'a bagroom::config::BucketConfig, key: &'a str, body: &'a [u8]) -> Asked<'a> {
        Asked { op, bucket, key, body }
    }
    let gw = access_key(Payload::Unsigned);
    let get = RequestParts::from_target("GET", "/scratch/up/a", Headers::new());
    let r = bagroom::store::object_read(&Grant::maintenance(&scratch, "up/a", GrantKind::Read), "GET", None, &none, NOW).unwrap();
    let served = Outcome::Served(vec![sent(r)]);
    // the admin and a token naming the bucket read it; a non-admin access key does not
    for (p, ok) in [(&admin, true), (&tok, true), (&other, false), (&gw, false), (&Principal::Anonymous, false)] {
        let v = violations(&cfg, &who(p), &get, &asked(&S3Op::GetObject, &scratch, "up/a", b""), &served);
        assert_eq!(v.is_empty(), ok, "{p:?}: {v:?}");
    }
    // a token for any bucket names no namespace bucket
    let any = Principal::Token(
        Box::new(Claims::new("k1", NOW + 3600, Methods::ALL, "", Scope::Prefix("".into()))),
        "t".into(),
        TokenSource::Query,
    );
    assert!(!violations(&cfg, &who(&any), &get, &asked(&S3Op::GetObject, &scratch, "up/a", b""), &served).is_empty());
    // a namespace bucket the rule does not make: `taken` is `alias`'s store bucket, even for the admin
    let taken = ns.bucket("taken");
    let r = bagroom::store::object_read(&Grant::maintenance(&taken, "up/a", GrantKind::Read), "GET", None, &none, NOW).unwrap();
    let get_taken = RequestParts::from_target("GET", "/taken/up/a", Headers::new());
    let v = violations(&cfg, &who(&admin), &get_taken, &asked(&S3Op::GetObject, &taken, "up/a", b""), &Outcome::Served(vec![sent(r)]));
    assert!(v.iter().any(|m| m.contains("rule does not make")), "{v:?}");
    assert_eq!(resolve(&cfg, &admin, "taken", &S3Op::GetObject).unwrap_err().code, "AccessDenied");

    // CreateBucket / DeleteBucket: the admin's; never a token's, even naming the bucket
    let put = RequestParts::from_target("PUT", "/scratch", Headers::new());
    let r = bagroom::store::build(&Grant::maintenance(&scratch, "", GrantKind::BucketAdmin), "PUT", &[], &none, EMPTY, NOW).unwrap();
    let create = Outcome::Served(vec![sent(r)]);
    assert_eq!(violations(&cfg, &who(&admin), &put, &asked(&S3Op::CreateBucket, &scratch, "", b""), &create), Vec::<String>::new());
    assert!(!violations(&cfg, &who(&tok), &put, &asked(&S3Op::CreateBucket, &scratch, "", b""), &create).is_empty());
    // ... and a CreateBucket sent for another operation is one too
    assert!(!violations(&cfg, &who(&admin), &put, &asked(&S3Op::PutObject, &scratch, "", b""), &create).is_empty());

    // a copy from another namespace bucket than the destination: no source the gateway names
    let elsewhere = ns.bucket("elsewhere");
    let src = Grant::maintenance(&elsewhere, "up/src.txt", GrantKind::Read);
    let w = Grant::maintenance(&scratch, "up/a", GrantKind::Write);
    let copy = RequestParts::from_target("PUT", "/scratch/up/a", Headers::from_pairs([("x-amz-copy-source", "/elsewhere/up/src.txt")]));
    let r = bagroom::store::copy(&w, &src, None, &[], &none, NOW).unwrap();
    let v = violations(&cfg, &who(&admin), &copy, &asked(&S3Op::CopyObject, &scratch, "up/a", b""), &Outcome::Served(vec![sent(r)]));
    assert!(!v.is_empty(), "{v:?}");
    // from the destination itself: fine
    let copy = RequestParts::from_target("PUT", "/scratch/up/a", Headers::from_pairs([("x-amz-copy-source", "/scratch/up/src.txt")]));
    let src = Grant::maintenance(&scratch, "up/src.txt", GrantKind::Read);
    let r = bagroom::store::copy(&w, &src, None, &[], &none, NOW).unwrap();
    let v = violations(&cfg, &who(&admin), &copy, &asked(&S3Op::CopyObject, &scratch, "up/a", b""), &Outcome::Served(vec![sent(r)]));
    assert_eq!(v, Vec::<String>::new());

    // ListBuckets: the store's list for the admin only
    let root = Grant::maintenance(&ns.store, "", GrantKind::StoreBuckets);
    let r = bagroom::store::build(&root, "GET", &[], &none, EMPTY, NOW).unwrap();
    let lb = RequestParts::from_target("GET", "/", Headers::new());
    let listed = Outcome::Served(vec![sent(r)]);
    let lv = |p: &Principal| dispatch_violations(&cfg, &who(p), &lb, &S3Op::ListBuckets, "", "", b"", None, &listed);
    assert_eq!(lv(&admin), Vec::<String>::new());
    assert!(!lv(&other).is_empty() && !lv(&tok).is_empty());

    // a POST form signed by a non-admin key, posted with a token naming the bucket: the name
    // resolves for the token, the form is the signer's, who does not reach the namespace
    let form = |id: &str, secret: &str| {
        let policy =
            PostPolicy { bucket: "scratch".into(), key_starts_with: Some("up/".into()), expires_at: NOW + 60, ..Default::default() };
        form_body(&post_form(&policy, "http://gw/scratch", &bagroom::sigv4::Credentials::new(id, secret), "us-east-1", NOW).fields)
    };
    let post = RequestParts::from_target("POST", "/scratch", Headers::from_pairs([("content-type", "multipart/form-data; boundary=BB")]));
    let body = form(FIXTURE_NON_ADMIN.0, FIXTURE_NON_ADMIN.1);
    let w = Grant::maintenance(&scratch, "up/f.txt", GrantKind::Write);
    let mut h = StoreHeaders::none();
    h.set("content-length", "5");
    let r = bagroom::store::build(&w, "PUT", &[], &h, &sha256_hex(b"hello"), NOW).unwrap();
    let v = violations(&cfg, &who(&tok), &post, &asked(&S3Op::PostObject, &scratch, "", &body), &Outcome::Served(vec![sent(r.clone())]));
    assert!(v.iter().any(|m| m.contains("does not reach")), "{v:?}");
    let (out, resolved) = dispatch_outcome(&cfg, &who(&tok), &post, &S3Op::PostObject, "scratch", "", &body);
    assert!(matches!(&out, Outcome::Denied(e) if e.code == "AccessDenied"), "{out:?}");
    assert!(resolved.is_some(), "the name resolved for the token");
    // the admin's form, posted the same way, is served and passes
    let body = form(FIXTURE_ADMIN.0, FIXTURE_ADMIN.1);
    let (out, resolved) = dispatch_outcome(&cfg, &who(&tok), &post, &S3Op::PostObject, "scratch", "", &body);
    assert_eq!(out.sent().len(), 1, "{out:?}");
    let v = dispatch_violations(&cfg, &who(&tok), &post, &S3Op::PostObject, "scratch", "", &body, resolved.as_ref(), &out);
    assert_eq!(v, Vec::<String>::new());
}
