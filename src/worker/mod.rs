//! The edge shell: the `fetch` and `#[event(scheduled)]` entries. It reads the
//! configuration, asks the core what to do, and moves bytes between the client, the edge
//! cache and the store. Every decision lives in the core modules.

mod access;
mod body;
mod bucket;
mod convert;
mod ctx;
mod demo;
mod js;
mod r2;
mod read;
mod s3;
mod store_fetch;
mod subresource;
mod write;

use crate::auth::{authenticate, Keys, Principal};
use crate::config::Config;
use crate::http::RequestParts;
use crate::s3::error::S3Error;
use crate::s3::route::Route;
use convert::{error_response, error_style, json_response, request_parts};
use ctx::Ctx;
use std::cell::RefCell;
use std::rc::Rc;
use worker::{event, Context, Env, Response};

fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

fn request_id() -> String {
    let mut s = String::with_capacity(16);
    for _ in 0..2 {
        s.push_str(&format!("{:08X}", (js_sys::Math::random() * 4294967296.0) as u32));
    }
    s
}

thread_local! {
    /// The parsed configuration, kept for the isolate's life: vars and secrets are fixed for an
    /// isolate (a new deployment or secret starts new isolates), so parsing them once is enough.
    /// This is a cache of what `env` says, never state that must survive.
    static LOADED: std::cell::RefCell<Option<(Rc<Config>, Rc<Keys>)>> = const { std::cell::RefCell::new(None) };
}

/// The configuration, parsed on an isolate's first request (errors are not kept: every request
/// with a broken configuration answers with the error).
fn loaded(env: &Env) -> std::result::Result<(Rc<Config>, Rc<Keys>), S3Error> {
    if let Some(v) = LOADED.with(|l| l.borrow().clone()) {
        return Ok(v);
    }
    let (cfg, keys) = load(env)?;
    let v = (Rc::new(cfg), Rc::new(keys));
    LOADED.with(|l| *l.borrow_mut() = Some(v.clone()));
    Ok(v)
}

fn load(env: &Env) -> std::result::Result<(Config, Keys), S3Error> {
    let get = |name: &str| -> Option<String> {
        if let Ok(s) = env.secret(name) {
            return Some(s.to_string());
        }
        env.var(name).ok().map(|v| v.to_string())
    };
    let cfg = Config::from_env(&get)?;
    let keys = Keys::from_config(&cfg)?;
    Ok((cfg, keys))
}

#[event(start)]
fn start() {
    // A panic (none is expected: the core is fuzzed) logs where it happened, not its message:
    // formatting panic messages costs the bundle more than the location tells.
    std::panic::set_hook(Box::new(|info| {
        let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
        let mut text = String::from("bagroom panicked at ");
        text.push_str(file);
        text.push(':');
        text.push_str(&line.to_string());
        web_sys::console::error_1(&text.into());
    }));
}

/// The demo page's static files (`www/`, the `ASSETS` binding): `GET`/`HEAD` of `/`,
/// `/index.html` and `/_bagroom/*`, without an AWS signature (a signed `GET /` is ListBuckets),
/// on the gateway's own host (never a virtual-hosted bucket's, whose paths are keys). The worker
/// runs first for every request (`run_worker_first` in wrangler.toml) and hands these on.
fn is_static_page(parts: &RequestParts, loaded: &std::result::Result<(Rc<Config>, Rc<Keys>), S3Error>) -> bool {
    let path = parts.path.as_str();
    matches!(parts.method.as_str(), "GET" | "HEAD")
        && (path == "/" || path == "/index.html" || path.starts_with("/_bagroom/"))
        && !crate::auth::carries_aws_signature(parts)
        && loaded.as_ref().map_or(true, |(cfg, _)| crate::s3::route::virtual_host_bucket(parts, cfg.virtual_host.as_deref()).is_none())
}

/// The fetch entry, exported to JavaScript under the name worker-build's `#[event(fetch)]` gives
/// it (src/worker/index.mjs calls it), without that macro's error glue: the glue boxes a
/// `worker::Error` as `dyn Error`, which links the texts and formatters of every error it can
/// wrap (serde_json's, `std::io`'s, the router's; BENCHMARKS.md, "Bundle size"). Every error
/// here is answered as an S3 error.
#[wasm_bindgen::prelude::wasm_bindgen]
pub async fn fetch(
    req: web_sys::Request,
    env: Env,
    ctx: worker::worker_sys::Context,
) -> std::result::Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
    Ok(handle(req, env, Context::new(ctx)).await.into())
}

async fn handle(req: web_sys::Request, env: Env, wait: Context) -> web_sys::Response {
    let started = js_sys::Date::now();
    r2::set_env(&env);
    let (parts, url) = request_parts(&req);
    let config = loaded(&env);
    // the access line: on unless BAGROOM_ACCESS_LOG=false (also for a broken configuration)
    let facts: access::Facts = Rc::new(RefCell::new(crate::access_log::RequestFacts::claimed(&parts)));
    let logged = config.as_ref().map_or(true, |(c, _)| c.access_log).then_some((&facts, parts.method.as_str(), started));
    let rid = request_id();
    if is_static_page(&parts, &config) {
        if let Some(promise) = js::assets_fetch(&env, &req) {
            facts.borrow_mut().operation = "Static".into();
            return match js::response(promise).await {
                Ok(resp) => answer(Response::from(resp), &rid, false, logged),
                Err(e) => {
                    let e = S3Error::bad_gateway(format!("the demo page's assets: {}", js::message(&e)));
                    answer(error_response(&e, error_style(&parts), &parts.path, &rid, parts.method == "HEAD"), &rid, true, logged)
                }
            };
        }
    }
    let style = error_style(&parts);
    let head = parts.method == "HEAD";
    let (cfg, keys) = match &config {
        Ok(v) => v.clone(),
        Err(e) => return answer(error_response(e, style, &parts.path, &rid, head), &rid, true, logged),
    };
    let client_ip = parts.headers.get("cf-connecting-ip").map(str::to_string);
    let origin = crate::http::url_origin(&url).unwrap_or_else(|| "http://localhost".into());
    let ctx = Ctx { cfg, keys, now: now_secs(), client_ip, origin, wait, log: facts.clone() };
    let resp = match access::scoped(facts.clone(), dispatch(&ctx, req, &parts)).await {
        Ok(r) => r,
        Err(e) => error_response(&e, style, &parts.path, &rid, head),
    };
    answer(resp, &rid, true, logged)
}

/// Headers every answer carries, set in this one place: the request id, and CORS. Every answer may
/// be read cross-origin (browser SDKs, Uppy on another origin): none depends on ambient
/// credentials a browser would attach by itself across origins. The methods and request headers
/// a browser may use are a preflight's answer alone (`read::preflight`): the Fetch standard reads
/// them nowhere else, and each header costs every answer CPU (BENCHMARKS.md, "Where an answer's
/// CPU goes").
const COMMON_HEADERS: &str = "access-control-allow-origin\n*\n\
access-control-expose-headers\nETag, Content-Length, Content-Range, Content-Type, Last-Modified, x-amz-version-id, x-amz-request-id, x-bagroom-cache, Location\n";

/// The runtime's response for `resp`, built in one call (`js::finish_response`): with the common
/// headers (`common`) and its request id, then its access line (`logged`: the request's facts,
/// method and arrival time) written.
fn answer(resp: Response, rid: &str, common: bool, logged: Option<(&access::Facts, &str, f64)>) -> web_sys::Response {
    let status = resp.status_code();
    let headers = resp.headers().0.clone();
    let manual = matches!(resp.encode_body(), worker::EncodeBody::Manual);
    let (_, body) = resp.into_parts();
    let fixed_body = match &body {
        worker::ResponseBody::Body(b) => Some(b.len()),
        worker::ResponseBody::Empty => Some(0),
        worker::ResponseBody::Stream(_) => None,
    };
    let body: wasm_bindgen::JsValue = match body {
        worker::ResponseBody::Body(b) => js_sys::Uint8Array::from(b.as_slice()).into(),
        worker::ResponseBody::Stream(s) => s.into(),
        worker::ResponseBody::Empty => wasm_bindgen::JsValue::NULL,
    };
    let lines = if common { format!("x-amz-request-id\n{rid}\n{COMMON_HEADERS}") } else { String::new() };
    let out = js::finish_response(status, &headers, &lines, body, manual);
    if let Some((facts, method, started)) = logged {
        access::emit(facts, rid, method, status, &headers, fixed_body, started);
    }
    out
}

/// Cron trigger: abort multipart uploads older than `BAGROOM_MULTIPART_MAX_AGE_HOURS`, like
/// S3's lifecycle rule for incomplete uploads.
#[event(scheduled)]
async fn scheduled(_event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    r2::set_env(&env);
    let (cfg, _) = match load(&env) {
        Ok(v) => v,
        Err(e) => {
            worker::console_error!("cleanup: configuration error: {}", e.message);
            return;
        }
    };
    let now = now_secs();
    for b in &cfg.buckets {
        match write::abort_stale(&cfg, b, now).await {
            Ok(n) => worker::console_log!("cleanup: bucket {}: aborted {n} stale multipart upload(s)", b.name),
            Err(e) => worker::console_error!("cleanup: bucket {}: {}", b.name, e.message),
        }
    }
}

async fn dispatch(ctx: &Ctx, req: web_sys::Request, parts: &RequestParts) -> std::result::Result<Response, S3Error> {
    let vbucket = crate::s3::route::virtual_host_bucket(parts, ctx.cfg.virtual_host.as_deref());
    let route = crate::s3::route::route_with(parts, vbucket.as_deref());
    ctx.log.borrow_mut().route(&route);
    match route {
        Route::Health => health(ctx, parts).await,
        Route::S3 { op, bucket, key } => {
            if ctx.cfg.namespace.is_none() && op != crate::s3::route::S3Op::ListBuckets {
                // without a namespace, who asks changes nothing: an unknown bucket answers before
                // the signature is looked at, as S3 does
                crate::guard::namespace::resolve(&ctx.cfg, &Principal::Anonymous, &bucket, &op)?;
            }
            let principal = authenticate(parts, &ctx.cfg, &ctx.keys, None, vbucket.as_deref(), ctx.now)?;
            ctx.log_principal(&principal);
            if op == crate::s3::route::S3Op::ListBuckets {
                // names no bucket: an access key; the configuration (and the namespace's store buckets)
                crate::guard::grant::authorize_gateway(&ctx.who(&principal), "ListBuckets")?;
                return bucket::list_buckets(ctx, &principal).await;
            }
            // which bucket the name stands for: configured, or made by the namespace's rule
            let resolved = crate::guard::namespace::resolve(&ctx.cfg, &principal, &bucket, &op)?;
            s3::dispatch(ctx, req, parts, &principal, op, resolved.bucket(), &key).await
        }
        Route::Share { token, key } => {
            let principal = authenticate(parts, &ctx.cfg, &ctx.keys, Some(&token), None, ctx.now)?;
            ctx.log_principal(&principal);
            read::share(ctx, parts, &principal, key).await
        }
        Route::Preflight => Ok(read::preflight()),
        Route::Api(rest) => demo::api(ctx, req, parts, &rest).await,
        Route::Uppy { token, rest } => demo::uppy(ctx, req, parts, token.as_deref(), &rest).await,
        Route::NotFound => Err(S3Error::not_found("no such route")),
    }
}

/// `/healthz`: the version, whether each store answers, and the edge cache's consistency rules
/// in force (for every bucket), with a warning when the request came through `*.workers.dev`,
/// where the Cache API stores nothing.
async fn health(ctx: &Ctx, parts: &RequestParts) -> std::result::Result<Response, S3Error> {
    let mut stores = Vec::new();
    for b in &ctx.cfg.buckets {
        let grant = crate::guard::Grant::maintenance(b, "", crate::guard::GrantKind::Bucket);
        let r = crate::store::build(&grant, "HEAD", &[], &crate::guard::StoreHeaders::none(), crate::sigv4::UNSIGNED_PAYLOAD, ctx.now)?;
        let t0 = js_sys::Date::now();
        let (ok, status) = match store_fetch::send(&r, None, 5000.min(ctx.cfg.store_timeout_ms)).await {
            Ok(resp) => (resp.status_code() < 400, resp.status_code().to_string()),
            Err(e) => (false, e.message),
        };
        stores.push(crate::json!({"bucket": b.name, "ok": ok, "status": status, "ms": (js_sys::Date::now() - t0) as u64}));
    }
    let ok = stores.iter().all(|s| s["ok"] == true);
    let mut cache = ctx.cfg.cache.summary();
    let inactive = crate::cache::policy::inactive_cache_reason(parts.headers.get("host"));
    cache["edge_cache"] = crate::json::Value::from(inactive.is_none());
    if let Some(why) = inactive {
        cache["warning"] = crate::json::Value::from(why);
    }
    let v = crate::json!({
        "service": "bagroom",
        "version": crate::VERSION,
        "commit": option_env!("BAGROOM_GIT_COMMIT").unwrap_or("unknown"),
        "ok": ok,
        "stores": stores,
        "cache": cache,
    });
    Ok(json_response(if ok { 200 } else { 503 }, &v))
}
