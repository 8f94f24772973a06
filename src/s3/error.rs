//! S3-style errors: one type that every core module returns and the shell renders
//! as S3 XML (for S3 clients) or JSON (for the demo API).

use std::fmt;

/// An S3 error: the `Code` S3 would send, a human message, the HTTP status,
/// and optional extra elements (e.g. `CanonicalRequest`, `StringToSign`) that
/// S3 itself includes in the error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    pub code: &'static str,
    pub message: String,
    pub status: u16,
    /// Extra `<Name>value</Name>` elements, in order.
    pub extra: Vec<(&'static str, String)>,
}

impl S3Error {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        S3Error { code, message: message.into(), status, extra: Vec::new() }
    }
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(403, "AccessDenied", message)
    }
    pub fn no_such_key() -> Self {
        Self::new(404, "NoSuchKey", "The specified key does not exist.")
    }
    pub fn no_such_bucket(bucket: &str) -> Self {
        Self::new(404, "NoSuchBucket", "The specified bucket does not exist.").with("BucketName", bucket)
    }
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidArgument", message)
    }
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidRequest", message)
    }
    pub fn method_not_allowed() -> Self {
        Self::new(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    }
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(501, "NotImplemented", message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(500, "InvalidConfiguration", message)
    }
    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self::new(502, "BadGateway", message)
    }
    pub fn gateway_timeout(message: impl Into<String>) -> Self {
        Self::new(504, "GatewayTimeout", message)
    }

    /// The S3 XML error document. `resource` and `request_id` are added as S3 does.
    pub fn to_xml(&self, resource: &str, request_id: &str) -> String {
        let mut s = String::with_capacity(256);
        s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
        s.push_str(self.code);
        s.push_str("</Code><Message>");
        s.push_str(&crate::encoding::xml_escape(&self.message));
        s.push_str("</Message>");
        for (k, v) in &self.extra {
            s.push('<');
            s.push_str(k);
            s.push('>');
            s.push_str(&crate::encoding::xml_escape(v));
            s.push_str("</");
            s.push_str(k);
            s.push('>');
        }
        if !resource.is_empty() {
            s.push_str("<Resource>");
            s.push_str(&crate::encoding::xml_escape(resource));
            s.push_str("</Resource>");
        }
        s.push_str("<RequestId>");
        s.push_str(&crate::encoding::xml_escape(request_id));
        s.push_str("</RequestId></Error>");
        s
    }

    /// The JSON error body for the demo API: `{"error":{"code":..,"message":..}}`.
    pub fn to_json(&self) -> String {
        serde_json::json!({"error": {"code": self.code, "message": self.message, "status": self.status}}).to_string()
    }
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for S3Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_and_orders_elements() {
        let e = S3Error::new(403, "SignatureDoesNotMatch", "a<b").with("StringToSign", "x&y");
        let x = e.to_xml("/b/k", "rid");
        assert!(x.contains(
            "<Code>SignatureDoesNotMatch</Code><Message>a&lt;b</Message><StringToSign>x&amp;y</StringToSign><Resource>/b/k</Resource>"
        ));
    }

    #[test]
    fn json_has_code_and_message() {
        let v: serde_json::Value = serde_json::from_str(&S3Error::no_such_key().to_json()).unwrap();
        assert_eq!(v["error"]["code"], "NoSuchKey");
        assert_eq!(v["error"]["status"], 404);
    }
}
