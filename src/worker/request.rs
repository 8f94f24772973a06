//! Building a `Request` for `fetch` or the Cache API without `worker::RequestInit`: its
//! conversion serializes Cloudflare's `cf` properties through serde (about 18 KB of wasm for
//! options the gateway never sets).

use wasm_bindgen::JsValue;

/// A request for `url` with `method` (`None`: GET), `headers` and `body`.
pub fn new(url: &str, method: Option<&str>, headers: &worker::Headers, body: Option<&JsValue>) -> Result<worker::Request, worker::Error> {
    let init = web_sys::RequestInit::new();
    init.set_headers(headers.as_ref());
    if let Some(m) = method {
        init.set_method(m);
    }
    if let Some(b) = body {
        init.set_body(b);
    }
    web_sys::Request::new_with_str_and_init(url, &init)
        .map(worker::Request::from)
        .map_err(|e| worker::Error::JsError(e.as_string().unwrap_or_else(|| "invalid URL or options for Request".to_string())))
}
