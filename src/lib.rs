//! bagroom: an S3 edge gateway.
//!
//! The pure core (every module here but `worker`) decides: it takes plain inputs
//! (method, path, query, headers, now, secrets) and returns plain decisions. It builds
//! natively and is tested with `cargo test`. The `worker` module is the thin edge shell
//! that translates between `worker::Request`/`Response` and the core; it is compiled
//! only for wasm32. `docs/architecture.md` follows a request through the modules.

/// Structured access logs (one JSON line per request) and the report over them.
pub mod access_log;
/// The demo page's JSON API and the Uppy Companion routes, as pure decisions.
pub mod api;
/// Who is asking: SigV4 and SigV2 verification, share tokens, the principal.
pub mod auth;
/// Answering downloads from the edge cache: cache keys and what may be stored.
pub mod cache;
/// Typed configuration from vars and secrets.
pub mod config;
/// Hex, percent and Base64 encodings.
pub mod encoding;
/// May they: the operation table, authorised keys, the store header allow-list, the plan.
pub mod guard;
/// Plain HTTP: headers and request parts, ranges, conditionals, serving user content safely.
pub mod http;
/// A small JSON parser and writer (what the gateway needs of JSON, without serde_json in the bundle).
pub mod json;
/// S3 as clients speak it: routing to operations, errors, XML documents, listings.
pub mod s3;
/// The signing steps of SigV4 (canonical request, string to sign, signing key, signature),
/// signing, presigning, POST policies and aws-chunked bodies.
pub mod sigv4;
/// One stable sort for every element type (std's sorts are monomorphized per type: bundle size).
pub mod sort;
/// Requests to the backing store, built only from grants.
pub mod store;
/// Substring search for `&str` patterns, without core's two-way searcher (bundle size).
pub mod text;
/// Dates as HTTP, S3 and SigV4 write them.
pub mod time;
/// Upload plans and the streaming body filter.
pub mod upload;

#[cfg(target_arch = "wasm32")]
mod worker;

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub use s3::error::S3Error;

/// Crate version, reported by `/healthz`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
