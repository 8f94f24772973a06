//! A small tolerant XML reader for S3 documents.
//!
//! The reader is hand-written rather than a crate: S3 documents are shallow trees of
//! elements and text, and what matters here is never panicking on hostile input and
//! staying small for wasm. It keeps elements (local names: `s3:Key` → `Key`) and their
//! text, decodes the five named entities and numeric references (`&#38;`, `&#x26;`),
//! reads CDATA, normalises line ends as XML does, and skips attributes, namespaces
//! declarations, processing instructions, comments and DOCTYPE. Malformed input gives
//! a best-effort tree (unclosed elements are closed at the end, stray end tags ignored)
//! or `None` when there is no element at all: right for what a store sends. A client's
//! document is read with [`parse_strict`], which takes only well-formed XML, as S3 does
//! (`MalformedXML`): a body cut short in transit must not become a shorter request.

use crate::time::parse_iso8601;

/// Nesting deeper than this is ignored (S3 documents are at most 4 deep; this also keeps
/// the drop of a hostile tree from recursing far).
pub const MAX_DEPTH: usize = 64;

/// An element: local name, its own text (concatenated, not trimmed), child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// First child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    /// Every child with this local name, in order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// Text of the first child with this name (exactly as written, entities decoded).
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
    /// Text of a child, or "" when absent.
    pub fn text_or_empty(&self, name: &str) -> String {
        self.child_text(name).unwrap_or("").to_string()
    }
    /// A child's text parsed as a number (surrounding whitespace ignored).
    pub fn child_num<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.child_text(name).and_then(|t| t.trim().parse().ok())
    }
    /// A child's text is `true` (case-insensitive).
    pub fn child_bool(&self, name: &str) -> bool {
        self.child_text(name).is_some_and(|t| t.trim().eq_ignore_ascii_case("true"))
    }
    /// A child's text as an ISO 8601 instant.
    pub fn child_time(&self, name: &str) -> Option<u64> {
        self.child_text(name).and_then(|t| parse_iso8601(t.trim()))
    }
}

/// XML line-end normalisation: CRLF and lone CR become LF.
fn normalize_newlines(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\r') {
        std::borrow::Cow::Owned(crate::text::replace(s, "\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Decode `&amp; &lt; &gt; &quot; &apos; &#NN; &#xHH;`. Unknown or malformed references
/// are kept literally; a reference to an impossible character becomes U+FFFD.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        // the reference ends at ';' within a short window (all ASCII, so slicing is safe)
        // (leading zeros are allowed in a character reference: `&#x000000041;` is `A`)
        let semi = rest.bytes().take(40).position(|b| b == b';');
        let decoded = semi.and_then(|semi| {
            let name = rest.get(1..semi)?;
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let num = name.strip_prefix('#')?;
                    let v = match num.strip_prefix('x').or_else(|| num.strip_prefix('X')) {
                        Some(h) if !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()) => u32::from_str_radix(h, 16).ok(),
                        Some(_) => return None,
                        None if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => num.parse::<u32>().ok(),
                        None => return None,
                    };
                    v.and_then(char::from_u32).filter(|&c| c != '\0').unwrap_or('\u{FFFD}')
                }
            };
            Some((c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = rest.get(semi + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = rest.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

/// `s3:Key` → `Key`.
fn local_name(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

/// Position just after the end of a start/end tag starting at `from` (`>` outside quotes).
fn tag_end(s: &str, from: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, b) in s.as_bytes().iter().enumerate().skip(from) {
        match (quote, *b) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"') | (None, b'\'') => quote = Some(*b),
            (None, b'>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Index just after `pat` searched from `from`, or the end of input.
fn skip_past(s: &str, from: usize, pat: &str) -> usize {
    s.get(from..).and_then(|r| crate::text::find(r, pat)).map_or(s.len(), |p| from + p + pat.len())
}

struct Builder {
    stack: Vec<Element>,
    root: Option<Element>,
}

impl Builder {
    fn close_top(&mut self) {
        if let Some(e) = self.stack.pop() {
            match self.stack.last_mut() {
                Some(parent) => parent.children.push(e),
                None => {
                    if self.root.is_none() {
                        self.root = Some(e);
                    }
                }
            }
        }
    }
    fn text(&mut self, t: &str) {
        if let Some(top) = self.stack.last_mut() {
            top.text.push_str(t);
        }
    }
}

/// Parse a document and return its root element (tolerantly; see the module doc).
pub fn parse(input: &str) -> Option<Element> {
    parse_with(input, false)
}

/// Parse a client's document: `None` unless it is well-formed (every element closed by its
/// own end tag, nothing but comments, processing instructions and white space around the
/// root, no unterminated tag, no `&` that is not a known reference, not nested past
/// [`MAX_DEPTH`]).
pub fn parse_strict(input: &str) -> Option<Element> {
    parse_with(input, true)
}

/// Is every `&` in raw text the start of a reference [`decode_entities`] knows?
fn references_ok(raw: &str) -> bool {
    let mut rest = raw;
    while let Some(p) = rest.find('&') {
        let after = &rest[p + 1..];
        let Some(semi) = after.find(';') else { return false };
        let reference = &rest[p..p + 2 + semi];
        // a reference decode_entities does not know is kept literally: that is the refusal
        let decoded = decode_entities(reference);
        let ok = decoded != reference && decoded.chars().count() == 1;
        if !ok {
            return false;
        }
        rest = &after[semi + 1..];
    }
    true
}

fn parse_with(input: &str, strict: bool) -> Option<Element> {
    let s = input.strip_prefix('\u{FEFF}').unwrap_or(input);
    let mut b = Builder { stack: Vec::new(), root: None };
    let mut i = 0usize;
    let bytes = s.as_bytes();
    while i < bytes.len() {
        if b.root.is_some() && b.stack.is_empty() {
            if !strict {
                break; // only the first root element counts
            }
            // after the root: white space, comments and processing instructions only
            let t = s.get(i..).unwrap_or("").trim_start();
            if t.is_empty() {
                break;
            }
            if !(t.starts_with("<!--") || t.starts_with("<?")) {
                return None;
            }
            i = s.len() - t.len();
        }
        let rest = match s.get(i..) {
            Some(r) => r,
            None => break,
        };
        if !rest.starts_with('<') {
            let end = rest.find('<').map_or(s.len(), |p| i + p);
            let raw = s.get(i..end).unwrap_or("");
            if strict && ((b.stack.is_empty() && !raw.trim().is_empty()) || !references_ok(raw)) {
                return None;
            }
            if !b.stack.is_empty() {
                b.text(&decode_entities(&normalize_newlines(raw)));
            }
            i = end;
            continue;
        }
        if rest.starts_with("<?") {
            if strict && crate::text::find(rest, "?>").is_none() {
                return None;
            }
            i = skip_past(s, i, "?>");
        } else if let Some(comment) = rest.strip_prefix("<!--") {
            if strict && crate::text::find(comment, "-->").is_none() {
                return None;
            }
            i = skip_past(s, i + 4, "-->");
        } else if rest.starts_with("<![CDATA[") {
            let start = i + 9;
            let found = s.get(start..).and_then(|r| crate::text::find(r, "]]>"));
            if strict && (found.is_none() || b.stack.is_empty()) {
                return None;
            }
            let end = found.map_or(s.len(), |p| start + p);
            let raw = s.get(start..end).unwrap_or("");
            b.text(&normalize_newlines(raw));
            i = (end + 3).min(s.len());
        } else if rest.starts_with("<!") {
            // DOCTYPE (possibly with an internal subset in brackets): skip to the matching '>'
            let mut depth = 0i32;
            let mut j = i + 2;
            while j < bytes.len() {
                match bytes[j] {
                    b'[' => depth += 1,
                    b']' => depth -= 1,
                    b'>' if depth <= 0 => break,
                    _ => {}
                }
                j += 1;
            }
            i = (j + 1).min(s.len());
        } else if rest.starts_with("</") {
            let end = match tag_end(s, i) {
                Some(e) => e,
                None if strict => return None,
                None => s.len(),
            };
            let inner = s.get(i + 2..end.saturating_sub(1).max(i + 2)).unwrap_or("");
            let name = local_name(inner.trim());
            if strict {
                // an end tag closes the innermost open element, and only that one
                if b.stack.last().map(|e| e.name.as_str()) != Some(name) {
                    return None;
                }
                b.close_top();
                i = end;
                continue;
            }
            if let Some(pos) = b.stack.iter().rposition(|e| e.name == name) {
                while b.stack.len() > pos {
                    b.close_top();
                }
            }
            i = end;
        } else {
            let Some(end) = tag_end(s, i) else {
                // an unterminated '<...': treat as the end of the document
                if strict {
                    return None;
                }
                break;
            };
            let inner = s.get(i + 1..end - 1).unwrap_or("");
            let self_closing = inner.ends_with('/');
            let qname = inner.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
            if strict && (qname.is_empty() || b.stack.len() >= MAX_DEPTH) {
                return None;
            }
            if qname.is_empty() {
                b.text(&decode_entities(s.get(i..end).unwrap_or("")));
            } else if b.stack.len() < MAX_DEPTH {
                b.stack.push(Element { name: local_name(qname).to_string(), ..Element::default() });
                if self_closing {
                    b.close_top();
                }
            }
            i = end;
        }
    }
    if strict && (!b.stack.is_empty() || b.root.is_none()) {
        return None; // an element left open: the document was cut short
    }
    while !b.stack.is_empty() {
        b.close_top();
    }
    b.root
}

/// [`parse`] for bytes (invalid UTF-8 is replaced).
pub fn parse_bytes(input: &[u8]) -> Option<Element> {
    parse(&String::from_utf8_lossy(input))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::xml_escape as escape;

    #[test]
    fn reader_basics() {
        let doc = "\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE x [<!ENTITY e \"v\">]><!-- c --><s3:R xmlns:s3=\"urn:x\" a='>'><s3:K attr=\"1\">a &amp; b &lt;c&gt; &#38;&#x26;&#X3C; &quot;&apos; &bogus; &#xD800; &</s3:K><E/><E></E><C><![CDATA[<raw & stuff>]]></C><N>line\r\nend\rx&#13;</N></s3:R>trailing<junk>";
        let r = parse(doc).unwrap();
        assert_eq!(r.name, "R");
        assert_eq!(r.child_text("K"), Some("a & b <c> &&< \"' &bogus; \u{FFFD} &"));
        assert_eq!(r.children_named("E").count(), 2);
        assert_eq!(r.child_text("C"), Some("<raw & stuff>"));
        assert_eq!(r.child_text("N"), Some("line\nend\nx\r"));
        assert_eq!(r.children.len(), 5);
    }

    #[test]
    fn reader_tolerance() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("just text"), None);
        assert_eq!(parse("<?xml?>"), None);
        let r = parse("<a><b>1<c>2</a>").unwrap();
        assert_eq!(r.child("b").and_then(|b| b.child_text("c")), Some("2"));
        let r = parse("<a><b>x</c></b></a>").unwrap();
        assert_eq!(r.child_text("b"), Some("x"));
        let r = parse("<a><b>unclosed").unwrap();
        assert_eq!(r.child_text("b"), Some("unclosed"));
        assert_eq!(parse("<a").map(|e| e.name), None);
        let deep = "<a>".repeat(10_000);
        assert!(parse(&deep).is_some());
        assert_eq!(parse("<é>ü</é>").unwrap().text, "ü");
        assert_eq!(parse_bytes(b"<a>\xff</a>").unwrap().text, "\u{FFFD}");
    }

    #[test]
    fn a_clients_document_must_be_well_formed() {
        let ok = "<?xml version=\"1.0\"?>\n<!-- c --><Delete xmlns=\"urn:x\"><Object><Key>a &amp; b&#x20;c</Key></Object><Quiet/></Delete>\n<!-- after -->\n";
        let r = parse_strict(ok).unwrap();
        assert_eq!(r.child("Object").and_then(|o| o.child_text("Key")), Some("a & b c"));
        assert_eq!(parse_strict("<a><![CDATA[<x>]]></a>").unwrap().text, "<x>");
        assert_eq!(parse_strict("<a>&#x000000041;&#0000000066;</a>").unwrap().text, "AB");
        for bad in [
            "<Delete><Object><Key>a</Key>",             // cut short
            "<Delete><Object><Key>a</Key></Object>",    // cut short after an element
            "<Delete><Object><Key>a</Object></Delete>", // end tag of another element
            "<Delete><Object><Key>a</Key></Object></Delete></Extra>",
            "<Delete></Delete><Delete></Delete>", // two roots
            "<Delete></Delete>junk",
            "junk<Delete></Delete>",
            "<Delete><Key>a & b</Key></Delete>", // a bare &
            "<Delete><Key>&bogus;</Key></Delete>",
            "<Delete><Key>&#xZZ;</Key></Delete>",
            "<Delete><Key", // unterminated tag
            "<Delete><!-- unterminated comment </Delete>",
            "<Delete><![CDATA[x</Delete>",
            "",
            "just text",
        ] {
            assert_eq!(parse_strict(bad), None, "{bad:?}");
            // the tolerant reader still reads what it can (for store answers)
            let _ = parse(bad);
        }
        assert_eq!(parse_strict(&"<a>".repeat(MAX_DEPTH + 1)), None);
        let deep = format!("{}{}", "<a>".repeat(MAX_DEPTH + 1), "</a>".repeat(MAX_DEPTH + 1));
        assert_eq!(parse_strict(&deep), None);
    }

    #[test]
    fn escape_round_trips_controls() {
        let s = "a&b<c>\"d'\r\n\t\u{1}é";
        let doc = format!("<a>{}</a>", escape(s));
        assert_eq!(parse(&doc).unwrap().text, s);
    }
}
