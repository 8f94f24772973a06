//! Structured access logs: one JSON line per request, written by the fetch entry through
//! `console.log` (Workers Logs keeps it, `wrangler tail` shows it, `bagroom-report` reads it).
//!
//! The shell only collects facts as the request goes ([`RequestFacts`]: the route, the verified
//! principal, each store round trip) and the answer's status and headers; everything a line says
//! is decided here. A line names a credential by its kind and its public id (an access key id, a
//! token's id in hex), never by the token, a signature or a secret; it holds no URL and no query
//! (share links and `?token=` carry tokens there), only the routed bucket and key.
//!
//! ```json
//! {"log":"bagroom.access","time":"2026-11-25T12:33:50.479Z","request_id":"3F2A...","method":"GET",
//!  "operation":"GetObject","bucket":"demo","key":"cats/tabby.jpg","status":200,"bytes_sent":52344,
//!  "store_bytes":0,"store_requests":0,"cache":"HIT","credential":"token","credential_id":"a1b2c3d4e5f60718",
//!  "error":null,"store_ms":0,"total_ms":3}
//! ```

pub mod report;

use crate::auth::token::Scope;
use crate::auth::verified::AuthKind;
use crate::auth::{find_token, Principal, TokenSource};
use crate::http::RequestParts;
use crate::s3::route::{Route, S3Op};
use serde::{Deserialize, Serialize};

/// Every access line's `log` field: how readers tell them from other console output.
pub const LOG_NAME: &str = "bagroom.access";

/// The longest key a line carries (S3 keys are at most 1024 bytes); longer keys are cut.
pub const MAX_KEY_BYTES: usize = 1024;

/// What kind of credential a request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// One of the gateway's access keys (SigV4 or SigV2, header or presigned).
    AccessKey,
    /// A share token (path, `?token=`, `Authorization: Bearer`).
    Token,
    /// The share cookie a share link sets (a token, ambient).
    Cookie,
    /// A POST Object form signed by an access key.
    Form,
    /// No credential.
    #[default]
    Anonymous,
}

/// One access line.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessRecord {
    /// RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The `x-amz-request-id` of the answer.
    pub request_id: String,
    pub method: String,
    /// The S3 operation (`GetObject`, `PutObject`, ...) or the route (`Share`, `Health`,
    /// `Api:presign`, `Uppy:SignPart`, `Preflight`, `Static`, `NotFound`).
    pub operation: String,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub status: u16,
    /// Body bytes of the answer (its length; 0 for HEAD and 304), `None` when unknown (a stream
    /// without a length).
    pub bytes_sent: Option<u64>,
    /// Body bytes the store declared in its answers (`Content-Length`; 0 for HEAD and 304).
    pub store_bytes: u64,
    /// Round trips to the store made while answering (background cache fills excluded).
    pub store_requests: u32,
    /// The answer's `x-bagroom-cache` (`HIT`, `REVALIDATED`, `STALE`, `MISS`, `BYPASS`), if any.
    pub cache: Option<String>,
    pub credential: CredentialKind,
    /// The access key id or the token id (hex) once verified; never a secret.
    pub credential_id: Option<String>,
    /// The S3 error code of an error answer.
    pub error: Option<String>,
    /// Time spent waiting for the store's answer heads, summed over the round trips.
    pub store_ms: u64,
    /// From the request's arrival to the answer's head.
    pub total_ms: u64,
}

impl CredentialKind {
    /// Its name in an access line.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::AccessKey => "access_key",
            CredentialKind::Token => "token",
            CredentialKind::Cookie => "cookie",
            CredentialKind::Form => "form",
            CredentialKind::Anonymous => "anonymous",
        }
    }
}

impl AccessRecord {
    /// The record as one JSON line (no newline inside: every control character is escaped):
    /// `log` first, then the fields in their order here, `null` for a `None`.
    pub fn to_line(&self) -> String {
        use crate::json::write_str;
        fn opt_str(out: &mut String, name: &str, v: &Option<String>) {
            out.push_str(name);
            match v {
                Some(s) => write_str(out, s),
                None => out.push_str("null"),
            }
        }
        let mut o = String::with_capacity(320);
        o.push_str("{\"log\":");
        write_str(&mut o, LOG_NAME);
        o.push_str(",\"time\":");
        write_str(&mut o, &self.time);
        o.push_str(",\"request_id\":");
        write_str(&mut o, &self.request_id);
        o.push_str(",\"method\":");
        write_str(&mut o, &self.method);
        o.push_str(",\"operation\":");
        write_str(&mut o, &self.operation);
        opt_str(&mut o, ",\"bucket\":", &self.bucket);
        opt_str(&mut o, ",\"key\":", &self.key);
        o.push_str(",\"status\":");
        o.push_str(&self.status.to_string());
        o.push_str(",\"bytes_sent\":");
        match self.bytes_sent {
            Some(n) => o.push_str(&n.to_string()),
            None => o.push_str("null"),
        }
        o.push_str(",\"store_bytes\":");
        o.push_str(&self.store_bytes.to_string());
        o.push_str(",\"store_requests\":");
        o.push_str(&self.store_requests.to_string());
        opt_str(&mut o, ",\"cache\":", &self.cache);
        o.push_str(",\"credential\":");
        write_str(&mut o, self.credential.as_str());
        opt_str(&mut o, ",\"credential_id\":", &self.credential_id);
        opt_str(&mut o, ",\"error\":", &self.error);
        o.push_str(",\"store_ms\":");
        o.push_str(&self.store_ms.to_string());
        o.push_str(",\"total_ms\":");
        o.push_str(&self.total_ms.to_string());
        o.push('}');
        o
    }

    /// A parsed JSON value as an access record, if it is one (its `log` is [`LOG_NAME`]).
    pub fn from_value(v: &serde_json::Value) -> Option<AccessRecord> {
        if v.get("log").and_then(|l| l.as_str()) != Some(LOG_NAME) {
            return None;
        }
        serde_json::from_value(v.clone()).ok()
    }

    /// Did the edge cache answer (with or without asking the store first)?
    pub fn served_by_edge(&self) -> bool {
        matches!(self.cache.as_deref(), Some("HIT" | "REVALIDATED" | "STALE"))
    }

    /// A download the edge cache could have answered (a cache label other than `BYPASS`).
    pub fn cacheable(&self) -> bool {
        matches!(self.cache.as_deref(), Some(c) if c != "BYPASS")
    }
}

/// What the shell learns about one request while answering it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestFacts {
    pub operation: String,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub credential: CredentialKind,
    pub credential_id: Option<String>,
    pub store_requests: u32,
    pub store_bytes: u64,
    pub store_ms: f64,
}

/// What the shell knows about the answer when the log line is written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer<'a> {
    pub time_ms: u64,
    pub request_id: &'a str,
    pub method: &'a str,
    pub status: u16,
    /// The answer's `Content-Length` header.
    pub content_length: Option<&'a str>,
    /// The length of a body the shell holds whole (not a stream).
    pub fixed_body: Option<usize>,
    pub cache: Option<&'a str>,
    pub error: Option<&'a str>,
    pub total_ms: f64,
}

impl RequestFacts {
    /// The facts before routing: the credential kind the request's shape claims (a signature, a
    /// token, the cookie), with no id until one is verified.
    pub fn claimed(parts: &RequestParts) -> RequestFacts {
        let credential = if crate::auth::carries_aws_signature(parts) {
            CredentialKind::AccessKey
        } else {
            match find_token(parts) {
                Some((_, TokenSource::Cookie)) => CredentialKind::Cookie,
                Some(_) => CredentialKind::Token,
                None => CredentialKind::Anonymous,
            }
        };
        RequestFacts { operation: "Unrouted".into(), credential, ..Default::default() }
    }

    /// The route: its operation, bucket and key (never a token in the path).
    pub fn route(&mut self, route: &Route) {
        self.operation = operation_name(route);
        match route {
            Route::S3 { op, bucket, key } => {
                self.bucket = (!bucket.is_empty()).then(|| bucket.clone());
                self.key = (!key.is_empty()).then(|| cut(key));
                if *op == S3Op::PostObject {
                    self.credential = CredentialKind::Form;
                }
            }
            Route::Share { key, .. } => {
                self.key = key.as_deref().map(cut);
                self.credential = CredentialKind::Token;
            }
            Route::Uppy { token: Some(_), .. } => self.credential = CredentialKind::Token,
            _ => {}
        }
    }

    /// The verified principal: its kind and public id (a share link's bucket and exact key too,
    /// which its path does not name).
    pub fn principal(&mut self, p: &Principal) {
        let (kind, id) = credential_of(p);
        self.credential = kind;
        self.credential_id = id;
        if let Principal::Token(c, _, _) = p {
            if self.bucket.is_none() && !c.bucket.is_empty() {
                self.bucket = Some(c.bucket.clone());
            }
            if let (true, None, Scope::Exact(k)) = (self.operation == "Share", &self.key, &c.scope) {
                self.key = Some(cut(k));
            }
        }
    }

    /// The key a request names outside its path (a POST Object form's `key`).
    pub fn key(&mut self, key: &str) {
        self.key = Some(cut(key));
    }

    /// One round trip to the store: how long its answer's head took, and what it said.
    pub fn store_round_trip(&mut self, ms: f64, method: &str, status: Option<u16>, content_length: Option<&str>) {
        self.store_requests += 1;
        self.store_ms += ms.max(0.0);
        if let Some(status) = status {
            self.store_bytes += body_bytes(method, status, content_length).unwrap_or(0);
        }
    }

    /// The line for the answer.
    pub fn finish(&self, a: &Answer) -> AccessRecord {
        let bytes_sent = body_bytes(a.method, a.status, a.content_length).or(a.fixed_body.map(|n| n as u64));
        AccessRecord {
            time: crate::time::rfc3339_millis(a.time_ms),
            request_id: a.request_id.to_string(),
            method: a.method.to_string(),
            operation: self.operation.clone(),
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            status: a.status,
            bytes_sent,
            store_bytes: self.store_bytes,
            store_requests: self.store_requests,
            cache: a.cache.map(str::to_string),
            credential: self.credential,
            credential_id: self.credential_id.clone(),
            error: a.error.map(str::to_string),
            store_ms: self.store_ms.round() as u64,
            total_ms: a.total_ms.max(0.0).round() as u64,
        }
    }
}

/// Body bytes of an HTTP answer: none for HEAD, 1xx, 204 and 304, else its `Content-Length`
/// (`None` when it has none or an unreadable one).
pub fn body_bytes(method: &str, status: u16, content_length: Option<&str>) -> Option<u64> {
    if method.eq_ignore_ascii_case("HEAD") || status < 200 || status == 204 || status == 304 {
        return Some(0);
    }
    content_length.and_then(|v| v.trim().parse().ok())
}

/// A credential's kind and public id: the access key id, or the token id in hex.
pub fn credential_of(p: &Principal) -> (CredentialKind, Option<String>) {
    match p {
        Principal::AccessKey(v) => {
            let kind = if v.kind == AuthKind::PostPolicy { CredentialKind::Form } else { CredentialKind::AccessKey };
            (kind, Some(v.access_key_id.clone()))
        }
        Principal::Token(c, _, source) => {
            let kind = if *source == TokenSource::Cookie { CredentialKind::Cookie } else { CredentialKind::Token };
            (kind, Some(crate::auth::token::claims::to_hex(&c.jti)))
        }
        Principal::Anonymous => (CredentialKind::Anonymous, None),
    }
}

/// The operation a route names: the S3 operation's name, or the route's kind.
pub fn operation_name(route: &Route) -> String {
    match route {
        Route::S3 { op, .. } => op_name(op),
        Route::Health => "Health".into(),
        Route::Share { .. } => "Share".into(),
        Route::Api(rest) => match rest.as_str() {
            "session" | "objects" | "share" | "presign" => format!("Api:{rest}"),
            _ => "Api".into(),
        },
        Route::Uppy { rest, .. } => {
            // the operation's name, never its fields (an upload id)
            let segs: Vec<&str> = rest.split('/').collect();
            match segs.as_slice() {
                ["params"] => "Uppy:Params".into(),
                ["multipart"] => "Uppy:Create".into(),
                ["multipart", _] => "Uppy:Multipart".into(),
                ["multipart", _, "batch"] => "Uppy:Batch".into(),
                ["multipart", _, "complete"] => "Uppy:Complete".into(),
                ["multipart", _, _] => "Uppy:SignPart".into(),
                _ => "Uppy".into(),
            }
        }
        Route::Preflight => "Preflight".into(),
        Route::NotFound => "NotFound".into(),
    }
}

/// An S3 operation's name (its variant, without what it carries).
pub fn op_name(op: &S3Op) -> String {
    op.name().to_string()
}

fn cut(s: &str) -> String {
    if s.len() <= MAX_KEY_BYTES {
        return s.to_string();
    }
    let mut n = MAX_KEY_BYTES;
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    s[..n].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `to_line` wrote when it was serde_json's: the same text.
    #[test]
    fn to_line_writes_what_serde_json_wrote() {
        #[derive(Serialize)]
        struct Line<'a> {
            log: &'static str,
            #[serde(flatten)]
            record: &'a AccessRecord,
        }
        let full = AccessRecord {
            time: "2026-01-02T03:04:05.678Z".into(),
            request_id: "abc".into(),
            method: "GET".into(),
            operation: "GetObject".into(),
            bucket: Some("b".into()),
            key: Some("dir/\"quoted\" \\ \n\t\u{1}\u{7f} é ☃ 😀".into()),
            status: 206,
            bytes_sent: Some(u64::MAX),
            store_bytes: 12,
            store_requests: 3,
            cache: Some("MISS".into()),
            credential: CredentialKind::AccessKey,
            credential_id: Some("AKID".into()),
            error: Some("NoSuchKey".into()),
            store_ms: 7,
            total_ms: 9,
        };
        let kinds =
            [CredentialKind::AccessKey, CredentialKind::Token, CredentialKind::Cookie, CredentialKind::Form, CredentialKind::Anonymous];
        for (i, credential) in kinds.into_iter().enumerate() {
            for r in [AccessRecord { credential, ..full.clone() }, AccessRecord { credential, status: i as u16, ..Default::default() }] {
                assert_eq!(r.to_line(), serde_json::to_string(&Line { log: LOG_NAME, record: &r }).unwrap());
            }
        }
    }
    use crate::auth::token::{Claims, Methods};
    use crate::auth::verify::{Payload, Verified};
    use crate::http::Headers;

    fn parts(method: &str, target: &str, headers: &[(&str, &str)]) -> RequestParts {
        let h = Headers(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        RequestParts::from_target(method, target, h)
    }

    const SIGNATURE: &str = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";

    fn access_key(kind: AuthKind) -> Principal {
        Principal::AccessKey(Box::new(Verified {
            access_key_id: "AKIDEXAMPLE".into(),
            kind,
            expires_at: None,
            payload: Payload::Unsigned,
            signed_headers: vec!["host".into()],
            amz_date: "20261125T000000Z".into(),
            scope: "20261125/us-east-1/s3/aws4_request".into(),
            signature: SIGNATURE.into(),
            signing_key: [7; 32],
        }))
    }

    const RAW_TOKEN: &str = "AXQxAAAAAGmVZ4AAAAAAAwAEZGVtbwEAC2NhdHMvdGFiYnkuanBnAAAIoaKjpKWmp6gsecretmac";

    fn token(source: TokenSource, scope: Scope) -> Principal {
        let mut c = Claims::new("t1", 2_000_000_000, Methods::GET, "demo", scope);
        c.jti = vec![0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18];
        Principal::Token(Box::new(c), RAW_TOKEN.into(), source)
    }

    fn answer<'a>(method: &'a str, status: u16) -> Answer<'a> {
        Answer { time_ms: 1_764_073_430_479, request_id: "3F2A9C00DEADBEEF", method, status, ..Default::default() }
    }

    #[test]
    fn a_line_is_one_json_object_with_every_field() {
        let mut f = RequestFacts::claimed(&parts("GET", "/demo/cats/tabby.jpg?token=x", &[]));
        f.route(&Route::S3 { op: S3Op::GetObject, bucket: "demo".into(), key: "cats/tabby.jpg".into() });
        f.principal(&token(TokenSource::Query, Scope::Prefix("cats/".into())));
        f.store_round_trip(12.4, "GET", Some(200), Some("52344"));
        let a = Answer { content_length: Some("52344"), cache: Some("MISS"), total_ms: 15.6, ..answer("GET", 200) };
        let line = f.finish(&a).to_line();
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "log": "bagroom.access", "time": "2025-11-25T12:23:50.479Z", "request_id": "3F2A9C00DEADBEEF",
                "method": "GET", "operation": "GetObject", "bucket": "demo", "key": "cats/tabby.jpg", "status": 200,
                "bytes_sent": 52344, "store_bytes": 52344, "store_requests": 1, "cache": "MISS",
                "credential": "token", "credential_id": "a1b2c3d4e5f60718", "error": null, "store_ms": 12, "total_ms": 16,
            })
        );
        // and it reads back as the same record
        assert_eq!(AccessRecord::from_value(&v), Some(f.finish(&a)));
    }

    #[test]
    fn keys_with_quotes_newlines_and_control_bytes_stay_on_one_line() {
        let key = "a\"b\\c\nd\re\tf\u{0}g\u{1b}[31m\u{2028}ü/</script>";
        let mut f = RequestFacts::default();
        f.route(&Route::S3 { op: S3Op::PutObject, bucket: "b".into(), key: key.into() });
        let line = f.finish(&answer("PUT", 200)).to_line();
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(!line.bytes().any(|b| b < 0x20), "{line}");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["key"], key);
    }

    #[test]
    fn long_keys_are_cut_on_a_character_boundary() {
        let key = "é".repeat(700); // 1400 bytes
        let mut f = RequestFacts::default();
        f.route(&Route::S3 { op: S3Op::GetObject, bucket: "b".into(), key });
        let k = f.key.unwrap();
        assert!(k.len() <= MAX_KEY_BYTES && k.len() >= MAX_KEY_BYTES - 1);
        assert!(k.chars().all(|c| c == 'é'));
    }

    #[test]
    fn no_token_signature_or_secret_in_a_line() {
        for (p, id) in [
            (access_key(AuthKind::HeaderV4), "AKIDEXAMPLE"),
            (access_key(AuthKind::QueryV4), "AKIDEXAMPLE"),
            (token(TokenSource::Bearer, Scope::Prefix("".into())), "a1b2c3d4e5f60718"),
            (token(TokenSource::Cookie, Scope::Prefix("".into())), "a1b2c3d4e5f60718"),
            (token(TokenSource::Path, Scope::Exact("k".into())), "a1b2c3d4e5f60718"),
        ] {
            let mut f = RequestFacts::claimed(&parts("GET", &format!("/b/k?X-Amz-Signature={SIGNATURE}&token={RAW_TOKEN}"), &[]));
            f.route(&Route::Share { token: RAW_TOKEN.into(), key: None });
            f.principal(&p);
            let line = f.finish(&answer("GET", 200)).to_line();
            assert!(line.contains(id), "{line}");
            for secret in [SIGNATURE, RAW_TOKEN, "secretmac", "20261125/us-east-1"] {
                assert!(!line.contains(secret), "{secret} in {line}");
            }
            let signing_key_hex = crate::encoding::hex(&[7; 32]);
            assert!(!line.contains(&signing_key_hex));
        }
    }

    #[test]
    fn credential_kinds() {
        let kind = |p: &Principal| credential_of(p).0;
        assert_eq!(kind(&access_key(AuthKind::HeaderV4)), CredentialKind::AccessKey);
        assert_eq!(kind(&access_key(AuthKind::QueryV2)), CredentialKind::AccessKey);
        assert_eq!(kind(&access_key(AuthKind::PostPolicy)), CredentialKind::Form);
        assert_eq!(kind(&token(TokenSource::Query, Scope::Exact("k".into()))), CredentialKind::Token);
        assert_eq!(kind(&token(TokenSource::Cookie, Scope::Exact("k".into()))), CredentialKind::Cookie);
        assert_eq!(credential_of(&Principal::Anonymous), (CredentialKind::Anonymous, None));
        // before verification: the kind the request's shape claims, no id
        let claimed = |target: &str, h: &[(&str, &str)]| {
            let f = RequestFacts::claimed(&parts("GET", target, h));
            assert_eq!(f.credential_id, None);
            f.credential
        };
        assert_eq!(claimed("/b/k?X-Amz-Signature=00&X-Amz-Credential=x", &[]), CredentialKind::AccessKey);
        assert_eq!(claimed("/b/k", &[("authorization", "AWS4-HMAC-SHA256 Credential=x")]), CredentialKind::AccessKey);
        assert_eq!(claimed("/b/k", &[("authorization", "AWS AKID:sig")]), CredentialKind::AccessKey);
        assert_eq!(claimed("/b/k?token=abc", &[]), CredentialKind::Token);
        assert_eq!(claimed("/b/k", &[("authorization", "Bearer abc")]), CredentialKind::Token);
        assert_eq!(claimed("/b/k", &[("cookie", "a=1; bagroom_token=abc")]), CredentialKind::Cookie);
        assert_eq!(claimed("/b/k", &[]), CredentialKind::Anonymous);
    }

    #[test]
    fn routes_name_their_operation_bucket_and_key() {
        let mut f = RequestFacts::default();
        f.route(&Route::S3 { op: S3Op::PostObject, bucket: "b".into(), key: "".into() });
        assert_eq!(
            (f.operation.as_str(), f.bucket.as_deref(), f.key.as_deref(), f.credential),
            ("PostObject", Some("b"), None, CredentialKind::Form)
        );
        f.key("uploads/from-form.bin");
        assert_eq!(f.key.as_deref(), Some("uploads/from-form.bin"));

        // a share link names its bucket and exact key only in the token
        let mut f = RequestFacts::default();
        f.route(&Route::Share { token: RAW_TOKEN.into(), key: None });
        assert_eq!((f.operation.as_str(), f.credential), ("Share", CredentialKind::Token));
        f.principal(&token(TokenSource::Path, Scope::Exact("cats/tabby.jpg".into())));
        assert_eq!((f.bucket.as_deref(), f.key.as_deref()), (Some("demo"), Some("cats/tabby.jpg")));
        let mut f = RequestFacts::default();
        f.route(&Route::Share { token: RAW_TOKEN.into(), key: Some("cats/b.jpg".into()) });
        f.principal(&token(TokenSource::Path, Scope::Prefix("cats/".into())));
        assert_eq!(f.key.as_deref(), Some("cats/b.jpg"));

        assert_eq!(op_name(&S3Op::Unsupported("cors".into())), "Unsupported");
        assert_eq!(op_name(&S3Op::ListObjectVersions), "ListObjectVersions");
        assert_eq!(operation_name(&Route::Api("presign".into())), "Api:presign");
        assert_eq!(operation_name(&Route::Api("../etc/whatever".into())), "Api");
        assert_eq!(operation_name(&Route::Uppy { token: Some(RAW_TOKEN.into()), rest: "multipart/UPLOADID/3".into() }), "Uppy:SignPart");
        assert_eq!(operation_name(&Route::Uppy { token: None, rest: "multipart/UPLOADID/complete".into() }), "Uppy:Complete");
        assert_eq!(operation_name(&Route::Health), "Health");
    }

    #[test]
    fn bytes_sent_and_fetched() {
        assert_eq!(body_bytes("GET", 200, Some("1048576")), Some(1_048_576));
        assert_eq!(body_bytes("GET", 206, Some(" 100 ")), Some(100));
        assert_eq!(body_bytes("HEAD", 200, Some("1048576")), Some(0));
        assert_eq!(body_bytes("GET", 304, Some("1048576")), Some(0));
        assert_eq!(body_bytes("GET", 204, None), Some(0));
        assert_eq!(body_bytes("GET", 200, None), None);
        assert_eq!(body_bytes("GET", 200, Some("lots")), None);

        let mut f = RequestFacts::default();
        f.store_round_trip(3.0, "GET", Some(304), Some("1048576")); // a revalidation: no body
        f.store_round_trip(4.0, "HEAD", Some(200), Some("1048576"));
        f.store_round_trip(5.0, "GET", Some(200), Some("10"));
        f.store_round_trip(30_000.0, "GET", None, None); // no answer (timeout)
        assert_eq!((f.store_requests, f.store_bytes, f.store_ms), (4, 10, 30_012.0));

        // an answer without Content-Length: the length of a fixed body, else unknown
        let a = Answer { fixed_body: Some(321), ..answer("GET", 403) };
        assert_eq!(f.finish(&a).bytes_sent, Some(321));
        assert_eq!(f.finish(&answer("GET", 200)).bytes_sent, None);
        assert_eq!(f.finish(&Answer { fixed_body: Some(321), ..answer("HEAD", 403) }).bytes_sent, Some(0));
    }

    #[test]
    fn edge_and_cacheable() {
        let r = |c: Option<&str>| AccessRecord { cache: c.map(str::to_string), ..Default::default() };
        for c in ["HIT", "REVALIDATED", "STALE"] {
            assert!(r(Some(c)).served_by_edge() && r(Some(c)).cacheable());
        }
        assert!(!r(Some("MISS")).served_by_edge() && r(Some("MISS")).cacheable());
        assert!(!r(Some("BYPASS")).cacheable() && !r(None).cacheable());
    }

    #[test]
    fn other_json_is_not_an_access_record() {
        let v: serde_json::Value = serde_json::from_str(r#"{"log":"other","status":200}"#).unwrap();
        assert_eq!(AccessRecord::from_value(&v), None);
        let v: serde_json::Value = serde_json::from_str(r#"{"status":200}"#).unwrap();
        assert_eq!(AccessRecord::from_value(&v), None);
        // fields it does not know are ignored, missing ones default
        let v: serde_json::Value = serde_json::from_str(r#"{"log":"bagroom.access","status":404,"colo":"FRA"}"#).unwrap();
        assert_eq!(AccessRecord::from_value(&v).map(|r| r.status), Some(404));
    }
}
