//! Requests to the backing store: where they go and how they are signed.
//!
//! The gateway talks to every store (AWS S3, R2, MinIO, SeaweedFS) the same way: over HTTP,
//! SigV4-signed with that store's credentials, path-style or virtual-host addressing.

use crate::config::StoreConfig;
use crate::http::Headers;
use crate::sigv4::sign::{object_path, sign_headers, store_host, Target};
use crate::sigv4::UNSIGNED_PAYLOAD;

/// A request ready to send: method, absolute URL and every header (signature included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Take the answer's body exactly as the store sends it, never decoded by its
    /// `Content-Encoding`: an object's bytes are the object (a gzip-encoded object is served
    /// gzip bytes, with its length, and ranges count those bytes), as S3 does.
    pub raw_body: bool,
}

/// Request headers a client may send that the store should see (for GET/HEAD and writes).
const FORWARD: &[&str] = &[
    "range",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "content-type",
    "content-length",
    "content-md5",
    "content-disposition",
    "content-encoding",
    "content-language",
    "cache-control",
    "expires",
];

/// Which of the client's headers to forward to the store: the list above plus every
/// `x-amz-*` header except the client's own signing headers (the gateway signs anew).
pub fn forwardable(client: &Headers) -> Headers {
    let mut out = Headers::new();
    for (k, v) in client.iter() {
        let k = k.to_ascii_lowercase();
        let amz = k.starts_with("x-amz-")
            && !matches!(
                k.as_str(),
                "x-amz-date" | "x-amz-content-sha256" | "x-amz-security-token" | "x-amz-decoded-content-length"
                    | "x-amz-trailer" | "x-amz-user-agent"
            );
        if amz || FORWARD.contains(&k.as_str()) {
            out.append(&k, v);
        }
    }
    out
}

/// Build and sign a request to the store for `key` (empty = the bucket itself).
/// `headers` are sent and signed; `payload_hash` is a hex digest or `UNSIGNED-PAYLOAD`.
pub fn build(
    store: &StoreConfig,
    method: &str,
    key: &str,
    query: &[(String, String)],
    headers: &Headers,
    payload_hash: &str,
    now: u64,
) -> StoreRequest {
    let host = store_host(&store.host, &store.bucket, store.virtual_host);
    let path = object_path(&store.bucket, key, store.virtual_host);
    let target = Target { method, scheme: &store.scheme, host: &host, path: &path, query };
    let auth = sign_headers(&target, headers, payload_hash, &store.credentials, &store.region, now);
    let mut url = format!("{}://{}{}", store.scheme, host, path);
    if !query.is_empty() {
        url.push('?');
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", crate::encoding::uri_encode(k, false), crate::encoding::uri_encode(v, false)))
            .collect();
        url.push_str(&q.join("&"));
    }
    let mut all: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    all.extend(auth);
    StoreRequest { method: method.to_string(), url, headers: all, raw_body: false }
}

/// A GET/HEAD of an object with the client's range and conditions passed on.
pub fn object_read(store: &StoreConfig, method: &str, key: &str, version_id: Option<&str>, client: &Headers, now: u64) -> StoreRequest {
    let mut h = Headers::new();
    for name in ["range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since"] {
        if let Some(v) = client.get(name) {
            h.append(name, v);
        }
    }
    let q: Vec<(String, String)> = version_id.map(|v| vec![("versionId".to_string(), v.to_string())]).unwrap_or_default();
    StoreRequest { raw_body: true, ..build(store, method, key, &q, &h, UNSIGNED_PAYLOAD, now) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::Credentials;

    fn store(virtual_host: bool) -> StoreConfig {
        StoreConfig {
            scheme: "http".into(),
            host: "127.0.0.1:8333".into(),
            region: "us-east-1".into(),
            bucket: "demo".into(),
            virtual_host,
            credentials: Credentials::new("AK", "SK"),
            post_policy: true,
            browser_endpoint: None,
        }
    }

    #[test]
    fn path_style_url_and_signature_headers() {
        let r = object_read(&store(false), "GET", "a b/c+d.txt", Some("v1"), &Headers::from_pairs([("Range", "bytes=0-1"), ("Cookie", "x")]), 1_369_353_600);
        assert_eq!(r.url, "http://127.0.0.1:8333/demo/a%20b/c%2Bd.txt?versionId=v1");
        let names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert!(names.contains(&"range") && names.contains(&"authorization") && !names.contains(&"cookie"), "{names:?}");
        let auth = &r.headers.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request"), "{auth}");
        assert!(auth.contains("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date"), "{auth}");
        // object bytes are taken as stored; other answers (XML documents) may be decoded
        assert!(r.raw_body);
        assert!(!build(&store(false), "GET", "", &[], &Headers::new(), UNSIGNED_PAYLOAD, 0).raw_body);
    }

    #[test]
    fn virtual_host_url() {
        let r = object_read(&store(true), "GET", "k", None, &Headers::new(), 0);
        assert_eq!(r.url, "http://demo.127.0.0.1:8333/k");
    }

    #[test]
    fn forwards_metadata_not_client_signature() {
        let h = Headers::from_pairs([
            ("x-amz-meta-a", "1"),
            ("x-amz-date", "x"),
            ("authorization", "AWS4..."),
            ("content-type", "text/plain"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            ("host", "gw"),
        ]);
        let f = forwardable(&h);
        let names: Vec<&str> = f.iter().map(|(k, _)| k).collect();
        assert_eq!(names, vec!["x-amz-meta-a", "content-type"]);
    }
}
