//! Request bodies on their way to the store: handed over untouched on the fast path, or piped
//! through a `TransformStream` whose transform is the core's [`BodyFilter`].

use crate::s3::error::S3Error;
use crate::upload::{BodyFilter, Out};
use js_sys::{Object, Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ReadableStream, ReadableWritablePair, TransformStream, TransformStreamDefaultController};

/// The first error the filter reported, so the handler can answer with it (instead of the
/// generic failure the aborted store request gives).
pub type ErrorSlot = Rc<RefCell<Option<S3Error>>>;

/// Keeps the transform's callbacks alive until the store request is done.
pub struct Filtered {
    pub stream: ReadableStream,
    _transform: Closure<dyn FnMut(JsValue, TransformStreamDefaultController)>,
    _flush: Closure<dyn FnMut(TransformStreamDefaultController)>,
}

pub fn filter(body: ReadableStream, filter: BodyFilter, slot: ErrorSlot) -> Result<Filtered, S3Error> {
    let state = Rc::new(RefCell::new(filter));
    let (st, sl) = (state.clone(), slot.clone());
    let transform = Closure::<dyn FnMut(JsValue, TransformStreamDefaultController)>::new(
        move |chunk: JsValue, ctl: TransformStreamDefaultController| {
            let Ok(arr) = chunk.dyn_into::<Uint8Array>() else {
                ctl.error_with_reason(&JsValue::from_str("body chunk is not bytes"));
                return;
            };
            let input = arr.to_vec();
            let mut f = st.borrow_mut();
            match f.push(&input) {
                Ok(Out::Same) => {
                    let _ = ctl.enqueue_with_chunk(&arr);
                }
                Ok(Out::Bytes(b)) => {
                    if !b.is_empty() {
                        let _ = ctl.enqueue_with_chunk(&Uint8Array::from(b));
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    sl.borrow_mut().get_or_insert(e);
                    ctl.error_with_reason(&JsValue::from_str(&msg));
                }
            }
        },
    );
    let (st, sl) = (state, slot);
    let flush = Closure::<dyn FnMut(TransformStreamDefaultController)>::new(move |ctl: TransformStreamDefaultController| {
        match st.borrow_mut().finish() {
            Ok(held) => {
                if !held.is_empty() {
                    let _ = ctl.enqueue_with_chunk(&Uint8Array::from(held.as_slice()));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                sl.borrow_mut().get_or_insert(e);
                ctl.error_with_reason(&JsValue::from_str(&msg));
            }
        }
    });
    let transformer = Object::new();
    let _ = Reflect::set(&transformer, &"transform".into(), transform.as_ref());
    let _ = Reflect::set(&transformer, &"flush".into(), flush.as_ref());
    let ts = TransformStream::new_with_transformer(&transformer).map_err(|e| S3Error::internal(format!("TransformStream: {e:?}")))?;
    let pair = ReadableWritablePair::new(&ts.readable(), &ts.writable());
    let stream = body.pipe_through(&pair);
    Ok(Filtered { stream, _transform: transform, _flush: flush })
}

/// Give a stream a known length (workerd's `FixedLengthStream`), so the store request carries
/// `Content-Length` instead of chunked transfer encoding. A body of another length fails.
/// `on_end` runs once the whole body has been handed on (a plain `pipeTo`: between workerd's own
/// streams that stays a native pump, no JS per chunk); where the platform has no
/// `FixedLengthStream` the body passes as it is and `on_end` runs at once.
pub fn fixed_length(body: ReadableStream, len: u64, on_end: impl FnOnce() + 'static) -> ReadableStream {
    let global = js_sys::global();
    let ts = Reflect::get(&global, &"FixedLengthStream".into())
        .ok()
        .and_then(|c| c.dyn_into::<js_sys::Function>().ok())
        .and_then(|ctor| Reflect::construct(&ctor, &js_sys::Array::of1(&JsValue::from_f64(len as f64))).ok())
        .and_then(|o| o.dyn_into::<TransformStream>().ok());
    let Some(ts) = ts else {
        on_end();
        return body;
    };
    let done = body.pipe_to(&ts.writable());
    // one callback for both outcomes (a once-closure is freed when called): the pipe fulfils with
    // `undefined`; a failed pipe fails the store request itself, so nothing to do then
    let settled = Closure::once_into_js(move |v: JsValue| {
        if v.is_undefined() {
            on_end()
        }
    });
    if let Some(then) = Reflect::get(&done, &"then".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok()) {
        let _ = then.call2(&done, &settled, &settled);
    }
    ts.readable()
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
    use futures_util::StreamExt;
    let too_big = || S3Error::max_message_length_exceeded(cap);
    if let Some(n) = headers.get("content-length").and_then(|v| v.trim().parse::<u64>().ok()) {
        if n > cap as u64 {
            return Err(too_big());
        }
    }
    let Some(body) = req.body() else {
        return Ok(Vec::new());
    };
    let unreadable = |e: worker::Error| S3Error::incomplete_body(format!("reading the request body: {}", super::js::error_text(&e)));
    let mut stream = worker::ByteStream::from(body);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if out.len() + chunk.len() > cap {
            return Err(too_big());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
