//! A small XML writer (escaping: [`crate::encoding::xml_escape`]) and the constants S3 documents start with.

use crate::encoding::xml_escape as escape;
use crate::time::iso8601_millis;

/// The S3 XML namespace.
pub const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// The declaration S3 starts its documents with.
pub const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

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
