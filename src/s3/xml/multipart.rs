//! Multipart upload documents: `InitiateMultipartUploadResult`, the client's
//! `CompleteMultipartUpload` and the store's `CompleteMultipartUploadResult`, and `ListPartsResult`.

use super::checksums::{checksums_of, write_checksums};
use super::reader::parse_strict;
use super::store_errors::{malformed_xml, store_doc};
use super::writer::{XmlWriter, S3_NS};
use crate::s3::error::{Code, S3Error};
use crate::s3::listing::s3_url_decode;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitiateMultipartUpload {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
}

pub fn initiate_multipart_upload_xml(r: &InitiateMultipartUpload) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("InitiateMultipartUploadResult", S3_NS)
        .elem("Bucket", &r.bucket)
        .elem("Key", &r.key)
        .elem("UploadId", &r.upload_id)
        .close("InitiateMultipartUploadResult");
    w.finish()
}

pub fn parse_initiate_multipart_upload(xml: &str) -> Result<InitiateMultipartUpload, S3Error> {
    let root = store_doc(xml, "InitiateMultipartUploadResult")?;
    let upload_id = root.text_or_empty("UploadId").trim().to_string();
    if upload_id.is_empty() {
        return Err(S3Error::bad_gateway("store sent InitiateMultipartUploadResult without UploadId"));
    }
    Ok(InitiateMultipartUpload { bucket: root.text_or_empty("Bucket"), key: root.text_or_empty("Key"), upload_id })
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompleteMultipartUploadResult {
    pub location: String,
    pub bucket: String,
    pub key: String,
    /// Quoted, as S3 writes it (`"...-3"`).
    pub etag: String,
    pub checksums: Vec<(String, String)>,
    /// `ChecksumType` (`COMPOSITE`, `FULL_OBJECT`) of a checksummed upload, as the store says.
    pub checksum_type: Option<String>,
}

pub fn complete_multipart_upload_result_xml(r: &CompleteMultipartUploadResult) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("CompleteMultipartUploadResult", S3_NS)
        .elem("Location", &r.location)
        .elem("Bucket", &r.bucket)
        .elem("Key", &r.key)
        .elem("ETag", &r.etag);
    write_checksums(&mut w, &r.checksums);
    w.opt("ChecksumType", r.checksum_type.as_deref());
    w.close("CompleteMultipartUploadResult");
    w.finish()
}

/// Parse the store's answer to CompleteMultipartUpload. S3 may answer 200 with an `<Error>`
/// body: that comes back as `Err` with the store's code.
pub fn parse_complete_multipart_upload_result(xml: &str) -> Result<CompleteMultipartUploadResult, S3Error> {
    let root = store_doc(xml, "CompleteMultipartUploadResult")?;
    Ok(CompleteMultipartUploadResult {
        location: root.text_or_empty("Location"),
        bucket: root.text_or_empty("Bucket"),
        key: root.text_or_empty("Key"),
        etag: root.text_or_empty("ETag"),
        checksums: checksums_of(&root),
        checksum_type: root.child_text("ChecksumType").map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
    })
}

/// One part the client lists in `CompleteMultipartUpload`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: u32,
    /// As the client sent it (usually quoted).
    pub etag: String,
    pub checksums: Vec<(String, String)>,
}

/// Parse a client's `CompleteMultipartUpload` body. `MalformedXML` for a bad document or no
/// parts; `InvalidArgument` for a part number outside 1..=10000; `InvalidPartOrder` when
/// part numbers descend, or one attempt (number and ETag) is named twice. A part number may
/// repeat with different ETags (a client that re-sent a part and recorded both attempts): the
/// store accepts that and takes one attempt per number, so the list goes to it as it is.
pub fn parse_complete_multipart_upload(body: &str) -> Result<Vec<CompletedPart>, S3Error> {
    let root = parse_strict(body).ok_or_else(malformed_xml)?;
    if root.name != "CompleteMultipartUpload" {
        return Err(malformed_xml());
    }
    let mut parts = Vec::new();
    for p in root.children_named("Part") {
        let n: u32 = p.child_num("PartNumber").ok_or_else(malformed_xml)?;
        if !(1..=10000).contains(&n) {
            return Err(S3Error::invalid_argument("Part number must be an integer between 1 and 10000, inclusive"));
        }
        let etag = p.child_text("ETag").map(str::trim).filter(|e| !e.is_empty()).ok_or_else(malformed_xml)?;
        parts.push(CompletedPart { part_number: n, etag: etag.to_string(), checksums: checksums_of(p) });
    }
    if parts.is_empty() {
        return Err(malformed_xml());
    }
    if parts.windows(2).any(|w| w.first().map(|a| a.part_number) > w.get(1).map(|b| b.part_number)) {
        return Err(S3Error::of(Code::InvalidPartOrder));
    }
    // the same attempt named twice is no re-sent part, only a list that repeats itself
    let bare = |e: &str| crate::text::trim_start_matches(e.trim(), "W/").trim_matches('"').to_string();
    let mut named: Vec<(u32, String)> = parts.iter().map(|p| (p.part_number, bare(&p.etag))).collect();
    crate::sort::sort(&mut named);
    if named.windows(2).any(|w| w.first() == w.get(1)) {
        return Err(S3Error::of(Code::InvalidPartOrder));
    }
    Ok(parts)
}

/// Write a `CompleteMultipartUpload` body (to forward to the store).
pub fn complete_multipart_upload_xml(parts: &[CompletedPart]) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("CompleteMultipartUpload", S3_NS);
    for p in parts {
        w.open("Part");
        write_checksums(&mut w, &p.checksums);
        w.elem("ETag", &p.etag).num("PartNumber", p.part_number).close("Part");
    }
    w.close("CompleteMultipartUpload");
    w.finish()
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartInfo {
    pub part_number: u32,
    pub last_modified: Option<u64>,
    pub etag: String,
    pub size: u64,
    pub checksums: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPartsResult {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub storage_class: Option<String>,
    pub part_number_marker: u32,
    pub next_part_number_marker: Option<u32>,
    pub max_parts: u32,
    pub is_truncated: bool,
    pub parts: Vec<PartInfo>,
}

/// `ListPartsResult` in S3's element order (Initiator/Owner omitted).
pub fn list_parts_xml(r: &ListPartsResult) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("ListPartsResult", S3_NS).elem("Bucket", &r.bucket).elem("Key", &r.key).elem("UploadId", &r.upload_id);
    w.opt("StorageClass", r.storage_class.as_deref());
    w.num("PartNumberMarker", r.part_number_marker);
    if let Some(n) = r.next_part_number_marker {
        w.num("NextPartNumberMarker", n);
    }
    w.num("MaxParts", r.max_parts).boolean("IsTruncated", r.is_truncated);
    for p in &r.parts {
        w.open("Part").num("PartNumber", p.part_number);
        if let Some(t) = p.last_modified {
            w.time("LastModified", t);
        }
        w.elem("ETag", &p.etag).num("Size", p.size);
        write_checksums(&mut w, &p.checksums);
        w.close("Part");
    }
    w.close("ListPartsResult");
    w.finish()
}

pub fn parse_list_parts(xml: &str) -> Result<ListPartsResult, S3Error> {
    let root = store_doc(xml, "ListPartsResult")?;
    let url = root.child_text("EncodingType").is_some_and(|e| e.trim() == "url");
    let key = root.text_or_empty("Key");
    Ok(ListPartsResult {
        bucket: root.text_or_empty("Bucket"),
        key: if url { s3_url_decode(&key) } else { key },
        upload_id: root.text_or_empty("UploadId"),
        storage_class: root.child_text("StorageClass").map(|s| s.trim().to_string()),
        part_number_marker: root.child_num("PartNumberMarker").unwrap_or(0),
        next_part_number_marker: root.child_num("NextPartNumberMarker"),
        max_parts: root.child_num("MaxParts").unwrap_or(1000),
        is_truncated: root.child_bool("IsTruncated"),
        parts: root
            .children_named("Part")
            .filter_map(|p| {
                Some(PartInfo {
                    part_number: p.child_num("PartNumber")?,
                    last_modified: p.child_time("LastModified"),
                    etag: p.text_or_empty("ETag"),
                    size: p.child_num("Size").unwrap_or(0),
                    checksums: checksums_of(p),
                })
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(parts: &[u32]) -> String {
        let p: String =
            parts.iter().enumerate().map(|(i, n)| format!("<Part><PartNumber>{n}</PartNumber><ETag>\"e{n}-{i}\"</ETag></Part>")).collect();
        format!("<CompleteMultipartUpload>{p}</CompleteMultipartUpload>")
    }

    #[test]
    fn a_repeated_part_number_goes_to_the_store_as_sent() {
        // a client that re-sent part 1 and recorded both attempts: the store takes it
        let parts = parse_complete_multipart_upload(&doc(&[1, 1, 2, 3])).unwrap();
        assert_eq!(parts.iter().map(|p| p.part_number).collect::<Vec<_>>(), [1, 1, 2, 3]);
        let forwarded = complete_multipart_upload_xml(&parts);
        assert_eq!(forwarded.matches("<PartNumber>1</PartNumber>").count(), 2);
        assert_eq!(parse_complete_multipart_upload(&forwarded).unwrap(), parts);
        // descending numbers stay refused, as the store refuses them
        for bad in [&[2, 1, 3][..], &[1, 2, 3, 1], &[3, 3, 2]] {
            assert_eq!(parse_complete_multipart_upload(&doc(bad)).unwrap_err().code, Code::InvalidPartOrder, "{bad:?}");
        }
        // the same attempt twice (quoted or not) is refused: no re-sent part, only a repeated entry
        let twice = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag></Part><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>";
        assert_eq!(parse_complete_multipart_upload(twice).unwrap_err().code, Code::InvalidPartOrder);
        // also when another attempt of the same number stands between them
        let apart = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part><Part><PartNumber>1</PartNumber><ETag>b</ETag></Part><Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part></CompleteMultipartUpload>";
        assert_eq!(parse_complete_multipart_upload(apart).unwrap_err().code, Code::InvalidPartOrder);
        let distinct = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>b</ETag></Part><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part><Part><PartNumber>2</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>";
        assert_eq!(parse_complete_multipart_upload(distinct).unwrap().len(), 3);
    }

    #[test]
    fn the_stores_checksums_and_checksum_type_come_back() {
        // SeaweedFS's answer to a CRC32 FULL_OBJECT upload
        let store = r#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://127.0.0.1:22333/b/raw-CRC32</Location><Bucket>b</Bucket><Key>raw-CRC32</Key><ETag>&#34;62109206880d38a4010a98e11243924a-1&#34;</ETag><ChecksumCRC32>NhCmhg==</ChecksumCRC32><ChecksumType>FULL_OBJECT</ChecksumType></CompleteMultipartUploadResult>"#;
        let r = parse_complete_multipart_upload_result(store).unwrap();
        assert_eq!(r.etag, "\"62109206880d38a4010a98e11243924a-1\"");
        assert_eq!(r.checksums, vec![("ChecksumCRC32".to_string(), "NhCmhg==".to_string())]);
        assert_eq!(r.checksum_type.as_deref(), Some("FULL_OBJECT"));
        let out = complete_multipart_upload_result_xml(&r);
        assert!(out.contains("<ETag>&quot;62109206880d38a4010a98e11243924a-1&quot;</ETag><ChecksumCRC32>NhCmhg==</ChecksumCRC32><ChecksumType>FULL_OBJECT</ChecksumType></CompleteMultipartUploadResult>"), "{out}");
        assert_eq!(parse_complete_multipart_upload_result(&out).unwrap(), r);
        // an upload without checksums: no elements
        let plain = CompleteMultipartUploadResult { etag: "\"x-2\"".into(), ..Default::default() };
        let out = complete_multipart_upload_result_xml(&plain);
        assert!(!out.contains("Checksum"), "{out}");
    }
}
