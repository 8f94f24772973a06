//! What the signature test binaries share: the captured client requests and the key they were
//! signed with (`tests/data/sigv4/README.md`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub const AKID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// `tests/data/sigv4/captured-clients`.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigv4/captured-clients")
}

/// The gateway's key list with the captures' key.
pub fn keys() -> Vec<(String, String)> {
    vec![(AKID.to_string(), SECRET.to_string())]
}
