//! Task 2 of SigV4: the string to sign.
//!
//! ```text
//! StringToSign = Algorithm + "\n" +
//!                RequestDateTime + "\n" +          (YYYYMMDD'T'HHMMSS'Z')
//!                CredentialScope + "\n" +          (date/region/service/aws4_request)
//!                HexEncode(SHA256(CanonicalRequest))
//! ```

use super::signature::sha256_hex;
use super::signing_key::TERMINATOR;

/// The signing algorithm name, first line of the string to sign.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The credential scope: `20130524/us-east-1/s3/aws4_request`.
pub fn scope(date: &str, region: &str, service: &str) -> String {
    let mut s = String::with_capacity(date.len() + region.len() + service.len() + 15);
    s.push_str(date);
    s.push('/');
    s.push_str(region);
    s.push('/');
    s.push_str(service);
    s.push('/');
    s.push_str(TERMINATOR);
    s
}

/// `AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex(sha256(canonical_request))>`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let mut s = String::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + 67);
    s.push_str(ALGORITHM);
    s.push('\n');
    s.push_str(amz_date);
    s.push('\n');
    s.push_str(scope);
    s.push('\n');
    s.push_str(&sha256_hex(canonical_request.as_bytes()));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(scope("20130524", "us-east-1", "s3"), "20130524/us-east-1/s3/aws4_request");
        let sts = string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", "");
        assert_eq!(
            sts,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
