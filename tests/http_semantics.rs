//! HTTP semantics of downloads and the S3 XML documents: realistic S3 documents (as the
//! S3 API reference shows them), round trips, and "never panics" properties.

use bagroom::cache::policy::{self as cache_policy, CacheConfig, Storable};
use bagroom::http::conditional::{self, Outcome, Validators};
use bagroom::http::range::{self, RangeAnswer, RangeRequest};
use bagroom::http::Headers;
use bagroom::s3::listing::{self, ListResult, ObjectEntry, Owner};
use bagroom::s3::xml::{self, CompletedPart, CopyResult, ListPartsResult, PartInfo};
use proptest::prelude::*;

const LIST_V2: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>example-bucket</Name>
    <Prefix>photos/</Prefix>
    <ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>
    <NextContinuationToken>2ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
    <KeyCount>4</KeyCount>
    <MaxKeys>3</MaxKeys>
    <Delimiter>/</Delimiter>
    <IsTruncated>true</IsTruncated>
    <Contents>
        <Key>photos/sample.jpg</Key>
        <LastModified>2011-02-26T01:56:20.000Z</LastModified>
        <ETag>&quot;bf1d737a4d46a19f3bced6905cc8b902&quot;</ETag>
        <Size>142863</Size>
        <StorageClass>STANDARD</StorageClass>
    </Contents>
    <Contents>
        <Key>photos/Tom &amp; Jerry &lt;1940&gt; + friends é.png</Key>
        <LastModified>2011-02-26T01:56:20.000Z</LastModified>
        <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
        <Size>0</Size>
        <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>mtd@amazon.com</DisplayName></Owner>
        <StorageClass>STANDARD_IA</StorageClass>
    </Contents>
    <CommonPrefixes>
        <Prefix>photos/2006/</Prefix>
    </CommonPrefixes>
    <CommonPrefixes>
        <Prefix>photos/2007/</Prefix>
    </CommonPrefixes>
</ListBucketResult>"#;

const LIST_V2_URL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>example-bucket</Name><Prefix>my+docs%2F</Prefix><StartAfter>my+docs%2Fa%26b</StartAfter><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>%2F</Delimiter><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated><Contents><Key>my+docs/1%2B1%3D2+%C3%A9%0D.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents><CommonPrefixes><Prefix>my+docs/sub+dir/</Prefix></CommonPrefixes></ListBucketResult>"#;

const LIST_V1: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix/>
  <Marker>ExampleGuide.pdf</Marker>
  <NextMarker>my-image.jpg</NextMarker>
  <MaxKeys>1</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>my-image.jpg</Key>
    <LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
    <Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
    <Owner>
      <ID>8a6925ce4a7f21c32aa379004fef</ID>
      <DisplayName>mtd@amazon.com</DisplayName>
    </Owner>
  </Contents>
</ListBucketResult>"#;

#[test]
fn parses_s3_list_v2() {
    let r = listing::parse_list_bucket_result(LIST_V2).unwrap();
    assert_eq!(r.name, "example-bucket");
    assert_eq!(r.prefix, "photos/");
    assert_eq!(r.delimiter.as_deref(), Some("/"));
    assert_eq!((r.max_keys, r.key_count, r.is_truncated), (3, 4, true));
    assert_eq!(r.continuation_token.as_deref(), Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="));
    assert_eq!(r.next_continuation_token.as_deref(), Some("2ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="));
    assert_eq!(r.contents.len(), 2);
    let a = &r.contents[0];
    assert_eq!(a.key, "photos/sample.jpg");
    assert_eq!(a.etag, "\"bf1d737a4d46a19f3bced6905cc8b902\"");
    assert_eq!(a.size, 142863);
    assert_eq!(a.last_modified, Some(1_298_685_380));
    assert_eq!(a.storage_class.as_deref(), Some("STANDARD"));
    let b = &r.contents[1];
    assert_eq!(b.key, "photos/Tom & Jerry <1940> + friends é.png");
    assert_eq!(b.etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
    assert_eq!(b.owner.as_ref().map(|o| o.display_name.as_str()), Some("mtd@amazon.com"));
    assert_eq!(r.common_prefixes, vec!["photos/2006/", "photos/2007/"]);
}

#[test]
fn parses_url_encoded_listing() {
    let r = listing::parse_list_bucket_result(LIST_V2_URL).unwrap();
    assert!(r.encoding_type_url);
    assert_eq!(r.prefix, "my docs/");
    assert_eq!(r.start_after.as_deref(), Some("my docs/a&b"));
    assert_eq!(r.delimiter.as_deref(), Some("/"));
    assert_eq!(r.contents[0].key, "my docs/1+1=2 é\r.txt");
    assert_eq!(r.common_prefixes, vec!["my docs/sub dir/"]);
    // written back with url encoding, it is the same document content
    let again = listing::parse_list_bucket_result(&listing::list_v2_xml(&r)).unwrap();
    assert_eq!(again, r);
}

#[test]
fn parses_v1_and_writes_v1() {
    let r = listing::parse_list_bucket_result(LIST_V1).unwrap();
    assert_eq!(r.prefix, "");
    assert_eq!(r.marker.as_deref(), Some("ExampleGuide.pdf"));
    assert_eq!(r.next_marker.as_deref(), Some("my-image.jpg"));
    assert_eq!(r.contents[0].owner, Some(Owner { id: "8a6925ce4a7f21c32aa379004fef".into(), display_name: "mtd@amazon.com".into() }));
    let x = listing::list_v1_xml(&r);
    assert!(x.contains(
        "<Marker>ExampleGuide.pdf</Marker><NextMarker>my-image.jpg</NextMarker><MaxKeys>1</MaxKeys><IsTruncated>true</IsTruncated>"
    ));
    let again = listing::parse_list_bucket_result(&x).unwrap();
    assert_eq!(again.contents, r.contents);
    assert_eq!(again.next_marker, r.next_marker);
    let j: serde_json::Value = serde_json::from_str(&listing::list_json(&r)).unwrap();
    assert_eq!(j["next_cursor"], "my-image.jpg");
}

#[test]
fn writes_list_v2_exactly() {
    let r = ListResult {
        name: "bkt".into(),
        prefix: "a b/".into(),
        delimiter: Some("/".into()),
        max_keys: 2,
        is_truncated: true,
        next_continuation_token: Some("tok&=".into()),
        contents: vec![ObjectEntry {
            key: "a b/x&y<z>+.txt".into(),
            last_modified: Some(1_369_353_600),
            etag: "\"e\"".into(),
            size: 5,
            storage_class: None,
            owner: None,
        }],
        common_prefixes: vec!["a b/c/".into()],
        ..ListResult::default()
    };
    let x = listing::list_v2_xml(&r);
    assert_eq!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bkt</Name><Prefix>a b/</Prefix>\
<NextContinuationToken>tok&amp;=</NextContinuationToken><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>\
<Contents><Key>a b/x&amp;y&lt;z&gt;+.txt</Key><LastModified>2013-05-24T00:00:00.000Z</LastModified><ETag>&quot;e&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>\
<CommonPrefixes><Prefix>a b/c/</Prefix></CommonPrefixes></ListBucketResult>"
    );
    let url = listing::list_v2_xml(&ListResult { encoding_type_url: true, ..r.clone() });
    assert!(url.contains("<Prefix>a+b/</Prefix>"), "{url}");
    assert!(url.contains("<Key>a+b/x%26y%3Cz%3E%2B.txt</Key>"));
    assert!(url.contains("<Delimiter>/</Delimiter><EncodingType>url</EncodingType><IsTruncated>"));
    let j: serde_json::Value = serde_json::from_str(&listing::list_json(&r)).unwrap();
    assert_eq!(j["objects"][0]["key"], "a b/x&y<z>+.txt");
    assert_eq!(j["objects"][0]["etag"], "e");
    assert_eq!(j["objects"][0]["size"], 5);
    assert_eq!(j["objects"][0]["last_modified"], "2013-05-24T00:00:00.000Z");
    assert_eq!(j["prefixes"][0], "a b/c/");
    assert_eq!(j["next_cursor"], "tok&=");
    assert_eq!(j["truncated"], true);
}

#[test]
fn store_error_instead_of_listing() {
    let e = listing::parse_list_bucket_result("<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>x</BucketName></Error>").unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (404, "NoSuchBucket"));
    assert_eq!(listing::parse_list_bucket_result("<html>502</html>").unwrap_err().status, 502);
    assert_eq!(listing::parse_list_bucket_result("").unwrap_err().status, 502);
}

#[test]
fn multipart_documents() {
    let init = r#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>"#;
    let i = xml::parse_initiate_multipart_upload(init).unwrap();
    assert_eq!(i.upload_id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
    assert_eq!(xml::parse_initiate_multipart_upload(&xml::initiate_multipart_upload_xml(&i)).unwrap(), i);
    assert_eq!(
        xml::initiate_multipart_upload_xml(&xml::InitiateMultipartUpload { bucket: "b".into(), key: "a&b".into(), upload_id: "u".into() }),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>a&amp;b</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>"
    );

    let done = r#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Location>http://Example-Bucket.s3.us-east-1.amazonaws.com/Example-Object</Location>
  <Bucket>Example-Bucket</Bucket>
  <Key>Example-Object</Key>
  <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
</CompleteMultipartUploadResult>"#;
    let d = xml::parse_complete_multipart_upload_result(done).unwrap();
    assert_eq!(d.etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
    assert_eq!(xml::parse_complete_multipart_upload_result(&xml::complete_multipart_upload_result_xml(&d)).unwrap(), d);
    // S3 can answer 200 with an Error body
    let err = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>InternalError</Code>\n  <Message>We encountered an internal error. Please try again.</Message>\n  <RequestId>656c76696e6727732072657175657374</RequestId>\n  <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>\n</Error>";
    let e = xml::parse_complete_multipart_upload_result(err).unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (500, "InternalError"));

    let body = r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
   <Part>
      <PartNumber>1</PartNumber>
      <ETag>"a54357aff0632cce46d942af68356b38"</ETag>
      <ChecksumCRC32>AAAAAA==</ChecksumCRC32>
   </Part>
   <Part>
      <ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag>
      <PartNumber>2</PartNumber>
   </Part>
   <Part>
      <PartNumber>3</PartNumber>
      <ETag>acbd18db4cc2f85cedef654fccc4a4d8</ETag>
   </Part>
</CompleteMultipartUpload>"#;
    let parts = xml::parse_complete_multipart_upload(body).unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        parts[0],
        CompletedPart {
            part_number: 1,
            etag: "\"a54357aff0632cce46d942af68356b38\"".into(),
            checksums: vec![("ChecksumCRC32".into(), "AAAAAA==".into())]
        }
    );
    assert_eq!(parts[1].etag, "\"0c78aef83f66abc1fa1e8477f296d394\"");
    assert_eq!(parts[2].etag, "acbd18db4cc2f85cedef654fccc4a4d8");
    assert_eq!(xml::parse_complete_multipart_upload(&xml::complete_multipart_upload_xml(&parts)).unwrap(), parts);
    let code = |b: &str| xml::parse_complete_multipart_upload(b).unwrap_err().code;
    assert_eq!(code("<CompleteMultipartUpload></CompleteMultipartUpload>"), "MalformedXML");
    assert_eq!(code("not xml"), "MalformedXML");
    assert_eq!(code("<Other><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></Other>"), "MalformedXML");
    assert_eq!(
        code("<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"),
        "MalformedXML"
    );
    assert_eq!(code("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>"), "MalformedXML");
    assert_eq!(
        code("<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"),
        "InvalidArgument"
    );
    assert_eq!(code("<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>e</ETag></Part><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"), "InvalidPartOrder");

    let lp = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>
  <Initiator>
      <ID>arn:aws:iam::111122223333:user/some-user-11116a31-17b5-4fb7-9df5-b288870f11xx</ID>
      <DisplayName>umat-user-11116a31-17b5-4fb7-9df5-b288870f11xx</DisplayName>
  </Initiator>
  <Owner>
    <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
    <DisplayName>someName</DisplayName>
  </Owner>
  <StorageClass>STANDARD</StorageClass>
  <PartNumberMarker>1</PartNumberMarker>
  <NextPartNumberMarker>3</NextPartNumberMarker>
  <MaxParts>2</MaxParts>
  <IsTruncated>true</IsTruncated>
  <Part>
    <PartNumber>2</PartNumber>
    <LastModified>2010-11-10T20:48:34.000Z</LastModified>
    <ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag>
    <Size>10485760</Size>
  </Part>
  <Part>
    <PartNumber>3</PartNumber>
    <LastModified>2010-11-10T20:48:33.000Z</LastModified>
    <ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag>
    <Size>10485760</Size>
  </Part>
</ListPartsResult>"#;
    let l = xml::parse_list_parts(lp).unwrap();
    assert_eq!((l.part_number_marker, l.next_part_number_marker, l.max_parts, l.is_truncated), (1, Some(3), 2, true));
    assert_eq!(
        l.parts[0],
        PartInfo {
            part_number: 2,
            last_modified: Some(1_289_422_114),
            etag: "\"7778aef83f66abc1fa1e8477f296d394\"".into(),
            size: 10_485_760,
            checksums: vec![]
        }
    );
    assert_eq!(l.storage_class.as_deref(), Some("STANDARD"));
    assert_eq!(xml::parse_list_parts(&xml::list_parts_xml(&l)).unwrap(), l);
    let empty =
        ListPartsResult { bucket: "b".into(), key: "k & é".into(), upload_id: "u".into(), max_parts: 1000, ..ListPartsResult::default() };
    assert_eq!(xml::parse_list_parts(&xml::list_parts_xml(&empty)).unwrap(), empty);

    let copy = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LastModified>2009-10-28T22:32:00.000Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></CopyObjectResult>";
    let c = xml::parse_copy_result(copy).unwrap();
    assert_eq!(
        c,
        CopyResult { etag: "\"9b2cf535f27731c974343645a3985328\"".into(), last_modified: Some(1_256_769_120), checksums: vec![] }
    );
    assert_eq!(xml::copy_object_result_xml(&c), copy);
    assert_eq!(xml::parse_copy_result(&xml::copy_part_result_xml(&c)).unwrap(), c);
    assert_eq!(xml::parse_copy_result("<Error><Code>NoSuchKey</Code><Message>m</Message></Error>").unwrap_err().code, "NoSuchKey");

    let uploads = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>bucket</Bucket>
  <KeyMarker></KeyMarker>
  <UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>
  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>
  <MaxUploads>3</MaxUploads>
  <IsTruncated>true</IsTruncated>
  <Upload>
    <Key>my-divisor</Key>
    <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
    <Initiator>
      <ID>arn:aws:iam::111122223333:user/user1-11111a31-17b5-4fb7-9df5-b111111f13de</ID>
      <DisplayName>user1-11111a31-17b5-4fb7-9df5-b111111f13de</DisplayName>
    </Initiator>
    <Owner>
      <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
      <DisplayName>OwnerDisplayName</DisplayName>
    </Owner>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
  <Upload>
    <Key>my &amp; movie.m2ts</Key>
    <UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:34.000Z</Initiated>
  </Upload>
</ListMultipartUploadsResult>"#;
    let u = xml::parse_list_multipart_uploads(uploads).unwrap();
    assert_eq!(u.uploads.len(), 2);
    assert_eq!(u.uploads[0].key, "my-divisor");
    assert_eq!(u.uploads[0].initiated, Some(1_289_422_113));
    assert_eq!(u.uploads[1].key, "my & movie.m2ts");
    assert_eq!(u.next_key_marker.as_deref(), Some("my-movie.m2ts"));
    assert_eq!(u.next_upload_id_marker.as_deref(), Some("YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ"));
    assert_eq!((u.max_uploads, u.is_truncated, u.key_marker.as_str()), (3, true, ""));
    let u = xml::parse_list_multipart_uploads("<ListMultipartUploadsResult><EncodingType>url</EncodingType><Upload><Key>a+b%26c</Key><UploadId>x</UploadId></Upload></ListMultipartUploadsResult>").unwrap();
    assert_eq!(u.uploads[0].key, "a b&c");
}

#[test]
fn download_flow_range_conditional_cache() {
    // a ranged GET of a cached object: conditions first, then the range
    let h = Headers::from_pairs([("Range", "bytes=-4"), ("If-Match", "fba9dede5f27731c9771645a39863328")]);
    let v = Validators { etag: Some("\"fba9dede5f27731c9771645a39863328\""), last_modified: Some(1_255_369_830) };
    assert_eq!(conditional::evaluate("GET", &h, &v), Outcome::Proceed);
    let a = range::resolve(&range::parse_range(h.get("range").unwrap()), 10);
    assert_eq!(a, RangeAnswer::Partial { start: 6, end: 9, total: 10 });
    assert_eq!(range::content_range(&a).as_deref(), Some("bytes 6-9/10"));
    let cfg = CacheConfig { rules: CacheConfig::parse_rules("images/=86400,tmp/=0").unwrap(), ..CacheConfig::default() };
    let store = Headers::from_pairs([("content-length", "10"), ("etag", "\"fba9dede5f27731c9771645a39863328\""), ("server", "SeaweedFS")]);
    assert_eq!(cache_policy::storable(&cfg, "images/cat.png", 200, &store), Storable::Yes { ttl: 86400 });
    assert_eq!(cache_policy::storable(&cfg, "tmp/cat.png", 200, &store), Storable::No("ttl-zero"));
    let cached = cache_policy::cached_headers(&store, 86400);
    let client = cache_policy::client_headers(&cached);
    assert_eq!(client.get("cache-control"), None);
    assert_eq!(client.get("server"), None);
    assert_eq!(client.get("etag"), store.get("etag"));
}

fn arb_key() -> impl Strategy<Value = String> {
    // keys with the awkward characters, plus anything non-NUL
    prop_oneof!["[a-z &<>+%/\"'\\r\\t\\n\u{1}é漢😀=?#.]{0,24}", any::<String>().prop_map(|s| s.replace('\0', "")),]
}

fn arb_entry() -> impl Strategy<Value = ObjectEntry> {
    (arb_key(), proptest::option::of(0u64..4_102_444_800), "[0-9a-f]{32}(-[0-9]{1,3})?", any::<u64>()).prop_map(
        |(key, last_modified, e, size)| ObjectEntry {
            key,
            last_modified,
            etag: format!("\"{e}\""),
            size,
            storage_class: Some("STANDARD".into()),
            owner: None,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn range_headers_never_panic(h in any::<String>(), total in any::<u64>()) {
        let r = range::parse_range(&h);
        let a = range::resolve(&r, total);
        let _ = range::content_range(&a);
        if let RangeAnswer::Partial { start, end, total: t } = a {
            prop_assert!(start <= end && end < t);
        }
    }

    #[test]
    fn range_shaped_headers(s in "[bByte =0-9,\\- ]{0,40}", total in 0u64..100) {
        let a = range::resolve(&range::parse_range(&s), total);
        match a {
            RangeAnswer::Partial { start, end, total: t } => prop_assert!(start <= end && end < t && t == total),
            RangeAnswer::Unsatisfiable { total: t } => prop_assert_eq!(t, total),
            RangeAnswer::Full => {}
        }
    }

    #[test]
    fn single_ranges_resolve(start in 0u64..200, len in proptest::option::of(0u64..200), total in 0u64..150) {
        let hdr = match len { Some(l) => format!("bytes={}-{}", start, start + l), None => format!("bytes={start}-") };
        let r = range::parse_range(&hdr);
        prop_assert_eq!(r, RangeRequest::Single { start, end: len.map(|l| start + l) });
        let a = range::resolve(&r, total);
        if start >= total { prop_assert_eq!(a, RangeAnswer::Unsatisfiable { total }); }
        else { prop_assert_eq!(a, RangeAnswer::Partial { start, end: len.map_or(total - 1, |l| (start + l).min(total - 1)), total }); }
    }

    #[test]
    fn xml_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = xml::parse_bytes(&b);
        let s = String::from_utf8_lossy(&b);
        let _ = xml::parse_error(&s);
        let _ = listing::parse_list_bucket_result(&s);
        let _ = xml::parse_complete_multipart_upload(&s);
        let _ = xml::parse_list_parts(&s);
        let _ = xml::parse_list_multipart_uploads(&s);
        let _ = xml::parse_copy_result(&s);
        let _ = xml::parse_initiate_multipart_upload(&s);
    }

    #[test]
    fn xml_shaped_text_never_panics(s in "[<>/!?\\[\\]a-zA-Z&#;x0-9\"' =:-é]{0,200}") {
        let _ = xml::parse(&s);
        let _ = xml::decode_entities(&s);
        let _ = listing::parse_list_bucket_result(&format!("<ListBucketResult>{s}</ListBucketResult>"));
        let _ = xml::parse_complete_multipart_upload(&format!("<CompleteMultipartUpload><Part>{s}</Part></CompleteMultipartUpload>"));
    }

    #[test]
    fn escaped_text_round_trips(s in arb_key()) {
        let doc = format!("<a>{}</a>", xml::escape(&s));
        prop_assert_eq!(xml::parse(&doc).map(|e| e.text), Some(s.clone()));
        prop_assert_eq!(xml::s3_url_decode(&xml::s3_url_encode(&s)), s);
    }

    #[test]
    fn listings_round_trip(entries in proptest::collection::vec(arb_entry(), 0..5), prefixes in proptest::collection::vec(arb_key(), 0..3),
                           prefix in arb_key(), url in any::<bool>(), truncated in any::<bool>()) {
        let r = ListResult {
            name: "bkt".into(), prefix, delimiter: Some("/".into()), max_keys: 1000,
            key_count: (entries.len() + prefixes.len()) as u32, is_truncated: truncated,
            next_continuation_token: truncated.then(|| "tok".to_string()), encoding_type_url: url,
            contents: entries, common_prefixes: prefixes, ..ListResult::default()
        };
        prop_assert_eq!(listing::parse_list_bucket_result(&listing::list_v2_xml(&r)).unwrap(), r.clone());
        let j: serde_json::Value = serde_json::from_str(&listing::list_json(&r)).unwrap();
        prop_assert_eq!(j["objects"].as_array().map(|a| a.len()), Some(r.contents.len()));
    }

    #[test]
    fn conditionals_never_panic(im in any::<String>(), inm in any::<String>(), ims in any::<String>(), etag in any::<String>(), lm in any::<u64>()) {
        let h = Headers::from_pairs([("if-match", im), ("if-none-match", inm), ("if-modified-since", ims.clone()), ("if-unmodified-since", ims)]);
        let _ = conditional::evaluate("GET", &h, &Validators { etag: Some(&etag), last_modified: Some(lm) });
    }

    #[test]
    fn cache_keys_are_plain_urls(bucket in "[a-z0-9.-]{1,20}", key in arb_key(), ver in proptest::option::of(any::<String>()), v in any::<String>()) {
        let k = cache_policy::cache_key(&bucket, &key, ver.as_deref(), &[("response-content-type".into(), v)]);
        prop_assert!(k.starts_with("https://bagroom.cache/"));
        prop_assert!(k.bytes().all(|b| b.is_ascii_graphic() && b != b'#'));
        // no dot segments that a URL parser would collapse
        let path = k.split('?').next().unwrap_or("");
        prop_assert!(!path.split('/').skip(3).any(|seg| seg == "." || seg == ".."));
    }

    #[test]
    fn completed_parts_round_trip(etags in proptest::collection::vec("\"?[0-9a-f&<>]{1,32}\"?", 1..6)) {
        let parts: Vec<CompletedPart> = etags.into_iter().enumerate().map(|(i, etag)| CompletedPart { part_number: i as u32 + 1, etag, checksums: vec![] }).collect();
        prop_assert_eq!(xml::parse_complete_multipart_upload(&xml::complete_multipart_upload_xml(&parts)).unwrap(), parts);
    }
}
