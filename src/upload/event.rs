//! The upload-complete event the gateway posts to the configured webhook.

/// The JSON body of an upload-complete event (like S3's event notifications).
pub fn upload_event(
    bucket: &str,
    key: &str,
    size: Option<u64>,
    etag: &str,
    content_type: Option<&str>,
    who: &str,
    now: u64,
    via: &str,
) -> String {
    serde_json::json!({
        "event": "ObjectCreated",
        "via": via,
        "bucket": bucket,
        "key": key,
        "size": size,
        "etag": etag,
        "content_type": content_type,
        "who": who,
        "time": crate::time::iso8601(now),
    })
    .to_string()
}
