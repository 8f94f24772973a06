//! Base64 (RFC 4648): the standard alphabet with padding (Content-MD5, checksums, SigV2
//! signatures, POST policies) and the URL-safe alphabet without it (share tokens).
//!
//! Decoding is strict, as the `base64` crate's `STANDARD` and `URL_SAFE_NO_PAD` engines are (the
//! tests below check every input against them): no whitespace, no characters outside the
//! alphabet, canonical padding (standard: required, to a multiple of 4; URL-safe: none), and the
//! unused bits of the last character zero, so every byte string has exactly one encoding. A
//! signature or digest compared after decoding therefore cannot be spelled two ways.
//!
//! Hand-written rather than the crate because the crate's generic engines cost the edge bundle
//! about 6 KB (BENCHMARKS.md, "Bundle size").

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode_with(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize]);
            } else if pad {
                out.push(b'=');
            }
        }
    }
    // every byte pushed is ASCII
    String::from_utf8(out).unwrap_or_default()
}

fn value(c: u8, url_safe: bool) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' if !url_safe => 62,
        b'/' if !url_safe => 63,
        b'-' if url_safe => 62,
        b'_' if url_safe => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

fn decode_with(s: &[u8], url_safe: bool, padded: bool) -> Option<Vec<u8>> {
    let body = if padded {
        if !s.len().is_multiple_of(4) {
            return None;
        }
        let pads = s.iter().rev().take(2).take_while(|&&c| c == b'=').count();
        &s[..s.len() - pads]
    } else {
        s
    };
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    for chunk in body.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c, url_safe)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = chunk.len() - 1;
        // the bits of the last character that no byte uses must be zero (canonical)
        if keep < 3 && bytes[keep] != 0 {
            return None;
        }
        out.extend_from_slice(&bytes[..keep]);
    }
    Some(out)
}

/// Standard alphabet, padded.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    encode_with(bytes.as_ref(), STANDARD, true)
}

/// Standard alphabet, padding required; `None` for anything but a canonical encoding.
pub fn decode(s: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    decode_with(s.as_ref(), false, true)
}

/// URL-safe alphabet, unpadded.
pub fn encode_url(bytes: impl AsRef<[u8]>) -> String {
    encode_with(bytes.as_ref(), URL_SAFE, false)
}

/// URL-safe alphabet, no padding allowed; `None` for anything but a canonical encoding.
pub fn decode_url(s: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    decode_with(s.as_ref(), true, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::base64::engine::general_purpose::{STANDARD as CRATE_STD, URL_SAFE_NO_PAD as CRATE_URL};
    use ::base64::Engine as _;
    use proptest::prelude::*;

    #[test]
    fn rfc4648_vectors() {
        let v =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")];
        for (plain, enc) in v {
            assert_eq!(encode(plain), enc);
            assert_eq!(decode(enc).as_deref(), Some(plain.as_bytes()));
            assert_eq!(encode_url(plain), enc.trim_end_matches('='));
            assert_eq!(decode_url(enc.trim_end_matches('=')).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(encode([0xfb, 0xff]), "+/8=");
        assert_eq!(encode_url([0xfb, 0xff]), "-_8");
    }

    #[test]
    fn refuses_what_is_not_canonical() {
        for bad in ["Zg", "Zg=", "Zh==", "Zm9=", "Zg==Zg==", "Z===", "Zm9v\n", " Zm9v", "Zm-v", "Zm_v", "Zm9vY", "=Zg=", "Zg=a"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        for bad in ["Zg==", "Zh", "Zm9", "Zm9vY", "Zm+v", "Zm/v", "Zm9v ", "Zm9v="] {
            assert_eq!(decode_url(bad), None, "{bad}");
        }
    }

    /// Any input the crate's strict engines accept, this accepts with the same bytes; any they
    /// refuse, this refuses.
    fn same_as_crate(s: &str) {
        assert_eq!(decode(s), CRATE_STD.decode(s).ok(), "standard: {s}");
        assert_eq!(decode_url(s), CRATE_URL.decode(s).ok(), "url-safe: {s}");
    }

    #[test]
    fn every_short_input_decodes_as_the_crate_does() {
        let alphabet = b"AZaz09+/-_=Qgh ";
        let mut s = Vec::new();
        fn walk(s: &mut Vec<u8>, alphabet: &[u8], left: usize) {
            same_as_crate(std::str::from_utf8(s).unwrap());
            if left == 0 {
                return;
            }
            for &c in alphabet {
                s.push(c);
                walk(s, alphabet, left - 1);
                s.pop();
            }
        }
        walk(&mut s, alphabet, 5);
    }

    proptest! {
        #[test]
        fn encodes_as_the_crate_and_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            prop_assert_eq!(encode(&bytes), CRATE_STD.encode(&bytes));
            prop_assert_eq!(encode_url(&bytes), CRATE_URL.encode(&bytes));
            prop_assert_eq!(decode(encode(&bytes)), Some(bytes.clone()));
            prop_assert_eq!(decode_url(encode_url(&bytes)), Some(bytes));
        }

        #[test]
        fn decodes_as_the_crate(s in "[A-Za-z0-9+/_=-]{0,24}") {
            same_as_crate(&s);
        }
    }
}
