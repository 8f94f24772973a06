//! The trailing checksums (`x-amz-checksum-*` in an aws-chunked trailer) the gateway computes
//! over a streamed body to check the one the client sends.

use base64::Engine;
use sha2::{Digest, Sha256};

/// Trailing checksums the gateway verifies.
pub const SUPPORTED_CHECKSUMS: &[&str] =
    &["x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256"];

pub(super) enum Check {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64(u64),
    Sha1(sha1::Sha1),
    Sha256(Sha256),
}

impl Check {
    pub(super) fn new(name: &str) -> Option<Check> {
        Some(match name {
            "x-amz-checksum-crc32" => Check::Crc32(crc32fast::Hasher::new()),
            "x-amz-checksum-crc32c" => Check::Crc32c(0),
            "x-amz-checksum-crc64nvme" => Check::Crc64(!0),
            "x-amz-checksum-sha1" => Check::Sha1(sha1::Sha1::default()),
            "x-amz-checksum-sha256" => Check::Sha256(Sha256::new()),
            _ => return None,
        })
    }
    pub(super) fn update(&mut self, b: &[u8]) {
        match self {
            Check::Crc32(h) => h.update(b),
            Check::Crc32c(c) => *c = crc32c::crc32c_append(*c, b),
            Check::Crc64(c) => *c = crc64nvme_update(*c, b),
            Check::Sha1(h) => sha1::Digest::update(h, b),
            Check::Sha256(h) => h.update(b),
        }
    }
    pub(super) fn finish_b64(self) -> String {
        let b64 = |v: &[u8]| base64::engine::general_purpose::STANDARD.encode(v);
        match self {
            Check::Crc32(h) => b64(&h.finalize().to_be_bytes()),
            Check::Crc32c(c) => b64(&c.to_be_bytes()),
            Check::Crc64(c) => b64(&(!c).to_be_bytes()),
            Check::Sha1(h) => b64(&sha1::Digest::finalize(h)),
            Check::Sha256(h) => b64(&h.finalize()),
        }
    }
}

/// CRC-64/NVME (reflected, poly 0xAD93D23594C93659), as S3's `x-amz-checksum-crc64nvme`.
pub fn crc64nvme_update(mut crc: u64, data: &[u8]) -> u64 {
    const POLY: u64 = 0x9A6C_9329_AC4B_C9B5;
    for &b in data {
        crc ^= b as u64;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ POLY } else { crc >> 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64nvme_check_value() {
        assert_eq!(!crc64nvme_update(!0, b"123456789"), 0xAE8B_1486_0A79_9888);
    }
}
