//! Incremental decoder for `Content-Encoding: aws-chunked` request bodies.
//!
//! Wire format (signed, `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`):
//!
//! ```text
//! <hex-size>;chunk-signature=<64 hex>\r\n<data>\r\n      (repeated)
//! 0;chunk-signature=<64 hex>\r\n
//! [<name>:<value>\r\n ... x-amz-trailer-signature:<64 hex>\r\n]   (trailer variant)
//! \r\n
//! ```
//!
//! Unsigned (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`) chunk lines carry only `<hex-size>`
//! (any `;extension` is ignored) and the trailer section has no signature.
//!
//! Chunk string to sign:
//! `AWS4-HMAC-SHA256-PAYLOAD\n<amz_date>\n<scope>\n<previous signature>\n<sha256("")>\n<sha256(data)>`,
//! seeded with the request's own signature. Trailer string to sign:
//! `AWS4-HMAC-SHA256-TRAILER\n<amz_date>\n<scope>\n<final chunk signature>\n<sha256(trailers)>`
//! where `trailers` is every trailer line as received, each followed by `\n`.
//!
//! Memory is bounded: at most one header/trailer line (capped at [`MAX_LINE`]) plus a
//! small, capped list of trailers is buffered. Chunk data is hashed incrementally and
//! passed straight to the output.
//!
//! **Security note for the shell:** in signed mode a chunk's bytes are emitted by
//! [`ChunkedDecoder::push`] *before* that chunk's signature can be checked (the check
//! happens at the chunk's end). Any `Err` from `push` or `finish` means the body is not
//! authentic: the shell must abort the upstream upload (cancel the stream / abort the
//! multipart upload) rather than let a partially written object stand.

use sha2::{Digest, Sha256};

use super::signature::{constant_time_eq, hex, signature};
use super::EMPTY_SHA256;
use crate::s3::error::{Code, S3Error};

/// Longest chunk-header or trailer line accepted, CRLF included.
pub const MAX_LINE: usize = 4096;
/// Most trailer lines accepted (the signature line included).
pub const MAX_TRAILERS: usize = 16;

/// How chunks are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkMode {
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: framing only.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: every chunk carries a chained signature.
    Signed {
        /// The request's SigV4 signing key.
        signing_key: [u8; 32],
        /// The request's `x-amz-date`, e.g. `20130524T000000Z`.
        amz_date: String,
        /// The credential scope, e.g. `20130524/us-east-1/s3/aws4_request`.
        scope: String,
        /// The request's own (header) signature: the seed of the chain.
        seed_signature: String,
    },
}

/// Trailing headers received after the final chunk, names lower-cased, in order
/// (the `x-amz-trailer-signature` line is not included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trailers(pub Vec<(String, String)>);

impl Trailers {
    /// First value of a trailer (name matched case-insensitively).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The signature of one chunk (the final, empty chunk included).
pub fn chunk_signature(signing_key: &[u8; 32], amz_date: &str, scope: &str, previous: &str, data_sha256_hex: &str) -> String {
    let sts = format!("AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY_SHA256}\n{data_sha256_hex}");
    signature(signing_key, &sts)
}

/// The signature of the trailer section; `trailers_sha256_hex` is the SHA-256 of every
/// trailer line (`name:value`) each followed by `\n`.
pub fn trailer_signature(signing_key: &[u8; 32], amz_date: &str, scope: &str, previous: &str, trailers_sha256_hex: &str) -> String {
    let sts = format!("AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n{previous}\n{trailers_sha256_hex}");
    signature(signing_key, &sts)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a `<hex-size>[;...]` line.
    Header,
    /// Inside a chunk's data.
    Data { remaining: u64 },
    /// Expecting the `\r` after a chunk's data.
    DataCr,
    /// Expecting the `\n` after a chunk's data.
    DataLf,
    /// After the final 0-size chunk: reading trailer lines until an empty line.
    Trailer,
    /// The empty line after the trailers was read; nothing more may follow.
    Done,
    /// A previous call failed; the error repeats.
    Failed,
}

/// Incremental `aws-chunked` decoder. Feed body bytes with [`push`](Self::push) as they
/// arrive, then call [`finish`](Self::finish) when the body ends.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    mode: ChunkMode,
    trailer_expected: bool,
    state: State,
    /// Partial header or trailer line (no CRLF yet).
    line: Vec<u8>,
    /// Signature of the previous chunk (or the seed) in signed mode.
    prev_sig: String,
    /// Signature announced by the current chunk's header (signed mode).
    pending_sig: String,
    /// SHA-256 of the current chunk's data (signed mode).
    hasher: Sha256,
    /// SHA-256 of the canonical trailer text (signed mode).
    trailer_hasher: Sha256,
    trailers: Vec<(String, String)>,
    trailer_lines: usize,
    trailer_sig_seen: bool,
    /// An empty line between the final chunk and the trailers was skipped (some
    /// encoders, and the S3 documentation's trailer example, put one there).
    skipped_blank: bool,
    decoded: u64,
    error: Option<S3Error>,
}

fn malformed(what: &str) -> S3Error {
    S3Error::invalid_request(format!("Malformed aws-chunked body: {what}"))
}

fn incomplete(what: &str) -> S3Error {
    S3Error::incomplete_body(format!("The aws-chunked body ended early: {what}"))
}

fn sig_mismatch(what: &str) -> S3Error {
    S3Error::with_message(
        Code::SignatureDoesNotMatch,
        format!("The {what} signature we calculated does not match the signature you provided."),
    )
}

fn is_hex64(s: &[u8]) -> bool {
    s.len() == 64 && s.iter().all(|b| b.is_ascii_hexdigit())
}

/// Parse 1..=16 hex digits (no sign, no spaces).
fn parse_hex_size(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        let d = (b as char).to_digit(16)?;
        n = (n << 4) | d as u64;
    }
    Some(n)
}

impl ChunkedDecoder {
    /// `trailer_expected`: the request declared `x-amz-trailer` (a `...-TRAILER`
    /// content-sha256); then at least one trailer must arrive, and in signed mode a
    /// valid `x-amz-trailer-signature` too.
    pub fn new(mode: ChunkMode, trailer_expected: bool) -> Self {
        let prev_sig = match &mode {
            ChunkMode::Signed { seed_signature, .. } => seed_signature.clone(),
            ChunkMode::Unsigned => String::new(),
        };
        ChunkedDecoder {
            mode,
            trailer_expected,
            state: State::Header,
            line: Vec::new(),
            prev_sig,
            pending_sig: String::new(),
            hasher: Sha256::new(),
            trailer_hasher: Sha256::new(),
            trailers: Vec::new(),
            trailer_lines: 0,
            trailer_sig_seen: false,
            skipped_blank: false,
            decoded: 0,
            error: None,
        }
    }

    /// Payload bytes emitted so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// True once the final empty line has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Feed the next bytes of the body; decoded payload bytes are appended to `out`.
    ///
    /// In signed mode a chunk's bytes may be appended before its signature is checked
    /// (at the chunk's end): on any `Err` the shell must abort the upload. After an
    /// error every later call returns the same error.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), S3Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match self.run(input, out) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.state = State::Failed;
                self.error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The body ended: `Err` if the final 0-size chunk or the trailer section is
    /// missing or incomplete, or a required trailer signature is absent.
    pub fn finish(&mut self) -> Result<Trailers, S3Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let r = match self.state {
            State::Done => Ok(()),
            // Tolerate a body that stops right after the last trailer line (or after the
            // final chunk line), without the closing empty line, when nothing required is
            // missing: every chunk signature has been verified by then.
            State::Trailer if self.line.is_empty() => self.check_trailer_end(),
            State::Header | State::Trailer => Err(incomplete("the final 0-size chunk or the trailer section is missing")),
            State::Data { .. } | State::DataCr | State::DataLf => Err(incomplete("a chunk is cut short")),
            State::Failed => Err(malformed("decoder failed")),
        };
        match r {
            Ok(()) => {
                self.state = State::Done;
                Ok(Trailers(self.trailers.clone()))
            }
            Err(e) => {
                self.state = State::Failed;
                self.error = Some(e.clone());
                Err(e)
            }
        }
    }

    fn run(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), S3Error> {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                State::Header | State::Trailer => {
                    let rest = &input[i..];
                    match rest.iter().position(|&b| b == b'\n') {
                        Some(p) => {
                            if self.line.len() + p + 1 > MAX_LINE {
                                return Err(malformed("line too long"));
                            }
                            self.line.extend_from_slice(&rest[..p]);
                            i += p + 1;
                            let mut line = std::mem::take(&mut self.line);
                            if line.pop() != Some(b'\r') {
                                return Err(malformed("line not terminated by CRLF"));
                            }
                            let r = if self.state == State::Header { self.on_header(&line) } else { self.on_trailer(&line) };
                            line.clear();
                            self.line = line; // keep the allocation
                            r?;
                        }
                        None => {
                            if self.line.len() + rest.len() >= MAX_LINE {
                                return Err(malformed("line too long"));
                            }
                            self.line.extend_from_slice(rest);
                            i = input.len();
                        }
                    }
                }
                State::Data { remaining } => {
                    let avail = (input.len() - i) as u64;
                    let n = avail.min(remaining) as usize;
                    let data = &input[i..i + n];
                    if self.signed() {
                        self.hasher.update(data);
                    }
                    out.extend_from_slice(data);
                    self.decoded += n as u64;
                    i += n;
                    let left = remaining - n as u64;
                    self.state = if left == 0 { State::DataCr } else { State::Data { remaining: left } };
                }
                State::DataCr => {
                    if input[i] != b'\r' {
                        return Err(malformed("chunk data longer than its declared size"));
                    }
                    i += 1;
                    self.state = State::DataLf;
                }
                State::DataLf => {
                    if input[i] != b'\n' {
                        return Err(malformed("chunk data not followed by CRLF"));
                    }
                    i += 1;
                    self.end_of_chunk()?;
                    self.state = State::Header;
                }
                State::Done => return Err(malformed("bytes after the end of the body")),
                State::Failed => return Err(malformed("decoder failed")),
            }
        }
        Ok(())
    }

    fn signed(&self) -> bool {
        matches!(self.mode, ChunkMode::Signed { .. })
    }

    /// Check the current chunk's signature (signed mode) against `data_hash` and advance the chain.
    fn verify_chunk(&mut self, data_hash: &str) -> Result<(), S3Error> {
        if let ChunkMode::Signed { signing_key, amz_date, scope, .. } = &self.mode {
            let expected = chunk_signature(signing_key, amz_date, scope, &self.prev_sig, data_hash);
            if !constant_time_eq(expected.as_bytes(), self.pending_sig.as_bytes()) {
                return Err(sig_mismatch("chunk"));
            }
            self.prev_sig = expected;
        }
        Ok(())
    }

    fn end_of_chunk(&mut self) -> Result<(), S3Error> {
        if self.signed() {
            let h = hex(&self.hasher.finalize_reset());
            self.verify_chunk(&h)?;
        }
        Ok(())
    }

    fn on_header(&mut self, line: &[u8]) -> Result<(), S3Error> {
        let (size_part, ext) = match line.iter().position(|&b| b == b';') {
            Some(p) => (&line[..p], Some(&line[p + 1..])),
            None => (line, None),
        };
        let size = parse_hex_size(size_part).ok_or_else(|| malformed("bad chunk size"))?;
        if self.signed() {
            let sig = ext
                .and_then(|e| e.strip_prefix(b"chunk-signature=".as_slice()))
                .filter(|s| is_hex64(s))
                .ok_or_else(|| malformed("missing or malformed chunk-signature"))?;
            self.pending_sig.clear();
            // is_hex64 guarantees ASCII
            self.pending_sig.extend(sig.iter().map(|&b| b as char));
        }
        if size == 0 {
            self.verify_chunk(EMPTY_SHA256)?;
            self.state = State::Trailer;
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    fn on_trailer(&mut self, line: &[u8]) -> Result<(), S3Error> {
        if line.is_empty() {
            if self.trailer_expected && self.trailer_lines == 0 && !self.skipped_blank {
                self.skipped_blank = true;
                return Ok(());
            }
            self.check_trailer_end()?;
            self.state = State::Done;
            return Ok(());
        }
        if self.trailer_sig_seen {
            return Err(malformed("trailer after x-amz-trailer-signature"));
        }
        self.trailer_lines += 1;
        if self.trailer_lines > MAX_TRAILERS {
            return Err(malformed("too many trailers"));
        }
        let text = std::str::from_utf8(line).map_err(|_| malformed("trailer is not UTF-8"))?;
        let (name, value) = text.split_once(':').ok_or_else(|| malformed("trailer without ':'"))?;
        let name = name.to_ascii_lowercase();
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
            return Err(malformed("bad trailer name"));
        }
        if name == "x-amz-trailer-signature" {
            if let ChunkMode::Signed { signing_key, amz_date, scope, .. } = &self.mode {
                let value = value.trim();
                let h = hex(&std::mem::take(&mut self.trailer_hasher).finalize());
                let expected = trailer_signature(signing_key, amz_date, scope, &self.prev_sig, &h);
                if !is_hex64(value.as_bytes()) || !constant_time_eq(expected.as_bytes(), value.as_bytes()) {
                    return Err(sig_mismatch("trailer"));
                }
                self.prev_sig = expected;
            }
            self.trailer_sig_seen = true;
            return Ok(());
        }
        if self.signed() {
            self.trailer_hasher.update(line);
            self.trailer_hasher.update(b"\n");
        }
        self.trailers.push((name, value.trim().to_string()));
        Ok(())
    }

    fn check_trailer_end(&self) -> Result<(), S3Error> {
        if self.trailer_expected && self.trailers.is_empty() {
            return Err(incomplete("the declared trailer is missing"));
        }
        if self.signed() && (self.trailer_expected || !self.trailers.is_empty()) && !self.trailer_sig_seen {
            return Err(sig_mismatch("trailer (missing x-amz-trailer-signature)"));
        }
        Ok(())
    }
}
