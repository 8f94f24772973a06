//! The demo page's JSON API and the Uppy Companion-compatible S3 signing routes, as pure
//! decisions: parse the request, check it against the token, and say what to sign or mint.
//!
//! Routes (token as `Authorization: Bearer`, `?token=`, the cookie, or `/t/<token>/s3/...`):
//! - `GET  /api/session`                              what the token allows
//! - `GET  /api/objects?prefix=&cursor=&limit=`       listing (JSON)
//! - `POST /api/share {key, ttl_seconds, methods?}`   a narrower token for one object
//! - `POST /api/presign {key, content_type, size, method}` a presigned PUT or a POST form
//! - `/s3/params`, `/s3/multipart[...]`               Uppy Companion's S3 routes

use crate::auth::token::{Claims, Method, Methods, NarrowRequest, Scope};
use crate::auth::{Principal, TokenSource};
use crate::config::{BucketConfig, Config};
use crate::guard::grant::{authorize, Grant, Who};
use crate::json;
use crate::json::{Fields, FromJson, Value};
use crate::s3::error::{Code, S3Error};
use crate::sigv4::post_policy::{post_form, Condition, PostPolicy};
use crate::sigv4::sign::store_host;
use crate::sigv4::Credentials;

/// The largest JSON request body: the shell reads at most this many bytes (`worker::demo`), and
/// [`parse_json`] refuses a longer one.
pub const MAX_JSON_BODY: usize = 64 * 1024;

fn bad(msg: impl Into<String>) -> S3Error {
    S3Error::invalid_argument(msg)
}

/// 411 for a presigned PUT asked for without the upload's size (the URL binds the length).
fn put_needs_size() -> S3Error {
    S3Error::with_message(Code::MissingContentLength, "a presigned PUT binds the upload's length: give the file's size")
}

pub fn parse_json<T: FromJson>(body: &[u8]) -> Result<T, S3Error> {
    if body.len() > MAX_JSON_BODY {
        return Err(bad("the JSON body is too large"));
    }
    let v = crate::json::parse(body).map_err(|e| bad(format!("invalid JSON body: {e}")))?;
    T::from_json(&v).map_err(|e| bad(format!("invalid JSON body: {e}")))
}

/// `/api/session`: what the page may do with its token.
pub fn session(claims: &Claims, bucket: &BucketConfig, cfg: &Config) -> Value {
    let (kind, value) = match &claims.scope {
        Scope::Exact(k) => ("exact", k.as_str()),
        Scope::Prefix(p) => ("prefix", p.as_str()),
    };
    let methods: Vec<String> = claims.methods.iter().map(|m| m.to_string()).collect();
    json!({
        "bucket": bucket.name,
        "scope": {"kind": kind, "value": value},
        "methods": methods,
        "expires_at": claims.exp,
        "max_bytes": claims.max_bytes,
        "content_types": claims.content_types,
        "no_overwrite": claims.no_overwrite,
        "post_policy": bucket.store.post_policy && bucket.store.direct_uploads(),
        // false for an R2 binding without R2's S3 API keys: every upload goes through the gateway
        "direct_uploads": bucket.store.direct_uploads(),
        // the store lists an upload's parts (a resumed upload asks which it has): not an R2 binding
        "list_parts": bucket.store.r2_binding.is_none(),
        "part_size": cfg.multipart_part_size,
        "multipart_threshold": cfg.multipart_part_size * 2,
        "max_upload_bytes": cfg.max_upload_bytes,
        "store_url": if bucket.store.direct_uploads() { Value::from(browser_endpoint(bucket)) } else { Value::Null },
    })
}

/// The store endpoint as a browser reaches it.
pub fn browser_endpoint(bucket: &BucketConfig) -> String {
    bucket.store.browser_endpoint.clone().unwrap_or_else(|| bucket.store.endpoint())
}

fn browser_parts(bucket: &BucketConfig) -> (String, String) {
    let ep = browser_endpoint(bucket);
    match crate::text::split_once(&ep, "://") {
        Some((s, h)) => (s.to_string(), h.to_string()),
        None => ("https".into(), ep),
    }
}

/// The token's grant on `key`: the only way to a key the store signer accepts.
fn check<'b>(
    claims: &Claims,
    revoked: &[Vec<u8>],
    method: Method,
    bucket: &'b BucketConfig,
    key: &str,
    ip: Option<&str>,
    now: u64,
) -> Result<Grant<'b>, S3Error> {
    let principal = Principal::Token(Box::new(claims.clone()), String::new(), TokenSource::Bearer);
    authorize(&Who { principal: &principal, revoked, client_ip: ip, now }, bucket, method, key)
}

#[derive(Debug)]
pub struct ShareRequest {
    pub key: String,
    pub ttl_seconds: u64,
    pub methods: Option<Vec<String>>,
}

impl FromJson for ShareRequest {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v, Some(&["key", "ttl_seconds", "methods"]))?;
        Ok(ShareRequest { key: f.req("key")?, ttl_seconds: f.req("ttl_seconds")?, methods: f.opt("methods")? })
    }
}

/// `/api/share`: the narrower token to mint (the shell adds a random id suffix and mints).
///
/// The child is always signed with the PARENT's key id (`parent.kid`), so retiring the
/// parent's key (removing it from `BAGROOM_TOKEN_KEYS`) retires every token shared from
/// it. The `_kid` argument is ignored (kept for compatibility with the shell's call).
pub fn share(parent: &Claims, req: &ShareRequest, _kid: &str, jti_suffix: Vec<u8>, now: u64) -> Result<Claims, S3Error> {
    if req.key.is_empty() {
        return Err(bad("key is required"));
    }
    // no token reaches such a key (`has_dot_segment`): a link to one could never work
    if crate::auth::token::policy::has_dot_segment(&req.key) {
        return Err(bad("key must not have . or .. segments"));
    }
    if req.ttl_seconds == 0 || req.ttl_seconds > 7 * 86_400 {
        return Err(bad("ttl_seconds must be between 1 and 604800"));
    }
    let methods = match &req.methods {
        None => Methods::GET.union(Methods::HEAD),
        Some(list) => Methods::parse(&list.join(",")).map_err(bad)?,
    };
    let nr = NarrowRequest {
        kid: Some(parent.kid.clone()),
        exp: Some(now.saturating_add(req.ttl_seconds).min(parent.exp)),
        methods: Some(methods),
        scope: Some(Scope::Exact(req.key.clone())),
        jti_suffix,
        ..Default::default()
    };
    crate::auth::token::narrow(parent, &nr)
}

#[derive(Debug)]
pub struct PresignRequest {
    pub key: String,
    pub content_type: Option<String>,
    /// Bytes. Required for PUT (it is signed in as `content-length`); for POST optional
    /// (the form's `content-length-range` carries the limit).
    pub size: Option<u64>,
    /// `PUT` (default) or `POST`.
    pub method: Option<String>,
}

impl FromJson for PresignRequest {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v, Some(&["key", "content_type", "size", "method"]))?;
        Ok(PresignRequest { key: f.req("key")?, content_type: f.opt("content_type")?, size: f.opt("size")?, method: f.opt("method")? })
    }
}

/// Everything needed to sign for one bucket.
pub struct Signer<'a> {
    pub cfg: &'a Config,
    pub bucket: &'a BucketConfig,
    pub revoked: &'a [Vec<u8>],
    pub ip: Option<&'a str>,
    pub now: u64,
}

impl Signer<'_> {
    fn creds(&self) -> &Credentials {
        &self.bucket.store.credentials
    }
    /// Lifetime of a presigned URL: `BAGROOM_PRESIGN_TTL`, never past the token's expiry.
    /// 0 only for an expired token, which the access check has refused before.
    fn ttl(&self, claims: &Claims) -> Result<u64, S3Error> {
        match self.cfg.presign_ttl_secs.min(claims.exp.saturating_sub(self.now)) {
            0 => Err(S3Error::access_denied("token expired")),
            t => Ok(t),
        }
    }

    /// The largest upload a URL may take: the token's `max_bytes`, `BAGROOM_MAX_UPLOAD_BYTES`
    /// and S3's 5 GiB, whichever is least.
    fn limit(&self, claims: &Claims) -> u64 {
        crate::upload::byte_limit(Some(claims), self.cfg.max_upload_bytes)
    }

    /// Presigned PUT (or UploadPart, with `query`) URL for the browser, for the key of `grant`,
    /// binding `headers`.
    fn presign(&self, grant: &Grant, query: &[(String, String)], headers: &crate::http::Headers, ttl: u64) -> Result<String, S3Error> {
        crate::store::presign_put(grant, &browser_endpoint(self.bucket), query, headers, ttl, self.now)
    }

    /// `/api/presign` and `/s3/params`: a presigned PUT binding type and length, or a POST form
    /// with `content-length-range`, the exact key and the content type.
    ///
    /// A PUT needs `size` (411 MissingContentLength otherwise: the URL must bind the length,
    /// or it would take any body up to 5 GiB); the size, and a POST form's
    /// `content-length-range`, are bounded by the token's `max_bytes`,
    /// `BAGROOM_MAX_UPLOAD_BYTES` and 5 GiB. The URL expires no later than the token.
    pub fn upload(&self, claims: &Claims, req: &PresignRequest) -> Result<Value, S3Error> {
        let method = req.method.as_deref().unwrap_or("PUT").to_ascii_uppercase();
        let tm = match method.as_str() {
            "PUT" => Method::Put,
            "POST" => Method::Post,
            m => return Err(bad(format!("method must be PUT or POST, not {m}"))),
        };
        let grant = check(claims, self.revoked, tm, self.bucket, &req.key, self.ip, self.now)?;
        let limit = self.limit(claims);
        if req.size.is_none() && method == "PUT" {
            return Err(put_needs_size());
        }
        crate::auth::token::check_upload(claims, req.content_type.as_deref(), Some(req.size.unwrap_or(0)))?;
        if req.size.unwrap_or(0) > limit {
            return Err(S3Error::entity_too_large(limit));
        }
        let ttl = self.ttl(claims)?;
        let expires_at = self.now + ttl;
        if method == "POST" {
            if claims.no_overwrite {
                // a POST form cannot carry a conditional write
                return Err(S3Error::access_denied("this token forbids overwriting: use a presigned PUT (it carries If-None-Match)"));
            }
            if !self.bucket.store.post_policy {
                return Err(S3Error::not_implemented("this store does not accept POST policy forms (e.g. R2): use PUT"));
            }
            let ep = browser_endpoint(self.bucket);
            let url = if self.bucket.store.virtual_host {
                let (s, h) = browser_parts(self.bucket);
                format!("{s}://{}", store_host(&h, &self.bucket.store.bucket, true))
            } else {
                format!("{ep}/{}", self.bucket.store.bucket)
            };
            let p = PostPolicy {
                bucket: self.bucket.store.bucket.clone(),
                key_exact: Some(grant.key().to_string()),
                content_length_range: Some((0, limit)),
                content_type: req.content_type.clone().map(Condition::Exact),
                success_action_status: Some(201),
                expires_at,
                ..Default::default()
            };
            let form = post_form(&p, &url, self.creds(), &self.bucket.store.region, self.now);
            let fields: crate::json::Map = form.fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            return Ok(
                json!({"method": "POST", "url": form.url, "fields": fields, "headers": {}, "expires_at": expires_at, "key": req.key}),
            );
        }
        let mut h = crate::http::Headers::new();
        if let Some(ct) = &req.content_type {
            h.insert("content-type", ct.clone());
        }
        let size = req.size.ok_or_else(put_needs_size)?;
        h.insert("content-length", size.to_string());
        if claims.no_overwrite {
            h.insert("if-none-match", "*");
        }
        let url = self.presign(&grant, &[], &h, ttl)?;
        let mut headers = crate::json::Map::new();
        for (k, v) in h.iter() {
            if k != "content-length" {
                headers.insert(k.to_string(), Value::String(v.to_string()));
            }
        }
        Ok(json!({"method": "PUT", "url": url, "headers": headers, "fields": {}, "expires_at": expires_at, "key": req.key}))
    }

    /// An UploadPart URL for `part` of `upload_id` on `key`, after the token's PUT check.
    ///
    /// With a `size` (at most the token's `max_bytes`, `BAGROOM_MAX_UPLOAD_BYTES` and 5 GiB,
    /// else 400 EntityTooLarge): [`PartUrl::Presigned`], a presigned URL binding the part's
    /// length (and its checksum when given), expiring no later than the token.
    /// Without a size: [`PartUrl::ViaGateway`]. A presigned URL that binds no length takes
    /// any part up to 5 GiB whatever the token allows, so none is made: the caller hands out
    /// a URL through the gateway instead ([`Signer::gateway_part`]), where the upload path
    /// counts the bytes against the same limit.
    pub fn part_url(
        &self,
        claims: &Claims,
        key: &str,
        upload_id: &str,
        part: u32,
        size: Option<u64>,
        sha256_b64: Option<&str>,
    ) -> Result<PartUrl, S3Error> {
        let grant = check(claims, self.revoked, Method::Put, self.bucket, key, self.ip, self.now)?;
        if !(1..=10_000).contains(&part) {
            return Err(bad("partNumber must be between 1 and 10000"));
        }
        if upload_id.is_empty() {
            return Err(bad("uploadId is required"));
        }
        let limit = self.limit(claims);
        if size.is_some_and(|n| n > limit) {
            return Err(S3Error::entity_too_large(limit));
        }
        let Some(n) = size.filter(|_| self.bucket.store.direct_uploads()) else { return Ok(PartUrl::ViaGateway) };
        let mut h = crate::http::Headers::new();
        h.insert("content-length", n.to_string());
        if let Some(c) = sha256_b64 {
            h.insert("x-amz-checksum-sha256", c.to_string());
        }
        let ttl = self.ttl(claims)?;
        let q = vec![("partNumber".to_string(), part.to_string()), ("uploadId".to_string(), upload_id.to_string())];
        let url = self.presign(&grant, &q, &h, ttl)?;
        let headers: crate::json::Map =
            h.iter().filter(|(k, _)| *k != "content-length").map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect();
        Ok(PartUrl::Presigned(json!({"url": url, "expires": ttl, "headers": headers})))
    }

    /// [`Signer::part_url`] for callers that only take a presigned URL: without a size it is
    /// 411 MissingContentLength (never a URL that binds no length).
    pub fn part(
        &self,
        claims: &Claims,
        key: &str,
        upload_id: &str,
        part: u32,
        size: Option<u64>,
        sha256_b64: Option<&str>,
    ) -> Result<Value, S3Error> {
        match self.part_url(claims, key, upload_id, part, size, sha256_b64)? {
            PartUrl::Presigned(v) => Ok(v),
            PartUrl::ViaGateway => Err(S3Error::with_message(
                Code::MissingContentLength,
                "a presigned part URL binds the part's length: give its size, or upload the part through the gateway",
            )),
        }
    }

    /// The UploadPart answer for [`PartUrl::ViaGateway`]: a URL on the gateway itself
    /// (`<base>/<bucket>/<key>?partNumber=&uploadId=&token=`), in the same JSON shape as a
    /// presigned one (`{"url", "expires", "headers": {}}`). `base` is the gateway's public
    /// origin (`BAGROOM_PUBLIC_URL` or the request's), `token` the caller's own token (already
    /// checked by [`Signer::part_url`]). It expires with the token.
    pub fn gateway_part(&self, base: &str, claims: &Claims, token: &str, key: &str, upload_id: &str, part: u32) -> Value {
        let url = format!(
            "{base}/{}/{}?partNumber={part}&uploadId={}&token={}",
            self.bucket.name,
            crate::encoding::uri_encode(key, true),
            crate::encoding::uri_encode(upload_id, false),
            crate::encoding::uri_encode(token, false),
        );
        json!({"url": url, "expires": claims.exp.saturating_sub(self.now), "headers": {}})
    }
}

/// What [`Signer::part_url`] hands out.
#[derive(Debug, Clone, PartialEq)]
pub enum PartUrl {
    /// `{"url", "expires", "headers"}`: a presigned UploadPart URL binding the part's length.
    Presigned(Value),
    /// No size was given: answer with [`Signer::gateway_part`] (parts through the gateway).
    ViaGateway,
}

/// One of Uppy Companion's S3 routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UppyOp {
    Params,
    Create,
    ListParts { upload_id: String },
    SignPart { upload_id: String, part: u32 },
    Batch { upload_id: String },
    Complete { upload_id: String },
    Abort { upload_id: String },
}

/// Parse `/s3/<rest>` (rest without the prefix) for `method`.
pub fn uppy_op(method: &str, rest: &str) -> Option<UppyOp> {
    let segs: Vec<String> = rest.split('/').map(crate::encoding::percent_decode).collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    Some(match (method, s.as_slice()) {
        ("GET", ["params"]) => UppyOp::Params,
        ("POST", ["multipart"]) => UppyOp::Create,
        ("GET", ["multipart", id]) => UppyOp::ListParts { upload_id: id.to_string() },
        ("GET", ["multipart", id, "batch"]) => UppyOp::Batch { upload_id: id.to_string() },
        ("GET", ["multipart", id, n]) => UppyOp::SignPart { upload_id: id.to_string(), part: n.parse().ok()? },
        ("POST", ["multipart", id, "complete"]) => UppyOp::Complete { upload_id: id.to_string() },
        ("DELETE", ["multipart", id]) => UppyOp::Abort { upload_id: id.to_string() },
        _ => return None,
    })
}

/// Body of `POST /s3/multipart`.
#[derive(Debug)]
pub struct CreateRequest {
    pub filename: String,
    /// `type`
    pub content_type: Option<String>,
    pub metadata: Option<crate::json::Map>,
}

impl FromJson for CreateRequest {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v, None)?;
        Ok(CreateRequest { filename: f.req("filename")?, content_type: f.opt("type")?, metadata: f.opt("metadata")? })
    }
}

/// Body of `POST /s3/multipart/:id/complete`.
#[derive(Debug)]
pub struct CompleteRequest {
    pub parts: Vec<CompletePart>,
}

impl FromJson for CompleteRequest {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(CompleteRequest { parts: Fields::of(v, None)?.req("parts")? })
    }
}

#[derive(Debug)]
pub struct CompletePart {
    /// `PartNumber`
    pub part_number: u32,
    /// `ETag`
    pub etag: String,
}

impl FromJson for CompletePart {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v, None)?;
        Ok(CompletePart { part_number: f.req("PartNumber")?, etag: f.req("ETag")? })
    }
}

/// `x-amz-meta-*` headers from Uppy's metadata (only simple names and printable values).
pub fn meta_headers(meta: &Option<crate::json::Map>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(m) = meta {
        for (k, v) in m {
            let name = k.to_ascii_lowercase();
            if name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                continue;
            }
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            if value.len() <= 1024 && value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                out.push((format!("x-amz-meta-{name}"), value));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StoreConfig;

    fn cfg() -> Config {
        Config::from_pairs(&[
            ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
            ("STORE_BUCKET", "demo"),
            ("STORE_ACCESS_KEY_ID", "AK"),
            ("STORE_SECRET_ACCESS_KEY", "SK"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123"),
        ])
        .unwrap()
    }

    fn claims() -> Claims {
        let mut c = Claims::new("k1", 10_000, Methods::ALL, "demo", Scope::Prefix("up/".into()));
        c.max_bytes = Some(1000);
        c.content_types = vec!["text/*".into()];
        c.jti = vec![1, 2];
        c
    }

    fn signer(c: &Config) -> Signer<'_> {
        Signer { cfg: c, bucket: &c.buckets[0], revoked: &[], ip: None, now: 1000 }
    }

    #[test]
    fn session_describes_the_token() {
        let c = cfg();
        let v = session(&claims(), &c.buckets[0], &c);
        assert_eq!(v["bucket"], "demo");
        assert_eq!(v["scope"]["kind"], "prefix");
        assert_eq!(v["scope"]["value"], "up/");
        assert_eq!(v["max_bytes"], 1000);
        assert!(v["methods"].as_array().unwrap().iter().any(|m| m == "PUT"));
    }

    #[test]
    fn share_is_narrower() {
        let r = ShareRequest { key: "up/a.txt".into(), ttl_seconds: 3600, methods: None };
        let child = share(&claims(), &r, "k1", vec![9; 8], 1000).unwrap();
        assert_eq!(child.scope, Scope::Exact("up/a.txt".into()));
        assert_eq!(child.exp, 4600);
        assert!(!child.methods.allows(Method::Put));
        let long = ShareRequest { key: "up/a.txt".into(), ttl_seconds: 604_800, methods: None };
        assert_eq!(share(&claims(), &long, "k1", vec![], 1000).unwrap().exp, 10_000, "never outlives the parent");
        let outside = ShareRequest { key: "other/a.txt".into(), ttl_seconds: 60, methods: None };
        assert_eq!(share(&claims(), &outside, "k1", vec![], 1000).unwrap_err().status, 403);
        for key in ["up/..", "up/.", "up/%2E%2E", "up/a/../b"] {
            let dots = ShareRequest { key: key.into(), ttl_seconds: 60, methods: None };
            assert_eq!(share(&claims(), &dots, "k1", vec![], 1000).unwrap_err().status, 400, "{key}");
        }
    }

    #[test]
    fn presigned_put_binds_type_and_length() {
        let c = cfg();
        let s = signer(&c);
        let v = s
            .upload(
                &claims(),
                &PresignRequest { key: "up/a.txt".into(), content_type: Some("text/plain".into()), size: Some(10), method: None },
            )
            .unwrap();
        let url = v["url"].as_str().unwrap();
        assert!(url.starts_with("http://127.0.0.1:8333/demo/up/a.txt?"), "{url}");
        assert!(url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"), "{url}");
        assert_eq!(v["headers"]["content-type"], "text/plain");
        // limits
        let too_big = s.upload(
            &claims(),
            &PresignRequest { key: "up/a.txt".into(), content_type: Some("text/plain".into()), size: Some(1001), method: None },
        );
        assert_eq!(too_big.unwrap_err().code, "EntityTooLarge");
        let wrong_type = s.upload(
            &claims(),
            &PresignRequest { key: "up/a.png".into(), content_type: Some("image/png".into()), size: Some(1), method: None },
        );
        assert_eq!(wrong_type.unwrap_err().status, 403);
        let outside = s.upload(
            &claims(),
            &PresignRequest { key: "x/a.txt".into(), content_type: Some("text/plain".into()), size: Some(1), method: None },
        );
        assert_eq!(outside.unwrap_err().status, 403);
    }

    #[test]
    fn post_form_carries_the_limits() {
        let c = cfg();
        let s = signer(&c);
        let v = s
            .upload(
                &claims(),
                &PresignRequest {
                    key: "up/a.txt".into(),
                    content_type: Some("text/plain".into()),
                    size: Some(10),
                    method: Some("POST".into()),
                },
            )
            .unwrap();
        assert_eq!(v["url"], "http://127.0.0.1:8333/demo");
        let policy = v["fields"]["policy"].as_str().unwrap();
        let doc = String::from_utf8(crate::encoding::base64::decode(policy).unwrap()).unwrap();
        assert!(doc.contains("content-length-range") && doc.contains("1000") && doc.contains("up/a.txt"), "{doc}");
    }

    #[test]
    fn r2_like_store_has_no_post() {
        let mut c = cfg();
        c.buckets[0].store = StoreConfig { post_policy: false, ..c.buckets[0].store.clone() };
        let s = signer(&c);
        let e = s.upload(
            &claims(),
            &PresignRequest { key: "up/a.txt".into(), content_type: Some("text/plain".into()), size: Some(1), method: Some("POST".into()) },
        );
        assert_eq!(e.unwrap_err().status, 501);
    }

    #[test]
    fn uppy_routes() {
        assert_eq!(uppy_op("GET", "params"), Some(UppyOp::Params));
        assert_eq!(uppy_op("POST", "multipart"), Some(UppyOp::Create));
        assert_eq!(uppy_op("GET", "multipart/abc%2Bd"), Some(UppyOp::ListParts { upload_id: "abc+d".into() }));
        assert_eq!(uppy_op("GET", "multipart/abc/3"), Some(UppyOp::SignPart { upload_id: "abc".into(), part: 3 }));
        assert_eq!(uppy_op("GET", "multipart/abc/batch"), Some(UppyOp::Batch { upload_id: "abc".into() }));
        assert_eq!(uppy_op("POST", "multipart/abc/complete"), Some(UppyOp::Complete { upload_id: "abc".into() }));
        assert_eq!(uppy_op("DELETE", "multipart/abc"), Some(UppyOp::Abort { upload_id: "abc".into() }));
        assert_eq!(uppy_op("GET", "multipart/abc/x"), None);
        assert_eq!(uppy_op("PUT", "params"), None);
    }

    #[test]
    fn part_urls_bind_size_and_checksum() {
        let c = cfg();
        let s = signer(&c);
        let v = s.part(&claims(), "up/big.bin", "UP1", 2, Some(100), Some("abc=")).unwrap();
        let url = v["url"].as_str().unwrap();
        assert!(url.contains("partNumber=2") && url.contains("uploadId=UP1"), "{url}");
        assert!(url.contains("content-length%3Bhost%3Bx-amz-checksum-sha256"), "{url}");
        assert_eq!(v["headers"]["x-amz-checksum-sha256"], "abc=");
        assert!(s.part(&claims(), "up/big.bin", "UP1", 0, None, None).is_err());
        assert_eq!(s.part(&claims(), "elsewhere", "UP1", 1, None, None).unwrap_err().status, 403);
    }

    #[test]
    fn an_r2_binding_without_s3_keys_hands_out_gateway_urls_within_the_same_limits() {
        let c = Config::from_pairs(&[
            ("STORE_R2_BINDING", "FILES"),
            ("BAGROOM_BUCKET", "demo"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123"),
        ])
        .unwrap();
        let s = signer(&c);
        assert_eq!(s.part_url(&claims(), "up/big.bin", "UP1", 1, Some(100), None).unwrap(), PartUrl::ViaGateway);
        // a part over the token's max_bytes is refused here as for a presigned one
        assert_eq!(s.part_url(&claims(), "up/big.bin", "UP1", 1, Some(1001), None).unwrap_err().code, Code::EntityTooLarge);
        let r =
            PresignRequest { key: "up/a.txt".into(), content_type: Some("text/plain".into()), size: Some(10), method: Some("PUT".into()) };
        assert_eq!(s.upload(&claims(), &r).unwrap_err().code, Code::NotImplemented);
        let v = session(&claims(), &c.buckets[0], &c);
        assert_eq!((v["direct_uploads"].as_bool(), v["post_policy"].as_bool(), v["store_url"].is_null()), (Some(false), Some(false), true));
        assert_eq!(v["list_parts"].as_bool(), Some(false));
        assert_eq!(session(&claims(), &cfg().buckets[0], &cfg())["list_parts"].as_bool(), Some(true));
    }
}
