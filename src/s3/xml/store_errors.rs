//! Errors in XML documents: the store's `<Error>` relayed as an [`S3Error`] (the codes bagroom
//! relays: [`Code::from_store`]), the check every store document goes through ([`store_doc`]), and S3's
//! `MalformedXML` for a client's body.

use super::reader::{parse, Element};
use crate::s3::error::{Code, S3Error};

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

/// Relay a store's error `code`/`message` as an [`S3Error`]: known codes keep their code and
/// S3 status; an unknown code becomes a 502 `BadGateway` naming it.
pub fn store_error(code: &str, message: &str) -> S3Error {
    match Code::from_store(code) {
        Some(c) => S3Error::with_message(c, message),
        None => S3Error::bad_gateway(format!("store error {code}: {message}")),
    }
}

/// Relay a store's error answered with HTTP `status` (4xx: 5xx are the caller's 502): a known
/// code keeps its code with the store's status; an unknown one keeps the store's status (a
/// client error stays a client error, which SDKs do not retry) as `InvalidRequest` naming it.
pub fn store_error_with_status(code: &str, message: &str, status: u16) -> S3Error {
    match Code::from_store(code) {
        Some(c) => S3Error::with_message(c, message).with_status(status),
        None if (400..500).contains(&status) => S3Error::invalid_request(format!("store error {code}: {message}")).with_status(status),
        None => store_error(code, message),
    }
}

/// A store answer that should be a `root_name` document: its root element, or the store's
/// `<Error>` relayed ([`store_error`]), or a 502 when it is malformed or another document.
pub fn store_doc(xml: &str, root_name: &str) -> Result<Element, S3Error> {
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
    S3Error::malformed_xml()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors() {
        let x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message><Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>";
        assert_eq!(parse_error(x), Some(("NoSuchKey".into(), "The resource you requested does not exist".into())));
        assert_eq!(parse_error("<ListBucketResult/>"), None);
        assert_eq!(parse_error("<Error><Message>m</Message></Error>"), None);
        assert_eq!(parse_error("garbage"), None);
        let e = store_error("NoSuchUpload", "gone");
        assert_eq!((e.status, e.code.as_str()), (404, "NoSuchUpload"));
        let e = store_error("WeirdSeaweedThing", "x");
        assert_eq!(e.status, 502);
        // with the store's status: a client error stays one, with its code when bagroom knows it
        let e = store_error_with_status("MalformedDate", "bad Expires", 400);
        assert_eq!((e.status, e.code.as_str(), e.message.as_str()), (400, "MalformedDate", "bad Expires"));
        let e = store_error_with_status("InvalidStorageClass", "x", 400);
        assert_eq!((e.status, e.code.as_str()), (400, "InvalidStorageClass"));
        let e = store_error_with_status("WeirdSeaweedThing", "x", 409);
        assert_eq!((e.status, e.code.as_str()), (409, "InvalidRequest"));
        assert!(e.message.contains("WeirdSeaweedThing"));
        assert_eq!(store_error_with_status("WeirdSeaweedThing", "x", 200).status, 502);
    }
}
