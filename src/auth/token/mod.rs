//! bagroom share tokens (v1): compact, URL-safe bearer tokens the gateway mints and
//! checks. The format is specified in `docs/token-format.md`.
//!
//! - [`claims`]: what a token says ([`Claims`], [`Methods`], [`Scope`]);
//! - [`ip`]: client-IP networks ([`IpNet`]);
//! - [`codec`]: the binary layout, base64url and the MAC;
//! - [`keys`]: several signing keys for rotation ([`TokenKeys`]);
//! - [`policy`]: what a token allows ([`Access`], [`check_valid`], [`check_upload`], [`narrow`]).
//!
//! Pure: no clock and no RNG. The caller passes `now` and the token id bytes.
//! Nothing here panics on any input.

pub mod claims;
pub mod codec;
pub mod ip;
pub mod keys;
pub mod policy;

use hmac::Mac;

pub use claims::{Claims, Method, Methods, Scope};
pub use ip::IpNet;
pub use keys::TokenKeys;
pub use policy::{check_upload, check_valid, is_revoked, narrow, parse_revoked, Access, NarrowRequest, NBF_SKEW_SECS};

use crate::S3Error;

/// Sign claims with the key `claims.kid` (set it to `keys.signing_kid()`).
/// 400 InvalidArgument if the kid is unknown or a field breaks a limit.
pub fn mint(claims: &Claims, keys: &TokenKeys) -> Result<String, S3Error> {
    codec::encode(claims, keys)
}

/// Decode a token WITHOUT checking its signature: for inspection and debugging
/// only, never to authorise anything.
pub fn decode_unverified(token: &str) -> Result<Claims, S3Error> {
    codec::split(token)?.claims()
}

/// The full check, in this order: framing, key id known, MAC (constant time),
/// expiry, not-before (60 s skew), revocation, bucket, method, scope, client IP.
/// Every failure is 403 AccessDenied whose message names the check:
/// "malformed token", "unknown token key id", "token signature does not match",
/// "token expired", "token not yet valid", "token revoked", "bucket not allowed by
/// token", "method not allowed by token", "key outside token scope", "client IP
/// not allowed by token". `revoked` holds token ids (see [`is_revoked`]).
pub fn verify(token: &str, keys: &TokenKeys, revoked: &[Vec<u8>], access: &Access) -> Result<Claims, S3Error> {
    let claims = verify_signature(token, keys)?;
    policy::check_access(&claims, revoked, access)?;
    Ok(claims)
}

/// Framing, key id and MAC only: the claims of an authentic token, whatever
/// they allow (expired tokens included). For `verify` and for tools.
pub fn verify_signature(token: &str, keys: &TokenKeys) -> Result<Claims, S3Error> {
    let frame = codec::split(token)?;
    let mut mac = keys.mac(frame.kid()).ok_or_else(|| S3Error::access_denied("unknown token key id"))?;
    mac.update(frame.signed());
    mac.verify_truncated_left(frame.tag()).map_err(|_| S3Error::access_denied("token signature does not match"))?;
    // only authenticated bytes are parsed
    frame.claims()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::parse("k2:second-secret-0123456789,k1:first-secret-0123456789").unwrap()
    }

    fn claims() -> Claims {
        let mut c = Claims::new("k1", 2_000, Methods::GET.union(Methods::HEAD), "demo", Scope::Exact("cat.jpg".into()));
        c.jti = vec![0xaa; 8];
        c
    }

    fn get(key: &str) -> Access<'_> {
        Access { method: Method::Get, bucket: "demo", key, client_ip: Some("203.0.113.9"), now: 1_000 }
    }

    #[test]
    fn mint_verify_round_trip_and_size() {
        let t = mint(&claims(), &keys()).unwrap();
        assert!(t.len() < 120, "{} chars: {t}", t.len());
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(verify(&t, &keys(), &[], &get("cat.jpg")).unwrap(), claims());
        assert_eq!(decode_unverified(&t).unwrap(), claims());
    }

    #[test]
    fn errors_name_the_check() {
        let t = mint(&claims(), &keys()).unwrap();
        let err = |t: &str, k: &TokenKeys, a: Access| verify(t, k, &[], &a).unwrap_err().message;
        assert_eq!(err("x", &keys(), get("cat.jpg")), "malformed token");
        let only2 = TokenKeys::parse("k2:second-secret-0123456789").unwrap();
        assert_eq!(err(&t, &only2, get("cat.jpg")), "unknown token key id");
        let wrong = TokenKeys::parse("k1:wrong-secret-0123456789").unwrap();
        assert_eq!(err(&t, &wrong, get("cat.jpg")), "token signature does not match");
        assert_eq!(err(&t, &keys(), Access { now: 2_000, ..get("cat.jpg") }), "token expired");
        assert_eq!(err(&t, &keys(), get("dog.jpg")), "key outside token scope");
        assert_eq!(verify(&t, &keys(), &[vec![0xaa]], &get("cat.jpg")).unwrap_err().message, "token revoked");
        // errors never carry secrets or MACs
        let e = verify(&t, &wrong, &[], &get("cat.jpg")).unwrap_err();
        assert!(e.extra.is_empty());
    }

    #[test]
    fn kid_is_authenticated() {
        // same secret under two kids: swapping the kid in the token breaks the MAC
        let k = TokenKeys::parse("aa:same-secret-0123456789,bb:same-secret-0123456789").unwrap();
        let mut c = claims();
        c.kid = "aa".into();
        let t = mint(&c, &k).unwrap();
        let mut raw = crate::encoding::base64::decode_url(&t).unwrap();
        raw[2] = b'b';
        raw[3] = b'b';
        let t2 = crate::encoding::base64::encode_url(raw);
        assert_eq!(verify(&t2, &k, &[], &get("cat.jpg")).unwrap_err().message, "token signature does not match");
    }

    #[test]
    fn mint_rejects_unknown_kid_and_bad_claims() {
        let mut c = claims();
        c.kid = "nope".into();
        assert_eq!(mint(&c, &keys()).unwrap_err().status, 400);
        let mut c = claims();
        c.content_types = vec!["bad".into()];
        assert_eq!(mint(&c, &keys()).unwrap_err().code, "InvalidArgument");
    }
}
