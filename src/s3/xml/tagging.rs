//! Object tagging: the client's `Tagging` document (PutObjectTagging), checked against S3's tag
//! limits, and the one bagroom sends the store (written from what was checked).

use super::reader::parse_strict;
use super::store_errors::malformed_xml;
use super::writer::{XmlWriter, S3_NS};
use crate::s3::error::{Code, S3Error};

/// S3 allows at most this many tags on an object.
pub const MAX_TAGS: usize = 10;
/// Longest tag key, in characters.
pub const MAX_TAG_KEY: usize = 128;
/// Longest tag value, in characters.
pub const MAX_TAG_VALUE: usize = 256;

/// One tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Parse a client's `<Tagging><TagSet><Tag><Key>..</Key><Value>..</Value></Tag>...</TagSet></Tagging>`
/// with S3's answers: `MalformedXML` for another document or a tag without its key or value,
/// `BadRequest` for more than [`MAX_TAGS`] tags, `InvalidTag` for an empty, too long or repeated
/// key or a too long value. An empty tag set is valid (it removes every tag).
pub fn parse_tagging(body: &str) -> Result<Vec<Tag>, S3Error> {
    let root = parse_strict(body).ok_or_else(malformed_xml)?;
    if root.name != "Tagging" {
        return Err(malformed_xml());
    }
    let set = root.child("TagSet").ok_or_else(malformed_xml)?;
    let mut tags: Vec<Tag> = Vec::new();
    for t in set.children_named("Tag") {
        let key = t.child_text("Key").ok_or_else(malformed_xml)?;
        let value = t.child_text("Value").ok_or_else(malformed_xml)?;
        tags.push(Tag { key: key.to_string(), value: value.to_string() });
    }
    if tags.len() > MAX_TAGS {
        return Err(S3Error::with_message(Code::BadRequest, "Object tags cannot be greater than 10"));
    }
    for (i, t) in tags.iter().enumerate() {
        if t.key.is_empty() {
            return Err(S3Error::with_message(Code::InvalidTag, "The TagKey you have provided is invalid"));
        }
        if t.key.chars().count() > MAX_TAG_KEY {
            return Err(S3Error::with_message(Code::InvalidTag, "The TagKey you have provided is too long, max 128"));
        }
        if t.value.chars().count() > MAX_TAG_VALUE {
            return Err(S3Error::with_message(Code::InvalidTag, "The TagValue you have provided is too long, max 256"));
        }
        if tags[..i].iter().any(|o| o.key == t.key) {
            return Err(S3Error::with_message(Code::InvalidTag, "Cannot provide multiple Tags with the same key"));
        }
    }
    Ok(tags)
}

/// The `Tagging` document for the store.
pub fn tagging_xml(tags: &[Tag]) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("Tagging", S3_NS).open("TagSet");
    for t in tags {
        w.open("Tag").elem("Key", &t.key).elem("Value", &t.value).close("Tag");
    }
    w.close("TagSet").close("Tagging");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(tags: &[(&str, &str)]) -> String {
        let t: Vec<Tag> = tags.iter().map(|(k, v)| Tag { key: k.to_string(), value: v.to_string() }).collect();
        tagging_xml(&t)
    }

    #[test]
    fn round_trip_and_what_sdks_send() {
        let tags = parse_tagging(&doc(&[("a", "1"), ("k & <x>", "é ✓"), ("empty", "")])).unwrap();
        assert_eq!(tags.len(), 3);
        assert_eq!(tags[1], Tag { key: "k & <x>".into(), value: "é ✓".into() });
        assert_eq!(tags[2].value, "");
        // boto3's body (namespace, no declaration)
        let boto = r#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>x</Key><Value>y</Value></Tag></TagSet></Tagging>"#;
        assert_eq!(parse_tagging(boto).unwrap(), vec![Tag { key: "x".into(), value: "y".into() }]);
        // an empty set removes the tags
        assert_eq!(parse_tagging("<Tagging><TagSet/></Tagging>").unwrap(), vec![]);
        assert!(tagging_xml(&[]).contains("<TagSet></TagSet>") || tagging_xml(&[]).contains("<TagSet/>"));
    }

    #[test]
    fn s3s_limits() {
        let code = |body: &str| parse_tagging(body).unwrap_err().code.as_str();
        let many: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), "v".to_string())).collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(code(&doc(&many)), "BadRequest");
        assert!(parse_tagging(&doc(&many[..10])).is_ok());
        let k128 = "é".repeat(128);
        assert!(parse_tagging(&doc(&[(&k128, "v")])).is_ok(), "128 characters, more bytes");
        assert_eq!(code(&doc(&[(&"k".repeat(129), "v")])), "InvalidTag");
        assert!(parse_tagging(&doc(&[("k", &"v".repeat(256))])).is_ok());
        assert_eq!(code(&doc(&[("k", &"v".repeat(257))])), "InvalidTag");
        assert_eq!(code(&doc(&[("k", "1"), ("k", "2")])), "InvalidTag");
        assert_eq!(code(&doc(&[("", "1")])), "InvalidTag");
        for bad in [
            "",
            "not xml",
            "<Delete><Object><Key>a</Key></Object></Delete>",
            "<Tagging></Tagging>",
            "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",
            "<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet></Tagging>",
        ] {
            assert_eq!(code(bad), "MalformedXML", "{bad}");
        }
        for e in [parse_tagging(&doc(&many)).unwrap_err(), parse_tagging(&doc(&[("k", "1"), ("k", "2")])).unwrap_err()] {
            assert_eq!(e.status, 400);
        }
    }
}
