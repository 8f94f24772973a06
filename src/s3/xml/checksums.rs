//! The `Checksum*` elements shared by the multipart and copy documents.

use super::reader::Element;
use super::writer::XmlWriter;

/// `(name, value)` checksum elements: `ChecksumCRC32`, `ChecksumCRC32C`, `ChecksumCRC64NVME`,
/// `ChecksumSHA1`, `ChecksumSHA256`.
pub const CHECKSUM_ELEMENTS: &[&str] = &["ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256"];

pub(super) fn checksums_of(e: &Element) -> Vec<(String, String)> {
    CHECKSUM_ELEMENTS.iter().filter_map(|n| e.child_text(n).map(|v| (n.to_string(), v.trim().to_string()))).collect()
}

pub(super) fn write_checksums(w: &mut XmlWriter, c: &[(String, String)]) {
    for (n, v) in c {
        if CHECKSUM_ELEMENTS.contains(&n.as_str()) {
            w.elem(n, v);
        }
    }
}
