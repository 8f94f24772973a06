//! The trailing checksums (`x-amz-checksum-*` in an aws-chunked trailer) the gateway computes
//! over a streamed body to check the one the client sends.
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Trailing checksums the gateway verifies.
pub const SUPPORTED_CHECKSUMS: &[&str] =
    &["x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256"];

pub(super) enum Check {
    Crc32(u32),
    Crc32c(u32),
    Crc64(u64),
    Sha1(sha1::Sha1),
    Sha256(Sha256),
}

impl Check {
    pub(super) fn new(name: &str) -> Option<Check> {
        Some(match name {
            "x-amz-checksum-crc32" => Check::Crc32(0),
            "x-amz-checksum-crc32c" => Check::Crc32c(0),
            "x-amz-checksum-crc64nvme" => Check::Crc64(!0),
            "x-amz-checksum-sha1" => Check::Sha1(sha1::Sha1::default()),
            "x-amz-checksum-sha256" => Check::Sha256(Sha256::new()),
            _ => return None,
        })
    }
    pub(super) fn update(&mut self, b: &[u8]) {
        match self {
            Check::Crc32(c) => *c = crc32_update(*c, b),
            Check::Crc32c(c) => *c = crc32c_update(*c, b),
            Check::Crc64(c) => *c = crc64nvme_update(*c, b),
            Check::Sha1(h) => sha1::Digest::update(h, b),
            Check::Sha256(h) => h.update(b),
        }
    }
    pub(super) fn finish_b64(self) -> String {
        let b64 = |v: &[u8]| crate::encoding::base64::encode(v);
        match self {
            Check::Crc32(c) => b64(&c.to_be_bytes()),
            Check::Crc32c(c) => b64(&c.to_be_bytes()),
            Check::Crc64(c) => b64(&(!c).to_be_bytes()),
            Check::Sha1(h) => b64(&sha1::Digest::finalize(h)),
            Check::Sha256(h) => b64(&h.finalize()),
        }
    }
}

/// CRC-32 (ISO-HDLC, as zlib), S3's `x-amz-checksum-crc32`: `crc` is the value so far (0 to start).
pub fn crc32_update(crc: u32, data: &[u8]) -> u32 {
    static T: OnceLock<Box<Tables>> = OnceLock::new();
    slice_by_8(T.get_or_init(|| tables(0xEDB8_8320)), crc, data)
}

/// CRC-32C (Castagnoli), S3's `x-amz-checksum-crc32c`: `crc` is the value so far (0 to start).
pub fn crc32c_update(crc: u32, data: &[u8]) -> u32 {
    static T: OnceLock<Box<Tables>> = OnceLock::new();
    slice_by_8(T.get_or_init(|| tables(0x82F6_3B78)), crc, data)
}

/// Slice-by-8 lookup tables of a reflected CRC-32, built on first use: as constants (the crc32fast
/// and crc32c crates) they were 24 KiB of incompressible data in the edge bundle (BENCHMARKS.md).
type Tables = [[u32; 256]; 8];

fn tables(poly: u32) -> Box<Tables> {
    let mut t = Box::new([[0u32; 256]; 8]);
    for i in 0..256 {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
        }
        t[0][i] = c;
    }
    for i in 0..256 {
        for k in 1..8 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
        }
    }
    t
}

fn slice_by_8(t: &Tables, crc: u32, data: &[u8]) -> u32 {
    let mut c = !crc;
    let mut chunks = data.chunks_exact(8);
    for b in &mut chunks {
        let lo = c ^ u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        c = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][b[4] as usize]
            ^ t[2][b[5] as usize]
            ^ t[1][b[6] as usize]
            ^ t[0][b[7] as usize];
    }
    for &b in chunks.remainder() {
        c = (c >> 8) ^ t[0][((c ^ b as u32) & 0xff) as usize];
    }
    !c
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

    #[test]
    fn crc32_check_values() {
        assert_eq!(crc32_update(0, b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32c_update(0, b"123456789"), 0xE306_9283);
        assert_eq!(crc32_update(0, b""), 0);
    }

    proptest::proptest! {
        // the same values as the crates the gateway used before (now dev-dependencies only),
        // over any split of the body into pieces
        #[test]
        fn crc32_as_the_crates(data in proptest::collection::vec(proptest::num::u8::ANY, 0..200), cut in 0usize..200) {
            let cut = cut.min(data.len());
            let (a, b) = data.split_at(cut);
            let mut h = crc32fast::Hasher::new();
            h.update(&data);
            proptest::prop_assert_eq!(crc32_update(crc32_update(0, a), b), h.finalize());
            proptest::prop_assert_eq!(crc32c_update(crc32c_update(0, a), b), crc32c::crc32c(&data));
        }
    }
}
