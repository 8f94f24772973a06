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
        let last = Self::count_into(&mut self.count, self.limit, self.length, payload.len())?;
        if let Some((h, _)) = self.sha256.as_mut() {
            h.update(payload);
        }
        if let Some((_, c)) = self.trailer.as_mut() {
            c.update(payload);
        }
        if let Some((_, _, c)) = self.header.as_mut() {
            c.update(payload);
        }
        if last {
            // the last payload bytes: hold them until finish() has checked the whole body
            self.held.extend_from_slice(payload);
            return Ok(Out::Bytes(&[]));
        }
        Ok(if same { Out::Same } else { Out::Bytes(&self.scratch) })
    }

    /// The body ended: check framing, length, hash and trailing checksum. On success, returns the
    /// held-back final bytes to pass on.
    pub fn finish(&mut self) -> Result<Vec<u8>, S3Error> {
        let got = self.sha256.take().map(|(h, expected)| (h.finalize().into(), expected));
        self.check_end(got)?;
        Ok(std::mem::take(&mut self.held))
    }

    /// Whether the checks need only each chunk's length, the body's SHA-256 computed by the
    /// caller: a plain body (no `aws-chunked` framing) with no checksum the gateway checks
    /// itself. The shell then passes every chunk on untouched and hashes it with the runtime's
    /// native digest ([`BodyFilter::push_length`], [`BodyFilter::finish_with_sha256`]).
    pub fn by_length(&self) -> bool {
        self.decoder.is_none() && self.trailer.is_none() && self.header.is_none()
    }

    /// A chunk of `n` bytes that the caller passes on (and hashes) itself: counted against the
    /// limit and the declared length. `Ok(true)` when it completes the declared length: the
    /// caller holds it back until [`BodyFilter::finish_with_sha256`] has passed.
    pub fn push_length(&mut self, n: usize) -> Result<bool, S3Error> {
        Self::count_into(&mut self.count, self.limit, self.length, n)
    }

    /// The body ended ([`BodyFilter::by_length`] path): `sha256` is the digest of every byte
    /// counted, computed by the caller; checks the length and the signed hash.
    pub fn finish_with_sha256(&mut self, sha256: [u8; 32]) -> Result<(), S3Error> {
        let got = self.sha256.take().map(|(_, expected)| (sha256, expected));
        self.check_end(got)
    }

    fn count_into(count: &mut u64, limit: u64, length: Option<u64>, n: usize) -> Result<bool, S3Error> {
        *count += n as u64;
        if *count > limit {
            return Err(S3Error::entity_too_large(limit));
        }
        if let Some(len) = length {
            if *count > len {
                return Err(S3Error::incomplete_body("The body is longer than its declared length."));
            }
        }
        Ok(n > 0 && length == Some(*count))
    }

    /// Framing, length, the signed hash (`sha256`: the digest and the hex the client signed) and
    /// the checksums, once the body has ended.
    fn check_end(&mut self, sha256: Option<([u8; 32], String)>) -> Result<(), S3Error> {
        let trailers = match self.decoder.as_mut() {
            Some(d) => Some(d.finish()?),
            None => None,
        };
        if let Some(n) = self.length {
            if self.count != n {
                return Err(S3Error::body_shorter_than_declared());
            }
        }
        if let Some((digest, expected)) = sha256 {
            let got = crate::sigv4::hex(&digest);
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
        Ok(())
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

    /// The by-length path as the shell drives it: lengths counted here, the bytes hashed outside
    /// (`sha2` standing in for the runtime's digest); the chunk that completes the body is held.
    fn run_by_length(plan: &PutPlan, body: &[u8], split: usize) -> Result<Vec<u8>, S3Error> {
        let mut f = BodyFilter::new(plan, None)?;
        assert!(f.by_length());
        let (mut out, mut held, mut hash) = (Vec::new(), Vec::new(), Sha256::new());
        for c in body.chunks(split.max(1)) {
            let last = f.push_length(c.len())?;
            hash.update(c);
            if last {
                held.extend_from_slice(c);
            } else {
                assert!(held.is_empty(), "nothing passes on after the held chunk");
                out.extend_from_slice(c);
            }
        }
        let declared = plan.length.unwrap_or(0) as usize;
        assert!(out.len() < declared || declared == 0, "the store must not have the whole body before the check");
        f.finish_with_sha256(hash.finalize().into())?;
        out.extend(held);
        Ok(out)
    }

    #[test]
    fn by_length_checks_what_the_byte_filter_checks() {
        let body: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
        let sha = crate::sigv4::sha256_hex(&body);
        for (len, claim, cap) in [
            (body.len(), sha.clone(), 1 << 30),                        // good
            (body.len(), crate::sigv4::sha256_hex(b"other"), 1 << 30), // hash mismatch
            (body.len() + 1, sha.clone(), 1 << 30),                    // body shorter than declared
            (body.len() - 1, sha.clone(), 1 << 30),                    // body longer than declared
            (body.len(), sha.clone(), 4096),                           // over the limit
        ] {
            let h = Headers::from_pairs([("content-length", len.to_string().as_str())]);
            let Ok(p) = plan_put(&h, Some(&Payload::Sha256(claim.clone())), None, cap, false) else {
                continue; // a declared length over the limit is refused before any byte
            };
            for split in [1, 4096, 4097, body.len()] {
                let bytes = run(&p, &body, split).map_err(|e| e.code);
                let lengths = run_by_length(&p, &body, split).map_err(|e| e.code);
                assert_eq!(bytes, lengths, "len {len} claim {claim} split {split}");
            }
        }
        let h = Headers::from_pairs([("content-length", body.len().to_string().as_str())]);
        let p = plan_put(&h, Some(&Payload::Sha256(sha)), None, 1 << 30, false).unwrap();
        assert_eq!(run_by_length(&p, &body, 333).unwrap(), body);
    }

    #[test]
    fn by_length_only_where_no_byte_check_but_the_hash() {
        let sha = crate::sigv4::sha256_hex(b"abc");
        let raw = Headers::from_pairs([("content-length", "3")]);
        assert!(BodyFilter::new(&plan_put(&raw, Some(&Payload::Sha256(sha.clone())), None, 1 << 30, false).unwrap(), None)
            .unwrap()
            .by_length());
        // a checksum the gateway checks itself needs the bytes
        let mut p = plan_put(&raw, Some(&Payload::Sha256(sha)), None, 1 << 30, false).unwrap();
        p.header_checksum = Some(("x-amz-checksum-crc32".into(), "NSRBwg==".into()));
        assert!(!BodyFilter::new(&p, None).unwrap().by_length());
        // aws-chunked framing needs the bytes
        let ch = Headers::from_pairs([("content-encoding", "aws-chunked"), ("x-amz-decoded-content-length", "3")]);
        assert!(!BodyFilter::new(&plan_put(&ch, None, None, 1 << 30, false).unwrap(), None).unwrap().by_length());
    }

    #[test]
    fn an_empty_body_is_checked_against_its_signed_hash() {
        let h = Headers::from_pairs([("content-length", "0")]);
        let p = plan_put(&h, Some(&Payload::Sha256(crate::sigv4::sha256_hex(b"not empty"))), None, 1 << 30, false).unwrap();
        assert_eq!(BodyFilter::new(&p, None).unwrap().finish().unwrap_err().code, "XAmzContentSHA256Mismatch");
        let p = plan_put(&h, Some(&Payload::Sha256(crate::sigv4::EMPTY_SHA256.into())), None, 1 << 30, false).unwrap();
        assert!(BodyFilter::new(&p, None).unwrap().finish().unwrap().is_empty());
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
