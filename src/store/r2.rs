//! The store interface over an R2 binding: what a [`StoreRequest`] to an R2-binding bucket asks
//! for ([`Op`]), and the S3 answer made from what the binding returns.
//!
//! Every request to a store is built by `crate::store` from a grant (an authorised key) and the
//! client headers the operation table allows, whichever store it is. For a bucket behind an R2
//! binding that request is `r2://<binding>/<key>?<query>` with nothing signed; [`parse`] reads
//! the operation back from it, and the shell (`crate::worker::r2`) carries it out on the binding
//! and answers as an S3 store would (status, `ETag`, `Last-Modified`, metadata, XML documents,
//! S3 error codes), so nothing above the store layer knows which store it talks to.
//!
//! What the binding cannot do: ListParts, ListMultipartUploads, UploadPartCopy, versioning,
//! tagging, ACLs and object attributes answer `NotImplemented` with the reason (README: Limits).
//! CopyObject is a streamed get-then-put within [`COPY_MAX_BYTES`].

use super::request::StoreRequest;
use crate::http::Headers;
use crate::s3::error::{Code, S3Error};
use crate::s3::listing::{ListRequest, ListResult, ObjectEntry};

/// The URL scheme of a request to an R2 binding.
pub const SCHEME: &str = "r2://";

/// The largest object CopyObject copies through the binding (a get piped into a put: R2's
/// binding has no server-side copy). S3's own single-request copy limit.
pub const COPY_MAX_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// One operation on an R2 bucket, as the store layer asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// GetObject / HeadObject (`head`): Range and conditions are in the headers.
    Get {
        key: String,
        head: bool,
    },
    /// PutObject of the request's body (its length in `content-length`).
    Put {
        key: String,
    },
    /// CopyObject of `source` (same binding) onto `key`.
    Copy {
        key: String,
        source: String,
    },
    Delete {
        key: String,
    },
    /// DeleteObjects: the keys are in the request's body (a `Delete` document).
    DeleteMany,
    /// ListObjects (V1 or V2).
    List(ListRequest),
    /// ListObjectVersions of an unversioned bucket: every object, as its only version `null`.
    ListVersions {
        prefix: String,
        max_keys: u32,
        key_marker: Option<String>,
    },
    /// GetBucketVersioning: never enabled.
    GetVersioning,
    HeadBucket,
    CreateMultipart {
        key: String,
    },
    UploadPart {
        key: String,
        upload_id: String,
        part: u16,
    },
    Complete {
        key: String,
        upload_id: String,
    },
    Abort {
        key: String,
        upload_id: String,
    },
}

/// A request to an R2 binding: the binding's name, the operation, and the headers the store
/// layer put on it (the allowed client headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct R2Request {
    pub binding: String,
    pub op: Op,
    pub headers: Headers,
}

fn unsupported(what: &str) -> S3Error {
    S3Error::not_implemented(format!("{what} is not available on an R2 binding (README: Limits)"))
}

/// Read the operation back from a request `crate::store` built for an R2-binding bucket.
pub fn parse(r: &StoreRequest) -> Result<R2Request, S3Error> {
    let rest = r.url.strip_prefix(SCHEME).ok_or_else(|| S3Error::internal("not an R2 binding request"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (binding, key) = path.split_once('/').unwrap_or((path, ""));
    let key = crate::s3::listing::s3_url_decode(key);
    let q: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (crate::s3::listing::s3_url_decode(k), crate::s3::listing::s3_url_decode(v))
        })
        .collect();
    let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let has = |n: &str| q.iter().any(|(k, _)| k == n);
    let headers = Headers::from_pairs(r.headers.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let version = get("versionId").filter(|v| *v != "null");
    let op = match (r.method.as_str(), key.is_empty()) {
        (_, false) if version.is_some() => return Err(unsupported("an object version (R2 keeps no versions)")),
        (_, false) if has("tagging") => return Err(unsupported("object tagging")),
        (_, false) if has("acl") => return Err(unsupported("an object ACL")),
        (_, false) if has("attributes") => return Err(unsupported("GetObjectAttributes")),
        ("GET" | "HEAD", false) if has("partNumber") => return Err(unsupported("a part of an object (partNumber)")),
        ("GET", false) if has("uploadId") => return Err(unsupported("ListParts")),
        ("GET", false) => Op::Get { key, head: false },
        ("HEAD", false) => Op::Get { key, head: true },
        ("PUT", false) if has("uploadId") => {
            if headers.get("x-amz-copy-source").is_some() {
                return Err(unsupported("UploadPartCopy"));
            }
            let part = get("partNumber").and_then(|n| n.parse::<u16>().ok()).filter(|n| (1..=10_000).contains(n));
            let part = part.ok_or_else(|| S3Error::invalid_argument("Part number must be an integer between 1 and 10000, inclusive"))?;
            Op::UploadPart { key, upload_id: get("uploadId").unwrap_or_default().to_string(), part }
        }
        ("PUT", false) => match headers.get("x-amz-copy-source") {
            Some(src) => Op::Copy { key, source: copy_source_key(src)? },
            None => Op::Put { key },
        },
        ("POST", false) if has("uploads") => Op::CreateMultipart { key },
        ("POST", false) if has("uploadId") => Op::Complete { key, upload_id: get("uploadId").unwrap_or_default().to_string() },
        ("DELETE", false) if has("uploadId") => Op::Abort { key, upload_id: get("uploadId").unwrap_or_default().to_string() },
        ("DELETE", false) => Op::Delete { key },
        ("POST", true) if has("delete") => Op::DeleteMany,
        ("HEAD", true) => Op::HeadBucket,
        ("GET", true) if has("versioning") => Op::GetVersioning,
        ("GET", true) if has("uploads") => return Err(unsupported("ListMultipartUploads")),
        ("GET", true) if has("acl") => return Err(unsupported("a bucket ACL")),
        ("GET", true) if has("versions") => Op::ListVersions {
            prefix: get("prefix").unwrap_or_default().to_string(),
            max_keys: get("max-keys").and_then(|m| m.parse().ok()).unwrap_or(1000u32).min(1000),
            key_marker: get("key-marker").filter(|m| !m.is_empty()).map(str::to_string),
        },
        ("GET", true) => Op::List(crate::s3::listing::parse_list_query(&q)?),
        ("PUT" | "DELETE", true) => return Err(unsupported("creating or deleting a bucket")),
        (m, _) => return Err(unsupported(&format!("{m} {}", if key.is_empty() { "on the bucket" } else { "on an object" }))),
    };
    Ok(R2Request { binding: binding.to_string(), op, headers })
}

/// The source key of `x-amz-copy-source: /<store bucket>/<encoded key>` (the store layer wrote
/// it from a Read grant on the same binding).
fn copy_source_key(v: &str) -> Result<String, S3Error> {
    if v.contains("?versionId=") && !v.ends_with("?versionId=null") {
        return Err(unsupported("copying an object version"));
    }
    let v = v.split_once('?').map_or(v, |(p, _)| p);
    let key = v.trim_start_matches('/').split_once('/').map(|(_, k)| k).unwrap_or("");
    if key.is_empty() {
        return Err(S3Error::internal("a copy source without a key"));
    }
    Ok(crate::s3::listing::s3_url_decode(key))
}

/// R2's `httpMetadata` fields, by the header that carries each.
pub const HTTP_METADATA: &[(&str, &str)] = &[
    ("content-type", "contentType"),
    ("content-language", "contentLanguage"),
    ("content-disposition", "contentDisposition"),
    ("content-encoding", "contentEncoding"),
    ("cache-control", "cacheControl"),
    ("expires", "cacheExpiry"),
];

/// What a write stores with the object: `httpMetadata` fields (R2's names) and `customMetadata`
/// (`x-amz-meta-*` without the prefix, names lower-case as S3 keeps them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub http: Vec<(&'static str, String)>,
    pub custom: Vec<(String, String)>,
}

/// The metadata a PutObject / CreateMultipartUpload / CopyObject with `REPLACE` stores, from
/// its headers.
pub fn metadata_of(h: &Headers) -> Metadata {
    let mut m = Metadata::default();
    for (header, field) in HTTP_METADATA {
        if let Some(v) = h.get(header) {
            m.http.push((field, v.to_string()));
        }
    }
    for (k, v) in h.iter() {
        if let Some(name) = k.strip_prefix("x-amz-meta-") {
            m.custom.push((name.to_string(), v.to_string()));
        }
    }
    m
}

/// What the binding says of one stored object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// Quoted (R2's `httpEtag`).
    pub etag: String,
    /// Milliseconds since the epoch.
    pub uploaded_ms: f64,
    /// `httpMetadata` fields by R2's names (`cacheExpiry` as milliseconds, in text).
    pub http: Vec<(String, String)>,
    pub custom: Vec<(String, String)>,
    /// `checksums` the binding keeps (`sha256`, ... as hex), for `x-amz-checksum-*`.
    pub checksums: Vec<(String, String)>,
}

impl ObjectInfo {
    pub fn last_modified(&self) -> u64 {
        (self.uploaded_ms / 1000.0) as u64
    }
}

/// The headers S3 sends with an object (GET, HEAD, 304, 206): type, length, validators,
/// metadata; `checksum_mode` adds `x-amz-checksum-*` for the digests R2 keeps.
pub fn object_headers(o: &ObjectInfo, length: u64, checksum_mode: bool) -> Headers {
    let mut h = Headers::new();
    h.append("etag", o.etag.clone());
    h.append("last-modified", crate::time::http_date(o.last_modified()));
    h.append("content-length", length.to_string());
    h.append("accept-ranges", "bytes");
    let mut has_type = false;
    for (field, v) in &o.http {
        let Some((header, _)) = HTTP_METADATA.iter().find(|(_, f)| f == field) else { continue };
        if *header == "expires" {
            // R2 keeps a Date: the binding gives milliseconds
            if let Ok(ms) = v.parse::<f64>() {
                h.append("expires", crate::time::http_date((ms / 1000.0) as u64));
            }
            continue;
        }
        has_type |= *header == "content-type";
        h.append(header, v.clone());
    }
    if !has_type {
        h.append("content-type", "binary/octet-stream");
    }
    for (k, v) in &o.custom {
        h.append(&format!("x-amz-meta-{k}"), v.clone());
    }
    if checksum_mode {
        for (algo, hex) in &o.checksums {
            if let Some(b) = hex_to_base64(hex) {
                h.append(&format!("x-amz-checksum-{algo}"), b);
            }
        }
    }
    h
}

fn hex_to_base64(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect();
    Some(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes?))
}

/// R2 digests a PutObject can check (`md5`, `sha1`, `sha256`) from the request's `content-md5` /
/// `x-amz-checksum-*` (base64), as hex, with R2's option names. A `Content-MD5` that is not the
/// base64 of 16 bytes is S3's 400 `InvalidDigest` (R2 would store the object unchecked).
pub fn put_checksums(h: &Headers) -> Result<Vec<(&'static str, String)>, S3Error> {
    let mut out = Vec::new();
    let b64 = |v: &str| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, v.trim()).ok();
    let hex = |b: Vec<u8>| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    for (header, opt, len) in [("content-md5", "md5", 16), ("x-amz-checksum-sha1", "sha1", 20), ("x-amz-checksum-sha256", "sha256", 32)] {
        match (h.get(header).map(|v| b64(v).filter(|b| b.len() == len)), header) {
            (Some(Some(b)), _) => out.push((opt, hex(b))),
            (Some(None), "content-md5") => return Err(S3Error::of(Code::InvalidDigest)),
            _ => {}
        }
    }
    Ok(out)
}

/// One page of the binding's `list()`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListPage {
    pub objects: Vec<ObjectInfo>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    pub cursor: Option<String>,
}

/// The binding's `list()` options for a ListObjects request: (prefix, delimiter, cursor,
/// startAfter, limit). V2's continuation token is R2's cursor; V1's marker and V2's start-after
/// are R2's startAfter.
pub fn list_options(r: &ListRequest) -> (String, Option<String>, Option<String>, Option<String>, u32) {
    let start_after = if r.v2 { r.start_after.clone() } else { r.marker.clone() }.filter(|s| !s.is_empty());
    let cursor = if r.v2 { r.continuation_token.clone().filter(|c| !c.is_empty()) } else { None };
    (r.prefix.clone(), r.delimiter.clone().filter(|d| !d.is_empty()), cursor, start_after, r.max_keys.clamp(1, 1000))
}

/// The `ListBucketResult` S3 would send for `r` given the binding's page (`max-keys=0`: an
/// empty page, as S3 answers).
pub fn list_xml(bucket: &str, r: &ListRequest, page: ListPage) -> String {
    let mut contents: Vec<ObjectEntry> = page
        .objects
        .iter()
        .map(|o| ObjectEntry {
            key: o.key.clone(),
            last_modified: Some(o.last_modified()),
            etag: o.etag.clone(),
            size: o.size,
            ..Default::default()
        })
        .collect();
    let mut prefixes = page.prefixes;
    let mut truncated = page.truncated;
    if r.max_keys == 0 {
        contents.clear();
        prefixes.clear();
        truncated = false;
    }
    let last = {
        let k = contents.last().map(|o| o.key.clone());
        let p = prefixes.last().cloned();
        match (k, p) {
            (Some(k), Some(p)) => Some(k.max(p)),
            (k, p) => k.or(p),
        }
    };
    let result = ListResult {
        name: bucket.to_string(),
        prefix: r.prefix.clone(),
        delimiter: r.delimiter.clone(),
        max_keys: r.max_keys,
        key_count: (contents.len() + prefixes.len()) as u32,
        is_truncated: truncated,
        continuation_token: if r.v2 { r.continuation_token.clone() } else { None },
        next_continuation_token: if r.v2 && truncated { page.cursor } else { None },
        start_after: if r.v2 { r.start_after.clone() } else { None },
        marker: if r.v2 { None } else { Some(r.marker.clone().unwrap_or_default()) },
        next_marker: if !r.v2 && truncated { last } else { None },
        encoding_type_url: r.encoding_type_url,
        contents,
        common_prefixes: prefixes,
    };
    if r.v2 {
        crate::s3::listing::list_v2_xml(&result)
    } else {
        crate::s3::listing::list_v1_xml(&result)
    }
}

/// ListObjectVersions of a bucket without versions: each object its own `null` version.
pub fn list_versions_xml(bucket: &str, prefix: &str, max_keys: u32, page: &ListPage) -> String {
    use crate::s3::xml::writer::{XmlWriter, S3_NS};
    let mut w = XmlWriter::new();
    w.open_ns("ListVersionsResult", S3_NS).elem("Name", bucket).elem("Prefix", prefix).elem("KeyMarker", "").elem("VersionIdMarker", "");
    w.num("MaxKeys", max_keys).boolean("IsTruncated", page.truncated);
    if page.truncated {
        if let Some(o) = page.objects.last() {
            w.elem("NextKeyMarker", &o.key).elem("NextVersionIdMarker", "null");
        }
    }
    for o in &page.objects {
        w.open("Version").elem("Key", &o.key).elem("VersionId", "null").boolean("IsLatest", true);
        w.time("LastModified", o.last_modified()).elem("ETag", &o.etag).num("Size", o.size).elem("StorageClass", "STANDARD");
        w.close("Version");
    }
    w.close("ListVersionsResult");
    w.finish()
}

/// `GetBucketVersioning` of an R2 bucket: versioning was never enabled.
pub fn versioning_xml() -> String {
    use crate::s3::xml::writer::{XmlWriter, S3_NS};
    let mut w = XmlWriter::new();
    w.open_ns("VersioningConfiguration", S3_NS).close("VersioningConfiguration");
    w.finish()
}

/// The S3 error for an exception the binding threw: R2 puts its error code in the message
/// (`"get: The specified key does not exist. (10007)"`).
pub fn error_from(message: &str) -> S3Error {
    let code = message.rsplit_once('(').and_then(|(_, c)| c.trim_end_matches(')').trim().parse::<u32>().ok());
    let text = message.rsplit_once(" (").map_or(message, |(m, _)| m).to_string();
    let text = text.split_once(": ").map_or(text.as_str(), |(_, m)| m).to_string();
    match code {
        Some(10007) => S3Error::no_such_key(),
        Some(10024) => S3Error::with_message(Code::NoSuchUpload, text),
        Some(10011) => S3Error::with_message(Code::EntityTooSmall, text),
        Some(10025) => S3Error::with_message(Code::InvalidPart, text),
        Some(10039) => S3Error::of(Code::InvalidRange),
        Some(10031) => S3Error::precondition_failed(None),
        Some(10037 | 10038) => S3Error::with_message(Code::BadDigest, text),
        Some(10020) => S3Error::with_message(Code::KeyTooLongError, text),
        Some(10014) => S3Error::with_message(Code::InvalidArgument, text),
        Some(10001 | 10058) => S3Error::with_message(Code::SlowDown, text).with_status(503),
        _ => S3Error::bad_gateway(format!("the R2 binding failed: {text}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::StoreHeaders;

    fn req(method: &str, url: &str, headers: &[(&str, &str)]) -> StoreRequest {
        StoreRequest {
            method: method.into(),
            url: url.into(),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            raw_body: true,
        }
    }

    #[test]
    fn object_operations_are_read_back_with_their_keys() {
        let get = parse(&req("GET", "r2://B/a%20b%2Fc%2B", &[("range", "bytes=0-1")])).unwrap();
        assert_eq!(get.binding, "B");
        assert_eq!(get.op, Op::Get { key: "a b/c+".into(), head: false });
        assert_eq!(get.headers.get("range"), Some("bytes=0-1"));
        assert_eq!(parse(&req("HEAD", "r2://B/k", &[])).unwrap().op, Op::Get { key: "k".into(), head: true });
        assert_eq!(parse(&req("PUT", "r2://B/k", &[])).unwrap().op, Op::Put { key: "k".into() });
        assert_eq!(parse(&req("DELETE", "r2://B/k", &[])).unwrap().op, Op::Delete { key: "k".into() });
        assert_eq!(
            parse(&req("PUT", "r2://B/dst", &[("x-amz-copy-source", "/demo/dir/s%20rc")])).unwrap().op,
            Op::Copy { key: "dst".into(), source: "dir/s rc".into() }
        );
        assert_eq!(parse(&req("POST", "r2://B/k?uploads=", &[])).unwrap().op, Op::CreateMultipart { key: "k".into() });
        assert_eq!(
            parse(&req("PUT", "r2://B/k?partNumber=3&uploadId=u%2B1", &[])).unwrap().op,
            Op::UploadPart { key: "k".into(), upload_id: "u+1".into(), part: 3 }
        );
        assert_eq!(parse(&req("POST", "r2://B/k?uploadId=u", &[])).unwrap().op, Op::Complete { key: "k".into(), upload_id: "u".into() });
        assert_eq!(parse(&req("DELETE", "r2://B/k?uploadId=u", &[])).unwrap().op, Op::Abort { key: "k".into(), upload_id: "u".into() });
        assert_eq!(parse(&req("POST", "r2://B/?delete=", &[])).unwrap().op, Op::DeleteMany);
        assert_eq!(parse(&req("HEAD", "r2://B/", &[])).unwrap().op, Op::HeadBucket);
    }

    #[test]
    fn what_the_binding_lacks_is_not_implemented_with_the_reason() {
        for (m, url, h) in [
            ("GET", "r2://B/k?uploadId=u", None),
            ("GET", "r2://B/?uploads=", None),
            ("GET", "r2://B/k?tagging=", None),
            ("GET", "r2://B/k?versionId=abc", None),
            ("GET", "r2://B/k?partNumber=1", None),
            ("PUT", "r2://B/k?partNumber=1&uploadId=u", Some(("x-amz-copy-source", "/b/s"))),
            ("PUT", "r2://B/", None),
        ] {
            let e = parse(&req(m, url, &h.into_iter().collect::<Vec<_>>())).unwrap_err();
            assert_eq!(e.code, Code::NotImplemented, "{m} {url}");
            assert!(e.message.contains("R2 binding"), "{}", e.message);
        }
    }

    #[test]
    fn the_store_layer_builds_binding_requests_without_signatures() {
        let cfg = crate::config::Config::from_pairs(&[
            ("STORE_R2_BINDING", "FILES"),
            ("BAGROOM_BUCKET", "demo"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123456789abcdef"),
        ])
        .unwrap();
        let b = &cfg.buckets[0];
        assert_eq!(b.store.endpoint(), "r2://FILES");
        assert!(!b.store.direct_uploads() && !b.store.post_policy);
        let p = crate::auth::Principal::access_key_named("AK", crate::auth::verified::AuthKind::HeaderV4);
        let who = crate::guard::Who { principal: &p, revoked: &[], client_ip: None, now: 0 };
        let g = crate::guard::grant::authorize(&who, b, crate::auth::token::Method::Get, "dir/x y").unwrap();
        let r = crate::store::object_read(&g, "GET", None, &StoreHeaders::none(), 0).unwrap();
        assert!(r.headers.iter().all(|(k, _)| k != "authorization" && k != "x-amz-date"), "{:?}", r.headers);
        let back = parse(&r).unwrap();
        assert_eq!((back.binding.as_str(), back.op), ("FILES", Op::Get { key: "dir/x y".into(), head: false }));
    }

    #[test]
    fn metadata_round_trips_through_http_and_custom_metadata() {
        let h = Headers::from_pairs([
            ("Content-Type", "text/plain"),
            ("Cache-Control", "max-age=1"),
            ("x-amz-meta-Owner", "ann"),
            ("x-amz-meta-empty", ""),
            ("x-amz-acl", "x"),
        ]);
        let m = metadata_of(&h);
        assert_eq!(m.http, vec![("contentType", "text/plain".to_string()), ("cacheControl", "max-age=1".to_string())]);
        assert_eq!(m.custom, vec![("owner".to_string(), "ann".to_string()), ("empty".to_string(), String::new())]);
        let o = ObjectInfo {
            key: "k".into(),
            size: 5,
            etag: "\"e\"".into(),
            uploaded_ms: 784111777000.0,
            http: m.http.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            custom: m.custom.clone(),
            checksums: vec![("sha256".into(), "00ff".into())],
        };
        let out = object_headers(&o, 5, true);
        assert_eq!(out.get("etag"), Some("\"e\""));
        assert_eq!(out.get("last-modified"), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert_eq!(out.get("content-type"), Some("text/plain"));
        assert_eq!(out.get("cache-control"), Some("max-age=1"));
        assert_eq!(out.get("x-amz-meta-owner"), Some("ann"));
        assert_eq!(out.get("x-amz-meta-empty"), Some(""));
        assert_eq!(out.get("x-amz-checksum-sha256"), Some("AP8="));
        assert_eq!(object_headers(&o, 5, false).get("x-amz-checksum-sha256"), None);
    }

    #[test]
    fn listings_map_cursors_and_markers() {
        let q = |pairs: &[(&str, &str)]| {
            crate::s3::listing::parse_list_query(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>()).unwrap()
        };
        let v2 = q(&[("list-type", "2"), ("prefix", "a/"), ("delimiter", "/"), ("continuation-token", "CUR"), ("max-keys", "2")]);
        assert_eq!(list_options(&v2), ("a/".into(), Some("/".into()), Some("CUR".into()), None, 2));
        let v1 = q(&[("marker", "a/b")]);
        assert_eq!(list_options(&v1).3.as_deref(), Some("a/b"));
        let page = ListPage {
            objects: vec![ObjectInfo { key: "a/1".into(), size: 1, etag: "\"x\"".into(), ..Default::default() }],
            prefixes: vec!["a/d/".into()],
            truncated: true,
            cursor: Some("NEXT".into()),
        };
        let xml = list_xml("demo", &v2, page.clone());
        let back = crate::s3::listing::parse_store_listing(&xml, &v2).unwrap();
        assert_eq!(back.next_continuation_token.as_deref(), Some("NEXT"));
        assert_eq!(back.contents[0].key, "a/1");
        assert_eq!(back.common_prefixes, vec!["a/d/".to_string()]);
        assert!(back.is_truncated);
        let xml1 = list_xml("demo", &v1, page);
        assert!(xml1.contains("<NextMarker>a/d/</NextMarker>"), "{xml1}");
    }

    #[test]
    fn binding_errors_map_to_s3_codes() {
        assert_eq!(error_from("get: The specified key does not exist. (10007)").code, Code::NoSuchKey);
        assert_eq!(error_from("uploadPart: The specified multipart upload does not exist. (10024)").code, Code::NoSuchUpload);
        assert_eq!(
            error_from("completeMultipartUpload: Your proposed upload is smaller than the minimum allowed object size. (10011)").code,
            Code::EntityTooSmall
        );
        let other = error_from("something odd");
        assert_eq!(other.status, 502);
    }

    #[test]
    fn request_checksums_become_binding_digests() {
        let h = Headers::from_pairs([("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="), ("x-amz-checksum-sha256", "bad")]);
        assert_eq!(put_checksums(&h).unwrap(), vec![("md5", "d41d8cd98f00b204e9800998ecf8427e".to_string())]);
        for garbage in ["not base64!", "AAAA"] {
            let e = put_checksums(&Headers::from_pairs([("content-md5", garbage)])).unwrap_err();
            assert_eq!(e.code, Code::InvalidDigest);
        }
    }
}
