//! The access log in the shell: the facts of the request being answered (`Ctx::log`), the store
//! round trips counted where they are made (`store_fetch`), and the line written when the answer
//! is built. What a line says is `crate::access_log`.
//!
//! Several requests can be in flight in one isolate, interleaved at their awaits, and the store
//! helpers take no `Ctx`. So the fetch entry runs each request's future inside [`scoped`], which
//! makes that request's facts [`current`] while (and only while) its future is polled: a store
//! fetch started or finished inside it counts for it. Work handed to `waitUntil` (background cache
//! fills) runs outside any request's scope and is not counted.

use crate::access_log::{Answer, RequestFacts};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use worker::Response;

/// One request's facts, shared by its handlers.
pub type Facts = Rc<RefCell<RequestFacts>>;

thread_local! {
    static CURRENT: RefCell<Option<Facts>> = const { RefCell::new(None) };
}

/// The facts of the request whose future is being polled, if any.
pub fn current() -> Option<Facts> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Record one store round trip for the current request (if any): the time to the answer's head,
/// and the answer's status and `Content-Length` (`None` when the store could not be reached).
pub fn store_round_trip(facts: Option<&Facts>, ms: f64, method: &str, resp: Option<&Response>) {
    let Some(f) = facts else { return };
    let status = resp.map(|r| r.status_code());
    let length = resp.and_then(|r| r.headers().get("content-length").ok().flatten());
    f.borrow_mut().store_round_trip(ms, method, status, length.as_deref());
}

/// Run `fut` with `facts` as the current request's.
pub fn scoped<F: Future>(facts: Facts, fut: F) -> Scoped<F> {
    Scoped { facts, inner: Box::pin(fut) }
}

pub struct Scoped<F> {
    facts: Facts,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let outer = CURRENT.with(|c| c.replace(Some(this.facts.clone())));
        let out = this.inner.as_mut().poll(cx);
        CURRENT.with(|c| *c.borrow_mut() = outer);
        out
    }
}

/// Write the line for an answer (`console.log`: Workers Logs): its status, its headers (the
/// three the line reads come back in one call) and the length of a body held whole; an error
/// answer's S3 code is its `x-bagroom-error` header.
pub fn emit(
    facts: &Facts,
    request_id: &str,
    method: &str,
    status: u16,
    headers: &web_sys::Headers,
    fixed_body: Option<usize>,
    started_ms: f64,
) {
    let now = js_sys::Date::now();
    let picked = super::js::pick_headers(headers, LOGGED_HEADERS);
    let mut values = picked.split('\n').map(|v| (v != "\0").then_some(v));
    let (content_length, cache, error) = (values.next().flatten(), values.next().flatten(), values.next().flatten());
    let answer = Answer {
        time_ms: started_ms as u64,
        request_id,
        method,
        status,
        content_length,
        fixed_body,
        cache,
        error,
        total_ms: now - started_ms,
    };
    let line = facts.borrow().finish(&answer).to_line();
    worker::console_log!("{line}");
}

/// The answer's headers an access line reads, in [`emit`]'s order.
const LOGGED_HEADERS: &str = concat!("content-length\n", "x-bagroom-cache", "\nx-bagroom-error");
