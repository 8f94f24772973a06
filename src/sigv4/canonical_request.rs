//! Task 1 of SigV4: the canonical request.
//!
//! ```text
//! CanonicalRequest = HTTPRequestMethod + "\n" +
//!                    CanonicalURI + "\n" +
//!                    CanonicalQueryString + "\n" +
//!                    CanonicalHeaders + "\n" +     (each entry ends with "\n" itself)
//!                    SignedHeaders + "\n" +
//!                    HexEncode(Hash(RequestPayload))  (or UNSIGNED-PAYLOAD / STREAMING-*)
//! ```
//!
//! S3 differs from every other service in one step: the canonical URI. S3 takes the
//! path as sent, decodes it and URI-encodes each segment exactly once, with no
//! normalisation (`//`, `.` and `..` are part of object keys). Other services encode the
//! already-encoded path a second time after removing dot segments and empty segments.

use crate::encoding::{percent_decode_bytes, uri_encode, uri_encode_bytes};
use crate::http::Headers;

/// How the canonical URI is formed from the raw request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UriMode {
    /// S3: percent-decode, then URI-encode each `/`-separated segment once (keeping
    /// `A-Za-z0-9-_.~`); no dot-segment removal, no `//` collapsing.
    #[default]
    S3,
    /// Every other service: remove `.`/`..` segments, collapse empty segments, then
    /// URI-encode the (still encoded) path again, so `%3A` becomes `%253A`.
    Normalize,
}

/// CanonicalURI: the URI-encoded absolute path (`/` for an empty path).
pub fn canonical_uri(raw_path: &str, mode: UriMode) -> String {
    if raw_path.is_empty() {
        return "/".to_string();
    }
    match mode {
        UriMode::S3 => {
            let mut out = String::with_capacity(raw_path.len() + 8);
            for (i, seg) in raw_path.split('/').enumerate() {
                if i > 0 {
                    out.push('/');
                }
                out.push_str(&uri_encode_bytes(&percent_decode_bytes(seg), false));
            }
            out
        }
        UriMode::Normalize => {
            let mut stack: Vec<&str> = Vec::new();
            let segs: Vec<&str> = raw_path.split('/').collect();
            for seg in &segs {
                match *seg {
                    "" | "." => {}
                    ".." => {
                        stack.pop();
                    }
                    s => stack.push(s),
                }
            }
            let trailing = matches!(segs.last(), Some(&"") | Some(&".") | Some(&".."));
            let mut path = String::with_capacity(raw_path.len() + 1);
            for s in &stack {
                path.push('/');
                path.push_str(s);
            }
            if path.is_empty() || trailing {
                path.push('/');
            }
            uri_encode(&path, true)
        }
    }
}

/// CanonicalQueryString: every parameter but those named in `skip` (e.g.
/// `X-Amz-Signature`), name and value URI-encoded (`A-Za-z0-9-_.~` kept, space as
/// `%20`, `+` as `%2B`), sorted by encoded name then encoded value, joined with `&`.
/// A parameter without a value becomes `name=`. `pairs` are the decoded parameters.
pub fn canonical_query(pairs: &[(String, String)], skip: &[&str]) -> String {
    let mut enc: Vec<(String, String)> =
        pairs.iter().filter(|(k, _)| !skip.iter().any(|s| s == k)).map(|(k, v)| (uri_encode(k, false), uri_encode(v, false))).collect();
    crate::sort::sort(&mut enc);
    let mut out = String::with_capacity(enc.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (i, (k, v)) in enc.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Trim a header value and collapse each run of whitespace inside it to one space.
fn push_trimmed(out: &mut String, v: &str) {
    let mut first = true;
    for word in v.split_ascii_whitespace() {
        if !first {
            out.push(' ');
        }
        out.push_str(word);
        first = false;
    }
}

/// CanonicalHeaders: for each name in `signed`, in the given order,
/// `lowercase(name) + ":" + value + "\n"`, where value is every value the request carries
/// for that header, each trimmed with inner whitespace runs collapsed to one space,
/// joined with `,` in arrival order. `None` when a signed header is absent from the
/// request (including `host`, which must come from the `Host` header).
pub fn canonical_headers(headers: &Headers, signed: &[&str]) -> Option<String> {
    let mut out = String::with_capacity(64 * signed.len());
    for name in signed {
        let mut any = false;
        for name_char in name.chars() {
            out.push(name_char.to_ascii_lowercase());
        }
        out.push(':');
        for v in headers.get_all(name) {
            if any {
                out.push(',');
            }
            push_trimmed(&mut out, v);
            any = true;
        }
        if !any {
            return None;
        }
        out.push('\n');
    }
    Some(out)
}

/// The canonical request: method, canonical URI, canonical query string, canonical
/// headers (each ending in `\n`), a blank line, signed headers (`a;b;c`), payload hash.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let mut s = String::with_capacity(
        method.len()
            + canonical_uri.len()
            + canonical_query.len()
            + canonical_headers.len()
            + signed_headers.len()
            + payload_hash.len()
            + 5,
    );
    s.push_str(method);
    s.push('\n');
    s.push_str(canonical_uri);
    s.push('\n');
    s.push_str(canonical_query);
    s.push('\n');
    s.push_str(canonical_headers);
    s.push('\n');
    s.push_str(signed_headers);
    s.push('\n');
    s.push_str(payload_hash);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_modes() {
        assert_eq!(canonical_uri("", UriMode::S3), "/");
        assert_eq!(canonical_uri("/bkt/a%20b+c/%7e//./../x", UriMode::S3), "/bkt/a%20b%2Bc/~//./../x");
        assert_eq!(canonical_uri("/bkt/a%2Fb", UriMode::S3), "/bkt/a%2Fb");
        assert_eq!(canonical_uri("/test$file.text", UriMode::S3), "/test%24file.text");
        assert_eq!(canonical_uri("//example//", UriMode::Normalize), "/example/");
        assert_eq!(canonical_uri("/example1/example2/../..", UriMode::Normalize), "/");
        assert_eq!(canonical_uri("/./example", UriMode::Normalize), "/example");
        assert_eq!(canonical_uri("/a%3Ab", UriMode::Normalize), "/a%253Ab");
    }

    #[test]
    fn query_and_headers() {
        let q = vec![
            ("b".to_string(), "2 +".to_string()),
            ("uploads".into(), "".into()),
            ("a".into(), "z".into()),
            ("a".into(), "y".into()),
            ("X-Amz-Signature".into(), "s".into()),
        ];
        assert_eq!(canonical_query(&q, &["X-Amz-Signature"]), "a=y&a=z&b=2%20%2B&uploads=");
        let h = Headers::from_pairs([("Host", "h"), ("X-A", "  a   b \t c "), ("x-a", "d")]);
        assert_eq!(canonical_headers(&h, &["host", "x-a"]).as_deref(), Some("host:h\nx-a:a b c,d\n"));
        assert_eq!(canonical_headers(&h, &["host", "x-b"]), None);
        assert_eq!(canonical_request("GET", "/", "", "host:h\n", "host", "UNSIGNED-PAYLOAD"), "GET\n/\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD");
    }
}
