//! Substring search for the core's `&str` patterns: `find`, `contains`, `split_once`,
//! `rsplit_once`, `replace`, `split` and `trim_start_matches`, as `str`'s methods of those names
//! do them (the tests below check each against them).
//!
//! `str`'s own, given a `&str` pattern, use core's two-way searcher, about 6 KB of the edge bundle
//! (BENCHMARKS.md, "Bundle size"); the needles here are a few bytes long and the haystacks headers,
//! URLs, keys and small XML documents, so a scan for the needle's first byte with a compare at
//! each hit does as well. Every match starts on a char boundary: a needle's first byte is never
//! a UTF-8 continuation byte.

/// The byte offset of the first `needle` in `haystack`.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    find_from(haystack.as_bytes(), needle.as_bytes(), 0)
}

fn find_from(h: &[u8], n: &[u8], from: usize) -> Option<usize> {
    let Some(&first) = n.first() else { return Some(from.min(h.len())) };
    let mut i = from;
    while i + n.len() <= h.len() {
        let p = h.get(i..=h.len() - n.len())?.iter().position(|&b| b == first)?;
        i += p;
        if h.get(i..i + n.len()) == Some(n) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The byte offset of the last `needle` in `haystack`.
fn rfind(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len()).rev().find(|&i| h.get(i..i + n.len()) == Some(n))
}

pub fn contains(haystack: &str, needle: &str) -> bool {
    find(haystack, needle).is_some()
}

/// What comes before and after the first `needle`.
pub fn split_once<'a>(haystack: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let i = find(haystack, needle)?;
    Some((haystack.get(..i)?, haystack.get(i + needle.len()..)?))
}

/// What comes before and after the last `needle`.
pub fn rsplit_once<'a>(haystack: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let i = rfind(haystack, needle)?;
    Some((haystack.get(..i)?, haystack.get(i + needle.len()..)?))
}

/// `haystack` with every `from` (left to right, not overlapping) replaced by `to`.
pub fn replace(haystack: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        // as `str::replace`: `to` before every char and at the end
        let mut out = String::with_capacity(haystack.len() + to.len() * (haystack.len() + 1));
        for c in haystack.chars() {
            out.push_str(to);
            out.push(c);
        }
        out.push_str(to);
        return out;
    }
    let mut out = String::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some((before, after)) = split_once(rest, from) {
        out.push_str(before);
        out.push_str(to);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The pieces between the `needle`s (a non-empty needle).
pub fn split<'a>(haystack: &'a str, needle: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let mut rest = Some(haystack);
    std::iter::from_fn(move || {
        let r = rest?;
        // an empty needle gives the whole haystack back (no caller splits on one)
        match split_once(r, needle).filter(|_| !needle.is_empty()) {
            Some((piece, after)) => {
                rest = Some(after);
                Some(piece)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `haystack` without the `prefix`es it starts with, repeated.
pub fn trim_start_matches<'a>(haystack: &'a str, prefix: &str) -> &'a str {
    let mut s = haystack;
    if prefix.is_empty() {
        return s;
    }
    while let Some(rest) = s.strip_prefix(prefix) {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same(h: &str, n: &str) {
        assert_eq!(find(h, n), h.find(n), "find {h:?} {n:?}");
        assert_eq!(rfind(h, n), h.rfind(n), "rfind {h:?} {n:?}");
        assert_eq!(contains(h, n), h.contains(n));
        assert_eq!(split_once(h, n), h.split_once(n), "split_once {h:?} {n:?}");
        assert_eq!(rsplit_once(h, n), h.rsplit_once(n), "rsplit_once {h:?} {n:?}");
        assert_eq!(replace(h, n, "<>"), h.replace(n, "<>"), "replace {h:?} {n:?}");
        assert_eq!(trim_start_matches(h, n), h.trim_start_matches(n), "trim {h:?} {n:?}");
        if !n.is_empty() {
            assert_eq!(split(h, n).collect::<Vec<_>>(), h.split(n).collect::<Vec<_>>(), "split {h:?} {n:?}");
        }
    }

    #[test]
    fn as_str_does_on_the_gateways_needles() {
        for (h, n) in [
            ("https://host:9000/x", "://"),
            ("a://b://c", "://"),
            ("no scheme", "://"),
            ("", "://"),
            ("://", "://"),
            ("AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host;x-amz-date, Signature=f", "SignedHeaders="),
            ("a..b", ".."),
            ("...", ".."),
            ("a\r\nb\r\n\r\n", "\r\n"),
            ("W/W/\"e\"", "W/"),
            ("x]]>y]]>", "]]>"),
            ("é://ü", "://"),
            ("ééé", "é"),
            ("aaaa", "aa"),
            ("abc", ""),
            ("", ""),
        ] {
            same(h, n);
        }
    }

    proptest! {
        #[test]
        fn as_str_does(h in "[ab/:é.]{0,16}", n in "[ab/:é.]{0,3}") {
            same(&h, &n);
        }
    }
}
