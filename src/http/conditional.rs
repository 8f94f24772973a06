//! Conditional requests (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since)
//! as S3 evaluates them for GET/HEAD of an existing object.
//!
//! Order (RFC 9110 §13.2.2, which is what S3 documents):
//! 1. `If-Match` present: false → 412. (When it is true, `If-Unmodified-Since` is not
//!    looked at: S3's "If-Match true + If-Unmodified-Since false → 200".)
//! 2. else `If-Unmodified-Since`: modified after the date → 412.
//! 3. `If-None-Match` present: an ETag matches → 304 for GET/HEAD (412 for other methods).
//!    (When it is present and does not match, `If-Modified-Since` is not looked at.
//!    S3 documents "If-None-Match false + If-Modified-Since true → 304": that is the
//!    same rule, since If-None-Match "false" means the ETag matched.)
//! 4. else `If-Modified-Since` (GET/HEAD only): not modified since the date → 304.
//!
//! `If-Range` (only with `Range`): [`range_allowed`]; when it does not hold, `Range` is
//! ignored and the whole object is answered.
//!
//! ETags: strong comparison for If-Match and If-Range, weak for If-None-Match; `*` matches any existing
//! object; comma-separated lists; quotes optional on input (clients send both).
//! Unparseable dates are ignored, as RFC 9110 says.

use crate::http::Headers;
use crate::time::parse_http_date;

/// The validators of an existing object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Validators<'a> {
    /// As the store sent it, quoted (`"abc"`), though an unquoted one is accepted.
    pub etag: Option<&'a str>,
    /// Unix seconds.
    pub last_modified: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Proceed,
    /// 304
    NotModified,
    /// 412
    PreconditionFailed,
}

/// An outcome and the header that decided it (`None` for Proceed), for the
/// `Condition` element of S3's 412 body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub condition: Option<&'static str>,
}

/// Headers a 304 carries (RFC 9110 §15.4.5), lower-case.
pub const NOT_MODIFIED_HEADERS: &[&str] = &["etag", "last-modified", "cache-control", "expires", "content-location", "vary"];

/// The subset of `h` a 304 response carries.
pub fn not_modified_headers(h: &Headers) -> Headers {
    Headers(h.0.iter().filter(|(k, _)| NOT_MODIFIED_HEADERS.iter().any(|n| k.eq_ignore_ascii_case(n))).cloned().collect())
}

/// One entity-tag from a list: (weak, opaque-tag without quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tag<'a> {
    weak: bool,
    tag: &'a str,
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Normalise one ETag: optional `W/`, optional quotes.
fn tag_of(s: &str) -> Tag<'_> {
    let s = s.trim_matches(is_ows);
    let (weak, s) = match s.strip_prefix("W/").or_else(|| s.strip_prefix("w/")) {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let tag = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(s);
    Tag { weak, tag }
}

/// Split an If-Match / If-None-Match value into tags. `None` means `*`.
/// Quoted tags may contain commas; unquoted ones end at a comma.
fn tag_list(value: &str) -> Option<Vec<Tag<'_>>> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| is_ows(c) || c == ',');
        if rest.is_empty() {
            break;
        }
        // find the end of this element: a comma outside quotes
        let mut in_quotes = false;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                ',' if !in_quotes => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let (item, tail) = rest.split_at(end);
        let item = item.trim_matches(is_ows);
        if item == "*" {
            return None;
        }
        if !item.is_empty() {
            out.push(tag_of(item));
        }
        rest = tail;
    }
    Some(out)
}

/// Every value of a header joined as one list (a header may be repeated).
fn joined(headers: &Headers, name: &str) -> Option<String> {
    let v: Vec<&str> = headers.get_all(name).collect();
    if v.is_empty() {
        None
    } else {
        Some(v.join(","))
    }
}

fn if_match(value: &str, etag: Option<&str>) -> bool {
    let Some(list) = tag_list(value) else { return true }; // `*`: the object exists
    let Some(etag) = etag.map(tag_of) else { return false };
    !etag.weak && list.iter().any(|t| !t.weak && t.tag == etag.tag)
}

fn if_none_match_matches(value: &str, etag: Option<&str>) -> bool {
    let Some(list) = tag_list(value) else { return true };
    let Some(etag) = etag.map(tag_of) else { return false };
    list.iter().any(|t| t.tag == etag.tag)
}

fn is_get_or_head(method: &str) -> bool {
    method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")
}

/// Evaluate the conditional headers against an existing object, with the deciding header.
pub fn decide(method: &str, headers: &Headers, v: &Validators) -> Decision {
    let proceed = Decision { outcome: Outcome::Proceed, condition: None };
    let fail = |c: &'static str| Decision { outcome: Outcome::PreconditionFailed, condition: Some(c) };
    let date = |name: &str| headers.get(name).and_then(parse_http_date);

    if let Some(im) = joined(headers, "if-match") {
        if !if_match(&im, v.etag) {
            return fail("If-Match");
        }
    } else if let (Some(ius), Some(lm)) = (date("if-unmodified-since"), v.last_modified) {
        if lm > ius {
            return fail("If-Unmodified-Since");
        }
    }

    if let Some(inm) = joined(headers, "if-none-match") {
        if if_none_match_matches(&inm, v.etag) {
            return if is_get_or_head(method) {
                Decision { outcome: Outcome::NotModified, condition: Some("If-None-Match") }
            } else {
                fail("If-None-Match")
            };
        }
    } else if is_get_or_head(method) {
        if let (Some(ims), Some(lm)) = (date("if-modified-since"), v.last_modified) {
            if lm <= ims {
                return Decision { outcome: Outcome::NotModified, condition: Some("If-Modified-Since") };
            }
        }
    }
    proceed
}

/// Evaluate the conditional headers against an existing object.
pub fn evaluate(method: &str, headers: &Headers, v: &Validators) -> Outcome {
    decide(method, headers, v).outcome
}

/// Does an `If-Range` value hold for the object (RFC 9110 §13.1.5)? An entity-tag is
/// compared strongly (a weak tag, on either side, never matches); an HTTP-date must equal
/// the object's Last-Modified exactly (to the second). Anything else (empty, garbage, a
/// list) does not hold. Quotes are optional on a tag, as elsewhere in this module.
pub fn if_range_matches(value: &str, v: &Validators) -> bool {
    let value = value.trim_matches(is_ows);
    if value.is_empty() {
        return false;
    }
    let looks_like_tag = value.starts_with('"') || value.starts_with("W/") || value.starts_with("w/");
    if !looks_like_tag {
        if let Some(date) = parse_http_date(value) {
            return v.last_modified == Some(date);
        }
    }
    let want = tag_of(value);
    let Some(have) = v.etag.map(tag_of) else { return false };
    !want.weak && !have.weak && !want.tag.is_empty() && !want.tag.contains(['"', ',']) && want.tag == have.tag
}

/// May `Range` be honoured? Yes without `If-Range`; with one, only if it holds
/// ([`if_range_matches`]); a repeated `If-Range` never holds. When this is false, the
/// server ignores `Range` and answers the whole object (200).
pub fn range_allowed(headers: &Headers, v: &Validators) -> bool {
    let mut all = headers.get_all("if-range");
    match (all.next(), all.next()) {
        (None, _) => true,
        (Some(value), None) => if_range_matches(value, v),
        (Some(_), Some(_)) => false,
    }
}

/// True when the request carries any conditional header this module evaluates.
pub fn has_conditions(headers: &Headers) -> bool {
    ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"].iter().any(|h| headers.get(h).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETAG: &str = "\"fba9dede5f27731c9771645a39863328\"";
    const LM: u64 = 1_369_353_600; // Fri, 24 May 2013 00:00:00 GMT
    const BEFORE: &str = "Thu, 23 May 2013 00:00:00 GMT";
    const AT: &str = "Fri, 24 May 2013 00:00:00 GMT";
    const AFTER: &str = "Sat, 25 May 2013 00:00:00 GMT";

    fn ev(method: &str, pairs: &[(&str, &str)]) -> Outcome {
        let h = Headers::from_pairs(pairs.iter().map(|(k, v)| (*k, v.to_string())));
        evaluate(method, &h, &Validators { etag: Some(ETAG), last_modified: Some(LM) })
    }

    #[test]
    fn s3_documented_precedence() {
        // If-Match true + If-Unmodified-Since false → 200
        assert_eq!(ev("GET", &[("if-match", ETAG), ("if-unmodified-since", BEFORE)]), Outcome::Proceed);
        // If-None-Match false (matches) + If-Modified-Since true → 304
        assert_eq!(ev("GET", &[("if-none-match", ETAG), ("if-modified-since", BEFORE)]), Outcome::NotModified);
        assert_eq!(ev("GET", &[("if-match", "\"other\"")]), Outcome::PreconditionFailed);
        assert_eq!(ev("HEAD", &[("if-none-match", ETAG)]), Outcome::NotModified);
        assert_eq!(ev("GET", &[("if-modified-since", AT)]), Outcome::NotModified);
        assert_eq!(ev("GET", &[("if-modified-since", AFTER)]), Outcome::NotModified);
        assert_eq!(ev("GET", &[("if-modified-since", BEFORE)]), Outcome::Proceed);
        assert_eq!(ev("GET", &[("if-unmodified-since", BEFORE)]), Outcome::PreconditionFailed);
        assert_eq!(ev("GET", &[("if-unmodified-since", AT)]), Outcome::Proceed);
        // If-None-Match not matching: If-Modified-Since is not consulted
        assert_eq!(ev("GET", &[("if-none-match", "\"x\""), ("if-modified-since", AFTER)]), Outcome::Proceed);
        // If-Match fails before If-None-Match would give 304
        assert_eq!(ev("GET", &[("if-match", "\"x\""), ("if-none-match", ETAG)]), Outcome::PreconditionFailed);
        assert_eq!(ev("GET", &[]), Outcome::Proceed);
    }

    #[test]
    fn etag_forms() {
        let bare = ETAG.trim_matches('"');
        assert_eq!(ev("GET", &[("if-match", bare)]), Outcome::Proceed);
        assert_eq!(ev("GET", &[("if-match", "*")]), Outcome::Proceed);
        assert_eq!(ev("GET", &[("if-match", &format!("\"a\", {ETAG}"))]), Outcome::Proceed);
        assert_eq!(ev("GET", &[("if-match", "\"a\""), ("if-match", ETAG)]), Outcome::Proceed);
        // strong comparison: a weak tag never matches If-Match
        assert_eq!(ev("GET", &[("if-match", &format!("W/{ETAG}"))]), Outcome::PreconditionFailed);
        // weak comparison for If-None-Match
        assert_eq!(ev("GET", &[("if-none-match", &format!("W/{ETAG}"))]), Outcome::NotModified);
        assert_eq!(ev("GET", &[("if-none-match", bare)]), Outcome::NotModified);
        assert_eq!(ev("GET", &[("if-none-match", "*")]), Outcome::NotModified);
        assert_eq!(ev("GET", &[("if-none-match", "\"a,b\", \"c\"")]), Outcome::Proceed);
        assert_eq!(ev("PUT", &[("if-none-match", "*")]), Outcome::PreconditionFailed);
        // If-Modified-Since only applies to GET/HEAD
        assert_eq!(ev("DELETE", &[("if-modified-since", AFTER)]), Outcome::Proceed);
        // garbage dates are ignored
        assert_eq!(ev("GET", &[("if-unmodified-since", "yesterday")]), Outcome::Proceed);
        assert_eq!(ev("GET", &[("if-match", "")]), Outcome::PreconditionFailed);
    }

    #[test]
    fn if_range() {
        let v = Validators { etag: Some(ETAG), last_modified: Some(LM) };
        let bare = ETAG.trim_matches('"');
        assert!(if_range_matches(ETAG, &v));
        assert!(if_range_matches(&format!(" {ETAG}\t"), &v));
        assert!(if_range_matches(bare, &v));
        assert!(if_range_matches(AT, &v));
        assert!(!if_range_matches(&format!("W/{ETAG}"), &v));
        assert!(!if_range_matches("\"other\"", &v));
        assert!(!if_range_matches(&format!("{ETAG}, \"x\""), &v));
        assert!(!if_range_matches(BEFORE, &v));
        assert!(!if_range_matches(AFTER, &v));
        assert!(!if_range_matches("", &v));
        assert!(!if_range_matches("*", &v));
        assert!(!if_range_matches("\"\"", &Validators { etag: Some("\"\""), last_modified: None }));
        assert!(!if_range_matches(ETAG, &Validators { etag: Some(&format!("W/{ETAG}")), last_modified: None }));
        assert!(!if_range_matches(AT, &Validators { etag: Some(ETAG), last_modified: None }));
        assert!(!if_range_matches(ETAG, &Validators::default()));
        let hs = |pairs: &[(&str, &str)]| Headers::from_pairs(pairs.iter().map(|(k, x)| (*k, x.to_string())));
        assert!(range_allowed(&hs(&[]), &v));
        assert!(range_allowed(&hs(&[("If-Range", ETAG)]), &v));
        assert!(!range_allowed(&hs(&[("if-range", "\"x\"")]), &v));
        assert!(!range_allowed(&hs(&[("if-range", ETAG), ("if-range", ETAG)]), &v));
    }

    #[test]
    fn missing_validators_and_details() {
        let h = Headers::from_pairs([("if-match", "\"a\""), ("if-modified-since", AT)]);
        let none = Validators::default();
        assert_eq!(evaluate("GET", &h, &none), Outcome::PreconditionFailed);
        let d = decide("GET", &h, &none);
        assert_eq!(d.condition, Some("If-Match"));
        let h = Headers::from_pairs([("if-modified-since", AT)]);
        assert_eq!(evaluate("GET", &h, &none), Outcome::Proceed);
        let e = crate::s3::error::S3Error::precondition_failed(Some("If-Match"));
        assert_eq!((e.status, e.code.as_str()), (412, "PreconditionFailed"));
        assert!(e.to_xml("", "r").contains("<Condition>If-Match</Condition>"));
        let all = Headers::from_pairs([("content-type", "a"), ("ETag", ETAG), ("vary", "Origin"), ("content-length", "3")]);
        assert_eq!(not_modified_headers(&all), Headers::from_pairs([("etag", ETAG), ("vary", "Origin")]));
        assert!(has_conditions(&Headers::from_pairs([("If-None-Match", "*")])));
    }
}
