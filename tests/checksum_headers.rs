//! The object checksums a store returns on GET/HEAD (`x-amz-checksum-*`, `x-amz-checksum-type`)
//! reach the client on a cache miss (passthrough) and on a cache hit (kept on the cached copy).

use bagroom::cache::policy::{cached_headers, client_headers, passthrough_response_headers};
use bagroom::http::Headers;

const CHECKSUMS: &[(&str, &str)] = &[
    ("x-amz-checksum-crc32", "NhCmhg=="),
    ("x-amz-checksum-crc32c", "crUfeA=="),
    ("x-amz-checksum-crc64nvme", "M3eFcAZSQlc="),
    ("x-amz-checksum-sha1", "qvTGHdzF6KLavt4PO0gs2a6pQ00="),
    ("x-amz-checksum-sha256", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="),
    ("x-amz-checksum-type", "FULL_OBJECT"),
];

#[test]
fn checksums_pass_on_a_miss_and_survive_the_cache() {
    let mut store = Headers::from_pairs([("content-length", "5"), ("etag", "\"e\""), ("server", "SeaweedFS")]);
    for (k, v) in CHECKSUMS {
        // stores write them in any case
        store.append(&k.to_ascii_uppercase(), *v);
    }
    let miss = passthrough_response_headers(&store);
    let hit = client_headers(&cached_headers(&store, 60));
    for (k, v) in CHECKSUMS {
        assert_eq!(miss.get(k), Some(*v), "miss: {k}");
        assert_eq!(hit.get(k), Some(*v), "hit: {k}");
    }
    assert_eq!(miss.get("server"), None);
}
