//! Who is asking, and may they do this? Every credential bagroom accepts goes through here:
//! AWS SigV4 (header or query), SigV2 (header or query), bagroom share tokens (`?token=`,
//! `Authorization: Bearer`, or the `bagroom_token` cookie), or nothing at all for prefixes the
//! configuration marks public.

pub mod sigv2;
pub mod token;
pub mod verified;
pub mod verify;

use crate::auth::token::{Claims, TokenKeys};
use crate::auth::verify::{verify, Verified, VerifyOptions};
use crate::config::Config;
use crate::http::RequestParts;
use crate::s3::error::S3Error;
use crate::sigv4::UriMode;

/// Name of the cookie a token link sets so that a page's sub-requests are authorised.
pub const TOKEN_COOKIE: &str = "bagroom_token";

/// The authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    /// One of the gateway's own access keys (SigV4 or SigV2): full access.
    AccessKey(Box<Verified>),
    /// A bagroom share token whose signature and key id have been checked (its time window,
    /// revocation and scope are checked when it asks for a key: `crate::guard::grant`), the raw
    /// token, and where it came from.
    Token(Box<Claims>, String, TokenSource),
    /// No credentials.
    Anonymous,
}

impl Principal {
    /// An access key principal with no signature material: what the checker and tests stand in
    /// for a verified request by `access_key_id` (the gateway itself builds principals only from
    /// verified signatures and policies).
    pub fn access_key_named(access_key_id: &str, kind: verified::AuthKind) -> Principal {
        Principal::AccessKey(Box::new(verified::Verified {
            access_key_id: access_key_id.into(),
            kind,
            expires_at: None,
            payload: verify::Payload::Unsigned,
            signed_headers: Vec::new(),
            amz_date: String::new(),
            scope: String::new(),
            signature: String::new(),
            signing_key: [0; 32],
        }))
    }

    /// A share token's claims (its limits), for token principals.
    pub fn claims(&self) -> Option<&Claims> {
        match self {
            Principal::Token(c, _, _) => Some(c),
            _ => None,
        }
    }

    /// What the signature check found about the payload, for the gateway's access keys.
    pub fn payload(&self) -> Option<&verify::Payload> {
        match self {
            Principal::AccessKey(v) => Some(&v.payload),
            _ => None,
        }
    }

    /// A short label for logs and events (never a secret).
    pub fn label(&self) -> String {
        match self {
            Principal::AccessKey(v) => format!("key:{}", v.access_key_id),
            Principal::Token(c, _, _) => format!("token:{}", crate::auth::token::claims::to_hex(&c.jti)),
            Principal::Anonymous => "anonymous".into(),
        }
    }
}

/// The `Path` of the cookie a share link sets: the token's objects only (`/<bucket>/<prefix>` or
/// `/<bucket>/<key>`), never `/api`, `/s3` or the rest of the origin.
pub fn cookie_path(bucket: &str, scope: &crate::auth::token::Scope) -> String {
    format!("/{}/{}", crate::encoding::uri_encode(bucket, false), crate::encoding::uri_encode(scope.value(), true))
}

/// Where a share token came from. The cookie is ambient (a browser attaches it by itself to
/// requests a page makes, including forms another site posts), so it may only read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// In the path: `/s/<token>` share links, `/t/<token>/s3/...` for Uppy.
    Path,
    /// `?token=`
    Query,
    /// `Authorization: Bearer`
    Bearer,
    /// The `bagroom_token` cookie a share link sets.
    Cookie,
}

/// Where a share token was found, if any.
pub fn find_token(req: &RequestParts) -> Option<(String, TokenSource)> {
    if let Some(t) = req.query_param("token").filter(|t| !t.is_empty()) {
        return Some((t, TokenSource::Query));
    }
    if let Some(a) = req.headers.get("authorization") {
        if let Some(t) = a.strip_prefix("Bearer ").or_else(|| a.strip_prefix("bearer ")) {
            let t = t.trim();
            if !t.is_empty() {
                return Some((t.to_string(), TokenSource::Bearer));
            }
        }
    }
    for cookie in req.headers.get_all("cookie") {
        for part in cookie.split(';') {
            if let Some((k, v)) = part.trim().split_once('=') {
                if k == TOKEN_COOKIE && !v.is_empty() {
                    return Some((v.to_string(), TokenSource::Cookie));
                }
            }
        }
    }
    None
}

/// Does the request carry an AWS signature (SigV4 or SigV2, header or query)? A request that
/// does is an S3 request whatever its path: the worker answers it, never the demo page's static
/// files (`GET /` signed is ListBuckets). Share tokens are not AWS signatures: `/?token=` opens
/// the demo page.
pub fn carries_aws_signature(req: &RequestParts) -> bool {
    let header = req.headers.get_all("authorization").any(|a| {
        let scheme = a.trim_start().split(|c: char| c.is_ascii_whitespace()).next().unwrap_or("");
        scheme == "AWS" || scheme.starts_with("AWS4-")
    });
    header
        || req
            .query_pairs()
            .iter()
            .any(|(k, _)| matches!(k.as_str(), "X-Amz-Signature" | "X-Amz-Algorithm" | "X-Amz-Credential" | "AWSAccessKeyId" | "Signature"))
}

/// Secrets and lists parsed from the config (once per isolate: see `worker::loaded`).
pub struct Keys {
    pub token_keys: TokenKeys,
    pub revoked: Vec<Vec<u8>>,
}

impl Keys {
    pub fn from_config(cfg: &Config) -> Result<Keys, S3Error> {
        let token_keys = TokenKeys::parse(&cfg.token_keys).map_err(|e| S3Error::config(format!("setting BAGROOM_TOKEN_KEYS: {e}")))?;
        let revoked = crate::auth::token::parse_revoked(&cfg.revoked_tokens.join(","))
            .map_err(|e| S3Error::config(format!("setting BAGROOM_REVOKED_TOKENS: {e}")))?;
        Ok(Keys { token_keys, revoked })
    }
}

/// Authenticate a request: an AWS signature if one is present (and then it must verify),
/// else a share token (explicit `token` wins over the path's for share links), else anonymous.
pub fn authenticate(
    req: &RequestParts,
    cfg: &Config,
    keys: &Keys,
    path_token: Option<&str>,
    virtual_bucket: Option<&str>,
    now: u64,
) -> Result<Principal, S3Error> {
    if path_token.is_none() {
        let opts = VerifyOptions {
            region: &cfg.region,
            service: "s3",
            now,
            allow_sigv2: cfg.allow_sigv2,
            max_skew_secs: 900,
            uri_mode: UriMode::S3,
            virtual_host_bucket: virtual_bucket,
        };
        match verify(req, &cfg.access_keys, &opts) {
            Ok(Some(v)) => return Ok(Principal::AccessKey(Box::new(v))),
            Ok(None) => {}
            Err(e) if e.code == "SignatureDoesNotMatch" && signs_accept_encoding(req) => {
                return verify_with_original_accept_encoding(req, cfg, &opts).ok_or(e);
            }
            Err(e) => return Err(e),
        }
    }
    let token = match path_token {
        Some(t) => Some((t.to_string(), TokenSource::Path)),
        None => find_token(req),
    };
    match token {
        Some((t, source)) => {
            let claims = crate::auth::token::verify_signature(&t, &keys.token_keys)?;
            Ok(Principal::Token(Box::new(claims), t, source))
        }
        None => Ok(Principal::Anonymous),
    }
}

/// Values clients send (and some sign) in `Accept-Encoding`.
const ACCEPT_ENCODINGS: &[&str] =
    &["gzip", "identity", "gzip, deflate", "gzip,deflate", "br", "gzip, deflate, br", "deflate, gzip", "*", ""];

/// Does the request's SigV4 signature cover `accept-encoding` (rclone signs it)?
fn signs_accept_encoding(req: &RequestParts) -> bool {
    let listed = |v: &str| v.split(';').any(|h| h.trim().eq_ignore_ascii_case("accept-encoding"));
    let in_header = req
        .headers
        .get("authorization")
        .and_then(|a| crate::text::split(a, "SignedHeaders=").nth(1))
        .map(|rest| listed(rest.split(',').next().unwrap_or("")))
        .unwrap_or(false);
    in_header || req.query_param("X-Amz-SignedHeaders").is_some_and(|v| listed(&v))
}

/// The edge (Cloudflare's, and workerd locally) rewrites `Accept-Encoding` before the worker
/// sees it, so a signature over the client's own value cannot match the received one. The header
/// carries no authority, so try the values clients send; the signature must still match one.
fn verify_with_original_accept_encoding(req: &RequestParts, cfg: &Config, opts: &VerifyOptions) -> Option<Principal> {
    let mut r = req.clone();
    for candidate in ACCEPT_ENCODINGS {
        r.headers.insert("accept-encoding", *candidate);
        if let Ok(Some(v)) = verify(&r, &cfg.access_keys, opts) {
            return Some(Principal::AccessKey(Box::new(v)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Headers;

    #[test]
    fn the_share_cookie_path_covers_the_tokens_objects_only() {
        use crate::auth::token::Scope;
        assert_eq!(cookie_path("demo", &Scope::Prefix("photos/".into())), "/demo/photos/");
        assert_eq!(cookie_path("demo", &Scope::Exact("a b;c.txt".into())), "/demo/a%20b%3Bc.txt");
    }

    #[test]
    fn token_sources_in_order() {
        let q = RequestParts::from_target(
            "GET",
            "/b/k?token=Q",
            Headers::from_pairs([("authorization", "Bearer B"), ("cookie", "a=1; bagroom_token=C")]),
        );
        assert_eq!(find_token(&q), Some(("Q".into(), TokenSource::Query)));
        let b =
            RequestParts::from_target("GET", "/b/k", Headers::from_pairs([("authorization", "Bearer B"), ("cookie", "bagroom_token=C")]));
        assert_eq!(find_token(&b), Some(("B".into(), TokenSource::Bearer)));
        let c = RequestParts::from_target("GET", "/b/k", Headers::from_pairs([("cookie", "x=y; bagroom_token=C")]));
        assert_eq!(find_token(&c), Some(("C".into(), TokenSource::Cookie)));
        let none = RequestParts::from_target("GET", "/b/k", Headers::from_pairs([("authorization", "AWS4-HMAC-SHA256 x")]));
        assert_eq!(find_token(&none), None);
    }

    #[test]
    fn aws_signatures_are_told_from_share_tokens() {
        let r = |target: &str, auth: Option<&str>| {
            let h = Headers::from_pairs(auth.map(|a| ("authorization", a)));
            carries_aws_signature(&RequestParts::from_target("GET", target, h))
        };
        assert!(r("/", Some("AWS4-HMAC-SHA256 Credential=AK/20261108/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")));
        assert!(r("/", Some("AWS AK:sig")));
        assert!(r("/", Some("AWS4-ECDSA-P256-SHA256 x")));
        assert!(r("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x", None));
        assert!(r("/?X-Amz-Signature=x", None));
        assert!(r("/?AWSAccessKeyId=AK&Expires=1&Signature=x", None));
        assert!(r("/index.html?Signature=x", None));
        assert!(!r("/", None));
        assert!(!r("/?token=abc", None));
        assert!(!r("/", Some("Bearer abc")));
        assert!(!r("/_bagroom/app.js?v=1", None));
    }

    #[test]
    fn a_signed_accept_encoding_rewritten_by_the_edge_still_verifies() {
        let cfg = Config::from_pairs(&[
            ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
            ("STORE_BUCKET", "b"),
            ("STORE_ACCESS_KEY_ID", "AK"),
            ("STORE_SECRET_ACCESS_KEY", "SK"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123"),
            ("BAGROOM_ACCESS_KEYS", "GW:gwsecret"),
        ])
        .unwrap();
        let keys = Keys::from_config(&cfg).unwrap();
        let now = 1_795_000_000;
        // sign host, x-amz-date, x-amz-content-sha256 AND accept-encoding, as rclone does
        let sign = |ae: &str| {
            use crate::sigv4::{canonical_headers, canonical_request, scope, signature, signing_key, string_to_sign};
            let amz = crate::time::amz_date(now);
            let mut h = Headers::from_pairs([
                ("host", "gw:8787"),
                ("accept-encoding", ae),
                ("x-amz-date", amz.as_str()),
                ("x-amz-content-sha256", crate::sigv4::EMPTY_SHA256),
            ]);
            let names = ["accept-encoding", "host", "x-amz-content-sha256", "x-amz-date"];
            let ch = canonical_headers(&h, &names).unwrap();
            let creq = canonical_request("GET", "/b/k", "", &ch, &names.join(";"), crate::sigv4::EMPTY_SHA256);
            let sc = scope(&crate::time::short_date(now), "us-east-1", "s3");
            let sig =
                signature(&signing_key("gwsecret", &crate::time::short_date(now), "us-east-1", "s3"), &string_to_sign(&amz, &sc, &creq));
            h.insert("authorization", format!("AWS4-HMAC-SHA256 Credential=GW/{sc}, SignedHeaders={}, Signature={sig}", names.join(";")));
            h
        };
        // rclone signed "gzip"; the edge delivered "br, gzip"
        let mut h = sign("gzip");
        h.insert("accept-encoding", "br, gzip");
        let req = RequestParts::from_target("GET", "/b/k", h);
        assert!(matches!(authenticate(&req, &cfg, &keys, None, None, now), Ok(Principal::AccessKey(_))));
        // without the retry this request would fail: the received value is not the signed one
        let mut h = sign("gzip");
        h.insert("accept-encoding", "br, gzip");
        let opts = VerifyOptions {
            region: "us-east-1",
            service: "s3",
            now,
            allow_sigv2: true,
            max_skew_secs: 900,
            uri_mode: UriMode::S3,
            virtual_host_bucket: None,
        };
        assert_eq!(
            verify(&RequestParts::from_target("GET", "/b/k", h.clone()), &cfg.access_keys, &opts).unwrap_err().code,
            "SignatureDoesNotMatch"
        );
        // a tampered request still fails
        h.insert("x-amz-date", crate::time::amz_date(now + 1));
        let req = RequestParts::from_target("GET", "/b/k", h);
        assert!(authenticate(&req, &cfg, &keys, None, None, now).is_err());
        // an unusual value outside the list is not guessed
        let mut h = sign("compress");
        h.insert("accept-encoding", "br, gzip");
        let e = authenticate(&RequestParts::from_target("GET", "/b/k", h), &cfg, &keys, None, None, now).unwrap_err();
        assert_eq!(e.code, "SignatureDoesNotMatch");
    }
}
