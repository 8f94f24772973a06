//! DeleteObjects: the client's `Delete` request (and the one bagroom sends the store) and the `DeleteResult`.

use super::reader::{parse_strict, Element};
use super::store_errors::{malformed_xml, store_doc};
use super::writer::{XmlWriter, S3_NS};
use crate::s3::error::S3Error;

/// One key of a `DeleteObjects` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectToDelete {
    pub key: String,
    pub version_id: Option<String>,
}

/// S3 accepts at most this many keys in one `DeleteObjects` request.
pub const MAX_DELETE_KEYS: usize = 1000;

/// Parse a client's `<Delete><Quiet>..</Quiet><Object><Key>..</Key><VersionId>..</VersionId></Object>...</Delete>`.
pub fn parse_delete_request(body: &str) -> Result<(bool, Vec<ObjectToDelete>), S3Error> {
    let root = parse_strict(body).ok_or_else(malformed_xml)?;
    if root.name != "Delete" {
        return Err(malformed_xml());
    }
    let mut objects = Vec::new();
    for o in root.children_named("Object") {
        let key = o.child_text("Key").ok_or_else(malformed_xml)?.to_string();
        if key.is_empty() {
            return Err(malformed_xml());
        }
        let version_id = o.child_text("VersionId").map(str::to_string).filter(|v| !v.is_empty());
        objects.push(ObjectToDelete { key, version_id });
    }
    if objects.is_empty() || objects.len() > MAX_DELETE_KEYS {
        return Err(malformed_xml());
    }
    Ok((root.child_bool("Quiet"), objects))
}

/// The `Delete` document for the store.
pub fn delete_request_xml(quiet: bool, objects: &[ObjectToDelete]) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("Delete", S3_NS).boolean("Quiet", quiet);
    for o in objects {
        w.open("Object").elem("Key", &o.key).opt("VersionId", o.version_id.as_deref()).close("Object");
    }
    w.close("Delete");
    w.finish()
}

/// What a `DeleteObjects` answer reports: keys deleted, and keys that failed with a code and message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteResult {
    pub deleted: Vec<ObjectToDelete>,
    pub errors: Vec<(ObjectToDelete, String, String)>,
}

pub fn parse_delete_result(xml: &str) -> Result<DeleteResult, S3Error> {
    let root = store_doc(xml, "DeleteResult")?;
    let obj = |e: &Element| ObjectToDelete {
        key: e.text_or_empty("Key"),
        version_id: e.child_text("VersionId").map(str::to_string).filter(|v| !v.is_empty()),
    };
    Ok(DeleteResult {
        deleted: root.children_named("Deleted").map(obj).collect(),
        errors: root.children_named("Error").map(|e| (obj(e), e.text_or_empty("Code"), e.text_or_empty("Message"))).collect(),
    })
}

pub fn delete_result_xml(r: &DeleteResult, quiet: bool) -> String {
    let mut w = XmlWriter::new();
    w.open_ns("DeleteResult", S3_NS);
    if !quiet {
        for d in &r.deleted {
            w.open("Deleted").elem("Key", &d.key).opt("VersionId", d.version_id.as_deref()).close("Deleted");
        }
    }
    for (o, code, message) in &r.errors {
        w.open("Error")
            .elem("Key", &o.key)
            .opt("VersionId", o.version_id.as_deref())
            .elem("Code", code)
            .elem("Message", message)
            .close("Error");
    }
    w.close("DeleteResult");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_request_round_trip() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>
            <Object><Key>a &amp; b.txt</Key></Object><Object><Key>c</Key><VersionId>v1</VersionId></Object></Delete>"#;
        let (quiet, objs) = parse_delete_request(body).unwrap();
        assert!(quiet);
        assert_eq!(
            objs,
            vec![
                ObjectToDelete { key: "a & b.txt".into(), version_id: None },
                ObjectToDelete { key: "c".into(), version_id: Some("v1".into()) }
            ]
        );
        let again = parse_delete_request(&delete_request_xml(quiet, &objs)).unwrap();
        assert_eq!(again, (true, objs));
        assert!(parse_delete_request("<Delete></Delete>").is_err());
        assert!(parse_delete_request("<Nope/>").is_err());
    }

    #[test]
    fn delete_result_round_trip() {
        let r = DeleteResult {
            deleted: vec![ObjectToDelete { key: "x<y".into(), version_id: None }],
            errors: vec![(ObjectToDelete { key: "z".into(), version_id: None }, "AccessDenied".into(), "no".into())],
        };
        let xml = delete_result_xml(&r, false);
        assert_eq!(parse_delete_result(&xml).unwrap(), r);
        let quiet = parse_delete_result(&delete_result_xml(&r, true)).unwrap();
        assert!(quiet.deleted.is_empty() && quiet.errors.len() == 1);
    }
}
