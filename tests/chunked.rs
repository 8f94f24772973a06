//! aws-chunked decoding: the S3 documentation's signed upload, a captured boto3
//! unsigned-trailer body, tampering, truncation, and property tests against an
//! independent encoder written here (hmac + sha2 directly, not the crate's helpers).

use bagroom::sigv4::chunked::{ChunkMode, ChunkedDecoder, Trailers};
use bagroom::sigv4::signing_key::signing_key;
use bagroom::S3Error;
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigv4")
}

fn doc() -> serde_json::Value {
    let p = shared().join("s3-doc-examples/s3-doc-examples.json");
    serde_json::from_str(&std::fs::read_to_string(&p).expect("s3-doc-examples.json")).expect("json")
}

// ---------- an independent encoder ----------

fn hx(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha(b: &[u8]) -> String {
    hx(&Sha256::digest(b))
}

fn mac(key: &[u8], msg: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(msg.as_bytes());
    hx(&m.finalize().into_bytes())
}

struct Signer {
    key: [u8; 32],
    amz: String,
    scope: String,
    prev: String,
}

impl Signer {
    fn chunk(&mut self, data: &[u8]) -> String {
        let sts = format!("AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{}\n{}", self.amz, self.scope, self.prev, sha(b""), sha(data));
        self.prev = mac(&self.key, &sts);
        self.prev.clone()
    }
    fn trailer(&mut self, canonical: &str) -> String {
        let sts = format!("AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}", self.amz, self.scope, self.prev, sha(canonical.as_bytes()));
        self.prev = mac(&self.key, &sts);
        self.prev.clone()
    }
}

const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

fn test_key() -> [u8; 32] {
    signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3")
}

fn signed_mode(seed: &str) -> ChunkMode {
    ChunkMode::Signed {
        signing_key: test_key(),
        amz_date: "20130524T000000Z".into(),
        scope: "20130524/us-east-1/s3/aws4_request".into(),
        seed_signature: seed.into(),
    }
}

/// Encode `payload` in chunks of `sizes` (cycled; the rest goes in the last chunk).
fn encode(payload: &[u8], sizes: &[usize], signed: bool, trailers: &[(&str, &str)]) -> Vec<u8> {
    let mut s =
        Signer { key: test_key(), amz: "20130524T000000Z".into(), scope: "20130524/us-east-1/s3/aws4_request".into(), prev: SEED.into() };
    let mut out = Vec::new();
    let mut rest = payload;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes.get(i % sizes.len().max(1)).copied().unwrap_or(rest.len()).clamp(1, rest.len());
        i += 1;
        let (c, r) = rest.split_at(n);
        rest = r;
        if signed {
            out.extend_from_slice(format!("{:x};chunk-signature={}\r\n", c.len(), s.chunk(c)).as_bytes());
        } else {
            out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        }
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    if signed {
        out.extend_from_slice(format!("0;chunk-signature={}\r\n", s.chunk(b"")).as_bytes());
    } else {
        out.extend_from_slice(b"0\r\n");
    }
    if !trailers.is_empty() {
        let mut canonical = String::new();
        for (k, v) in trailers {
            out.extend_from_slice(format!("{k}:{v}\r\n").as_bytes());
            canonical.push_str(&format!("{k}:{v}\n"));
        }
        if signed {
            out.extend_from_slice(format!("x-amz-trailer-signature:{}\r\n", s.trailer(&canonical)).as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn mode(signed: bool) -> ChunkMode {
    if signed {
        signed_mode(SEED)
    } else {
        ChunkMode::Unsigned
    }
}

/// Decode `body` fed in pieces cut at `cuts` (sorted or not; out-of-range cuts ignored).
fn decode_cuts(m: ChunkMode, trailer: bool, body: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, Trailers), S3Error> {
    let mut cuts: Vec<usize> = cuts.iter().copied().filter(|&c| c <= body.len()).collect();
    cuts.sort_unstable();
    let mut d = ChunkedDecoder::new(m, trailer);
    let mut out = Vec::new();
    let mut at = 0;
    for c in cuts.into_iter().chain(std::iter::once(body.len())) {
        d.push(&body[at..c], &mut out)?;
        at = c;
    }
    let t = d.finish()?;
    assert_eq!(d.decoded_len(), out.len() as u64);
    Ok((out, t))
}

fn decode_step(m: ChunkMode, trailer: bool, body: &[u8], step: usize) -> Result<(Vec<u8>, Trailers), S3Error> {
    let cuts: Vec<usize> = (step..body.len()).step_by(step).collect();
    decode_cuts(m, trailer, body, &cuts)
}

// ---------- the S3 documentation's signed upload ----------

fn doc_chunked_body() -> (Vec<u8>, Vec<u8>) {
    let d = doc();
    let case = &d["cases"]["put-object-streaming-signed-chunks"];
    let mut body = Vec::new();
    let mut payload = Vec::new();
    for c in case["chunks"].as_array().unwrap() {
        let size = c["size"].as_u64().unwrap() as usize;
        let sig = c["signature"].as_str().unwrap();
        body.extend_from_slice(format!("{size:x};chunk-signature={sig}\r\n").as_bytes());
        let data = vec![b'a'; size];
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\r\n");
        payload.extend_from_slice(&data);
    }
    assert_eq!(body.len() as u64, case["encoded_body_length"].as_u64().unwrap());
    assert_eq!(sha(&body), case["encoded_body_sha256"].as_str().unwrap());
    (body, payload)
}

#[test]
fn doc_example_seed_is_the_request_signature() {
    let d = doc();
    assert_eq!(d["cases"]["put-object-streaming-signed-chunks"]["signature"].as_str().unwrap(), SEED);
}

#[test]
fn doc_example_chunk_signatures() {
    let d = doc();
    let case = &d["cases"]["put-object-streaming-signed-chunks"];
    let key = test_key();
    let mut prev = SEED.to_string();
    for c in case["chunks"].as_array().unwrap() {
        let size = c["size"].as_u64().unwrap() as usize;
        let h = sha(&vec![b'a'; size]);
        let sig = bagroom::sigv4::chunked::chunk_signature(&key, "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", &prev, &h);
        assert_eq!(sig, c["signature"].as_str().unwrap());
        let sts = format!("AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n{prev}\n{}\n{h}", sha(b""));
        assert_eq!(sts, c["string_to_sign"].as_str().unwrap());
        prev = sig;
    }
}

#[test]
fn doc_example_decodes_at_every_split_size() {
    let (body, payload) = doc_chunked_body();
    for step in [1usize, 2, 3, 7, 64, 81, 1000, 4096, 65536, 65621, body.len()] {
        let (out, t) = decode_step(signed_mode(SEED), false, &body, step).unwrap_or_else(|e| panic!("step {step}: {e}"));
        assert_eq!(out, payload, "step {step}");
        assert!(t.0.is_empty());
    }
}

#[test]
fn doc_example_decodes_with_one_cut_anywhere_interesting() {
    let (body, payload) = doc_chunked_body();
    // every cut inside the first header and data start, around the chunk boundaries, and at the end
    let first_end: usize = 88 + 65536 + 2; // "10000;chunk-signature=<64>\r\n" is 88 bytes
    let mut cuts: Vec<usize> = (0..200).collect();
    cuts.extend(first_end.saturating_sub(120)..(first_end + 200).min(body.len()));
    cuts.extend(body.len().saturating_sub(200)..=body.len());
    for c in cuts {
        let (out, _) = decode_cuts(signed_mode(SEED), false, &body, &[c]).unwrap_or_else(|e| panic!("cut {c}: {e}"));
        assert_eq!(out.len(), payload.len(), "cut {c}");
        assert!(out == payload, "cut {c}");
    }
}

#[test]
fn doc_example_tampering_fails() {
    let (body, _) = doc_chunked_body();
    // a data byte of the first chunk, of the second chunk
    for pos in [88 + 10, 88 + 65536 + 2 + 86 + 5] {
        let mut b = body.clone();
        b[pos] ^= 1;
        let e = decode_step(signed_mode(SEED), false, &b, 4096).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "SignatureDoesNotMatch"), "pos {pos}");
    }
    // a hex digit of each chunk signature
    let sig_positions: Vec<usize> = {
        let s = String::from_utf8_lossy(&body).into_owned();
        s.match_indices("chunk-signature=").map(|(i, _)| i + 16 + 3).collect()
    };
    assert_eq!(sig_positions.len(), 3);
    for pos in sig_positions {
        let mut b = body.clone();
        b[pos] = if b[pos] == b'0' { b'1' } else { b'0' };
        let e = decode_step(signed_mode(SEED), false, &b, 7).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "SignatureDoesNotMatch"), "pos {pos}");
    }
    // wrong seed
    let e = decode_step(signed_mode(&"0".repeat(64)), false, &body, 65536).unwrap_err();
    assert_eq!(e.code, "SignatureDoesNotMatch");
}

#[test]
fn doc_example_truncation_fails() {
    let (body, _) = doc_chunked_body();
    for len in [0usize, 1, 50, 86, 1000, 65622, body.len() - 3, body.len() - 1] {
        let e = decode_step(signed_mode(SEED), false, &body[..len], 1000).unwrap_err();
        assert_eq!(e.status, 400, "len {len}: {e}");
        assert_eq!(e.code, "IncompleteBody", "len {len}: {e}");
    }
    // only the closing empty line missing: every signature was checked, accepted
    assert!(decode_step(signed_mode(SEED), false, &body[..body.len() - 2], 1000).is_ok());
    // bytes after the end
    let mut b = body.clone();
    b.extend_from_slice(b"x");
    let e = decode_step(signed_mode(SEED), false, &b, 1000).unwrap_err();
    assert_eq!(e.status, 400);
}

#[test]
fn errors_are_sticky() {
    let mut d = ChunkedDecoder::new(ChunkMode::Unsigned, false);
    let mut out = Vec::new();
    assert!(d.push(b"zz\r\n", &mut out).is_err());
    assert!(d.push(b"0\r\n\r\n", &mut out).is_err());
    assert!(d.finish().is_err());
}

// ---------- the S3 documentation's trailer example (sigv4-streaming-trailers) ----------

#[test]
fn doc_trailer_example() {
    let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    let mut body = Vec::new();
    body.extend_from_slice(b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n");
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(b"\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n");
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(b"\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n");
    let trailer = b"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n";
    // as SDKs send it, and with the documentation's blank line before the trailers
    for sep in [&b""[..], &b"\r\n"[..]] {
        let mut b = body.clone();
        b.extend_from_slice(sep);
        b.extend_from_slice(trailer);
        for step in [1usize, 7, 4096, b.len()] {
            let (out, t) = decode_step(signed_mode(seed), true, &b, step).unwrap();
            assert_eq!(out.len(), 66560);
            assert_eq!(t.get("x-amz-checksum-crc32c"), Some("sOO8/Q=="));
            assert_eq!(t.0.len(), 1);
        }
        // a changed trailer value fails
        let mut bad = b.clone();
        let p = bad.len() - trailer.len() + 24;
        bad[p] ^= 1;
        let e = decode_step(signed_mode(seed), true, &bad, 4096).unwrap_err();
        assert_eq!(e.code, "SignatureDoesNotMatch");
    }
}

// ---------- a captured boto3 body (STREAMING-UNSIGNED-PAYLOAD-TRAILER) ----------

fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
        }
    }
    !c
}

fn b64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn captured_boto3_unsigned_trailer_bodies() {
    let text = std::fs::read_to_string(shared().join("captured-clients/boto3_ops_https.jsonl")).expect("capture");
    let mut seen = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let headers: Vec<(String, String)> = r["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h[0].as_str().unwrap().to_ascii_lowercase(), h[1].as_str().unwrap().to_string()))
            .collect();
        let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        if get("x-amz-content-sha256").as_deref() != Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
            continue;
        }
        // body_head holds bytes as code points 0..=255
        let body: Vec<u8> = r["body_head"].as_str().unwrap().chars().map(|c| c as u32 as u8).collect();
        if body.len() as u64 != r["body_len"].as_u64().unwrap() {
            continue; // only the head of a large body was kept
        }
        assert_eq!(sha(&body), r["body_sha256"].as_str().unwrap());
        let decoded_len: u64 = get("x-amz-decoded-content-length").unwrap().parse().unwrap();
        let trailer_name = get("x-amz-trailer").unwrap();
        for step in 1..=body.len() {
            let (out, t) = decode_step(ChunkMode::Unsigned, true, &body, step).unwrap();
            assert_eq!(out.len() as u64, decoded_len);
            assert_eq!(t.0.len(), 1);
            let crc = t.get(&trailer_name).unwrap();
            assert_eq!(crc, b64(&crc32(&out).to_be_bytes()));
        }
        seen += 1;
        if r["path"] == "/bkt/put-bytes.txt" {
            let (out, t) = decode_step(ChunkMode::Unsigned, true, &body, 5).unwrap();
            assert_eq!(out, b"hello world\n");
            assert_eq!(t.0, vec![("x-amz-checksum-crc32".to_string(), "rwg7LQ==".to_string())]);
        }
        // truncated anywhere: never Ok unless only the final empty line is missing
        for len in 0..body.len() {
            let r = decode_step(ChunkMode::Unsigned, true, &body[..len], 3);
            if len < body.len() - 2 {
                assert!(r.is_err(), "len {len}");
            }
        }
        // a declared trailer that is missing
        let cut = String::from_utf8_lossy(&body).find("x-amz-checksum").unwrap();
        let mut nb = body[..cut].to_vec();
        nb.extend_from_slice(b"\r\n");
        assert_eq!(decode_step(ChunkMode::Unsigned, true, &nb, 9).unwrap_err().code, "IncompleteBody");
    }
    assert!(seen >= 2, "expected the small captured bodies, saw {seen}");
}

#[test]
fn malformed_framing_is_400() {
    let cases: &[&[u8]] = &[
        b"zz\r\nhello\r\n0\r\n\r\n",
        b"+5\r\nhello\r\n0\r\n\r\n",
        b"\r\nhello\r\n0\r\n\r\n",
        b"5\nhello\r\n0\r\n\r\n",
        b"5\r\nhelloX\r\n0\r\n\r\n",
        b"5\r\nhello\rX0\r\n\r\n",
        b"11111111111111111\r\n",
        b"0\r\nno-colon\r\n\r\n",
        b"0\r\n\r\nextra",
    ];
    for c in cases {
        let e = decode_step(ChunkMode::Unsigned, false, c, 1).unwrap_err();
        assert_eq!(e.status, 400, "{:?}: {e}", String::from_utf8_lossy(c));
    }
    let e = decode_step(ChunkMode::Unsigned, false, &vec![b'1'; 10_000], 100).unwrap_err();
    assert_eq!(e.status, 400);
    // signed mode requires a well-formed chunk-signature
    let e = decode_step(signed_mode(SEED), false, b"5\r\nhello\r\n0\r\n\r\n", 1).unwrap_err();
    assert_eq!(e.status, 400);
    let e = decode_step(signed_mode(SEED), false, b"5;chunk-signature=abc\r\nhello\r\n", 1).unwrap_err();
    assert_eq!(e.status, 400);
}

#[test]
fn unsigned_basics() {
    let (out, t) = decode_step(ChunkMode::Unsigned, false, b"0\r\n\r\n", 1).unwrap();
    assert!(out.is_empty() && t.0.is_empty());
    let (out, _) = decode_step(ChunkMode::Unsigned, false, b"A\r\n0123456789\r\n3;ext=1\r\na\r\n\r\n0\r\n\r\n", 2).unwrap();
    assert_eq!(out, b"0123456789a\r\n");
    // trailers without the closing empty line are tolerated
    let (_, t) = decode_step(ChunkMode::Unsigned, true, b"1\r\nx\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n", 1).unwrap();
    assert_eq!(t.get("X-Amz-Checksum-CRC32"), Some("AAAAAA=="));
}

#[test]
fn signed_trailer_is_required_when_declared() {
    let body = encode(b"hello", &[5], true, &[]);
    let e = decode_step(signed_mode(SEED), true, &body, 3).unwrap_err();
    assert_eq!(e.status, 400);
    // signed trailers without a trailer signature
    let mut body = encode(b"hello", &[5], true, &[]);
    body.truncate(body.len() - 2);
    body.extend_from_slice(b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    let e = decode_step(signed_mode(SEED), true, &body, 3).unwrap_err();
    assert_eq!(e.code, "SignatureDoesNotMatch");
    let e = decode_step(signed_mode(SEED), false, &body, 3).unwrap_err();
    assert_eq!(e.code, "SignatureDoesNotMatch");
}

// ---------- properties ----------

fn trailer_set(n: u8) -> Vec<(&'static str, &'static str)> {
    match n % 3 {
        0 => vec![],
        1 => vec![("x-amz-checksum-crc32", "rwg7LQ==")],
        _ => vec![("x-amz-checksum-sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="), ("x-amz-meta-a", "b c")],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn round_trip(payload in proptest::collection::vec(any::<u8>(), 0..3000),
                  sizes in proptest::collection::vec(1usize..700, 1..5),
                  signed in any::<bool>(),
                  tr in any::<u8>(),
                  cuts in proptest::collection::vec(any::<usize>(), 0..12)) {
        let trailers = trailer_set(tr);
        let body = encode(&payload, &sizes, signed, &trailers);
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
        let (out, t) = decode_cuts(mode(signed), !trailers.is_empty(), &body, &cuts).unwrap();
        prop_assert_eq!(&out, &payload);
        let want: Vec<(String, String)> = trailers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        prop_assert_eq!(t.0, want);
    }

    #[test]
    fn any_single_byte_change_in_signed_body_fails(payload in proptest::collection::vec(any::<u8>(), 1..600),
                                                   size in 1usize..300,
                                                   tr in 1u8..3,
                                                   pos in any::<usize>(),
                                                   flip in 1u8..=255) {
        let trailers = trailer_set(tr);
        let body = encode(&payload, &[size], true, &trailers);
        let mut b = body.clone();
        let p = pos % b.len();
        b[p] ^= flip;
        let r = decode_cuts(mode(true), true, &b, &[p]);
        // A flipped byte can only go unnoticed if it decodes to the same payload and
        // trailers: e.g. the case of a hex size digit or of a trailer name.
        if let Ok((out, t)) = r {
            prop_assert_eq!(&out, &payload);
            let want: Vec<(String, String)> = trailers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            prop_assert_eq!(t.0, want);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2000),
                                   signed in any::<bool>(),
                                   tr in any::<bool>(),
                                   cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        let _ = decode_cuts(mode(signed), tr, &data, &cuts);
    }

    #[test]
    fn framing_like_garbage_never_panics(parts in proptest::collection::vec(
            prop_oneof![
                Just(b"\r\n".to_vec()), Just(b"0".to_vec()), Just(b"ffffffffffffffff".to_vec()), Just(b";".to_vec()),
                Just(b"chunk-signature=".to_vec()), Just(b"x-amz-trailer-signature:".to_vec()), Just(b"a:b".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..8)
            ], 0..40),
        signed in any::<bool>(), tr in any::<bool>()) {
        let data: Vec<u8> = parts.concat();
        let _ = decode_step(mode(signed), tr, &data, 1);
        let _ = decode_step(mode(signed), tr, &data, data.len().max(1));
    }
}
