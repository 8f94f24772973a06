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
    refuse_dropped_headers(&headers)?;
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
            None => {
                check_put_digests(&headers)?;
                Op::Put { key }
            }
        },
        ("POST", false) if has("uploads") => Op::CreateMultipart { key },
        // R2's complete() takes no conditions: a token's no_overwrite (If-None-Match: *) or a
        // client's If-Match would be ignored and the object overwritten
        ("POST", false) if has("uploadId") && (headers.get("if-match").is_some() || headers.get("if-none-match").is_some()) => {
            return Err(unsupported("a conditional CompleteMultipartUpload (If-Match / If-None-Match, or a token's no_overwrite)"))
        }
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

/// Headers the operation table lets an access key send that the binding has no place for: the
/// executor would drop them silently (an SSE-C object stored and served in the clear, an object
/// lock or legal hold not kept, tags, a website redirect, another storage class). Refused, as
/// S3 refuses what it cannot do.
fn refuse_dropped_headers(h: &Headers) -> Result<(), S3Error> {
    for (k, v) in h.iter() {
        let k = k.to_ascii_lowercase();
        let v = v.trim();
        let dropped = k.starts_with("x-amz-server-side-encryption-customer-")
            || k.starts_with("x-amz-copy-source-server-side-encryption-customer-")
            || k.starts_with("x-amz-object-lock-")
            || k == "x-amz-tagging"
            || k == "x-amz-website-redirect-location"
            || (k == "x-amz-storage-class" && !v.eq_ignore_ascii_case("STANDARD"))
            || (k == "x-amz-server-side-encryption" && !v.eq_ignore_ascii_case("AES256"))
            || (k.starts_with("x-amz-server-side-encryption-") && !k.starts_with("x-amz-server-side-encryption-customer-"));
        if dropped {
            return Err(unsupported(&format!("header {k}")));
        }
    }
    Ok(())
}

/// A PutObject digest the client sent is either one the binding checks ([`put_checksums`]) or an
/// error: a malformed one was dropped, and the object stored unchecked.
fn check_put_digests(h: &Headers) -> Result<(), S3Error> {
    let b64 = |v: &str| crate::encoding::base64::decode(v.trim());
    if let Some(v) = h.get("content-md5") {
        if b64(v).is_none_or(|b| b.len() != 16) {
            return Err(S3Error::of(Code::InvalidDigest));
        }
    }
    for (header, len) in [("x-amz-checksum-sha1", 20), ("x-amz-checksum-sha256", 32)] {
        if let Some(v) = h.get(header) {
            if b64(v).is_none_or(|b| b.len() != len) {
                return Err(S3Error::invalid_request(format!("Value for {header} header is invalid.")));
            }
        }
    }
    Ok(())
}

/// The source key of `x-amz-copy-source: /<store bucket>/<encoded key>` (the store layer wrote
/// it from a Read grant on the same binding).
fn copy_source_key(v: &str) -> Result<String, S3Error> {
    if crate::text::contains(v, "?versionId=") && !v.ends_with("?versionId=null") {
        return Err(unsupported("copying an object version"));
    }
    let v = v.split_once('?').map_or(v, |(p, _)| p);
    // exactly one leading `/`, then the store bucket up to the next `/` (an empty store bucket
    // name must not make the key's first segment the bucket)
    let key = v.strip_prefix('/').and_then(|v| v.split_once('/')).map(|(_, k)| k).unwrap_or("");
    if key.is_empty() {
        return Err(S3Error::internal("a copy source without a key"));
    }
    Ok(crate::s3::listing::s3_url_decode(key))
}

/// DeleteObjects on a binding: the keys to delete and the answer. R2 keeps no versions, so an
/// object named with a version other than `null` is that version's `NoSuchVersion` (S3 on an
/// unversioned bucket), never a delete of the live object (the binding's `delete()` takes keys
/// only).
pub fn delete_many(doc: &str) -> Result<(bool, Vec<String>, crate::s3::xml::DeleteResult), S3Error> {
    let (quiet, objects) = crate::s3::xml::parse_delete_request(doc)?;
    let mut result = crate::s3::xml::DeleteResult { deleted: Vec::new(), errors: Vec::new() };
    let mut keys = Vec::new();
    for o in objects {
        if o.version_id.as_deref().is_some_and(|v| v != "null") {
            let e = S3Error::of(Code::NoSuchVersion);
            result.errors.push((o, e.code.to_string(), e.message));
        } else {
            keys.push(o.key.clone());
            result.deleted.push(o);
        }
    }
    Ok((quiet, keys, result))
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

/// `cacheExpiry` (milliseconds since the epoch, as the shell writes it: an integer) as unix
/// seconds; before 1970 is 0. Integers only: no float parsing in the bundle.
pub fn expiry_secs(ms: &str) -> Option<u64> {
    ms.parse::<i64>().ok().map(|ms| (ms.max(0) / 1000) as u64)
}

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
            if let Some(secs) = expiry_secs(v) {
                h.append("expires", crate::time::http_date(secs));
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
    Some(crate::encoding::base64::encode(bytes?))
}

/// R2 digests a PutObject can check (`md5`, `sha1`, `sha256`) from the request's `content-md5` /
/// `x-amz-checksum-*` (base64), as hex, with R2's option names. A `Content-MD5` that is not the
/// base64 of 16 bytes is S3's 400 `InvalidDigest` (R2 would store the object unchecked).
pub fn put_checksums(h: &Headers) -> Result<Vec<(&'static str, String)>, S3Error> {
    let mut out = Vec::new();
    let b64 = |v: &str| crate::encoding::base64::decode(v.trim());
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
    let mut start_after = if r.v2 { r.start_after.clone() } else { r.marker.clone() }.filter(|s| !s.is_empty());
    // V1's NextMarker may be a common prefix (`a/`): S3 goes on after every key it rolls up, so
    // the next page starts past them all (else the same prefix would come back on every page)
    if let (false, Some(m), Some(d)) = (r.v2, start_after.as_mut(), r.delimiter.as_deref().filter(|d| !d.is_empty())) {
        if m.ends_with(d) && m.starts_with(r.prefix.as_str()) {
            m.push(char::MAX);
        }
    }
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
    let text = crate::text::rsplit_once(message, " (").map_or(message, |(m, _)| m).to_string();
    let text = crate::text::split_once(&text, ": ").map_or(text.as_str(), |(_, m)| m).to_string();
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

    #[test]
    fn expiry_is_integer_milliseconds() {
        assert_eq!(expiry_secs("1700000000999"), Some(1_700_000_000));
        assert_eq!(expiry_secs("0"), Some(0));
        assert_eq!(expiry_secs("-5000"), Some(0));
        assert_eq!(expiry_secs("NaN"), None);
        assert_eq!(expiry_secs(""), None);
    }
    use crate::guard::StoreHeaders;

    pub(super) fn req(method: &str, url: &str, headers: &[(&str, &str)]) -> StoreRequest {
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
        let v1_prefix_marker = q(&[("marker", "a/"), ("delimiter", "/")]);
        assert_eq!(list_options(&v1_prefix_marker).3, Some(format!("a/{}", char::MAX)));
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

#[cfg(test)]
mod attacks {
    //! Attacks on the R2-binding path: what the executor acts on must be exactly what the grant
    //! and the operation table allowed.
    use super::tests::req;
    use super::*;
    use crate::auth::verified::AuthKind;
    use crate::auth::Principal;
    use crate::config::Config;
    use crate::guard::grant::{authorize, Who};
    use crate::guard::{Grant, StoreHeaders};

    fn cfg(pairs: &[(&str, &str)]) -> Config {
        let mut all = vec![("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123456789abcdef")];
        all.extend_from_slice(pairs);
        Config::from_pairs(&all).unwrap()
    }

    fn grant<'a>(c: &'a Config, m: crate::auth::token::Method, key: &str) -> Grant<'a> {
        let p = Principal::access_key_named("AK", AuthKind::HeaderV4);
        let who = Who { principal: &p, revoked: &[], client_ip: None, now: 0 };
        authorize(&who, &c.buckets[0], m, key).unwrap()
    }

    fn with_grant<T>(c: &Config, m: crate::auth::token::Method, key: &str, f: impl FnOnce(&Grant) -> T) -> T {
        f(&grant(c, m, key))
    }

    const NASTY: &[&str] = &[
        "a b/c+d",
        "/lead/slash",
        "//double",
        "q?uploadId=x&partNumber=1",
        "h#frag",
        "amp&eq=v",
        "pct%2Fslash",
        "pct%252F",
        "plus+%2B",
        "uni/ü/日本/😀",
        "empty//seg/",
        "trail/",
        "x?versionId=abc",
        "r2:/B/other",
        "\u{0}nul\r\n",
    ];

    /// Every key the grant covers is the key the executor reads (and nothing else: binding, op).
    #[test]
    fn any_key_reads_back_as_itself() {
        let c = cfg(&[("STORE_R2_BINDING", "FILES"), ("BAGROOM_BUCKET", "demo")]);
        for key in NASTY {
            with_grant(&c, crate::auth::token::Method::Get, key, |g| {
                let r = crate::store::object_read(g, "GET", None, &StoreHeaders::none(), 0).unwrap();
                let back = parse(&r).unwrap();
                assert_eq!(back.binding, "FILES", "{key:?}");
                assert_eq!(back.op, Op::Get { key: key.to_string(), head: false }, "{key:?} via {}", r.url);
            });
            with_grant(&c, crate::auth::token::Method::Put, key, |g| {
                let q = [("partNumber".to_string(), "2".to_string()), ("uploadId".to_string(), "u&partNumber=3?=+ %2F".to_string())];
                let r = crate::store::build(g, "PUT", &q, &StoreHeaders::none(), "UNSIGNED-PAYLOAD", 0).unwrap();
                let back = parse(&r).unwrap();
                assert_eq!(back.op, Op::UploadPart { key: key.to_string(), upload_id: q[1].1.clone(), part: 2 }, "{key:?}");
            });
        }
    }

    /// CopyObject reads exactly the source key the Read grant covers, whatever the store bucket
    /// is called (`STORE_BUCKET` of an R2 binding is a label, checked nowhere).
    #[test]
    fn copy_reads_the_granted_source_key() {
        // an empty store bucket name ("//<key>") made the key's first segment the bucket
        assert_eq!(copy_source_key("//a b/c%2Bd").unwrap(), "a b/c+d");
        assert_eq!(copy_source_key("///lead").unwrap(), "/lead");
        assert!(Config::from_pairs(&[
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123456789abcdef"),
            ("BAGROOM_BUCKETS", r#"[{"name":"media","r2_binding":"MEDIA","store_bucket":""}]"#)
        ])
        .is_err());
        for store_bucket in [None, Some("media-prod")] {
            let json = match store_bucket {
                None => r#"[{"name":"media","r2_binding":"MEDIA"}]"#.to_string(),
                Some(s) => format!(r#"[{{"name":"media","r2_binding":"MEDIA","store_bucket":"{s}"}}]"#),
            };
            let c = cfg(&[("BAGROOM_BUCKETS", json.as_str())]);
            for key in NASTY {
                let src = grant(&c, crate::auth::token::Method::Get, key);
                let r = with_grant(&c, crate::auth::token::Method::Put, "dst", |d| {
                    crate::store::copy(d, &src, None, &[], &StoreHeaders::none(), 0).unwrap()
                });
                let got = parse(&r).map(|b| b.op);
                assert_eq!(got, Ok(Op::Copy { key: "dst".into(), source: key.to_string() }), "{store_bucket:?} {key:?}");
            }
        }
    }

    /// A `/` in STORE_BUCKET of an R2 binding made the copy read another key than the grant's.
    #[test]
    fn a_store_bucket_with_a_slash_is_refused_for_a_binding() {
        for bad in ["a/b", "", "x?y"] {
            let e = Config::from_pairs(&[
                ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123456789abcdef"),
                ("STORE_R2_BINDING", "FILES"),
                ("STORE_BUCKET", bad),
                ("BAGROOM_BUCKET", "demo"),
            ]);
            // "" is unset (the default label): fine
            if bad.is_empty() {
                assert!(e.is_ok());
                continue;
            }
            assert!(e.is_err(), "{bad:?}");
        }
        let j = r#"[{"name":"media","r2_binding":"MEDIA","store_bucket":"a/b"}]"#;
        assert!(Config::from_pairs(&[("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123456789abcdef"), ("BAGROOM_BUCKETS", j)]).is_err());
    }

    /// A token's `no_overwrite` (and a client's If-Match / If-None-Match) on
    /// CompleteMultipartUpload: R2's `complete()` takes no conditions, so the executor would
    /// overwrite an existing object. Refused rather than ignored.
    #[test]
    fn a_conditional_completion_is_not_ignored() {
        for (h, v) in [("if-none-match", "*"), ("if-match", "\"e\"")] {
            let e = parse(&req("POST", "r2://B/k?uploadId=u", &[(h, v)]));
            assert!(e.is_err(), "{h}: {e:?}");
        }
        let c = cfg(&[("STORE_R2_BINDING", "FILES"), ("BAGROOM_BUCKET", "demo")]);
        with_grant(&c, crate::auth::token::Method::Put, "k", |g| {
            let h = crate::upload::complete_headers(StoreHeaders::none(), true);
            let q = [("uploadId".to_string(), "u".to_string())];
            let r = crate::store::build(g, "POST", &q, &h, "x", 0).unwrap();
            assert!(parse(&r).is_err(), "no_overwrite completion read back as {:?}", parse(&r));
        });
        assert!(parse(&req("POST", "r2://B/k?uploadId=u", &[("content-type", "application/xml")])).is_ok());
    }

    /// Headers the operation table lets an access key send, which the binding would silently
    /// drop: SSE-C (the object would be stored and served in the clear), object lock, tagging,
    /// website redirects, other storage classes.
    #[test]
    fn store_attributes_the_binding_drops_are_refused() {
        for (m, url, h, v) in [
            ("PUT", "r2://B/k", "x-amz-server-side-encryption-customer-key", "a2V5"),
            ("PUT", "r2://B/k", "x-amz-server-side-encryption-customer-algorithm", "AES256"),
            ("POST", "r2://B/k?uploads=", "x-amz-server-side-encryption-customer-key", "a2V5"),
            ("PUT", "r2://B/k?partNumber=1&uploadId=u", "x-amz-server-side-encryption-customer-key", "a2V5"),
            ("GET", "r2://B/k", "x-amz-server-side-encryption-customer-key", "a2V5"),
            ("PUT", "r2://B/k", "x-amz-object-lock-mode", "COMPLIANCE"),
            ("PUT", "r2://B/k", "x-amz-object-lock-legal-hold", "ON"),
            ("PUT", "r2://B/k", "x-amz-tagging", "a=b"),
            ("PUT", "r2://B/k", "x-amz-website-redirect-location", "/x"),
            ("PUT", "r2://B/k", "x-amz-storage-class", "GLACIER"),
            ("PUT", "r2://B/k", "x-amz-server-side-encryption", "aws:kms"),
            ("POST", "r2://B/k?uploads=", "x-amz-object-lock-mode", "GOVERNANCE"),
        ] {
            let e = parse(&req(m, url, &[(h, v)]));
            assert!(e.is_err(), "{m} {url} {h}: {e:?}");
        }
        for (h, v) in [("x-amz-storage-class", "STANDARD"), ("x-amz-server-side-encryption", "AES256")] {
            assert!(parse(&req("PUT", "r2://B/k", &[(h, v)])).is_ok(), "{h}");
        }
    }

    /// DeleteObjects naming a version: the executor handed every key to `delete()`, so a
    /// request to delete version `v1` of `up/a` (refused as NotImplemented for a single
    /// DeleteObject) deleted the live object. `delete_many` answers NoSuchVersion instead.
    #[test]
    fn delete_many_never_deletes_the_live_object_for_a_version() {
        let c = cfg(&[("STORE_R2_BINDING", "FILES"), ("BAGROOM_BUCKET", "demo")]);
        let (a, b, n) = (
            grant(&c, crate::auth::token::Method::Delete, "up/a"),
            grant(&c, crate::auth::token::Method::Delete, "up/b"),
            grant(&c, crate::auth::token::Method::Delete, "up/n"),
        );
        let (r, doc) = crate::store::delete_objects(&[(a, Some("v1".into())), (b, None), (n, Some("null".into()))], 0).unwrap();
        assert_eq!(parse(&r).unwrap().op, Op::DeleteMany);
        let (_, keys, result) = delete_many(&doc).unwrap();
        assert_eq!(keys, vec!["up/b".to_string(), "up/n".to_string()]);
        assert_eq!(result.errors.len(), 1);
        assert_eq!((result.errors[0].0.key.as_str(), result.errors[0].1.as_str()), ("up/a", "NoSuchVersion"));
        assert!(parse(&req("DELETE", "r2://B/up%2Fa?versionId=v1", &[])).is_err());
    }

    /// A digest the client sent that the binding cannot check must not pass as checked: a
    /// malformed Content-MD5 / x-amz-checksum-sha256 was dropped (S3: InvalidDigest /
    /// InvalidRequest) and the executor echoes x-amz-checksum-* back as if stored.
    #[test]
    fn malformed_digests_are_refused_not_dropped() {
        for (h, v) in [("content-md5", "bad"), ("content-md5", "AAAA"), ("x-amz-checksum-sha256", "bad"), ("x-amz-checksum-sha1", "AAAA")] {
            let e = parse(&req("PUT", "r2://B/k", &[(h, v)]));
            assert!(e.is_err(), "{h}: {v}");
        }
        assert!(parse(&req("PUT", "r2://B/k", &[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")])).is_ok());
    }
}
