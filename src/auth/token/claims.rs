//! What a token says: [`Claims`], the [`Methods`] bitset, the [`Scope`], and the
//! limits every claim must respect (checked when minting and when decoding, so a
//! decoded token is always a valid one).

use std::fmt;

use super::ip::IpNet;

/// One operation a request performs, as the token sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Head,
    Put,
    Post,
    Delete,
    /// ListObjects (the `key` of an [`super::Access`] is the list prefix).
    List,
    /// Mint a narrower token from this one.
    Share,
}

impl Method {
    pub const ALL: [Method; 7] = [Method::Get, Method::Head, Method::Put, Method::Post, Method::Delete, Method::List, Method::Share];

    /// The bit of this method in [`Methods`].
    pub const fn bit(self) -> u8 {
        match self {
            Method::Get => 1,
            Method::Head => 2,
            Method::Put => 4,
            Method::Post => 8,
            Method::Delete => 16,
            Method::List => 32,
            Method::Share => 64,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::List => "LIST",
            Method::Share => "SHARE",
        }
    }

    /// `GET`, `head`, ... (case-insensitive).
    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`Method`]s, one bit each (bit 7 is unused and invalid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Methods(u8);

impl Methods {
    pub const NONE: Methods = Methods(0);
    pub const GET: Methods = Methods(1);
    pub const HEAD: Methods = Methods(2);
    pub const PUT: Methods = Methods(4);
    pub const POST: Methods = Methods(8);
    pub const DELETE: Methods = Methods(16);
    pub const LIST: Methods = Methods(32);
    pub const SHARE: Methods = Methods(64);
    pub const ALL: Methods = Methods(127);

    /// From the raw bits; `None` if an unknown bit is set.
    pub const fn from_bits(bits: u8) -> Option<Methods> {
        if bits & !Methods::ALL.0 == 0 {
            Some(Methods(bits))
        } else {
            None
        }
    }
    pub const fn bits(self) -> u8 {
        self.0
    }
    pub const fn union(self, other: Methods) -> Methods {
        Methods(self.0 | other.0)
    }
    pub const fn allows(self, m: Method) -> bool {
        self.0 & m.bit() != 0
    }
    pub const fn is_subset_of(self, other: Methods) -> bool {
        self.0 & !other.0 == 0
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Method> {
        Method::ALL.into_iter().filter(move |m| self.allows(*m))
    }

    /// `GET,HEAD,PUT` (case-insensitive, spaces allowed; empty items are ignored).
    pub fn parse(s: &str) -> Result<Methods, String> {
        let mut bits = 0;
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let m = Method::parse(item).ok_or_else(|| format!("unknown method {item:?} (GET, HEAD, PUT, POST, DELETE, LIST, SHARE)"))?;
            bits |= m.bit();
        }
        Ok(Methods(bits))
    }
}

impl From<Method> for Methods {
    fn from(m: Method) -> Methods {
        Methods(m.bit())
    }
}

impl fmt::Display for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for m in self.iter() {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            f.write_str(m.name())?;
        }
        Ok(())
    }
}

/// Which object keys a token reaches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Exactly this key.
    Exact(String),
    /// Every key starting with this (plain byte prefix: `uploads/` does not reach
    /// `uploads-old/x`, but `uploads` does). `""` is the whole bucket.
    Prefix(String),
}

impl Scope {
    pub fn value(&self) -> &str {
        match self {
            Scope::Exact(s) | Scope::Prefix(s) => s,
        }
    }
    /// Is `other` entirely within this scope (every key it reaches, this reaches)?
    pub fn contains_scope(&self, other: &Scope) -> bool {
        match (self, other) {
            (Scope::Exact(a), Scope::Exact(b)) => a == b,
            (Scope::Exact(_), Scope::Prefix(_)) => false,
            (Scope::Prefix(p), Scope::Exact(k)) | (Scope::Prefix(p), Scope::Prefix(k)) => k.starts_with(p.as_str()),
        }
    }
}

/// Limits on the fields (the binary layout could hold more; these keep tokens short
/// and the decoder's work bounded).
pub mod limits {
    /// Key id: 1..=32 bytes of `[A-Za-z0-9._-]`.
    pub const KID_MAX: usize = 32;
    /// Bucket name (S3 allows 63; the gateway's public names are free-form).
    pub const BUCKET_MAX: usize = 255;
    /// Scope key or prefix (S3 keys are at most 1024 bytes).
    pub const SCOPE_MAX: usize = 1024;
    /// Number of allowed content types.
    pub const CONTENT_TYPES_MAX: usize = 16;
    /// One content type pattern.
    pub const CONTENT_TYPE_LEN_MAX: usize = 127;
    /// Token id (a parent's id plus one 8-byte id per narrowing step fits 4 steps).
    pub const JTI_MAX: usize = 32;
}

/// Everything a token grants. See `docs/token-format.md`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Claims {
    /// Which key signed it (several keys can be valid at once, for rotation).
    pub kid: String,
    /// Expiry, unix seconds: valid while `now < exp`.
    pub exp: u64,
    /// Not before, unix seconds (0 = no lower bound); 60 s of clock skew is allowed.
    pub nbf: u64,
    pub methods: Methods,
    /// The gateway's public bucket name; `""` = any bucket the gateway serves.
    pub bucket: String,
    pub scope: Scope,
    /// Only clients from this address or network.
    pub ip: Option<IpNet>,
    /// Uploads (PUT/POST) at most this many bytes.
    pub max_bytes: Option<u64>,
    /// Uploads only with one of these content types (`image/png`, `image/*`,
    /// `*/*`); empty = any.
    pub content_types: Vec<String>,
    /// Uploads must not replace an existing object (the shell enforces this with a
    /// conditional write).
    pub no_overwrite: bool,
    /// Token id, for revocation (random bytes chosen by the caller; 8 is plenty).
    /// A narrowed token's id starts with its parent's, so revoking a parent
    /// revokes everything minted from it.
    pub jti: Vec<u8>,
}

/// Is this a valid key id?
pub fn valid_kid(kid: &str) -> bool {
    !kid.is_empty() && kid.len() <= limits::KID_MAX && kid.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Is this a valid content-type pattern: `type/subtype`, `type/*` or `*/*`, with
/// RFC 9110 token characters only (no parameters, no spaces)?
pub fn valid_content_type(ct: &str) -> bool {
    fn tchar(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
    }
    if ct.is_empty() || ct.len() > limits::CONTENT_TYPE_LEN_MAX {
        return false;
    }
    let Some((t, s)) = ct.split_once('/') else { return false };
    if t.is_empty() || s.is_empty() || !t.bytes().all(tchar) || !s.bytes().all(tchar) {
        return false;
    }
    // `*` only as a whole part, and `*/x` is meaningless
    let star_ok = |p: &str| p == "*" || !p.contains('*');
    star_ok(t) && star_ok(s) && !(t == "*" && s != "*")
}

/// Does the pattern (`image/png`, `image/*`, `*/*`) match the concrete type?
///
/// The concrete type is parsed strictly ([`crate::http::content_safety::parse_media_type`]):
/// a malformed one (a comma outside quotes, control characters, a bad parameter, too
/// long, ...) matches nothing. Type and subtype compare case-insensitively; parameters
/// are allowed but do not take part. A wildcard pattern (`image/*`, `*/*`) never matches
/// an active type ([`crate::http::content_safety::is_active`]: `image/svg+xml`, `text/html`,
/// ...); only a pattern naming that type exactly does.
pub fn content_type_matches(pattern: &str, actual: &str) -> bool {
    let Some(m) = crate::http::content_safety::parse_media_type(actual) else { return false };
    let (Some((pt, ps)), (at, as_)) = (pattern.split_once('/'), (m.type_(), m.subtype())) else { return false };
    if pt == "*" || ps == "*" {
        if crate::http::content_safety::is_active(&m.essence) {
            return false;
        }
        (pt == "*" || pt.eq_ignore_ascii_case(at)) && (ps == "*" || ps.eq_ignore_ascii_case(as_))
    } else {
        pt.eq_ignore_ascii_case(at) && ps.eq_ignore_ascii_case(as_)
    }
}

/// Is every type `child` matches also matched by `parent` (as patterns)? An exact
/// active child type (`image/svg+xml`) is only within the same exact parent type, since
/// wildcards do not cover active types.
pub fn content_type_within(parent: &str, child: &str) -> bool {
    let (Some((pt, ps)), Some((ct, cs))) = (parent.split_once('/'), child.split_once('/')) else { return false };
    let part = |p: &str, c: &str| p == "*" || (c != "*" && p.eq_ignore_ascii_case(c));
    let child_exact = ct != "*" && cs != "*";
    let parent_wild = pt == "*" || ps == "*";
    if child_exact && parent_wild && crate::http::content_safety::is_active(child) {
        return false;
    }
    // a child `*` part is only within a parent `*` part
    part(pt, ct) && part(ps, cs)
}

impl Claims {
    /// A token for one method set on a scope, with everything else unset.
    pub fn new(kid: &str, exp: u64, methods: Methods, bucket: &str, scope: Scope) -> Claims {
        Claims {
            kid: kid.to_string(),
            exp,
            nbf: 0,
            methods,
            bucket: bucket.to_string(),
            scope,
            ip: None,
            max_bytes: None,
            content_types: Vec::new(),
            no_overwrite: false,
            jti: Vec::new(),
        }
    }

    /// Check the limits; the message says which field is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if !valid_kid(&self.kid) {
            return Err(format!("key id must be 1..={} characters of A-Z a-z 0-9 . _ -", limits::KID_MAX));
        }
        if self.bucket.len() > limits::BUCKET_MAX {
            return Err(format!("bucket longer than {} bytes", limits::BUCKET_MAX));
        }
        if self.scope.value().len() > limits::SCOPE_MAX {
            return Err(format!("scope longer than {} bytes", limits::SCOPE_MAX));
        }
        if self.content_types.len() > limits::CONTENT_TYPES_MAX {
            return Err(format!("more than {} content types", limits::CONTENT_TYPES_MAX));
        }
        if let Some(ct) = self.content_types.iter().find(|ct| !valid_content_type(ct)) {
            return Err(format!("bad content type pattern {ct:?} (type/subtype, type/* or */*)"));
        }
        if self.jti.len() > limits::JTI_MAX {
            return Err(format!("token id longer than {} bytes", limits::JTI_MAX));
        }
        Ok(())
    }

    /// The claims as JSON (for `bagroom-token inspect` and the demo API).
    pub fn to_json(&self) -> serde_json::Value {
        let (scope_kind, scope) = match &self.scope {
            Scope::Exact(k) => ("key", k),
            Scope::Prefix(p) => ("prefix", p),
        };
        serde_json::json!({
            "kid": self.kid,
            "exp": self.exp,
            "exp_iso": crate::time::iso8601(self.exp),
            "nbf": self.nbf,
            "methods": self.methods.iter().map(Method::name).collect::<Vec<_>>(),
            "bucket": self.bucket,
            scope_kind: scope,
            "ip": self.ip.map(|n| n.to_string()),
            "max_bytes": self.max_bytes,
            "content_types": self.content_types,
            "no_overwrite": self.no_overwrite,
            "jti": to_hex(&self.jti),
        })
    }
}

pub use crate::encoding::{from_hex, hex as to_hex};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_parse_and_print() {
        let m = Methods::parse("get, HEAD,put").unwrap();
        assert_eq!(m, Methods::GET.union(Methods::HEAD).union(Methods::PUT));
        assert_eq!(m.to_string(), "GET,HEAD,PUT");
        assert!(Methods::parse("GET,FETCH").unwrap_err().contains("FETCH"));
        assert_eq!(Methods::parse("").unwrap(), Methods::NONE);
        assert!(Methods::from_bits(128).is_none());
        assert!(Methods::GET.is_subset_of(m));
        assert!(!Methods::SHARE.is_subset_of(m));
        assert_eq!(Methods::ALL.iter().count(), 7);
    }

    #[test]
    fn content_types() {
        assert!(valid_content_type("image/png"));
        assert!(valid_content_type("image/*"));
        assert!(valid_content_type("*/*"));
        assert!(valid_content_type("application/vnd.api+json"));
        for bad in ["", "image", "image/", "/png", "*/png", "im*ge/png", "image/png; charset=x", "image/ png", "a/b/c"] {
            assert!(!valid_content_type(bad), "{bad}");
        }
        assert!(content_type_matches("image/*", "IMAGE/PNG"));
        assert!(content_type_matches("image/png", "image/png; charset=binary"));
        assert!(content_type_matches("*/*", "text/plain"));
        assert!(!content_type_matches("image/*", "text/plain"));
        assert!(!content_type_matches("image/png", "image/pngx"));
        assert!(!content_type_matches("image/*", "image/"));
        assert!(content_type_within("image/*", "image/png"));
        assert!(content_type_within("*/*", "image/*"));
        assert!(!content_type_within("image/png", "image/*"));
        assert!(!content_type_within("image/*", "*/*"));
        // wildcards never cover active types, so neither does a wildcard parent
        assert!(!content_type_matches("image/*", "image/svg+xml"));
        assert!(!content_type_matches("*/*", "text/html; charset=utf-8"));
        assert!(content_type_matches("image/svg+xml", "Image/SVG+XML"));
        assert!(!content_type_matches("image/*", "image/png;x=,text/html"));
        assert!(!content_type_within("image/*", "image/svg+xml"));
        assert!(!content_type_within("*/*", "text/html"));
        assert!(content_type_within("image/svg+xml", "IMAGE/svg+xml"));
        assert!(content_type_within("*/*", "text/*"));
    }

    #[test]
    fn scope_containment() {
        let p = Scope::Prefix("a/".into());
        assert!(p.contains_scope(&Scope::Exact("a/b".into())));
        assert!(p.contains_scope(&Scope::Prefix("a/b/".into())));
        assert!(!p.contains_scope(&Scope::Prefix("".into())));
        assert!(!Scope::Exact("a".into()).contains_scope(&Scope::Prefix("a".into())));
        assert!(Scope::Prefix("".into()).contains_scope(&p));
    }

    #[test]
    fn validate_limits() {
        let mut c = Claims::new("k1", 10, Methods::GET, "b", Scope::Exact("k".into()));
        assert!(c.validate().is_ok());
        c.kid = "bad kid".into();
        assert!(c.validate().is_err());
        c.kid = "k1".into();
        c.jti = vec![0; 33];
        assert!(c.validate().is_err());
        c.jti = vec![];
        c.content_types = vec!["image".into()];
        assert!(c.validate().unwrap_err().contains("content type"));
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(to_hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(from_hex("00ABff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
