//! `CopyObjectResult` (CopyObject) and `CopyPartResult` (UploadPartCopy).

use super::checksums::{checksums_of, write_checksums};
use super::store_errors::store_doc;
use super::writer::{XmlWriter, S3_NS};
use crate::s3::error::S3Error;

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
