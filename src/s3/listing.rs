//! Object listings: the client's ListObjects(V2) query, scoping it to a credential's
//! prefix, the store's `ListBucketResult`, and what bagroom writes back (S3 XML or JSON); and
//! S3's `EncodingType=url` encoding, which every listing document (objects, parts, uploads) uses.

use crate::s3::error::S3Error;
use crate::s3::xml::reader::Element;
use crate::s3::xml::store_errors::store_doc;
use crate::s3::xml::writer::{XmlWriter, S3_NS};

/// S3's default and maximum `max-keys`.
pub const MAX_KEYS: u32 = 1000;

/// S3 `EncodingType=url` encoding: alphanumerics and `-_.*/` literal, space as `+`,
/// everything else `%XX` (upper-case hex), bytewise UTF-8.
pub fn s3_url_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' | b'/' => out.push(b as char),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
    out
}

/// Undo `EncodingType=url`: `+` is a space, `%XX` a byte (as SDKs decode it).
pub fn s3_url_decode(s: &str) -> String {
    crate::encoding::percent_decode(&s.replace('+', " "))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// `list-type=2`; false for ListObjects V1 (which uses `marker`).
    pub v2: bool,
    pub prefix: String,
    pub delimiter: Option<String>,
    pub continuation_token: Option<String>,
    pub start_after: Option<String>,
    /// V1 only.
    pub marker: Option<String>,
    /// Default 1000, capped at 1000.
    pub max_keys: u32,
    pub encoding_type_url: bool,
    pub fetch_owner: bool,
}

impl Default for ListRequest {
    fn default() -> Self {
        ListRequest {
            v2: true,
            prefix: String::new(),
            delimiter: None,
            continuation_token: None,
            start_after: None,
            marker: None,
            max_keys: MAX_KEYS,
            encoding_type_url: false,
            fetch_owner: false,
        }
    }
}

impl ListRequest {
    /// The query to send to the store for this request (decoded pairs; the caller encodes).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let mut q: Vec<(String, String)> = Vec::new();
        let mut push = |k: &str, v: &str| q.push((k.to_string(), v.to_string()));
        if self.v2 {
            push("list-type", "2");
        }
        if let Some(t) = &self.continuation_token {
            push("continuation-token", t);
        }
        if let Some(d) = &self.delimiter {
            push("delimiter", d);
        }
        if self.encoding_type_url {
            push("encoding-type", "url");
        }
        if self.v2 && self.fetch_owner {
            push("fetch-owner", "true");
        }
        if let Some(m) = &self.marker {
            push("marker", m);
        }
        push("max-keys", &self.max_keys.to_string());
        push("prefix", &self.prefix);
        if let Some(s) = &self.start_after {
            push("start-after", s);
        }
        q
    }
}

/// Parse a ListObjects query (decoded pairs). `list-type=2` selects V2; without it the
/// request is V1 (`marker`). Errors are S3's `InvalidArgument`s.
pub fn parse_list_query(pairs: &[(String, String)]) -> Result<ListRequest, S3Error> {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let v2 = match get("list-type") {
        None => false,
        Some("2") => true,
        Some(_) => return Err(S3Error::invalid_argument("Invalid List Type specified in Request").with("ArgumentName", "list-type")),
    };
    let mut r = ListRequest { v2, ..ListRequest::default() };
    r.prefix = get("prefix").unwrap_or("").to_string();
    r.delimiter = get("delimiter").filter(|d| !d.is_empty()).map(str::to_string);
    if let Some(mk) = get("max-keys") {
        let n: i64 = mk.trim().parse().map_err(|_| {
            S3Error::invalid_argument("Provided max-keys not an integer or within integer range")
                .with("ArgumentName", "max-keys")
                .with("ArgumentValue", mk)
        })?;
        if n < 0 {
            return Err(S3Error::invalid_argument("Argument maxKeys must be an integer between 0 and 2147483647")
                .with("ArgumentName", "maxKeys")
                .with("ArgumentValue", mk));
        }
        r.max_keys = n.min(MAX_KEYS as i64) as u32;
    }
    r.encoding_type_url = match get("encoding-type") {
        None | Some("") => false,
        Some(e) if e.eq_ignore_ascii_case("url") => true,
        Some(e) => {
            return Err(S3Error::invalid_argument("Invalid Encoding Method specified in Request")
                .with("ArgumentName", "encoding-type")
                .with("ArgumentValue", e))
        }
    };
    if r.v2 {
        // an empty `continuation-token=` is no token (S3 and SeaweedFS list from the start)
        r.continuation_token = get("continuation-token").filter(|t| !t.is_empty()).map(str::to_string);
        r.start_after = get("start-after").filter(|s| !s.is_empty()).map(str::to_string);
        r.fetch_owner = get("fetch-owner").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    } else {
        r.marker = get("marker").filter(|s| !s.is_empty()).map(str::to_string);
    }
    Ok(r)
}

/// Limit a request to a credential's prefix `scope`: a request prefix inside the scope is
/// kept; one that is a prefix OF the scope (e.g. "" for scope "users/alice/") is narrowed
/// to the scope; anything else is `AccessDenied`. An empty scope allows everything.
pub fn clamp_to_scope(req: ListRequest, scope_prefix: &str) -> Result<ListRequest, S3Error> {
    if req.prefix.starts_with(scope_prefix) {
        return Ok(req);
    }
    if scope_prefix.starts_with(req.prefix.as_str()) {
        return Ok(ListRequest { prefix: scope_prefix.to_string(), ..req });
    }
    Err(S3Error::access_denied("Access Denied"))
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
    pub id: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectEntry {
    /// Decoded key.
    pub key: String,
    pub last_modified: Option<u64>,
    /// Quoted, as S3 writes it.
    pub etag: String,
    pub size: u64,
    pub storage_class: Option<String>,
    pub owner: Option<Owner>,
}

/// A listing, with keys and prefixes always decoded; `encoding_type_url` says whether the
/// document it came from / will go to uses `EncodingType=url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListResult {
    pub name: String,
    pub prefix: String,
    pub delimiter: Option<String>,
    pub max_keys: u32,
    /// As the store reported it; the writers compute their own.
    pub key_count: u32,
    pub is_truncated: bool,
    pub continuation_token: Option<String>,
    pub next_continuation_token: Option<String>,
    pub start_after: Option<String>,
    /// V1
    pub marker: Option<String>,
    /// V1
    pub next_marker: Option<String>,
    pub encoding_type_url: bool,
    pub contents: Vec<ObjectEntry>,
    pub common_prefixes: Vec<String>,
}

impl Default for ListResult {
    fn default() -> Self {
        ListResult {
            name: String::new(),
            prefix: String::new(),
            delimiter: None,
            max_keys: MAX_KEYS,
            key_count: 0,
            is_truncated: false,
            continuation_token: None,
            next_continuation_token: None,
            start_after: None,
            marker: None,
            next_marker: None,
            encoding_type_url: false,
            contents: Vec::new(),
            common_prefixes: Vec::new(),
        }
    }
}

/// The `<name><ID>..</ID><DisplayName>..</DisplayName></name>` child of `e` (an `Owner`, or an
/// upload's `Initiator`).
pub fn owner_in(e: &Element, name: &str) -> Option<Owner> {
    e.child(name).map(|o| Owner { id: o.text_or_empty("ID"), display_name: o.text_or_empty("DisplayName") })
}

/// The store's owner ids (an AWS canonical id, an account) are the store's business: listings
/// name the gateway as the owner, as ListBuckets does.
pub fn hide_owners(result: &mut ListResult) {
    for o in result.contents.iter_mut().filter_map(|e| e.owner.as_mut()) {
        *o = Owner { id: "bagroom".into(), display_name: "bagroom".into() };
    }
}

/// Write an [`Owner`] as `<name><ID>..</ID><DisplayName>..</DisplayName></name>`.
pub fn write_owner(w: &mut XmlWriter, name: &str, owner: &Owner) {
    w.open(name).elem("ID", &owner.id).elem("DisplayName", &owner.display_name).close(name);
}

/// Parse the store's `ListBucketResult` (V2, or V1 with Marker/NextMarker). With
/// `EncodingType=url` the keys, prefixes, delimiter and markers are decoded. The store's
/// `<Error>` body comes back as `Err`.
pub fn parse_list_bucket_result(xml: &str) -> Result<ListResult, S3Error> {
    let root = store_doc(xml, "ListBucketResult")?;
    let url = root.child_text("EncodingType").is_some_and(|e| e.trim().eq_ignore_ascii_case("url"));
    let dec = |s: &str| if url { s3_url_decode(s) } else { s.to_string() };
    let opt = |name: &str| root.child_text(name).filter(|s| !s.is_empty()).map(str::to_string);
    let opt_dec = |name: &str| root.child_text(name).filter(|s| !s.is_empty()).map(dec);
    let contents: Vec<ObjectEntry> = root
        .children_named("Contents")
        .filter_map(|c| {
            let key = c.child_text("Key")?;
            Some(ObjectEntry {
                key: dec(key),
                last_modified: c.child_time("LastModified"),
                etag: c.text_or_empty("ETag"),
                size: c.child_num("Size").unwrap_or(0),
                storage_class: c.child_text("StorageClass").map(|s| s.trim().to_string()),
                owner: owner_in(c, "Owner"),
            })
        })
        .collect();
    let common_prefixes: Vec<String> = root.children_named("CommonPrefixes").filter_map(|c| c.child_text("Prefix")).map(dec).collect();
    Ok(ListResult {
        name: root.text_or_empty("Name"),
        prefix: dec(root.child_text("Prefix").unwrap_or("")),
        delimiter: opt_dec("Delimiter"),
        max_keys: root.child_num("MaxKeys").unwrap_or(MAX_KEYS),
        key_count: root.child_num("KeyCount").unwrap_or((contents.len() + common_prefixes.len()) as u32),
        is_truncated: root.child_bool("IsTruncated"),
        continuation_token: opt("ContinuationToken"),
        next_continuation_token: opt("NextContinuationToken"),
        start_after: opt_dec("StartAfter"),
        marker: opt_dec("Marker"),
        next_marker: opt_dec("NextMarker"),
        encoding_type_url: url,
        contents,
        common_prefixes,
    })
}

/// The store's `ListBucketResult` for `req` (the request the gateway sent, with
/// `EncodingType=url`). Stores differ in which fields they encode (S3 encodes Prefix, Delimiter,
/// StartAfter, Marker and NextMarker as well as Key and CommonPrefixes; SeaweedFS only the last
/// two), so decoding every field would corrupt a `+` or `%` in an unencoded one. The fields that
/// echo the request come from `req` itself, and `NextMarker` (always the page's last key or
/// common prefix) is read the way that names an entry of the page.
pub fn parse_store_listing(xml: &str, req: &ListRequest) -> Result<ListResult, S3Error> {
    let mut r = parse_list_bucket_result(xml)?;
    r.prefix = req.prefix.clone();
    r.delimiter = req.delimiter.clone();
    r.start_after = if req.v2 { req.start_after.clone() } else { None };
    r.marker = if req.v2 { None } else { req.marker.clone() };
    if r.encoding_type_url {
        let raw = store_doc(xml, "ListBucketResult")?.child_text("NextMarker").filter(|s| !s.is_empty()).map(str::to_string);
        r.next_marker = raw.map(|raw| {
            let decoded = s3_url_decode(&raw);
            let listed = |m: &str| r.contents.iter().any(|o| o.key == m) || r.common_prefixes.iter().any(|p| p == m);
            if !listed(&decoded) && listed(&raw) {
                raw
            } else {
                decoded
            }
        });
    }
    Ok(r)
}

fn write_contents(w: &mut XmlWriter, result: &ListResult, enc: &dyn Fn(&str) -> String) {
    for o in &result.contents {
        w.open("Contents").elem("Key", &enc(&o.key));
        if let Some(t) = o.last_modified {
            w.time("LastModified", t);
        }
        w.elem("ETag", &o.etag).num("Size", o.size);
        if let Some(owner) = &o.owner {
            write_owner(w, "Owner", owner);
        }
        w.elem("StorageClass", o.storage_class.as_deref().unwrap_or("STANDARD"));
        w.close("Contents");
    }
    for p in &result.common_prefixes {
        w.open("CommonPrefixes").elem("Prefix", &enc(p)).close("CommonPrefixes");
    }
}

/// A `ListBucketResult` in S3's element order: Name, Prefix, then the version's own elements
/// (`fields`), then Delimiter, EncodingType, IsTruncated and the entries. With
/// `encoding_type_url`, keys, prefixes, delimiter and markers are url-encoded.
fn list_xml(result: &ListResult, fields: impl FnOnce(&mut XmlWriter, &dyn Fn(&str) -> String)) -> String {
    let url = result.encoding_type_url;
    let enc = move |s: &str| if url { s3_url_encode(s) } else { s.to_string() };
    let mut w = XmlWriter::new();
    w.open_ns("ListBucketResult", S3_NS).elem("Name", &result.name).elem("Prefix", &enc(&result.prefix));
    fields(&mut w, &enc);
    w.opt("Delimiter", result.delimiter.as_deref().map(enc).as_deref());
    if url {
        w.elem("EncodingType", "url");
    }
    w.boolean("IsTruncated", result.is_truncated);
    write_contents(&mut w, result, &enc);
    w.close("ListBucketResult");
    w.finish()
}

/// ListObjectsV2's `ListBucketResult` (StartAfter, continuation tokens, KeyCount, MaxKeys).
pub fn list_v2_xml(result: &ListResult) -> String {
    list_xml(result, |w, enc| {
        w.opt("StartAfter", result.start_after.as_deref().map(enc).as_deref());
        w.opt("ContinuationToken", result.continuation_token.as_deref());
        w.opt("NextContinuationToken", result.next_continuation_token.as_deref());
        w.num("KeyCount", result.contents.len() + result.common_prefixes.len()).num("MaxKeys", result.max_keys);
    })
}

/// ListObjects (V1)'s `ListBucketResult` (Marker, NextMarker, MaxKeys).
pub fn list_v1_xml(result: &ListResult) -> String {
    list_xml(result, |w, enc| {
        w.elem("Marker", &enc(result.marker.as_deref().unwrap_or("")));
        w.opt("NextMarker", result.next_marker.as_deref().map(enc).as_deref());
        w.num("MaxKeys", result.max_keys);
    })
}

/// The demo API's listing:
/// `{"objects":[{"key","size","etag","last_modified"}],"prefixes":[..],"next_cursor":..,"truncated":..}`.
/// `etag` is unquoted; `last_modified` is ISO 8601 (or null); `next_cursor` is the V2
/// continuation token (V1: NextMarker, else the last key or prefix), null when there is no next page.
pub fn list_json(result: &ListResult) -> String {
    let objects: Vec<crate::json::Value> = result
        .contents
        .iter()
        .map(|o| {
            crate::json!({
                "key": o.key,
                "size": o.size,
                "etag": o.etag.trim_matches('"'),
                "last_modified": o.last_modified.map(crate::time::iso8601_millis),
            })
        })
        .collect();
    // V1 without a delimiter has no NextMarker: the next page starts after the last key
    let last = || result.contents.last().map(|o| o.key.clone()).into_iter().chain(result.common_prefixes.last().cloned()).max();
    let next = if result.is_truncated {
        result.next_continuation_token.clone().or_else(|| result.next_marker.clone()).or_else(last)
    } else {
        None
    };
    crate::json!({
        "objects": objects,
        "prefixes": result.common_prefixes,
        "next_cursor": next,
        "truncated": result.is_truncated,
    })
    .to_string()
}

/// Does a client's `Accept` header ask for the JSON listing instead of S3's XML? Only when
/// its first (preferred) media range is `application/json`; S3 clients send none or `*/*`.
pub fn wants_json(accept: Option<&str>) -> bool {
    accept
        .and_then(|a| a.split(',').next())
        .map(|m| m.split(';').next().unwrap_or("").trim())
        .is_some_and(|m| m.eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod owner_tests {
    use super::*;

    #[test]
    fn listings_name_the_gateway_as_owner() {
        let mut r = ListResult::default();
        r.contents.push(ObjectEntry {
            key: "k".into(),
            owner: Some(Owner {
                id: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be".into(),
                display_name: "me@example.com".into(),
            }),
            ..Default::default()
        });
        hide_owners(&mut r);
        assert_eq!(r.contents[0].owner, Some(Owner { id: "bagroom".into(), display_name: "bagroom".into() }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_like_s3() {
        assert_eq!(s3_url_encode("photos/2006/a b+c&é*~"), "photos/2006/a+b%2Bc%26%C3%A9*%7E");
        assert_eq!(s3_url_decode("photos/2006/a+b%2Bc%26%C3%A9*%7E"), "photos/2006/a b+c&é*~");
    }

    #[test]
    fn json_only_when_preferred() {
        assert!(wants_json(Some("application/json")));
        assert!(wants_json(Some("Application/JSON; charset=utf-8, */*")));
        assert!(!wants_json(None));
        assert!(!wants_json(Some("*/*")));
        assert!(!wants_json(Some("application/xml, application/json")));
        assert!(!wants_json(Some("")));
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn query_parsing() {
        let r = parse_list_query(&q(&[
            ("list-type", "2"),
            ("prefix", "a/"),
            ("delimiter", "/"),
            ("max-keys", "5000"),
            ("encoding-type", "url"),
            ("fetch-owner", "true"),
            ("start-after", "a/b"),
        ]))
        .unwrap();
        assert!(r.v2 && r.encoding_type_url && r.fetch_owner);
        assert_eq!((r.prefix.as_str(), r.delimiter.as_deref(), r.max_keys, r.start_after.as_deref()), ("a/", Some("/"), 1000, Some("a/b")));
        let r = parse_list_query(&q(&[("marker", "m"), ("max-keys", "10")])).unwrap();
        assert!(!r.v2);
        assert_eq!((r.marker.as_deref(), r.max_keys), (Some("m"), 10));
        assert_eq!(parse_list_query(&q(&[])).unwrap().max_keys, 1000);
        for bad in [&[("list-type", "3")][..], &[("max-keys", "x")], &[("max-keys", "-1")], &[("encoding-type", "base64")]] {
            let e = parse_list_query(&q(bad)).unwrap_err();
            assert_eq!((e.status, e.code.as_str()), (400, "InvalidArgument"), "{bad:?}");
        }
        // an empty continuation token is no token, as S3 and SeaweedFS treat it
        let r = parse_list_query(&q(&[("list-type", "2"), ("continuation-token", "")])).unwrap();
        assert_eq!(r.continuation_token, None);
        let r = parse_list_query(&q(&[("list-type", "2"), ("prefix", "p"), ("continuation-token", "tok")])).unwrap();
        assert_eq!(r.query_pairs(), q(&[("list-type", "2"), ("continuation-token", "tok"), ("max-keys", "1000"), ("prefix", "p")]));
    }

    #[test]
    fn scoping() {
        let req = |p: &str| ListRequest { prefix: p.into(), ..ListRequest::default() };
        assert_eq!(clamp_to_scope(req("users/alice/docs/"), "users/alice/").unwrap().prefix, "users/alice/docs/");
        assert_eq!(clamp_to_scope(req(""), "users/alice/").unwrap().prefix, "users/alice/");
        assert_eq!(clamp_to_scope(req("users/al"), "users/alice/").unwrap().prefix, "users/alice/");
        assert_eq!(clamp_to_scope(req("users/bob/"), "users/alice/").unwrap_err().code, "AccessDenied");
        assert_eq!(clamp_to_scope(req("anything"), "").unwrap().prefix, "anything");
    }

    #[test]
    fn json_cursor_for_v1_without_next_marker() {
        let r = ListResult {
            is_truncated: true,
            contents: vec![
                ObjectEntry { key: "a".into(), ..ObjectEntry::default() },
                ObjectEntry { key: "b".into(), ..ObjectEntry::default() },
            ],
            ..ListResult::default()
        };
        let j: serde_json::Value = serde_json::from_str(&list_json(&r)).unwrap();
        assert_eq!(j["next_cursor"], "b");
        let j: serde_json::Value = serde_json::from_str(&list_json(&ListResult { is_truncated: false, ..r })).unwrap();
        assert!(j["next_cursor"].is_null());
    }

    /// SeaweedFS with `encoding-type=url` encodes only Key and CommonPrefixes; the echoed
    /// fields come from the request, NextMarker is read as the entry it names.
    #[test]
    fn store_listing_decodes_only_what_the_store_encoded() {
        let seaweed = r#"<ListBucketResult><Name>b</Name><Prefix>x+y%41</Prefix><Marker>a+b</Marker><NextMarker>x+y%41 z/</NextMarker><MaxKeys>1</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><CommonPrefixes><Prefix>x%2By%2541%20z/</Prefix></CommonPrefixes><EncodingType>url</EncodingType></ListBucketResult>"#;
        let req = ListRequest {
            v2: false,
            prefix: "x+y%41".into(),
            delimiter: Some("/".into()),
            marker: Some("a+b".into()),
            encoding_type_url: true,
            ..ListRequest::default()
        };
        let r = parse_store_listing(seaweed, &req).unwrap();
        assert_eq!(r.prefix, "x+y%41");
        assert_eq!(r.marker.as_deref(), Some("a+b"));
        assert_eq!(r.common_prefixes, vec!["x+y%41 z/".to_string()]);
        assert_eq!(r.next_marker.as_deref(), Some("x+y%41 z/"));
        // S3 encodes NextMarker too
        let s3 = seaweed.replace("<NextMarker>x+y%41 z/</NextMarker>", "<NextMarker>x%2By%2541+z/</NextMarker>");
        assert_eq!(parse_store_listing(&s3, &req).unwrap().next_marker.as_deref(), Some("x+y%41 z/"));
        // written back: encoded only when the client asked, every field S3 encodes
        let mut out = r.clone();
        out.encoding_type_url = true;
        let xml = list_v1_xml(&out);
        for want in [
            "<Prefix>x%2By%2541</Prefix>",
            "<Marker>a%2Bb</Marker>",
            "<NextMarker>x%2By%2541+z/</NextMarker>",
            "<Prefix>x%2By%2541+z/</Prefix>",
            "<Delimiter>/</Delimiter>",
        ] {
            assert!(xml.contains(want), "{want} in {xml}");
        }
        out.encoding_type_url = false;
        let xml = list_v1_xml(&out);
        assert!(xml.contains("<Prefix>x+y%41</Prefix>") && xml.contains("<Prefix>x+y%41 z/</Prefix>"), "{xml}");
    }

    #[test]
    fn newline_prefix_comes_back_as_given_unless_url_asked() {
        let store = "<ListBucketResult><Name>b</Name><Prefix>a&#xA;</Prefix><Delimiter>/</Delimiter><StartAfter>a&#xA;</StartAfter><IsTruncated>false</IsTruncated><Contents><Key>a%0Ax</Key><Size>1</Size></Contents><CommonPrefixes><Prefix>a%0Ab/</Prefix></CommonPrefixes><EncodingType>url</EncodingType></ListBucketResult>";
        let req = ListRequest {
            prefix: "a\n".into(),
            delimiter: Some("/".into()),
            start_after: Some("a\n".into()),
            encoding_type_url: true,
            ..ListRequest::default()
        };
        let mut r = parse_store_listing(store, &req).unwrap();
        assert_eq!((r.prefix.as_str(), r.contents[0].key.as_str(), r.common_prefixes[0].as_str()), ("a\n", "a\nx", "a\nb/"));
        r.encoding_type_url = false;
        let xml = list_v2_xml(&r);
        assert!(!xml.contains("%0A") && !xml.contains("EncodingType"), "{xml}");
        assert!(xml.contains("<Prefix>a\nb/</Prefix>") && xml.contains("<StartAfter>a\n</StartAfter>"), "{xml}");
        r.encoding_type_url = true;
        let xml = list_v2_xml(&r);
        for want in [
            "<Prefix>a%0A</Prefix>",
            "<StartAfter>a%0A</StartAfter>",
            "<Key>a%0Ax</Key>",
            "<Prefix>a%0Ab/</Prefix>",
            "<EncodingType>url</EncodingType>",
        ] {
            assert!(xml.contains(want), "{want} in {xml}");
        }
    }
}
