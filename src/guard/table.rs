//! The operation table: for every S3 operation bagroom serves, what the credential needs on the
//! request's key, every other key the operation names, which client headers may reach the store
//! and what body the gateway reads. One exhaustive `match`: a new [`S3Op`] does not compile until
//! it has a row here.
//!
//! | operation | on its key | other keys | client headers to the store | body |
//! | --- | --- | --- | --- | --- |
//! | GetObject | GET | - | read conditions, range | - |
//! | HeadObject | HEAD (a GET token allows it) | - | read conditions, range | - |
//! | PutObject | PUT | - | content metadata, checksums, conditional write | streamed, capped |
//! | PostObject | PUT on the form's key, by the access key that signed the form's policy (after the fields are read) | - | the form's content metadata (PUT's allow-list) | the form, buffered, capped |
//! | CopyObject | PUT | copy source: GET, same principal | content metadata, copy conditions | - |
//! | DeleteObject | DELETE | - | - | - |
//! | DeleteObjects | DELETE somewhere (before the body is read) | every key in the body: DELETE | - | XML, capped |
//! | CreateMultipartUpload | PUT | - | content metadata, checksum algorithm | - |
//! | UploadPart | PUT | - | part checksums | streamed, capped |
//! | UploadPartCopy | PUT | copy source: GET, same principal | copy range, copy conditions | - |
//! | CompleteMultipartUpload | PUT | - | conditional write | XML, capped |
//! | AbortMultipartUpload | PUT | - | - | - |
//! | ListParts | PUT | - | - | - |
//! | ListObjects, ListObjectVersions | LIST on the prefix | - | - | - |
//! | HeadBucket, GetBucketLocation, GetBucketVersioning | LIST on the credential's scope | - | - | - |
//! | ListBuckets, ListMultipartUploads | access key only (ListBuckets adds the namespace's store buckets for its admins) | - | - | - |
//! | CreateBucket, DeleteBucket | a namespace bucket, by the access keys in `BAGROOM_BUCKET_ADMINS`; CreateBucket of a configured bucket: 409 `BucketAlreadyOwnedByYou` | - | - | - (the CreateBucketConfiguration is not read) |
//! | GetObjectTagging, GetObjectAcl | GET | - | - | - |
//! | GetObjectAttributes | GET | - | the attribute list, max parts, part marker | - |
//! | PutObjectTagging | access key only, PUT | - | - | XML, capped, tag limits checked |
//! | DeleteObjectTagging | access key only, PUT | - | - | - |
//! | GetBucketAcl | access key only | - | - | - |
//! | PutObjectAcl, PutBucketAcl, PutBucketVersioning | **refused** (403) to everyone | - | - | - |
//!
//! Store-level attributes (storage class, tagging, server-side encryption, object lock, website
//! redirect) reach the store only from access-key principals; ACL and grant headers never (the
//! bucket's privacy is bagroom's to keep). See [`super::headers`].

use crate::auth::token::Method;
use crate::s3::route::S3Op;

/// What the credential needs on the request's own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// This token method on the key (access keys may do everything; anonymous callers may
    /// GET/HEAD/LIST under public prefixes only).
    Key(Method),
    /// LIST on the listing's prefix (clamped to the credential's scope).
    ListPrefix,
    /// LIST on the credential's own scope (bucket-level reads that name no key).
    BucketScope,
    /// The credential must hold this method somewhere in the bucket before its body is read;
    /// each key the body names is then authorised on its own ([`OtherKeys::BodyKeys`]).
    AnyKey(Method),
    /// The credential is in the body: a POST form's policy, signed by one of the gateway's access
    /// keys. After the fields are read and the policy verified, the form's key is authorised with
    /// this method for that access key (`super::plan::plan_form`); the request's own credential
    /// (none, or a share token) gains nothing.
    FormPolicy(Method),
    /// Only the gateway's access keys.
    AccessKey,
    /// The bucket itself (create, delete): a bucket of the namespace, by the access keys in
    /// `BAGROOM_BUCKET_ADMINS` (`super::grant::authorize_bucket_admin`).
    BucketAdmin,
    /// Only the gateway's access keys, on the key with this method: the operation sets store
    /// attributes (object tags), which share tokens never set.
    AccessKeyOn(Method),
    /// Served to nobody: 403 `AccessDenied` with this reason.
    Denied(&'static str),
    /// Nothing is served (an unsupported sub-resource).
    Refused,
}

/// Other keys an operation makes the store touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherKeys {
    None,
    /// `x-amz-copy-source`: GET on the source key with the same principal.
    CopySource,
    /// Every key listed in the request body (DeleteObjects), each with this method.
    BodyKeys(Method),
}

/// Which group of client headers may reach the store (see [`super::headers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderSet {
    /// No client header reaches the store.
    None,
    /// Range and the read conditions.
    Read,
    /// Content metadata, checksums, conditional write.
    Put,
    /// Checksums of one part.
    Part,
    /// Content metadata and the checksum algorithm.
    CreateMultipart,
    /// The conditional write of the assembled object.
    Complete,
    /// Content metadata (with `REPLACE`), the copy conditions.
    Copy,
    /// The copy range and conditions.
    PartCopy,
    /// GetObjectAttributes: which attributes, and the page of parts.
    Attributes,
}

/// The body the gateway reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    None,
    /// Streamed to the store, counted against the upload limit.
    Stream,
    /// An XML document read whole, at most this many bytes, after authorisation.
    Xml {
        cap: usize,
    },
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub need: Need,
    pub other_keys: OtherKeys,
    pub headers: HeaderSet,
    pub body: Body,
    /// Does the operation change an object (and so purge its cache entry)?
    pub writes: bool,
}

/// Largest DeleteObjects document: 1,000 keys of 1,024 bytes plus markup (S3 allows 1,000 keys).
pub const MAX_DELETE_XML: usize = 2 * 1024 * 1024;
/// Largest CompleteMultipartUpload document: 10,000 parts with four checksums each.
pub const MAX_COMPLETE_XML: usize = 4 * 1024 * 1024;
/// Largest PutObjectTagging document: 10 tags of at most 128 + 256 characters (4 bytes each,
/// some written as references) and markup.
pub const MAX_TAGGING_XML: usize = 64 * 1024;

/// Why nobody sets versioning through bagroom.
pub const VERSIONING_WRITE_REFUSED: &str = "bucket versioning is the store's configuration, set on the store, not through bagroom";

/// Why nobody writes ACLs through bagroom.
pub const ACL_WRITE_REFUSED: &str = "bagroom keeps the bucket and its objects private and sets no ACLs";

const fn row(need: Need, other_keys: OtherKeys, headers: HeaderSet, body: Body, writes: bool) -> Rule {
    Rule { need, other_keys, headers, body, writes }
}

/// The row for `op`.
pub const fn rule(op: &S3Op) -> Rule {
    use Body as B;
    use HeaderSet as H;
    use Need::*;
    use OtherKeys as O;
    match op {
        S3Op::GetObject => row(Key(Method::Get), O::None, H::Read, B::None, false),
        S3Op::HeadObject => row(Key(Method::Head), O::None, H::Read, B::None, false),
        S3Op::PutObject => row(Key(Method::Put), O::None, H::Put, B::Stream, true),
        S3Op::PostObject => row(FormPolicy(Method::Put), O::None, H::None, B::Stream, true),
        S3Op::CopyObject => row(Key(Method::Put), O::CopySource, H::Copy, B::None, true),
        S3Op::DeleteObject => row(Key(Method::Delete), O::None, H::None, B::None, true),
        S3Op::DeleteObjects => row(AnyKey(Method::Delete), O::BodyKeys(Method::Delete), H::None, B::Xml { cap: MAX_DELETE_XML }, true),
        S3Op::CreateMultipartUpload => row(Key(Method::Put), O::None, H::CreateMultipart, B::None, false),
        S3Op::UploadPart => row(Key(Method::Put), O::None, H::Part, B::Stream, false),
        S3Op::UploadPartCopy => row(Key(Method::Put), O::CopySource, H::PartCopy, B::None, false),
        S3Op::CompleteMultipartUpload => row(Key(Method::Put), O::None, H::Complete, B::Xml { cap: MAX_COMPLETE_XML }, true),
        S3Op::AbortMultipartUpload => row(Key(Method::Put), O::None, H::None, B::None, false),
        S3Op::ListParts => row(Key(Method::Put), O::None, H::None, B::None, false),
        S3Op::ListObjects | S3Op::ListObjectVersions => row(ListPrefix, O::None, H::None, B::None, false),
        S3Op::CreateBucket | S3Op::DeleteBucket => row(BucketAdmin, O::None, H::None, B::None, false),
        S3Op::HeadBucket | S3Op::GetBucketLocation | S3Op::GetBucketVersioning => row(BucketScope, O::None, H::None, B::None, false),
        S3Op::ListBuckets | S3Op::ListMultipartUploads | S3Op::GetBucketAcl => row(AccessKey, O::None, H::None, B::None, false),
        S3Op::GetObjectTagging | S3Op::GetObjectAcl => row(Key(Method::Get), O::None, H::None, B::None, false),
        S3Op::GetObjectAttributes => row(Key(Method::Get), O::None, H::Attributes, B::None, false),
        S3Op::PutObjectTagging => row(AccessKeyOn(Method::Put), O::None, H::None, B::Xml { cap: MAX_TAGGING_XML }, true),
        S3Op::DeleteObjectTagging => row(AccessKeyOn(Method::Put), O::None, H::None, B::None, true),
        S3Op::PutObjectAcl | S3Op::PutBucketAcl => row(Denied(ACL_WRITE_REFUSED), O::None, H::None, B::None, false),
        S3Op::PutBucketVersioning => row(Denied(VERSIONING_WRITE_REFUSED), O::None, H::None, B::None, false),
        S3Op::Unsupported(_) => row(Refused, O::None, H::None, B::None, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_naming_operation_needs_a_method_and_copies_need_their_source() {
        for op in [S3Op::CopyObject, S3Op::UploadPartCopy] {
            assert_eq!(rule(&op).other_keys, OtherKeys::CopySource, "{op:?}");
            assert_eq!(rule(&op).need, Need::Key(Method::Put), "{op:?}");
        }
        assert_eq!(rule(&S3Op::DeleteObjects).other_keys, OtherKeys::BodyKeys(Method::Delete));
        assert!(matches!(rule(&S3Op::Unsupported("acl".into())).need, Need::Refused));
        assert!(matches!(rule(&S3Op::ListMultipartUploads).need, Need::AccessKey));
    }

    #[test]
    fn tags_are_written_by_access_keys_only_and_acls_by_nobody() {
        for op in [S3Op::PutObjectTagging, S3Op::DeleteObjectTagging] {
            assert_eq!(rule(&op).need, Need::AccessKeyOn(Method::Put), "{op:?}");
            assert!(rule(&op).writes, "{op:?}");
        }
        for op in [S3Op::GetObjectTagging, S3Op::GetObjectAcl, S3Op::GetObjectAttributes] {
            assert_eq!(rule(&op).need, Need::Key(Method::Get), "{op:?}");
        }
        assert_eq!(rule(&S3Op::GetBucketAcl).need, Need::AccessKey);
        for op in [S3Op::PutObjectAcl, S3Op::PutBucketAcl] {
            assert_eq!(rule(&op).need, Need::Denied(ACL_WRITE_REFUSED), "{op:?}");
        }
    }

    #[test]
    fn versioning_is_read_on_the_credentials_scope_and_set_by_nobody() {
        assert_eq!(rule(&S3Op::GetBucketVersioning).need, Need::BucketScope);
        assert_eq!(rule(&S3Op::ListObjectVersions).need, Need::ListPrefix);
        assert_eq!(rule(&S3Op::PutBucketVersioning).need, Need::Denied(VERSIONING_WRITE_REFUSED));
        for op in [S3Op::GetBucketVersioning, S3Op::ListObjectVersions, S3Op::PutBucketVersioning] {
            assert_eq!((rule(&op).headers, rule(&op).body, rule(&op).writes), (HeaderSet::None, Body::None, false), "{op:?}");
        }
    }

    #[test]
    fn bodies_are_capped() {
        for op in [S3Op::DeleteObjects, S3Op::CompleteMultipartUpload, S3Op::PutObjectTagging] {
            match rule(&op).body {
                Body::Xml { cap } => assert!(cap > 0 && cap <= 4 * 1024 * 1024),
                b => panic!("{op:?}: {b:?}"),
            }
        }
    }
}
