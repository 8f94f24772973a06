//! The few calls into JavaScript that cost less made once than piece by piece: each call across
//! the wasm boundary, and each string handed across, has a price, so what the shell reads of a
//! request (method, URL, every header) comes back as one string, and a response's headers go
//! out as one (`crate::http::Headers::to_lines` / `from_lines`).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function request_head(r) {
  let s = r.method + "\n" + r.url + "\n";
  for (const [k, v] of r.headers) s += k + "\n" + v + "\n";
  return s;
}
export function client_accept_encoding(r) {
  const cf = r.cf;
  const v = cf && cf.clientAcceptEncoding;
  return typeof v === "string" ? v : undefined;
}
export function headers_from_lines(s) {
  const h = new Headers();
  const p = s.split("\n");
  for (let i = 0; i + 1 < p.length; i += 2) {
    try { h.append(p[i], p[i + 1]); } catch (e) { /* a name or value the runtime refuses is left out */ }
  }
  return h;
}
export function store_fetch(url, method, lines, body, signal, raw) {
  const init = { method, headers: headers_from_lines(lines), signal };
  if (body !== undefined && body !== null) init.body = body;
  if (raw) init.encodeResponseBody = "manual";
  return fetch(url, init);
}
export function finish_response(status, headers, lines, body, manual) {
  const p = lines.split("\n");
  for (let i = 0; i + 1 < p.length; i += 2) {
    try { headers.set(p[i], p[i + 1]); } catch (e) { /* as headers_from_lines */ }
  }
  const init = { status, headers };
  if (manual) init.encodeBody = "manual";
  const nullBody = status === 101 || status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : body, init);
}
export function pick_headers(h, names) {
  let s = "";
  for (const n of names.split("\n")) { const v = h.get(n); s += (v === null ? "\u0000" : v) + "\n"; }
  return s;
}
export function cache_match_range(key, range) {
  return caches.default.match(new Request(key, { headers: { range } }), { ignoreMethod: true });
}
export function assets_fetch(env, req) {
  const a = env.ASSETS;
  return a && typeof a.fetch === "function" ? a.fetch(req) : undefined;
}
export function post_json(url, body) {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
}
export function header_lines(h) {
  let s = "";
  for (const [k, v] of h) s += k + "\n" + v + "\n";
  return s;
}
"#)]
extern "C" {
    /// `method \n url \n (name \n value \n)*` of a request (names lower-cased by the runtime).
    pub fn request_head(r: &web_sys::Request) -> String;
    /// `request.cf.clientAcceptEncoding`: the `Accept-Encoding` the client sent (the edge
    /// rewrites the header the worker sees). Reading `cf` makes the runtime build that object,
    /// so it is asked for only where the answer depends on it.
    pub fn client_accept_encoding(r: &web_sys::Request) -> Option<String>;
    /// A `Headers` from `name \n value \n` lines (what the runtime refuses is left out).
    pub fn headers_from_lines(s: &str) -> web_sys::Headers;
    /// `name \n value \n` lines of a `Headers`.
    pub fn header_lines(h: &web_sys::Headers) -> String;
    /// `fetch(url, {method, headers, body, signal})` in one call (`encodeResponseBody:
    /// "manual"` when `raw`: the body as the store sent it, not decoded).
    pub fn store_fetch(
        url: &str,
        method: &str,
        lines: &str,
        body: Option<JsValue>,
        signal: &web_sys::AbortSignal,
        raw: bool,
    ) -> js_sys::Promise;
    /// The answer: `headers` with the `lines` set on them, `body` (a stream, bytes or nothing),
    /// sent as it is when `manual`. A null-body status gets no body.
    pub fn finish_response(status: u16, headers: &web_sys::Headers, lines: &str, body: JsValue, manual: bool) -> web_sys::Response;
    /// The values of the `\n`-separated header `names`, one per line, NUL for a missing one.
    pub fn pick_headers(h: &web_sys::Headers, names: &str) -> String;
    /// The edge cache's answer for `range` of the entry `key` (a `Response`, or undefined).
    #[wasm_bindgen(catch)]
    pub fn cache_match_range(key: &str, range: &str) -> Result<js_sys::Promise, JsValue>;
    /// `env.ASSETS.fetch(req)`: the demo page's static files (undefined without the binding).
    pub fn assets_fetch(env: &JsValue, req: &web_sys::Request) -> Option<js_sys::Promise>;
    /// `fetch(url, {method: "POST", body})` with a JSON content type: the upload-event webhook.
    #[wasm_bindgen(catch)]
    pub fn post_json(url: &str, body: &str) -> Result<js_sys::Promise, JsValue>;
}

/// The `Response` a promise settles to (`fetch`, `cache.match`, a binding's `fetch`); a rejection,
/// or anything but a `Response`, is the error.
pub async fn response(p: js_sys::Promise) -> Result<web_sys::Response, JsValue> {
    wasm_bindgen_futures::JsFuture::from(p).await.and_then(wasm_bindgen::JsCast::dyn_into::<web_sys::Response>)
}

/// What a thrown JavaScript value says: its `message`, or the value itself if it is a string.
pub fn message(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// What a `worker::Error` says, for an error message or a log line. Formatting a
/// `worker::Error` with `{}` or `{:?}` links the texts and formatters of every error it can wrap
/// (serde_json's, `std::io`'s, the router's): about 9 KB of the bundle for errors the gateway
/// never makes. The runtime's own errors arrive as the first few variants.
pub fn error_text(e: &worker::Error) -> String {
    match e {
        worker::Error::JsError(s) | worker::Error::RustError(s) | worker::Error::BindingError(s) => s.clone(),
        worker::Error::UnknownJsError { message, .. } => message.clone(),
        worker::Error::Internal(v) => v.as_string().unwrap_or_else(|| "a JavaScript error".to_string()),
        worker::Error::BodyUsed => "the body has already been read".to_string(),
        _ => "an error in the worker runtime".to_string(),
    }
}
