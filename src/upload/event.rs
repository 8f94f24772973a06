//! The upload-complete event the gateway posts to the configured webhook.

/// One upload-complete event (like S3's event notifications).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadEvent<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    /// Bytes written, when known.
    pub size: Option<u64>,
    pub etag: &'a str,
    pub content_type: Option<&'a str>,
    /// Who wrote it (`Principal::label`).
    pub who: &'a str,
    /// Unix seconds.
    pub now: u64,
    /// How it was written: `put`, `multipart`, `copy`.
    pub via: &'a str,
}

/// The JSON body of an upload-complete event.
pub fn upload_event(e: &UploadEvent<'_>) -> String {
    crate::json!({
        "event": "ObjectCreated",
        "via": e.via,
        "bucket": e.bucket,
        "key": e.key,
        "size": e.size,
        "etag": e.etag,
        "content_type": e.content_type,
        "who": e.who,
        "time": crate::time::iso8601(e.now),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_json() {
        let e = UploadEvent {
            bucket: "b",
            key: "up/a \"b\".txt",
            size: Some(12),
            etag: "\"e\"",
            content_type: None,
            who: "token:k",
            now: 0,
            via: "multipart",
        };
        let v: serde_json::Value = serde_json::from_str(&upload_event(&e)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "event": "ObjectCreated",
                "via": "multipart",
                "bucket": "b",
                "key": "up/a \"b\".txt",
                "size": 12,
                "etag": "\"e\"",
                "content_type": null,
                "who": "token:k",
                "time": "1970-01-01T00:00:00Z",
            })
        );
        let v: serde_json::Value = serde_json::from_str(&upload_event(&UploadEvent { size: None, ..e })).unwrap();
        assert_eq!(v["size"], serde_json::Value::Null);
    }
}
