//! Routing: which operation a request asks for, from method, path and query alone.
//!
//! Paths:
//! - `/healthz`                          health
//! - `/s/<token>` and `/s/<token>/<key>` share links (the token carries bucket and scope)
//! - `/api/...`                          the demo page's JSON API
//! - `/s3/...`                           Uppy Companion-compatible S3 signing routes
//! - `/<bucket>` and `/<bucket>/<key>`   S3 path-style operations
//!
//! Keys are percent-decoded exactly once; nothing is normalised (`a//b`, `./` and `..`
//! are key bytes in S3).

use crate::encoding::percent_decode;
use crate::http::RequestParts;

/// An S3 operation on the path-style API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Op {
    ListBuckets,
    /// `PUT /<bucket>`: a bucket of the namespace (see `crate::guard::namespace`).
    CreateBucket,
    /// `DELETE /<bucket>`: a bucket of the namespace.
    DeleteBucket,
    HeadBucket,
    ListObjects,
    ListMultipartUploads,
    GetBucketLocation,
    DeleteObjects,
    GetObject,
    HeadObject,
    PutObject,
    /// `POST /<bucket>` with a `multipart/form-data` body: a browser form upload (POST Object),
    /// whose key and credential (a POST policy signed by an access key) are in the form.
    PostObject,
    CopyObject,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart,
    /// UploadPart with `x-amz-copy-source`.
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    /// `GET ?tagging` on an object.
    GetObjectTagging,
    /// `PUT ?tagging` on an object (access keys only: tags are store attributes).
    PutObjectTagging,
    /// `DELETE ?tagging` on an object (access keys only).
    DeleteObjectTagging,
    /// `GET ?attributes` on an object.
    GetObjectAttributes,
    /// `GET ?acl` on an object (read only).
    GetObjectAcl,
    /// `PUT ?acl` on an object: refused to everyone (bagroom keeps objects private).
    PutObjectAcl,
    /// `GET ?acl` on a bucket (access keys; read only).
    GetBucketAcl,
    /// `PUT ?acl` on a bucket: refused to everyone.
    PutBucketAcl,
    /// `GET ?versioning` on a bucket: the store's versioning state (LIST on the credential's scope).
    GetBucketVersioning,
    /// `PUT ?versioning` on a bucket: refused to everyone (versioning is set on the store).
    PutBucketVersioning,
    /// `GET ?versions` on a bucket: ListObjectVersions, clamped to the credential's scope.
    ListObjectVersions,
    /// Recognised, but bagroom does not serve it (sub-resources like `?acl`, `?tagging`...).
    Unsupported(String),
}

impl S3Op {
    /// The operation's name, as S3 calls it (`Unsupported` for the ones bagroom does not serve).
    pub fn name(&self) -> &'static str {
        match self {
            S3Op::ListBuckets => "ListBuckets",
            S3Op::CreateBucket => "CreateBucket",
            S3Op::DeleteBucket => "DeleteBucket",
            S3Op::HeadBucket => "HeadBucket",
            S3Op::ListObjects => "ListObjects",
            S3Op::ListMultipartUploads => "ListMultipartUploads",
            S3Op::GetBucketLocation => "GetBucketLocation",
            S3Op::DeleteObjects => "DeleteObjects",
            S3Op::GetObject => "GetObject",
            S3Op::HeadObject => "HeadObject",
            S3Op::PutObject => "PutObject",
            S3Op::PostObject => "PostObject",
            S3Op::CopyObject => "CopyObject",
            S3Op::DeleteObject => "DeleteObject",
            S3Op::CreateMultipartUpload => "CreateMultipartUpload",
            S3Op::UploadPart => "UploadPart",
            S3Op::UploadPartCopy => "UploadPartCopy",
            S3Op::CompleteMultipartUpload => "CompleteMultipartUpload",
            S3Op::AbortMultipartUpload => "AbortMultipartUpload",
            S3Op::ListParts => "ListParts",
            S3Op::GetObjectTagging => "GetObjectTagging",
            S3Op::PutObjectTagging => "PutObjectTagging",
            S3Op::DeleteObjectTagging => "DeleteObjectTagging",
            S3Op::GetObjectAttributes => "GetObjectAttributes",
            S3Op::GetObjectAcl => "GetObjectAcl",
            S3Op::PutObjectAcl => "PutObjectAcl",
            S3Op::GetBucketAcl => "GetBucketAcl",
            S3Op::PutBucketAcl => "PutBucketAcl",
            S3Op::GetBucketVersioning => "GetBucketVersioning",
            S3Op::PutBucketVersioning => "PutBucketVersioning",
            S3Op::ListObjectVersions => "ListObjectVersions",
            S3Op::Unsupported(_) => "Unsupported",
        }
    }
}

impl std::fmt::Display for S3Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    /// A share link: `/s/<token>[/<key>]`.
    Share {
        token: String,
        key: Option<String>,
    },
    /// `/api/<rest>` (rest without the leading slash).
    Api(String),
    /// `/s3/<rest>` or `/t/<token>/s3/<rest>`: Uppy Companion's S3 routes.
    Uppy {
        token: Option<String>,
        rest: String,
    },
    /// CORS preflight for any path.
    Preflight,
    S3 {
        op: S3Op,
        bucket: String,
        key: String,
    },
    NotFound,
}

/// Sub-resources that select an S3 API bagroom does not implement (for `acl`, `tagging` and
/// `attributes`: with the methods [`subresource_op`] does not route).
const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "acl",
    "tagging",
    "policy",
    "cors",
    "lifecycle",
    "versioning",
    "website",
    "logging",
    "notification",
    "replication",
    "encryption",
    "object-lock",
    "retention",
    "legal-hold",
    "torrent",
    "restore",
    "select",
    "attributes",
    "accelerate",
    "analytics",
    "inventory",
    "metrics",
    "ownershipControls",
    "publicAccessBlock",
    "requestPayment",
    "intelligent-tiering",
    "versions",
];

/// The bucket named by a virtual-hosted request: `Host: <bucket>.<suffix>[:port]`, where
/// `suffix` is the gateway's own hostname (`BAGROOM_VIRTUAL_HOST`). `None` for path-style.
pub fn virtual_host_bucket(req: &RequestParts, suffix: Option<&str>) -> Option<String> {
    let suffix = suffix?.trim_matches('.').to_ascii_lowercase();
    if suffix.is_empty() {
        return None;
    }
    let host = req.headers.get("host")?.to_ascii_lowercase();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
        _ => host,
    };
    let bucket = host.strip_suffix(&suffix)?.strip_suffix('.')?;
    (!bucket.is_empty()).then(|| bucket.to_string())
}

/// Route a request; `virtual_bucket` is the bucket a virtual-hosted Host named (see
/// [`virtual_host_bucket`]): then the whole path is the key.
pub fn route_with(req: &RequestParts, virtual_bucket: Option<&str>) -> Route {
    match virtual_bucket {
        None => route(req),
        Some(b) => {
            if req.method == "OPTIONS" {
                return Route::Preflight;
            }
            let key = req.path.strip_prefix('/').unwrap_or(&req.path);
            s3_route(req, b.to_string(), percent_decode(key))
        }
    }
}

pub fn route(req: &RequestParts) -> Route {
    let path = req.path.as_str();
    let method = req.method.as_str();
    if method == "OPTIONS" {
        return Route::Preflight;
    }
    if path == "/healthz" {
        return Route::Health;
    }
    if let Some(rest) = path.strip_prefix("/s/") {
        let (tok, key) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(percent_decode(&rest[i + 1..]))),
            None => (rest, None),
        };
        if tok.is_empty() {
            return Route::NotFound;
        }
        return Route::Share { token: percent_decode(tok), key: key.filter(|k| !k.is_empty()) };
    }
    if let Some(rest) = path.strip_prefix("/api/") {
        return Route::Api(rest.to_string());
    }
    if let Some(rest) = path.strip_prefix("/s3/") {
        return Route::Uppy { token: None, rest: rest.to_string() };
    }
    if let Some(rest) = path.strip_prefix("/t/") {
        if let Some((tok, rest)) = crate::text::split_once(rest, "/s3/") {
            if !tok.is_empty() && !tok.contains('/') {
                return Route::Uppy { token: Some(percent_decode(tok)), rest: rest.to_string() };
            }
        }
        return Route::NotFound;
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Route::NotFound;
    };
    let (bucket_raw, key_raw) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let bucket = percent_decode(bucket_raw);
    let key = percent_decode(key_raw);
    s3_route(req, bucket, key)
}

fn s3_route(req: &RequestParts, bucket: String, key: String) -> Route {
    let method = req.method.as_str();
    let pairs = req.query_pairs();
    let has = |name: &str| pairs.iter().any(|(k, _)| k == name);

    if bucket.is_empty() {
        return match method {
            "GET" | "HEAD" => Route::S3 { op: S3Op::ListBuckets, bucket, key },
            _ => Route::NotFound,
        };
    }
    if key.is_empty() && method == "POST" && has("delete") {
        return Route::S3 { op: S3Op::DeleteObjects, bucket, key };
    }
    if key.is_empty()
        && method == "POST"
        && pairs.is_empty()
        && crate::upload::post::form_boundary(req.headers.get("content-type").unwrap_or("")).is_some()
    {
        return Route::S3 { op: S3Op::PostObject, bucket, key };
    }
    if key.is_empty() && method == "GET" && has("location") {
        return Route::S3 { op: S3Op::GetBucketLocation, bucket, key };
    }
    if let Some(op) = subresource_op(method, key.is_empty(), &has) {
        return Route::S3 { op, bucket, key };
    }
    if let Some(sub) = UNSUPPORTED_SUBRESOURCES.iter().chain(["delete", "location"].iter()).find(|s| has(s)) {
        return Route::S3 { op: S3Op::Unsupported((*sub).to_string()), bucket, key };
    }
    let op = if key.is_empty() {
        match method {
            "GET" if has("uploads") => S3Op::ListMultipartUploads,
            "GET" => S3Op::ListObjects,
            "HEAD" => S3Op::HeadBucket,
            "PUT" => S3Op::CreateBucket,
            "DELETE" => S3Op::DeleteBucket,
            m => S3Op::Unsupported(format!("{m} on a bucket")),
        }
    } else {
        match method {
            "GET" if has("uploadId") => S3Op::ListParts,
            "GET" => S3Op::GetObject,
            "HEAD" => S3Op::HeadObject,
            "PUT" if has("partNumber") && has("uploadId") && req.headers.get("x-amz-copy-source").is_some() => S3Op::UploadPartCopy,
            "PUT" if has("partNumber") && has("uploadId") => S3Op::UploadPart,
            "PUT" if req.headers.get("x-amz-copy-source").is_some() => S3Op::CopyObject,
            "PUT" => S3Op::PutObject,
            "POST" if has("uploads") => S3Op::CreateMultipartUpload,
            "POST" if has("uploadId") => S3Op::CompleteMultipartUpload,
            "DELETE" if has("uploadId") => S3Op::AbortMultipartUpload,
            "DELETE" => S3Op::DeleteObject,
            m => S3Op::Unsupported(format!("{m} on an object")),
        }
    };
    Route::S3 { op, bucket, key }
}

/// The sub-resource operations bagroom serves (or refuses by name): object tagging,
/// attributes and ACL, the bucket ACL, versioning and the version listing. A request naming two sub-resources is none of them.
fn subresource_op(method: &str, bucket_level: bool, has: &dyn Fn(&str) -> bool) -> Option<S3Op> {
    let named = UNSUPPORTED_SUBRESOURCES.iter().chain(["delete", "location", "uploads", "uploadId"].iter()).filter(|s| has(s)).count();
    if named != 1 {
        return None;
    }
    if bucket_level && has("versioning") {
        return match method {
            "GET" => Some(S3Op::GetBucketVersioning),
            "PUT" => Some(S3Op::PutBucketVersioning),
            _ => None,
        };
    }
    if bucket_level && method == "GET" && has("versions") {
        return Some(S3Op::ListObjectVersions);
    }
    Some(match (bucket_level, method, has("tagging"), has("attributes"), has("acl")) {
        (false, "GET", true, _, _) => S3Op::GetObjectTagging,
        (false, "PUT", true, _, _) => S3Op::PutObjectTagging,
        (false, "DELETE", true, _, _) => S3Op::DeleteObjectTagging,
        (false, "GET", _, true, _) => S3Op::GetObjectAttributes,
        (false, "GET", _, _, true) => S3Op::GetObjectAcl,
        (false, "PUT", _, _, true) => S3Op::PutObjectAcl,
        (true, "GET", _, _, true) => S3Op::GetBucketAcl,
        (true, "PUT", _, _, true) => S3Op::PutBucketAcl,
        _ => return None,
    })
}

/// The store sub-resource a sub-resource operation addresses.
pub fn subresource_name(op: &S3Op) -> Option<&'static str> {
    Some(match op {
        S3Op::GetObjectTagging | S3Op::PutObjectTagging | S3Op::DeleteObjectTagging => "tagging",
        S3Op::GetObjectAttributes => "attributes",
        S3Op::GetObjectAcl | S3Op::PutObjectAcl | S3Op::GetBucketAcl | S3Op::PutBucketAcl => "acl",
        _ => return None,
    })
}

/// How a client wants errors: S3 XML, JSON for the demo API and Uppy routes, or a short page for
/// a person who opened a share link in a browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStyle {
    Xml,
    Json,
    Html,
}

/// The error style for a request: JSON for `/api/...`, `/s3/...` and `/t/<...>/s3/...` (the
/// paths [`route`] sends to the demo API and the Uppy routes) or `Accept: application/json`,
/// else S3 XML. Decided from the path alone, not from a [`Route`]: it must hold for errors
/// raised before routing (the config, and with it a virtual-host suffix, may fail to load) and
/// for paths the router rejects (`/t/a/b/s3/x` is not a Uppy route, but its error is JSON).
pub fn error_style(req: &RequestParts) -> ErrorStyle {
    let path = req.path.as_str();
    let accept = req.headers.get("accept").unwrap_or("");
    let uppy = path.starts_with("/t/") && crate::text::contains(path, "/s3/");
    if path.starts_with("/api/") || path.starts_with("/s3/") || uppy || accept.starts_with("application/json") {
        ErrorStyle::Json
    } else if path.starts_with("/s/") && crate::text::contains(accept, "text/html") {
        // a share link opened in a browser (which asks for text/html first); curl and SDKs get XML
        ErrorStyle::Html
    } else {
        ErrorStyle::Xml
    }
}

#[cfg(test)]
mod error_style_tests {
    use super::*;
    use crate::http::Headers;

    fn style(method: &str, target: &str, accept: Option<&str>) -> ErrorStyle {
        let h = match accept {
            Some(a) => Headers::from_pairs([("accept", a)]),
            None => Headers::new(),
        };
        error_style(&RequestParts::from_target(method, target, h))
    }

    #[test]
    fn json_for_the_api_and_uppy_routes_xml_for_s3_clients() {
        for t in ["/api/share", "/api/", "/s3/multipart", "/t/TOK/s3/multipart/x/1", "/t/a/b/s3/x"] {
            assert_eq!(style("POST", t, None), ErrorStyle::Json, "{t}");
        }
        for t in ["/", "/b", "/b/k", "/b/api/k", "/api", "/s3", "/t/TOK/other", "/s/TOKEN", "/healthz"] {
            assert_eq!(style("GET", t, None), ErrorStyle::Xml, "{t}");
        }
        assert_eq!(style("GET", "/b/k", Some("application/json")), ErrorStyle::Json);
        assert_eq!(style("GET", "/b/k", Some("application/xml, application/json")), ErrorStyle::Xml);
        // the path, never the query
        assert_eq!(style("GET", "/b/k?x=/api/", None), ErrorStyle::Xml);
        // the method plays no part (a preflight to /api/ is still the API's)
        assert_eq!(style("OPTIONS", "/api/share", None), ErrorStyle::Json);
        // a browser opening a share link gets a page; a share link fetched by a tool, XML
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(style("GET", "/s/TOKEN", Some(browser)), ErrorStyle::Html);
        assert_eq!(style("GET", "/s/TOKEN/a/b.txt", Some(browser)), ErrorStyle::Html);
        assert_eq!(style("GET", "/s/TOKEN", Some("*/*")), ErrorStyle::Xml);
        assert_eq!(style("GET", "/b/k", Some(browser)), ErrorStyle::Xml, "S3 paths keep S3's errors");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Headers;

    fn r(method: &str, target: &str) -> Route {
        route(&RequestParts::from_target(method, target, Headers::new()))
    }
    fn op(method: &str, target: &str) -> S3Op {
        match r(method, target) {
            Route::S3 { op, .. } => op,
            other => panic!("{method} {target}: {other:?}"),
        }
    }

    #[test]
    fn object_operations() {
        assert_eq!(op("GET", "/b/k"), S3Op::GetObject);
        assert_eq!(op("HEAD", "/b/k"), S3Op::HeadObject);
        assert_eq!(op("PUT", "/b/k"), S3Op::PutObject);
        assert_eq!(op("DELETE", "/b/k"), S3Op::DeleteObject);
        assert_eq!(op("POST", "/b/k?uploads"), S3Op::CreateMultipartUpload);
        assert_eq!(op("POST", "/b/k?uploads="), S3Op::CreateMultipartUpload);
        assert_eq!(op("PUT", "/b/k?partNumber=2&uploadId=x"), S3Op::UploadPart);
        assert_eq!(op("POST", "/b/k?uploadId=x"), S3Op::CompleteMultipartUpload);
        assert_eq!(op("DELETE", "/b/k?uploadId=x"), S3Op::AbortMultipartUpload);
        assert_eq!(op("GET", "/b/k?uploadId=x"), S3Op::ListParts);
        assert_eq!(op("GET", "/b?list-type=2&prefix=a"), S3Op::ListObjects);
        assert_eq!(op("GET", "/b/"), S3Op::ListObjects);
        assert_eq!(op("GET", "/b?uploads"), S3Op::ListMultipartUploads);
        assert_eq!(op("HEAD", "/b"), S3Op::HeadBucket);
        assert_eq!(op("PUT", "/b"), S3Op::CreateBucket);
        assert_eq!(op("DELETE", "/b"), S3Op::DeleteBucket);
        assert_eq!(op("PUT", "/b?acl"), S3Op::PutBucketAcl);
        assert_eq!(op("POST", "/b"), S3Op::Unsupported("POST on a bucket".into()));
        assert_eq!(op("GET", "/"), S3Op::ListBuckets);
        assert_eq!(op("GET", "/b/k?cors"), S3Op::Unsupported("cors".into()));
        assert_eq!(op("POST", "/b?delete"), S3Op::DeleteObjects);
        assert_eq!(op("POST", "/b?delete="), S3Op::DeleteObjects);
        assert_eq!(op("GET", "/b?location"), S3Op::GetBucketLocation);
        assert_eq!(op("POST", "/b/k?delete"), S3Op::Unsupported("delete".into()));
        let form =
            |target: &str, ct: &str| match route(&RequestParts::from_target("POST", target, Headers::from_pairs([("content-type", ct)]))) {
                Route::S3 { op, .. } => op,
                other => panic!("{other:?}"),
            };
        assert_eq!(form("/b", "multipart/form-data; boundary=x"), S3Op::PostObject);
        assert_eq!(form("/b/", "multipart/form-data; boundary=x"), S3Op::PostObject);
        assert_eq!(form("/b?delete", "multipart/form-data; boundary=x"), S3Op::DeleteObjects);
        assert_eq!(form("/b", "application/xml"), S3Op::Unsupported("POST on a bucket".into()));
        assert_eq!(form("/b/k", "multipart/form-data; boundary=x"), S3Op::Unsupported("POST on an object".into()));
        let copy = RequestParts::from_target("PUT", "/b/k", Headers::from_pairs([("x-amz-copy-source", "/b/o")]));
        assert!(matches!(route(&copy), Route::S3 { op: S3Op::CopyObject, .. }));
        let part_copy =
            RequestParts::from_target("PUT", "/b/k?partNumber=1&uploadId=u", Headers::from_pairs([("x-amz-copy-source", "/b/o")]));
        assert!(matches!(route(&part_copy), Route::S3 { op: S3Op::UploadPartCopy, .. }));
    }

    #[test]
    fn tagging_attributes_and_acl() {
        assert_eq!(op("GET", "/b/k?tagging"), S3Op::GetObjectTagging);
        assert_eq!(op("GET", "/b/k?tagging=&versionId=v1"), S3Op::GetObjectTagging);
        assert_eq!(op("PUT", "/b/k?tagging"), S3Op::PutObjectTagging);
        assert_eq!(op("DELETE", "/b/k?tagging"), S3Op::DeleteObjectTagging);
        assert_eq!(op("GET", "/b/k?attributes"), S3Op::GetObjectAttributes);
        assert_eq!(op("GET", "/b/k?acl"), S3Op::GetObjectAcl);
        assert_eq!(op("PUT", "/b/k?acl"), S3Op::PutObjectAcl);
        assert_eq!(op("GET", "/b?acl"), S3Op::GetBucketAcl);
        assert_eq!(op("PUT", "/b?acl"), S3Op::PutBucketAcl);
        assert_eq!(op("GET", "/b?versioning"), S3Op::GetBucketVersioning);
        assert_eq!(op("PUT", "/b?versioning"), S3Op::PutBucketVersioning);
        assert_eq!(op("GET", "/b?versions&prefix=a&key-marker=k&version-id-marker=v"), S3Op::ListObjectVersions);
        assert_eq!(op("DELETE", "/b?versioning"), S3Op::Unsupported("versioning".into()));
        assert_eq!(op("GET", "/b/k?versions"), S3Op::Unsupported("versions".into()));
        assert_eq!(op("GET", "/b/k?versioning"), S3Op::Unsupported("versioning".into()));
        assert_eq!(op("GET", "/b?versions&acl"), S3Op::Unsupported("acl".into()));
        assert_eq!(op("GET", "/b/k?versionId=v1"), S3Op::GetObject);
        assert_eq!(op("DELETE", "/b/k?versionId=v1"), S3Op::DeleteObject);
        // the copy source header does not make PUT ?tagging a copy, nor PUT ?acl
        let put = RequestParts::from_target("PUT", "/b/k?tagging", Headers::from_pairs([("x-amz-copy-source", "/b/o")]));
        assert!(matches!(route(&put), Route::S3 { op: S3Op::PutObjectTagging, .. }));
        // other methods and places stay unsupported
        assert_eq!(op("POST", "/b/k?tagging"), S3Op::Unsupported("tagging".into()));
        assert_eq!(op("HEAD", "/b/k?acl"), S3Op::Unsupported("acl".into()));
        assert_eq!(op("GET", "/b?tagging"), S3Op::Unsupported("tagging".into()));
        assert_eq!(op("PUT", "/b?tagging"), S3Op::Unsupported("tagging".into()));
        assert_eq!(op("GET", "/b?attributes"), S3Op::Unsupported("attributes".into()));
        assert_eq!(op("DELETE", "/b/k?acl"), S3Op::Unsupported("acl".into()));
        // two sub-resources: none of them
        assert_eq!(op("GET", "/b/k?tagging&acl"), S3Op::Unsupported("acl".into()));
        assert_eq!(op("PUT", "/b/k?tagging&uploadId=u&partNumber=1"), S3Op::Unsupported("tagging".into()));
        assert_eq!(op("GET", "/b/k?attributes&uploadId=u"), S3Op::Unsupported("attributes".into()));
        assert_eq!(op("GET", "/b/k?tagging&versions"), S3Op::Unsupported("tagging".into()));
    }

    #[test]
    fn keys_decoded_once_never_normalised() {
        match r("GET", "/b/dir/a%20b%2Bc~%21%27%28%29%2A%3D%26%3F.txt") {
            Route::S3 { bucket, key, .. } => {
                assert_eq!(bucket, "b");
                assert_eq!(key, "dir/a b+c~!'()*=&?.txt");
            }
            o => panic!("{o:?}"),
        }
        match r("GET", "/b/a//./../c%2525") {
            Route::S3 { key, .. } => assert_eq!(key, "a//./../c%25"),
            o => panic!("{o:?}"),
        }
        match r("GET", "/b/a+b") {
            Route::S3 { key, .. } => assert_eq!(key, "a+b"),
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn virtual_hosted_requests() {
        let req = |host: &str, target: &str| RequestParts::from_target("GET", target, Headers::from_pairs([("host", host)]));
        let suffix = Some("s3.example.com");
        assert_eq!(virtual_host_bucket(&req("demo.s3.example.com", "/k"), suffix).as_deref(), Some("demo"));
        assert_eq!(virtual_host_bucket(&req("my.dotted.bucket.s3.example.com:8443", "/k"), suffix).as_deref(), Some("my.dotted.bucket"));
        assert_eq!(virtual_host_bucket(&req("s3.example.com", "/demo/k"), suffix), None);
        assert_eq!(virtual_host_bucket(&req("evil-s3.example.com", "/k"), suffix), None);
        assert_eq!(virtual_host_bucket(&req("demo.s3.example.com", "/k"), None), None);
        let r = req("demo.s3.example.com", "/a%20b/c.txt");
        assert_eq!(route_with(&r, Some("demo")), Route::S3 { op: S3Op::GetObject, bucket: "demo".into(), key: "a b/c.txt".into() });
        let list = req("demo.s3.example.com", "/?list-type=2");
        assert_eq!(route_with(&list, Some("demo")), Route::S3 { op: S3Op::ListObjects, bucket: "demo".into(), key: "".into() });
    }

    #[test]
    fn gateway_routes() {
        assert_eq!(r("GET", "/healthz"), Route::Health);
        assert_eq!(r("GET", "/s/TOKEN"), Route::Share { token: "TOKEN".into(), key: None });
        assert_eq!(r("GET", "/s/TOKEN/a%20b"), Route::Share { token: "TOKEN".into(), key: Some("a b".into()) });
        assert_eq!(r("GET", "/s/"), Route::NotFound);
        assert_eq!(r("POST", "/api/share"), Route::Api("share".into()));
        assert_eq!(r("GET", "/s3/multipart/abc/1?key=x"), Route::Uppy { token: None, rest: "multipart/abc/1".into() });
        assert_eq!(r("POST", "/t/TOK/s3/multipart"), Route::Uppy { token: Some("TOK".into()), rest: "multipart".into() });
        assert_eq!(r("GET", "/t/TOK/other"), Route::NotFound);
        assert_eq!(r("OPTIONS", "/b/k"), Route::Preflight);
    }
}
