//! Request bodies on their way to the store: handed over untouched on the fast path, or pumped
//! through the core's [`BodyFilter`] into a `FixedLengthStream` ([`pump`]).
//!
//! The pump reads the client's body itself, in reads of up to [`READ_SIZE`] (workerd's
//! `readAtLeast` on a BYOB reader), instead of piping it through a `TransformStream`: workerd hands
//! a request body on in 4 KiB chunks, and every chunk through a JS transform costs about 0.14 ms of
//! CPU (a 1 MiB body through an identity `TransformStream` ~40 ms against ~5 ms for the runtime's
//! own pipe; the same body pumped in 256 KiB reads ~7.5 ms: `bench/probes/fetch-floor.mjs`,
//! BENCHMARKS.md "Uploads through the filter").

use crate::s3::error::S3Error;
use crate::upload::{BodyFilter, Out};
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, TransformStream, WritableStreamDefaultWriter};

/// The first error the filter reported, so the handler can answer with it (instead of the
/// generic failure the aborted store request gives).
pub type ErrorSlot = Rc<RefCell<Option<S3Error>>>;

/// Most bytes one read of the client's body asks for.
pub const READ_SIZE: u64 = 512 * 1024;
/// A read waits for at least this many bytes (or the end of the body).
const READ_AT_LEAST: u64 = 256 * 1024;

/// Pump `body` through `check` into a stream of exactly `len` bytes for the store request
/// (workerd's `FixedLengthStream`: the store request carries `Content-Length`). A plain body whose
/// one byte check is its signed SHA-256 ([`BodyFilter::by_length`]) is passed on as the runtime's
/// own bytes, never copied into wasm, and hashed by `crypto.DigestStream` (the runtime's native
/// SHA-256); any other is copied into the filter. Either way the bytes that complete the body are
/// held back until every check passed, so the store never receives a whole body that fails one:
/// on a failure the store's stream is aborted and the error is left in `slot`. `on_end` runs once
/// the whole body has been handed on.
pub fn pump(
    body: ReadableStream,
    len: u64,
    check: BodyFilter,
    slot: ErrorSlot,
    on_end: impl FnOnce() + 'static,
) -> Result<ReadableStream, S3Error> {
    let ctor = Reflect::get(&js_sys::global(), &"FixedLengthStream".into())
        .ok()
        .and_then(|c| c.dyn_into::<Function>().ok())
        .ok_or_else(|| S3Error::internal("this runtime has no FixedLengthStream"))?;
    let fixed = Reflect::construct(&ctor, &js_sys::Array::of1(&JsValue::from_f64(len as f64)))
        .ok()
        .and_then(|o| o.dyn_into::<TransformStream>().ok())
        .ok_or_else(|| S3Error::internal("FixedLengthStream"))?;
    let out = fixed.writable().get_writer().map_err(|_| S3Error::internal("FixedLengthStream writer"))?;
    let reader = Reader::new(&body)?;
    let digest = if check.by_length() { digest_stream() } else { None };
    wasm_bindgen_futures::spawn_local(async move {
        let mut check = check;
        match run(&reader, &out, &mut check, digest, len).await {
            Ok(()) => {
                if JsFuture::from(out.close()).await.is_ok() {
                    on_end();
                }
            }
            Err(End::Refused(e)) => {
                let msg = JsValue::from_str(&e.to_string());
                slot.borrow_mut().get_or_insert(e);
                let _ = out.abort_with_reason(&msg);
                reader.cancel(&msg);
            }
            // the store request ended first (it failed, or answered before reading the whole
            // body): its outcome is the answer
            Err(End::StoreGone) => reader.cancel(&JsValue::from_str("the store request ended")),
        }
    });
    Ok(fixed.readable())
}

/// Why the pump stopped early.
enum End {
    /// The body failed a check, or could not be read: the upload is refused with this.
    Refused(S3Error),
    /// The store's side of the stream failed.
    StoreGone,
}

impl From<S3Error> for End {
    fn from(e: S3Error) -> End {
        End::Refused(e)
    }
}

async fn write(out: &WritableStreamDefaultWriter, chunk: &Uint8Array) -> Result<(), End> {
    JsFuture::from(out.write_with_chunk(chunk)).await.map(|_| ()).map_err(|_| End::StoreGone)
}

async fn run(
    reader: &Reader,
    out: &WritableStreamDefaultWriter,
    check: &mut BodyFilter,
    digest: Option<(WritableStreamDefaultWriter, Promise)>,
    len: u64,
) -> Result<(), End> {
    let mut held: Option<Uint8Array> = None;
    let mut seen: u64 = 0;
    // the bytes of each piece, for the filter (one buffer for every piece)
    let mut input = Vec::new();
    loop {
        // ask for what is left of the body on the wire (more for aws-chunked framing), within READ_SIZE
        let want = len.saturating_sub(seen).clamp(16 * 1024, READ_SIZE);
        let (chunk, done) = reader.read(want).await?;
        if let Some(c) = chunk.filter(|c| c.length() > 0) {
            seen += c.length() as u64;
            match &digest {
                Some((hash, _)) => {
                    let last = check.push_length(c.length() as usize)?;
                    JsFuture::from(hash.write_with_chunk(&c)).await.map_err(hash_failed)?;
                    if last {
                        held = Some(c);
                    } else {
                        write(out, &c).await?;
                    }
                }
                None => {
                    input.resize(c.length() as usize, 0);
                    c.copy_to(&mut input);
                    let next = match check.push(&input)? {
                        Out::Same => Some(c),
                        Out::Bytes([]) => None,
                        Out::Bytes(b) => Some(Uint8Array::from(b)),
                    };
                    if let Some(n) = next {
                        write(out, &n).await?;
                    }
                }
            }
        }
        if done {
            break;
        }
    }
    let tail = match digest {
        Some((hash, sum)) => {
            JsFuture::from(hash.close()).await.map_err(hash_failed)?;
            let sum = JsFuture::from(sum).await.map_err(hash_failed)?;
            let sum = <[u8; 32]>::try_from(Uint8Array::new(&sum).to_vec())
                .map_err(|_| S3Error::internal("the body's SHA-256 is not 32 bytes"))?;
            check.finish_with_sha256(sum)?;
            held
        }
        None => Some(check.finish()?).filter(|t| !t.is_empty()).map(|t| Uint8Array::from(t.as_slice())),
    };
    if let Some(t) = tail {
        write(out, &t).await?;
    }
    Ok(())
}

fn hash_failed(e: JsValue) -> S3Error {
    S3Error::internal(format!("hashing the body: {}", super::js::message(&e)))
}

/// The client's body, read in large pieces where the runtime allows (a BYOB reader with
/// workerd's `readAtLeast`), else chunk by chunk.
struct Reader {
    reader: Object,
    read: Function,
    at_least: bool,
}

impl Reader {
    fn new(body: &ReadableStream) -> Result<Reader, S3Error> {
        let get = Reflect::get(body, &"getReader".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| S3Error::internal("no getReader"))?;
        let method = |r: &JsValue, name: &str| Reflect::get(r, &name.into()).ok().and_then(|f| f.dyn_into::<Function>().ok());
        let opts = Object::new();
        let _ = Reflect::set(&opts, &"mode".into(), &"byob".into());
        if let Ok(byob) = get.call1(body, &opts) {
            if let Some(read) = method(&byob, "readAtLeast") {
                return Ok(Reader { reader: byob.unchecked_into(), read, at_least: true });
            }
            // a BYOB reader without readAtLeast: the default reader instead
            if let Some(release) = method(&byob, "releaseLock") {
                let _ = release.call0(&byob);
            }
        }
        let reader = get.call0(body).map_err(|_| S3Error::internal("getReader"))?;
        let read = method(&reader, "read").ok_or_else(|| S3Error::internal("no read"))?;
        Ok(Reader { reader: reader.unchecked_into(), read, at_least: false })
    }

    /// The next piece (up to `want` bytes) and whether the body has ended.
    async fn read(&self, want: u64) -> Result<(Option<Uint8Array>, bool), S3Error> {
        let promise = if self.at_least {
            let buf = Uint8Array::new_with_length(want as u32);
            self.read.call2(&self.reader, &JsValue::from_f64(want.min(READ_AT_LEAST) as f64), &buf)
        } else {
            self.read.call0(&self.reader)
        };
        let unreadable = |e: JsValue| S3Error::incomplete_body(format!("reading the request body: {}", super::js::message(&e)));
        let result = JsFuture::from(promise.map_err(unreadable)?.unchecked_into::<Promise>()).await.map_err(unreadable)?;
        let done = Reflect::get(&result, &"done".into()).map(|d| d.is_truthy()).unwrap_or(true);
        let value = Reflect::get(&result, &"value".into()).ok().and_then(|v| v.dyn_into::<Uint8Array>().ok());
        Ok((value, done))
    }

    fn cancel(&self, reason: &JsValue) {
        if let Some(f) = Reflect::get(&self.reader, &"cancel".into()).ok().and_then(|f| f.dyn_into::<Function>().ok()) {
            // nothing to wait for: the upload's outcome is already decided
            let _ = f.call1(&self.reader, reason);
        }
    }
}

/// A writer into a new `crypto.DigestStream("SHA-256")` and the promise of its digest, where the
/// runtime has one (workerd does).
fn digest_stream() -> Option<(WritableStreamDefaultWriter, Promise)> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let ctor = Reflect::get(&crypto, &"DigestStream".into()).ok()?.dyn_into::<Function>().ok()?;
    let stream = Reflect::construct(&ctor, &js_sys::Array::of1(&"SHA-256".into())).ok()?;
    let digest = Reflect::get(&stream, &"digest".into()).ok()?.dyn_into::<Promise>().ok()?;
    let writer = stream.dyn_into::<web_sys::WritableStream>().ok()?.get_writer().ok()?;
    Some((writer, digest))
}

/// A store-answer deadline that runs only once started (for uploads: when the whole body has
/// been handed on), so a long upload is not cut by the time limit meant for the store's answer.
#[derive(Clone)]
pub struct Deadline {
    controller: web_sys::AbortController,
    ms: u64,
    state: Rc<RefCell<DeadlineState>>,
}

#[derive(Default)]
struct DeadlineState {
    timer: Option<JsValue>,
    cleared: bool,
    callback: Option<Closure<dyn FnMut()>>,
}

fn global_fn(name: &str) -> Option<js_sys::Function> {
    Reflect::get(&js_sys::global(), &name.into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok())
}

impl Deadline {
    pub fn new(ms: u64) -> Result<Deadline, S3Error> {
        let controller = web_sys::AbortController::new().map_err(|e| S3Error::internal(format!("AbortController: {e:?}")))?;
        Ok(Deadline { controller, ms, state: Default::default() })
    }
    pub fn signal(&self) -> web_sys::AbortSignal {
        self.controller.signal()
    }
    pub fn expired(&self) -> bool {
        self.controller.signal().aborted()
    }
    /// Start the clock (once; nothing after [`Deadline::clear`]).
    pub fn start(&self) {
        let mut st = self.state.borrow_mut();
        if st.cleared || st.timer.is_some() {
            return;
        }
        let ctl = self.controller.clone();
        let cb = Closure::<dyn FnMut()>::new(move || ctl.abort());
        if let Some(f) = global_fn("setTimeout") {
            if let Ok(id) = f.call2(&js_sys::global(), cb.as_ref(), &JsValue::from_f64(self.ms.min(i32::MAX as u64) as f64)) {
                st.timer = Some(id);
            }
        }
        st.callback = Some(cb);
    }
    /// Stop the clock for good (the store answered).
    pub fn clear(&self) {
        let mut st = self.state.borrow_mut();
        st.cleared = true;
        if let (Some(id), Some(f)) = (st.timer.take(), global_fn("clearTimeout")) {
            let _ = f.call1(&js_sys::global(), &id);
        }
    }
}

/// Read a small request body whole, but never more than `cap` bytes: a declared length over the
/// cap is refused before reading, and reading stops (the stream is cancelled) as soon as the
/// body passes it. Call it only after the request is authorised.
pub async fn read_capped(req: web_sys::Request, headers: &crate::http::Headers, cap: usize) -> Result<Vec<u8>, S3Error> {
    let too_big = || S3Error::max_message_length_exceeded(cap);
    let declared = headers.get("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(too_big());
    }
    read_whole(req, declared, &mut |got| if got.len() > cap { Err(too_big()) } else { Ok(()) }).await
}

/// Read a request body whole (none: empty), in pieces of up to [`READ_SIZE`] (see [`Reader`]);
/// `check` sees what has been read after each piece, and its error stops the reading (the body
/// is cancelled). `declared`: the body's length, when known, sizes the reads.
pub async fn read_whole(
    req: web_sys::Request,
    declared: Option<u64>,
    check: &mut dyn FnMut(&[u8]) -> Result<(), S3Error>,
) -> Result<Vec<u8>, S3Error> {
    let Some(body) = req.body() else {
        return Ok(Vec::new());
    };
    let reader = Reader::new(&body)?;
    let mut out = Vec::new();
    loop {
        let want = declared.map_or(READ_SIZE, |n| n.saturating_sub(out.len() as u64)).clamp(16 * 1024, READ_SIZE);
        let (piece, done) = reader.read(want).await?;
        if let Some(p) = piece {
            let at = out.len();
            out.resize(at + p.length() as usize, 0);
            p.copy_to(&mut out[at..]);
        }
        if let Err(e) = check(&out) {
            reader.cancel(&JsValue::from_str("the body was refused"));
            return Err(e);
        }
        if done {
            return Ok(out);
        }
    }
}
