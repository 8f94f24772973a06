//! The `x-amz-copy-source` header of CopyObject and UploadPartCopy:
//! `[/]<bucket>/<key>[?versionId=<id>]`, URL-encoded. The query part is split off the raw value
//! before decoding, so a key containing an encoded `?` stays a key.

use crate::encoding::{parse_query, percent_decode};
use crate::s3::error::S3Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    /// The gateway's bucket name (as clients see it).
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

fn malformed() -> S3Error {
    S3Error::invalid_argument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
}

pub fn parse(header: &str) -> Result<CopySource, S3Error> {
    let raw = header.trim();
    let (path, query) = match raw.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (raw, None),
    };
    let path = percent_decode(path);
    let path = path.strip_prefix('/').unwrap_or(&path);
    let (bucket, key) = path.split_once('/').ok_or_else(malformed)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(malformed());
    }
    let mut version_id = None;
    if let Some(q) = query {
        for (k, v) in parse_query(q) {
            if k == "versionId" && !v.is_empty() {
                version_id = Some(v);
            } else {
                return Err(S3Error::invalid_argument(format!("unsupported copy source parameter {k:?}")));
            }
        }
    }
    Ok(CopySource { bucket: bucket.to_string(), key: key.to_string(), version_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_clients_send() {
        assert_eq!(parse("/b/a/b.txt").unwrap(), CopySource { bucket: "b".into(), key: "a/b.txt".into(), version_id: None });
        assert_eq!(parse("b/a%20b%3Fc").unwrap().key, "a b?c");
        assert_eq!(parse("b/k?versionId=v%2B1").unwrap().version_id.as_deref(), Some("v+1"));
        assert!(parse("b").is_err());
        assert!(parse("/b/").is_err());
        assert!(parse("//k").is_err());
        assert!(parse("b/k?acl").is_err());
    }
}
