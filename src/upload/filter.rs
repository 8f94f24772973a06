//! The streaming body filter: decodes `aws-chunked` (checking every chunk signature), hashes
//! the body when a SHA-256 was signed, verifies the trailing checksum and counts bytes against
//! the plan's limit, holding the final bytes back until every check passed.

use super::checksum::Check;
use super::plan::{Framing, PutPlan};
use crate::s3::error::{Code, S3Error};
use crate::sigv4::chunked::{ChunkMode, ChunkedDecoder};
use sha2::{Digest, Sha256};

/// The streaming filter: decode, hash, verify and count, in bounded memory.
pub struct BodyFilter {
    decoder: Option<ChunkedDecoder>,
    limit: u64,
    length: Option<u64>,
    count: u64,
    sha256: Option<(Sha256, String)>,
    trailer: Option<(String, Check)>,
    /// A checksum header to check over the body: (name, base64 the client sent, running value).
    header: Option<(String, String, Check)>,
    scratch: Vec<u8>,
    /// The bytes that complete the declared length, held back until [`BodyFilter::finish`] has
    /// checked everything: the store never sees a whole body that fails a check.
    held: Vec<u8>,
}

/// What to send on for one input chunk.
pub enum Out<'a> {
    /// The input as it came (no copy needed).
    Same,
    /// These bytes (possibly empty).
    Bytes(&'a [u8]),
}

impl BodyFilter {
    /// `signing` is (signing key, amz date, scope, seed signature) from the verified request,
    /// needed only for signed aws-chunked bodies.
    pub fn new(plan: &PutPlan, signing: Option<([u8; 32], String, String, String)>) -> Result<BodyFilter, S3Error> {
        let decoder = match &plan.framing {
            Framing::Raw => None,
            Framing::AwsChunked { signed, trailer } => {
                let mode = if *signed {
                    let (signing_key, amz_date, scope, seed_signature) =
                        signing.ok_or_else(|| S3Error::access_denied("signed aws-chunked body without a verified seed signature"))?;
                    ChunkMode::Signed { signing_key, amz_date, scope, seed_signature }
                } else {
                    ChunkMode::Unsigned
                };
                Some(ChunkedDecoder::new(mode, *trailer))
            }
        };
        let trailer = plan.trailer_checksum.as_ref().and_then(|n| Check::new(n).map(|c| (n.clone(), c)));
        Ok(BodyFilter {
            decoder,
            limit: plan.limit,
            length: plan.length,
            count: 0,
            sha256: plan.sha256.clone().map(|h| (Sha256::new(), h)),
            trailer,
            header: plan.header_checksum.as_ref().and_then(|(n, v)| Check::new(n).map(|c| (n.clone(), v.clone(), c))),
            scratch: Vec::new(),
            held: Vec::new(),
        })
    }

    /// Payload bytes seen so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Feed the next input bytes; returns what to pass on.
    pub fn push<'a>(&'a mut self, input: &[u8]) -> Result<Out<'a>, S3Error> {
        let same = self.decoder.is_none();
        if let Some(d) = self.decoder.as_mut() {
            self.scratch.clear();
            d.push(input, &mut self.scratch)?;
        }
        let payload: &[u8] = if same { input } else { &self.scratch };
        self.count += payload.len() as u64;
        if self.count > self.limit {
            return Err(S3Error::entity_too_large(self.limit));
        }
        if let Some(n) = self.length {
            if self.count > n {
                return Err(S3Error::incomplete_body("The body is longer than its declared length."));
            }
        }
        if let Some((h, _)) = self.sha256.as_mut() {
            h.update(payload);
        }
        if let Some((_, c)) = self.trailer.as_mut() {
            c.update(payload);
        }
        if let Some((_, _, c)) = self.header.as_mut() {
            c.update(payload);
        }
        if self.length == Some(self.count) && !payload.is_empty() {
            // the last payload bytes: hold them until finish() has checked the whole body
            self.held.extend_from_slice(payload);
            return Ok(Out::Bytes(&[]));
        }
        Ok(if same { Out::Same } else { Out::Bytes(&self.scratch) })
    }

    /// The body ended: check framing, length, hash and trailing checksum. On success, returns the
    /// held-back final bytes to pass on.
    pub fn finish(&mut self) -> Result<Vec<u8>, S3Error> {
        let trailers = match self.decoder.as_mut() {
            Some(d) => Some(d.finish()?),
            None => None,
        };
        if let Some(n) = self.length {
            if self.count != n {
                return Err(S3Error::body_shorter_than_declared());
            }
        }
        if let Some((h, expected)) = self.sha256.take() {
            let got = crate::sigv4::hex(&h.finalize());
            if !crate::sigv4::constant_time_eq(got.as_bytes(), expected.as_bytes()) {
                return Err(S3Error::content_sha256_mismatch(&expected, &got));
            }
        }
        if let Some((name, c)) = self.trailer.take() {
            let got = c.finish_b64();
            let sent = trailers.as_ref().and_then(|t| t.get(&name)).map(str::trim).map(str::to_string);
            match sent {
                Some(s) if s == got => {}
                Some(_) => {
                    return Err(S3Error::with_message(
                        Code::BadDigest,
                        format!("The {name} you specified did not match the calculated checksum."),
                    ))
                }
                None => return Err(S3Error::of(Code::MalformedTrailerError)),
            }
        }
        if let Some((name, sent, c)) = self.header.take() {
            if c.finish_b64() != sent {
                return Err(S3Error::with_message(
                    Code::BadDigest,
                    format!("The {name} you specified did not match the calculated checksum."),
                ));
            }
        }
        Ok(std::mem::take(&mut self.held))
    }
}

#[cfg(test)]
mod tests {
    use super::super::plan::plan_put;
    use super::*;
    use crate::auth::verify::Payload;
    use crate::http::Headers;

    fn run(plan: &PutPlan, body: &[u8], split: usize) -> Result<Vec<u8>, S3Error> {
        let mut f = BodyFilter::new(plan, None)?;
        let mut out = Vec::new();
        for c in body.chunks(split.max(1)) {
            match f.push(c)? {
                Out::Same => out.extend_from_slice(c),
                Out::Bytes(b) => out.extend_from_slice(b),
            }
        }
        out.extend(f.finish()?);
        Ok(out)
    }
    #[test]
    fn the_final_bytes_are_held_until_every_check_passed() {
        let body = b"hello world";
        let h = Headers::from_pairs([("content-length", "11")]);
        let p = plan_put(&h, Some(&Payload::Sha256(crate::sigv4::sha256_hex(b"hello worlD"))), None, 1 << 30, false).unwrap();
        let mut f = BodyFilter::new(&p, None).unwrap();
        let mut passed = 0;
        for c in body.chunks(4) {
            passed += match f.push(c).unwrap() {
                Out::Same => c.len(),
                Out::Bytes(b) => b.len(),
            };
        }
        assert!(passed < body.len(), "the store must not have received the whole body");
        assert_eq!(f.finish().unwrap_err().code, "XAmzContentSHA256Mismatch");
    }

    #[test]
    fn signed_payload_hash_is_checked() {
        let body = b"hello world";
        let h = Headers::from_pairs([("content-length", "11")]);
        let good = crate::sigv4::sha256_hex(body);
        let p = plan_put(&h, Some(&Payload::Sha256(good)), None, 1 << 30, false).unwrap();
        assert!(p.needs_filter());
        assert_eq!(run(&p, body, 4).unwrap(), body);
        let p = plan_put(&h, Some(&Payload::Sha256(crate::sigv4::sha256_hex(b"other"))), None, 1 << 30, false).unwrap();
        assert_eq!(run(&p, body, 4).unwrap_err().code, "XAmzContentSHA256Mismatch");
    }

    #[test]
    fn declared_length_must_match() {
        let h = Headers::from_pairs([("content-length", "5")]);
        let p = plan_put(&h, Some(&Payload::Sha256(crate::sigv4::sha256_hex(b"abc"))), None, 1 << 30, false).unwrap();
        assert_eq!(run(&p, b"abc", 1).unwrap_err().code, "IncompleteBody");
    }

    fn chunked(payload: &[u8], trailer: Option<(&str, &str)>) -> Vec<u8> {
        let mut b = Vec::new();
        for c in payload.chunks(4) {
            b.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
            b.extend_from_slice(c);
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(b"0\r\n");
        if let Some((k, v)) = trailer {
            b.extend_from_slice(format!("{k}:{v}\r\n").as_bytes());
        }
        b.extend_from_slice(b"\r\n");
        b
    }

    #[test]
    fn unsigned_aws_chunked_with_crc32_trailer() {
        // the captured boto3 body: "hello world\n" with CRC32 rwg7LQ==
        let h = Headers::from_pairs([
            ("content-encoding", "aws-chunked"),
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("x-amz-decoded-content-length", "12"),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
        ]);
        let payload = Payload::Streaming { signed: false, trailer: true };
        let p = plan_put(&h, Some(&payload), None, 1 << 30, false).unwrap();
        assert_eq!(p.store_headers.get("content-length"), Some("12"));
        assert_eq!(p.store_headers.get("content-encoding"), None);
        assert_eq!(p.store_headers.get("x-amz-sdk-checksum-algorithm"), None);
        let body = chunked(b"hello world\n", Some(("x-amz-checksum-crc32", "rwg7LQ==")));
        for split in [1, 5, 1000] {
            assert_eq!(run(&p, &body, split).unwrap(), b"hello world\n");
        }
        let bad = chunked(b"hello world\n", Some(("x-amz-checksum-crc32", "AAAAAA==")));
        assert_eq!(run(&p, &bad, 7).unwrap_err().code, "BadDigest");
    }

    #[test]
    fn other_checksums() {
        for (name, expected) in [
            ("x-amz-checksum-sha256", crate::encoding::base64::encode(Sha256::digest(b"abc"))),
            ("x-amz-checksum-crc32c", "Nks/tw==".to_string()),
        ] {
            let h =
                Headers::from_pairs([("content-encoding", "aws-chunked"), ("x-amz-decoded-content-length", "3"), ("x-amz-trailer", name)]);
            let p = plan_put(&h, Some(&Payload::Streaming { signed: false, trailer: true }), None, 1 << 30, false).unwrap();
            assert_eq!(run(&p, &chunked(b"abc", Some((name, &expected))), 2).unwrap(), b"abc", "{name}");
        }
    }

    #[test]
    fn a_checksum_header_is_checked_over_a_plain_body_when_the_store_would_not() {
        let h = Headers::from_pairs([("content-length", "12"), ("x-amz-checksum-crc32", "rwg7LQ==")]);
        let mut p = plan_put(&h, None, None, 1 << 30, false).unwrap();
        assert!(!p.needs_filter(), "an S3 store checks the header itself");
        p.check_header_checksum();
        assert!(p.needs_filter());
        assert_eq!(run(&p, b"hello world\n", 5).unwrap(), b"hello world\n");
        assert_eq!(run(&p, b"hello world!", 5).unwrap_err().code, "BadDigest");
        let none = plan_put(&Headers::from_pairs([("content-length", "3")]), None, None, 1 << 30, false).unwrap();
        let mut none2 = none.clone();
        none2.check_header_checksum();
        assert_eq!(none2, none);
    }
}
