//! S3 XML: the documents bagroom reads from the store and writes to clients. (Listings:
//! [`crate::s3::listing`], which also holds S3's `EncodingType=url` encoding.)
//!
//! - [`reader`]: a small tolerant parser ([`parse`] → [`Element`])
//! - [`writer`]: [`XmlWriter`] and the S3 namespace (escaping is [`crate::encoding::xml_escape`])
//! - [`store_errors`]: the store's `<Error>` relayed as an `S3Error`, and the store-document check
//! - [`checksums`]: the `Checksum*` elements of multipart and copy documents
//! - [`multipart`], [`copy`], [`delete`], [`bucket`], [`tagging`], [`versions`]: one file per document family
//!
//! Every item is re-exported here (`crate::s3::xml::parse_list_parts`); modules inside `xml/`
//! import each other directly, never through these re-exports.

pub mod bucket;
pub mod checksums;
pub mod copy;
pub mod delete;
pub mod multipart;
pub mod reader;
pub mod store_errors;
pub mod tagging;
pub mod versions;
pub mod writer;

pub use self::bucket::{
    list_buckets_xml, list_multipart_uploads_result_xml, list_multipart_uploads_xml, location_xml, parse_list_buckets,
    parse_list_multipart_uploads, ListMultipartUploadsResult, UploadInfo, BUCKET_CREATION_DATE,
};
pub use self::checksums::CHECKSUM_ELEMENTS;
pub use self::copy::{copy_object_result_xml, copy_part_result_xml, parse_copy_result, CopyResult};
pub use self::delete::{
    delete_request_xml, delete_result_xml, parse_delete_request, parse_delete_result, DeleteResult, ObjectToDelete, MAX_DELETE_KEYS,
};
pub use self::multipart::{
    complete_multipart_upload_result_xml, complete_multipart_upload_xml, initiate_multipart_upload_xml, list_parts_xml,
    parse_complete_multipart_upload, parse_complete_multipart_upload_result, parse_initiate_multipart_upload, parse_list_parts,
    CompleteMultipartUploadResult, CompletedPart, InitiateMultipartUpload, ListPartsResult, PartInfo,
};
pub use self::reader::{decode_entities, parse, parse_bytes, Element, MAX_DEPTH};
pub use self::store_errors::{malformed_xml, parse_error, store_doc, store_error, store_error_with_status};
pub use self::tagging::{parse_tagging, tagging_xml, Tag, MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE};
pub use self::versions::{
    hide_version_owners, list_versions_for_client, list_versions_xml, parse_list_versions, versioning_for_client, ListVersionsResult,
    VersionEntry, VersionsRequest,
};
pub use self::writer::{XmlWriter, S3_NS, XML_DECL};
pub use crate::encoding::xml_escape as escape;
pub use crate::s3::listing::{s3_url_decode, s3_url_encode};
