//! Authorised keys. A [`Grant`] says "this principal may make the store do this kind of thing to
//! this key of this bucket". Its fields are private to this module, so the functions below (which
//! run every check) are the only way to get one, and the store request builder takes nothing
//! else.

use crate::auth::token::policy::{check_access, has_dot_segment};
use crate::auth::token::{Access, Method};
use crate::auth::{Principal, TokenSource};
use crate::config::BucketConfig;
use crate::s3::error::S3Error;

/// What a grant lets the store do to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    /// GET and HEAD of the object.
    Read,
    /// PUT of the object, and its multipart upload (create, part, list parts, complete, abort);
    /// HEAD of the object (to check what was written).
    Write,
    /// DELETE of the object.
    Delete,
    /// Listing keys under the grant's key, which is a prefix.
    List,
    /// Bucket-wide requests that name no key (list multipart uploads, head bucket): the gateway's
    /// access keys and its own maintenance only.
    Bucket,
    /// Create or delete the bucket itself: a bucket of the namespace, for its admins only.
    BucketAdmin,
    /// The store's own bucket list (ListBuckets), on the namespace's store: its admins only.
    StoreBuckets,
}

/// An authorised key (see the module docs). `key` is a prefix for [`GrantKind::List`] and empty
/// for [`GrantKind::Bucket`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant<'a> {
    bucket: &'a BucketConfig,
    key: String,
    kind: GrantKind,
}

impl<'a> Grant<'a> {
    pub fn bucket(&self) -> &'a BucketConfig {
        self.bucket
    }
    pub fn key(&self) -> &str {
        &self.key
    }
    pub fn kind(&self) -> GrantKind {
        self.kind
    }

    /// The gateway's own maintenance, with no client behind it: the cron trigger's cleanup of
    /// stale multipart uploads (Bucket to list them, Write to abort each) and `/healthz` (Bucket).
    /// Never call it on a client's behalf.
    pub fn maintenance(bucket: &'a BucketConfig, key: &str, kind: GrantKind) -> Grant<'a> {
        Grant { bucket, key: key.to_string(), kind }
    }
}

/// Who is asking, with what the checks need besides the principal.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub principal: &'a Principal,
    pub revoked: &'a [Vec<u8>],
    pub client_ip: Option<&'a str>,
    pub now: u64,
}

fn kind_of(method: Method) -> Result<GrantKind, S3Error> {
    Ok(match method {
        Method::Get | Method::Head => GrantKind::Read,
        Method::Put | Method::Post => GrantKind::Write,
        Method::Delete => GrantKind::Delete,
        Method::List => GrantKind::List,
        Method::Share => return Err(S3Error::internal("SHARE is not a store access")),
    })
}

/// May `who` perform `method` on `key` (for [`Method::List`]: the list prefix) of `bucket`?
/// Yes: the grant to hand to the store builder. No: the error to answer, naming the failed check.
pub fn authorize<'a>(who: &Who, bucket: &'a BucketConfig, method: Method, key: &str) -> Result<Grant<'a>, S3Error> {
    let kind = kind_of(method)?;
    if kind != GrantKind::List && has_dot_segment(key) && matches!(who.principal, Principal::AccessKey(_)) {
        // `fetch` would resolve the segment on the way to the store (`a/../../other/k` is another
        // store bucket): such keys are not reachable through bagroom (tokens and anonymous
        // callers are refused them below, as outside any scope)
        return Err(S3Error::invalid_argument("keys with . or .. path segments cannot be reached through bagroom"));
    }
    match who.principal {
        Principal::AccessKey(_) => {}
        Principal::Token(claims, _, source) => {
            // The share cookie is ambient (a browser attaches it by itself): it may only read.
            if *source == TokenSource::Cookie && !matches!(method, Method::Get | Method::Head) {
                return Err(S3Error::access_denied(
                    "the share cookie only allows GET and HEAD: send the token as ?token= or Authorization: Bearer",
                ));
            }
            // A HEAD is a GET without the body: a GET token allows it.
            let method = if method == Method::Head && !claims.methods.allows(Method::Head) { Method::Get } else { method };
            let access = Access { method, bucket: &bucket.name, key, client_ip: who.client_ip, now: who.now };
            check_access(claims, who.revoked, &access)?;
        }
        Principal::Anonymous => {
            let public = |k: &str| bucket.public_prefixes.iter().any(|p| k.starts_with(p.as_str()));
            let ok = match method {
                Method::Get | Method::Head => public(key) && !has_dot_segment(key),
                Method::List => public(key),
                _ => false,
            };
            if !ok {
                return Err(S3Error::access_denied("Access Denied: this request needs a share token or an AWS signature"));
            }
        }
    }
    Ok(Grant { bucket, key: key.to_string(), kind })
}

/// Before reading a body that names keys (DeleteObjects): may `who` do `method` on any key of
/// `bucket` at all? Tokens must be valid now, for this bucket, with this method; anonymous
/// callers never write. Each key is then authorised with [`authorize`].
pub fn precheck(who: &Who, bucket: &BucketConfig, method: Method) -> Result<(), S3Error> {
    match who.principal {
        Principal::AccessKey(_) => Ok(()),
        Principal::Token(claims, _, source) => {
            if *source == TokenSource::Cookie && !matches!(method, Method::Get | Method::Head) {
                return Err(S3Error::access_denied(
                    "the share cookie only allows GET and HEAD: send the token as ?token= or Authorization: Bearer",
                ));
            }
            // the scope's own key (or prefix) is in scope: what is left are the time window,
            // revocation, bucket, method and client IP checks
            let probe = claims.scope.value().to_string();
            let access = Access { method, bucket: &bucket.name, key: &probe, client_ip: who.client_ip, now: who.now };
            check_access(claims, who.revoked, &access)
        }
        Principal::Anonymous => match method {
            Method::Get | Method::Head | Method::List if !bucket.public_prefixes.is_empty() => Ok(()),
            _ => Err(S3Error::access_denied("Access Denied: this request needs a share token or an AWS signature")),
        },
    }
}

/// Bucket-wide requests (ListBuckets, ListMultipartUploads): the gateway's access keys only.
pub fn authorize_bucket<'a>(who: &Who, bucket: &'a BucketConfig, what: &str) -> Result<Grant<'a>, S3Error> {
    authorize_gateway(who, what)?;
    Ok(Grant { bucket, key: String::new(), kind: GrantKind::Bucket })
}

/// Requests about the gateway itself that name no bucket and send nothing to a store
/// (ListBuckets lists the configuration): the gateway's access keys only, and no grant.
pub fn authorize_gateway(who: &Who, what: &str) -> Result<(), S3Error> {
    match who.principal {
        Principal::AccessKey(_) => Ok(()),
        _ => Err(S3Error::access_denied(format!("{what} needs an access key"))),
    }
}

/// CreateBucket / DeleteBucket (`op`): only on a bucket of the namespace, by its admins. On a
/// configured bucket, CreateBucket answers as S3 answers the bucket's owner (409
/// `BucketAlreadyOwnedByYou`) to access keys, and nobody deletes it through bagroom.
pub fn authorize_bucket_admin<'a>(
    who: &Who,
    cfg: &crate::config::Config,
    bucket: &'a BucketConfig,
    op: &crate::s3::route::S3Op,
) -> Result<Grant<'a>, S3Error> {
    use crate::s3::route::S3Op;
    let access_key = matches!(who.principal, Principal::AccessKey(_));
    if !bucket.in_namespace {
        return Err(match op {
            S3Op::CreateBucket if access_key => S3Error::bucket_already_owned(&bucket.name),
            S3Op::CreateBucket => S3Error::access_denied("CreateBucket needs an access key"),
            _ => S3Error::access_denied(format!(
                "{} is one of the gateway's configured buckets: it is not deleted through bagroom",
                bucket.name
            )),
        });
    }
    match &cfg.namespace {
        Some(ns) if super::namespace::is_admin(ns, who.principal) => Ok(Grant { bucket, key: String::new(), kind: GrantKind::BucketAdmin }),
        _ => Err(S3Error::access_denied(format!("{op} needs an access key named in BAGROOM_BUCKET_ADMINS"))),
    }
}

/// The store's bucket list, for ListBuckets by an admin of the namespace (`None` for anyone
/// else, and when there is no namespace: they see the configured buckets only).
pub fn authorize_store_buckets<'a>(who: &Who, cfg: &'a crate::config::Config) -> Option<Grant<'a>> {
    let ns = cfg.namespace.as_ref()?;
    super::namespace::is_admin(ns, who.principal).then(|| Grant { bucket: &ns.store, key: String::new(), kind: GrantKind::StoreBuckets })
}

/// The key prefix a principal may list: everything for access keys, a token's scope, or the public
/// prefix the requested one falls under.
pub fn list_scope(principal: &Principal, bucket: &BucketConfig, requested_prefix: &str) -> String {
    match principal {
        Principal::AccessKey(_) => String::new(),
        Principal::Token(c, _, _) => c.scope.value().to_string(),
        Principal::Anonymous => {
            bucket.public_prefixes.iter().find(|p| requested_prefix.starts_with(p.as_str())).cloned().unwrap_or_default()
        }
    }
}

/// A copy source (`x-amz-copy-source`, for CopyObject and UploadPartCopy): the principal must be
/// able to GET it. Returns the source bucket (one of the configured buckets, or the destination
/// bucket itself), key, version and its grant.
pub fn authorize_copy_source<'a>(
    who: &Who,
    cfg: &'a crate::config::Config,
    dest: &'a BucketConfig,
    header: &str,
) -> Result<(Grant<'a>, Option<String>), S3Error> {
    let src = crate::s3::copy_source::parse(header)?;
    // the destination itself (a namespace bucket is made for this request), or a configured one
    let sb = match cfg.bucket(&src.bucket) {
        Some(b) => b,
        None if src.bucket == dest.name => dest,
        None => return Err(S3Error::no_such_bucket(&src.bucket)),
    };
    if sb.store.endpoint() != dest.store.endpoint() {
        return Err(S3Error::not_implemented("copying between different stores"));
    }
    let g = authorize(who, sb, Method::Get, &src.key)?;
    Ok((g, src.version_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::{Claims, Methods, Scope};
    use crate::config::{Config, StoreConfig};
    use crate::sigv4::Credentials;

    fn bucket() -> BucketConfig {
        BucketConfig {
            name: "b".into(),
            store: StoreConfig {
                scheme: "http".into(),
                host: "127.0.0.1:1".into(),
                region: "us-east-1".into(),
                bucket: "sb".into(),
                virtual_host: false,
                credentials: Credentials::new("AK", "SK"),
                post_policy: true,
                browser_endpoint: None,
                r2_binding: None,
            },
            public_prefixes: vec!["pub/".into()],
            in_namespace: false,
        }
    }

    fn token(methods: Methods, scope: Scope, source: TokenSource) -> Principal {
        Principal::Token(Box::new(Claims::new("k", 2_000, methods, "b", scope)), "raw".into(), source)
    }

    #[test]
    fn tokens_get_grants_only_in_scope_and_the_cookie_only_reads() {
        let b = bucket();
        let p = token(Methods::ALL, Scope::Prefix("up/".into()), TokenSource::Query);
        let who = Who { principal: &p, revoked: &[], client_ip: None, now: 1_000 };
        let g = authorize(&who, &b, Method::Put, "up/a").unwrap();
        assert_eq!((g.key(), g.kind()), ("up/a", GrantKind::Write));
        assert_eq!(authorize(&who, &b, Method::Get, "private/x").unwrap_err().code, "AccessDenied");
        assert!(authorize(&who, &b, Method::Get, "up/../private/x").is_err());
        let c = token(Methods::ALL, Scope::Prefix("up/".into()), TokenSource::Cookie);
        let who = Who { principal: &c, revoked: &[], client_ip: None, now: 1_000 };
        assert!(authorize(&who, &b, Method::Get, "up/a").is_ok());
        for m in [Method::Put, Method::Post, Method::Delete, Method::List] {
            assert!(authorize(&who, &b, m, "up/a").is_err(), "{m}");
        }
        // expired
        let who = Who { principal: &p, revoked: &[], client_ip: None, now: 2_000 };
        assert!(authorize(&who, &b, Method::Get, "up/a").is_err());
    }

    #[test]
    fn anonymous_reads_public_prefixes_only() {
        let b = bucket();
        let who = Who { principal: &Principal::Anonymous, revoked: &[], client_ip: None, now: 0 };
        assert!(authorize(&who, &b, Method::Get, "pub/a").is_ok());
        assert!(authorize(&who, &b, Method::Get, "pub/../x").is_err());
        assert!(authorize(&who, &b, Method::Put, "pub/a").is_err());
        assert!(authorize(&who, &b, Method::Get, "x").is_err());
        assert!(authorize_bucket(&who, &b, "ListMultipartUploads").is_err());
    }

    #[test]
    fn copy_sources_need_get_on_the_source() {
        let cfg = Config::from_pairs(&[
            ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
            ("STORE_BUCKET", "b"),
            ("STORE_ACCESS_KEY_ID", "AK"),
            ("STORE_SECRET_ACCESS_KEY", "SK"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123"),
        ])
        .unwrap();
        let b = &cfg.buckets[0];
        let p = token(Methods::ALL, Scope::Prefix("uploads/".into()), TokenSource::Query);
        let who = Who { principal: &p, revoked: &[], client_ip: None, now: 1_000 };
        assert_eq!(authorize_copy_source(&who, &cfg, b, "/b/private/payroll.csv").unwrap_err().code, "AccessDenied");
        assert_eq!(authorize_copy_source(&who, &cfg, b, "/other/uploads/x").unwrap_err().code, "NoSuchBucket");
        assert!(authorize_copy_source(&who, &cfg, b, "b/uploads/%2e%2e/private/x").is_err());
        let (g, v) = authorize_copy_source(&who, &cfg, b, "/b/uploads/x?versionId=v1").unwrap();
        assert_eq!((g.key(), g.kind(), v.as_deref()), ("uploads/x", GrantKind::Read, Some("v1")));
    }
}
