//! bagroom: an S3 edge gateway.
//!
//! The pure core (every module here but `worker`) decides: it takes plain inputs
//! (method, path, query, headers, now, secrets) and returns plain decisions. It builds
//! natively and is tested with `cargo test`. The `worker` module is the thin edge shell
//! that translates between `worker::Request`/`Response` and the core; it is compiled
//! only for wasm32.

pub mod config;
pub mod copy_source;
pub mod guard;
pub mod encoding;
pub mod error;
pub mod http;
pub mod sigv2;
pub mod sigv4;
pub mod time;
pub mod xml;
pub mod range;
pub mod conditional;
pub mod content_safety;
pub mod cache_policy;
pub mod listing;
pub mod token;
pub mod api;
pub mod auth;
pub mod download;
pub mod route;
pub mod store;
pub mod upload;

#[cfg(target_arch = "wasm32")]
mod worker;

pub use error::S3Error;

/// Crate version, reported by `/healthz`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
