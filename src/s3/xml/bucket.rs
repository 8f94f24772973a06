//! Bucket-level documents: `LocationConstraint` (GetBucketLocation), `ListAllMyBucketsResult`
//! (ListBuckets) and the store's `ListMultipartUploadsResult`.

use super::store_errors::store_doc;
use super::writer::{XmlWriter, S3_NS, XML_DECL};
use crate::encoding::xml_escape as escape;
use crate::s3::error::S3Error;
use crate::s3::listing::s3_url_decode;

/// `GetBucketLocation`: empty for us-east-1, as S3 answers.
pub fn location_xml(region: &str) -> String {
    let r = if region == "us-east-1" { "" } else { region };
    format!("{XML_DECL}<LocationConstraint xmlns=\"{S3_NS}\">{}</LocationConstraint>", escape(r))
}

/// The creation date ListBuckets reports for every bucket (buckets are configured, not created).
pub const BUCKET_CREATION_DATE: &str = "2026-01-01T00:00:00.000Z";

/// `ListAllMyBucketsResult` (ListBuckets): the buckets `names`, owned by `bagroom`.
pub fn list_buckets_xml<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("ListAllMyBucketsResult", S3_NS);
    w.open("Owner").elem("ID", "bagroom").elem("DisplayName", "bagroom").close("Owner");
    w.open("Buckets");
    for name in names {
        w.open("Bucket").elem("Name", name).elem("CreationDate", BUCKET_CREATION_DATE).close("Bucket");
    }
    w.close("Buckets").close("ListAllMyBucketsResult");
    w.finish()
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
    fn location() {
        assert!(location_xml("us-east-1")
            .contains("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>"));
        assert!(location_xml("eu-west-1").contains(">eu-west-1<"));
    }

    #[test]
    fn list_buckets() {
        assert_eq!(
            list_buckets_xml(["photos", "a&b"]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>bagroom</ID><DisplayName>bagroom</DisplayName></Owner><Buckets>\
             <Bucket><Name>photos</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>\
             <Bucket><Name>a&amp;b</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>\
             </Buckets></ListAllMyBucketsResult>"
        );
        let none = list_buckets_xml([]);
        assert!(none.ends_with("<Buckets></Buckets></ListAllMyBucketsResult>"), "{none}");
    }
}
