//! Bucket versioning documents: the store's `ListVersionsResult` (ListObjectVersions), read and
//! written again for the client naming the public bucket, and the query it answers.

use super::store_errors::store_doc;
use super::writer::{XmlWriter, S3_NS};
use crate::s3::error::S3Error;
use crate::s3::listing::{owner_in, s3_url_decode, s3_url_encode, write_owner, ListRequest, Owner};

/// A ListObjectVersions query: the listing part (prefix, delimiter, max-keys, encoding-type,
/// validated as ListObjects validates them, and clamped to the credential's scope) and the
/// version markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionsRequest {
    pub list: ListRequest,
    pub key_marker: Option<String>,
    pub version_id_marker: Option<String>,
}

impl VersionsRequest {
    /// From the decoded query `pairs` and the listing part already parsed (and clamped).
    pub fn new(list: ListRequest, pairs: &[(String, String)]) -> Self {
        let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
        VersionsRequest { list, key_marker: get("key-marker"), version_id_marker: get("version-id-marker") }
    }

    /// The query to send to the store (decoded pairs; keys always asked url-encoded).
    pub fn store_query(&self) -> Vec<(String, String)> {
        let mut q: Vec<(String, String)> = vec![("versions".into(), String::new())];
        let mut push = |k: &str, v: &str| q.push((k.to_string(), v.to_string()));
        if let Some(d) = &self.list.delimiter {
            push("delimiter", d);
        }
        push("encoding-type", "url");
        if let Some(m) = &self.key_marker {
            push("key-marker", m);
        }
        push("max-keys", &self.list.max_keys.to_string());
        push("prefix", &self.list.prefix);
        if let Some(m) = &self.version_id_marker {
            push("version-id-marker", m);
        }
        q
    }
}

/// One `Version` or `DeleteMarker` of a listing (key decoded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionEntry {
    pub delete_marker: bool,
    pub key: String,
    pub version_id: String,
    pub is_latest: bool,
    /// As the store wrote it.
    pub last_modified: Option<String>,
    pub etag: Option<String>,
    pub size: Option<u64>,
    pub storage_class: Option<String>,
    pub checksum_algorithms: Vec<String>,
    pub owner: Option<Owner>,
}

/// A `ListVersionsResult`, keys, prefixes, delimiter and key markers decoded; versions and delete
/// markers in the store's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListVersionsResult {
    pub name: String,
    pub prefix: String,
    pub delimiter: Option<String>,
    pub key_marker: String,
    pub version_id_marker: String,
    pub next_key_marker: Option<String>,
    pub next_version_id_marker: Option<String>,
    pub max_keys: u32,
    pub is_truncated: bool,
    pub entries: Vec<VersionEntry>,
    pub common_prefixes: Vec<String>,
    pub encoding_type_url: bool,
}

/// Parse the store's `ListVersionsResult` (the store's `<Error>` and other documents are `Err`).
pub fn parse_list_versions(xml: &str) -> Result<ListVersionsResult, S3Error> {
    let root = store_doc(xml, "ListVersionsResult")?;
    let url = root.child_text("EncodingType").is_some_and(|e| e.trim().eq_ignore_ascii_case("url"));
    let dec = |s: &str| if url { s3_url_decode(s) } else { s.to_string() };
    let some = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let entries = root
        .children
        .iter()
        .filter(|c| c.name == "Version" || c.name == "DeleteMarker")
        .map(|v| VersionEntry {
            delete_marker: v.name == "DeleteMarker",
            key: dec(v.child_text("Key").unwrap_or("")),
            version_id: v.text_or_empty("VersionId").trim().to_string(),
            is_latest: v.child_bool("IsLatest"),
            last_modified: some(v.child_text("LastModified")),
            etag: v.child_text("ETag").map(str::to_string),
            size: v.child_num("Size"),
            storage_class: some(v.child_text("StorageClass")),
            checksum_algorithms: v.children_named("ChecksumAlgorithm").map(|c| c.text.trim().to_string()).collect(),
            owner: owner_in(v, "Owner"),
        })
        .collect();
    Ok(ListVersionsResult {
        name: root.text_or_empty("Name"),
        prefix: dec(root.child_text("Prefix").unwrap_or("")),
        delimiter: root.child_text("Delimiter").filter(|d| !d.is_empty()).map(dec),
        key_marker: dec(root.child_text("KeyMarker").unwrap_or("")),
        version_id_marker: root.text_or_empty("VersionIdMarker"),
        next_key_marker: root.child_text("NextKeyMarker").filter(|d| !d.is_empty()).map(dec),
        next_version_id_marker: some(root.child_text("NextVersionIdMarker")),
        max_keys: root.child_num("MaxKeys").unwrap_or(crate::s3::listing::MAX_KEYS),
        is_truncated: root.child_bool("IsTruncated"),
        entries,
        common_prefixes: root.children_named("CommonPrefixes").filter_map(|c| c.child_text("Prefix")).map(dec).collect(),
        encoding_type_url: url,
    })
}

/// The store's owner ids are the store's business: the gateway is every version's owner.
pub fn hide_version_owners(r: &mut ListVersionsResult) {
    for o in r.entries.iter_mut().filter_map(|e| e.owner.as_mut()) {
        *o = Owner { id: "bagroom".into(), display_name: "bagroom".into() };
    }
}

/// A `ListVersionsResult` in S3's element order; with `encoding_type_url` keys, prefixes,
/// delimiter and key markers are url-encoded and `EncodingType` says so.
pub fn list_versions_xml(r: &ListVersionsResult) -> String {
    let url = r.encoding_type_url;
    let enc = |s: &str| if url { s3_url_encode(s) } else { s.to_string() };
    let mut w = XmlWriter::new();
    w.open_ns("ListVersionsResult", S3_NS)
        .elem("Name", &r.name)
        .elem("Prefix", &enc(&r.prefix))
        .elem("KeyMarker", &enc(&r.key_marker))
        .elem("VersionIdMarker", &r.version_id_marker);
    w.opt("NextKeyMarker", r.next_key_marker.as_deref().map(enc).as_deref());
    w.opt("NextVersionIdMarker", r.next_version_id_marker.as_deref());
    w.num("MaxKeys", r.max_keys);
    w.opt("Delimiter", r.delimiter.as_deref().map(enc).as_deref());
    w.boolean("IsTruncated", r.is_truncated);
    for e in &r.entries {
        let name = if e.delete_marker { "DeleteMarker" } else { "Version" };
        w.open(name).elem("Key", &enc(&e.key)).elem("VersionId", &e.version_id).boolean("IsLatest", e.is_latest);
        w.opt("LastModified", e.last_modified.as_deref());
        w.opt("ETag", e.etag.as_deref());
        if let Some(s) = e.size {
            w.num("Size", s);
        }
        if let Some(o) = &e.owner {
            write_owner(&mut w, "Owner", o);
        }
        w.opt("StorageClass", e.storage_class.as_deref());
        for c in &e.checksum_algorithms {
            w.elem("ChecksumAlgorithm", c);
        }
        w.close(name);
    }
    for p in &r.common_prefixes {
        w.open("CommonPrefixes").elem("Prefix", &enc(p)).close("CommonPrefixes");
    }
    if url {
        w.elem("EncodingType", "url");
    }
    w.close("ListVersionsResult");
    w.finish()
}

/// ListObjectVersions for a client: the store's listing naming the public `bucket`, owners the
/// gateway's, encoded as the client asked (`encoding_type_url`).
pub fn list_versions_for_client(store_xml: &str, bucket: &str, encoding_type_url: bool) -> Result<String, S3Error> {
    let mut doc = parse_list_versions(store_xml)?;
    doc.name = bucket.to_string();
    doc.encoding_type_url = encoding_type_url;
    hide_version_owners(&mut doc);
    Ok(list_versions_xml(&doc))
}

/// GetBucketVersioning for a client: the store's `VersioningConfiguration` checked and relayed
/// (it names no bucket and no owner). An unversioned bucket's is empty, as S3's.
pub fn versioning_for_client(store_xml: &str) -> Result<String, S3Error> {
    let root = store_doc(store_xml, "VersioningConfiguration")?;
    let mut w = XmlWriter::new();
    w.open_ns("VersioningConfiguration", S3_NS);
    if let Some(s) = root.child_text("Status").map(str::trim).filter(|s| !s.is_empty()) {
        w.elem("Status", s);
    }
    if let Some(m) = root.child_text("MfaDelete").map(str::trim).filter(|s| !s.is_empty()) {
        w.elem("MfaDelete", m);
    }
    w.close("VersioningConfiguration");
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>store</Name><Prefix>up/</Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>
  <NextKeyMarker>up/b</NextKeyMarker><NextVersionIdMarker>v3</NextVersionIdMarker>
  <MaxKeys>3</MaxKeys><Delimiter>%2F</Delimiter><IsTruncated>true</IsTruncated>
  <DeleteMarker><Key>up/a+%26</Key><VersionId>v9</VersionId><IsLatest>true</IsLatest>
    <LastModified>2026-01-02T03:04:05.678Z</LastModified><Owner><ID>abc</ID><DisplayName>store</DisplayName></Owner></DeleteMarker>
  <Version><Key>up/a+%26</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest><LastModified>2026-01-01T00:00:00Z</LastModified>
    <ETag>"e2"</ETag><Size>5</Size><Owner><ID>abc</ID><DisplayName>store</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Version>
  <Version><Key>up/b</Key><VersionId>v3</VersionId><IsLatest>true</IsLatest><ETag>"e3"</ETag><Size>0</Size></Version>
  <CommonPrefixes><Prefix>up/c%3F/</Prefix></CommonPrefixes>
  <EncodingType>url</EncodingType>
</ListVersionsResult>"#;

    #[test]
    fn the_store_listing_is_read_in_order_and_decoded() {
        let r = parse_list_versions(STORE).unwrap();
        assert_eq!((r.name.as_str(), r.prefix.as_str(), r.delimiter.as_deref()), ("store", "up/", Some("/")));
        assert_eq!((r.next_key_marker.as_deref(), r.next_version_id_marker.as_deref()), (Some("up/b"), Some("v3")));
        assert!(r.is_truncated && r.encoding_type_url && r.max_keys == 3);
        let ids: Vec<(&str, &str, bool, bool)> =
            r.entries.iter().map(|e| (e.key.as_str(), e.version_id.as_str(), e.is_latest, e.delete_marker)).collect();
        assert_eq!(ids, vec![("up/a &", "v9", true, true), ("up/a &", "v2", false, false), ("up/b", "v3", true, false)]);
        assert_eq!(r.entries[1].size, Some(5));
        assert_eq!(r.common_prefixes, vec!["up/c?/"]);
    }

    #[test]
    fn the_client_gets_the_public_bucket_and_the_gateway_as_owner() {
        let out = list_versions_for_client(STORE, "public", false).unwrap();
        assert!(out.contains("<Name>public</Name>") && !out.contains("store"), "{out}");
        assert!(!out.contains("<ID>abc</ID>") && out.contains("<Owner><ID>bagroom</ID><DisplayName>bagroom</DisplayName></Owner>"));
        assert!(out.contains("<Key>up/a &amp;</Key>") && !out.contains("EncodingType"), "{out}");
        // a delete marker stays a delete marker, before the version it hides
        let dm = out.find("<DeleteMarker><Key>up/a &amp;</Key><VersionId>v9</VersionId><IsLatest>true</IsLatest>").unwrap();
        assert!(dm < out.find("<VersionId>v2</VersionId>").unwrap());
        let back = parse_list_versions(&out).unwrap();
        let mut want = parse_list_versions(STORE).unwrap();
        want.name = "public".into();
        want.encoding_type_url = false;
        hide_version_owners(&mut want);
        assert_eq!(back, want);
        let enc = list_versions_for_client(STORE, "public", true).unwrap();
        assert!(enc.contains("<Key>up/a+%26</Key>") && enc.contains("<Delimiter>/</Delimiter>"), "{enc}");
        assert!(enc.ends_with("<EncodingType>url</EncodingType></ListVersionsResult>"), "{enc}");
    }

    #[test]
    fn store_errors_and_versioning_documents() {
        let e = list_versions_for_client("<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>", "p", false).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (404, "NoSuchBucket"));
        assert_eq!(list_versions_for_client("<ListBucketResult/>", "p", false).unwrap_err().status, 502);
        let on = versioning_for_client("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>").unwrap();
        assert!(on.ends_with("<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>"), "{on}");
        let off = versioning_for_client("<VersioningConfiguration/>").unwrap();
        assert!(
            off.ends_with("<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></VersioningConfiguration>"),
            "{off}"
        );
        assert_eq!(versioning_for_client("nope").unwrap_err().status, 502);
    }

    #[test]
    fn the_store_query_has_the_markers_and_asks_for_encoded_keys() {
        let pairs: Vec<(String, String)> =
            [("versions", ""), ("key-marker", "up/a"), ("version-id-marker", "v1"), ("version-id-marker", "v2")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let r = VersionsRequest::new(ListRequest { v2: false, prefix: "up/".into(), max_keys: 10, ..ListRequest::default() }, &pairs);
        let q: Vec<String> = r.store_query().iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(q, vec!["versions=", "encoding-type=url", "key-marker=up/a", "max-keys=10", "prefix=up/", "version-id-marker=v1"]);
    }
}
