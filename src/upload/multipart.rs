//! Multipart bookkeeping: the key an upload lands at, stale uploads, the store's part listing
//! (retried parts), the size a CompleteMultipartUpload would assemble, and the decisions at
//! completion.
//!
//! Completing an upload (`worker::write::complete`) is, in this order: list the parts in the
//! store; [`check_listed_total`] against the limit (over it: abort the upload, so nothing is
//! left behind); complete in the store with [`complete_headers`] (a token's no-overwrite is a
//! conditional write); [`check_stored_size`] on the size the store reports for the assembled
//! object (over it: delete the object). The shell only does the IO between these steps.

use crate::guard::StoreHeaders;
use crate::s3::error::S3Error;

/// The key an upload from the demo page or Uppy lands at: a file name relative to the token's
/// scope (`uploads/` + `cat.png`), or the token's exact key.
pub fn key_for_upload(scope: &crate::auth::token::Scope, filename: &str) -> Result<String, S3Error> {
    use crate::auth::token::Scope;
    let name = filename.trim_start_matches('/');
    if name.is_empty() {
        return Err(S3Error::invalid_argument("a file name is required"));
    }
    if name.len() > 1024 || name.chars().any(|c| c.is_control()) {
        return Err(S3Error::invalid_argument("the file name is not a valid S3 key"));
    }
    match scope {
        Scope::Exact(k) => Ok(k.clone()),
        Scope::Prefix(p) if name.starts_with(p.as_str()) => Ok(name.to_string()),
        Scope::Prefix(p) => Ok(format!("{p}{name}")),
    }
}

/// Is a multipart upload initiated at `initiated` (unix s) older than `max_age` at `now`?
/// An upload whose start time is unknown is left alone.
pub fn is_stale(initiated: Option<u64>, now: u64, max_age: u64) -> bool {
    initiated.is_some_and(|t| now.saturating_sub(t) > max_age)
}

/// One entry per part number, in part-number order. Some stores keep every attempt of a retried
/// part and list each (SeaweedFS does, in no particular order): the latest upload wins (by
/// `LastModified`; when those tie, the first listed). A client resuming from this list completes
/// with the ETag it shows, and the store assembles exactly the attempt with that ETag.
pub fn latest_parts(parts: Vec<crate::s3::xml::PartInfo>) -> Vec<crate::s3::xml::PartInfo> {
    let mut out: Vec<crate::s3::xml::PartInfo> = Vec::with_capacity(parts.len());
    for p in parts {
        match out.iter_mut().find(|q| q.part_number == p.part_number) {
            Some(q) => {
                if p.last_modified > q.last_modified {
                    *q = p;
                }
            }
            None => out.push(p),
        }
    }
    crate::sort::sort_by_key(&mut out, |p| p.part_number);
    out
}

fn bare_etag(e: &str) -> &str {
    crate::text::trim_start_matches(e.trim(), "W/").trim_matches('"')
}

/// The size of the object a CompleteMultipartUpload would assemble from `requested`, given the
/// store's listing. Each requested part is matched by number *and* ETag, since a store may list
/// several attempts of one part number with different sizes; a part whose ETag matches no listed
/// attempt counts as its largest attempt (the limit check errs on the safe side; the store refuses
/// such a part anyway). A part number the client names more than once (it recorded a re-sent
/// part twice: the store takes one attempt per number) counts once, as the largest attempt it
/// names.
pub fn completed_size(requested: &[crate::s3::xml::CompletedPart], listed: &[crate::s3::xml::PartInfo]) -> u64 {
    let mut numbers: Vec<u32> = requested.iter().map(|r| r.part_number).collect();
    crate::sort::sort(&mut numbers);
    numbers.dedup();
    numbers
        .iter()
        .map(|&n| {
            let same: Vec<&crate::s3::xml::PartInfo> = listed.iter().filter(|l| l.part_number == n).collect();
            let largest = same.iter().map(|l| l.size).max().unwrap_or(0);
            requested
                .iter()
                .filter(|r| r.part_number == n)
                .map(|r| same.iter().find(|l| bare_etag(&l.etag) == bare_etag(&r.etag)).map_or(largest, |l| l.size))
                .max()
                .unwrap_or(0)
        })
        .sum()
}

/// The ETag S3 (and SeaweedFS) gives an object assembled from `parts`: the MD5 of the parts'
/// binary MD5s, then `-<count>`, quoted. `None` when a part's ETag is not a plain MD5 (SSE-KMS,
/// a store of its own kind) or a part number is named twice (which attempt the store took is
/// its own choice).
pub fn multipart_etag(parts: &[crate::s3::xml::CompletedPart]) -> Option<String> {
    use md5::{Digest as _, Md5};
    let mut h = Md5::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 && parts.get(i - 1).map(|q| q.part_number) == Some(p.part_number) {
            return None;
        }
        let e = bare_etag(&p.etag);
        let d = crate::encoding::from_hex(e).filter(|d| d.len() == 16)?;
        h.update(&d);
    }
    Some(format!("\"{}-{}\"", crate::encoding::hex(&h.finalize()), parts.len()))
}

/// A CompleteMultipartUpload whose upload the store no longer lists (`NoSuchUpload` from the
/// part listing): is it a retry of a completion that already happened? Stores answer a repeated
/// completion of the same upload with success (S3 and SeaweedFS do; clients retry a completion
/// whose answer they lost). It is, when the object at the key (`stored_etag`, from a HEAD) has
/// exactly the ETag the requested parts assemble to: the gateway then answers with that ETag and
/// writes nothing. Otherwise (no object, another object, parts that do not give a plain ETag)
/// the store's `NoSuchUpload` stands.
pub fn already_completed(requested: &[crate::s3::xml::CompletedPart], stored_etag: Option<&str>) -> Option<String> {
    let expected = multipart_etag(requested)?;
    let stored = stored_etag?;
    (bare_etag(stored) == bare_etag(&expected)).then_some(expected)
}

/// The size the completion would assemble from `requested` ([`completed_size`] over the store's
/// `listed` parts), refused over `limit` with EntityTooLarge. On the error the shell aborts the
/// upload before answering.
pub fn check_listed_total(
    requested: &[crate::s3::xml::CompletedPart],
    listed: &[crate::s3::xml::PartInfo],
    limit: u64,
) -> Result<u64, S3Error> {
    let total = completed_size(requested, listed);
    if total > limit {
        return Err(S3Error::entity_too_large(limit));
    }
    Ok(total)
}

/// Headers for the store's CompleteMultipartUpload: the client's (those the operation table let
/// through), the XML body's content type, and `If-None-Match: *` when the object must not
/// already exist (a token's `no_overwrite`).
pub fn complete_headers(client_headers: StoreHeaders, no_overwrite: bool) -> StoreHeaders {
    let mut h = client_headers;
    h.set("content-type", "application/xml");
    if no_overwrite {
        h.set("if-none-match", "*");
    }
    h
}

/// The size of the assembled object: what the store reports (`stored`; when it reports none,
/// the `listed_total` from [`check_listed_total`]), refused over `limit` with EntityTooLarge. A
/// part uploaded straight to the store between the listing and the completion could slip past
/// the first check; on the error the shell deletes the object it just completed.
pub fn check_stored_size(stored: Option<u64>, listed_total: u64, limit: u64) -> Result<u64, S3Error> {
    let size = stored.unwrap_or(listed_total);
    if size > limit {
        return Err(S3Error::entity_too_large(limit));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::Scope;

    #[test]
    fn staleness() {
        assert!(is_stale(Some(0), 100, 99));
        assert!(!is_stale(Some(0), 100, 100));
        assert!(!is_stale(None, 100, 0));
    }

    fn part(n: u32, etag: &str, size: u64, t: u64) -> crate::s3::xml::PartInfo {
        crate::s3::xml::PartInfo { part_number: n, last_modified: Some(t), etag: format!("\"{etag}\""), size, checksums: Vec::new() }
    }

    #[test]
    fn retried_parts_listed_once_latest_wins() {
        let listed = vec![part(2, "b-old", 10, 100), part(1, "a", 5, 100), part(2, "b-new", 20, 101), part(2, "b-tie", 30, 101)];
        let got = latest_parts(listed);
        let etags: Vec<&str> = got.iter().map(|p| p.etag.as_str()).collect();
        assert_eq!(etags, ["\"a\"", "\"b-new\""]);
    }

    #[test]
    fn completed_size_matches_each_part_by_etag() {
        use crate::s3::xml::CompletedPart;
        let listed = vec![part(2, "small", 1, 100), part(1, "a", 5 << 20, 100), part(2, "big", 100 << 20, 100), part(2, "small2", 2, 100)];
        let req = |n: u32, e: &str| CompletedPart { part_number: n, etag: e.to_string(), checksums: Vec::new() };
        // whatever the listing order, the attempt the client names is the one counted
        assert_eq!(completed_size(&[req(1, "\"a\""), req(2, "big")], &listed), (5 << 20) + (100 << 20));
        assert_eq!(completed_size(&[req(1, "a"), req(2, "\"small\"")], &listed), (5 << 20) + 1);
        // an ETag the store does not list: counted as the largest attempt
        assert_eq!(completed_size(&[req(2, "nope")], &listed), 100 << 20);
        assert_eq!(completed_size(&[req(3, "x")], &listed), 0);
        // a part number named twice (a re-sent part the client recorded twice) counts once, as
        // the largest attempt it names
        assert_eq!(completed_size(&[req(1, "a"), req(2, "small"), req(2, "big")], &listed), (5 << 20) + (100 << 20));
        assert_eq!(completed_size(&[req(2, "small"), req(2, "small2")], &listed), 2);
        assert_eq!(completed_size(&[req(2, "small"), req(2, "nope")], &listed), 100 << 20);
    }

    #[test]
    fn multipart_etags_as_the_store_computes_them() {
        use crate::s3::xml::CompletedPart;
        let req = |n: u32, e: &str| CompletedPart { part_number: n, etag: e.to_string(), checksums: Vec::new() };
        // md5(md5("a") || md5("b")) - 2, as S3 and SeaweedFS write it
        let a = "\"0cc175b9c0f1b6a831c399e269772661\"";
        let b = "92eb5ffee6ae2fec3ad71c777531578f";
        assert_eq!(multipart_etag(&[req(1, a), req(2, b)]).as_deref(), Some("\"96e024ba2074fe77e8e965ba43a704be-2\""));
        assert_eq!(multipart_etag(&[req(1, "not-an-md5")]), None);
        assert_eq!(multipart_etag(&[req(1, a), req(1, b)]), None);
        // a retried completion: the object already has the ETag these parts assemble to
        let want = multipart_etag(&[req(1, a), req(2, b)]);
        assert_eq!(already_completed(&[req(1, a), req(2, b)], want.as_deref()), want);
        assert_eq!(already_completed(&[req(1, a), req(2, b)], Some("\"0cc175b9c0f1b6a831c399e269772661\"")), None);
        assert_eq!(already_completed(&[req(1, a), req(2, b)], None), None);
        assert_eq!(already_completed(&[req(1, a)], Some("\"0cc175b9c0f1b6a831c399e269772661\"")), None);
    }
    #[test]
    fn upload_keys() {
        assert_eq!(key_for_upload(&Scope::Prefix("up/".into()), "a b.txt").unwrap(), "up/a b.txt");
        assert_eq!(key_for_upload(&Scope::Prefix("up/".into()), "up/x").unwrap(), "up/x");
        assert_eq!(key_for_upload(&Scope::Exact("k".into()), "whatever").unwrap(), "k");
        assert!(key_for_upload(&Scope::Prefix("".into()), "").is_err());
    }

    #[test]
    fn the_listed_total_is_checked_against_the_limit() {
        use crate::s3::xml::CompletedPart;
        let listed = vec![part(1, "a", 60, 100), part(2, "b", 40, 100), part(2, "b2", 70, 101)];
        let req = |n: u32, e: &str| CompletedPart { part_number: n, etag: e.to_string(), checksums: Vec::new() };
        assert_eq!(check_listed_total(&[req(1, "a"), req(2, "b")], &listed, 100).unwrap(), 100);
        let e = check_listed_total(&[req(1, "a"), req(2, "b2")], &listed, 100).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "EntityTooLarge"));
        assert!(e.extra.iter().any(|(k, v)| *k == "MaxSizeAllowed" && v == "100"));
        assert_eq!(check_listed_total(&[], &listed, 0).unwrap(), 0);
    }

    #[test]
    fn completion_headers() {
        let mut client = StoreHeaders::none();
        client.set("x-amz-request-payer", "requester");
        client.set("content-type", "text/plain");
        let h = complete_headers(client.clone(), false);
        assert_eq!(h.get("content-type"), Some("application/xml"));
        assert_eq!(h.get("x-amz-request-payer"), Some("requester"));
        assert_eq!(h.get("if-none-match"), None);
        let h = complete_headers(client, true);
        assert_eq!(h.get("if-none-match"), Some("*"));
        assert_eq!(h.get("content-type"), Some("application/xml"));
    }

    #[test]
    fn the_stored_size_is_checked_again() {
        assert_eq!(check_stored_size(Some(100), 10, 100).unwrap(), 100);
        assert_eq!(check_stored_size(Some(101), 10, 100).unwrap_err().code, "EntityTooLarge");
        // the store reports no size: the listed total stands
        assert_eq!(check_stored_size(None, 10, 100).unwrap(), 10);
        assert_eq!(check_stored_size(None, 101, 100).unwrap_err().code, "EntityTooLarge");
    }
}
