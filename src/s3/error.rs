//! S3-style errors: one type that every core module returns and the shell renders
//! as S3 XML (for S3 clients) or JSON (for the demo API).

use std::fmt;

macro_rules! codes {
    ($($name:ident = $status:literal, $relay:literal, $msg:literal;)*) => {
        /// An S3 error code: its name on the wire ([`Code::as_str`]), its HTTP status
        /// ([`Code::status`]) and S3's standard message ([`Code::message`]).
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($name,)*
        }

        impl Code {
            /// Every code, in name order.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            /// The code as S3 writes it in `<Code>`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => stringify!($name),)*
                }
            }

            /// The HTTP status S3 answers with for this code.
            pub const fn status(self) -> u16 {
                match self {
                    $(Code::$name => $status,)*
                }
            }

            /// S3's standard message for this code.
            pub const fn message(self) -> &'static str {
                match self {
                    $(Code::$name => $msg,)*
                }
            }

            /// Is this a code a store may send that bagroom relays as is ([`Code::from_store`])?
            const fn relayed(self) -> bool {
                match self {
                    $(Code::$name => $relay,)*
                }
            }
        }
    };
}

// name = status, relayed from the store, S3's standard message;
codes! {
    AccessDenied = 403, true, "Access Denied";
    AuthorizationHeaderMalformed = 400, false, "The authorization header you provided is invalid.";
    AuthorizationQueryParametersError = 400, false, "The query parameters you provided are invalid.";
    BadDigest = 400, true, "The Content-MD5 you specified did not match what we received.";
    BadGateway = 502, false, "The gateway got an invalid answer from the store.";
    BadRequest = 400, true, "Bad Request";
    BucketAlreadyExists = 409, true, "The requested bucket name is not available.";
    BucketAlreadyOwnedByYou = 409, true, "Your previous request to create the named bucket succeeded and you already own it.";
    BucketNotEmpty = 409, true, "The bucket you tried to delete is not empty.";
    ConditionalRequestConflict = 409, true, "Conflict";
    EntityTooLarge = 400, true, "Your proposed upload exceeds the maximum allowed object size.";
    EntityTooSmall = 400, true, "Your proposed upload is smaller than the minimum allowed object size.";
    GatewayTimeout = 504, false, "The gateway timed out waiting for the store.";
    IncompleteBody = 400, true, "You did not provide the number of bytes specified by the Content-Length HTTP header.";
    InternalError = 500, true, "We encountered an internal error. Please try again.";
    InvalidAccessKeyId = 403, false, "The AWS Access Key Id you provided does not exist in our records.";
    InvalidArgument = 400, true, "Invalid Argument";
    InvalidBucketName = 400, true, "The specified bucket is not valid.";
    InvalidConfiguration = 500, false, "The gateway's configuration is invalid.";
    InvalidDigest = 400, true, "The Content-MD5 you specified was invalid.";
    InvalidObjectState = 403, true, "The operation is not valid for the current state of the object.";
    InvalidPart = 400, true, "One or more of the specified parts could not be found.";
    InvalidPartNumber = 416, true, "The requested partnumber is not satisfiable";
    InvalidPartOrder = 400, true, "The list of parts was not in ascending order. Parts must be ordered by part number.";
    InvalidRange = 416, true, "The requested range is not satisfiable";
    InvalidRequest = 400, true, "Invalid Request";
    InvalidStorageClass = 400, true, "Invalid storage class";
    InvalidTag = 400, true, "The Tag value you have provided is invalid";
    KeyTooLongError = 400, true, "Your key is too long.";
    MalformedDate = 400, true, "Invalid date.";
    MalformedPOSTRequest = 400, true, "The body of your POST request is not well-formed multipart/form-data.";
    MalformedTrailerError = 400, false, "The request contained trailing data that was not well-formed or did not conform to our published schema.";
    MalformedXML = 400, true, "The XML you provided was not well-formed or did not validate against our published schema";
    MaxMessageLengthExceeded = 400, false, "Your request was too big.";
    MaxPostPreDataLengthExceededError = 400, true, "Your POST request fields preceding the upload file were too large.";
    MetadataTooLarge = 400, true, "Your metadata headers exceed the maximum allowed metadata size.";
    MethodNotAllowed = 405, true, "The specified method is not allowed against this resource.";
    MissingContentLength = 411, true, "You must provide the Content-Length HTTP header.";
    MissingRequestBodyError = 400, true, "Request Body is empty";
    NoSuchBucket = 404, true, "The specified bucket does not exist.";
    NoSuchKey = 404, true, "The specified key does not exist.";
    NoSuchTagSet = 404, true, "No TagSet";
    NoSuchUpload = 404, true, "The specified multipart upload does not exist.";
    NoSuchVersion = 404, true, "The version ID specified in the request does not match an existing version.";
    NotFound = 404, false, "Not Found";
    NotImplemented = 501, true, "A header you provided implies functionality that is not implemented.";
    OperationAborted = 409, true, "Conflict";
    PreconditionFailed = 412, true, "At least one of the pre-conditions you specified did not hold";
    RequestTimeTooSkewed = 403, false, "The difference between the request time and the current time is too large.";
    RequestTimeout = 400, true, "Your socket connection to the server was not read from or written to within the timeout period.";
    ServiceUnavailable = 503, true, "Reduce your request rate.";
    SignatureDoesNotMatch = 403, false, "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    SlowDown = 503, true, "Please reduce your request rate.";
    XAmzContentSHA256Mismatch = 400, true, "The provided 'x-amz-content-sha256' header does not match what was computed.";
}

impl Code {
    /// A store's error code, when bagroom relays it (keeping the code and its S3 status);
    /// `None` for codes it does not (the caller answers 502 `BadGateway` naming it).
    pub fn from_store(code: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.relayed() && c.as_str() == code)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// As the `&'static str` it replaced (`"AccessDenied"`), so `{:?}` of an error reads the same.
impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::ops::Deref for Code {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Code> for str {
    fn eq(&self, other: &Code) -> bool {
        self == other.as_str()
    }
}

impl From<Code> for &'static str {
    fn from(c: Code) -> &'static str {
        c.as_str()
    }
}

/// An S3 error: the [`Code`] S3 would send, a human message, the HTTP status (the code's own
/// unless relayed from the store, [`S3Error::with_status`]), and optional extra elements (e.g. `CanonicalRequest`, `StringToSign`) that
/// S3 itself includes in the error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    pub code: Code,
    pub message: String,
    pub status: u16,
    /// Extra `<Name>value</Name>` elements, in order.
    pub extra: Vec<(&'static str, String)>,
}

impl S3Error {
    /// `code` with S3's standard message.
    pub fn of(code: Code) -> Self {
        Self::with_message(code, code.message())
    }
    /// `code` with its own status and `message`.
    pub fn with_message(code: Code, message: impl Into<String>) -> Self {
        S3Error { code, message: message.into(), status: code.status(), extra: Vec::new() }
    }
    /// The same error answered with another status (a store's status relayed).
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::with_message(Code::AccessDenied, message)
    }
    pub fn no_such_key() -> Self {
        Self::of(Code::NoSuchKey)
    }
    pub fn no_such_bucket(bucket: &str) -> Self {
        Self::of(Code::NoSuchBucket).with("BucketName", bucket)
    }
    pub fn invalid_bucket_name(bucket: &str) -> Self {
        Self::of(Code::InvalidBucketName).with("BucketName", bucket)
    }
    pub fn bucket_already_owned(bucket: &str) -> Self {
        Self::of(Code::BucketAlreadyOwnedByYou).with("BucketName", bucket)
    }
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::with_message(Code::InvalidArgument, message)
    }
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::with_message(Code::InvalidRequest, message)
    }
    pub fn method_not_allowed() -> Self {
        Self::of(Code::MethodNotAllowed)
    }
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::with_message(Code::NotImplemented, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::with_message(Code::InternalError, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::with_message(Code::InvalidConfiguration, message)
    }
    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self::with_message(Code::BadGateway, message)
    }
    pub fn gateway_timeout(message: impl Into<String>) -> Self {
        Self::with_message(Code::GatewayTimeout, message)
    }
    /// A 404 `NotFound` for a path no route serves (demo API, shell).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::with_message(Code::NotFound, message)
    }
    /// An upload larger than `limit` bytes, S3's wording, with `MaxSizeAllowed`.
    pub fn entity_too_large(limit: u64) -> Self {
        Self::of(Code::EntityTooLarge).with("MaxSizeAllowed", limit.to_string())
    }
    /// A body that ended (or went on) otherwise than declared: `message` says how.
    pub fn incomplete_body(message: impl Into<String>) -> Self {
        Self::with_message(Code::IncompleteBody, message)
    }
    /// A body shorter than its `Content-Length`, S3's wording.
    pub fn body_shorter_than_declared() -> Self {
        Self::of(Code::IncompleteBody)
    }
    /// No `Content-Length` where one is required, S3's wording.
    pub fn missing_content_length() -> Self {
        Self::of(Code::MissingContentLength)
    }
    /// A buffered request body over `cap` bytes.
    pub fn max_message_length_exceeded(cap: usize) -> Self {
        Self::with_message(Code::MaxMessageLengthExceeded, format!("Your request was too big (at most {cap} bytes)."))
    }
    /// 416 for an object of `total` bytes: `RangeRequested` (the client's header, when known)
    /// then `ActualObjectSize`, in the order S3 writes them.
    pub fn invalid_range(total: u64, range_requested: Option<&str>) -> Self {
        let e = Self::of(Code::InvalidRange);
        let e = match range_requested {
            Some(r) => e.with("RangeRequested", r),
            None => e,
        };
        e.with("ActualObjectSize", total.to_string())
    }
    /// 412, with `<Condition>If-Match</Condition>` (etc.) when the failing condition is known.
    pub fn precondition_failed(condition: Option<&str>) -> Self {
        let e = Self::of(Code::PreconditionFailed);
        match condition {
            Some(c) => e.with("Condition", c),
            None => e,
        }
    }
    /// A body whose SHA-256 differs from the signed `x-amz-content-sha256`.
    pub fn content_sha256_mismatch(client_computed: &str, s3_computed: &str) -> Self {
        Self::of(Code::XAmzContentSHA256Mismatch)
            .with("ClientComputedContentSHA256", client_computed)
            .with("S3ComputedContentSHA256", s3_computed)
    }
    /// S3's `MalformedXML` for a client's body.
    pub fn malformed_xml() -> Self {
        Self::of(Code::MalformedXML)
    }

    /// The S3 XML error document. `resource` and `request_id` are added as S3 does.
    pub fn to_xml(&self, resource: &str, request_id: &str) -> String {
        let mut s = String::with_capacity(256);
        s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
        s.push_str(self.code.as_str());
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
    /// A short page for a person who opened a share link that does not work: what it means for
    /// them, then the code and message (escaped; no script, nothing loaded).
    pub fn to_html(&self) -> String {
        let what = match self.code {
            Code::NoSuchKey | Code::NoSuchBucket | Code::NotFound => "The file it points to is not there any more.",
            _ if crate::text::contains(&self.message, "expired") => "It has expired. Ask whoever sent it for a new one.",
            Code::AccessDenied => "It is not valid: it may have been mistyped, changed or revoked. Ask whoever sent it for a new one.",
            _ => "The file could not be fetched right now. Try again in a moment.",
        };
        let mut s = String::from(
            "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>This link does not work</title>\
             <body style=\"font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em\"><h1>This link does not work</h1><p>",
        );
        s.push_str(what);
        s.push_str("<p style=\"color:#555\">");
        s.push_str(self.code.as_str());
        s.push_str(": ");
        s.push_str(&crate::encoding::xml_escape(&self.message));
        s.push('\n');
        s
    }

    pub fn to_json(&self) -> String {
        crate::json!({"error": {"code": self.code.as_str(), "message": self.message, "status": self.status}}).to_string()
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
        let e = S3Error::with_message(Code::SignatureDoesNotMatch, "a<b").with("StringToSign", "x&y");
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

    /// Every code with the status S3 gives it (bagroom's own: `BadGateway`, `GatewayTimeout`,
    /// `InvalidConfiguration`, `NotFound`).
    const STATUSES: &[(&str, u16)] = &[
        ("AccessDenied", 403),
        ("AuthorizationHeaderMalformed", 400),
        ("AuthorizationQueryParametersError", 400),
        ("BadDigest", 400),
        ("BadGateway", 502),
        ("BadRequest", 400),
        ("BucketAlreadyExists", 409),
        ("BucketAlreadyOwnedByYou", 409),
        ("BucketNotEmpty", 409),
        ("ConditionalRequestConflict", 409),
        ("EntityTooLarge", 400),
        ("EntityTooSmall", 400),
        ("GatewayTimeout", 504),
        ("IncompleteBody", 400),
        ("InternalError", 500),
        ("InvalidAccessKeyId", 403),
        ("InvalidArgument", 400),
        ("InvalidBucketName", 400),
        ("InvalidConfiguration", 500),
        ("InvalidDigest", 400),
        ("InvalidObjectState", 403),
        ("InvalidPart", 400),
        ("InvalidPartNumber", 416),
        ("InvalidPartOrder", 400),
        ("InvalidRange", 416),
        ("InvalidRequest", 400),
        ("InvalidStorageClass", 400),
        ("InvalidTag", 400),
        ("KeyTooLongError", 400),
        ("MalformedDate", 400),
        ("MalformedPOSTRequest", 400),
        ("MalformedTrailerError", 400),
        ("MalformedXML", 400),
        ("MaxMessageLengthExceeded", 400),
        ("MaxPostPreDataLengthExceededError", 400),
        ("MetadataTooLarge", 400),
        ("MethodNotAllowed", 405),
        ("MissingContentLength", 411),
        ("MissingRequestBodyError", 400),
        ("NoSuchBucket", 404),
        ("NoSuchKey", 404),
        ("NoSuchTagSet", 404),
        ("NoSuchUpload", 404),
        ("NoSuchVersion", 404),
        ("NotFound", 404),
        ("NotImplemented", 501),
        ("OperationAborted", 409),
        ("PreconditionFailed", 412),
        ("RequestTimeTooSkewed", 403),
        ("RequestTimeout", 400),
        ("ServiceUnavailable", 503),
        ("SignatureDoesNotMatch", 403),
        ("SlowDown", 503),
        ("XAmzContentSHA256Mismatch", 400),
    ];

    /// The codes a store's `<Error>` keeps (the table `s3::xml` had before the enum).
    const RELAYED: &[&str] = &[
        "AccessDenied",
        "BadDigest",
        "BadRequest",
        "BucketAlreadyExists",
        "BucketAlreadyOwnedByYou",
        "BucketNotEmpty",
        "ConditionalRequestConflict",
        "EntityTooLarge",
        "EntityTooSmall",
        "IncompleteBody",
        "InternalError",
        "InvalidArgument",
        "InvalidBucketName",
        "InvalidDigest",
        "InvalidObjectState",
        "InvalidPart",
        "InvalidPartNumber",
        "InvalidPartOrder",
        "InvalidRange",
        "InvalidRequest",
        "InvalidStorageClass",
        "InvalidTag",
        "KeyTooLongError",
        "MalformedDate",
        "MalformedPOSTRequest",
        "MalformedXML",
        "MaxPostPreDataLengthExceededError",
        "MetadataTooLarge",
        "MethodNotAllowed",
        "MissingContentLength",
        "MissingRequestBodyError",
        "NoSuchBucket",
        "NoSuchKey",
        "NoSuchTagSet",
        "NoSuchUpload",
        "NoSuchVersion",
        "NotImplemented",
        "OperationAborted",
        "PreconditionFailed",
        "RequestTimeout",
        "ServiceUnavailable",
        "SlowDown",
        "XAmzContentSHA256Mismatch",
    ];

    #[test]
    fn every_code_has_its_status_and_a_message() {
        let got: Vec<(&str, u16)> = Code::ALL.iter().map(|c| (c.as_str(), c.status())).collect();
        assert_eq!(got, STATUSES);
        for &c in Code::ALL {
            assert!(!c.message().is_empty(), "{c}");
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(format!("{c:?}"), format!("{:?}", c.as_str()));
            let e = S3Error::of(c);
            assert_eq!((e.status, e.message.as_str()), (c.status(), c.message()));
            assert!(e.extra.is_empty());
        }
        assert_eq!(S3Error::with_message(Code::InvalidRequest, "m").with_status(409).status, 409);
    }

    #[test]
    fn a_share_link_error_page_says_what_it_means_and_escapes_the_message() {
        let page = S3Error::access_denied("token expired").to_html();
        assert!(page.contains("It has expired") && page.contains("AccessDenied: token expired"), "{page}");
        assert!(S3Error::no_such_key().to_html().contains("not there any more"));
        assert!(S3Error::access_denied("bad signature").to_html().contains("not valid"));
        let hostile = S3Error::access_denied("<script>alert(1)</script>").to_html();
        assert!(!hostile.contains("<script>") && hostile.contains("&lt;script&gt;"), "{hostile}");
    }

    #[test]
    fn compares_with_str() {
        let e = S3Error::access_denied("x");
        assert_eq!(e.code, "AccessDenied");
        assert_eq!("AccessDenied", e.code);
        assert!(e.code != "NoSuchKey");
        assert_eq!(e.code, Code::AccessDenied);
    }

    #[test]
    fn store_lookup() {
        for &c in Code::ALL {
            let relayed = RELAYED.contains(&c.as_str());
            assert_eq!(Code::from_store(c.as_str()), relayed.then_some(c), "{c}");
        }
        assert_eq!(Code::from_store("NoSuchUpload").map(Code::status), Some(404));
        assert_eq!(Code::from_store("WeirdSeaweedThing"), None);
        assert_eq!(Code::from_store("nosuchkey"), None);
        assert_eq!(Code::from_store(""), None);
    }

    #[test]
    fn constructors() {
        let e = S3Error::entity_too_large(5);
        assert_eq!((e.status, e.code.as_str()), (400, "EntityTooLarge"));
        assert_eq!(e.message, "Your proposed upload exceeds the maximum allowed object size.");
        assert_eq!(e.extra, vec![("MaxSizeAllowed", "5".to_string())]);
        let e = S3Error::invalid_range(7, Some("bytes=9-"));
        assert_eq!(e.status, 416);
        assert_eq!(e.extra, vec![("RangeRequested", "bytes=9-".to_string()), ("ActualObjectSize", "7".to_string())]);
        assert_eq!(S3Error::invalid_range(7, None).extra, vec![("ActualObjectSize", "7".to_string())]);
        let e = S3Error::precondition_failed(Some("If-Match"));
        assert_eq!((e.status, e.extra.len()), (412, 1));
        assert!(S3Error::precondition_failed(None).extra.is_empty());
        let e = S3Error::content_sha256_mismatch("a", "b");
        assert_eq!((e.status, e.code.as_str()), (400, "XAmzContentSHA256Mismatch"));
        assert_eq!(e.extra, vec![("ClientComputedContentSHA256", "a".to_string()), ("S3ComputedContentSHA256", "b".to_string())]);
        assert_eq!(S3Error::missing_content_length().status, 411);
        assert_eq!(S3Error::incomplete_body("x").message, "x");
        assert_eq!(S3Error::body_shorter_than_declared().code, "IncompleteBody");
        let e = S3Error::max_message_length_exceeded(9);
        assert_eq!((e.status, e.message.as_str()), (400, "Your request was too big (at most 9 bytes)."));
        assert_eq!(S3Error::not_found("n").status, 404);
    }

    #[test]
    fn renders_exactly() {
        let e = S3Error::no_such_bucket("b&c");
        assert_eq!(
            e.to_xml("/b", "r1"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist.</Message><BucketName>b&amp;c</BucketName><Resource>/b</Resource><RequestId>r1</RequestId></Error>"
        );
        assert!(!S3Error::no_such_key().to_xml("", "r").contains("<Resource>"));
        assert_eq!(
            S3Error::with_message(Code::InvalidRange, "a\"b").with_status(400).to_json(),
            r#"{"error":{"code":"InvalidRange","message":"a\"b","status":400}}"#
        );
        assert_eq!(S3Error::of(Code::SlowDown).to_string(), "SlowDown (503): Please reduce your request rate.");
    }
}
