//! Content safety: a strict Content-Type parser, the one list of *active* media types
//! (types a browser may execute, or render as a document that runs script or loads
//! sub-resources), and the headers every object response gets ([`apply`]).
//!
//! Token content-type limits use [`is_active`] (a wildcard pattern never covers an
//! active type); the shell calls [`apply`] on every object response.
//!
//! Pure: no `worker` types.

use crate::http::Headers;

/// Longest Content-Type value accepted (a real one is well under 100 bytes; multipart
/// boundaries are at most 70).
pub const MAX_CONTENT_TYPE_LEN: usize = 256;

/// A parsed media type (RFC 9110 §8.3.1): `type "/" subtype *( OWS ";" OWS [ parameter ] )`.
/// `essence` is `type/subtype`, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    pub essence: String,
    /// Parameters in order: (lower-cased name, value with quoting removed).
    pub params: Vec<(String, String)>,
}

impl MediaType {
    pub fn type_(&self) -> &str {
        self.essence.split_once('/').map_or("", |(t, _)| t)
    }
    pub fn subtype(&self) -> &str {
        self.essence.split_once('/').map_or("", |(_, s)| s)
    }
}

/// RFC 9110 `tchar`.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn token_len(s: &[u8]) -> usize {
    s.iter().take_while(|b| is_tchar(**b)).count()
}

fn skip_ows(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && (s[i] == b' ' || s[i] == b'\t') {
        i += 1;
    }
    i
}

/// A quoted-string starting at `s[i] == '"'`: (unescaped value, index after the closing quote).
/// ASCII only (no obs-text), no control characters but HTAB.
fn quoted_string(s: &[u8], i: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut j = i + 1;
    while j < s.len() {
        match s[j] {
            b'"' => return Some((out, j + 1)),
            b'\\' => {
                let c = *s.get(j + 1)?;
                if !(c == b'\t' || (0x20..0x7f).contains(&c)) {
                    return None;
                }
                out.push(c as char);
                j += 2;
            }
            c if c == b'\t' || (0x20..0x7f).contains(&c) => {
                out.push(c as char);
                j += 1;
            }
            _ => return None,
        }
    }
    None
}

/// Parse `; name=value` parameters from `s[i..]` (the part after a type or a disposition
/// token). Empty parameters (`;;`) are allowed, as RFC 9110 does.
pub(crate) fn parse_params(s: &[u8], mut i: usize) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    loop {
        i = skip_ows(s, i);
        if i == s.len() {
            return Some(params);
        }
        if s[i] != b';' {
            return None;
        }
        i = skip_ows(s, i + 1);
        if i == s.len() || s[i] == b';' {
            continue;
        }
        let n = token_len(&s[i..]);
        if n == 0 || s.get(i + n) != Some(&b'=') {
            return None;
        }
        let name = std::str::from_utf8(&s[i..i + n]).ok()?.to_ascii_lowercase();
        i += n + 1;
        let value = if s.get(i) == Some(&b'"') {
            let (v, next) = quoted_string(s, i)?;
            i = next;
            v
        } else {
            let m = token_len(&s[i..]);
            if m == 0 {
                return None;
            }
            let v = std::str::from_utf8(&s[i..i + m]).ok()?.to_string();
            i += m;
            v
        };
        params.push((name, value));
    }
}

/// Parse a concrete Content-Type strictly: token characters in type and subtype, token or
/// quoted-string parameter values, nothing else (no commas outside quotes, no control
/// characters, no non-ASCII, at most [`MAX_CONTENT_TYPE_LEN`] bytes). Surrounding
/// spaces/tabs are allowed. `None` if malformed.
pub fn parse_media_type(value: &str) -> Option<MediaType> {
    if value.len() > MAX_CONTENT_TYPE_LEN {
        return None;
    }
    let s = value.as_bytes();
    let i = skip_ows(s, 0);
    let t = token_len(&s[i..]);
    if t == 0 || s.get(i + t) != Some(&b'/') {
        return None;
    }
    let j = i + t + 1;
    let st = token_len(&s[j..]);
    if st == 0 {
        return None;
    }
    let essence = format!("{}/{}", &value[i..i + t], &value[j..j + st]).to_ascii_lowercase();
    let params = parse_params(s, j + st)?;
    Some(MediaType { essence, params })
}

/// Active media types, exactly (lower-case essences). Anything a browser may run as
/// script, render as a scriptable document, apply as a stylesheet, or treat as an
/// archive of documents:
/// - HTML and XML documents (XML can carry XHTML/SVG namespaces and XSLT):
///   `text/html`, `text/xml`, `application/xml`, `text/xsl`, `application/xml-dtd`,
///   `text/xml-external-parsed-entity`, `application/xml-external-parsed-entity`, and
///   any subtype ending in `+xml` (see [`is_active`]): `image/svg+xml`,
///   `application/xhtml+xml`, `application/xslt+xml`, `application/rss+xml`, ...;
/// - script: the JavaScript/ECMAScript types browsers accept as script, and
///   `application/wasm`;
/// - `text/css` (CSS can exfiltrate page content by selectors, and old browsers ran
///   expressions in it);
/// - `multipart/x-mixed-replace` (a stream of documents), MHTML archives
///   (`multipart/related`, `message/rfc822`, `application/x-mimearchive`), `text/x-component`
///   (IE HTC), `application/x-shockwave-flash`, `text/cache-manifest`.
///
/// Not active: `application/pdf` (every current browser renders it in an isolated viewer
/// whose scripting has no access to the serving origin), images other than SVG,
/// audio, video, `text/plain`, JSON, `application/octet-stream`.
pub const ACTIVE_TYPES: &[&str] = &[
    "text/html",
    "text/xml",
    "application/xml",
    "text/xsl",
    "application/xml-dtd",
    "text/xml-external-parsed-entity",
    "application/xml-external-parsed-entity",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "text/ecmascript",
    "application/x-javascript",
    "application/x-ecmascript",
    "text/x-javascript",
    "text/x-ecmascript",
    "text/jscript",
    "text/livescript",
    "text/javascript1.0",
    "text/javascript1.1",
    "text/javascript1.2",
    "text/javascript1.3",
    "text/javascript1.4",
    "text/javascript1.5",
    "application/wasm",
    "text/css",
    "multipart/x-mixed-replace",
    "multipart/related",
    "message/rfc822",
    "application/x-mimearchive",
    "text/x-component",
    "application/x-shockwave-flash",
    "text/cache-manifest",
];

/// Is this media type essence (`type/subtype`, any case) active? See [`ACTIVE_TYPES`];
/// also every `+xml` subtype.
pub fn is_active(essence: &str) -> bool {
    let e = essence.trim().to_ascii_lowercase();
    ACTIVE_TYPES.contains(&e.as_str()) || e.split_once('/').is_some_and(|(_, s)| s.ends_with("+xml"))
}

/// Is this Content-Type value active? A malformed value counts as active (a browser may
/// read it differently from us).
pub fn is_active_content_type(value: &str) -> bool {
    parse_media_type(value).is_none_or(|m| is_active(&m.essence))
}

/// `Content-Security-Policy` on every object response. `default-src 'none'` with no
/// `script-src` means no script runs (script-src falls back to default-src), `sandbox`
/// additionally gives the document an opaque origin (no cookies, storage, forms, popups,
/// plugins, top navigation) should it ever be rendered. `img-src 'self' data:` and
/// `media-src 'self'` let the browser's own image and video documents show the object
/// itself; `style-src 'unsafe-inline'` lets those synthetic documents apply their inline
/// layout styles (inline styles run no script).
pub const CSP_SANDBOX: &str = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox";

/// The policy for `application/pdf`: the same without `sandbox`, because Chromium refuses
/// to start its PDF viewer in a sandboxed document ("This page has been blocked"). The PDF
/// is still not a script context of the serving origin: the viewer runs the PDF's own
/// scripting (if any) isolated from the page, and `default-src 'none'` stops any
/// origin script.
pub const CSP_PDF: &str = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'";

/// The parsed Content-Type of a response: `None` if missing, repeated, or malformed.
fn response_type(h: &Headers) -> Option<MediaType> {
    let mut all = h.get_all("content-type");
    let first = all.next()?;
    if all.next().is_some() {
        return None;
    }
    parse_media_type(first)
}

/// Parse a Content-Disposition value: (lower-cased disposition type, parameters).
fn parse_disposition(value: &str) -> Option<(String, Vec<(String, String)>)> {
    if value.len() > 2048 {
        return None;
    }
    let s = value.as_bytes();
    let i = skip_ows(s, 0);
    let n = token_len(&s[i..]);
    if n == 0 {
        return None;
    }
    let params = parse_params(s, i + n)?;
    Some((value[i..i + n].to_ascii_lowercase(), params))
}

/// `attachment`, keeping the `filename` / `filename*` parameters of `existing` when it is a
/// well-formed disposition (re-serialised, so nothing else of it survives).
pub fn attachment_disposition(existing: Option<&str>) -> String {
    let mut out = String::from("attachment");
    let Some((_, params)) = existing.and_then(parse_disposition) else { return out };
    for (name, value) in params {
        match name.as_str() {
            "filename" => {
                out.push_str("; filename=\"");
                for c in value.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
            // an ext-value (`UTF-8''%e2%82%ac.txt`) is token characters only
            "filename*" if !value.is_empty() && value.bytes().all(is_tchar) => {
                out.push_str("; filename*=");
                out.push_str(&value);
            }
            _ => {}
        }
    }
    out
}

/// Make an object response safe to open in a browser. Call it on every object response
/// (GET and HEAD, 200 and 206, share links, cache hits and misses) with the FINAL headers,
/// after `response-*` overrides (`download::finish_headers`). Not on a 304: it carries no
/// Content-Type, and its headers update the client's stored response, so a forced
/// `attachment` there would turn a cached image into a download.
///
/// - `X-Content-Type-Options: nosniff`, always;
/// - `Content-Security-Policy`: [`CSP_SANDBOX`], or [`CSP_PDF`] for `application/pdf`,
///   always (on the content origin too);
/// - for an active type ([`is_active`]) or a missing, repeated or malformed Content-Type:
///   `Content-Disposition: attachment` (keeping the filename of an existing disposition,
///   see [`attachment_disposition`]), replacing `inline` or anything else that is not
///   already `attachment`. Not when `on_content_origin` (the request came in on the
///   separate origin named by `BAGROOM_CONTENT_ORIGIN`, where rendering such content
///   cannot reach the gateway's cookies or pages; the CSP still stops script there).
pub fn apply(h: &mut Headers, on_content_origin: bool) {
    let mt = response_type(h);
    h.insert("x-content-type-options", "nosniff");
    let pdf = mt.as_ref().is_some_and(|m| m.essence == "application/pdf");
    h.insert("content-security-policy", if pdf { CSP_PDF } else { CSP_SANDBOX });
    if on_content_origin {
        return;
    }
    let dangerous = mt.as_ref().is_none_or(|m| is_active(&m.essence));
    if !dangerous {
        return;
    }
    let dispositions: Vec<&str> = h.get_all("content-disposition").collect();
    let first = dispositions.first().map(|d| d.to_string());
    let single = dispositions.len() <= 1;
    let already = single && first.as_deref().and_then(parse_disposition).is_some_and(|(t, _)| t == "attachment");
    if !already {
        h.insert("content-disposition", attachment_disposition(first.as_deref()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Headers {
        Headers::from_pairs(pairs.iter().map(|(k, v)| (*k, v.to_string())))
    }

    fn applied(pairs: &[(&str, &str)], content_origin: bool) -> Headers {
        let mut x = h(pairs);
        apply(&mut x, content_origin);
        x
    }

    #[test]
    fn apply_sets_nosniff_and_csp_always() {
        for (pairs, origin) in
            [(&[("content-type", "image/png")][..], false), (&[][..], true), (&[("content-type", "text/html")][..], true)]
        {
            let x = applied(pairs, origin);
            assert_eq!(x.get("x-content-type-options"), Some("nosniff"));
            assert_eq!(x.get("content-security-policy"), Some(CSP_SANDBOX));
        }
        let pdf = applied(&[("content-type", "application/pdf")], false);
        assert_eq!(pdf.get("content-security-policy"), Some(CSP_PDF));
        assert_eq!(pdf.get("content-disposition"), None);
        assert!(!CSP_PDF.contains("script") && CSP_PDF.starts_with("default-src 'none'"));
    }

    #[test]
    fn apply_forces_attachment_for_active_types() {
        let x = applied(&[("content-type", "TEXT/HTML; charset=utf-8")], false);
        assert_eq!(x.get("content-disposition"), Some("attachment"));
        let x = applied(&[("content-type", "image/svg+xml"), ("content-disposition", "inline; filename=\"cat.svg\"")], false);
        assert_eq!(x.get("content-disposition"), Some("attachment; filename=\"cat.svg\""));
        let x = applied(
            &[
                ("content-type", "text/html"),
                ("content-disposition", "inline; filename=\"a\\\"b.html\"; filename*=UTF-8''%e2%82%ac.html; size=3"),
            ],
            false,
        );
        assert_eq!(x.get("content-disposition"), Some("attachment; filename=\"a\\\"b.html\"; filename*=UTF-8''%e2%82%ac.html"));
        // a malformed disposition loses its filename
        let x = applied(&[("content-type", "text/html"), ("content-disposition", "inline; filename=a b.html")], false);
        assert_eq!(x.get("content-disposition"), Some("attachment"));
        // an existing attachment is kept as is
        let x = applied(&[("content-type", "text/html"), ("content-disposition", "Attachment; filename=x.html")], false);
        assert_eq!(x.get("content-disposition"), Some("Attachment; filename=x.html"));
        // repeated dispositions: replaced by one
        let x = applied(&[("content-type", "text/html"), ("content-disposition", "attachment"), ("content-disposition", "inline")], false);
        assert_eq!(x.get_all("content-disposition").collect::<Vec<_>>(), vec!["attachment"]);
    }

    #[test]
    fn apply_treats_missing_or_odd_types_as_active() {
        for pairs in [
            &[][..],
            &[("content-type", "")][..],
            &[("content-type", "text/plain, text/html")][..],
            &[("content-type", "text/plain"), ("content-type", "text/html")][..],
        ] {
            assert_eq!(applied(pairs, false).get("content-disposition"), Some("attachment"), "{pairs:?}");
        }
        for ct in ["image/png", "video/mp4", "text/plain", "application/json"] {
            let x = applied(&[("content-type", ct), ("content-disposition", "inline")], false);
            assert_eq!(x.get("content-disposition"), Some("inline"), "{ct}");
        }
    }

    #[test]
    fn apply_on_the_content_origin_renders_inline() {
        let x = applied(&[("content-type", "text/html"), ("content-disposition", "inline")], true);
        assert_eq!(x.get("content-disposition"), Some("inline"));
        assert_eq!(x.get("content-security-policy"), Some(CSP_SANDBOX));
        assert_eq!(applied(&[], true).get("content-disposition"), None);
    }

    #[test]
    fn parses_media_types_strictly() {
        let m = parse_media_type(" Text/HTML ; Charset=\"utf-8\";; q=1 ").unwrap();
        assert_eq!(m.essence, "text/html");
        assert_eq!((m.type_(), m.subtype()), ("text", "html"));
        assert_eq!(m.params, vec![("charset".into(), "utf-8".into()), ("q".into(), "1".into())]);
        assert_eq!(parse_media_type("a/b;x=\"q\\\"u,o;te\"").unwrap().params, vec![("x".into(), "q\"u,o;te".into())]);
        for bad in [
            "",
            "text",
            "text/",
            "/html",
            "text/html,",
            "text/html, image/png",
            "text/html;x=,a/b",
            "text/html;x",
            "text/html;=y",
            "text/html x",
            "te xt/html",
            "text/ht\u{e9}ml",
            "text/html;x=\"\u{e9}\"",
            "text/html\n",
            "text/html;x=\"a",
            "text/html;x=a\"b\"",
            "text/html;x=\"\x01\"",
        ] {
            assert_eq!(parse_media_type(bad), None, "{bad:?}");
        }
        assert!(parse_media_type(&format!("a/b;x={}", "y".repeat(MAX_CONTENT_TYPE_LEN))).is_none());
    }

    #[test]
    fn active_types() {
        for a in [
            "text/html",
            "TEXT/HTML",
            "image/svg+xml",
            "application/xhtml+xml",
            "application/rss+xml",
            "text/xml",
            "application/xml",
            "text/javascript",
            "application/javascript",
            "application/ecmascript",
            "text/ecmascript",
            "application/x-javascript",
            "text/css",
            "multipart/x-mixed-replace",
            "text/xsl",
            "application/wasm",
        ] {
            assert!(is_active(a), "{a}");
        }
        for p in [
            "image/png",
            "image/gif",
            "video/mp4",
            "audio/mpeg",
            "text/plain",
            "application/json",
            "application/pdf",
            "application/octet-stream",
            "application/vnd.api+json",
        ] {
            assert!(!is_active(p), "{p}");
        }
        assert!(is_active_content_type("text/html; charset=utf-8"));
        assert!(is_active_content_type("image/png, text/html"), "malformed counts as active");
        assert!(is_active_content_type(""));
        assert!(!is_active_content_type("image/png; x=\"text/html\""));
    }
}
