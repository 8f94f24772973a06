//! S3 XML: escaping, a small tolerant reader, a writer, and the multipart / copy / error
//! documents bagroom reads from the store and writes to clients. (Listings: `listing`.)
//!
//! The reader is hand-written rather than a crate: S3 documents are shallow trees of
//! elements and text, and what matters here is never panicking on hostile input and
//! staying small for wasm. It keeps elements (local names: `s3:Key` → `Key`) and their
//! text, decodes the five named entities and numeric references (`&#38;`, `&#x26;`),
//! reads CDATA, normalises line ends as XML does, and skips attributes, namespaces
//! declarations, processing instructions, comments and DOCTYPE. Malformed input gives
//! a best-effort tree (unclosed elements are closed at the end, stray end tags ignored)
//! or `None` when there is no element at all.

use crate::s3::error::S3Error;
use crate::time::{iso8601_millis, parse_iso8601};

/// The S3 XML namespace.
pub const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// The declaration S3 starts its documents with.
pub const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
/// Nesting deeper than this is ignored (S3 documents are at most 4 deep; this also keeps
/// the drop of a hostile tree from recursing far).
pub const MAX_DEPTH: usize = 64;

pub use crate::encoding::xml_escape as escape;

// ---------------------------------------------------------------- reader

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
        std::borrow::Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
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
        let semi = rest.bytes().take(12).position(|b| b == b';');
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
    s.get(from..).and_then(|r| r.find(pat)).map_or(s.len(), |p| from + p + pat.len())
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
    let s = input.strip_prefix('\u{FEFF}').unwrap_or(input);
    let mut b = Builder { stack: Vec::new(), root: None };
    let mut i = 0usize;
    let bytes = s.as_bytes();
    while i < bytes.len() {
        if b.root.is_some() && b.stack.is_empty() {
            break; // only the first root element counts
        }
        let rest = match s.get(i..) {
            Some(r) => r,
            None => break,
        };
        if !rest.starts_with('<') {
            let end = rest.find('<').map_or(s.len(), |p| i + p);
            let raw = s.get(i..end).unwrap_or("");
            if !b.stack.is_empty() {
                b.text(&decode_entities(&normalize_newlines(raw)));
            }
            i = end;
            continue;
        }
        if rest.starts_with("<?") {
            i = skip_past(s, i, "?>");
        } else if rest.starts_with("<!--") {
            i = skip_past(s, i + 4, "-->");
        } else if rest.starts_with("<![CDATA[") {
            let start = i + 9;
            let end = s.get(start..).and_then(|r| r.find("]]>")).map_or(s.len(), |p| start + p);
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
            let end = tag_end(s, i).unwrap_or(s.len());
            let inner = s.get(i + 2..end.saturating_sub(1).max(i + 2)).unwrap_or("");
            let name = local_name(inner.trim());
            if let Some(pos) = b.stack.iter().rposition(|e| e.name == name) {
                while b.stack.len() > pos {
                    b.close_top();
                }
            }
            i = end;
        } else {
            let Some(end) = tag_end(s, i) else {
                // an unterminated '<...': treat as the end of the document
                break;
            };
            let inner = s.get(i + 1..end - 1).unwrap_or("");
            let self_closing = inner.ends_with('/');
            let qname = inner.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
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
    while !b.stack.is_empty() {
        b.close_top();
    }
    b.root
}

/// [`parse`] for bytes (invalid UTF-8 is replaced).
pub fn parse_bytes(input: &[u8]) -> Option<Element> {
    parse(&String::from_utf8_lossy(input))
}

// ---------------------------------------------------------------- writer

/// A small XML writer with escaping. Starts with [`XML_DECL`].
#[derive(Debug, Clone)]
pub struct XmlWriter {
    buf: String,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl XmlWriter {
    pub fn new() -> Self {
        XmlWriter { buf: String::from(XML_DECL) }
    }
    /// `<name xmlns="...">`
    pub fn open_ns(&mut self, name: &str, ns: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str(" xmlns=\"");
        self.buf.push_str(&escape(ns));
        self.buf.push_str("\">");
        self
    }
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }
    /// `<name>text</name>` (escaped).
    pub fn elem(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        self.buf.push_str(&escape(text));
        self.close(name)
    }
    /// [`elem`](Self::elem) when `Some`.
    pub fn opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.elem(name, t);
        }
        self
    }
    pub fn num(&mut self, name: &str, n: impl std::fmt::Display) -> &mut Self {
        self.elem(name, &n.to_string())
    }
    pub fn boolean(&mut self, name: &str, v: bool) -> &mut Self {
        self.elem(name, if v { "true" } else { "false" })
    }
    /// `<name>2013-05-24T00:00:00.000Z</name>`
    pub fn time(&mut self, name: &str, t: u64) -> &mut Self {
        self.elem(name, &iso8601_millis(t))
    }
    pub fn finish(self) -> String {
        self.buf
    }
}

// ---------------------------------------------------------------- store errors and documents

/// Parse an S3 `<Error><Code>..</Code><Message>..</Message>..` body.
pub fn parse_error(xml: &str) -> Option<(String, String)> {
    let root = parse(xml)?;
    if root.name != "Error" {
        return None;
    }
    let code = root.child_text("Code")?.trim().to_string();
    if code.is_empty() {
        return None;
    }
    Some((code, root.text_or_empty("Message")))
}

/// Common S3 error codes with their HTTP status, so a store error can be relayed as an
/// [`S3Error`] (whose code is a `&'static str`).
const KNOWN_CODES: &[(&str, u16)] = &[
    ("AccessDenied", 403),
    ("BadDigest", 400),
    ("BucketAlreadyExists", 409),
    ("BucketAlreadyOwnedByYou", 409),
    ("BucketNotEmpty", 409),
    ("EntityTooLarge", 400),
    ("EntityTooSmall", 400),
    ("IncompleteBody", 400),
    ("InternalError", 500),
    ("InvalidArgument", 400),
    ("InvalidBucketName", 400),
    ("InvalidDigest", 400),
    ("InvalidObjectState", 403),
    ("InvalidPart", 400),
    ("InvalidPartOrder", 400),
    ("InvalidRange", 416),
    ("InvalidRequest", 400),
    ("KeyTooLongError", 400),
    ("MalformedXML", 400),
    ("MethodNotAllowed", 405),
    ("MissingContentLength", 411),
    ("NoSuchBucket", 404),
    ("NoSuchKey", 404),
    ("NoSuchUpload", 404),
    ("NoSuchVersion", 404),
    ("NotImplemented", 501),
    ("PreconditionFailed", 412),
    ("RequestTimeout", 400),
    ("ServiceUnavailable", 503),
    ("SlowDown", 503),
    ("XAmzContentSHA256Mismatch", 400),
];

/// Relay a store's error `code`/`message` as an [`S3Error`]: known codes keep their code and
/// S3 status; an unknown code becomes a 502 `BadGateway` naming it.
pub fn store_error(code: &str, message: &str) -> S3Error {
    match KNOWN_CODES.iter().find(|(c, _)| *c == code) {
        Some((c, status)) => S3Error::new(*status, c, message),
        None => S3Error::bad_gateway(format!("store error {code}: {message}")),
    }
}

/// The store answered with something that is not the expected document.
fn store_doc(xml: &str, root_name: &str) -> Result<Element, S3Error> {
    let root = parse(xml).ok_or_else(|| S3Error::bad_gateway(format!("store sent malformed XML instead of {root_name}")))?;
    if root.name == "Error" {
        let code = root.text_or_empty("Code");
        return Err(store_error(code.trim(), &root.text_or_empty("Message")));
    }
    if root.name != root_name {
        return Err(S3Error::bad_gateway(format!("store sent <{}> instead of <{root_name}>", root.name)));
    }
    Ok(root)
}

/// S3's `MalformedXML` for client bodies.
pub fn malformed_xml() -> S3Error {
    S3Error::new(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
}

/// S3 `EncodingType=url` encoding: alphanumerics and `-_.*/` literal, space as `+`,
/// everything else `%XX` (upper-case hex), bytewise UTF-8.
pub fn s3_url_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' | b'/' => out.push(b as char),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
    out
}

/// Undo `EncodingType=url`: `+` is a space, `%XX` a byte (as SDKs decode it).
pub fn s3_url_decode(s: &str) -> String {
    crate::encoding::percent_decode(&s.replace('+', " "))
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitiateMultipartUpload {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
}

pub fn initiate_multipart_upload_xml(r: &InitiateMultipartUpload) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("InitiateMultipartUploadResult", S3_NS)
        .elem("Bucket", &r.bucket)
        .elem("Key", &r.key)
        .elem("UploadId", &r.upload_id)
        .close("InitiateMultipartUploadResult");
    w.finish()
}

pub fn parse_initiate_multipart_upload(xml: &str) -> Result<InitiateMultipartUpload, S3Error> {
    let root = store_doc(xml, "InitiateMultipartUploadResult")?;
    let upload_id = root.text_or_empty("UploadId").trim().to_string();
    if upload_id.is_empty() {
        return Err(S3Error::bad_gateway("store sent InitiateMultipartUploadResult without UploadId"));
    }
    Ok(InitiateMultipartUpload { bucket: root.text_or_empty("Bucket"), key: root.text_or_empty("Key"), upload_id })
}

/// `(name, value)` checksum elements: `ChecksumCRC32`, `ChecksumCRC32C`, `ChecksumCRC64NVME`,
/// `ChecksumSHA1`, `ChecksumSHA256`.
pub const CHECKSUM_ELEMENTS: &[&str] = &["ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256"];

fn checksums_of(e: &Element) -> Vec<(String, String)> {
    CHECKSUM_ELEMENTS.iter().filter_map(|n| e.child_text(n).map(|v| (n.to_string(), v.trim().to_string()))).collect()
}

fn write_checksums(w: &mut XmlWriter, c: &[(String, String)]) {
    for (n, v) in c {
        if CHECKSUM_ELEMENTS.contains(&n.as_str()) {
            w.elem(n, v);
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompleteMultipartUploadResult {
    pub location: String,
    pub bucket: String,
    pub key: String,
    /// Quoted, as S3 writes it (`"...-3"`).
    pub etag: String,
    pub checksums: Vec<(String, String)>,
}

pub fn complete_multipart_upload_result_xml(r: &CompleteMultipartUploadResult) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("CompleteMultipartUploadResult", S3_NS)
        .elem("Location", &r.location)
        .elem("Bucket", &r.bucket)
        .elem("Key", &r.key)
        .elem("ETag", &r.etag);
    write_checksums(&mut w, &r.checksums);
    w.close("CompleteMultipartUploadResult");
    w.finish()
}

/// Parse the store's answer to CompleteMultipartUpload. S3 may answer 200 with an `<Error>`
/// body: that comes back as `Err` with the store's code.
pub fn parse_complete_multipart_upload_result(xml: &str) -> Result<CompleteMultipartUploadResult, S3Error> {
    let root = store_doc(xml, "CompleteMultipartUploadResult")?;
    Ok(CompleteMultipartUploadResult {
        location: root.text_or_empty("Location"),
        bucket: root.text_or_empty("Bucket"),
        key: root.text_or_empty("Key"),
        etag: root.text_or_empty("ETag"),
        checksums: checksums_of(&root),
    })
}

/// One part the client lists in `CompleteMultipartUpload`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: u32,
    /// As the client sent it (usually quoted).
    pub etag: String,
    pub checksums: Vec<(String, String)>,
}

/// Parse a client's `CompleteMultipartUpload` body. `MalformedXML` for a bad document or no
/// parts; `InvalidArgument` for a part number outside 1..=10000; `InvalidPartOrder` when
/// part numbers are not strictly ascending.
pub fn parse_complete_multipart_upload(body: &str) -> Result<Vec<CompletedPart>, S3Error> {
    let root = parse(body).ok_or_else(malformed_xml)?;
    if root.name != "CompleteMultipartUpload" {
        return Err(malformed_xml());
    }
    let mut parts = Vec::new();
    for p in root.children_named("Part") {
        let n: u32 = p.child_num("PartNumber").ok_or_else(malformed_xml)?;
        if !(1..=10000).contains(&n) {
            return Err(S3Error::invalid_argument("Part number must be an integer between 1 and 10000, inclusive"));
        }
        let etag = p.child_text("ETag").map(str::trim).filter(|e| !e.is_empty()).ok_or_else(malformed_xml)?;
        parts.push(CompletedPart { part_number: n, etag: etag.to_string(), checksums: checksums_of(p) });
    }
    if parts.is_empty() {
        return Err(malformed_xml());
    }
    if parts.windows(2).any(|w| w.first().map(|a| a.part_number) >= w.get(1).map(|b| b.part_number)) {
        return Err(S3Error::new(
            400,
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        ));
    }
    Ok(parts)
}

/// Write a `CompleteMultipartUpload` body (to forward to the store).
pub fn complete_multipart_upload_xml(parts: &[CompletedPart]) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("CompleteMultipartUpload", S3_NS);
    for p in parts {
        w.open("Part");
        write_checksums(&mut w, &p.checksums);
        w.elem("ETag", &p.etag).num("PartNumber", p.part_number).close("Part");
    }
    w.close("CompleteMultipartUpload");
    w.finish()
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartInfo {
    pub part_number: u32,
    pub last_modified: Option<u64>,
    pub etag: String,
    pub size: u64,
    pub checksums: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPartsResult {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub storage_class: Option<String>,
    pub part_number_marker: u32,
    pub next_part_number_marker: Option<u32>,
    pub max_parts: u32,
    pub is_truncated: bool,
    pub parts: Vec<PartInfo>,
}

/// `ListPartsResult` in S3's element order (Initiator/Owner omitted).
pub fn list_parts_xml(r: &ListPartsResult) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("ListPartsResult", S3_NS).elem("Bucket", &r.bucket).elem("Key", &r.key).elem("UploadId", &r.upload_id);
    w.opt("StorageClass", r.storage_class.as_deref());
    w.num("PartNumberMarker", r.part_number_marker);
    if let Some(n) = r.next_part_number_marker {
        w.num("NextPartNumberMarker", n);
    }
    w.num("MaxParts", r.max_parts).boolean("IsTruncated", r.is_truncated);
    for p in &r.parts {
        w.open("Part").num("PartNumber", p.part_number);
        if let Some(t) = p.last_modified {
            w.time("LastModified", t);
        }
        w.elem("ETag", &p.etag).num("Size", p.size);
        write_checksums(&mut w, &p.checksums);
        w.close("Part");
    }
    w.close("ListPartsResult");
    w.finish()
}

pub fn parse_list_parts(xml: &str) -> Result<ListPartsResult, S3Error> {
    let root = store_doc(xml, "ListPartsResult")?;
    let url = root.child_text("EncodingType").is_some_and(|e| e.trim() == "url");
    let key = root.text_or_empty("Key");
    Ok(ListPartsResult {
        bucket: root.text_or_empty("Bucket"),
        key: if url { s3_url_decode(&key) } else { key },
        upload_id: root.text_or_empty("UploadId"),
        storage_class: root.child_text("StorageClass").map(|s| s.trim().to_string()),
        part_number_marker: root.child_num("PartNumberMarker").unwrap_or(0),
        next_part_number_marker: root.child_num("NextPartNumberMarker"),
        max_parts: root.child_num("MaxParts").unwrap_or(1000),
        is_truncated: root.child_bool("IsTruncated"),
        parts: root
            .children_named("Part")
            .filter_map(|p| {
                Some(PartInfo {
                    part_number: p.child_num("PartNumber")?,
                    last_modified: p.child_time("LastModified"),
                    etag: p.text_or_empty("ETag"),
                    size: p.child_num("Size").unwrap_or(0),
                    checksums: checksums_of(p),
                })
            })
            .collect(),
    })
}

/// The result of CopyObject (`CopyObjectResult`) or UploadPartCopy (`CopyPartResult`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyResult {
    pub etag: String,
    pub last_modified: Option<u64>,
    pub checksums: Vec<(String, String)>,
}

fn copy_xml(root: &str, r: &CopyResult) -> String {
    let mut w = XmlWriter::new();
    w.open_ns(root, S3_NS);
    if let Some(t) = r.last_modified {
        w.time("LastModified", t);
    }
    w.elem("ETag", &r.etag);
    write_checksums(&mut w, &r.checksums);
    w.close(root);
    w.finish()
}

pub fn copy_object_result_xml(r: &CopyResult) -> String {
    copy_xml("CopyObjectResult", r)
}

pub fn copy_part_result_xml(r: &CopyResult) -> String {
    copy_xml("CopyPartResult", r)
}

/// Parse a `CopyObjectResult` or `CopyPartResult` (S3 may answer 200 with `<Error>`).
pub fn parse_copy_result(xml: &str) -> Result<CopyResult, S3Error> {
    let root = match store_doc(xml, "CopyObjectResult") {
        Ok(r) => r,
        Err(_) => store_doc(xml, "CopyPartResult")?,
    };
    Ok(CopyResult { etag: root.text_or_empty("ETag"), last_modified: root.child_time("LastModified"), checksums: checksums_of(&root) })
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadInfo {
    pub key: String,
    pub upload_id: String,
    pub initiated: Option<u64>,
    pub storage_class: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListMultipartUploadsResult {
    pub bucket: String,
    pub prefix: String,
    pub delimiter: Option<String>,
    pub key_marker: String,
    pub upload_id_marker: String,
    pub next_key_marker: Option<String>,
    pub next_upload_id_marker: Option<String>,
    pub max_uploads: u32,
    pub is_truncated: bool,
    pub uploads: Vec<UploadInfo>,
    pub common_prefixes: Vec<String>,
}

/// Parse the store's `ListMultipartUploadsResult` (keys decoded when `EncodingType=url`).
pub fn parse_list_multipart_uploads(xml: &str) -> Result<ListMultipartUploadsResult, S3Error> {
    let root = store_doc(xml, "ListMultipartUploadsResult")?;
    let url = root.child_text("EncodingType").is_some_and(|e| e.trim() == "url");
    let dec = |s: &str| if url { s3_url_decode(s) } else { s.to_string() };
    Ok(ListMultipartUploadsResult {
        bucket: root.text_or_empty("Bucket"),
        prefix: dec(root.child_text("Prefix").unwrap_or("")),
        delimiter: root.child_text("Delimiter").filter(|d| !d.is_empty()).map(dec),
        key_marker: dec(root.child_text("KeyMarker").unwrap_or("")),
        upload_id_marker: root.text_or_empty("UploadIdMarker"),
        next_key_marker: root.child_text("NextKeyMarker").filter(|d| !d.is_empty()).map(dec),
        next_upload_id_marker: root.child_text("NextUploadIdMarker").filter(|d| !d.is_empty()).map(str::to_string),
        max_uploads: root.child_num("MaxUploads").unwrap_or(1000),
        is_truncated: root.child_bool("IsTruncated"),
        uploads: root
            .children_named("Upload")
            .map(|u| UploadInfo {
                key: dec(u.child_text("Key").unwrap_or("")),
                upload_id: u.text_or_empty("UploadId"),
                initiated: u.child_time("Initiated"),
                storage_class: u.child_text("StorageClass").map(|s| s.trim().to_string()),
            })
            .filter(|u| !u.upload_id.is_empty())
            .collect(),
        common_prefixes: root.children_named("CommonPrefixes").filter_map(|c| c.child_text("Prefix")).map(dec).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn escape_round_trips_controls() {
        let s = "a&b<c>\"d'\r\n\t\u{1}é";
        let doc = format!("<a>{}</a>", escape(s));
        assert_eq!(parse(&doc).unwrap().text, s);
    }

    #[test]
    fn url_encoding_like_s3() {
        assert_eq!(s3_url_encode("photos/2006/a b+c&é*~"), "photos/2006/a+b%2Bc%26%C3%A9*%7E");
        assert_eq!(s3_url_decode("photos/2006/a+b%2Bc%26%C3%A9*%7E"), "photos/2006/a b+c&é*~");
    }

    #[test]
    fn errors() {
        let x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message><Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>";
        assert_eq!(parse_error(x), Some(("NoSuchKey".into(), "The resource you requested does not exist".into())));
        assert_eq!(parse_error("<ListBucketResult/>"), None);
        assert_eq!(parse_error("<Error><Message>m</Message></Error>"), None);
        assert_eq!(parse_error("garbage"), None);
        let e = store_error("NoSuchUpload", "gone");
        assert_eq!((e.status, e.code), (404, "NoSuchUpload"));
        let e = store_error("WeirdSeaweedThing", "x");
        assert_eq!(e.status, 502);
    }
}

// ---------------------------------------------------------------- DeleteObjects

/// One key of a `DeleteObjects` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectToDelete {
    pub key: String,
    pub version_id: Option<String>,
}

/// S3 accepts at most this many keys in one `DeleteObjects` request.
pub const MAX_DELETE_KEYS: usize = 1000;

/// Parse a client's `<Delete><Quiet>..</Quiet><Object><Key>..</Key><VersionId>..</VersionId></Object>...</Delete>`.
pub fn parse_delete_request(body: &str) -> Result<(bool, Vec<ObjectToDelete>), S3Error> {
    let root = parse(body).ok_or_else(malformed_xml)?;
    if root.name != "Delete" {
        return Err(malformed_xml());
    }
    let mut objects = Vec::new();
    for o in root.children_named("Object") {
        let key = o.child_text("Key").ok_or_else(malformed_xml)?.to_string();
        if key.is_empty() {
            return Err(malformed_xml());
        }
        let version_id = o.child_text("VersionId").map(str::to_string).filter(|v| !v.is_empty());
        objects.push(ObjectToDelete { key, version_id });
    }
    if objects.is_empty() || objects.len() > MAX_DELETE_KEYS {
        return Err(malformed_xml());
    }
    Ok((root.child_bool("Quiet"), objects))
}

/// The `Delete` document for the store.
pub fn delete_request_xml(quiet: bool, objects: &[ObjectToDelete]) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("Delete", S3_NS).boolean("Quiet", quiet);
    for o in objects {
        w.open("Object").elem("Key", &o.key).opt("VersionId", o.version_id.as_deref()).close("Object");
    }
    w.close("Delete");
    w.finish()
}

/// What a `DeleteObjects` answer reports: keys deleted, and keys that failed with a code and message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteResult {
    pub deleted: Vec<ObjectToDelete>,
    pub errors: Vec<(ObjectToDelete, String, String)>,
}

pub fn parse_delete_result(xml: &str) -> Result<DeleteResult, S3Error> {
    let root = store_doc(xml, "DeleteResult")?;
    let obj = |e: &Element| ObjectToDelete {
        key: e.text_or_empty("Key"),
        version_id: e.child_text("VersionId").map(str::to_string).filter(|v| !v.is_empty()),
    };
    Ok(DeleteResult {
        deleted: root.children_named("Deleted").map(obj).collect(),
        errors: root.children_named("Error").map(|e| (obj(e), e.text_or_empty("Code"), e.text_or_empty("Message"))).collect(),
    })
}

pub fn delete_result_xml(r: &DeleteResult, quiet: bool) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("DeleteResult", S3_NS);
    if !quiet {
        for d in &r.deleted {
            w.open("Deleted").elem("Key", &d.key).opt("VersionId", d.version_id.as_deref()).close("Deleted");
        }
    }
    for (o, code, message) in &r.errors {
        w.open("Error")
            .elem("Key", &o.key)
            .opt("VersionId", o.version_id.as_deref())
            .elem("Code", code)
            .elem("Message", message)
            .close("Error");
    }
    w.close("DeleteResult");
    w.finish()
}

/// `GetBucketLocation`: empty for us-east-1, as S3 answers.
pub fn location_xml(region: &str) -> String {
    let r = if region == "us-east-1" { "" } else { region };
    format!("{XML_DECL}<LocationConstraint xmlns=\"{S3_NS}\">{}</LocationConstraint>", escape(r))
}

#[cfg(test)]
mod delete_tests {
    use super::*;

    #[test]
    fn delete_request_round_trip() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>
            <Object><Key>a &amp; b.txt</Key></Object><Object><Key>c</Key><VersionId>v1</VersionId></Object></Delete>"#;
        let (quiet, objs) = parse_delete_request(body).unwrap();
        assert!(quiet);
        assert_eq!(
            objs,
            vec![
                ObjectToDelete { key: "a & b.txt".into(), version_id: None },
                ObjectToDelete { key: "c".into(), version_id: Some("v1".into()) }
            ]
        );
        let again = parse_delete_request(&delete_request_xml(quiet, &objs)).unwrap();
        assert_eq!(again, (true, objs));
        assert!(parse_delete_request("<Delete></Delete>").is_err());
        assert!(parse_delete_request("<Nope/>").is_err());
    }

    #[test]
    fn delete_result_round_trip() {
        let r = DeleteResult {
            deleted: vec![ObjectToDelete { key: "x<y".into(), version_id: None }],
            errors: vec![(ObjectToDelete { key: "z".into(), version_id: None }, "AccessDenied".into(), "no".into())],
        };
        let xml = delete_result_xml(&r, false);
        assert_eq!(parse_delete_result(&xml).unwrap(), r);
        let quiet = parse_delete_result(&delete_result_xml(&r, true)).unwrap();
        assert!(quiet.deleted.is_empty() && quiet.errors.len() == 1);
        assert!(location_xml("us-east-1")
            .contains("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>"));
        assert!(location_xml("eu-west-1").contains(">eu-west-1<"));
    }
}
