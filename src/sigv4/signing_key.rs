//! Task 3a of SigV4: derive the signing key.
//!
//! ```text
//! kDate    = HMAC-SHA256("AWS4" + SecretAccessKey, Date)     Date = YYYYMMDD
//! kRegion  = HMAC-SHA256(kDate, Region)
//! kService = HMAC-SHA256(kRegion, Service)
//! kSigning = HMAC-SHA256(kService, "aws4_request")
//! ```

use super::signature::hmac_sha256;

/// The scope terminator, the last step of the derivation and of the credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// `kSigning` for `secret` on `date` (`YYYYMMDD`) in `region` for `service`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k = Vec::with_capacity(4 + secret.len());
    k.extend_from_slice(b"AWS4");
    k.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&k, date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, TERMINATOR.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::signature::hex;

    #[test]
    fn aws_documentation_example() {
        // "Examples of how to derive a signing key" (IAM SigV4 documentation).
        let k = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
        assert_eq!(hex(&k), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    }
}
