//! Request bodies on their way to the store: handed over untouched on the fast path, or piped
//! through a `TransformStream` whose transform is the core's [`BodyFilter`].

use crate::error::S3Error;
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
pub fn fixed_length(body: ReadableStream, len: u64) -> ReadableStream {
    let global = js_sys::global();
    let ctor = match Reflect::get(&global, &"FixedLengthStream".into()).ok().and_then(|c| c.dyn_into::<js_sys::Function>().ok()) {
        Some(c) => c,
        None => return body,
    };
    let args = js_sys::Array::of1(&JsValue::from_f64(len as f64));
    let Ok(obj) = Reflect::construct(&ctor, &args) else { return body };
    let Ok(ts) = obj.dyn_into::<TransformStream>() else { return body };
    let pair = ReadableWritablePair::new(&ts.readable(), &ts.writable());
    body.pipe_through(&pair)
}
