//! What a valid token allows: the access checks of [`super::verify`], upload
//! limits, revocation, and narrowing (minting a child token that can do no more
//! than its parent).

use std::net::IpAddr;

use super::claims::{content_type_matches, content_type_within, limits, Claims, Method, Methods, Scope};
use super::ip::IpNet;
use crate::s3::error::{Code, S3Error};

/// Clock skew allowed on `nbf` (a token minted by a clock slightly ahead of ours).
/// None on `exp`: a token is never honoured after its expiry.
pub const NBF_SKEW_SECS: u64 = 60;

/// One request, as the token checks see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access<'a> {
    pub method: Method,
    /// The gateway's public bucket name of the request.
    pub bucket: &'a str,
    /// The object key; for [`Method::List`] the list prefix; for
    /// [`Method::Share`] the key or prefix of the token being minted.
    pub key: &'a str,
    /// The client's address as the edge reports it (e.g. `CF-Connecting-IP`).
    pub client_ip: Option<&'a str>,
    /// Unix seconds.
    pub now: u64,
}

fn deny(msg: &'static str) -> S3Error {
    S3Error::access_denied(msg)
}

/// Does the key contain a `.` or `..` path segment (`/` and `\` both separate,
/// `%2e` counts as a dot)? URL normalisation between the gateway and the origin
/// (WHATWG URL parsing in `fetch`, proxies) could resolve `uploads/../secret` to
/// `secret`, escaping a prefix scope, so such keys are never reachable by token.
pub fn has_dot_segment(key: &str) -> bool {
    key.split(['/', '\\']).any(|seg| {
        let s = crate::text::replace(&seg.to_ascii_lowercase(), "%2e", ".");
        s == "." || s == ".."
    })
}

/// Is a request for `key` (or a listing of `key` as a prefix) within the scope?
pub fn key_in_scope(scope: &Scope, method: Method, key: &str) -> bool {
    match method {
        // a listing of prefix P shows keys starting with P: all must be in scope,
        // which an exact scope can never guarantee (`a.txt` lists `a.txt.bak`)
        Method::List => match scope {
            Scope::Exact(_) => false,
            Scope::Prefix(p) => key.starts_with(p.as_str()),
        },
        _ => {
            !has_dot_segment(key)
                && match scope {
                    Scope::Exact(k) => key == k,
                    Scope::Prefix(p) => key.starts_with(p.as_str()),
                }
        }
    }
}

/// Is the token revoked? An entry revokes every token whose id *starts with* it,
/// so revoking a parent also revokes every token narrowed from it. Empty entries
/// are ignored (they would revoke everything: a stray comma in a config must not).
/// A token without an id cannot be revoked (other than by rotating its key).
pub fn is_revoked(jti: &[u8], revoked: &[Vec<u8>]) -> bool {
    revoked.iter().any(|r| !r.is_empty() && jti.starts_with(r))
}

/// Parse a revocation list: token ids in hex, separated by commas or whitespace.
pub fn parse_revoked(list: &str) -> Result<Vec<Vec<u8>>, String> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            super::claims::from_hex(s)
                .filter(|b| b.len() <= limits::JTI_MAX)
                .ok_or_else(|| format!("bad token id {s:?} (hex, at most {} bytes)", limits::JTI_MAX))
        })
        .collect()
}

/// Time window (`nbf` with [`NBF_SKEW_SECS`], `exp`) and revocation.
fn check_window(claims: &Claims, revoked: &[Vec<u8>], now: u64) -> Result<(), S3Error> {
    if now >= claims.exp {
        return Err(deny("token expired"));
    }
    if claims.nbf > now.saturating_add(NBF_SKEW_SECS) {
        return Err(deny("token not yet valid"));
    }
    if is_revoked(&claims.jti, revoked) {
        return Err(deny("token revoked"));
    }
    Ok(())
}

fn check_ip(claims: &Claims, client_ip: Option<&str>) -> Result<(), S3Error> {
    if let Some(net) = &claims.ip {
        let ok = client_ip.and_then(|s| s.trim().parse::<IpAddr>().ok()).is_some_and(|ip| net.contains(ip));
        if !ok {
            return Err(deny("client IP not allowed by token"));
        }
    }
    Ok(())
}

/// Is the token usable at all now, whatever it is used for: the time window
/// (`nbf` with [`NBF_SKEW_SECS`], `exp`), revocation, and the client IP, in that order.
/// The same 403 AccessDenied messages as [`check_access`] ("token expired", "token not
/// yet valid", "token revoked", "client IP not allowed by token"). For routes that act on
/// the token itself rather than on one key (`/api/*`, `/s3/*`): call it right after
/// the signature check and before reading any body.
pub fn check_valid(claims: &Claims, revoked: &[Vec<u8>], client_ip: Option<&str>, now: u64) -> Result<(), S3Error> {
    check_window(claims, revoked, now)?;
    check_ip(claims, client_ip)
}

/// Every check but the MAC and the key id: time, revocation, bucket, method,
/// scope, client IP, in that order (the order `docs/token-format.md` documents). The
/// error says which one failed. Its time, revocation and IP checks are those of
/// [`check_valid`] (the same code), so `check_access` passing implies `check_valid` does.
pub fn check_access(claims: &Claims, revoked: &[Vec<u8>], access: &Access) -> Result<(), S3Error> {
    check_window(claims, revoked, access.now)?;
    if !claims.bucket.is_empty() && claims.bucket != access.bucket {
        return Err(deny("bucket not allowed by token"));
    }
    if !claims.methods.allows(access.method) {
        return Err(deny("method not allowed by token"));
    }
    if !key_in_scope(&claims.scope, access.method, access.key) {
        return Err(deny("key outside token scope"));
    }
    check_ip(claims, access.client_ip)
}

/// Upload limits for a PUT/POST already allowed by [`super::verify`]:
/// - `max_bytes`: the declared size must be known (else 411 MissingContentLength)
///   and at most the limit (else 400 EntityTooLarge);
/// - `content_types`: the declared type must be well-formed and match one pattern
///   (else 403 AccessDenied "content type not allowed by token", with
///   " (malformed Content-Type)" when it does not parse). Wildcard patterns never
///   cover active types (`image/*` refuses `image/svg+xml`): see
///   [`super::claims::content_type_matches`].
///
/// `no_overwrite` cannot be checked here: the shell makes the write conditional
/// (`If-None-Match: *`) when it is set.
pub fn check_upload(claims: &Claims, content_type: Option<&str>, size: Option<u64>) -> Result<(), S3Error> {
    if let Some(max) = claims.max_bytes {
        match size {
            None => {
                return Err(S3Error::with_message(Code::MissingContentLength, "token limits the upload size: the size must be declared"))
            }
            Some(n) if n > max => {
                return Err(S3Error::with_message(Code::EntityTooLarge, "Your proposed upload exceeds the maximum allowed size.")
                    .with("ProposedSize", n.to_string())
                    .with("MaxSizeAllowed", max.to_string()))
            }
            _ => {}
        }
    }
    if !claims.content_types.is_empty() {
        if content_type.is_some_and(|ct| crate::http::content_safety::parse_media_type(ct).is_none()) {
            return Err(deny("content type not allowed by token (malformed Content-Type)"));
        }
        let ok = content_type.is_some_and(|ct| claims.content_types.iter().any(|p| content_type_matches(p, ct)));
        if !ok {
            return Err(deny("content type not allowed by token"));
        }
    }
    Ok(())
}

/// What a child token should be. `None` (and `false`, empty) = same as the parent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NarrowRequest {
    /// Sign the child with this key id (normally the current signing key).
    pub kid: Option<String>,
    pub exp: Option<u64>,
    pub nbf: Option<u64>,
    pub methods: Option<Methods>,
    /// Only when the parent's bucket is `""` (any) may it differ.
    pub bucket: Option<String>,
    pub scope: Option<Scope>,
    pub ip: Option<IpNet>,
    pub max_bytes: Option<u64>,
    pub content_types: Option<Vec<String>>,
    /// Set it (a parent's `no_overwrite` is always kept).
    pub no_overwrite: bool,
    /// Appended to the parent's id to form the child's (8 random bytes is right).
    pub jti_suffix: Vec<u8>,
}

fn widen(what: &str) -> S3Error {
    S3Error::access_denied(format!("requested token would widen the parent's {what}"))
}

/// A child token's claims: never wider than the parent in any respect (else
/// 403 "... would widen ..."), and only from a parent that has SHARE.
pub fn narrow(parent: &Claims, req: &NarrowRequest) -> Result<Claims, S3Error> {
    if !parent.methods.allows(Method::Share) {
        return Err(deny("method not allowed by token"));
    }
    let exp = req.exp.unwrap_or(parent.exp);
    if exp > parent.exp {
        return Err(widen("expiry"));
    }
    let nbf = req.nbf.unwrap_or(parent.nbf);
    if nbf < parent.nbf {
        return Err(widen("not-before time"));
    }
    let methods = req.methods.unwrap_or(parent.methods);
    if !methods.is_subset_of(parent.methods) {
        return Err(widen("methods"));
    }
    let bucket = match &req.bucket {
        None => parent.bucket.clone(),
        Some(b) if parent.bucket.is_empty() || *b == parent.bucket => b.clone(),
        Some(_) => return Err(widen("bucket")),
    };
    let scope = req.scope.clone().unwrap_or_else(|| parent.scope.clone());
    if !parent.scope.contains_scope(&scope) {
        return Err(widen("scope"));
    }
    let ip = match (parent.ip, req.ip) {
        (p, None) => p,
        (None, Some(c)) => Some(c),
        (Some(p), Some(c)) if p.contains_net(&c) => Some(c),
        _ => return Err(widen("client IP range")),
    };
    let max_bytes = match (parent.max_bytes, req.max_bytes) {
        (p, None) => p,
        (None, Some(c)) => Some(c),
        (Some(p), Some(c)) if c <= p => Some(c),
        _ => return Err(widen("upload size limit")),
    };
    let content_types = match &req.content_types {
        None => parent.content_types.clone(),
        Some(c) if parent.content_types.is_empty() => c.clone(),
        // an empty list means "any type": wider than a non-empty parent list
        Some(c) if !c.is_empty() && c.iter().all(|ct| parent.content_types.iter().any(|p| content_type_within(p, ct))) => c.clone(),
        Some(_) => return Err(widen("content types")),
    };
    let mut jti = parent.jti.clone();
    jti.extend_from_slice(&req.jti_suffix);
    let child = Claims {
        kid: req.kid.clone().unwrap_or_else(|| parent.kid.clone()),
        exp,
        nbf,
        methods,
        bucket,
        scope,
        ip,
        max_bytes,
        content_types,
        no_overwrite: parent.no_overwrite || req.no_overwrite,
        jti,
    };
    child.validate().map_err(S3Error::invalid_argument)?;
    Ok(child)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parent() -> Claims {
        let mut c = Claims::new("k1", 1000, Methods::parse("GET,PUT,LIST,SHARE").unwrap(), "demo", Scope::Prefix("uploads/".into()));
        c.nbf = 100;
        c.jti = vec![1, 2, 3, 4, 5, 6, 7, 8];
        c
    }

    fn access(method: Method, key: &str) -> Access<'_> {
        Access { method, bucket: "demo", key, client_ip: None, now: 500 }
    }

    #[test]
    fn access_checks_name_the_failure() {
        let c = parent();
        let msg = |a: Access, rev: &[Vec<u8>]| check_access(&c, rev, &a).err().map(|e| e.message);
        assert_eq!(msg(access(Method::Get, "uploads/a.txt"), &[]), None);
        assert_eq!(msg(Access { now: 1000, ..access(Method::Get, "uploads/a") }, &[]).unwrap(), "token expired");
        assert_eq!(msg(Access { now: 39, ..access(Method::Get, "uploads/a") }, &[]).unwrap(), "token not yet valid");
        assert_eq!(msg(Access { now: 40, ..access(Method::Get, "uploads/a") }, &[]), None, "60 s skew on nbf");
        assert_eq!(msg(access(Method::Get, "uploads/a"), &[vec![1, 2]]).unwrap(), "token revoked");
        assert_eq!(msg(access(Method::Get, "uploads/a"), &[vec![], vec![9]]), None);
        assert_eq!(msg(Access { bucket: "other", ..access(Method::Get, "uploads/a") }, &[]).unwrap(), "bucket not allowed by token");
        assert_eq!(msg(access(Method::Delete, "uploads/a"), &[]).unwrap(), "method not allowed by token");
        assert_eq!(msg(access(Method::Get, "secret"), &[]).unwrap(), "key outside token scope");
        assert_eq!(msg(access(Method::Get, "uploads/../secret"), &[]).unwrap(), "key outside token scope");
        assert_eq!(msg(access(Method::Get, "uploads/..\\secret"), &[]).unwrap(), "key outside token scope");
        assert_eq!(msg(access(Method::Get, "uploads/%2E%2e/secret"), &[]).unwrap(), "key outside token scope");
        assert_eq!(msg(access(Method::Get, "uploads/..a/ok"), &[]), None);
        assert_eq!(msg(access(Method::List, "uploads/2024/"), &[]), None);
        assert_eq!(msg(access(Method::List, ""), &[]).unwrap(), "key outside token scope");
    }

    #[test]
    fn check_valid_is_check_access_without_the_request() {
        let mut c = parent();
        c.ip = Some(IpNet::parse("10.0.0.0/8").unwrap());
        c.methods = Methods::LIST;
        let v = |ip: Option<&str>, now: u64, rev: &[Vec<u8>]| check_valid(&c, rev, ip, now).err().map(|e| e.message);
        assert_eq!(v(Some("10.0.0.1"), 500, &[]), None);
        assert_eq!(v(Some("10.0.0.1"), 1000, &[]).unwrap(), "token expired");
        assert_eq!(v(Some("10.0.0.1"), 39, &[]).unwrap(), "token not yet valid");
        assert_eq!(v(Some("10.0.0.1"), 500, &[vec![1]]).unwrap(), "token revoked");
        assert_eq!(v(Some("9.0.0.1"), 500, &[]).unwrap(), "client IP not allowed by token");
        // check_access keeps the documented order: scope before IP
        let a = Access { client_ip: Some("9.0.0.1"), ..access(Method::List, "elsewhere/") };
        assert_eq!(check_access(&c, &[], &a).unwrap_err().message, "key outside token scope");
    }

    #[test]
    fn list_never_within_an_exact_scope() {
        let mut c = parent();
        c.scope = Scope::Exact("a.txt".into());
        assert!(check_access(&c, &[], &access(Method::List, "a.txt")).is_err());
        assert!(check_access(&c, &[], &access(Method::Get, "a.txt")).is_ok());
        assert!(check_access(&c, &[], &access(Method::Get, "a.txt.bak")).is_err());
    }

    #[test]
    fn empty_bucket_means_any() {
        let mut c = parent();
        c.bucket.clear();
        assert!(check_access(&c, &[], &Access { bucket: "whatever", ..access(Method::Get, "uploads/x") }).is_ok());
    }

    #[test]
    fn ip_checks() {
        let mut c = parent();
        c.ip = Some(IpNet::parse("10.0.0.0/8").unwrap());
        let with = |ip: Option<&'static str>| {
            check_access(&c, &[], &Access { client_ip: ip, ..access(Method::Get, "uploads/x") }).err().map(|e| e.message)
        };
        assert_eq!(with(Some("10.1.2.3")), None);
        assert_eq!(with(Some("::ffff:10.1.2.3")), None);
        assert_eq!(with(Some("11.1.2.3")).unwrap(), "client IP not allowed by token");
        assert_eq!(with(None).unwrap(), "client IP not allowed by token");
        assert_eq!(with(Some("garbage")).unwrap(), "client IP not allowed by token");
        c.ip = Some(IpNet::parse("2001:db8::/32").unwrap());
        let with = |ip| check_access(&c, &[], &Access { client_ip: Some(ip), ..access(Method::Get, "uploads/x") }).is_ok();
        assert!(with("2001:db8::1"));
        assert!(!with("10.0.0.1"));
    }

    #[test]
    fn upload_limits() {
        let mut c = parent();
        assert!(check_upload(&c, None, None).is_ok());
        c.max_bytes = Some(100);
        assert_eq!(check_upload(&c, None, Some(101)).unwrap_err().code, "EntityTooLarge");
        assert_eq!(check_upload(&c, None, Some(101)).unwrap_err().status, 400);
        assert_eq!(check_upload(&c, None, None).unwrap_err().status, 411);
        assert!(check_upload(&c, None, Some(100)).is_ok());
        c.content_types = vec!["image/*".into(), "text/plain".into()];
        assert!(check_upload(&c, Some("image/png"), Some(1)).is_ok());
        assert!(check_upload(&c, Some("Text/Plain; charset=utf-8"), Some(1)).is_ok());
        let e = check_upload(&c, Some("text/html"), Some(1)).unwrap_err();
        assert_eq!((e.status, e.message.as_str()), (403, "content type not allowed by token"));
        assert!(check_upload(&c, None, Some(1)).is_err());
    }

    #[test]
    fn revocation_list() {
        assert_eq!(parse_revoked("0102, ff\n").unwrap(), vec![vec![1, 2], vec![255]]);
        assert_eq!(parse_revoked("").unwrap(), Vec::<Vec<u8>>::new());
        assert!(parse_revoked("xyz").is_err());
        assert!(is_revoked(&[1, 2, 3], &[vec![1, 2]]));
        assert!(!is_revoked(&[1], &[vec![1, 2]]));
        assert!(!is_revoked(&[], &[vec![]]));
    }

    #[test]
    fn narrowing() {
        let p = parent();
        let req = NarrowRequest {
            exp: Some(900),
            methods: Some(Methods::GET),
            scope: Some(Scope::Exact("uploads/cat.jpg".into())),
            jti_suffix: vec![9; 8],
            ..Default::default()
        };
        let c = narrow(&p, &req).unwrap();
        assert_eq!((c.exp, c.nbf, c.methods, c.bucket.as_str()), (900, 100, Methods::GET, "demo"));
        assert_eq!(&c.jti[..8], &p.jti[..]);
        assert_eq!(c.jti.len(), 16);
        // revoking the parent revokes the child
        assert!(is_revoked(&c.jti, std::slice::from_ref(&p.jti)));

        let bad = |r: NarrowRequest| narrow(&p, &r).unwrap_err().message;
        assert!(bad(NarrowRequest { exp: Some(1001), ..Default::default() }).contains("would widen the parent's expiry"));
        assert!(bad(NarrowRequest { nbf: Some(99), ..Default::default() }).contains("not-before"));
        assert!(bad(NarrowRequest { methods: Some(Methods::DELETE), ..Default::default() }).contains("methods"));
        assert!(bad(NarrowRequest { bucket: Some("x".into()), ..Default::default() }).contains("bucket"));
        assert!(bad(NarrowRequest { scope: Some(Scope::Prefix("".into())), ..Default::default() }).contains("scope"));

        let mut p2 = p.clone();
        p2.ip = Some(IpNet::parse("10.0.0.0/8").unwrap());
        p2.max_bytes = Some(10);
        p2.content_types = vec!["image/*".into()];
        p2.no_overwrite = true;
        assert!(narrow(&p2, &NarrowRequest { ip: Some(IpNet::parse("0.0.0.0/0").unwrap()), ..Default::default() })
            .unwrap_err()
            .message
            .contains("IP"));
        assert!(narrow(&p2, &NarrowRequest { max_bytes: Some(11), ..Default::default() }).unwrap_err().message.contains("size"));
        assert!(narrow(&p2, &NarrowRequest { content_types: Some(vec![]), ..Default::default() }).unwrap_err().message.contains("content"));
        assert!(narrow(&p2, &NarrowRequest { content_types: Some(vec!["text/plain".into()]), ..Default::default() }).is_err());
        let c2 = narrow(
            &p2,
            &NarrowRequest {
                ip: Some(IpNet::parse("10.1.0.0/16").unwrap()),
                content_types: Some(vec!["image/png".into()]),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(c2.no_overwrite && c2.max_bytes == Some(10));

        let mut noshare = p.clone();
        noshare.methods = Methods::GET;
        assert_eq!(narrow(&noshare, &NarrowRequest::default()).unwrap_err().message, "method not allowed by token");
        // jti too long after appending
        assert!(narrow(&p, &NarrowRequest { jti_suffix: vec![0; 25], ..Default::default() }).is_err());
    }
}
