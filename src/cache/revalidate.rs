//! `revalidate` mode: a cache hit is served only after the store confirmed it. The shell sends
//! the conditional request [`request`] describes (`If-None-Match: <cached ETag>`, never a body)
//! and does what [`after`] says with the store's answer: serve the copy (304), use the store's
//! answer or ask again (the object changed or went: the entry is dropped), serve the copy stale
//! (the store failed, within `BAGROOM_CACHE_STALE_IF_ERROR`) or answer the error.

use super::policy::{CacheConfig, STORED_AT_HEADER};
use crate::http::conditional::has_conditions;
use crate::http::Headers;
use crate::time::parse_http_date;

/// The client headers a revalidation that is not [`Revalidation::exact`] leaves out: the
/// client's own conditions and range (they are answered from the cached headers once the copy
/// is confirmed).
pub const LEFT_OUT: &[&str] = &["range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range"];

/// The conditional request that confirms a cached copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revalidation {
    /// `GET` or `HEAD`.
    pub method: &'static str,
    /// The cached copy's ETag, sent as `If-None-Match`.
    pub if_none_match: String,
    /// The request is the client's own (its method, range and headers) plus `If-None-Match`:
    /// the client sent no conditions, so any answer but a 304 is exactly what a miss would have
    /// fetched, and is the client's answer (one round trip when the object changed). Otherwise
    /// it is a `HEAD` without the client's conditions and range ([`LEFT_OUT`]): no body comes
    /// back, and a changed object is fetched again with the client's headers.
    pub exact: bool,
}

/// How to confirm a cached copy whose stored headers are `cached`, for a client `method` (GET
/// or HEAD) with `client` headers; `None` when the copy has no ETag to ask about (the shell
/// then treats the hit as a miss).
pub fn request(method: &str, client: &Headers, cached: &Headers) -> Option<Revalidation> {
    let etag = cached.get("etag").map(str::trim).filter(|e| !e.is_empty())?;
    let exact = !has_conditions(client) && client.get("if-range").is_none();
    let method = if method == "HEAD" || !exact { "HEAD" } else { "GET" };
    Some(Revalidation { method, if_none_match: etag.to_string(), exact })
}

/// What the store said to a [`Revalidation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreAnswer<'a> {
    /// A status and the answer's headers.
    Status(u16, &'a Headers),
    /// No answer: unreachable, or not within `BAGROOM_STORE_TIMEOUT_MS`.
    Failed,
}

/// What to do after a revalidation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// The store confirmed the copy (304): serve it, `REVALIDATED`.
    Serve,
    /// The store failed and the copy is within `BAGROOM_CACHE_STALE_IF_ERROR`: serve it, `STALE`.
    Stale,
    /// The store failed and no stale copy may be served: answer the store's error (502/504).
    /// The entry is kept: a failing store says nothing about the object.
    Fail,
    /// The object changed or went: drop the entry; the store's answer (an [`Revalidation::exact`]
    /// request) is the client's, handled as a miss (a 200 fills the cache again, a 404 is
    /// `NoSuchKey`).
    UseAnswer,
    /// The object changed or went: drop the entry and ask the store again, as a miss.
    AskAgain,
}

/// Decide what the store's answer to `rv` means for the copy with stored headers `cached`;
/// `stale_ok` is [`stale_allowed`]'s verdict. A 304 confirms the copy only when it does not
/// contradict it: a different `Last-Modified` or `x-amz-version-id` (an object rewritten with the
/// same bytes, e.g. a copy onto itself with new metadata, keeps its ETag) or ETag is a change.
pub fn after(rv: &Revalidation, answer: StoreAnswer, cached: &Headers, stale_ok: bool) -> After {
    let failed = || if stale_ok { After::Stale } else { After::Fail };
    match answer {
        StoreAnswer::Failed => failed(),
        StoreAnswer::Status(s, _) if s >= 500 => failed(),
        StoreAnswer::Status(304, h) if confirms(cached, h) => After::Serve,
        // a 304 to our own condition is never the client's answer
        StoreAnswer::Status(304, _) => After::AskAgain,
        StoreAnswer::Status(_, _) if rv.exact => After::UseAnswer,
        StoreAnswer::Status(_, _) => After::AskAgain,
    }
}

/// Does a 304 (headers `answer`) describe the cached copy? Each validator both carry must
/// match (a store may leave validators out of a 304).
fn confirms(cached: &Headers, answer: &Headers) -> bool {
    let same = |name: &str, eq: &dyn Fn(&str, &str) -> bool| match (cached.get(name), answer.get(name)) {
        (Some(c), Some(a)) => eq(c.trim(), a.trim()),
        _ => true,
    };
    let etag = |a: &str, b: &str| crate::text::trim_start_matches(a, "W/") == crate::text::trim_start_matches(b, "W/");
    let date = |a: &str, b: &str| match (parse_http_date(a), parse_http_date(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    };
    same("etag", &etag) && same("last-modified", &date) && same("x-amz-version-id", &|a, b| a == b)
}

/// May a copy the store cannot confirm be served? Only with `BAGROOM_CACHE_STALE_IF_ERROR` set,
/// and only a copy fetched from the store at most that many seconds before `now` (its
/// [`STORED_AT_HEADER`]; a copy without one is never served stale).
pub fn stale_allowed(cfg: &CacheConfig, cached: &Headers, now: u64) -> bool {
    if cfg.stale_if_error == 0 {
        return false;
    }
    let Some(at) = cached.get(STORED_AT_HEADER).and_then(|v| v.trim().parse::<u64>().ok()) else { return false };
    at <= now.saturating_add(60) && now.saturating_sub(at) <= cfg.stale_if_error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::policy::entry_headers;

    fn h(pairs: &[(&str, &str)]) -> Headers {
        Headers::from_pairs(pairs.iter().map(|(k, v)| (*k, v.to_string())))
    }

    const LM: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

    fn cached() -> Headers {
        entry_headers(&h(&[("content-length", "10"), ("etag", "\"e1\""), ("last-modified", LM), ("x-amz-version-id", "v1")]), 3600, 1_000)
    }

    #[test]
    fn a_plain_get_or_head_is_revalidated_as_itself_plus_if_none_match() {
        let c = cached();
        assert_eq!(request("GET", &h(&[]), &c), Some(Revalidation { method: "GET", if_none_match: "\"e1\"".into(), exact: true }));
        assert_eq!(request("HEAD", &h(&[]), &c), Some(Revalidation { method: "HEAD", if_none_match: "\"e1\"".into(), exact: true }));
        // a range is the client's own request too: a changed object's 206 is its answer
        assert_eq!(
            request("GET", &h(&[("range", "bytes=0-3")]), &c).unwrap(),
            Revalidation { method: "GET", if_none_match: "\"e1\"".into(), exact: true }
        );
    }

    #[test]
    fn a_conditional_request_is_revalidated_by_a_head_without_its_conditions() {
        let c = cached();
        for cond in ["if-none-match", "if-match", "if-modified-since", "if-unmodified-since", "if-range"] {
            let r = request("GET", &h(&[(cond, "\"e1\""), ("range", "bytes=0-1")]), &c).unwrap();
            assert_eq!((r.method, r.exact), ("HEAD", false), "{cond}");
            assert!(LEFT_OUT.contains(&cond));
        }
        assert!(LEFT_OUT.contains(&"range"));
    }

    #[test]
    fn a_copy_without_an_etag_cannot_be_revalidated() {
        assert_eq!(request("GET", &h(&[]), &h(&[("content-length", "1")])), None);
        assert_eq!(request("GET", &h(&[]), &h(&[("etag", " ")])), None);
    }

    #[test]
    fn what_each_store_answer_means() {
        let c = cached();
        let exact = request("GET", &h(&[]), &c).unwrap();
        let cond = request("GET", &h(&[("if-none-match", "\"e1\"")]), &c).unwrap();
        let none = h(&[]);
        let same = h(&[("etag", "\"e1\""), ("last-modified", LM), ("x-amz-version-id", "v1")]);
        for rv in [&exact, &cond] {
            // 304: the copy is current
            assert_eq!(after(rv, StoreAnswer::Status(304, &none), &c, false), After::Serve);
            assert_eq!(after(rv, StoreAnswer::Status(304, &same), &c, false), After::Serve);
            // the store is down or failing: stale only when allowed, else the error
            for a in [StoreAnswer::Failed, StoreAnswer::Status(500, &none), StoreAnswer::Status(503, &none)] {
                assert_eq!(after(rv, a, &c, false), After::Fail);
                assert_eq!(after(rv, a, &c, true), After::Stale);
            }
            // a 304 that contradicts the copy: the object was rewritten with the same bytes
            for changed in [
                h(&[("etag", "\"e1\""), ("last-modified", "Mon, 07 Nov 1994 08:49:37 GMT")]),
                h(&[("etag", "\"e2\"")]),
                h(&[("x-amz-version-id", "v2")]),
            ] {
                assert_eq!(after(rv, StoreAnswer::Status(304, &changed), &c, true), After::AskAgain, "{changed:?}");
            }
        }
        // changed (200/206), gone (404), refused (403): the exact request's answer is the client's
        for s in [200, 206, 404, 403, 416] {
            assert_eq!(after(&exact, StoreAnswer::Status(s, &none), &c, true), After::UseAnswer, "{s}");
            assert_eq!(after(&cond, StoreAnswer::Status(s, &none), &c, true), After::AskAgain, "{s}");
        }
        // validators the copy lacks say nothing
        let unversioned = entry_headers(&h(&[("etag", "\"e1\"")]), 60, 1_000);
        assert_eq!(after(&exact, StoreAnswer::Status(304, &h(&[("x-amz-version-id", "null")])), &unversioned, false), After::Serve);
        // a weak ETag in the 304 names the same copy
        assert_eq!(after(&exact, StoreAnswer::Status(304, &h(&[("etag", "W/\"e1\"")])), &c, false), After::Serve);
    }

    #[test]
    fn stale_if_error_is_bounded_by_the_copys_age_and_off_by_default() {
        let c = cached(); // fetched at t=1000
        let off = CacheConfig::default();
        assert!(!stale_allowed(&off, &c, 1_001));
        let on = CacheConfig { stale_if_error: 60, ..CacheConfig::default() };
        assert!(stale_allowed(&on, &c, 1_000));
        assert!(stale_allowed(&on, &c, 1_060));
        assert!(!stale_allowed(&on, &c, 1_061));
        // a copy from the future (clock skew beyond a minute) or without a stamp is never stale-served
        assert!(!stale_allowed(&on, &c, 900));
        assert!(!stale_allowed(&on, &h(&[("etag", "\"e1\"")]), 1_000));
        assert!(!stale_allowed(&on, &h(&[(STORED_AT_HEADER, "x")]), 1_000));
    }
}
