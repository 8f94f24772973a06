//! Download decisions: how to answer a GET or HEAD from a cached copy, which headers a client
//! sees, and the `response-*` overrides a signed URL may ask for.

use crate::cache::policy::{client_headers, CACHE_STATUS_HEADER};
use crate::http::conditional::{decide, not_modified_headers, range_allowed, Outcome, Validators};
use crate::http::range::{content_range, parse_range, resolve, RangeAnswer};
use crate::http::Headers;
use crate::s3::error::S3Error;
use crate::time::parse_http_date;

/// How to answer a request from the cached full object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HitPlan {
    /// 304 with these headers.
    NotModified(Headers),
    /// 200 with the whole cached body and these headers.
    Full(Headers),
    /// 206: ask the cache for `range` (a normalised `bytes=a-b`) and answer with these headers.
    Partial { range: String, headers: Headers },
    /// 412 or 416.
    Error(S3Error),
}

/// A store answered a ranged request with 206, but does the client's `If-Range` hold for the
/// object it describes (`store`: the 206's headers)? Some stores ignore `If-Range`; when it does
/// not hold, the client must get the whole object instead (the caller asks again, without Range).
pub fn if_range_fails(client: &Headers, store: &Headers) -> bool {
    if client.get("if-range").is_none() || client.get("range").is_none() {
        return false;
    }
    let lm = store.get("last-modified").and_then(parse_http_date);
    !range_allowed(client, &Validators { etag: store.get("etag"), last_modified: lm })
}

/// Decide how to answer `method` with `client` request headers from a cached copy whose
/// stored headers are `cached`. Conditions first (304/412), then `If-Range` (RFC 9110
/// §13.1.5: when it does not hold, `Range` is ignored and the whole object answered), then
/// `Range`.
pub fn plan_hit(method: &str, client: &Headers, cached: &Headers) -> HitPlan {
    let mut h = client_headers(cached);
    let lm = h.get("last-modified").and_then(parse_http_date);
    let etag = h.get("etag").map(str::to_string);
    let v = Validators { etag: etag.as_deref(), last_modified: lm };
    let d = decide(method, client, &v);
    match d.outcome {
        Outcome::NotModified => return HitPlan::NotModified(not_modified_headers(&h)),
        Outcome::PreconditionFailed => return HitPlan::Error(S3Error::precondition_failed(Some(d.condition.unwrap_or("If-Match")))),
        Outcome::Proceed => {}
    }
    h.insert("accept-ranges", "bytes");
    let total = h.get("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let (Some(range_header), Some(total)) = (client.get("range"), total) else {
        return HitPlan::Full(h);
    };
    if !range_allowed(client, &v) {
        return HitPlan::Full(h);
    }
    match resolve(&parse_range(range_header), total) {
        RangeAnswer::Full => HitPlan::Full(h),
        a @ RangeAnswer::Partial { start, end, .. } => {
            if let Some(cr) = content_range(&a) {
                h.insert("content-range", cr);
            }
            h.insert("content-length", (end - start + 1).to_string());
            HitPlan::Partial { range: format!("bytes={start}-{end}"), headers: h }
        }
        RangeAnswer::Unsatisfiable { total } => HitPlan::Error(S3Error::invalid_range(total, Some(range_header))),
    }
}

/// `response-*` query parameters and the header each one sets.
const OVERRIDES: &[(&str, &str)] = &[
    ("response-content-type", "content-type"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-language", "content-language"),
    ("response-content-encoding", "content-encoding"),
    ("response-cache-control", "cache-control"),
    ("response-expires", "expires"),
];

/// The header overrides asked for in the query (S3 honours them only on signed requests;
/// the caller passes an empty list otherwise). Names are matched exactly, as S3 does:
/// `Response-Content-Type` is not an override (and is ignored).
pub fn overrides(query: &[(String, String)]) -> Vec<(&'static str, String)> {
    query.iter().filter_map(|(k, v)| OVERRIDES.iter().find(|(q, _)| *q == k.as_str()).map(|(_, h)| (*h, v.clone()))).collect()
}

/// Final touches on a download's headers: overrides, the cache status, and `no-transform` so
/// that the edge never recompresses the body (which would drop Content-Length and break ranges).
/// [`finish_download_headers`] with `no_transform` true.
pub fn finish_headers(h: &mut Headers, overrides: &[(&'static str, String)], cache_status: &str) {
    for (name, value) in overrides {
        h.insert(name, value.clone());
    }
    finish(h, cache_status, true)
}

/// What a download answers, for [`finish_download_headers`]: the request's method and the
/// client's own `Accept-Encoding` ([`crate::http::RequestParts::accept_encoding`]), and the
/// status of the answer.
pub struct Answer<'a> {
    pub method: &'a str,
    pub status: u16,
    pub accept_encoding: Option<&'a str>,
}

/// Final touches on a download's headers: overrides and the cache status, and `no-transform`
/// appended to the Cache-Control only where [`edge_may_transform`] says so (decided on the
/// headers after the overrides). Elsewhere the object's Cache-Control is left exactly as stored.
pub fn finish_download_headers(h: &mut Headers, overrides: &[(&'static str, String)], cache_status: &str, answer: &Answer) {
    for (name, value) in overrides {
        h.insert(name, value.clone());
    }
    keep_stored_bytes(h, answer.accept_encoding);
    let nt = edge_may_transform(answer.method, answer.status, h, answer.accept_encoding);
    finish(h, cache_status, nt)
}

/// The stored bytes, not a decoding of them: for a client whose `Accept-Encoding` (present and
/// not empty, as Python's `identity`) does not accept the object's `gzip` or `br` coding, the
/// edge decodes the body on its way out (transparent decompression), so a boto3 or aws-cli
/// download of a `.json.gz` stored with `Content-Encoding: gzip` would get other bytes than S3
/// gives, fail its checksum, lose its length, and break on a range. Such an answer goes without
/// the `Content-Encoding` header (the edge then leaves the body alone); the stored value is in
/// `x-bagroom-content-encoding`.
fn keep_stored_bytes(h: &mut Headers, accept_encoding: Option<&str>) {
    let Some(ce) = h.get("content-encoding").map(|c| c.trim().to_ascii_lowercase()) else { return };
    if !(ce == "gzip" || ce == "br") {
        return;
    }
    // the answer's headers depend on the client's Accept-Encoding: say so to caches downstream
    match h.get("vary").map(str::to_string) {
        Some(v) if crate::text::contains(&v.to_ascii_lowercase(), "accept-encoding") => {}
        Some(v) => h.insert("vary", format!("{v}, Accept-Encoding")),
        None => h.insert("vary", "Accept-Encoding"),
    }
    if accept_encoding.is_some_and(|ae| !ae.trim().is_empty() && !accepts_coding(ae, &ce)) {
        h.remove("content-encoding");
        h.insert("x-bagroom-content-encoding", ce);
    }
}

/// Does an `Accept-Encoding` accept `coding` (named, or `*`, with a q-value above 0)?
fn accepts_coding(accept_encoding: &str, coding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';');
        let c = parts.next().unwrap_or("").trim();
        (c.eq_ignore_ascii_case(coding) || c == "*") && !parts.any(|p| q_zero(p.trim()))
    })
}

fn q_zero(param: &str) -> bool {
    param.get(..2).is_some_and(|k| k.eq_ignore_ascii_case("q=")) && q_not_above_zero(param[2..].trim())
}

fn finish(h: &mut Headers, cache_status: &str, no_transform: bool) {
    let cc = h.get("cache-control").map(str::to_string);
    match cc {
        _ if !no_transform => {}
        Some(cc) if !crate::text::contains(&cc.to_ascii_lowercase(), "no-transform") => {
            h.insert("cache-control", format!("{cc}, no-transform"))
        }
        Some(_) => {}
        None => h.insert("cache-control", "no-transform"),
    }
    h.insert(CACHE_STATUS_HEADER, cache_status);
}

/// Could the edge re-encode this answer's body? The worker sends bodies as they are
/// (`encodeBody: "manual"`), but Cloudflare's network, outside the worker, still compresses a
/// 200 whose client accepts gzip / br / zstd (dropping Content-Length and weakening the ETag),
/// and decompresses a Content-Encoded body for a client that does not accept its coding; the
/// one per-response opt-out it honours is `Cache-Control: no-transform`. So it is added only
/// there: a GET or HEAD (HEAD carries the headers its GET would) answered 200, with a
/// Content-Encoding, or for a client whose `Accept-Encoding` accepts a coding other than
/// `identity`. A 206, a 304, and S3 SDKs (which send no Accept-Encoding, or `identity`) get
/// the object's Cache-Control exactly. `accept_encoding` is the client's own (the edge rewrites
/// the header the worker sees to `br, gzip`).
pub fn edge_may_transform(method: &str, status: u16, response: &Headers, accept_encoding: Option<&str>) -> bool {
    if !(method == "GET" || method == "HEAD") || status != 200 {
        return false;
    }
    let encoded = response
        .get_all("content-encoding")
        .flat_map(|v| v.split(','))
        .any(|c| EDGE_CODINGS.iter().any(|k| c.trim().eq_ignore_ascii_case(k)));
    encoded || accept_encoding.is_some_and(accepts_compression)
}

/// The registered compression codings: the ones the edge might undo on an answer's way out
/// (gzip and br for certain, see [`keep_stored_bytes`]; the rest counted to be safe). A body
/// labelled with any other (`aws-chunked`, an arbitrary `response-content-encoding`) is opaque
/// to it: such an answer keeps its Cache-Control exactly, as S3 gives it.
const EDGE_CODINGS: &[&str] = &["gzip", "x-gzip", "br", "deflate", "zstd", "compress"];

/// Is a q-value a decimal number at most 0 (`0`, `0.000`, `-1`, `+0.`)? Decimal text only (no
/// exponent, `inf` or `NaN`): no float parsing in the bundle.
fn q_not_above_zero(q: &str) -> bool {
    let (negative, digits) = match q.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, q.strip_prefix('+').unwrap_or(q)),
    };
    let (mut any_digit, mut nonzero, mut dots) = (false, false, 0);
    for b in digits.bytes() {
        match b {
            b'0' => any_digit = true,
            b'1'..=b'9' => (any_digit, nonzero) = (true, true),
            b'.' => dots += 1,
            _ => return false,
        }
    }
    any_digit && dots <= 1 && (negative || !nonzero)
}

/// Does an `Accept-Encoding` accept any coding but `identity` (a `q=0` one refuses it)?
fn accepts_compression(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| q_zero(p.trim()));
        !coding.is_empty() && !coding.eq_ignore_ascii_case("identity") && !refused
    })
}

/// A HEAD with a `Range` that the store answered with a plain 200 (SeaweedFS ignores Range on
/// HEAD; S3 honours it): the status S3 would give, with `Content-Range` and `Content-Length`
/// fixed up in `h` (the passthrough headers). A range past the end is S3's 416 `InvalidRange`.
/// Anything else (no range, other status, unknown length, an `If-Range` that does not
/// hold for `h`'s ETag / Last-Modified) keeps `status`.
pub fn head_range(client: &Headers, status: u16, h: &mut Headers) -> Result<u16, S3Error> {
    let (200, Some(range_header)) = (status, client.get("range")) else { return Ok(status) };
    if h.get("content-range").is_some() {
        return Ok(status);
    }
    let lm = h.get("last-modified").and_then(parse_http_date);
    if !range_allowed(client, &Validators { etag: h.get("etag"), last_modified: lm }) {
        return Ok(status);
    }
    let Some(total) = h.get("content-length").and_then(|v| v.trim().parse::<u64>().ok()) else { return Ok(status) };
    match resolve(&parse_range(range_header), total) {
        RangeAnswer::Full => Ok(200),
        a @ RangeAnswer::Partial { start, end, .. } => {
            if let Some(cr) = content_range(&a) {
                h.insert("content-range", cr);
            }
            h.insert("content-length", (end - start + 1).to_string());
            Ok(206)
        }
        RangeAnswer::Unsatisfiable { total } => Err(S3Error::invalid_range(total, Some(range_header))),
    }
}

/// The `partNumber` a query names (one part of a multipart object), if any: every one given must
/// be an integer from 1 to 10,000 (S3's words for anything else); the first counts.
pub fn part_number(query: &[(String, String)]) -> Result<Option<u32>, S3Error> {
    let mut first = None;
    for (_, v) in query.iter().filter(|(k, _)| k == "partNumber") {
        match v.parse::<u32>() {
            Ok(n @ 1..=10_000) if v.bytes().all(|b| b.is_ascii_digit()) => first = first.or(Some(n)),
            _ => {
                return Err(S3Error::invalid_argument("Part number must be an integer between 1 and 10000, inclusive")
                    .with("ArgumentName", "partNumber")
                    .with("ArgumentValue", v))
            }
        }
    }
    Ok(first)
}

/// `bytes a-b/total` → total.
pub fn total_from_content_range(v: &str) -> Option<u64> {
    v.trim().strip_prefix("bytes ")?.rsplit_once('/')?.1.trim().parse().ok()
}

#[cfg(test)]
mod if_range_miss_tests {
    use super::*;

    #[test]
    fn a_store_that_ignores_if_range_is_asked_again() {
        let store = Headers::from_pairs([
            ("etag", "\"e1\""),
            ("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ("content-range", "bytes 0-0/10"),
        ]);
        let ask = |ir: &str| if_range_fails(&Headers::from_pairs([("range", "bytes=0-0"), ("if-range", ir)]), &store);
        assert!(ask("\"e2\""));
        assert!(ask("Sun, 06 Nov 1994 08:49:36 GMT"));
        assert!(!ask("\"e1\""));
        assert!(!ask("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert!(!if_range_fails(&Headers::from_pairs([("range", "bytes=0-0")]), &store));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_values_at_most_zero_as_f32_parsing_said() {
        for q in [
            "0", "0.", "0.0", "0.000", "+0", "-0", "-1", "-0.5", ".0", "00.00", "1", "0.001", "1.0", "0.5", "", ".", "-", "x", "0.0.0",
            "0x0",
        ] {
            assert_eq!(q_not_above_zero(q), q.parse::<f32>().is_ok_and(|v| v <= 0.0), "{q:?}");
        }
    }
    use crate::cache::policy::cached_headers;

    fn cached() -> Headers {
        cached_headers(
            &Headers::from_pairs([
                ("content-type", "text/plain"),
                ("content-length", "10"),
                ("etag", "\"abc\""),
                ("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ]),
            60,
        )
    }

    #[test]
    fn full_hit_keeps_metadata() {
        match plan_hit("GET", &Headers::new(), &cached()) {
            HitPlan::Full(h) => {
                assert_eq!(h.get("etag"), Some("\"abc\""));
                assert_eq!(h.get("content-length"), Some("10"));
                assert_eq!(h.get("accept-ranges"), Some("bytes"));
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn range_hits() {
        let r = |v: &str| plan_hit("GET", &Headers::from_pairs([("range", v)]), &cached());
        match r("bytes=2-4") {
            HitPlan::Partial { range, headers } => {
                assert_eq!(range, "bytes=2-4");
                assert_eq!(headers.get("content-range"), Some("bytes 2-4/10"));
                assert_eq!(headers.get("content-length"), Some("3"));
            }
            o => panic!("{o:?}"),
        }
        match r("bytes=-3") {
            HitPlan::Partial { range, .. } => assert_eq!(range, "bytes=7-9"),
            o => panic!("{o:?}"),
        }
        match r("bytes=5-") {
            HitPlan::Partial { range, .. } => assert_eq!(range, "bytes=5-9"),
            o => panic!("{o:?}"),
        }
        assert!(matches!(r("bytes=0-1,3-4"), HitPlan::Full(_)));
        match r("bytes=10-") {
            HitPlan::Error(e) => assert_eq!((e.status, e.code.as_str()), (416, "InvalidRange")),
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn conditional_hits() {
        let c = |k: &str, v: &str| plan_hit("GET", &Headers::from_pairs([(k, v)]), &cached());
        assert!(matches!(c("if-none-match", "\"abc\""), HitPlan::NotModified(_)));
        assert!(matches!(c("if-none-match", "\"zzz\""), HitPlan::Full(_)));
        match c("if-match", "\"zzz\"") {
            HitPlan::Error(e) => assert_eq!(e.status, 412),
            o => panic!("{o:?}"),
        }
        assert!(matches!(c("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT"), HitPlan::NotModified(_)));
        match c("if-unmodified-since", "Sat, 05 Nov 1994 08:49:37 GMT") {
            HitPlan::Error(e) => assert_eq!(e.status, 412),
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn overrides_and_finish() {
        let q = vec![("response-content-disposition".to_string(), "attachment".to_string()), ("x".to_string(), "y".to_string())];
        let o = overrides(&q);
        assert_eq!(o, vec![("content-disposition", "attachment".to_string())]);
        let mut h = Headers::from_pairs([("cache-control", "max-age=5")]);
        finish_headers(&mut h, &o, "HIT");
        assert_eq!(h.get("cache-control"), Some("max-age=5, no-transform"));
        assert_eq!(h.get("content-disposition"), Some("attachment"));
        assert_eq!(h.get("x-bagroom-cache"), Some("HIT"));
    }

    #[test]
    fn cache_control_exact_unless_the_edge_may_transform() {
        let plain = Headers::from_pairs([("cache-control", "max-age=5"), ("content-type", "text/plain")]);
        // S3 SDKs: no Accept-Encoding, or identity
        for client in [None, Some("identity"), Some("gzip;q=0, identity"), Some("")] {
            assert!(!edge_may_transform("GET", 200, &plain, client), "{client:?}");
        }
        for v in ["gzip, deflate, br", "br", "*", "zstd;q=0.5"] {
            assert!(edge_may_transform("GET", 200, &plain, Some(v)), "{v}");
            assert!(edge_may_transform("HEAD", 200, &plain, Some(v)), "{v}");
            // never on a range, a 304, or a write
            assert!(!edge_may_transform("GET", 206, &plain, Some(v)));
            assert!(!edge_may_transform("GET", 304, &plain, Some(v)));
            assert!(!edge_may_transform("PUT", 200, &plain, Some(v)));
        }
        // an encoded object: the edge may decode it for a client that does not accept it
        let gz = Headers::from_pairs([("content-encoding", "gzip")]);
        assert!(edge_may_transform("GET", 200, &gz, None));
        assert!(!edge_may_transform("GET", 200, &Headers::from_pairs([("content-encoding", "identity")]), None));
        assert!(edge_may_transform("GET", 200, &Headers::from_pairs([("content-encoding", "aws-chunked, BR")]), None));
        // a coding the edge does not know is opaque to it (s3-tests' response-content-encoding=aaa)
        for ce in ["aaa", "aws-chunked", "x-custom, identity"] {
            assert!(!edge_may_transform("GET", 200, &Headers::from_pairs([("content-encoding", ce)]), Some("identity")), "{ce}");
        }
        // the worker sees the edge's `br, gzip`; the client's own is what counts
        let p = crate::http::RequestParts {
            client_accept_encoding: Some(String::new()),
            ..crate::http::RequestParts::new("GET", "/b/k", "", Headers::from_pairs([("accept-encoding", "br, gzip")]))
        };
        assert!(!edge_may_transform("GET", 200, &plain, p.accept_encoding()));
        let p = crate::http::RequestParts { client_accept_encoding: None, ..p };
        assert!(edge_may_transform("GET", 200, &plain, p.accept_encoding()));

        let (sdk, browser) = (None, Some("gzip, br"));
        let get = |status, accept_encoding| Answer { method: "GET", status, accept_encoding };
        let mut h = plain.clone();
        finish_download_headers(&mut h, &[], "MISS", &get(200, sdk));
        assert_eq!((h.get("cache-control"), h.get("x-bagroom-cache")), (Some("max-age=5"), Some("MISS")));
        let mut h = Headers::new();
        finish_download_headers(&mut h, &[], "MISS", &get(200, sdk));
        assert_eq!(h.get("cache-control"), None);
        let mut h = plain.clone();
        finish_download_headers(&mut h, &[("cache-control", "no-cache".into())], "MISS", &get(200, sdk));
        assert_eq!(h.get("cache-control"), Some("no-cache"));
        // decided after the overrides: a response-content-encoding makes the body an encoded one
        let mut h = plain.clone();
        finish_download_headers(&mut h, &[("content-encoding", "gzip".into())], "MISS", &get(200, sdk));
        assert_eq!(h.get("cache-control"), Some("max-age=5, no-transform"));
        // every override of a signed URL, as S3 answers it
        let mut h = plain.clone();
        let all = [("cache-control", "no-cache".into()), ("content-encoding", "aaa".into()), ("content-type", "foo/bar".into())];
        finish_download_headers(&mut h, &all, "MISS", &get(200, sdk));
        assert_eq!((h.get("cache-control"), h.get("content-encoding")), (Some("no-cache"), Some("aaa")));
        let mut h = plain.clone();
        finish_download_headers(&mut h, &[], "HIT", &get(200, browser));
        assert_eq!(h.get("cache-control"), Some("max-age=5, no-transform"));
        let mut h = plain;
        finish_download_headers(&mut h, &[], "HIT", &get(206, browser));
        assert_eq!(h.get("cache-control"), Some("max-age=5"));
    }

    #[test]
    fn an_encoded_object_reaches_a_client_that_does_not_accept_its_coding_as_stored() {
        let get = |status, accept_encoding| Answer { method: "GET", status, accept_encoding };
        let stored = || Headers::from_pairs([("content-encoding", "gzip"), ("content-length", "66"), ("content-type", "application/json")]);
        // Python clients send `identity`: without the header the edge does not decode the body
        for ae in ["identity", "deflate", "br", "gzip;q=0", "*;q=0", "identity, br;q=0.5"] {
            for status in [200, 206] {
                let mut h = stored();
                finish_download_headers(&mut h, &[], "MISS", &get(status, Some(ae)));
                assert_eq!(h.get("content-encoding"), None, "{ae} {status}");
                assert_eq!(h.get("x-bagroom-content-encoding"), Some("gzip"), "{ae}");
                assert_eq!(h.get("content-length"), Some("66"));
                assert_eq!(h.get("vary"), Some("Accept-Encoding"));
            }
        }
        // a client that takes gzip, or sends no Accept-Encoding (curl, Node): as stored
        for ae in [Some("gzip"), Some("gzip, br"), Some("GZIP;q=0.5"), Some("*"), Some(""), None] {
            let mut h = stored();
            finish_download_headers(&mut h, &[], "MISS", &get(200, ae));
            assert_eq!((h.get("content-encoding"), h.get("x-bagroom-content-encoding")), (Some("gzip"), None), "{ae:?}");
            assert_eq!(h.get("vary"), Some("Accept-Encoding"), "{ae:?}");
        }
        let mut h = stored();
        h.insert("vary", "Origin");
        finish_download_headers(&mut h, &[], "MISS", &get(200, Some("identity")));
        assert_eq!(h.get("vary"), Some("Origin, Accept-Encoding"));
        // only the codings the edge decodes
        let mut h = Headers::from_pairs([("content-encoding", "aws-chunked, x")]);
        finish_download_headers(&mut h, &[], "MISS", &get(200, Some("identity")));
        assert_eq!(h.get("content-encoding"), Some("aws-chunked, x"));
        let mut h = Headers::from_pairs([("content-encoding", "br")]);
        finish_download_headers(&mut h, &[], "MISS", &get(200, Some("gzip")));
        assert_eq!((h.get("content-encoding"), h.get("x-bagroom-content-encoding")), (None, Some("br")));
    }

    #[test]
    fn head_range_from_a_store_that_ignores_it() {
        let store = || Headers::from_pairs([("content-length", "10"), ("etag", "\"abc\"")]);
        let ask = |range: Option<&str>, status: u16, h: &mut Headers| {
            let client = match range {
                Some(r) => Headers::from_pairs([("range", r)]),
                None => Headers::new(),
            };
            head_range(&client, status, h)
        };
        let mut h = store();
        assert_eq!(ask(Some("bytes=2-4"), 200, &mut h), Ok(206));
        assert_eq!(h.get("content-range"), Some("bytes 2-4/10"));
        assert_eq!(h.get("content-length"), Some("3"));
        let mut h = store();
        assert_eq!(ask(Some("bytes=-3"), 200, &mut h), Ok(206));
        assert_eq!(h.get("content-range"), Some("bytes 7-9/10"));
        let mut h = store();
        assert_eq!(ask(Some("bytes=0-1,4-5"), 200, &mut h), Ok(200));
        assert_eq!(h.get("content-length"), Some("10"));
        assert_eq!(h.get("content-range"), None);
        let mut h = store();
        match ask(Some("bytes=10-"), 200, &mut h) {
            Err(e) => assert_eq!((e.status, e.code.as_str()), (416, "InvalidRange")),
            o => panic!("{o:?}"),
        }
        // no range, a store that already answered 206, or no length: unchanged
        let mut h = store();
        assert_eq!(ask(None, 200, &mut h), Ok(200));
        let mut h = Headers::from_pairs([("content-length", "3"), ("content-range", "bytes 2-4/10")]);
        assert_eq!(ask(Some("bytes=2-4"), 206, &mut h), Ok(206));
        assert_eq!(h.get("content-length"), Some("3"));
        let mut h = Headers::new();
        assert_eq!(ask(Some("bytes=2-4"), 200, &mut h), Ok(200));
    }

    #[test]
    fn head_range_honours_if_range() {
        let store =
            || Headers::from_pairs([("content-length", "10"), ("etag", "\"abc\""), ("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        let ask = |if_range: &str| {
            let mut h = store();
            let s = head_range(&Headers::from_pairs([("range", "bytes=2-4"), ("if-range", if_range)]), 200, &mut h);
            (s, h.get("content-range").map(str::to_string))
        };
        assert_eq!(ask("\"abc\""), (Ok(206), Some("bytes 2-4/10".into())));
        assert_eq!(ask("Sun, 06 Nov 1994 08:49:37 GMT"), (Ok(206), Some("bytes 2-4/10".into())));
        assert_eq!(ask("\"old\""), (Ok(200), None));
        assert_eq!(ask("Sat, 05 Nov 1994 08:49:37 GMT"), (Ok(200), None));
    }

    #[test]
    fn content_range_total() {
        assert_eq!(total_from_content_range("bytes 0-9/100"), Some(100));
        assert_eq!(total_from_content_range("bytes */100"), Some(100));
        assert_eq!(total_from_content_range("bytes 0-9/*"), None);
    }
}
