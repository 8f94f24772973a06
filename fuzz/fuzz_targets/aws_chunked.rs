//! Fuzz the aws-chunked decoder: no panics, bounded state, and the result (payload,
//! trailers, or error-or-not) does not depend on how the body is split into pushes.
//!
//! Input layout: byte 0 = flags (bit 0 signed, bit 1 trailer expected), byte 1 = split
//! size for the second pass (1..=256), the rest = the body.
#![no_main]

use bagroom::sigv4::chunked::{ChunkMode, ChunkedDecoder};
use libfuzzer_sys::fuzz_target;

fn mode(signed: bool) -> ChunkMode {
    if signed {
        ChunkMode::Signed {
            signing_key: [7u8; 32],
            amz_date: "20130524T000000Z".into(),
            scope: "20130524/us-east-1/s3/aws4_request".into(),
            seed_signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".into(),
        }
    } else {
        ChunkMode::Unsigned
    }
}

fn run(signed: bool, trailer: bool, body: &[u8], step: usize) -> Option<(Vec<u8>, Vec<(String, String)>)> {
    let mut d = ChunkedDecoder::new(mode(signed), trailer);
    let mut out = Vec::new();
    for piece in body.chunks(step.max(1)) {
        let before = out.len();
        let r = d.push(piece, &mut out);
        // never emits more than it was given
        assert!(out.len() - before <= piece.len());
        if r.is_err() {
            assert!(d.finish().is_err());
            return None;
        }
    }
    assert_eq!(d.decoded_len(), out.len() as u64);
    d.finish().ok().map(|t| (out, t.0))
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let signed = data[0] & 1 != 0;
    let trailer = data[0] & 2 != 0;
    let step = data[1] as usize + 1;
    let body = &data[2..];
    let whole = run(signed, trailer, body, body.len());
    let split = run(signed, trailer, body, step);
    assert_eq!(whole, split);
});
