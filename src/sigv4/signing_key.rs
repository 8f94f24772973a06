//! Task 3a of SigV4: derive the signing key.
//!
//! ```text
//! kDate    = HMAC-SHA256("AWS4" + SecretAccessKey, Date)     Date = YYYYMMDD
//! kRegion  = HMAC-SHA256(kDate, Region)
//! kService = HMAC-SHA256(kRegion, Service)
//! kSigning = HMAC-SHA256(kService, "aws4_request")
//! ```
//!
//! The key depends only on those four inputs, so it is derived once per secret and day: the last
//! few derived keys are kept per thread (on the edge: per isolate). Four of the six HMACs a store
//! request's signature takes are the derivation; a kept key leaves the other two. Losing the
//! keys (a new isolate) only means deriving them again.

use super::signature::{constant_time_eq, hmac_sha256};
use std::cell::RefCell;

/// The scope terminator, the last step of the derivation and of the credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// How many derived keys are kept: the store's credential and a few client access keys, on
/// today's date and, around midnight, yesterday's.
const KEPT: usize = 8;

struct Kept {
    secret: Vec<u8>,
    date: String,
    region: String,
    service: String,
    key: [u8; 32],
}

thread_local! {
    static KEPT_KEYS: RefCell<(Vec<Kept>, usize)> = const { RefCell::new((Vec::new(), 0)) };
}

/// `kSigning` for `secret` on `date` (`YYYYMMDD`) in `region` for `service`: the kept key if
/// it was derived before on this thread, else [`derive`]d and kept.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    KEPT_KEYS.with(|k| {
        let (kept, next) = &mut *k.borrow_mut();
        // the secret compared in constant time, as every secret is
        let same =
            |e: &&Kept| e.date == date && e.region == region && e.service == service && constant_time_eq(&e.secret, secret.as_bytes());
        if let Some(e) = kept.iter().find(same) {
            return e.key;
        }
        let key = derive(secret, date, region, service);
        let e = Kept {
            secret: secret.as_bytes().to_vec(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            key,
        };
        if kept.len() < KEPT {
            kept.push(e);
        } else {
            // the oldest entry goes
            kept[*next] = e;
            *next = (*next + 1) % KEPT;
        }
        key
    })
}

/// The derivation itself, every time (what [`signing_key`] keeps).
pub fn derive(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
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

    const EXAMPLE: &str = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d";

    #[test]
    fn aws_documentation_example() {
        // "Examples of how to derive a signing key" (IAM SigV4 documentation).
        let k = derive("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
        assert_eq!(hex(&k), EXAMPLE);
        // kept, and asked for again: the same key
        for _ in 0..2 {
            assert_eq!(hex(&signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")), EXAMPLE);
        }
    }

    #[test]
    fn a_kept_key_is_only_the_key_of_its_own_secret_date_region_and_service() {
        let base = ("secret-a", "20261203", "us-east-1", "s3");
        let variants = [
            base,
            ("secret-b", "20261203", "us-east-1", "s3"),
            ("secret-a", "20261204", "us-east-1", "s3"),
            ("secret-a", "20261203", "eu-west-1", "s3"),
            ("secret-a", "20261203", "us-east-1", "iam"),
            // the fields do not run into each other
            ("secret-a", "20261203\nus-east-1", "s3", ""),
            ("secret-a", "20261203", "us-east-1\ns3", ""),
        ];
        // twice round, more entries than are kept: every answer is the derivation's
        for _ in 0..2 {
            for (i, (s, d, r, v)) in variants.iter().chain(variants.iter()).enumerate() {
                let mut secret = s.to_string();
                if i >= variants.len() {
                    secret.push_str("-again");
                }
                assert_eq!(signing_key(&secret, d, r, v), derive(&secret, d, r, v), "{secret} {d} {r} {v}");
            }
        }
        let keys: Vec<[u8; 32]> = variants.iter().map(|(s, d, r, v)| signing_key(s, d, r, v)).collect();
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                assert_ne!(keys[i], keys[j], "{:?} and {:?}", variants[i], variants[j]);
            }
        }
    }
}
