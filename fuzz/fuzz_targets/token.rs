//! Fuzz bagroom share tokens: no input makes decode or verify panic, the body
//! parser accepts only canonical encodings, and whatever decodes re-mints to a
//! token that verifies to the same claims.
//!
//! The input is used twice: as a token string as is (base64 and framing paths),
//! and base64url-encoded as raw token bytes (so mutations reach the body parser).
#![no_main]

use bagroom::auth::token::{self, codec, Access, Method, TokenKeys};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let keys = TokenKeys::parse("k1:fuzz-secret-0123456789abcdef,k2:other-secret-0123456789").unwrap();
    let access = Access { method: Method::Get, bucket: "demo", key: "a/b", client_ip: Some("10.0.0.1"), now: 1_000 };
    let revoked = [vec![1u8, 2], vec![]];

    let s = String::from_utf8_lossy(data);
    let _ = token::decode_unverified(&s);
    let _ = token::verify(&s, &keys, &revoked, &access);

    let t = URL_SAFE_NO_PAD.encode(data);
    let _ = token::verify(&t, &keys, &revoked, &access);
    if let Ok(claims) = token::decode_unverified(&t) {
        // canonical: the body re-encodes to the same bytes
        let mut body = Vec::new();
        codec::encode_body(&claims, &mut body);
        let kid_end = 2 + data[1] as usize;
        assert_eq!(&body[..], &data[kid_end..data.len() - codec::TAG_LEN]);
        // and re-minting with a known key gives a token that verifies to the same claims
        let mut c = claims.clone();
        c.kid = "k1".into();
        let minted = token::mint(&c, &keys).expect("decoded claims are valid");
        assert_eq!(token::verify_signature(&minted, &keys).expect("own token verifies"), c);
        let _ = token::verify(&minted, &keys, &revoked, &access);
        let _ = token::check_upload(&c, Some("image/png"), Some(5));
        let _ = token::narrow(&c, &token::NarrowRequest { jti_suffix: vec![0; 8], ..Default::default() });
    }
});
