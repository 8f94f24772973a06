//! The plan of an S3 request: from the request and its principal, everything the store may be
//! asked to touch, decided before anything is sent. The shell's dispatcher (`worker::s3`) runs
//! exactly this and then only moves bytes; the property test and the fuzz target run it too.

use super::grant::{authorize, authorize_bucket, authorize_bucket_admin, authorize_copy_source, list_scope, precheck, Grant, Who};
use super::headers::{from_client, PrincipalClass, StoreHeaders};
use super::table::{rule, HeaderSet, Need, OtherKeys};
use crate::auth::token::Method;
use crate::auth::verified::{AuthKind, Payload, Verified};
use crate::auth::Principal;
use crate::config::{BucketConfig, Config};
use crate::http::RequestParts;
use crate::s3::error::S3Error;
use crate::s3::listing::{clamp_to_scope, parse_list_query, ListRequest};
use crate::s3::route::S3Op;
use crate::s3::xml::VersionsRequest;
use crate::upload::post::{form_boundary, parse_form, plan_post, PostPlan, S3_MAX_POST};

/// What an S3 request may make the store do.
#[derive(Debug, Clone)]
pub struct S3Plan<'a> {
    pub op: S3Op,
    pub bucket: &'a BucketConfig,
    /// The grant on the request's key (for listings: the clamped prefix; for bucket requests the
    /// bucket). `None` only for DeleteObjects, whose keys are authorised one by one from the body
    /// with [`Who`] and [`authorize`] (the precheck has passed).
    pub grant: Option<Grant<'a>>,
    /// CopyObject / UploadPartCopy: the authorised source and its version.
    pub copy_source: Option<(Grant<'a>, Option<String>)>,
    /// ListObjects: the listing, clamped to the credential's scope.
    pub list: Option<ListRequest>,
    /// ListObjectVersions: the listing, clamped to the credential's scope, and its markers.
    pub versions: Option<VersionsRequest>,
    /// The client headers that may reach the store.
    pub headers: StoreHeaders,
}

/// Plan an S3 operation `op` on `key` of `bucket` for `who`. Errors are the answer to give.
pub fn plan<'a>(
    cfg: &'a Config,
    who: &Who,
    parts: &RequestParts,
    op: S3Op,
    bucket: &'a BucketConfig,
    key: &str,
) -> Result<S3Plan<'a>, S3Error> {
    let row = rule(&op);
    // the query, decoded once for every check below
    let pairs = parts.query_pairs();
    check_part_number(&pairs)?;
    check_part_count(who, &op, &pairs)?;
    // refused headers answer before anything else is looked at
    let headers = from_client(row.headers, PrincipalClass::of(who.principal), &parts.headers)?;
    let mut list = None;
    let mut versions = None;
    let grant = match row.need {
        Need::Refused => {
            let what = match &op {
                S3Op::Unsupported(w) => w.clone(),
                other => other.name().to_string(),
            };
            return Err(S3Error::not_implemented(format!("bagroom does not implement {what}")));
        }
        Need::Denied(why) => return Err(S3Error::access_denied(format!("{op} is refused: {why}"))),
        Need::Key(m) => Some(authorize(who, bucket, m, key)?),
        Need::AccessKeyOn(m) => {
            if PrincipalClass::of(who.principal) != PrincipalClass::AccessKey {
                return Err(S3Error::access_denied(format!(
                    "{op} sets store attributes (object tags), which only the gateway's access keys may set"
                )));
            }
            Some(authorize(who, bucket, m, key)?)
        }
        Need::BucketScope => Some(authorize(who, bucket, Method::List, &list_scope(who.principal, bucket, ""))?),
        Need::AccessKey => Some(authorize_bucket(who, bucket, op.name())?),
        Need::BucketAdmin => Some(authorize_bucket_admin(who, cfg, bucket, &op)?),
        Need::AnyKey(m) => {
            precheck(who, bucket, m)?;
            None
        }
        // the form's signer and key are in the body: `plan_form`, once it is read
        Need::FormPolicy(_) => None,
        Need::ListPrefix => {
            let (g, lreq) = plan_list(who, bucket, &pairs)?;
            if op == S3Op::ListObjectVersions {
                // prefix, delimiter, max-keys and encoding-type as ListObjects V1 reads them
                versions = Some(VersionsRequest::new(ListRequest { v2: false, marker: None, ..lreq }, &pairs));
            } else {
                list = Some(lreq);
            }
            Some(g)
        }
    };
    let copy_source = match row.other_keys {
        OtherKeys::CopySource => {
            let header = parts.headers.get("x-amz-copy-source").unwrap_or("");
            Some(authorize_copy_source(who, cfg, bucket, header)?)
        }
        OtherKeys::None | OtherKeys::BodyKeys(_) => None,
    };
    Ok(S3Plan { op, bucket, grant, copy_source, list, versions, headers })
}

/// A POST Object form, read whole (`body`, its `content_type`): what its store PUT may do.
#[derive(Debug)]
pub struct FormPlan<'a> {
    /// PUT on the form's key, authorised for the access key that signed the form's policy.
    pub grant: Grant<'a>,
    /// The form's content metadata, through PUT's allow-list for access keys.
    pub headers: StoreHeaders,
    pub post: PostPlan,
    /// The signer, as a principal (for the upload event and logs).
    pub signer: Principal,
    /// The file's bytes: `body[file.0..file.1]`.
    pub file: (usize, usize),
}

/// Plan a POST Object ([`Need::FormPolicy`]): parse the form, verify its policy (signature by one
/// of `cfg`'s access keys, expiry, every condition, every field covered, the file's length), then
/// authorise `method` on the form's key for that access key with [`authorize`]. The request's own
/// principal in `who` plays no part beyond the client IP and time: a form is worth what its
/// signer may do, and only access keys sign forms here.
pub fn plan_form<'a>(cfg: &Config, who: &Who, bucket: &'a BucketConfig, content_type: &str, body: &[u8]) -> Result<FormPlan<'a>, S3Error> {
    let Need::FormPolicy(method) = rule(&S3Op::PostObject).need else {
        return Err(S3Error::internal("PostObject is not a form operation"));
    };
    let boundary = form_boundary(content_type).ok_or_else(|| S3Error::invalid_argument("POST Object needs a multipart/form-data body"))?;
    let form = parse_form(body, &boundary)?;
    let len = (form.file.1 - form.file.0) as u64;
    let limit = cfg.max_upload_bytes.min(S3_MAX_POST);
    if len > limit {
        return Err(S3Error::entity_too_large(limit));
    }
    let secret = |id: &str| cfg.access_keys.iter().find(|(k, _)| k == id).map(|(_, s)| s.clone());
    let post = plan_post(&form, &bucket.name, len, &secret, &cfg.region, cfg.allow_sigv2, who.now)?;
    let signer = Principal::AccessKey(Box::new(Verified {
        access_key_id: post.verified.access_key_id.clone(),
        kind: AuthKind::PostPolicy,
        expires_at: None,
        payload: Payload::Unsigned,
        signed_headers: Vec::new(),
        amz_date: post.verified.amz_date.clone(),
        scope: post.verified.scope.clone(),
        signature: post.verified.signature.clone(),
        signing_key: [0; 32],
    }));
    // the request's credential let the name resolve; a namespace bucket takes forms signed by
    // its admins only (another access key's form, posted with a token naming the bucket, is not one)
    if bucket.in_namespace && !cfg.namespace.as_ref().is_some_and(|ns| super::namespace::reaches(ns, &signer, &bucket.name)) {
        return Err(S3Error::access_denied(format!(
            "bucket {} is in the bucket namespace: a form posted to it must be signed by an access key in BAGROOM_BUCKET_ADMINS",
            bucket.name
        )));
    }
    let signer_who = Who { principal: &signer, ..*who };
    let grant = authorize(&signer_who, bucket, method, &post.key)?;
    let mut headers = from_client(HeaderSet::Put, PrincipalClass::AccessKey, &post.headers)?;
    headers.set("content-length", len.to_string());
    Ok(FormPlan { grant, headers, post, signer, file: form.file })
}

/// A listing from its decoded query `pairs` (the S3 API's, or the demo API's renamed ones): the
/// request clamped to the credential's scope, and the grant on the clamped prefix.
pub fn plan_list<'a>(who: &Who, bucket: &'a BucketConfig, pairs: &[(String, String)]) -> Result<(Grant<'a>, ListRequest), S3Error> {
    let lreq = parse_list_query(pairs)?;
    let scope = list_scope(who.principal, bucket, &lreq.prefix);
    let lreq = clamp_to_scope(lreq, &scope)?;
    let g = authorize(who, bucket, Method::List, &lreq.prefix)?;
    Ok((g, lreq))
}

/// A share token with `max_bytes` cannot park more parts in the store than a completable upload
/// within its limit could have: every part but the last is at least 5 MiB, so part numbers above
/// `max_bytes / 5 MiB + 1` could never complete (the total would exceed the limit) and are refused
/// before any byte is sent.
fn check_part_count(who: &Who, op: &S3Op, pairs: &[(String, String)]) -> Result<(), S3Error> {
    const MIN_PART: u64 = 5 * 1024 * 1024;
    let (S3Op::UploadPart | S3Op::UploadPartCopy, Principal::Token(claims, _, _)) = (op, who.principal) else { return Ok(()) };
    let Some(max) = claims.max_bytes else { return Ok(()) };
    let n: u64 = pairs.iter().find(|(k, _)| k == "partNumber").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    if n > max / MIN_PART + 1 {
        return Err(S3Error::entity_too_large(max).with("PartNumber", n.to_string()));
    }
    Ok(())
}

/// `partNumber`, where present, is an integer from 1 to 10,000 (`s3::download::part_number`).
fn check_part_number(pairs: &[(String, String)]) -> Result<(), S3Error> {
    crate::s3::download::part_number(pairs).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::{Claims, Methods, Scope};
    use crate::auth::{Principal, TokenSource};
    use crate::http::Headers;

    #[test]
    fn a_limited_token_parks_no_parts_that_could_never_complete() {
        let mut c = Claims::new("k", u64::MAX / 2, Methods::ALL, "", Scope::Prefix("up/".into()));
        c.max_bytes = Some(12 * 1024 * 1024);
        let p = Principal::Token(Box::new(c), String::new(), TokenSource::Query);
        let who = Who { principal: &p, revoked: &[], client_ip: None, now: 1 };
        let part = |n: u32| RequestParts::from_target("PUT", &format!("/b/up/x?partNumber={n}&uploadId=u"), Headers::new()).query_pairs();
        // 12 MiB: parts 1 and 2 of 5 MiB plus a last part 3
        for n in 1..=3 {
            assert!(check_part_count(&who, &S3Op::UploadPart, &part(n)).is_ok(), "{n}");
        }
        assert_eq!(check_part_count(&who, &S3Op::UploadPart, &part(4)).unwrap_err().code, "EntityTooLarge");
        assert!(check_part_count(&who, &S3Op::UploadPartCopy, &part(10_000)).is_err());
        let ak = Principal::Anonymous;
        let who = Who { principal: &ak, revoked: &[], client_ip: None, now: 1 };
        assert!(check_part_count(&who, &S3Op::UploadPart, &part(10_000)).is_ok(), "only tokens with max_bytes are bound here");
    }

    fn ns_config() -> Config {
        Config::from_pairs(&[
            ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
            ("STORE_ACCESS_KEY_ID", "AK"),
            ("STORE_SECRET_ACCESS_KEY", "SK"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123"),
            ("BAGROOM_BUCKETS", r#"[{"name":"demo"}]"#),
            ("BAGROOM_ACCESS_KEYS", "ADMIN:adminsecret,OTHER:othersecret"),
            ("BAGROOM_BUCKET_NAMESPACE", "prefix:ns-"),
            ("BAGROOM_BUCKET_ADMINS", "ADMIN"),
        ])
        .unwrap()
    }

    fn form(signer: &str, secret: &str, bucket: &str, now: u64) -> Vec<u8> {
        use crate::sigv4::post_policy::{post_form, PostPolicy};
        let policy = PostPolicy { bucket: bucket.into(), key_starts_with: Some("up/".into()), expires_at: now + 60, ..Default::default() };
        let fields =
            post_form(&policy, &format!("http://gw/{bucket}"), &crate::sigv4::Credentials::new(signer, secret), "us-east-1", now).fields;
        let mut b = Vec::new();
        for (k, v) in &fields {
            b.extend_from_slice(format!("--BB\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        b.extend_from_slice(b"--BB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\nhello\r\n--BB--\r\n");
        b
    }

    #[test]
    fn a_form_reaches_a_namespace_bucket_only_when_an_admin_signed_it() {
        let cfg = ns_config();
        let now = 1_700_000_000;
        // the request carries a (read-only, even expired) token naming the namespace bucket: the
        // name resolves, but the form is worth what its signer may do
        let mut c = Claims::new("k1", now - 1, Methods::GET, "scratch", Scope::Prefix(String::new()));
        c.nbf = 0;
        let tok = Principal::Token(Box::new(c), "t".into(), TokenSource::Query);
        let resolved = crate::guard::namespace::resolve(&cfg, &tok, "scratch", &S3Op::PostObject).unwrap();
        let who = Who { principal: &tok, revoked: &[], client_ip: None, now };
        let ct = "multipart/form-data; boundary=BB";
        let e = plan_form(&cfg, &who, resolved.bucket(), ct, &form("OTHER", "othersecret", "scratch", now)).unwrap_err();
        assert_eq!(e.code, "AccessDenied", "{e:?}");
        let f = plan_form(&cfg, &who, resolved.bucket(), ct, &form("ADMIN", "adminsecret", "scratch", now)).unwrap();
        assert_eq!((f.grant.bucket().store.bucket.as_str(), f.grant.key()), ("ns-scratch", "up/f.txt"));
        // a configured bucket: any access key's form, as before
        let demo = cfg.bucket("demo").unwrap();
        assert!(plan_form(&cfg, &who, demo, ct, &form("OTHER", "othersecret", "demo", now)).is_ok());
    }
}
