//! Request bodies on their way to the store: handed over untouched on the fast path, or pumped
//! through the core's [`BodyFilter`] into a `FixedLengthStream` ([`pump`]).
//!
//! The pump (a loop in JavaScript, `pump_body`, calling the filter once per piece) reads the
//! client's body itself, in reads of up to [`READ_SIZE`] (workerd's `readAtLeast` on a BYOB
//! reader), instead of piping it through a `TransformStream`: workerd hands
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
use web_sys::ReadableStream;

/// The first error the filter reported, so the handler can answer with it (instead of the
/// generic failure the aborted store request gives).
pub type ErrorSlot = Rc<RefCell<Option<S3Error>>>;

/// Most bytes one read of the client's body asks for.
pub const READ_SIZE: u64 = 512 * 1024;
/// A read waits for at least this many bytes (or the end of the body).
const READ_AT_LEAST: u64 = 256 * 1024;

/// Pump `body` through `check` into a stream of exactly `len` bytes for the store request
/// (workerd's `FixedLengthStream`: the store request carries `Content-Length`). The loop is the
/// runtime's own JavaScript (`pump_body`), calling into the filter once per piece: a plain
/// body whose one byte check is its signed SHA-256 ([`BodyFilter::by_length`]) is passed on as
/// the runtime's own bytes, never copied into wasm, and hashed by `crypto.DigestStream` (the
/// runtime's native SHA-256); any other is copied into the filter. Either way the bytes that
/// complete the body are held back until every check passed, so the store never receives a whole
/// body that fails one: on a failure the store's stream is aborted and the error is left in
/// `slot`. `on_end` runs once the whole body has been handed on.
pub fn pump(
    body: ReadableStream,
    len: u64,
    check: BodyFilter,
    slot: ErrorSlot,
    on_end: impl FnOnce() + 'static,
) -> Result<ReadableStream, S3Error> {
    let digest = check.by_length();
    let filter = PumpFilter { check, slot, on_end: Some(Box::new(on_end)) };
    pump_body(&body, len as f64, filter, digest, READ_SIZE as f64, READ_AT_LEAST as f64)
        .map_err(|e| S3Error::internal(format!("the upload stream: {}", super::js::message(&e))))
}

#[wasm_bindgen(inline_js = r#"
export function pump_body(body, len, f, digest, most, least) {
  const fixed = new FixedLengthStream(len);
  const out = fixed.writable.getWriter();
  let r = null, atLeast = false;
  try {
    r = body.getReader({ mode: "byob" });
    atLeast = typeof r.readAtLeast === "function";
    if (!atLeast) { r.releaseLock(); r = null; }
  } catch (e) { r = null; }
  if (!r) r = body.getReader();
  let hash = null, sum = null;
  if (digest && typeof crypto.DigestStream === "function") {
    const d = new crypto.DigestStream("SHA-256");
    sum = d.digest;
    hash = d.getWriter();
  }
  const GONE = {}, NO = {};
  const why = (e) => String((e && e.message) || e);
  const put = (c) => out.write(c).catch(() => { throw GONE; });
  const hashed = (p) => p.catch((e) => { f.fail(false, why(e)); throw NO; });
  const run = async () => {
    let seen = 0, held = null;
    for (;;) {
      const want = Math.min(Math.max(len - seen, 16384), most);
      let x;
      try {
        x = atLeast ? await r.readAtLeast(Math.min(want, least), new Uint8Array(want)) : await r.read();
      } catch (e) { f.fail(true, why(e)); throw NO; }
      const c = x.value;
      if (c && c.length) {
        seen += c.length;
        if (hash) {
          const last = f.push_length(c.length);
          if (last < 0) throw NO;
          await hashed(hash.write(c));
          if (last) held = c; else await put(c);
        } else {
          const next = f.push(c);
          if (next === false) throw NO;
          if (next === true) await put(c); else if (next) await put(next);
        }
      }
      if (x.done) break;
    }
    let tail;
    if (hash) {
      await hashed(hash.close());
      if (!f.finish_sha256(new Uint8Array(await hashed(sum)))) throw NO;
      tail = held;
    } else {
      tail = f.finish();
      if (tail === false) throw NO;
    }
    if (tail) await put(tail);
    await out.close();
    f.ended();
  };
  run().catch((e) => {
    // a refusal aborts the store's stream; a store request that ended first (it failed, or
    // answered before reading the whole body) decides the answer itself
    const m = e === GONE ? "the store request ended" : e === NO ? f.message() : why(e);
    if (e !== GONE) out.abort(m).catch(() => {});
    r.cancel(m).catch(() => {});
  }).finally(() => f.free());
  return fixed.readable;
}
"#)]
extern "C" {
    /// `body` pumped through the filter `f` into a `FixedLengthStream` of `len` bytes, read in
    /// pieces of `least` to `most` bytes (workerd's `readAtLeast`; chunk by chunk elsewhere),
    /// hashed by `crypto.DigestStream` when `digest` (`BodyFilter::by_length`): see
    /// `body::pump`. Throws where the runtime has no `FixedLengthStream`.
    #[wasm_bindgen(catch)]
    pub fn pump_body(
        body: &web_sys::ReadableStream,
        len: f64,
        f: PumpFilter,
        digest: bool,
        most: f64,
        least: f64,
    ) -> Result<web_sys::ReadableStream, JsValue>;
}

/// The core's [`BodyFilter`] as `pump_body` sees it: one call per piece of the body. A
/// refusal is `false` (its error left in the slot, its message in [`PumpFilter::message`]).
#[wasm_bindgen]
pub struct PumpFilter {
    check: BodyFilter,
    slot: ErrorSlot,
    on_end: Option<Box<dyn FnOnce()>>,
}

#[wasm_bindgen]
impl PumpFilter {
    fn refused(&self, e: S3Error) -> JsValue {
        self.slot.borrow_mut().get_or_insert(e);
        JsValue::FALSE
    }

    /// The next piece: `true` to pass it on as it is, bytes to pass on instead, `null` for
    /// nothing (yet), `false` when refused.
    pub fn push(&mut self, piece: &[u8]) -> JsValue {
        match self.check.push(piece) {
            Ok(Out::Same) => JsValue::TRUE,
            Ok(Out::Bytes([])) => JsValue::NULL,
            Ok(Out::Bytes(b)) => Uint8Array::from(b).into(),
            Err(e) => self.refused(e),
        }
    }

    /// A piece of `n` bytes the pump passes on and hashes itself: 1 when it completes the body
    /// (to be held back), 0 to pass on, -1 when refused.
    pub fn push_length(&mut self, n: u32) -> i32 {
        match self.check.push_length(n as usize) {
            Ok(last) => last as i32,
            Err(e) => {
                self.refused(e);
                -1
            }
        }
    }

    /// The body ended: the held-back bytes to pass on (`null`: none), or `false` when refused.
    pub fn finish(&mut self) -> JsValue {
        match self.check.finish() {
            Ok(t) if t.is_empty() => JsValue::NULL,
            Ok(t) => Uint8Array::from(t.as_slice()).into(),
            Err(e) => self.refused(e),
        }
    }

    /// The body ended ([`BodyFilter::by_length`]): its SHA-256; `false` when refused.
    pub fn finish_sha256(&mut self, sum: &[u8]) -> bool {
        let Ok(sum) = <[u8; 32]>::try_from(sum) else {
            self.refused(S3Error::internal("the body's SHA-256 is not 32 bytes"));
            return false;
        };
        match self.check.finish_with_sha256(sum) {
            Ok(()) => true,
            Err(e) => {
                self.refused(e);
                false
            }
        }
    }

    /// The body could not be read (`unreadable`) or hashed: the upload is refused with that.
    pub fn fail(&mut self, unreadable: bool, why: String) {
        self.refused(if unreadable {
            S3Error::incomplete_body(format!("reading the request body: {why}"))
        } else {
            S3Error::internal(format!("hashing the body: {why}"))
        });
    }

    /// What the refusal says (the reason the store's stream is aborted with).
    pub fn message(&self) -> String {
        self.slot.borrow().as_ref().map_or_else(|| "the upload was refused".to_string(), |e| e.to_string())
    }

    /// The whole body was handed on.
    pub fn ended(&mut self) {
        if let Some(f) = self.on_end.take() {
            f();
        }
    }
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
