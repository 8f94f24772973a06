//! What the store layer hands the shell to send: one request to one store.

/// A request ready to send: method, absolute URL and every header (signature included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Take the answer's body exactly as the store sends it, never decoded by its
    /// `Content-Encoding`: an object's bytes are the object (a gzip-encoded object is served
    /// gzip bytes, with its length, and ranges count those bytes), as S3 does.
    pub raw_body: bool,
}
