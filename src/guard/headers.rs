//! Which client headers reach the store: an allow-list per operation ([`HeaderSet`]) and
//! principal class, never a deny-list. A header outside the list is dropped, except the ones a
//! client sends to change what the store stores or who may read it, which are refused so that the
//! client knows (decided per header below):
//!
//! | header | access key | share token / anonymous |
//! | --- | --- | --- |
//! | `content-type`, `-encoding`, `-language`, `-disposition`, `cache-control`, `expires`, `x-amz-meta-*` | on writes | on writes |
//! | `content-md5`, `x-amz-checksum-*` (values and algorithm) | on writes | on writes |
//! | `if-match`, `if-none-match` (conditional write) | PUT, copy, complete | PUT, copy, complete |
//! | full-object checksums, `x-amz-mp-object-size` | complete | complete |
//! | `range`, `if-*` (read conditions), `x-amz-checksum-mode` | reads | reads |
//! | `x-amz-object-attributes`, `x-amz-max-parts`, `x-amz-part-number-marker` | GetObjectAttributes | GetObjectAttributes |
//! | `x-amz-storage-class`, `x-amz-tagging`, `x-amz-server-side-encryption*` (SSE-S3, KMS, SSE-C), `x-amz-object-lock-*`, `x-amz-website-redirect-location`, `x-amz-tagging-directive` | on writes | **refused** (403) |
//! | SSE-C headers on reads and copy sources | yes | **refused** (403) |
//! | `x-amz-acl` other than `private`, `x-amz-grant-*` | **refused** (403) | **refused** (403) |
//! | `x-amz-acl: private` / `bucket-owner-full-control` | dropped | dropped |
//! | `x-amz-copy-source*` | only as the gateway rewrites it after authorising the source | same |
//! | `x-amz-metadata-directive`, `x-amz-copy-source-if-*`, `x-amz-copy-source-range` | copy | copy (limits checked) |
//! | anything else (`cookie`, `authorization`, `x-amz-date`, `x-amz-security-token`, `x-forwarded-*`, unknown `x-amz-*`, ...) | dropped | dropped |

use super::table::HeaderSet;
use crate::auth::Principal;
use crate::http::Headers;
use crate::s3::error::S3Error;

/// The kinds of caller the header rules tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalClass {
    AccessKey,
    /// Share tokens and anonymous callers.
    Limited,
}

impl PrincipalClass {
    pub fn of(p: &Principal) -> PrincipalClass {
        match p {
            Principal::AccessKey(_) => PrincipalClass::AccessKey,
            _ => PrincipalClass::Limited,
        }
    }
}

/// Headers for a store request: the allowed client headers plus what the gateway sets itself.
/// The store builder takes only this type; client headers enter it only through [`from_client`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreHeaders(Headers);

impl StoreHeaders {
    /// No client headers.
    pub fn none() -> StoreHeaders {
        StoreHeaders(Headers::new())
    }
    /// A header the gateway itself decides (content type of a document it sends, a conditional
    /// write a token demands, ...). Never a client's value copied through: use [`from_client`].
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name, value);
    }
    pub fn remove(&mut self, name: &str) {
        self.0.remove(name);
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name)
    }
    pub fn headers(&self) -> &Headers {
        &self.0
    }
}

const CONTENT: &[&str] = &["content-type", "content-encoding", "content-language", "content-disposition", "cache-control", "expires"];
const CHECKSUMS: &[&str] = &[
    "content-md5",
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
    "x-amz-checksum-type",
];
const READ: &[&str] =
    &["range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range", "x-amz-checksum-mode"];
const ATTRIBUTES: &[&str] = &["x-amz-object-attributes", "x-amz-max-parts", "x-amz-part-number-marker"];
const WRITE_CONDITIONS: &[&str] = &["if-match", "if-none-match"];
const COPY_CONDITIONS: &[&str] = &[
    "x-amz-copy-source-if-match",
    "x-amz-copy-source-if-none-match",
    "x-amz-copy-source-if-modified-since",
    "x-amz-copy-source-if-unmodified-since",
];
/// Store-level attributes: access keys only (a share token must not pick the storage class,
/// tags, encryption keys or retention of what it uploads; SSE-C would lock every later reader out).
const STORE_ATTRIBUTES: &[&str] = &[
    "x-amz-storage-class",
    "x-amz-tagging",
    "x-amz-tagging-directive",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold",
    "x-amz-website-redirect-location",
];
const SSE_C: &[&str] = &[
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
];
const SSE_C_SOURCE: &[&str] = &[
    "x-amz-copy-source-server-side-encryption-customer-algorithm",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key-md5",
];

fn is_meta(name: &str) -> bool {
    name.starts_with("x-amz-meta-") && name.len() > "x-amz-meta-".len()
}

fn refuse(name: &str, why: &str) -> S3Error {
    S3Error::access_denied(format!("header {name} is not allowed: {why}"))
}

/// Is `name` allowed for this set, ignoring the principal? (Store attributes are answered by the
/// caller.)
fn allowed(set: HeaderSet, name: &str) -> bool {
    let any = |lists: &[&[&str]]| lists.iter().any(|l| l.contains(&name));
    match set {
        HeaderSet::None => false,
        HeaderSet::Read => any(&[READ]),
        HeaderSet::Put => any(&[CONTENT, CHECKSUMS, WRITE_CONDITIONS]) || is_meta(name),
        HeaderSet::Part => any(&[CHECKSUMS]),
        HeaderSet::CreateMultipart => {
            any(&[CONTENT]) || name == "x-amz-checksum-algorithm" || name == "x-amz-checksum-type" || is_meta(name)
        }
        // not content-md5: the gateway writes the document it sends
        HeaderSet::Complete => (any(&[WRITE_CONDITIONS, CHECKSUMS]) && name != "content-md5") || name == "x-amz-mp-object-size",
        HeaderSet::Copy => {
            any(&[CONTENT, COPY_CONDITIONS, WRITE_CONDITIONS])
                || name == "x-amz-metadata-directive"
                || name == "x-amz-checksum-algorithm"
                || is_meta(name)
        }
        HeaderSet::PartCopy => any(&[COPY_CONDITIONS]) || name == "x-amz-copy-source-range",
        HeaderSet::Attributes => any(&[ATTRIBUTES]),
    }
}

/// Does this set carry store attributes (writes) or SSE-C (reads, writes, copies)?
fn takes_attributes(set: HeaderSet) -> bool {
    matches!(set, HeaderSet::Put | HeaderSet::CreateMultipart | HeaderSet::Copy)
}
fn takes_sse_c(set: HeaderSet) -> bool {
    matches!(
        set,
        HeaderSet::Read
            | HeaderSet::Put
            | HeaderSet::CreateMultipart
            | HeaderSet::Part
            | HeaderSet::Copy
            | HeaderSet::PartCopy
            | HeaderSet::Attributes
    )
}

/// The client headers that reach the store for an operation with header set `set`, asked by a
/// principal of class `class`. Errors for the headers that are refused (see the module table).
pub fn from_client(set: HeaderSet, class: PrincipalClass, client: &Headers) -> Result<StoreHeaders, S3Error> {
    let mut out = Headers::new();
    for (k, v) in client.iter() {
        let name = k.to_ascii_lowercase();
        let name = name.as_str();
        if name == "x-amz-acl" {
            if matches!(v.trim(), "private" | "bucket-owner-full-control") {
                continue;
            }
            return Err(refuse(name, "bagroom keeps the bucket private and sets no ACLs"));
        }
        if name.starts_with("x-amz-grant-") {
            return Err(refuse(name, "bagroom keeps the bucket private and grants no access in the store"));
        }
        let attribute = STORE_ATTRIBUTES.contains(&name);
        let sse_c = SSE_C.contains(&name) || SSE_C_SOURCE.contains(&name);
        if attribute || sse_c {
            if class != PrincipalClass::AccessKey {
                return Err(refuse(name, "store attributes are set by the gateway's access keys only"));
            }
            let ok = if sse_c {
                takes_sse_c(set) && (SSE_C.contains(&name) || matches!(set, HeaderSet::Copy | HeaderSet::PartCopy))
            } else {
                takes_attributes(set)
            };
            if ok {
                out.append(name, v);
            }
            continue;
        }
        if allowed(set, name) {
            if matches!(name, "x-amz-metadata-directive" | "x-amz-tagging-directive") {
                // the gateway judges the copy by this value: the store must read the same one
                let d = v.trim().to_ascii_uppercase();
                if d != "COPY" && d != "REPLACE" {
                    return Err(S3Error::invalid_argument(format!("Unknown {name}: it is COPY or REPLACE")));
                }
                out.append(name, d);
                continue;
            }
            out.append(name, v);
        }
    }
    Ok(StoreHeaders(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(h: &StoreHeaders) -> Vec<&str> {
        h.headers().iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn copy_source_and_signing_headers_never_pass() {
        let client = Headers::from_pairs([
            ("x-amz-copy-source", "/b/secret"),
            ("authorization", "AWS4 ..."),
            ("x-amz-date", "x"),
            ("x-amz-security-token", "t"),
            ("cookie", "bagroom_token=x"),
            ("content-type", "text/plain"),
            ("x-amz-meta-a", "1"),
            ("x-amz-unknown", "1"),
        ]);
        for set in [HeaderSet::Put, HeaderSet::Copy, HeaderSet::PartCopy, HeaderSet::Part, HeaderSet::Read] {
            for class in [PrincipalClass::AccessKey, PrincipalClass::Limited] {
                let h = from_client(set, class, &client).unwrap();
                for n in names(&h) {
                    assert!(
                        !matches!(
                            n,
                            "x-amz-copy-source" | "authorization" | "x-amz-date" | "x-amz-security-token" | "cookie" | "x-amz-unknown"
                        ),
                        "{set:?} {n}"
                    );
                }
            }
        }
        assert_eq!(names(&from_client(HeaderSet::Put, PrincipalClass::Limited, &client).unwrap()), vec!["content-type", "x-amz-meta-a"]);
    }

    #[test]
    fn store_attributes_only_for_access_keys() {
        for h in [
            "x-amz-storage-class",
            "x-amz-tagging",
            "x-amz-server-side-encryption-customer-key",
            "x-amz-object-lock-mode",
            "x-amz-website-redirect-location",
            "X-Amz-Server-Side-Encryption",
        ] {
            let client = Headers::from_pairs([(h, "v")]);
            assert_eq!(from_client(HeaderSet::Put, PrincipalClass::Limited, &client).unwrap_err().code, "AccessDenied", "{h}");
            assert_eq!(from_client(HeaderSet::CreateMultipart, PrincipalClass::Limited, &client).unwrap_err().code, "AccessDenied", "{h}");
            assert_eq!(
                names(&from_client(HeaderSet::Put, PrincipalClass::AccessKey, &client).unwrap()),
                vec![h.to_ascii_lowercase().as_str()]
            );
        }
    }

    #[test]
    fn the_metadata_directive_reaches_the_store_as_the_gateway_read_it() {
        let h = from_client(HeaderSet::Copy, PrincipalClass::Limited, &Headers::from_pairs([("x-amz-metadata-directive", " replace")]))
            .unwrap();
        assert_eq!(h.get("x-amz-metadata-directive"), Some("REPLACE"));
        assert!(from_client(HeaderSet::Copy, PrincipalClass::Limited, &Headers::from_pairs([("x-amz-metadata-directive", "REPLACEX")]))
            .is_err());
    }

    #[test]
    fn a_copy_carries_the_clients_conditional_write() {
        // CopyObject with If-None-Match: * must not overwrite an existing destination
        for class in [PrincipalClass::AccessKey, PrincipalClass::Limited] {
            let client = Headers::from_pairs([("if-none-match", "*"), ("if-match", "\"e\""), ("if-modified-since", "x")]);
            let h = from_client(HeaderSet::Copy, class, &client).unwrap();
            assert_eq!((h.get("if-none-match"), h.get("if-match"), h.get("if-modified-since")), (Some("*"), Some("\"e\""), None));
            // a part copy writes no object: no conditional write to carry
            assert_eq!(from_client(HeaderSet::PartCopy, class, &client).unwrap().get("if-none-match"), None);
        }
    }

    #[test]
    fn acls_and_grants_never() {
        for class in [PrincipalClass::AccessKey, PrincipalClass::Limited] {
            assert!(from_client(HeaderSet::Put, class, &Headers::from_pairs([("x-amz-acl", "public-read")])).is_err());
            assert!(from_client(HeaderSet::Put, class, &Headers::from_pairs([("x-amz-grant-read", "uri=...AllUsers")])).is_err());
            assert!(from_client(HeaderSet::Put, class, &Headers::from_pairs([("x-amz-acl", "private")])).unwrap().headers().is_empty());
        }
    }

    #[test]
    fn reads_pass_only_range_and_conditions() {
        let client =
            Headers::from_pairs([("range", "bytes=0-1"), ("if-none-match", "\"e\""), ("content-type", "x"), ("x-amz-meta-a", "1")]);
        assert_eq!(names(&from_client(HeaderSet::Read, PrincipalClass::Limited, &client).unwrap()), vec!["range", "if-none-match"]);
        assert!(from_client(HeaderSet::None, PrincipalClass::AccessKey, &client).unwrap().headers().is_empty());
    }

    #[test]
    fn attributes_pass_only_the_attribute_list_and_the_parts_page() {
        let client = Headers::from_pairs([
            ("x-amz-object-attributes", "ETag,ObjectSize"),
            ("x-amz-max-parts", "2"),
            ("x-amz-part-number-marker", "1"),
            ("x-amz-expected-bucket-owner", "123"),
            ("range", "bytes=0-1"),
            ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
        ]);
        let ak = from_client(HeaderSet::Attributes, PrincipalClass::AccessKey, &client).unwrap();
        assert_eq!(
            names(&ak),
            vec![
                "x-amz-object-attributes",
                "x-amz-max-parts",
                "x-amz-part-number-marker",
                "x-amz-server-side-encryption-customer-algorithm"
            ]
        );
        // SSE-C stays an access key's
        assert_eq!(from_client(HeaderSet::Attributes, PrincipalClass::Limited, &client).unwrap_err().code, "AccessDenied");
        // the attribute headers reach no other operation
        assert!(from_client(HeaderSet::Read, PrincipalClass::AccessKey, &Headers::from_pairs([("x-amz-object-attributes", "ETag")]))
            .unwrap()
            .headers()
            .is_empty());
    }
}
