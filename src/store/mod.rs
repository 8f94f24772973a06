//! Requests to the backing store: where they go and how they are signed.
//!
//! The gateway talks to every store (AWS S3, R2, MinIO, SeaweedFS) the same way: over HTTP,
//! SigV4-signed with that store's credentials, path-style or virtual-host addressing.
//!
//! Every builder here takes a [`Grant`] (an authorised key, which only `crate::guard::grant`
//! can make) and [`StoreHeaders`] (the client headers the operation table allows, which only
//! `crate::guard::headers` can fill). A builder refuses a request the grant does not cover: a
//! method, a sub-resource or a list prefix outside it is an internal error, never a store request.

use crate::guard::{Grant, GrantKind, StoreHeaders};
use crate::s3::error::S3Error;
use crate::sigv4::sign::{object_path, sign_headers, store_host, Target};
use crate::sigv4::UNSIGNED_PAYLOAD;

pub mod r2;
mod request;

pub use request::StoreRequest;

/// Query parameters (names) each kind of grant may send, per method.
fn query_allowed(kind: GrantKind, method: &str, names: &[&str]) -> bool {
    let only = |allowed: &[&str]| names.iter().all(|n| allowed.contains(n));
    let has = |n: &str| names.contains(&n);
    match (kind, method) {
        // an object's tags, attributes or ACL: one sub-resource, read
        (GrantKind::Read, "GET") if has("tagging") => only(&["tagging", "versionId"]),
        (GrantKind::Read, "GET") if has("attributes") => only(&["attributes", "versionId"]),
        (GrantKind::Read, "GET") if has("acl") => only(&["acl", "versionId"]),
        (GrantKind::Read, "GET" | "HEAD") => only(&["versionId", "partNumber"]),
        // PutObjectTagging / DeleteObjectTagging (the plan lets only access keys get here)
        (GrantKind::Write, "PUT" | "DELETE") if has("tagging") => only(&["tagging", "versionId"]),
        (GrantKind::Write, "PUT") => names.is_empty() || (has("partNumber") && has("uploadId") && only(&["partNumber", "uploadId"])),
        (GrantKind::Write, "POST") => (has("uploads") && only(&["uploads"])) || (has("uploadId") && only(&["uploadId"])),
        (GrantKind::Write, "DELETE") => has("uploadId") && only(&["uploadId"]),
        (GrantKind::Write, "GET") => has("uploadId") && only(&["uploadId", "max-parts", "part-number-marker"]),
        (GrantKind::Write, "HEAD") => names.is_empty(),
        (GrantKind::Delete, "DELETE") => only(&["versionId"]),
        // GetBucketVersioning: the bucket's versioning state, no key (LIST on the credential's scope)
        (GrantKind::List, "GET") if has("versioning") => only(&["versioning"]),
        // ListObjectVersions: a listing, under the grant's prefix as ListObjects
        (GrantKind::List, "GET") if has("versions") => {
            only(&["versions", "prefix", "delimiter", "key-marker", "version-id-marker", "max-keys", "encoding-type"])
        }
        (GrantKind::List, "GET") => only(&[
            "list-type",
            "prefix",
            "delimiter",
            "continuation-token",
            "start-after",
            "max-keys",
            "encoding-type",
            "marker",
            "fetch-owner",
        ]),
        (GrantKind::Bucket, "HEAD") => names.is_empty(),
        // HeadBucket on the credential's scope: whether the bucket exists, nothing in it
        (GrantKind::List, "HEAD") => names.is_empty(),
        (GrantKind::BucketAdmin, "PUT" | "DELETE") => names.is_empty(),
        // before DeleteBucket: is anything (a version, a delete marker) left in it?
        (GrantKind::BucketAdmin, "GET") => has("versions") && only(&["versions", "max-keys"]),
        (GrantKind::StoreBuckets, "GET") => names.is_empty(),
        (GrantKind::Bucket, "GET") if has("acl") => only(&["acl"]),
        (GrantKind::Bucket, "GET") => {
            has("uploads") && only(&["uploads", "prefix", "delimiter", "key-marker", "upload-id-marker", "max-uploads", "encoding-type"])
        }
        _ => false,
    }
}

fn refused(what: String) -> S3Error {
    S3Error::internal(format!("refused to build a store request outside its grant: {what}"))
}

/// Check that `method` and `query` stay within `grant`; returns the key the request addresses.
fn check<'g>(grant: &'g Grant, method: &str, query: &[(String, String)], headers: &StoreHeaders) -> Result<&'g str, S3Error> {
    let names: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    if !query_allowed(grant.kind(), method, &names) {
        return Err(refused(format!("{method} {names:?} with a {:?} grant", grant.kind())));
    }
    // A copy source is set by `copy` only, from an authorised source.
    if headers.headers().iter().any(|(k, _)| {
        k.starts_with("x-amz-copy-source")
            && k != "x-amz-copy-source-range"
            && !k.starts_with("x-amz-copy-source-if-")
            && !k.starts_with("x-amz-copy-source-server-side-encryption-customer-")
    }) {
        return Err(refused("a copy source without a source grant".into()));
    }
    Ok(match grant.kind() {
        // the versioning state and the bucket's existence name no key
        GrantKind::List if names == ["versioning"] || method == "HEAD" => "",
        GrantKind::List => {
            // a listing stays under the grant's prefix
            let prefix = query.iter().find(|(k, _)| k == "prefix").map(|(_, v)| v.as_str()).unwrap_or("");
            if !prefix.starts_with(grant.key()) {
                return Err(refused(format!("list prefix {prefix:?} outside the grant's")));
            }
            ""
        }
        GrantKind::Bucket => "",
        GrantKind::BucketAdmin if grant.bucket().in_namespace && !grant.bucket().store.bucket.is_empty() => "",
        GrantKind::StoreBuckets if grant.bucket().store.bucket.is_empty() => "",
        GrantKind::BucketAdmin | GrantKind::StoreBuckets => return Err(refused(format!("a {:?} grant on this bucket", grant.kind()))),
        _ => {
            if grant.key().is_empty() {
                return Err(refused("an object request without a key".into()));
            }
            grant.key()
        }
    })
}

/// Build and sign a request to the store for what `grant` covers.
/// `payload_hash` is a hex digest or `UNSIGNED-PAYLOAD`.
pub fn build(
    grant: &Grant,
    method: &str,
    query: &[(String, String)],
    headers: &StoreHeaders,
    payload_hash: &str,
    now: u64,
) -> Result<StoreRequest, S3Error> {
    let key = check(grant, method, query, headers)?;
    Ok(sign(grant, method, key, query, headers, payload_hash, now))
}

fn sign(
    grant: &Grant,
    method: &str,
    key: &str,
    query: &[(String, String)],
    headers: &StoreHeaders,
    payload_hash: &str,
    now: u64,
) -> StoreRequest {
    let store = &grant.bucket().store;
    if let Some(binding) = &store.r2_binding {
        return r2_request(binding, method, key, query, headers);
    }
    let host = store_host(&store.host, &store.bucket, store.virtual_host);
    let path = object_path(&store.bucket, key, store.virtual_host);
    let target = Target { method, scheme: &store.scheme, host: &host, path: &path, query };
    let auth = sign_headers(&target, headers.headers(), payload_hash, &store.credentials, &store.region, now);
    let mut url = format!("{}://{}{}", store.scheme, host, path);
    if !query.is_empty() {
        url.push('?');
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", crate::encoding::uri_encode(k, false), crate::encoding::uri_encode(v, false)))
            .collect();
        url.push_str(&q.join("&"));
    }
    let mut all: Vec<(String, String)> = headers.headers().iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    all.extend(auth);
    StoreRequest { method: method.to_string(), url, headers: all, raw_body: false }
}

/// The same request for a bucket behind an R2 binding: `r2://<binding>/<key>?<query>` with the
/// allowed client headers and nothing signed; `crate::store::r2` reads it back as an operation
/// and the shell carries that out on the binding.
fn r2_request(binding: &str, method: &str, key: &str, query: &[(String, String)], headers: &StoreHeaders) -> StoreRequest {
    let mut url = format!("{}{binding}/{}", r2::SCHEME, crate::encoding::uri_encode(key, false));
    for (i, (k, v)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&crate::encoding::uri_encode(k, true));
        url.push('=');
        url.push_str(&crate::encoding::uri_encode(v, true));
    }
    let headers = headers.headers().iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    StoreRequest { method: method.to_string(), url, headers, raw_body: true }
}

/// A GET/HEAD of an object (its bytes taken as stored); `headers` are the allowed read headers.
pub fn object_read(
    grant: &Grant,
    method: &str,
    version_id: Option<&str>,
    headers: &StoreHeaders,
    now: u64,
) -> Result<StoreRequest, S3Error> {
    object_part_read(grant, method, version_id, None, headers, now)
}

/// [`object_read`] of one part of a multipart object (`?partNumber=`, already checked to be
/// 1..=10000 by the plan), or of all of it when `part_number` is `None`.
pub fn object_part_read(
    grant: &Grant,
    method: &str,
    version_id: Option<&str>,
    part_number: Option<u32>,
    headers: &StoreHeaders,
    now: u64,
) -> Result<StoreRequest, S3Error> {
    if grant.kind() != GrantKind::Read {
        return Err(refused(format!("an object read with a {:?} grant", grant.kind())));
    }
    let mut q: Vec<(String, String)> = Vec::new();
    if let Some(n) = part_number {
        q.push(("partNumber".to_string(), n.to_string()));
    }
    if let Some(v) = version_id {
        q.push(("versionId".to_string(), v.to_string()));
    }
    Ok(StoreRequest { raw_body: true, ..build(grant, method, &q, headers, UNSIGNED_PAYLOAD, now)? })
}

/// CopyObject (`query` empty) or UploadPartCopy (`partNumber`, `uploadId`) of `source` (a Read
/// grant: the principal may GET it) onto `dest` (a Write grant). The gateway writes the
/// `x-amz-copy-source` header itself, naming the source in the store.
pub fn copy(
    dest: &Grant,
    source: &Grant,
    version_id: Option<&str>,
    query: &[(String, String)],
    headers: &StoreHeaders,
    now: u64,
) -> Result<StoreRequest, S3Error> {
    if dest.kind() != GrantKind::Write || source.kind() != GrantKind::Read {
        return Err(refused(format!("a copy from a {:?} grant onto a {:?} grant", source.kind(), dest.kind())));
    }
    if source.bucket().store.endpoint() != dest.bucket().store.endpoint() {
        return Err(refused("a copy between stores".into()));
    }
    let key = check(dest, "PUT", query, headers)?;
    let mut h = headers.clone();
    let mut src = format!("/{}/{}", source.bucket().store.bucket, crate::encoding::uri_encode(source.key(), true));
    if let Some(v) = version_id {
        src.push_str(&format!("?versionId={}", crate::encoding::uri_encode(v, false)));
    }
    h.set("x-amz-copy-source", src);
    Ok(sign(dest, "PUT", key, query, &h, crate::sigv4::EMPTY_SHA256, now))
}

/// A presigned PUT (`query` empty) or UploadPart (`partNumber`, `uploadId`) URL for the key of
/// `grant` (a Write grant), at `endpoint` (`scheme://host[:port]`, the store as browsers reach
/// it), binding `headers` (the length, type and conditions the gateway decided), valid `ttl` s.
pub fn presign_put(
    grant: &Grant,
    endpoint: &str,
    query: &[(String, String)],
    headers: &crate::http::Headers,
    ttl: u64,
    now: u64,
) -> Result<String, S3Error> {
    if grant.kind() != GrantKind::Write {
        return Err(refused(format!("a presigned PUT with a {:?} grant", grant.kind())));
    }
    let key = check(grant, "PUT", query, &StoreHeaders::none())?;
    let store = &grant.bucket().store;
    if !store.direct_uploads() {
        return Err(S3Error::not_implemented(
            "this bucket is an R2 binding without R2's S3 API credentials: uploads go through the gateway, not straight to the store",
        ));
    }
    let (scheme, ep_host) = crate::text::split_once(endpoint, "://").unwrap_or(("https", endpoint));
    let host = store_host(ep_host, &store.bucket, store.virtual_host);
    let path = object_path(&store.bucket, key, store.virtual_host);
    let t = Target { method: "PUT", scheme, host: &host, path: &path, query };
    Ok(crate::sigv4::presign::presign(&t, headers, &store.credentials, &store.region, now, ttl))
}

/// The headers of an XML document the gateway sends (PutObjectTagging): its type and the
/// Content-MD5 S3 requires of it.
pub fn xml_body_headers(doc: &str) -> StoreHeaders {
    use md5::Digest;
    let mut h = StoreHeaders::none();
    h.set("content-type", "application/xml");
    h.set("content-md5", crate::encoding::base64::encode(md5::Md5::digest(doc.as_bytes())));
    h
}

/// DeleteObjects of exactly the keys of `grants` (Delete grants of one bucket, each with an
/// optional version): the gateway writes the document from the grants, with the Content-MD5 S3
/// requires. Returns the request and the document to send.
pub fn delete_objects(grants: &[(Grant, Option<String>)], now: u64) -> Result<(StoreRequest, String), S3Error> {
    use md5::Digest;
    let Some((first, _)) = grants.first() else { return Err(refused("an empty DeleteObjects".into())) };
    if grants.iter().any(|(g, _)| g.kind() != GrantKind::Delete || g.bucket() != first.bucket() || g.key().is_empty()) {
        return Err(refused("DeleteObjects keys without Delete grants".into()));
    }
    let objects: Vec<crate::s3::xml::ObjectToDelete> =
        grants.iter().map(|(g, v)| crate::s3::xml::ObjectToDelete { key: g.key().to_string(), version_id: v.clone() }).collect();
    let doc = crate::s3::xml::delete_request_xml(false, &objects);
    let mut h = StoreHeaders::none();
    h.set("content-type", "application/xml");
    h.set("content-md5", crate::encoding::base64::encode(md5::Md5::digest(doc.as_bytes())));
    let bucket_grant = Grant::maintenance(first.bucket(), "", GrantKind::Bucket);
    let q = [("delete".to_string(), String::new())];
    Ok((sign(&bucket_grant, "POST", "", &q, &h, &crate::sigv4::sha256_hex(doc.as_bytes()), now), doc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::{Claims, Method, Methods, Scope};
    use crate::auth::{Principal, TokenSource};
    use crate::config::{BucketConfig, StoreConfig};
    use crate::guard::grant::{authorize, Who};
    use crate::guard::{headers::from_client, HeaderSet, PrincipalClass};
    use crate::http::Headers;
    use crate::sigv4::{Credentials, EMPTY_SHA256 as EMPTY};

    fn bucket(virtual_host: bool) -> BucketConfig {
        BucketConfig {
            name: "demo".into(),
            store: StoreConfig {
                scheme: "http".into(),
                host: "127.0.0.1:8333".into(),
                region: "us-east-1".into(),
                bucket: "demo".into(),
                virtual_host,
                credentials: Credentials::new("AK", "SK"),
                post_policy: true,
                browser_endpoint: None,
                r2_binding: None,
            },
            public_prefixes: vec![],
            in_namespace: false,
        }
    }
    fn token(scope: &str) -> Principal {
        Principal::Token(
            Box::new(Claims::new("k", u64::MAX / 2, Methods::ALL, "demo", Scope::Prefix(scope.into()))),
            "t".into(),
            TokenSource::Query,
        )
    }
    fn who(p: &Principal) -> Who<'_> {
        Who { principal: p, revoked: &[], client_ip: None, now: 1_369_353_600 }
    }

    #[test]
    fn path_style_url_and_signature_headers() {
        let b = bucket(false);
        let p = token("");
        let g = authorize(&who(&p), &b, Method::Get, "a b/c+d.txt").unwrap();
        let h =
            from_client(HeaderSet::Read, PrincipalClass::Limited, &Headers::from_pairs([("Range", "bytes=0-1"), ("Cookie", "x")])).unwrap();
        let r = object_read(&g, "GET", Some("v1"), &h, 1_369_353_600).unwrap();
        assert_eq!(r.url, "http://127.0.0.1:8333/demo/a%20b/c%2Bd.txt?versionId=v1");
        // one part of a multipart object: the store answers that part (206 with its range)
        let part = object_part_read(&g, "HEAD", Some("v1"), Some(2), &h, 1_369_353_600).unwrap();
        assert_eq!(part.url, "http://127.0.0.1:8333/demo/a%20b/c%2Bd.txt?partNumber=2&versionId=v1");
        assert_eq!(
            object_part_read(&g, "GET", None, Some(7), &h, 0).unwrap().url,
            "http://127.0.0.1:8333/demo/a%20b/c%2Bd.txt?partNumber=7"
        );
        let names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert!(names.contains(&"range") && names.contains(&"authorization") && !names.contains(&"cookie"), "{names:?}");
        let auth = &r.headers.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request"), "{auth}");
        assert!(auth.contains("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date"), "{auth}");
        // object bytes are taken as stored; other answers (XML documents) may be decoded
        assert!(r.raw_body);
        let l = authorize(&who(&p), &b, Method::List, "").unwrap();
        assert!(!build(&l, "GET", &[], &StoreHeaders::none(), UNSIGNED_PAYLOAD, 0).unwrap().raw_body);
    }

    #[test]
    fn virtual_host_url() {
        let b = bucket(true);
        let p = token("");
        let g = authorize(&who(&p), &b, Method::Get, "k").unwrap();
        let r = object_read(&g, "GET", None, &StoreHeaders::none(), 0).unwrap();
        assert_eq!(r.url, "http://demo.127.0.0.1:8333/k");
    }

    #[test]
    fn a_grant_covers_only_its_own_kind_of_request() {
        let b = bucket(false);
        let p = token("up/");
        let read = authorize(&who(&p), &b, Method::Get, "up/a").unwrap();
        let none = StoreHeaders::none();
        assert!(build(&read, "PUT", &[], &none, UNSIGNED_PAYLOAD, 0).is_err());
        assert!(build(&read, "DELETE", &[], &none, UNSIGNED_PAYLOAD, 0).is_err());
        assert!(build(&read, "GET", &[("cors".into(), String::new())], &none, UNSIGNED_PAYLOAD, 0).is_err());
        let write = authorize(&who(&p), &b, Method::Put, "up/a").unwrap();
        assert!(build(&write, "GET", &[], &none, UNSIGNED_PAYLOAD, 0).is_err(), "a write grant does not read the object");
        assert!(build(&write, "DELETE", &[], &none, UNSIGNED_PAYLOAD, 0).is_err(), "nor delete it");
        assert!(build(&write, "PUT", &[("acl".into(), String::new())], &none, UNSIGNED_PAYLOAD, 0).is_err());
        assert!(build(&write, "POST", &[("uploads".into(), String::new())], &none, UNSIGNED_PAYLOAD, 0).is_ok());
        let list = authorize(&who(&p), &b, Method::List, "up/").unwrap();
        assert!(build(&list, "GET", &[("prefix".into(), "up/x".into())], &none, UNSIGNED_PAYLOAD, 0).is_ok());
        assert!(build(&list, "GET", &[("prefix".into(), "private/".into())], &none, UNSIGNED_PAYLOAD, 0).is_err());
        assert!(build(&list, "GET", &[], &none, UNSIGNED_PAYLOAD, 0).is_err(), "no prefix = the whole bucket");
    }

    #[test]
    fn bucket_admin_grants_create_and_delete_their_namespace_bucket_only() {
        use crate::auth::verified::AuthKind;
        use crate::guard::grant::{authorize_bucket_admin, authorize_store_buckets};
        use crate::s3::route::S3Op;
        let cfg = crate::config::Config::from_pairs(&[
            ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
            ("STORE_BUCKET", "demo"),
            ("STORE_ACCESS_KEY_ID", "AK"),
            ("STORE_SECRET_ACCESS_KEY", "SK"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123"),
            ("BAGROOM_BUCKET_NAMESPACE", "prefix:t-"),
            ("BAGROOM_BUCKET_ADMINS", "ADMIN"),
        ])
        .unwrap();
        let ns = cfg.namespace.as_ref().unwrap();
        let scratch = ns.bucket("scratch");
        let key = |id: &str| Principal::access_key_named(id, AuthKind::HeaderV4);
        let (admin, other) = (key("ADMIN"), key("OTHER"));
        let none = StoreHeaders::none();
        let g = authorize_bucket_admin(&who(&admin), &cfg, &scratch, &S3Op::CreateBucket).unwrap();
        assert_eq!(build(&g, "PUT", &[], &none, EMPTY, 0).unwrap().url, "http://127.0.0.1:8333/t-scratch");
        assert!(build(&g, "DELETE", &[], &none, EMPTY, 0).is_ok());
        let look = [("versions".to_string(), String::new()), ("max-keys".to_string(), "1".to_string())];
        assert!(build(&g, "GET", &look, &none, EMPTY, 0).is_ok());
        // nothing else: no object, no other sub-resource, no listing of keys
        assert!(build(&g, "GET", &[], &none, EMPTY, 0).is_err());
        assert!(build(&g, "PUT", &[("acl".into(), String::new())], &none, EMPTY, 0).is_err());
        assert!(build(&g, "PUT", &[("policy".into(), String::new())], &none, EMPTY, 0).is_err());
        assert!(build(&g, "POST", &[("delete".into(), String::new())], &none, EMPTY, 0).is_err());
        // only admins, only namespace buckets
        assert_eq!(authorize_bucket_admin(&who(&other), &cfg, &scratch, &S3Op::DeleteBucket).unwrap_err().code, "AccessDenied");
        let configured = cfg.bucket("demo").unwrap();
        assert_eq!(
            authorize_bucket_admin(&who(&admin), &cfg, configured, &S3Op::CreateBucket).unwrap_err().code,
            "BucketAlreadyOwnedByYou"
        );
        assert_eq!(authorize_bucket_admin(&who(&admin), &cfg, configured, &S3Op::DeleteBucket).unwrap_err().code, "AccessDenied");
        assert!(authorize_bucket_admin(&who(&token("")), &cfg, &scratch, &S3Op::CreateBucket).is_err());
        // the store's bucket list: GET / for admins, nothing more
        let l = authorize_store_buckets(&who(&admin), &cfg).unwrap();
        assert_eq!(build(&l, "GET", &[], &none, EMPTY, 0).unwrap().url, "http://127.0.0.1:8333/");
        assert!(build(&l, "GET", &[("list-type".into(), "2".into())], &none, EMPTY, 0).is_err());
        assert!(build(&l, "PUT", &[], &none, EMPTY, 0).is_err());
        assert!(authorize_store_buckets(&who(&other), &cfg).is_none());
        assert!(authorize_store_buckets(&who(&token("")), &cfg).is_none());
        // a List grant may ask whether its bucket exists, and nothing more without a prefix
        let (b, t) = (bucket(false), token("up/"));
        let list = authorize(&who(&t), &b, Method::List, "up/").unwrap();
        assert!(build(&list, "HEAD", &[], &none, EMPTY, 0).is_ok());
        assert!(build(&list, "HEAD", &[("uploads".into(), String::new())], &none, EMPTY, 0).is_err());
    }

    #[test]
    fn sub_resources_per_grant_kind() {
        let b = bucket(false);
        let p = token("up/");
        let none = StoreHeaders::none();
        let q = |pairs: &[&str]| -> Vec<(String, String)> { pairs.iter().map(|k| (k.to_string(), String::new())).collect() };
        let read = authorize(&who(&p), &b, Method::Get, "up/a").unwrap();
        for sub in ["tagging", "attributes", "acl"] {
            assert!(build(&read, "GET", &q(&[sub]), &none, EMPTY, 0).is_ok(), "{sub}");
            assert!(build(&read, "GET", &q(&[sub, "versionId"]), &none, EMPTY, 0).is_ok(), "{sub}");
            // a read grant reads them only
            for m in ["PUT", "DELETE", "HEAD", "POST"] {
                assert!(build(&read, m, &q(&[sub]), &none, EMPTY, 0).is_err(), "{m} {sub}");
            }
            assert!(build(&read, "GET", &q(&[sub, "uploadId"]), &none, EMPTY, 0).is_err(), "{sub}");
            assert!(build(&read, "GET", &q(&[sub, "partNumber"]), &none, EMPTY, 0).is_err(), "{sub}");
        }
        assert!(build(&read, "GET", &q(&["tagging", "acl"]), &none, EMPTY, 0).is_err());
        let write = authorize(&who(&p), &b, Method::Put, "up/a").unwrap();
        for m in ["PUT", "DELETE"] {
            assert!(build(&write, m, &q(&["tagging"]), &none, EMPTY, 0).is_ok(), "{m}");
            assert!(build(&write, m, &q(&["tagging", "versionId"]), &none, EMPTY, 0).is_ok(), "{m}");
            assert!(build(&write, m, &q(&["tagging", "uploadId"]), &none, EMPTY, 0).is_err(), "{m}");
            // never an ACL write, whatever the grant
            assert!(build(&write, m, &q(&["acl"]), &none, EMPTY, 0).is_err(), "{m}");
        }
        assert!(build(&write, "GET", &q(&["tagging"]), &none, EMPTY, 0).is_err(), "a write grant does not read tags");
        let delete = authorize(&who(&p), &b, Method::Delete, "up/a").unwrap();
        assert!(build(&delete, "DELETE", &q(&["tagging"]), &none, EMPTY, 0).is_err());
        let bucket_grant = Grant::maintenance(&b, "", GrantKind::Bucket);
        assert!(build(&bucket_grant, "GET", &q(&["acl"]), &none, EMPTY, 0).is_ok());
        assert!(build(&bucket_grant, "PUT", &q(&["acl"]), &none, EMPTY, 0).is_err());
        assert!(build(&bucket_grant, "GET", &q(&["acl", "prefix"]), &none, EMPTY, 0).is_err());
        let list = authorize(&who(&p), &b, Method::List, "up/").unwrap();
        assert!(build(&list, "GET", &[("prefix".into(), "up/".into()), ("acl".into(), String::new())], &none, EMPTY, 0).is_err());
    }

    #[test]
    fn versioning_and_version_listings_are_list_grants_kept_to_their_prefix() {
        let b = bucket(false);
        let p = token("up/");
        let none = StoreHeaders::none();
        let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> { pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
        let list = authorize(&who(&p), &b, Method::List, "up/").unwrap();
        let r = build(&list, "GET", &q(&[("versioning", "")]), &none, EMPTY, 0).unwrap();
        assert_eq!(r.url, "http://127.0.0.1:8333/demo?versioning=");
        for bad in
            [&[("versioning", ""), ("prefix", "up/")][..], &[("versioning", ""), ("acl", "")], &[("versioning", ""), ("versions", "")]]
        {
            assert!(build(&list, "GET", &q(bad), &none, EMPTY, 0).is_err(), "{bad:?}");
        }
        assert!(build(&list, "PUT", &q(&[("versioning", "")]), &none, EMPTY, 0).is_err(), "nobody sets versioning");
        let v = [("versions", ""), ("prefix", "up/a"), ("key-marker", "private/x"), ("version-id-marker", "v"), ("max-keys", "2")];
        assert!(build(&list, "GET", &q(&v), &none, EMPTY, 0).is_ok());
        assert!(build(&list, "GET", &q(&[("versions", ""), ("prefix", "private/")]), &none, EMPTY, 0).is_err());
        assert!(build(&list, "GET", &q(&[("versions", "")]), &none, EMPTY, 0).is_err(), "no prefix = the whole bucket");
        assert!(build(&list, "GET", &q(&[("versions", ""), ("prefix", "up/"), ("uploads", "")]), &none, EMPTY, 0).is_err());
        let read = authorize(&who(&p), &b, Method::Get, "up/a").unwrap();
        assert!(build(&read, "GET", &q(&[("versioning", "")]), &none, EMPTY, 0).is_err());
        assert!(build(&read, "GET", &q(&[("versions", "")]), &none, EMPTY, 0).is_err());
        let bucket_grant = Grant::maintenance(&b, "", GrantKind::Bucket);
        assert!(build(&bucket_grant, "GET", &q(&[("versioning", "")]), &none, EMPTY, 0).is_err());
    }

    #[test]
    fn copies_need_a_read_grant_on_the_source_and_set_the_header_themselves() {
        let b = bucket(false);
        let p = token("up/");
        let dest = authorize(&who(&p), &b, Method::Put, "up/y").unwrap();
        let src = authorize(&who(&p), &b, Method::Get, "up/x y").unwrap();
        let r = copy(&dest, &src, Some("v1"), &[], &StoreHeaders::none(), 0).unwrap();
        let cs = &r.headers.iter().find(|(k, _)| k == "x-amz-copy-source").unwrap().1;
        assert_eq!(cs, "/demo/up/x%20y?versionId=v1");
        // a write grant is no source; a client copy-source header never passes build()
        assert!(copy(&dest, &dest, None, &[], &StoreHeaders::none(), 0).is_err());
        let mut h = StoreHeaders::none();
        h.set("x-amz-copy-source", "/demo/private/payroll.csv");
        assert!(build(&dest, "PUT", &[], &h, UNSIGNED_PAYLOAD, 0).is_err());
    }

    #[test]
    fn delete_objects_document_holds_exactly_the_granted_keys() {
        let b = bucket(false);
        let p = token("up/");
        let g = |k: &str| authorize(&who(&p), &b, Method::Delete, k).unwrap();
        let (r, doc) = delete_objects(&[(g("up/a"), None), (g("up/b"), Some("v".into()))], 0).unwrap();
        assert!(r.url.ends_with("/demo?delete="), "{}", r.url);
        assert!(doc.contains("<Key>up/a</Key>") && doc.contains("<Key>up/b</Key>") && doc.contains("<VersionId>v</VersionId>"));
        let read = authorize(&who(&p), &b, Method::Get, "up/c").unwrap();
        assert!(delete_objects(&[(read, None)], 0).is_err());
    }
}
