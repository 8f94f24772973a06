//! The bucket namespace: which bucket a request's bucket name stands for, and who may reach it.
//!
//! A configured bucket (`BAGROOM_BUCKETS`, `BAGROOM_BUCKET`) is what its configuration says, for
//! every principal. Any other name is a bucket of the namespace (`BAGROOM_BUCKET_NAMESPACE`) on
//! the default store, named by the rule (the same name, or a fixed prefix), and only for:
//! - the access keys in `BAGROOM_BUCKET_ADMINS` (they create, use, list and delete them);
//! - a share token that names that bucket (a token stays bound to the bucket it names).
//!
//! Everyone else gets `AccessDenied`, and a name the rule would map onto a configured bucket's
//! store bucket is refused (that bucket is reached under its configured name only, with its
//! own public prefixes and cache entries).

use crate::auth::Principal;
use crate::config::{valid_new_bucket_name, BucketAdmins, BucketConfig, Config, Namespace};
use crate::s3::error::S3Error;
use crate::s3::route::S3Op;

/// The bucket a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved<'a> {
    Configured(&'a BucketConfig),
    /// A bucket of the namespace, made for this request.
    Namespace(Box<BucketConfig>),
}

impl Resolved<'_> {
    pub fn bucket(&self) -> &BucketConfig {
        match self {
            Resolved::Configured(b) => b,
            Resolved::Namespace(b) => b,
        }
    }
}

/// May `principal` use the namespace (create, list and delete its buckets)?
pub fn is_admin(ns: &Namespace, principal: &Principal) -> bool {
    match (principal, &ns.admins) {
        (Principal::AccessKey(_), BucketAdmins::All) => true,
        (Principal::AccessKey(v), BucketAdmins::Ids(ids)) => ids.contains(&v.access_key_id),
        _ => false,
    }
}

/// May `principal` reach the namespace bucket `name` at all: an admin, or a share token naming
/// it (whose own checks still run on every key). For a POST form, the principal is the form's
/// signer (`super::plan::plan_form`), not the request's credential.
pub fn reaches(ns: &Namespace, principal: &Principal, name: &str) -> bool {
    is_admin(ns, principal) || matches!(principal, Principal::Token(c, _, _) if c.bucket == name)
}

/// Does the store bucket `store_bucket` belong to a configured bucket? Any configured bucket with
/// that store bucket counts, whatever its endpoint: one store has many spellings
/// (`http://localhost:8333`, `http://127.0.0.1:8333`, `http://LOCALHOST:8333/`), and a name lost
/// to the namespace is cheaper than a configured bucket reached (or deleted) under another name.
fn configured_store_bucket<'a>(cfg: &'a Config, store_bucket: &str) -> Option<&'a BucketConfig> {
    cfg.buckets.iter().find(|b| b.store.bucket.eq_ignore_ascii_case(store_bucket))
}

/// The bucket `name` stands for, for `principal`. The principal's own checks (a token's
/// bucket, method and scope) still run on every key with `super::grant::authorize`.
pub fn resolve<'a>(cfg: &'a Config, principal: &Principal, name: &str, op: &S3Op) -> Result<Resolved<'a>, S3Error> {
    if let Some(b) = cfg.bucket(name) {
        return Ok(Resolved::Configured(b));
    }
    let Some(ns) = &cfg.namespace else {
        if *op == S3Op::CreateBucket {
            return Err(S3Error::access_denied(
                "bagroom serves its configured buckets: creating buckets needs its bucket namespace (BAGROOM_BUCKET_NAMESPACE)",
            ));
        }
        return Err(S3Error::no_such_bucket(name));
    };
    if !valid_new_bucket_name(name) {
        return Err(S3Error::invalid_bucket_name(name));
    }
    if !reaches(ns, principal, name) {
        return Err(S3Error::access_denied(format!(
            "bucket {name} is not one of the gateway's configured buckets, and only the access keys in BAGROOM_BUCKET_ADMINS \
             (or a share token naming it) reach the bucket namespace"
        )));
    }
    let store_bucket = ns.store_bucket(name);
    if let Some(b) = configured_store_bucket(cfg, &store_bucket) {
        return Err(S3Error::access_denied(format!("the store bucket for {name} is the gateway's bucket {}: use that name", b.name)));
    }
    Ok(Resolved::Namespace(Box::new(ns.bucket(name))))
}

/// The bucket a share token names: a configured one, a bucket of the namespace, or (for a token
/// valid in any bucket) the first configured bucket.
pub fn token_bucket<'a>(cfg: &'a Config, principal: &Principal, name: &str) -> Result<Resolved<'a>, S3Error> {
    if name.is_empty() {
        return cfg.token_bucket(name).map(Resolved::Configured);
    }
    resolve(cfg, principal, name, &S3Op::GetObject)
}

/// The client names of the namespace's buckets among the store's `store_buckets` (from the
/// store's ListBuckets): those the rule maps to, which are neither configured names nor the
/// store buckets of configured buckets, each once.
pub fn listed<'s>(cfg: &Config, ns: &Namespace, store_buckets: &'s [(String, String)]) -> Vec<(&'s str, &'s str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for (store_bucket, created) in store_buckets {
        let Some(name) = ns.client_name(store_bucket) else { continue };
        if cfg.bucket(name).is_some() || configured_store_bucket(cfg, store_bucket).is_some() || !valid_new_bucket_name(name) {
            continue;
        }
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, created.as_str()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::{Claims, Methods, Scope};
    use crate::auth::verified::AuthKind;
    use crate::auth::TokenSource;

    fn cfg(rule: &str, admins: &str) -> Config {
        Config::from_pairs(&[
            ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
            ("STORE_ACCESS_KEY_ID", "AK"),
            ("STORE_SECRET_ACCESS_KEY", "SK"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123"),
            ("BAGROOM_BUCKETS", r#"[{"name":"demo"},{"name":"media","store_bucket":"tenant-media"}]"#),
            ("BAGROOM_BUCKET_NAMESPACE", rule),
            ("BAGROOM_BUCKET_ADMINS", admins),
        ])
        .unwrap()
    }

    /// The single-bucket configuration `demo`, with `extra` settings.
    fn single(extra: &[(&str, &str)]) -> Result<Config, S3Error> {
        let mut pairs = vec![
            ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
            ("STORE_BUCKET", "demo"),
            ("STORE_ACCESS_KEY_ID", "AK"),
            ("STORE_SECRET_ACCESS_KEY", "SK"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123"),
        ];
        pairs.extend_from_slice(extra);
        Config::from_pairs(&pairs)
    }

    fn key(id: &str) -> Principal {
        Principal::access_key_named(id, AuthKind::HeaderV4)
    }

    fn token(bucket: &str) -> Principal {
        Principal::Token(
            Box::new(Claims::new("k1", u64::MAX / 2, Methods::ALL, bucket, Scope::Prefix(String::new()))),
            "t".into(),
            TokenSource::Query,
        )
    }

    #[test]
    fn configured_buckets_win_and_admins_reach_the_rest_by_the_rule() {
        let c = cfg("prefix:tenant-", "ADMIN");
        assert_eq!(resolve(&c, &Principal::Anonymous, "demo", &S3Op::GetObject).unwrap(), Resolved::Configured(c.bucket("demo").unwrap()));
        let r = resolve(&c, &key("ADMIN"), "scratch", &S3Op::GetObject).unwrap();
        let b = r.bucket();
        assert_eq!((b.name.as_str(), b.store.bucket.as_str(), b.in_namespace), ("scratch", "tenant-scratch", true));
        assert_eq!(b.store.credentials.access_key_id, "AK");
        assert!(b.public_prefixes.is_empty());
        // the rule would map "media" to tenant-media, the configured bucket "media": configured wins;
        // but no other name reaches a configured bucket's store bucket
        let c = cfg("same", "*");
        assert_eq!(resolve(&c, &key("ANY"), "tenant-media", &S3Op::GetObject).unwrap_err().code, "AccessDenied");
        assert_eq!(resolve(&c, &key("ANY"), "other", &S3Op::GetObject).unwrap().bucket().store.bucket, "other");
    }

    #[test]
    fn a_configured_store_bucket_is_no_namespace_bucket_however_its_endpoint_is_spelled() {
        for endpoint in ["http://localhost:8333", "http://LOCALHOST:8333/", "HTTP://127.0.0.1:8333", "http://127.0.0.1:80"] {
            let buckets = format!(r#"[{{"name":"demo"}},{{"name":"media","store_bucket":"tenant-media","endpoint":"{endpoint}"}}]"#);
            let c = Config::from_pairs(&[
                ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
                ("STORE_ACCESS_KEY_ID", "AK"),
                ("STORE_SECRET_ACCESS_KEY", "SK"),
                ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123"),
                ("BAGROOM_BUCKETS", &buckets),
                ("BAGROOM_BUCKET_NAMESPACE", "same"),
                ("BAGROOM_BUCKET_ADMINS", "*"),
            ])
            .unwrap();
            for op in [S3Op::GetObject, S3Op::DeleteBucket, S3Op::PutObject] {
                assert_eq!(resolve(&c, &key("ANY"), "tenant-media", &op).unwrap_err().code, "AccessDenied", "{endpoint} {op:?}");
            }
            let ns = c.namespace.as_ref().unwrap();
            let store = vec![("tenant-media".to_string(), String::new()), ("free".to_string(), String::new())];
            assert_eq!(listed(&c, ns, &store), vec![("free", "")], "{endpoint}");
        }
    }

    #[test]
    fn only_admins_and_tokens_naming_the_bucket_reach_the_namespace() {
        let c = cfg("same", "ADMIN,ADMIN2");
        for p in [key("OTHER"), Principal::Anonymous, token("elsewhere"), token("")] {
            assert_eq!(resolve(&c, &p, "scratch", &S3Op::GetObject).unwrap_err().code, "AccessDenied", "{p:?}");
        }
        assert!(resolve(&c, &key("ADMIN2"), "scratch", &S3Op::GetObject).is_ok());
        assert!(resolve(&c, &token("scratch"), "scratch", &S3Op::GetObject).is_ok());
        assert_eq!(resolve(&c, &key("ADMIN"), "Bad_Name", &S3Op::GetObject).unwrap_err().code, "InvalidBucketName");
        assert_eq!(resolve(&c, &key("ADMIN"), "ab", &S3Op::GetObject).unwrap_err().code, "InvalidBucketName");
    }

    #[test]
    fn without_a_namespace_unknown_buckets_do_not_exist() {
        let c = single(&[]).unwrap();
        assert_eq!(resolve(&c, &key("ANY"), "scratch", &S3Op::GetObject).unwrap_err().code, "NoSuchBucket");
        assert_eq!(resolve(&c, &key("ANY"), "scratch", &S3Op::CreateBucket).unwrap_err().code, "AccessDenied");
    }

    #[test]
    fn listings_map_store_buckets_back_and_hide_configured_ones() {
        let c = cfg("prefix:tenant-", "*");
        let ns = c.namespace.as_ref().unwrap();
        let store: Vec<(String, String)> = ["tenant-abc", "tenant-media", "demo", "tenant-", "other", "tenant-abc", "tenant-x"]
            .iter()
            .map(|s| (s.to_string(), "2026-01-01T00:00:00.000Z".to_string()))
            .collect();
        let names: Vec<&str> = listed(&c, ns, &store).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, vec!["abc"]);
    }

    #[test]
    fn the_namespace_needs_its_admins_named() {
        let e = single(&[("BAGROOM_BUCKET_NAMESPACE", "same")]).unwrap_err();
        assert!(e.message.contains("BAGROOM_BUCKET_ADMINS"), "{}", e.message);
        for bad in ["prefix:", "prefix:UPPER", "everything"] {
            let e = single(&[("BAGROOM_BUCKET_NAMESPACE", bad), ("BAGROOM_BUCKET_ADMINS", "*")]).unwrap_err();
            assert!(e.message.contains("BAGROOM_BUCKET_NAMESPACE"), "{bad}: {}", e.message);
        }
    }
}
