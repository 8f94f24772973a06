//! `Range: bytes=...` as S3 answers it (RFC 9110 §14 with S3's choices).
//!
//! * `bytes=a-b`, `bytes=a-` and `bytes=-n` are honoured.
//! * Several ranges (`bytes=0-1,5-9`): S3 does not do multipart/byteranges; it answers the
//!   whole object with 200. We do the same ([`RangeRequest::Multi`]).
//! * Anything unparseable, or another unit: ignored (200 with the whole object), as
//!   RFC 9110 says a server may.
//! * `start >= size`, a suffix of 0, or any range on an empty object: 416 `InvalidRange`
//!   with `Content-Range: bytes */size`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// `bytes=a-b` (end inclusive) or `bytes=a-` (end `None`).
    Single { start: u64, end: Option<u64> },
    /// `bytes=-n`: the last `n` bytes.
    Suffix(u64),
    /// Several ranges: S3 answers the whole object (200).
    Multi,
    /// Unparseable or not `bytes`: ignored.
    Ignored,
}

/// Digits only (no sign, no whitespace); numbers beyond u64 saturate (they are
/// "very large", which is what they mean; a start that big is simply unsatisfiable).
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().unwrap_or(u64::MAX))
}

fn one(spec: &str) -> Option<RangeRequest> {
    let spec = spec.trim_matches(|c| c == ' ' || c == '\t');
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim_matches(|c| c == ' ' || c == '\t'), b.trim_matches(|c| c == ' ' || c == '\t'));
    if a.is_empty() {
        return Some(RangeRequest::Suffix(number(b)?));
    }
    let start = number(a)?;
    if b.is_empty() {
        return Some(RangeRequest::Single { start, end: None });
    }
    let end = number(b)?;
    if end < start {
        // RFC 9110: "invalid" (last < first) makes the whole header ignorable.
        return None;
    }
    Some(RangeRequest::Single { start, end: Some(end) })
}

/// Parse a `Range` header value.
pub fn parse_range(header: &str) -> RangeRequest {
    let h = header.trim_matches(|c| c == ' ' || c == '\t');
    let Some((unit, set)) = h.split_once('=') else { return RangeRequest::Ignored };
    if !unit.trim_matches(|c| c == ' ' || c == '\t').eq_ignore_ascii_case("bytes") {
        return RangeRequest::Ignored;
    }
    let mut found = None;
    let mut count = 0usize;
    // list syntax allows empty elements (`bytes=0-1,`)
    for part in set.split(',').filter(|p| !p.trim_matches(|c| c == ' ' || c == '\t').is_empty()) {
        match one(part) {
            Some(r) => {
                count += 1;
                found = Some(r);
            }
            None => return RangeRequest::Ignored,
        }
    }
    match (count, found) {
        (1, Some(r)) => r,
        (0, _) | (_, None) => RangeRequest::Ignored,
        _ => RangeRequest::Multi,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// 200 with the whole object.
    Full,
    /// 206 with bytes `start..=end` of `total`.
    Partial { start: u64, end: u64, total: u64 },
    /// 416 `InvalidRange`.
    Unsatisfiable { total: u64 },
}

impl RangeAnswer {
    /// HTTP status for this answer.
    pub fn status(&self) -> u16 {
        match self {
            RangeAnswer::Full => 200,
            RangeAnswer::Partial { .. } => 206,
            RangeAnswer::Unsatisfiable { .. } => 416,
        }
    }
    /// Body length of a 206 (`None` for the other answers).
    pub fn partial_len(&self) -> Option<u64> {
        match *self {
            RangeAnswer::Partial { start, end, .. } => Some(end - start + 1),
            _ => None,
        }
    }
}

/// Resolve a range against an object of `total` bytes.
pub fn resolve(r: &RangeRequest, total: u64) -> RangeAnswer {
    match *r {
        RangeRequest::Multi | RangeRequest::Ignored => RangeAnswer::Full,
        RangeRequest::Single { start, end } => {
            if total == 0 || start >= total {
                return RangeAnswer::Unsatisfiable { total };
            }
            let last = total - 1;
            let end = end.map_or(last, |e| e.min(last));
            RangeAnswer::Partial { start, end, total }
        }
        RangeRequest::Suffix(n) => {
            if n == 0 || total == 0 {
                return RangeAnswer::Unsatisfiable { total };
            }
            let start = total.saturating_sub(n);
            RangeAnswer::Partial { start, end: total - 1, total }
        }
    }
}

/// The `Content-Range` value: `bytes s-e/total` for 206, `bytes */total` for 416.
pub fn content_range(a: &RangeAnswer) -> Option<String> {
    match *a {
        RangeAnswer::Full => None,
        RangeAnswer::Partial { start, end, total } => Some(format!("bytes {start}-{end}/{total}")),
        RangeAnswer::Unsatisfiable { total } => Some(format!("bytes */{total}")),
    }
}

/// The `Range` header to send to the store for a resolved answer (normalised, so the
/// store cannot disagree with us about clamping).
pub fn store_range_header(a: &RangeAnswer) -> Option<String> {
    match *a {
        RangeAnswer::Partial { start, end, .. } => Some(format!("bytes={start}-{end}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeRequest::*;

    #[test]
    fn parses_forms() {
        assert_eq!(parse_range("bytes=0-99"), Single { start: 0, end: Some(99) });
        assert_eq!(parse_range("bytes=100-"), Single { start: 100, end: None });
        assert_eq!(parse_range("bytes=-500"), Suffix(500));
        assert_eq!(parse_range(" Bytes = 1 - 2 "), Single { start: 1, end: Some(2) });
        assert_eq!(parse_range("bytes=0-1,"), Single { start: 0, end: Some(1) });
        assert_eq!(parse_range("bytes=0-1,5-9"), Multi);
        assert_eq!(parse_range("bytes=0-1,-5"), Multi);
        for bad in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=a-b",
            "items=0-1",
            "bytes=5-1",
            "bytes=0-1,x",
            "bytes=+1-2",
            "bytes=--1",
            "bytes=1-2-3",
            "bytes=0x1-",
        ] {
            assert_eq!(parse_range(bad), Ignored, "{bad:?}");
        }
        assert_eq!(parse_range("bytes=99999999999999999999999-"), Single { start: u64::MAX, end: None });
    }

    #[test]
    fn resolves_like_s3() {
        let p = |s, e, t| RangeAnswer::Partial { start: s, end: e, total: t };
        assert_eq!(resolve(&parse_range("bytes=0-99"), 1000), p(0, 99, 1000));
        assert_eq!(resolve(&parse_range("bytes=0-9999"), 1000), p(0, 999, 1000));
        assert_eq!(resolve(&parse_range("bytes=999-"), 1000), p(999, 999, 1000));
        assert_eq!(resolve(&parse_range("bytes=1000-"), 1000), RangeAnswer::Unsatisfiable { total: 1000 });
        assert_eq!(resolve(&parse_range("bytes=-100"), 1000), p(900, 999, 1000));
        assert_eq!(resolve(&parse_range("bytes=-5000"), 1000), p(0, 999, 1000));
        assert_eq!(resolve(&parse_range("bytes=-0"), 1000), RangeAnswer::Unsatisfiable { total: 1000 });
        assert_eq!(resolve(&parse_range("bytes=0-"), 0), RangeAnswer::Unsatisfiable { total: 0 });
        assert_eq!(resolve(&parse_range("bytes=-1"), 0), RangeAnswer::Unsatisfiable { total: 0 });
        assert_eq!(resolve(&parse_range("bytes=0-1,4-5"), 0), RangeAnswer::Full);
        assert_eq!(resolve(&parse_range("nonsense"), 10), RangeAnswer::Full);
        assert_eq!(resolve(&parse_range("bytes=0-18446744073709551615"), 10), p(0, 9, 10));
    }

    #[test]
    fn headers_and_error() {
        let a = resolve(&parse_range("bytes=2-5"), 10);
        assert_eq!(content_range(&a).as_deref(), Some("bytes 2-5/10"));
        assert_eq!(a.status(), 206);
        assert_eq!(a.partial_len(), Some(4));
        assert_eq!(store_range_header(&a).as_deref(), Some("bytes=2-5"));
        assert_eq!(content_range(&RangeAnswer::Unsatisfiable { total: 7 }).as_deref(), Some("bytes */7"));
        assert_eq!(content_range(&RangeAnswer::Full), None);
        let e = crate::s3::error::S3Error::invalid_range(7, None);
        assert_eq!((e.status, e.code.as_str()), (416, "InvalidRange"));
        assert_eq!(e.extra, vec![("ActualObjectSize", "7".to_string())]);
        let e = crate::s3::error::S3Error::invalid_range(7, Some("bytes=9-"));
        assert!(e.to_xml("/b/k", "r").contains("<RangeRequested>bytes=9-</RangeRequested><ActualObjectSize>7</ActualObjectSize>"));
    }
}
