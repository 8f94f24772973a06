//! A checker for the guard, shared by the property test (`tests/guard_props.rs`) and the fuzz
//! target (`fuzz/fuzz_targets/guard.rs`). Nothing in the gateway calls it.
//!
//! - [`dispatch_outcome`] (the bucket a name stands for, `super::namespace::resolve`, or
//!   ListBuckets), [`s3_outcome`] and [`share_outcome`]: what the shell does with a routed,
//!   authenticated request: [`plan`](super::plan), then every store request its handler builds
//!   (`worker::s3`, `worker::upload`, `worker::download`), modelled with the same builders in the
//!   same order. What the store answers in between is replaced by fixed stand-ins
//!   ([`STORE_ETAG`], [`STORE_SOURCE_TYPE`], [`STORE_SOURCE_SIZE`]; a listing of one part; no
//!   object at a no-overwrite destination).
//! - [`violations`]: an oracle written apart from the guard. From the client's request, the
//!   principal and the store requests alone (their URLs, `x-amz-copy-source` headers and
//!   DeleteObjects documents, read as a store reads them) it checks that every key the store is
//!   asked to touch is one the principal may touch with the method that store request needs and
//!   the operation's table row names ([`may`]: a bucket of the namespace only for its admins and
//!   the tokens naming it, and only as its rule makes it, never a configured bucket's store
//!   bucket; [`dispatch_violations`] checks what a name stood for); that every header is a signing header, one the
//!   gateway sets itself, or a client header the operation allows the principal's class (the
//!   table of `guard/headers.rs`, restated here); and that refusals are S3 errors.
//!
//! Keep the model in step with the handlers: a handler that builds a new store request needs the
//! same request here, or the property test and the fuzz target stop seeing it.

use super::grant::{authorize, Who};
use super::namespace::Resolved;
use super::plan::{plan, S3Plan};
use super::table::{rule, Need, OtherKeys, MAX_COMPLETE_XML, MAX_DELETE_XML, MAX_TAGGING_XML};
use super::StoreHeaders;
use crate::auth::token::policy::check_access;
use crate::auth::token::{Access, Method, Scope};
use crate::auth::verify::Payload;
use crate::auth::{Principal, TokenSource};
use crate::config::{BucketAdmins, BucketConfig, Config};
use crate::encoding::{parse_query, percent_decode_bytes};
use crate::http::RequestParts;
use crate::s3::error::S3Error;
use crate::s3::route::S3Op;
use crate::sigv4::{sha256_hex, EMPTY_SHA256, UNSIGNED_PAYLOAD};
use crate::store::{self, StoreRequest};
use std::borrow::Cow;

/// The ETag the modelled store reports for a copy source.
pub const STORE_ETAG: &str = "\"5d41402abc4b2a76b9719d911017c592\"";
/// The content type the modelled store reports for a copy source.
pub const STORE_SOURCE_TYPE: &str = "text/plain";
/// The size the modelled store reports for a copy source (and for a completed upload).
pub const STORE_SOURCE_SIZE: u64 = 5;

/// One request the gateway sends to a store, with the body it writes itself (DeleteObjects and
/// CompleteMultipartUpload documents; streamed client bodies are not modelled).
#[derive(Debug, Clone)]
pub struct Sent {
    pub req: StoreRequest,
    pub body: Option<String>,
}

/// What a request makes the gateway do.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Answered with this error (by the plan or the handler); nothing more is sent.
    Denied(S3Error),
    /// Served, sending these store requests (none for answers the gateway writes itself).
    Served(Vec<Sent>),
}

impl Outcome {
    pub fn is_served(&self) -> bool {
        matches!(self, Outcome::Served(_))
    }
    pub fn sent(&self) -> &[Sent] {
        match self {
            Outcome::Served(s) => s,
            Outcome::Denied(_) => &[],
        }
    }
}

/// What the client asked for, as routed.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub op: &'a S3Op,
    pub bucket: &'a BucketConfig,
    pub key: &'a str,
    /// The request body (read by DeleteObjects and CompleteMultipartUpload only).
    pub body: &'a [u8],
}

fn pass_query(parts: &RequestParts, names: &[&str]) -> Vec<(String, String)> {
    parts.query_pairs().into_iter().filter(|(k, _)| names.contains(&k.as_str())).collect()
}

fn sent(req: StoreRequest) -> Sent {
    Sent { req, body: None }
}

/// `worker::upload::read_xml`: at most `cap` bytes, checked against the signed payload hash and
/// Content-MD5, UTF-8.
fn read_xml(parts: &RequestParts, principal: &Principal, body: &[u8], cap: usize) -> Result<String, S3Error> {
    let declared = parts.headers.get("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) || body.len() > cap {
        return Err(S3Error::max_message_length_exceeded(cap));
    }
    crate::auth::verify::check_buffered_body(principal.payload(), &parts.headers, body)?;
    String::from_utf8(body.to_vec()).map_err(|_| crate::s3::xml::malformed_xml())
}

/// The S3 dispatcher (`worker::s3::dispatch`) on a routed request: the plan, then the store
/// requests of the operation's handler.
pub fn s3_outcome(cfg: &Config, who: &Who, parts: &RequestParts, asked: &Asked) -> Outcome {
    let p = match plan(cfg, who, parts, asked.op.clone(), asked.bucket, asked.key) {
        Ok(p) => p,
        Err(e) => return Outcome::Denied(e),
    };
    match handlers(cfg, who, parts, &p, asked.body) {
        Ok(v) => Outcome::Served(v),
        Err(e) => Outcome::Denied(e),
    }
}

/// `worker::dispatch` for an authenticated S3 route: ListBuckets (`worker::bucket::list_buckets`),
/// else the bucket the client's `name` stands for (`namespace::resolve`: configured, or a bucket
/// of the namespace) and [`s3_outcome`] on it. Also returns that bucket (`None` for ListBuckets
/// and for a name that stands for none), for [`dispatch_violations`].
pub fn dispatch_outcome<'c>(
    cfg: &'c Config,
    who: &Who,
    parts: &RequestParts,
    op: &S3Op,
    name: &str,
    key: &str,
    body: &[u8],
) -> (Outcome, Option<Resolved<'c>>) {
    if *op == S3Op::ListBuckets {
        return (list_buckets_outcome(cfg, who), None);
    }
    let resolved = match super::namespace::resolve(cfg, who.principal, name, op) {
        Ok(r) => r,
        Err(e) => return (Outcome::Denied(e), None),
    };
    let out = s3_outcome(cfg, who, parts, &Asked { op, bucket: resolved.bucket(), key, body });
    (out, Some(resolved))
}

/// `worker::bucket::list_buckets`: an access key; the store's own bucket list for the admins of
/// the namespace (the configured buckets are the gateway's to list).
fn list_buckets_outcome(cfg: &Config, who: &Who) -> Outcome {
    if let Err(e) = super::grant::authorize_gateway(who, "ListBuckets") {
        return Outcome::Denied(e);
    }
    match super::grant::authorize_store_buckets(who, cfg) {
        None => Outcome::Served(Vec::new()),
        Some(g) => match store::build(&g, "GET", &[], &StoreHeaders::none(), EMPTY_SHA256, who.now) {
            Ok(r) => Outcome::Served(vec![sent(r)]),
            Err(e) => Outcome::Denied(e),
        },
    }
}

/// A share link (`worker::download::share`): the token's bucket (configured, or the namespace
/// bucket it names), the key (the token's exact key when the link names none), GET or HEAD only.
/// Also returns the bucket and key it asked for.
pub fn share_outcome<'c>(
    cfg: &'c Config,
    who: &Who,
    parts: &RequestParts,
    key: Option<String>,
) -> (Outcome, Option<(Resolved<'c>, String)>) {
    let Principal::Token(claims, _, _) = who.principal else {
        return (Outcome::Denied(S3Error::access_denied("malformed token")), None);
    };
    let resolved = match super::namespace::token_bucket(cfg, who.principal, &claims.bucket) {
        Ok(b) => b,
        Err(e) => return (Outcome::Denied(e), None),
    };
    let bucket = resolved.bucket();
    let key = match (key, &claims.scope) {
        (Some(k), _) => k,
        (None, Scope::Exact(k)) => k.clone(),
        (None, Scope::Prefix(_)) => return (Outcome::Denied(S3Error::invalid_request("this share link covers a prefix")), None),
    };
    let method = match parts.method.as_str() {
        "HEAD" => Method::Head,
        "GET" => Method::Get,
        _ => return (Outcome::Denied(S3Error::method_not_allowed()), None),
    };
    let run = || -> Result<Vec<Sent>, S3Error> {
        let grant = authorize(who, bucket, method, &key)?;
        let headers = super::headers::from_client(super::HeaderSet::Read, super::PrincipalClass::of(who.principal), &parts.headers)?;
        get_object(parts, &grant, &headers, who.now)
    };
    let outcome = match run() {
        Ok(v) => Outcome::Served(v),
        Err(e) => Outcome::Denied(e),
    };
    (outcome, Some((resolved, key)))
}

/// `worker::download::get_object` on a cache miss, and the whole-object fill after a ranged GET.
fn get_object(parts: &RequestParts, grant: &super::Grant, headers: &StoreHeaders, now: u64) -> Result<Vec<Sent>, S3Error> {
    let query = parts.query_pairs();
    let version_id = query.iter().find(|(k, _)| k == "versionId").map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    let part_number = crate::s3::download::part_number(&query)?;
    let mut out = vec![sent(store::object_part_read(grant, &parts.method, version_id.as_deref(), part_number, headers, now)?)];
    if parts.method != "HEAD" && part_number.is_none() {
        out.push(sent(store::object_read(grant, "GET", version_id.as_deref(), &StoreHeaders::none(), now)?));
    }
    Ok(out)
}

/// The handlers of `worker::s3::dispatch`, store request by store request.
fn handlers(cfg: &Config, who: &Who, parts: &RequestParts, p: &S3Plan, body: &[u8]) -> Result<Vec<Sent>, S3Error> {
    let now = who.now;
    let principal = who.principal;
    let claims = principal.claims();
    let none = StoreHeaders::none();
    let g = || p.grant.as_ref().ok_or_else(|| S3Error::internal("operation without a grant"));
    let mut out = Vec::new();
    match &p.op {
        S3Op::GetObject | S3Op::HeadObject => out = get_object(parts, g()?, &p.headers, now)?,
        S3Op::ListObjects => {
            let mut l = p.list.clone().ok_or_else(|| S3Error::internal("listing without a plan"))?;
            l.encoding_type_url = true;
            out.push(sent(store::build(g()?, "GET", &l.query_pairs(), &none, EMPTY_SHA256, now)?));
        }
        S3Op::GetBucketLocation | S3Op::ListBuckets => {
            g()?;
        }
        S3Op::HeadBucket => {
            // a namespace bucket's existence is the store's to tell
            if p.bucket.in_namespace {
                out.push(sent(store::build(g()?, "HEAD", &[], &none, EMPTY_SHA256, now)?));
            } else {
                g()?;
            }
        }
        S3Op::CreateBucket => out.push(sent(store::build(g()?, "PUT", &[], &none, EMPTY_SHA256, now)?)),
        S3Op::DeleteBucket => {
            // is anything left in it (the store stands in with an empty listing)
            let q = [("versions".to_string(), String::new()), ("max-keys".to_string(), "1".to_string())];
            out.push(sent(store::build(g()?, "GET", &q, &none, EMPTY_SHA256, now)?));
            out.push(sent(store::build(g()?, "DELETE", &[], &none, EMPTY_SHA256, now)?));
        }
        S3Op::PutObject | S3Op::UploadPart => {
            let is_part = p.op == S3Op::UploadPart;
            let put = crate::upload::plan_put_with(
                p.headers.clone(),
                &parts.headers,
                principal.payload(),
                claims,
                cfg.max_upload_bytes,
                is_part,
            )?;
            let q = if is_part { pass_query(parts, &["partNumber", "uploadId"]) } else { Vec::new() };
            out.push(sent(store::build(g()?, "PUT", &q, &put.store_headers, UNSIGNED_PAYLOAD, now)?));
        }
        S3Op::PostObject => {
            let f = super::plan::plan_form(cfg, who, p.bucket, parts.headers.get("content-type").unwrap_or(""), body)?;
            let file = &body[f.file.0..f.file.1];
            out.push(sent(store::build(&f.grant, "PUT", &[], &f.headers, &sha256_hex(file), now)?));
        }
        S3Op::CopyObject | S3Op::UploadPartCopy => {
            let is_part = p.op == S3Op::UploadPartCopy;
            let dest = g()?;
            let (source, version) = p.copy_source.as_ref().ok_or_else(|| S3Error::internal("copy without a source grant"))?;
            let mut h = p.headers.clone();
            if let Some(c) = claims {
                let vq: Vec<(String, String)> = version.iter().map(|v| ("versionId".to_string(), v.clone())).collect();
                out.push(sent(store::build(source, "HEAD", &vq, &none, EMPTY_SHA256, now)?));
                let size = STORE_SOURCE_SIZE.to_string();
                let sh = crate::http::Headers::from_pairs([
                    ("content-type", STORE_SOURCE_TYPE),
                    ("content-length", size.as_str()),
                    ("etag", STORE_ETAG),
                ]);
                let cp = crate::upload::plan_copy(c, cfg.max_upload_bytes, &parts.headers, &sh, STORE_SOURCE_SIZE, is_part)?;
                h.set("x-amz-copy-source-if-match", STORE_ETAG);
                if cp.no_overwrite {
                    out.push(sent(store::build(dest, "HEAD", &[], &none, EMPTY_SHA256, now)?));
                    h.set("if-none-match", "*");
                }
            }
            let q = if is_part { pass_query(parts, &["partNumber", "uploadId"]) } else { Vec::new() };
            out.push(sent(store::copy(dest, source, version.as_deref(), &q, &h, now)?));
        }
        S3Op::CreateMultipartUpload => {
            if let Some(c) = claims {
                crate::auth::token::check_upload(c, parts.headers.get("content-type"), Some(0))?;
            }
            out.push(sent(store::build(g()?, "POST", &[("uploads".into(), String::new())], &p.headers, EMPTY_SHA256, now)?));
        }
        S3Op::ListParts => {
            let q = pass_query(parts, &["uploadId", "max-parts", "part-number-marker"]);
            out.push(sent(store::build(g()?, "GET", &q, &none, EMPTY_SHA256, now)?));
        }
        S3Op::AbortMultipartUpload => {
            let q = [("uploadId".to_string(), parts.query_param("uploadId").unwrap_or_default())];
            out.push(sent(store::build(g()?, "DELETE", &q, &none, EMPTY_SHA256, now)?));
        }
        S3Op::CompleteMultipartUpload => {
            let grant = g()?;
            let upload_id = parts.query_param("uploadId").unwrap_or_default();
            let doc = read_xml(parts, principal, body, MAX_COMPLETE_XML)?;
            let list = crate::s3::xml::parse_complete_multipart_upload(&doc)?;
            let q = [("uploadId".to_string(), upload_id)];
            // every part the store lists (one page here)
            out.push(sent(store::build(grant, "GET", &q, &none, EMPTY_SHA256, now)?));
            let xml = crate::s3::xml::complete_multipart_upload_xml(&list);
            let mut h = p.headers.clone();
            h.set("content-type", "application/xml");
            if claims.is_some_and(|c| c.no_overwrite) {
                h.set("if-none-match", "*");
            }
            out.push(Sent { req: store::build(grant, "POST", &q, &h, &sha256_hex(xml.as_bytes()), now)?, body: Some(xml) });
            // the size of what was written
            out.push(sent(store::build(grant, "HEAD", &[], &none, EMPTY_SHA256, now)?));
        }
        S3Op::DeleteObject => {
            let q = pass_query(parts, &["versionId"]);
            out.push(sent(store::build(g()?, "DELETE", &q, &none, EMPTY_SHA256, now)?));
        }
        S3Op::DeleteObjects => {
            let doc = read_xml(parts, principal, body, MAX_DELETE_XML)?;
            let (_, objects) = crate::s3::xml::parse_delete_request(&doc)?;
            let allowed: Vec<_> = objects
                .into_iter()
                .filter_map(|o| authorize(who, p.bucket, Method::Delete, &o.key).ok().map(|g| (g, o.version_id)))
                .collect();
            if !allowed.is_empty() {
                let (r, doc) = store::delete_objects(&allowed, now)?;
                out.push(Sent { req: r, body: Some(doc) });
            }
        }
        S3Op::ListMultipartUploads => {
            let mut q = pass_query(parts, &["prefix", "delimiter", "key-marker", "upload-id-marker", "max-uploads", "encoding-type"]);
            q.push(("uploads".into(), String::new()));
            out.push(sent(store::build(g()?, "GET", &q, &none, EMPTY_SHA256, now)?));
        }
        S3Op::GetObjectTagging | S3Op::GetObjectAttributes | S3Op::GetObjectAcl => {
            let sub = crate::s3::route::subresource_name(&p.op).unwrap_or_default();
            let mut q = vec![(sub.to_string(), String::new())];
            q.extend(pass_query(parts, &["versionId"]).into_iter().filter(|(_, v)| !v.is_empty()));
            out.push(sent(store::build(g()?, "GET", &q, &p.headers, EMPTY_SHA256, now)?));
        }
        S3Op::PutObjectTagging => {
            let grant = g()?;
            let doc = read_xml(parts, principal, body, MAX_TAGGING_XML)?;
            let xml = crate::s3::xml::tagging_xml(&crate::s3::xml::parse_tagging(&doc)?);
            let mut q = vec![("tagging".to_string(), String::new())];
            q.extend(pass_query(parts, &["versionId"]).into_iter().filter(|(_, v)| !v.is_empty()));
            let h = store::xml_body_headers(&xml);
            out.push(Sent { req: store::build(grant, "PUT", &q, &h, &sha256_hex(xml.as_bytes()), now)?, body: Some(xml) });
        }
        S3Op::DeleteObjectTagging => {
            let mut q = vec![("tagging".to_string(), String::new())];
            q.extend(pass_query(parts, &["versionId"]).into_iter().filter(|(_, v)| !v.is_empty()));
            out.push(sent(store::build(g()?, "DELETE", &q, &none, EMPTY_SHA256, now)?));
        }
        S3Op::GetBucketAcl => out.push(sent(store::build(g()?, "GET", &[("acl".into(), String::new())], &none, EMPTY_SHA256, now)?)),
        S3Op::GetBucketVersioning => {
            out.push(sent(store::build(g()?, "GET", &[("versioning".into(), String::new())], &none, EMPTY_SHA256, now)?))
        }
        S3Op::ListObjectVersions => {
            let v = p.versions.as_ref().ok_or_else(|| S3Error::internal("version listing without a plan"))?;
            out.push(sent(store::build(g()?, "GET", &v.store_query(), &none, EMPTY_SHA256, now)?));
        }
        S3Op::PutObjectAcl | S3Op::PutBucketAcl | S3Op::PutBucketVersioning | S3Op::Unsupported(_) => {
            return Err(S3Error::internal("routed an operation nobody is served"))
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------------------ the oracle

/// Does `key` have a `.` or `..` segment (`/` and `\` separate; `%2e` is a dot)?
fn dot_segment(key: &str) -> bool {
    key.split(['/', '\\']).any(|s| {
        let s = s.to_ascii_lowercase().replace("%2e", ".");
        s == "." || s == ".."
    })
}

/// Is `key` (a list prefix for LIST) inside the token's scope?
fn in_scope(scope: &Scope, method: Method, key: &str) -> bool {
    match (method, scope) {
        (Method::List, Scope::Exact(_)) => false,
        (Method::List, Scope::Prefix(p)) => key.starts_with(p.as_str()),
        (_, Scope::Exact(k)) => key == k && !dot_segment(key),
        (_, Scope::Prefix(p)) => key.starts_with(p.as_str()) && !dot_segment(key),
    }
}

/// Is `p` an admin of the bucket namespace (`BAGROOM_BUCKET_ADMINS`)?
fn ns_admin(cfg: &Config, p: &Principal) -> bool {
    let (Some(ns), Principal::AccessKey(v)) = (&cfg.namespace, p) else { return false };
    match &ns.admins {
        BucketAdmins::All => true,
        BucketAdmins::Ids(ids) => ids.contains(&v.access_key_id),
    }
}

/// May `p` reach the namespace bucket `name` at all: its admins, and share tokens naming exactly
/// it (a token for any bucket names none of the namespace's).
fn ns_reaches(cfg: &Config, p: &Principal, name: &str) -> bool {
    ns_admin(cfg, p) || matches!(p, Principal::Token(c, _, _) if !c.bucket.is_empty() && c.bucket == name)
}

/// Is `b` a namespace bucket as the rule makes it: a name that is no configured bucket's, on the
/// namespace's store, its store bucket the rule's prefix and the name, and that store bucket no
/// configured bucket's (on any store: one store has many spellings)?
fn ns_made_by_the_rule(cfg: &Config, b: &BucketConfig) -> bool {
    let Some(ns) = &cfg.namespace else { return false };
    let s = &ns.store.store;
    b.in_namespace
        && cfg.bucket(&b.name).is_none()
        && b.store.scheme == s.scheme
        && b.store.host == s.host
        && b.store.virtual_host == s.virtual_host
        && b.store.credentials == s.credentials
        && b.store.bucket == format!("{}{}", ns.store_prefix, b.name)
        && !cfg.buckets.iter().any(|c| c.store.bucket.eq_ignore_ascii_case(&b.store.bucket))
        && b.public_prefixes.is_empty()
}

/// May `who` make the store do `method` on `key` (for LIST: list under the prefix `key`) of
/// `bucket`? From the rules, not from `grant::authorize`: a bucket of the namespace only for the
/// principals that reach it (`ns_reaches`), and only as the rule makes it; then the gateway's access keys anything;
/// a share token what `token::policy::check_access` allows (and its scope, checked here again),
/// HEAD being allowed by GET, and the share cookie only reading; anonymous callers GET and HEAD
/// (keys without dot segments) and LIST under a public prefix, nothing else.
pub fn may(cfg: &Config, who: &Who, bucket: &BucketConfig, method: Method, key: &str) -> bool {
    if bucket.in_namespace && !(ns_reaches(cfg, who.principal, &bucket.name) && ns_made_by_the_rule(cfg, bucket)) {
        return false;
    }
    match who.principal {
        Principal::AccessKey(_) => true,
        Principal::Token(c, _, source) => {
            if *source == TokenSource::Cookie && !matches!(method, Method::Get | Method::Head) {
                return false;
            }
            let m = if method == Method::Head && !c.methods.allows(Method::Head) { Method::Get } else { method };
            let access = Access { method: m, bucket: &bucket.name, key, client_ip: who.client_ip, now: who.now };
            check_access(c, who.revoked, &access).is_ok()
                && c.methods.allows(m)
                && (c.bucket.is_empty() || c.bucket == bucket.name)
                && who.now < c.exp
                && in_scope(&c.scope, m, key)
        }
        Principal::Anonymous => {
            let public = bucket.public_prefixes.iter().any(|p| key.starts_with(p.as_str()));
            match method {
                Method::Get | Method::Head => public && !dot_segment(key),
                Method::List => public,
                _ => false,
            }
        }
    }
}

/// May `who` see the bucket itself (HeadBucket, GetBucketLocation): LIST on all it can list.
fn may_bucket(cfg: &Config, who: &Who, bucket: &BucketConfig) -> bool {
    match who.principal {
        Principal::AccessKey(_) => true,
        Principal::Token(c, _, _) => may(cfg, who, bucket, Method::List, c.scope.value()),
        Principal::Anonymous => may(cfg, who, bucket, Method::List, ""),
    }
}

const CONTENT: &[&str] = &["content-type", "content-encoding", "content-language", "content-disposition", "cache-control", "expires"];
const CHECKSUM: &[&str] = &[
    "content-md5",
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
    "x-amz-checksum-type",
];
const READ: &[&str] =
    &["range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range", "x-amz-checksum-mode"];
const WRITE_IF: &[&str] = &["if-match", "if-none-match"];
const COPY_IF: &[&str] = &[
    "x-amz-copy-source-if-match",
    "x-amz-copy-source-if-none-match",
    "x-amz-copy-source-if-modified-since",
    "x-amz-copy-source-if-unmodified-since",
];
/// Refused for share tokens and anonymous callers (403), passed on writes for access keys.
pub const ACCESS_KEY_ATTRIBUTES: &[&str] = &[
    "x-amz-storage-class",
    "x-amz-tagging",
    "x-amz-tagging-directive",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold",
    "x-amz-website-redirect-location",
];
/// SSE-C: refused for share tokens and anonymous callers.
pub const SSE_C: &[&str] = &[
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
];
/// SSE-C of a copy source: refused for share tokens and anonymous callers.
pub const SSE_C_SOURCE: &[&str] = &[
    "x-amz-copy-source-server-side-encryption-customer-algorithm",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key-md5",
];

/// May a client's header `name` reach the store for `op`, asked by an access key (`ak`) or not?
/// The table of `guard/headers.rs`, restated.
fn client_header_allowed(op: &S3Op, ak: bool, name: &str) -> bool {
    let meta = name.starts_with("x-amz-meta-") && name.len() > "x-amz-meta-".len();
    let content = CONTENT.contains(&name) || meta;
    let attr = ak && ACCESS_KEY_ATTRIBUTES.contains(&name);
    let ssec = ak && SSE_C.contains(&name);
    let ssec_src = ak && SSE_C_SOURCE.contains(&name);
    match op {
        S3Op::GetObject | S3Op::HeadObject => READ.contains(&name) || ssec,
        S3Op::PutObject => content || CHECKSUM.contains(&name) || WRITE_IF.contains(&name) || attr || ssec,
        S3Op::UploadPart => CHECKSUM.contains(&name) || ssec,
        S3Op::CreateMultipartUpload => content || name == "x-amz-checksum-algorithm" || name == "x-amz-checksum-type" || attr || ssec,
        // the full-object checksum, not the client's Content-MD5 (the gateway writes the document)
        S3Op::CompleteMultipartUpload => {
            WRITE_IF.contains(&name) || (CHECKSUM.contains(&name) && name != "content-md5") || name == "x-amz-mp-object-size"
        }
        S3Op::CopyObject => {
            content
                || COPY_IF.contains(&name)
                || WRITE_IF.contains(&name)
                || name == "x-amz-metadata-directive"
                || name == "x-amz-checksum-algorithm"
                || attr
                || ssec
                || ssec_src
        }
        S3Op::UploadPartCopy => COPY_IF.contains(&name) || name == "x-amz-copy-source-range" || ssec || ssec_src,
        S3Op::GetObjectAttributes => matches!(name, "x-amz-object-attributes" | "x-amz-max-parts" | "x-amz-part-number-marker") || ssec,
        _ => false,
    }
}

/// Client headers the gateway must refuse (403) rather than drop, for this principal.
fn refused_header(ak: bool, name: &str, value: &str) -> bool {
    (name == "x-amz-acl" && !matches!(value.trim(), "private" | "bucket-owner-full-control"))
        || name.starts_with("x-amz-grant-")
        || (!ak && (ACCESS_KEY_ATTRIBUTES.contains(&name) || SSE_C.contains(&name) || SSE_C_SOURCE.contains(&name)))
}

/// `x-amz-copy-source` as S3 reads it: the query split off the raw value, then the path decoded
/// once; `[/]bucket/key`. Returns (bucket, key, versionId). Bytes that are no UTF-8 become
/// U+FFFD, as they do in the gateway's keys (S3 keys are UTF-8).
fn read_copy_source(value: &str) -> Option<(String, String, Option<String>)> {
    let v = value.trim();
    let (path, query) = match v.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (v, None),
    };
    let path = String::from_utf8_lossy(&percent_decode_bytes(path)).into_owned();
    let path = path.strip_prefix('/').unwrap_or(&path);
    let (bucket, key) = path.split_once('/')?;
    let version = query.and_then(|q| parse_query(q).into_iter().find(|(k, _)| k == "versionId").map(|(_, v)| v));
    Some((bucket.to_string(), key.to_string(), version))
}

/// Is `c` a character XML 1.0 allows in a document (raw or as a reference)?
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Element text as an XML 1.0 parser reads it: line ends normalised, references decoded; `None`
/// when the parser refuses it (a character XML does not allow, a malformed reference).
fn xml_text(raw: &str) -> Option<String> {
    let raw = raw.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::new();
    let mut rest = raw.as_str();
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let semi = i + rest[i..].find(';')?;
        let name = &rest[i + 1..semi];
        let c = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let n = name.strip_prefix('#')?;
                let v = match n.strip_prefix('x') {
                    Some(h) => u32::from_str_radix(h, 16).ok()?,
                    None => n.parse::<u32>().ok()?,
                };
                char::from_u32(v)?
            }
        };
        out.push(c);
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    out.chars().all(xml_char).then_some(out)
}

/// The keys of a DeleteObjects document as a store's XML parser reads them; `None` when the
/// store refuses the document (it then deletes nothing).
fn document_keys(doc: &str) -> Option<Vec<String>> {
    if !doc.chars().all(xml_char) {
        return None;
    }
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find("<Key>") {
        let after = &rest[i + "<Key>".len()..];
        let j = after.find("</Key>")?;
        out.push(xml_text(&after[..j])?);
        rest = &after[j + "</Key>".len()..];
    }
    Some(out)
}

/// WHATWG URL path normalisation (what `fetch` does before sending): `.` and `..` segments
/// (`%2e` counts as a dot) removed.
fn normalised_path(path: &str) -> String {
    let mut segs: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    for (i, s) in parts.iter().enumerate() {
        let d = s.to_ascii_lowercase().replace("%2e", ".");
        let last = i + 1 == parts.len();
        if d == ".." {
            segs.pop();
            if last {
                segs.push("");
            }
        } else if d == "." {
            if last {
                segs.push("");
            }
        } else {
            segs.push(s);
        }
    }
    format!("/{}", segs.join("/"))
}

/// Store request kinds, read from method, addressing and query alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Head,
    Put,
    PartPut,
    Create,
    Complete,
    ListParts,
    Abort,
    Delete,
    List,
    DeleteMany,
    ListUploads,
    HeadBucket,
    /// GET of an object's tags, attributes or ACL.
    SubRead,
    /// PUT or DELETE of an object's tags: store attributes.
    TagWrite,
    /// GET of the bucket's ACL.
    BucketAcl,
    /// GET of the bucket's versioning state.
    Versioning,
    /// A listing of object versions.
    ListVersions,
    /// PUT of a bucket: CreateBucket.
    CreateBucket,
    /// DELETE of a bucket: DeleteBucket.
    DeleteBucket,
}

const LIST_PARAMS: &[&str] =
    &["list-type", "prefix", "delimiter", "continuation-token", "start-after", "max-keys", "encoding-type", "marker", "fetch-owner"];
const VERSIONS_PARAMS: &[&str] = &["versions", "prefix", "delimiter", "key-marker", "version-id-marker", "max-keys", "encoding-type"];
const UPLOADS_PARAMS: &[&str] = &["uploads", "prefix", "delimiter", "key-marker", "upload-id-marker", "max-uploads", "encoding-type"];

fn classify(method: &str, key_level: bool, names: &[&str]) -> Option<Kind> {
    let only = |allowed: &[&str]| names.iter().all(|n| allowed.contains(n));
    let exactly = |n: &str| names == [n];
    let has = |n: &str| names.contains(&n);
    let one_sub =
        |subs: &[&str]| subs.iter().filter(|s| has(s)).count() == 1 && names.iter().all(|n| subs.contains(n) || *n == "versionId");
    Some(match (key_level, method) {
        (true, "GET") if has("tagging") || has("attributes") || has("acl") => {
            one_sub(&["tagging", "attributes", "acl"]).then_some(Kind::SubRead)?
        }
        (true, "PUT" | "DELETE") if has("tagging") => one_sub(&["tagging"]).then_some(Kind::TagWrite)?,
        (false, "GET") if has("acl") => exactly("acl").then_some(Kind::BucketAcl)?,
        (false, "GET") if has("versioning") => exactly("versioning").then_some(Kind::Versioning)?,
        (false, "GET") if has("versions") => only(VERSIONS_PARAMS).then_some(Kind::ListVersions)?,
        (true, "GET") if has("uploadId") => only(&["uploadId", "max-parts", "part-number-marker"]).then_some(Kind::ListParts)?,
        (true, "GET") => only(&["versionId", "partNumber"]).then_some(Kind::Read)?,
        (true, "HEAD") => only(&["versionId", "partNumber"]).then_some(Kind::Head)?,
        (true, "PUT") if names.is_empty() => Kind::Put,
        (true, "PUT") => (has("partNumber") && has("uploadId") && only(&["partNumber", "uploadId"])).then_some(Kind::PartPut)?,
        (true, "POST") if exactly("uploads") => Kind::Create,
        (true, "POST") if exactly("uploadId") => Kind::Complete,
        (true, "DELETE") if exactly("uploadId") => Kind::Abort,
        (true, "DELETE") => only(&["versionId"]).then_some(Kind::Delete)?,
        (false, "GET") if has("uploads") => only(UPLOADS_PARAMS).then_some(Kind::ListUploads)?,
        (false, "GET") => only(LIST_PARAMS).then_some(Kind::List)?,
        (false, "POST") if exactly("delete") => Kind::DeleteMany,
        (false, "HEAD") if names.is_empty() => Kind::HeadBucket,
        (false, "PUT") if names.is_empty() => Kind::CreateBucket,
        (false, "DELETE") if names.is_empty() => Kind::DeleteBucket,
        _ => return None,
    })
}

/// The bucket (of `cfg`, or of its namespace) a store URL addresses, and the raw (still encoded)
/// key part: `None` for bucket-level requests. A store bucket a configured bucket uses is that
/// bucket; any other on the namespace's store that starts with the rule's prefix is the namespace
/// bucket named by the rest.
fn locate<'c>(cfg: &'c Config, scheme: &str, host: &str, path: &str) -> Option<(Cow<'c, BucketConfig>, Option<String>)> {
    for b in &cfg.buckets {
        let s = &b.store;
        // an R2 binding: `r2://<binding>/<key>`, the binding is the store bucket
        if let Some(binding) = &s.r2_binding {
            if scheme == "r2" && host == binding {
                let k = path.strip_prefix('/')?;
                return Some((Cow::Borrowed(b), (!k.is_empty()).then(|| k.to_string())));
            }
            continue;
        }
        if !s.scheme.eq_ignore_ascii_case(scheme) {
            continue;
        }
        if s.virtual_host {
            if host.eq_ignore_ascii_case(&format!("{}.{}", s.bucket, s.host)) {
                let k = path.strip_prefix('/')?;
                return Some((Cow::Borrowed(b), (!k.is_empty()).then(|| k.to_string())));
            }
        } else if host.eq_ignore_ascii_case(&s.host) {
            let p = format!("/{}", s.bucket);
            if path == p {
                return Some((Cow::Borrowed(b), None));
            }
            if let Some(k) = path.strip_prefix(&format!("{p}/")) {
                return Some((Cow::Borrowed(b), Some(k.to_string())));
            }
        }
    }
    let ns = cfg.namespace.as_ref()?;
    let s = &ns.store.store;
    if !s.scheme.eq_ignore_ascii_case(scheme) {
        return None;
    }
    let (store_bucket, key) = if s.virtual_host {
        let b = host.to_ascii_lowercase().strip_suffix(&format!(".{}", s.host.to_ascii_lowercase()))?.to_string();
        let k = path.strip_prefix('/')?;
        (b, (!k.is_empty()).then(|| k.to_string()))
    } else {
        if !host.eq_ignore_ascii_case(&s.host) {
            return None;
        }
        let rest = path.strip_prefix('/')?;
        match rest.split_once('/') {
            Some((b, k)) => (b.to_string(), Some(k.to_string())),
            None => (rest.to_string(), None),
        }
    };
    let name = store_bucket.strip_prefix(ns.store_prefix.as_str()).filter(|n| !n.is_empty())?.to_string();
    let store = crate::config::StoreConfig { bucket: store_bucket, ..s.clone() };
    Some((Cow::Owned(BucketConfig { name, store, public_prefixes: Vec::new(), in_namespace: true }), key))
}

/// The client's copy source, read independently: (gateway bucket, key, version). A configured
/// bucket, or the destination `dest` itself when it is a namespace bucket (no other namespace
/// bucket is a source).
fn client_copy_source<'c>(
    cfg: &'c Config,
    dest: &'c BucketConfig,
    parts: &RequestParts,
) -> Option<(&'c BucketConfig, String, Option<String>)> {
    let (b, k, v) = read_copy_source(parts.headers.get("x-amz-copy-source")?)?;
    let sb = cfg.bucket(&b).or_else(|| (dest.in_namespace && dest.name == b).then_some(dest))?;
    Some((sb, k, v))
}

/// What is wrong with a refusal: it must be an S3 error, and no builder's internal one.
fn refusal_violations(e: &S3Error) -> Vec<String> {
    let mut v = Vec::new();
    if !(400..600).contains(&e.status) || e.code.is_empty() {
        v.push(format!("a refusal that is no S3 error: {} {:?}", e.status, e.code));
    }
    if e.code == "InternalError" {
        v.push(format!("500 InternalError (a builder refused what the plan allowed?): {}", e.message));
    }
    v
}

/// Everything wrong with a [`dispatch_outcome`] for the client's bucket `name`: the bucket it
/// stood for must be the configured one of that name, or else the namespace bucket the rule makes
/// of it; then [`violations`] on that bucket. ListBuckets: an access key's, and the store's bucket
/// list only for the namespace's admins.
#[allow(clippy::too_many_arguments)]
pub fn dispatch_violations(
    cfg: &Config,
    who: &Who,
    parts: &RequestParts,
    op: &S3Op,
    name: &str,
    key: &str,
    body: &[u8],
    resolved: Option<&Resolved>,
    outcome: &Outcome,
) -> Vec<String> {
    if *op == S3Op::ListBuckets {
        return list_buckets_violations(cfg, who, outcome);
    }
    let Some(r) = resolved else {
        return match outcome {
            Outcome::Denied(e) => refusal_violations(e),
            Outcome::Served(_) => vec![format!("served {op:?} on {name:?} without a bucket")],
        };
    };
    let b = r.bucket();
    let mut v = Vec::new();
    match cfg.bucket(name) {
        Some(c) if c != b => v.push(format!("{name:?} is configured, but stood for {b:?}")),
        Some(_) => {}
        None if !b.in_namespace || b.name != name => v.push(format!("{name:?} is not configured, but stood for {b:?}")),
        None => {}
    }
    v.extend(violations(cfg, who, parts, &Asked { op, bucket: b, key, body }, outcome));
    v
}

/// ListBuckets: served to access keys only; a store request only for the namespace's admins,
/// and only the store's bucket list (`GET /` on the namespace's store, nothing else).
fn list_buckets_violations(cfg: &Config, who: &Who, outcome: &Outcome) -> Vec<String> {
    let sents = match outcome {
        Outcome::Denied(e) => return refusal_violations(e),
        Outcome::Served(s) => s,
    };
    let mut v = Vec::new();
    if !matches!(who.principal, Principal::AccessKey(_)) {
        v.push("served ListBuckets to a principal that is no access key".into());
    }
    for s in sents {
        let what = format!("{} {}", s.req.method, s.req.url);
        let root = cfg.namespace.as_ref().map(|ns| format!("{}/", ns.store.store.endpoint()));
        if s.req.method != "GET" || root.as_deref() != Some(s.req.url.as_str()) {
            v.push(format!("{what}: ListBuckets sends nothing but the store's bucket list"));
        }
        if !ns_admin(cfg, who.principal) {
            v.push(format!("{what}: the store's bucket list for a principal that is no admin of the namespace"));
        }
    }
    v
}

/// Everything wrong with `outcome` for this request and principal (empty: nothing).
pub fn violations(cfg: &Config, who: &Who, parts: &RequestParts, asked: &Asked, outcome: &Outcome) -> Vec<String> {
    let mut v = Vec::new();
    let ak = matches!(who.principal, Principal::AccessKey(_));
    let sents = match outcome {
        Outcome::Denied(e) => return refusal_violations(e),
        Outcome::Served(s) => s,
    };
    if *asked.op == S3Op::PostObject {
        return form_violations(cfg, who, parts, asked, sents);
    }
    let op = asked.op;
    let b = asked.bucket;
    if b.in_namespace {
        if !ns_made_by_the_rule(cfg, b) {
            v.push(format!("served {op:?} on {:?}, a namespace bucket the rule does not make ({})", b.name, b.store.bucket));
        }
        if !ns_reaches(cfg, who.principal, &b.name) {
            v.push(format!("served {op:?} on the namespace bucket {} to a principal that does not reach it", b.name));
        }
    }
    for (name, value) in parts.headers.iter() {
        let name = name.to_ascii_lowercase();
        if refused_header(ak, &name, value) {
            v.push(format!("served although the client sent {name}: {value}"));
        }
    }
    let row = rule(op);
    match row.need {
        Need::Refused => v.push(format!("served an unsupported operation {op:?}")),
        Need::Key(m) => {
            if !may(cfg, who, b, m, asked.key) {
                v.push(format!("served {op:?} on {:?} without {m} there", asked.key));
            }
        }
        Need::BucketScope => {
            if !may_bucket(cfg, who, b) {
                v.push(format!("served {op:?} to a principal that may not list its scope"));
            }
        }
        Need::AccessKey => {
            if !ak {
                v.push(format!("served {op:?} to a principal that is no access key"));
            }
        }
        Need::AccessKeyOn(m) => {
            if !ak {
                v.push(format!("served {op:?} (store attributes) to a principal that is no access key"));
            }
            if !may(cfg, who, b, m, asked.key) {
                v.push(format!("served {op:?} on {:?} without {m} there", asked.key));
            }
        }
        Need::BucketAdmin => {
            if !(b.in_namespace && ns_admin(cfg, who.principal)) {
                v.push(format!("served {op:?} on {} to a principal that is no admin of its namespace", b.name));
            }
        }
        Need::Denied(_) => v.push(format!("served {op:?}, which nobody is")),
        Need::ListPrefix | Need::AnyKey(_) => {}
        Need::FormPolicy(_) => v.push(format!("{op:?}: a form checked as another operation")),
    }
    let source = if row.other_keys == OtherKeys::CopySource {
        match client_copy_source(cfg, b, parts) {
            Some((sb, sk, sv)) => {
                if !may(cfg, who, sb, Method::Get, &sk) {
                    v.push(format!("served a copy from {}/{sk:?} without GET there", sb.name));
                }
                if !sents.iter().any(|s| s.req.headers.iter().any(|(k, _)| k == "x-amz-copy-source")) {
                    v.push("served a copy without sending a copy".into());
                }
                Some((sb, sk, sv))
            }
            None => {
                v.push("served a copy whose x-amz-copy-source names no bucket and key of the gateway".into());
                None
            }
        }
    } else {
        None
    };
    for s in sents {
        check_sent(cfg, who, parts, asked, source.as_ref(), s, &mut v);
    }
    v
}

/// A served POST Object is the PUT its form stands for: the form must parse and its policy
/// verify (signed by one of the gateway's access keys, within its conditions); then what was sent
/// is checked as a PutObject of the form's key by that access key, with the form's content
/// fields as its headers.
fn form_violations(cfg: &Config, who: &Who, parts: &RequestParts, asked: &Asked, sents: &[Sent]) -> Vec<String> {
    use crate::sigv4::post_policy_verify::{field, verify_post};
    use crate::upload::post::{form_boundary, parse_form};
    let form = form_boundary(parts.headers.get("content-type").unwrap_or("")).and_then(|b| parse_form(asked.body, &b).ok());
    let Some(form) = form else { return vec!["served a POST Object whose form does not parse".into()] };
    let file = &asked.body[form.file.0..form.file.1];
    let secret = |id: &str| cfg.access_keys.iter().find(|(k, _)| k == id).map(|(_, s)| s.clone());
    let Ok(vp) = verify_post(&form.fields, &asked.bucket.name, file.len() as u64, &secret, &cfg.region, cfg.allow_sigv2, who.now) else {
        return vec!["served a POST Object whose policy does not verify".into()];
    };
    let key = field(&form.fields, "key").unwrap_or("").replace("${filename}", &form.filename);
    let signer = Principal::AccessKey(Box::new(crate::auth::verify::Verified {
        access_key_id: vp.access_key_id,
        kind: crate::auth::verified::AuthKind::PostPolicy,
        expires_at: None,
        payload: Payload::Unsigned,
        signed_headers: Vec::new(),
        amz_date: vp.amz_date,
        scope: vp.scope,
        signature: vp.signature,
        signing_key: [0; 32],
    }));
    let mut h = crate::http::Headers::new();
    for (k, v) in &form.fields {
        let k = k.to_ascii_lowercase();
        if k == "acl" {
            h.insert("x-amz-acl", v.as_str());
        } else if CONTENT.contains(&k.as_str()) || k.starts_with("x-amz-meta-") || k == "x-amz-storage-class" {
            h.insert(k.as_str(), v.as_str());
        }
    }
    h.insert("content-length", file.len().to_string());
    let put = RequestParts::from_target("PUT", &format!("/{}/{}", asked.bucket.name, crate::encoding::uri_encode(&key, true)), h);
    let as_put = Asked { op: &S3Op::PutObject, bucket: asked.bucket, key: &key, body: file };
    violations(cfg, &Who { principal: &signer, ..*who }, &put, &as_put, &Outcome::Served(sents.to_vec()))
}

#[allow(clippy::type_complexity)]
fn check_sent(
    cfg: &Config,
    who: &Who,
    parts: &RequestParts,
    asked: &Asked,
    source: Option<&(&BucketConfig, String, Option<String>)>,
    s: &Sent,
    v: &mut Vec<String>,
) {
    let ak = matches!(who.principal, Principal::AccessKey(_));
    let op = asked.op;
    let req = &s.req;
    let what = format!("{} {}", req.method, req.url);
    let Some((scheme, rest)) = req.url.split_once("://") else {
        v.push(format!("{what}: not an absolute URL"));
        return;
    };
    let (host, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    if !path.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~' | b'/' | b'%')) {
        v.push(format!("{what}: path not strictly percent-encoded"));
    }
    if !ak && normalised_path(path) != path {
        v.push(format!("{what}: a URL normaliser would change the path (dot segments)"));
    }
    let pairs = parse_query(query);
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    let Some((sb, raw_key)) = locate(cfg, scheme, host, path) else {
        v.push(format!("{what}: addresses no store bucket of the gateway's (configured, or its namespace's)"));
        return;
    };
    let sb: &BucketConfig = &sb;
    if sb.in_namespace && !ns_reaches(cfg, who.principal, &sb.name) {
        v.push(format!("{what}: the namespace bucket {} for a principal that does not reach it", sb.name));
    }
    let key = match &raw_key {
        Some(k) => match String::from_utf8(percent_decode_bytes(k)) {
            Ok(k) => Some(k),
            Err(_) => {
                v.push(format!("{what}: key is not UTF-8"));
                return;
            }
        },
        None => None,
    };
    let Some(kind) = classify(&req.method, key.is_some(), &names) else {
        v.push(format!("{what}: not a store request any handler sends (sub-resource or method)"));
        return;
    };
    let row = rule(op);
    match &key {
        Some(key) => {
            let own = sb.name == asked.bucket.name && key == asked.key;
            let src = source.is_some_and(|(b, k, _)| b.name == sb.name && k == key);
            if own {
                let m = match row.need {
                    Need::Key(m) => m,
                    Need::AccessKeyOn(m) => {
                        if !ak {
                            v.push(format!("{what}: {op:?} is an access key's, this principal is none"));
                        }
                        m
                    }
                    _ => {
                        v.push(format!("{what}: {op:?} names no key, but this request does"));
                        return;
                    }
                };
                if kind == Kind::TagWrite && !ak {
                    v.push(format!("{what}: a tag write for a share token or anonymous caller"));
                }
                let consistent = matches!(
                    (m, kind),
                    (Method::Get, Kind::Read | Kind::SubRead)
                        | (Method::Head, Kind::Head)
                        | (
                            Method::Put,
                            Kind::Put | Kind::PartPut | Kind::Create | Kind::Complete | Kind::ListParts | Kind::Abort | Kind::Head
                        )
                        | (Method::Put, Kind::TagWrite)
                        | (Method::Delete, Kind::Delete)
                );
                if !consistent {
                    v.push(format!("{what}: a {kind:?} for {op:?} (table: {m})"));
                }
                let need = match kind {
                    Kind::Read | Kind::SubRead => Method::Get,
                    // a HEAD after a write checks what was written: the write's method
                    Kind::Head if m == Method::Put => Method::Put,
                    Kind::Head => Method::Head,
                    Kind::Delete => Method::Delete,
                    _ => Method::Put,
                };
                if !may(cfg, who, sb, need, key) {
                    v.push(format!("{what}: {need} on {key:?} is not allowed to this principal"));
                }
            } else if src && !own {
                if !matches!(kind, Kind::Head | Kind::Read) {
                    v.push(format!("{what}: the copy source is only read, this is a {kind:?}"));
                }
                if !may(cfg, who, sb, Method::Get, key) {
                    v.push(format!("{what}: GET on the copy source {key:?} is not allowed to this principal"));
                }
            } else {
                v.push(format!("{what}: names {}/{key:?}, a key the client did not ({}/{:?})", sb.name, asked.bucket.name, asked.key));
            }
        }
        None => {
            if sb.name != asked.bucket.name {
                v.push(format!("{what}: another bucket than the request's"));
            }
            match kind {
                Kind::ListVersions if *op == S3Op::DeleteBucket => {
                    // is anything left in it, before it goes
                    if !(sb.in_namespace && ns_admin(cfg, who.principal)) {
                        v.push(format!("{what}: DeleteBucket's look at {} for a principal that is no admin of its namespace", sb.name));
                    }
                }
                Kind::CreateBucket | Kind::DeleteBucket => {
                    let expected = if kind == Kind::CreateBucket { S3Op::CreateBucket } else { S3Op::DeleteBucket };
                    if *op != expected {
                        v.push(format!("{what}: a {kind:?} for {op:?}"));
                    }
                    if !(sb.in_namespace && ns_admin(cfg, who.principal)) {
                        v.push(format!("{what}: a {kind:?} of {}, which is no namespace bucket, or for no admin of it", sb.name));
                    }
                }
                Kind::HeadBucket if *op == S3Op::HeadBucket && sb.in_namespace => {
                    // a namespace bucket's existence is the store's to tell, to whoever may see the bucket
                    if !may_bucket(cfg, who, sb) {
                        v.push(format!("{what}: HeadBucket of {} for a principal that may not list its scope", sb.name));
                    }
                }
                Kind::List | Kind::ListVersions => {
                    let expected = if kind == Kind::List { S3Op::ListObjects } else { S3Op::ListObjectVersions };
                    if *op != expected {
                        v.push(format!("{what}: a {kind:?} for {op:?}"));
                    }
                    let prefix = pairs.iter().find(|(k, _)| k == "prefix").map(|(_, p)| p.as_str()).unwrap_or("");
                    if !may(cfg, who, sb, Method::List, prefix) {
                        v.push(format!("{what}: LIST of {prefix:?} is not allowed to this principal"));
                    }
                }
                Kind::DeleteMany => {
                    if *op != S3Op::DeleteObjects {
                        v.push(format!("{what}: a DeleteObjects for {op:?}"));
                    }
                    match &s.body {
                        None => v.push(format!("{what}: DeleteObjects without a document")),
                        Some(doc) => {
                            let asked_keys: Vec<String> = std::str::from_utf8(asked.body)
                                .ok()
                                .and_then(|b| crate::s3::xml::parse_delete_request(b).ok())
                                .map(|(_, o)| o.into_iter().map(|o| o.key).collect())
                                .unwrap_or_default();
                            // a document the store refuses deletes nothing
                            let keys = document_keys(doc).unwrap_or_default();
                            for k in keys {
                                if !asked_keys.contains(&k) {
                                    v.push(format!("{what}: deletes {k:?}, which the client did not name"));
                                }
                                if !may(cfg, who, sb, Method::Delete, &k) {
                                    v.push(format!("{what}: deletes {k:?} without DELETE there"));
                                }
                            }
                        }
                    }
                }
                Kind::Versioning => {
                    if *op != S3Op::GetBucketVersioning || !may_bucket(cfg, who, sb) {
                        v.push(format!("{what}: the versioning state for {op:?}, or for a principal that may not list its scope"));
                    }
                }
                Kind::ListUploads | Kind::HeadBucket | Kind::BucketAcl => {
                    if !ak {
                        v.push(format!("{what}: a bucket-wide {kind:?} for a principal that is no access key"));
                    }
                }
                _ => v.push(format!("{what}: a bucket-level {kind:?}")),
            }
        }
    }
    check_headers(cfg, who, parts, asked, sb, kind, s, v, &what);
}

#[allow(clippy::too_many_arguments)]
fn check_headers(
    cfg: &Config,
    who: &Who,
    parts: &RequestParts,
    asked: &Asked,
    sb: &BucketConfig,
    kind: Kind,
    s: &Sent,
    v: &mut Vec<String>,
    what: &str,
) {
    let ak = matches!(who.principal, Principal::AccessKey(_));
    let op = asked.op;
    let copy_op = matches!(op, S3Op::CopyObject | S3Op::UploadPartCopy);
    let client = &parts.headers;
    let client_has = |name: &str, value: &str| client.get_all(name).any(|c| c == value);
    let creds = &sb.store.credentials;
    let count = |n: &str| s.req.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(n)).count();
    // a signed request has each once; a request to an R2 binding has none (nothing is signed)
    let signed = if sb.store.r2_binding.is_some() { 0 } else { 1 };
    for n in ["authorization", "x-amz-date", "x-amz-content-sha256"] {
        if count(n) != signed {
            v.push(format!("{what}: {} {n} headers", count(n)));
        }
    }
    if count("x-amz-copy-source") > 1 {
        v.push(format!("{what}: several x-amz-copy-source headers"));
    }
    for (name, value) in &s.req.headers {
        let name = name.as_str();
        if name != name.to_ascii_lowercase() {
            v.push(format!("{what}: header name {name:?} not lower-case"));
        }
        // never, whatever the table says
        if name == "x-amz-acl"
            || name.starts_with("x-amz-grant-")
            || name == "cookie"
            || name == "host"
            || name.starts_with("x-forwarded-")
            || name == "proxy-authorization"
        {
            v.push(format!("{what}: sends {name}: {value}"));
            continue;
        }
        if !ak
            && [
                "x-amz-server-side-encryption",
                "x-amz-copy-source-server-side-encryption",
                "x-amz-storage-class",
                "x-amz-tagging",
                "x-amz-object-lock-",
                "x-amz-website-redirect-location",
            ]
            .iter()
            .any(|p| name.starts_with(p))
        {
            v.push(format!("{what}: sends the store attribute {name} for a share token or anonymous caller"));
            continue;
        }
        let ok = match name {
            "authorization" => {
                value.starts_with(&format!("AWS4-HMAC-SHA256 Credential={}/", creds.access_key_id)) && !client_has(name, value)
            }
            "x-amz-date" => *value == crate::time::amz_date(who.now),
            "x-amz-content-sha256" => value == UNSIGNED_PAYLOAD || (value.len() == 64 && value.bytes().all(|c| c.is_ascii_hexdigit())),
            "x-amz-security-token" => creds.session_token.as_deref() == Some(value.as_str()),
            "x-amz-copy-source" => {
                if copy_op && matches!(kind, Kind::Put | Kind::PartPut) {
                    check_copy_header(cfg, who, parts, asked.bucket, sb, value, v, what);
                    true
                } else {
                    false
                }
            }
            "x-amz-copy-source-if-match" if copy_op && value == STORE_ETAG && !ak => true,
            "content-length" if matches!(kind, Kind::Put | Kind::PartPut) && !copy_op => {
                // the declared length, as a number
                let n = |v: &str| v.trim().parse::<u64>().ok();
                n(value).is_some_and(|len| {
                    client.get_all("content-length").chain(client.get_all("x-amz-decoded-content-length")).any(|c| n(c) == Some(len))
                })
            }
            "content-encoding" if kind == Kind::Put && !copy_op && !client_has(name, value) => {
                let tokens: Vec<String> =
                    client.get_all("content-encoding").flat_map(|c| c.split(',').map(|t| t.trim().to_string())).collect();
                value.split(',').map(str::trim).all(|t| !t.eq_ignore_ascii_case("aws-chunked") && tokens.iter().any(|c| c == t))
            }
            "if-none-match" if value == "*" && matches!(kind, Kind::Put | Kind::Complete) => true,
            "content-type" if value == "application/xml" && matches!(kind, Kind::Complete | Kind::DeleteMany | Kind::TagWrite) => true,
            "content-md5" if kind == Kind::DeleteMany || (kind == Kind::TagWrite && s.body.is_some()) => {
                use md5::Digest as _;
                let doc = s.body.as_deref().unwrap_or("");
                *value == crate::encoding::base64::encode(md5::Md5::digest(doc.as_bytes()))
            }
            _ => client_header_allowed(op, ak, name) && client_has(name, value),
        };
        if !ok {
            v.push(format!("{what}: header {name}: {value:?} is neither the gateway's nor a client header {op:?} allows"));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_copy_header(
    cfg: &Config,
    who: &Who,
    parts: &RequestParts,
    asked_bucket: &BucketConfig,
    dest: &BucketConfig,
    value: &str,
    v: &mut Vec<String>,
    what: &str,
) {
    let Some((store_bucket, key, version)) = read_copy_source(value) else {
        v.push(format!("{what}: x-amz-copy-source {value:?} names no bucket and key"));
        return;
    };
    // the configured buckets, and the request's own bucket when it is a namespace bucket
    let own = asked_bucket.in_namespace.then_some(asked_bucket);
    let same_store: Vec<&BucketConfig> = cfg
        .buckets
        .iter()
        .chain(own)
        .filter(|b| b.store.bucket == store_bucket && b.store.scheme == dest.store.scheme && b.store.host == dest.store.host)
        .collect();
    if same_store.is_empty() {
        v.push(format!("{what}: x-amz-copy-source {value:?} names a store bucket the gateway does not expose on this store"));
        return;
    }
    match client_copy_source(cfg, asked_bucket, parts) {
        Some((cb, ck, cv)) => {
            if !same_store.iter().any(|b| b.name == cb.name) || ck != key || cv.filter(|v| !v.is_empty()) != version {
                v.push(format!("{what}: x-amz-copy-source {value:?} is not the client's source {}/{ck:?}", cb.name));
            }
        }
        None => v.push(format!("{what}: x-amz-copy-source {value:?} sent for a client that named no source")),
    }
    if !same_store.iter().any(|b| may(cfg, who, b, Method::Get, &key)) {
        v.push(format!("{what}: x-amz-copy-source {value:?}: GET there is not allowed to this principal"));
    }
}

/// The access key of [`fixture_config`] that administers its bucket namespace.
pub const FIXTURE_ADMIN: (&str, &str) = ("NSADMIN", "nsadminsecret");
/// An access key of [`fixture_config`] that is no admin of its namespace (as `GWKEY`).
pub const FIXTURE_NON_ADMIN: (&str, &str) = ("NSUSER", "nsusersecret");

/// The configuration the property test and the fuzz target check plans against: a path-style
/// bucket with a public prefix, a second bucket, a virtual-hosted one and one on another store,
/// one whose store bucket (`ns-taken`) is what the namespace's rule would make of `taken`, and
/// one on the default store spelled otherwise whose store bucket is the rule's `other-spelling`; a
/// bucket namespace (`prefix:ns-` on the default store) administered by [`FIXTURE_ADMIN`]; the
/// access keys `GWKEY` and [`FIXTURE_NON_ADMIN`] (no admins) and the admin; a revoked token id.
/// `token_keys` are the share-token keys (`kid:secret`).
pub fn fixture_config(token_keys: &str) -> Config {
    let access_keys = format!("GWKEY:gwsecret,{}:{},{}:{}", FIXTURE_ADMIN.0, FIXTURE_ADMIN.1, FIXTURE_NON_ADMIN.0, FIXTURE_NON_ADMIN.1);
    Config::from_pairs(&[
        ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
        ("STORE_ACCESS_KEY_ID", "STOREAK"),
        ("STORE_SECRET_ACCESS_KEY", "storesecret"),
        ("STORE_SESSION_TOKEN", "store-session"),
        (
            "BAGROOM_BUCKETS",
            r#"[{"name":"demo","public_prefixes":["pub/"]},{"name":"other"},{"name":"vh","store_bucket":"vh-store","addressing":"virtual"},{"name":"far","endpoint":"http://10.0.0.2:9000"},{"name":"alias","store_bucket":"ns-taken"},{"name":"spelled","store_bucket":"ns-other-spelling","endpoint":"http://LOCALHOST:8333/"},{"name":"files","r2_binding":"FILES","public_prefixes":["pub/"]}]"#,
        ),
        ("BAGROOM_TOKEN_KEYS", token_keys),
        ("BAGROOM_ACCESS_KEYS", &access_keys),
        ("BAGROOM_BUCKET_NAMESPACE", "prefix:ns-"),
        ("BAGROOM_BUCKET_ADMINS", FIXTURE_ADMIN.0),
        ("BAGROOM_REVOKED_TOKENS", "dead"),
        ("BAGROOM_VIRTUAL_HOST", "s3.gw.test"),
    ])
    .expect("the fixture configuration is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_readings() {
        assert_eq!(normalised_path("/b/a/../c"), "/b/c");
        assert_eq!(normalised_path("/b/%2E%2e/c"), "/c");
        assert_eq!(normalised_path("/b/a/."), "/b/a/");
        assert_eq!(normalised_path("/b/a.b/..c"), "/b/a.b/..c");
        assert_eq!(read_copy_source("/b/a%3Fb?versionId=v"), Some(("b".into(), "a?b".into(), Some("v".into()))));
        assert_eq!(read_copy_source("b"), None);
        assert_eq!(
            document_keys("<Delete><Object><Key>a&amp;b\r</Key></Object><Object><Key>c&#13;&#x9;</Key></Object></Delete>").unwrap(),
            vec!["a&b\n", "c\r\t"]
        );
        assert_eq!(document_keys("<Delete><Object><Key>a&#x0;</Key></Object></Delete>"), None);
        assert_eq!(document_keys("<Delete><Object><Key>;a&amp;</Key></Object></Delete>").unwrap(), vec![";a&"]);
        assert_eq!(document_keys("<Delete><Object><Key>a\u{1}</Key></Object></Delete>"), None);
        assert_eq!(classify("PUT", true, &["partNumber", "uploadId"]), Some(Kind::PartPut));
        assert_eq!(classify("GET", true, &["acl"]), Some(Kind::SubRead));
        assert_eq!(classify("GET", true, &["tagging", "versionId"]), Some(Kind::SubRead));
        assert_eq!(classify("GET", true, &["tagging", "acl"]), None);
        assert_eq!(classify("GET", true, &["tagging", "partNumber"]), None);
        assert_eq!(classify("PUT", true, &["tagging"]), Some(Kind::TagWrite));
        assert_eq!(classify("DELETE", true, &["tagging", "versionId"]), Some(Kind::TagWrite));
        assert_eq!(classify("PUT", true, &["acl"]), None);
        assert_eq!(classify("GET", false, &["acl"]), Some(Kind::BucketAcl));
        assert_eq!(classify("PUT", false, &["acl"]), None);
        assert_eq!(classify("GET", false, &["tagging"]), None);
        assert_eq!(classify("GET", false, &["list-type", "prefix"]), Some(Kind::List));
        assert_eq!(classify("GET", false, &["versioning"]), Some(Kind::Versioning));
        assert_eq!(classify("GET", false, &["versioning", "prefix"]), None);
        assert_eq!(classify("PUT", false, &["versioning"]), None);
        assert_eq!(classify("GET", false, &["versions", "prefix", "key-marker"]), Some(Kind::ListVersions));
        assert_eq!(classify("GET", false, &["versions", "list-type"]), None);
        assert_eq!(classify("GET", true, &["versions"]), None);
    }
    fn form_config() -> Config {
        Config::from_pairs(&[
            ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
            ("STORE_ACCESS_KEY_ID", "STOREAK"),
            ("STORE_SECRET_ACCESS_KEY", "storesecret"),
            ("BAGROOM_BUCKETS", r#"[{"name":"demo"}]"#),
            ("BAGROOM_TOKEN_KEYS", "k1:check-form-secret-0123456789"),
            ("BAGROOM_ACCESS_KEYS", "GWKEY:gwsecret"),
        ])
        .unwrap()
    }

    fn form_body(fields: &[(String, String)], file: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        for (k, v) in fields {
            b.extend_from_slice(format!("--BB\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        b.extend_from_slice(b"--BB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\n");
        b.extend_from_slice(file);
        b.extend_from_slice(b"\r\n--BB--\r\n");
        b
    }

    #[test]
    fn a_post_form_writes_its_key_for_its_signer_and_nothing_else() {
        use crate::sigv4::post_policy::{post_form, PostPolicy};
        let cfg = form_config();
        let now = 1_700_000_000;
        let policy = PostPolicy {
            bucket: "demo".into(),
            key_starts_with: Some("up/".into()),
            content_length_range: Some((0, 10)),
            extra_fields: vec![("x-amz-meta-a".into(), "1".into())],
            expires_at: now + 60,
            ..Default::default()
        };
        let creds = crate::sigv4::Credentials::new("GWKEY", "gwsecret");
        let fields = post_form(&policy, "http://gw/demo", &creds, "us-east-1", now).fields;
        let ct = crate::http::Headers::from_pairs([("content-type", "multipart/form-data; boundary=BB")]);
        let parts = RequestParts::from_target("POST", "/demo", ct.clone());
        let bucket = cfg.bucket("demo").unwrap();
        let run = |principal: &Principal, body: &[u8]| {
            let who = Who { principal, revoked: &[], client_ip: None, now };
            let asked = Asked { op: &S3Op::PostObject, bucket, key: "", body };
            let out = s3_outcome(&cfg, &who, &parts, &asked);
            let v = violations(&cfg, &who, &parts, &asked, &out);
            assert!(v.is_empty(), "{v:?}");
            out
        };
        let anon = Principal::Anonymous;
        let body = form_body(&fields, b"hello");
        let out = run(&anon, &body);
        let sent = out.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].req.method, "PUT");
        assert!(sent[0].req.url.ends_with("/demo/up/f.txt"), "{}", sent[0].req.url);
        assert!(sent[0].req.headers.iter().any(|(k, v)| k == "x-amz-meta-a" && v == "1"));
        // a share token on the request gains nothing: the form still needs its signature
        let tok = Principal::Token(
            Box::new(crate::auth::token::Claims::new("k1", now + 60, crate::auth::token::Methods::ALL, "demo", Scope::Prefix("".into()))),
            "t".into(),
            TokenSource::Query,
        );
        let unsigned: Vec<_> = fields.iter().filter(|(k, _)| k != "x-amz-signature").cloned().collect();
        for p in [&anon, &tok] {
            match run(p, &form_body(&unsigned, b"hello")) {
                Outcome::Denied(e) => assert_eq!(e.status, 403),
                o => panic!("{o:?}"),
            }
        }
        // outside the policy: nothing is sent
        let mut other = fields.clone();
        other.iter_mut().find(|(k, _)| k == "key").unwrap().1 = "elsewhere/x".into();
        assert!(!run(&anon, &form_body(&other, b"hello")).is_served());
        assert!(!run(&anon, &form_body(&fields, b"hello world!")).is_served());
        // the oracle is not blind: a PUT of another key for this form is a violation
        let who = Who { principal: &anon, revoked: &[], client_ip: None, now };
        let asked = Asked { op: &S3Op::PostObject, bucket, key: "", body: &body };
        let g = authorize(
            &Who { principal: &crate::auth::Principal::access_key_named("GWKEY", crate::auth::verified::AuthKind::PostPolicy), ..who },
            bucket,
            Method::Put,
            "other/k",
        )
        .unwrap();
        let bad = Outcome::Served(vec![sent_of(store::build(&g, "PUT", &[], &StoreHeaders::none(), UNSIGNED_PAYLOAD, now).unwrap())]);
        assert!(!violations(&cfg, &who, &parts, &asked, &bad).is_empty());
    }

    fn sent_of(r: StoreRequest) -> Sent {
        sent(r)
    }
}
