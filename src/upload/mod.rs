//! Upload decisions: how a proxied PUT (or UploadPart) body travels to the store, which
//! limits bind it, and the byte filter that enforces them while the body streams.
//!
//! Fast path: a body with a known length, no `aws-chunked` framing and no payload hash to
//! check goes to the store untouched (the JS stream is handed over, never read in Rust).
//! Everything else passes through [`BodyFilter`]: it decodes `aws-chunked` (checking every
//! chunk signature), hashes the body when a SHA-256 was signed, verifies trailing checksums,
//! and counts bytes against the limit. On any failure the shell errors the stream, so the
//! store never completes the object.
//!
//! - [`plan`]: the put plan (framing, length, limits, store headers) and a token's copy limits;
//! - [`filter`]: the streaming [`BodyFilter`];
//! - [`checksum`]: the trailing checksums it verifies (CRC32, CRC32C, CRC64/NVME, SHA-1, SHA-256);
//! - [`multipart`]: upload keys, stale uploads, part listings, completed sizes, multipart ETags
//!   (a retried completion) and the checks at CompleteMultipartUpload;
//! - [`event`]: the upload-complete event's JSON;
//! - [`post`]: POST Object (form uploads): the form parsed and its policy verified.
//!
//! Everything is re-exported here (`crate::upload::plan_put`, ...); the submodules import each
//! other directly, never through these re-exports.

pub mod checksum;
pub mod event;
pub mod filter;
pub mod multipart;
pub mod plan;
pub mod post;

pub use checksum::{crc64nvme_update, SUPPORTED_CHECKSUMS};
pub use event::{upload_event, UploadEvent};
pub use filter::{BodyFilter, Out};
pub use multipart::{
    already_completed, check_listed_total, check_stored_size, complete_headers, completed_size, is_stale, key_for_upload, latest_parts,
    multipart_etag,
};
pub use plan::{byte_limit, plan_copy, plan_put, plan_put_with, CopyPlan, Framing, PutPlan, MIN_UPLOAD_RATE, S3_MAX_PUT};
