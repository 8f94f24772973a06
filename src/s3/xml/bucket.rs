//! Bucket-level documents: `LocationConstraint` (GetBucketLocation), `ListAllMyBucketsResult`
//! (ListBuckets) and the store's `ListMultipartUploadsResult`.

use super::store_errors::store_doc;
use super::writer::{XmlWriter, S3_NS, XML_DECL};
use crate::encoding::xml_escape as escape;
use crate::s3::error::S3Error;
use crate::s3::listing::{owner_in, s3_url_decode, s3_url_encode, write_owner, Owner};

/// `GetBucketLocation`: empty for us-east-1, as S3 answers.
pub fn location_xml(region: &str) -> String {
    let r = if region == "us-east-1" { "" } else { region };
    format!("{XML_DECL}<LocationConstraint xmlns=\"{S3_NS}\">{}</LocationConstraint>", escape(r))
}

/// The creation date ListBuckets reports for configured buckets (configured, not created).
pub const BUCKET_CREATION_DATE: &str = "2026-01-01T00:00:00.000Z";

/// `ListAllMyBucketsResult` (ListBuckets): the buckets `(name, creation date)`, owned by `bagroom`.
pub fn list_buckets_xml<'a>(buckets: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("ListAllMyBucketsResult", S3_NS);
    w.open("Owner").elem("ID", "bagroom").elem("DisplayName", "bagroom").close("Owner");
    w.open("Buckets");
    for (name, created) in buckets {
        w.open("Bucket").elem("Name", name).elem("CreationDate", created).close("Bucket");
    }
    w.close("Buckets").close("ListAllMyBucketsResult");
    w.finish()
}

/// The store's `ListAllMyBucketsResult`: each bucket's name and creation date (as the store
/// wrote it; [`BUCKET_CREATION_DATE`] where it wrote none).
pub fn parse_list_buckets(xml: &str) -> Result<Vec<(String, String)>, S3Error> {
    let root = store_doc(xml, "ListAllMyBucketsResult")?;
    let Some(buckets) = root.child("Buckets") else { return Ok(Vec::new()) };
    Ok(buckets
        .children_named("Bucket")
        .filter_map(|b| {
            let name = b.child_text("Name")?.to_string();
            let created = b.child_text("CreationDate").filter(|d| !d.is_empty()).unwrap_or(BUCKET_CREATION_DATE).to_string();
            Some((name, created))
        })
        .collect())
}

/// One upload of a `ListMultipartUploadsResult` (key decoded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadInfo {
    pub key: String,
    pub upload_id: String,
    pub initiated: Option<u64>,
    pub storage_class: Option<String>,
    pub initiator: Option<Owner>,
    pub owner: Option<Owner>,
}

/// A `ListMultipartUploadsResult`, with keys, prefixes, delimiter and key markers always decoded;
/// `encoding_type_url` says whether the document it came from / will go to uses `EncodingType=url`.
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
    pub encoding_type_url: bool,
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
                initiator: owner_in(u, "Initiator"),
                owner: owner_in(u, "Owner"),
            })
            .filter(|u| !u.upload_id.is_empty())
            .collect(),
        common_prefixes: root.children_named("CommonPrefixes").filter_map(|c| c.child_text("Prefix")).map(dec).collect(),
        encoding_type_url: url,
    })
}

/// A `ListMultipartUploadsResult` in S3's element order. With `encoding_type_url`, keys,
/// prefixes, delimiter and key markers are url-encoded and `EncodingType` says so.
pub fn list_multipart_uploads_result_xml(r: &ListMultipartUploadsResult) -> String {
    let url = r.encoding_type_url;
    let enc = |s: &str| if url { s3_url_encode(s) } else { s.to_string() };
    let mut w = XmlWriter::new();
    w.open_ns("ListMultipartUploadsResult", S3_NS)
        .elem("Bucket", &r.bucket)
        .elem("KeyMarker", &enc(&r.key_marker))
        .elem("UploadIdMarker", &r.upload_id_marker);
    w.opt("NextKeyMarker", r.next_key_marker.as_deref().map(enc).as_deref());
    w.opt("NextUploadIdMarker", r.next_upload_id_marker.as_deref());
    w.elem("Prefix", &enc(&r.prefix));
    w.opt("Delimiter", r.delimiter.as_deref().map(enc).as_deref());
    w.num("MaxUploads", r.max_uploads).boolean("IsTruncated", r.is_truncated);
    for u in &r.uploads {
        w.open("Upload").elem("Key", &enc(&u.key)).elem("UploadId", &u.upload_id);
        if let Some(o) = &u.initiator {
            write_owner(&mut w, "Initiator", o);
        }
        if let Some(o) = &u.owner {
            write_owner(&mut w, "Owner", o);
        }
        w.opt("StorageClass", u.storage_class.as_deref());
        if let Some(t) = u.initiated {
            w.time("Initiated", t);
        }
        w.close("Upload");
    }
    for p in &r.common_prefixes {
        w.open("CommonPrefixes").elem("Prefix", &enc(p)).close("CommonPrefixes");
    }
    if url {
        w.elem("EncodingType", "url");
    }
    w.close("ListMultipartUploadsResult");
    w.finish()
}

/// ListMultipartUploads for a client: the store's `ListMultipartUploadsResult` parsed and written
/// again naming the public `bucket` (the store's `<Error>` and malformed answers are `Err`).
pub fn list_multipart_uploads_xml(store_xml: &str, bucket: &str) -> Result<String, S3Error> {
    let mut doc = parse_list_multipart_uploads(store_xml)?;
    doc.bucket = bucket.to_string();
    Ok(list_multipart_uploads_result_xml(&doc))
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
            list_buckets_xml([("photos", BUCKET_CREATION_DATE), ("a&b", BUCKET_CREATION_DATE)]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>bagroom</ID><DisplayName>bagroom</DisplayName></Owner><Buckets>\
             <Bucket><Name>photos</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>\
             <Bucket><Name>a&amp;b</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>\
             </Buckets></ListAllMyBucketsResult>"
        );
        let none = list_buckets_xml([]);
        assert!(none.ends_with("<Buckets></Buckets></ListAllMyBucketsResult>"), "{none}");
    }

    #[test]
    fn the_stores_bucket_list_is_read() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>x</ID></Owner><Buckets>
<Bucket><Name>a&amp;b</Name><CreationDate>2026-11-30T10:00:00Z</CreationDate></Bucket><Bucket><Name>c</Name></Bucket><Bucket></Bucket>
</Buckets></ListAllMyBucketsResult>"#;
        assert_eq!(
            parse_list_buckets(xml).unwrap(),
            vec![("a&b".to_string(), "2026-11-30T10:00:00Z".to_string()), ("c".to_string(), BUCKET_CREATION_DATE.to_string())]
        );
        assert!(parse_list_buckets("<Error><Code>AccessDenied</Code></Error>").is_err());
        assert!(parse_list_buckets("not xml").is_err());
    }

    const STORE_UPLOADS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>store</Bucket>
  <KeyMarker></KeyMarker>
  <UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>photos/2006/b.jpg</NextKeyMarker>
  <NextUploadIdMarker>id-2</NextUploadIdMarker>
  <Delimiter>/</Delimiter>
  <Prefix>photos/2006/</Prefix>
  <MaxUploads>2</MaxUploads>
  <IsTruncated>true</IsTruncated>
  <Upload>
    <Key>photos/2006/a &amp; b.jpg</Key>
    <UploadId>id-1</UploadId>
    <Initiator><ID>arn:aws:iam::111122223333:user/u</ID><DisplayName>u</DisplayName></Initiator>
    <Owner><ID>75aa57f09aa0c8ca</ID><DisplayName>OwnerDisplayName</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
  <Upload>
    <Key>photos/2006/b.jpg</Key>
    <UploadId>id-2</UploadId>
    <Initiated>2010-11-10T20:48:34Z</Initiated>
  </Upload>
  <CommonPrefixes><Prefix>photos/2006/feb/</Prefix></CommonPrefixes>
</ListMultipartUploadsResult>"#;

    #[test]
    fn list_multipart_uploads_rewritten_for_the_public_bucket() {
        let out = list_multipart_uploads_xml(STORE_UPLOADS, "public").unwrap();
        assert_eq!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Bucket>public</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>\
             <NextKeyMarker>photos/2006/b.jpg</NextKeyMarker><NextUploadIdMarker>id-2</NextUploadIdMarker>\
             <Prefix>photos/2006/</Prefix><Delimiter>/</Delimiter><MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>\
             <Upload><Key>photos/2006/a &amp; b.jpg</Key><UploadId>id-1</UploadId>\
             <Initiator><ID>arn:aws:iam::111122223333:user/u</ID><DisplayName>u</DisplayName></Initiator>\
             <Owner><ID>75aa57f09aa0c8ca</ID><DisplayName>OwnerDisplayName</DisplayName></Owner>\
             <StorageClass>STANDARD</StorageClass><Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>\
             <Upload><Key>photos/2006/b.jpg</Key><UploadId>id-2</UploadId><Initiated>2010-11-10T20:48:34.000Z</Initiated></Upload>\
             <CommonPrefixes><Prefix>photos/2006/feb/</Prefix></CommonPrefixes></ListMultipartUploadsResult>"
        );
        // everything but the bucket survives the rewrite
        let (store, public) = (parse_list_multipart_uploads(STORE_UPLOADS).unwrap(), parse_list_multipart_uploads(&out).unwrap());
        assert_eq!(store.bucket, "store");
        assert_eq!(public, ListMultipartUploadsResult { bucket: "public".into(), ..store });
        assert_eq!(public.uploads[0].initiator, Some(Owner { id: "arn:aws:iam::111122223333:user/u".into(), display_name: "u".into() }));
        assert_eq!(public.uploads[1].owner, None);
    }

    #[test]
    fn list_multipart_uploads_keeps_url_encoding() {
        let store = "<ListMultipartUploadsResult><Bucket>store</Bucket><KeyMarker>k%C3%A9</KeyMarker><Prefix>a+b/</Prefix>\
                     <Delimiter>%2F</Delimiter><EncodingType>url</EncodingType><Upload><Key>a+b/c%26d</Key><UploadId>x</UploadId></Upload>\
                     <CommonPrefixes><Prefix>a+b/e%3F/</Prefix></CommonPrefixes></ListMultipartUploadsResult>";
        let doc = parse_list_multipart_uploads(store).unwrap();
        assert!(doc.encoding_type_url);
        assert_eq!((doc.key_marker.as_str(), doc.prefix.as_str(), doc.delimiter.as_deref()), ("ké", "a b/", Some("/")));
        assert_eq!((doc.uploads[0].key.as_str(), doc.common_prefixes[0].as_str()), ("a b/c&d", "a b/e?/"));
        let out = list_multipart_uploads_xml(store, "public").unwrap();
        for part in [
            "<KeyMarker>k%C3%A9</KeyMarker>",
            "<Prefix>a+b/</Prefix><Delimiter>/</Delimiter>",
            "<Key>a+b/c%26d</Key>",
            "<Prefix>a+b/e%3F/</Prefix>",
            "</CommonPrefixes><EncodingType>url</EncodingType></ListMultipartUploadsResult>",
        ] {
            assert!(out.contains(part), "{part} in {out}");
        }
        assert_eq!(parse_list_multipart_uploads(&out).unwrap(), ListMultipartUploadsResult { bucket: "public".into(), ..doc });
        assert!(!list_multipart_uploads_xml(STORE_UPLOADS, "p").unwrap().contains("EncodingType"));
    }

    #[test]
    fn list_multipart_uploads_store_errors() {
        let e = list_multipart_uploads_xml("<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>", "p").unwrap_err();
        assert_eq!((e.status, e.code.as_str(), e.message.as_str()), (404, "NoSuchBucket", "gone"));
        assert_eq!(list_multipart_uploads_xml("garbage", "p").unwrap_err().status, 502);
        assert_eq!(list_multipart_uploads_xml("<ListBucketResult/>", "p").unwrap_err().status, 502);
        // an empty listing still names the bucket and says it is complete
        let out = list_multipart_uploads_xml("<ListMultipartUploadsResult/>", "a&b").unwrap();
        assert!(
            out.contains("<Bucket>a&amp;b</Bucket>") && out.contains("<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"),
            "{out}"
        );
    }
}
