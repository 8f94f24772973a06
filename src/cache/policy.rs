//! Edge-cache decisions: the cache key, whether a store response may be cached and for
//! how long, and the headers on the cached copy vs. the ones a client sees.
//!
//! The edge copy carries `Cache-Control: public, max-age=<ttl>, no-transform` so the
//! platform keeps it for the configured TTL; the object's own Cache-Control (set by the
//! uploader) is kept in [`ORIGIN_CACHE_CONTROL_HEADER`] and restored by [`client_headers`].

use crate::encoding::uri_encode;
use crate::http::Headers;

/// Debug header on responses: [`HIT`], [`REVALIDATED`], [`STALE`], `MISS` or `BYPASS`.
pub const CACHE_STATUS_HEADER: &str = "x-bagroom-cache";
/// Served from the edge cache without asking the store (`ttl` mode).
pub const HIT: &str = "HIT";
/// Served from the edge cache after the store confirmed the copy (`revalidate` mode, a 304).
pub const REVALIDATED: &str = "REVALIDATED";
/// Served from the edge cache because the store could not confirm the copy (`revalidate`
/// mode within `BAGROOM_CACHE_STALE_IF_ERROR`).
pub const STALE: &str = "STALE";
/// Private header on the cached copy: when it was fetched from the store (Unix seconds).
pub const STORED_AT_HEADER: &str = "x-bagroom-stored-at";
/// Debug header with the reason a response was not stored (see [`Storable::No`]).
pub const CACHE_REASON_HEADER: &str = "x-bagroom-cache-reason";
/// Private header on the cached copy holding the store's own Cache-Control.
pub const ORIGIN_CACHE_CONTROL_HEADER: &str = "x-bagroom-origin-cache-control";
/// Origin of every cache key URL.
pub const CACHE_KEY_ORIGIN: &str = "https://bagroom.cache";
/// The platform's limit on one cached object (Cloudflare Cache API: 512 MB).
pub const PLATFORM_MAX_OBJECT_BYTES: u64 = 512 * 1024 * 1024;

/// One path segment of a cache key. `uri_encode` leaves only `A-Za-z0-9-_.~` literal, so
/// the only segments a URL parser would rewrite are the dot segments `.` and `..`
/// (WHATWG URL collapses them). Those get a `!` prefix, which can never start an encoded
/// segment otherwise (`!` is always `%21`), so the mapping stays one-to-one.
fn key_segment(s: &str) -> String {
    let e = uri_encode(s, false);
    if e == "." || e == ".." {
        format!("!{e}")
    } else {
        e
    }
}

/// Cache key URL for an object: never the credential.
///
/// `https://bagroom.cache/<bucket>/<key>?v=<versionId>&response-content-type=...`
/// Key segments keep their `/` (so purge-by-prefix works) and are otherwise fully
/// percent-encoded. Only `response-*` overrides are taken from `overrides` (anything else,
/// e.g. a signature, is dropped), sorted by name so the key is canonical.
/// May the edge cache hold `key` at all? Not when it has an empty path segment (`a//b`, `/a`,
/// `a/`... but a trailing `/` alone is fine): stores disagree about such keys (SeaweedFS stores
/// `a//b` as `a/b`, S3 keeps them apart), so one object could sit in the cache under several
/// names and a write through one name could not purge the others.
/// Backslashes likewise (SeaweedFS stores `a\b` as `a/b`).
pub fn cacheable_key(key: &str) -> bool {
    !key.starts_with('/') && !crate::text::contains(key, "//") && !key.contains('\\')
}

/// Does the request carry SSE-C headers (a customer key)? Such reads never use the cache: the
/// cache could answer without the store checking the key.
pub fn sse_c_request(client: &Headers) -> bool {
    client.iter().any(|(k, _)| {
        k.eq_ignore_ascii_case("x-amz-server-side-encryption-customer-algorithm")
            || k.eq_ignore_ascii_case("x-amz-server-side-encryption-customer-key")
    })
}

/// May the edge cache hold a read of this version? Not the `null` version: it is the one an
/// unversioned write replaces, so it is as mutable as the key itself.
pub fn cacheable_version(version_id: Option<&str>) -> bool {
    version_id != Some("null")
}

/// The names a write to `key` purges: the key itself and, if it has empty segments, the name a
/// collapsing store gives it (`a//b` → `a/b`), which may be cached.
pub fn purge_keys(key: &str) -> Vec<String> {
    let mut collapsed = String::with_capacity(key.len());
    for c in key.replace('\\', "/").trim_start_matches('/').chars() {
        if !(c == '/' && collapsed.ends_with('/')) {
            collapsed.push(c);
        }
    }
    if collapsed == key {
        vec![key.to_string()]
    } else {
        vec![key.to_string(), collapsed]
    }
}

/// The names of [`purge_keys`] a write to `key` must drop from the edge cache under `cfg`: those
/// a read may take from the cache (a key whose rule is `bypass`, or any key with the cache off,
/// is never looked up, so its purge would be a wasted Cache API call on every write). A copy
/// stored under an earlier configuration that cached the key is not purged while it is not
/// cached, and is looked up again once it is (README, "Edge cache").
pub fn purge_names(cfg: &CacheConfig, key: &str) -> Vec<String> {
    let mut names = purge_keys(key);
    names.retain(|n| cacheable_key(n) && cfg.consistency_for(n) != Consistency::Bypass);
    names
}

pub fn cache_key(bucket: &str, key: &str, version_id: Option<&str>, overrides: &[(String, String)]) -> String {
    let mut url = String::with_capacity(CACHE_KEY_ORIGIN.len() + bucket.len() + key.len() * 3 + 16);
    url.push_str(CACHE_KEY_ORIGIN);
    url.push('/');
    url.push_str(&key_segment(bucket));
    url.push('/');
    let segs: Vec<String> = key.split('/').map(key_segment).collect();
    url.push_str(&segs.join("/"));
    let mut q: Vec<(String, String)> = Vec::new();
    if let Some(v) = version_id.filter(|v| !v.is_empty()) {
        q.push(("v".into(), v.to_string()));
    }
    let mut ov: Vec<(String, String)> = overrides
        .iter()
        .filter(|(k, _)| k.len() > 9 && k.get(..9).is_some_and(|p| p.eq_ignore_ascii_case("response-")))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    crate::sort::sort(&mut ov);
    ov.dedup();
    q.extend(ov);
    for (i, (k, v)) in q.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&uri_encode(k, false));
        url.push('=');
        url.push_str(&uri_encode(v, false));
    }
    url
}

/// How the edge cache answers for a key (`BAGROOM_CACHE_MODE`, `BAGROOM_CACHE_RULES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    /// A cached copy is served only after the store confirmed it with a conditional request
    /// (`If-None-Match: <cached ETag>` → 304): read-after-write holds in every data centre, and
    /// the body's egress is saved. The entry is kept `BAGROOM_CACHE_TTL` seconds.
    Revalidate,
    /// A cached copy is served for this many seconds without asking the store: for keys that
    /// are never rewritten (versioned or content-addressed names). Writes through the gateway
    /// purge the copy in their own data centre only: elsewhere it lives out its TTL.
    Ttl(u64),
    /// Never cached.
    Bypass,
}

impl Consistency {
    /// The name `/healthz` and the README use.
    pub fn name(&self) -> &'static str {
        match self {
            Consistency::Revalidate => "revalidate",
            Consistency::Ttl(_) => "ttl",
            Consistency::Bypass => "bypass",
        }
    }
}

/// The mode of keys no rule names (`BAGROOM_CACHE_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultMode {
    Revalidate,
    Ttl,
}

impl DefaultMode {
    pub fn parse(s: &str) -> Result<DefaultMode, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "revalidate" => Ok(DefaultMode::Revalidate),
            "ttl" => Ok(DefaultMode::Ttl),
            other => Err(format!("`{other}` is not a cache mode: revalidate or ttl")),
        }
    }
}

/// One item of `BAGROOM_CACHE_RULES`: keys starting with `prefix` are cached as `consistency` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRule {
    pub prefix: String,
    pub consistency: Consistency,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    pub enabled: bool,
    /// `BAGROOM_CACHE_MODE`: the consistency of keys no rule names.
    pub mode: DefaultMode,
    /// `BAGROOM_CACHE_TTL`: how long a `revalidate` entry is kept, and the TTL of keys no rule
    /// names in `ttl` mode. 0 caches nothing but `ttl=<n>` rules.
    pub default_ttl: u64,
    /// Longest prefix wins.
    pub rules: Vec<CacheRule>,
    /// Capped at [`PLATFORM_MAX_OBJECT_BYTES`] (see [`CacheConfig::max_bytes`]).
    pub max_object_bytes: u64,
    /// `BAGROOM_CACHE_STALE_IF_ERROR`: when the store cannot confirm a `revalidate` hit (it is
    /// unreachable, too slow, or answers 5xx), a cached copy fetched at most this many seconds
    /// ago is served (`STALE`); 0 (the default) answers the error instead.
    pub stale_if_error: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: true,
            mode: DefaultMode::Revalidate,
            default_ttl: 3600,
            rules: Vec::new(),
            max_object_bytes: PLATFORM_MAX_OBJECT_BYTES,
            stale_if_error: 0,
        }
    }
}

fn seconds(item: &str, s: &str) -> Result<u64, String> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("cache rule `{item}`: `{s}` is not a number of seconds"));
    }
    s.parse::<u64>().map_err(|_| format!("cache rule `{item}`: ttl too large"))
}

fn ttl_or_bypass(n: u64) -> Consistency {
    if n == 0 {
        Consistency::Bypass
    } else {
        Consistency::Ttl(n)
    }
}

impl CacheConfig {
    /// Parse `"images/=86400,tmp/=0,docs/=revalidate,v/=ttl=31536000,scratch/=bypass"`. Each item
    /// is `prefix=value`, the value one of `revalidate`, `ttl=<seconds>`, `bypass`, or a bare
    /// number of seconds (the syntax before modes: `ttl=<n>`, `0` = bypass). Whitespace around
    /// items is ignored; the value is what follows the last `=` (or the last two, for `ttl=<n>`),
    /// so a prefix may contain `=`; an empty prefix matches all.
    pub fn parse_rules(spec: &str) -> Result<Vec<CacheRule>, String> {
        let mut rules = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (left, value) = item.rsplit_once('=').ok_or_else(|| format!("cache rule `{item}`: expected prefix=mode"))?;
            let value = value.trim();
            let (prefix, consistency) = match value.to_ascii_lowercase().as_str() {
                "revalidate" => (left, Consistency::Revalidate),
                "bypass" => (left, Consistency::Bypass),
                _ => {
                    let n = seconds(item, value)?;
                    match left.rsplit_once('=').map(|(p, w)| (p, w.trim().to_ascii_lowercase())) {
                        Some((prefix, w)) if w == "ttl" => (prefix, ttl_or_bypass(n)),
                        Some((_, w)) if w == "revalidate" || w == "bypass" => {
                            return Err(format!(
                                "cache rule `{item}`: `{w}` takes no seconds (revalidate entries are kept BAGROOM_CACHE_TTL)"
                            ))
                        }
                        _ => (left, ttl_or_bypass(n)),
                    }
                }
            };
            rules.push(CacheRule { prefix: prefix.trim().to_string(), consistency });
        }
        Ok(rules)
    }

    /// How `key` is cached: the longest matching rule's consistency, else the default mode's;
    /// `Bypass` when caching is off (and for `revalidate` with a `BAGROOM_CACHE_TTL` of 0).
    pub fn consistency_for(&self, key: &str) -> Consistency {
        if !self.enabled {
            return Consistency::Bypass;
        }
        let rule = self.rules.iter().filter(|r| key.starts_with(r.prefix.as_str())).max_by_key(|r| r.prefix.len());
        self.in_force(rule.map_or(self.default_consistency(), |r| r.consistency))
    }

    /// The consistency of keys no rule names (`BAGROOM_CACHE_MODE`).
    fn default_consistency(&self) -> Consistency {
        match self.mode {
            DefaultMode::Revalidate => Consistency::Revalidate,
            DefaultMode::Ttl => ttl_or_bypass(self.default_ttl),
        }
    }

    /// A `revalidate` entry lives `BAGROOM_CACHE_TTL` seconds: with 0, nothing is kept.
    fn in_force(&self, c: Consistency) -> Consistency {
        match c {
            Consistency::Revalidate if self.default_ttl == 0 => Consistency::Bypass,
            c => c,
        }
    }

    /// How long the edge keeps an entry for `key`: the TTL in `ttl` mode, `BAGROOM_CACHE_TTL`
    /// in `revalidate` mode; 0 when the key is not cached.
    pub fn ttl_for(&self, key: &str) -> u64 {
        match self.consistency_for(key) {
            Consistency::Revalidate => self.default_ttl,
            Consistency::Ttl(n) => n,
            Consistency::Bypass => 0,
        }
    }

    /// The effective size limit: `max_object_bytes` capped at the platform limit.
    pub fn max_bytes(&self) -> u64 {
        self.max_object_bytes.min(PLATFORM_MAX_OBJECT_BYTES)
    }

    /// The rules in force, for `/healthz`: the default mode and TTL, each rule, the
    /// stale-if-error window and the size limit.
    pub fn summary(&self) -> crate::json::Value {
        let rule = |c: &Consistency| match c {
            Consistency::Ttl(n) => crate::json!({"mode": "ttl", "ttl": n}),
            Consistency::Revalidate => crate::json!({"mode": "revalidate", "ttl": self.default_ttl}),
            Consistency::Bypass => crate::json!({"mode": "bypass"}),
        };
        let rules: Vec<crate::json::Value> = self
            .rules
            .iter()
            .map(|r| {
                let mut v = rule(&self.in_force(r.consistency));
                v["prefix"] = crate::json::Value::from(r.prefix.as_str());
                v
            })
            .collect();
        crate::json!({
            "enabled": self.enabled,
            "default": rule(&self.in_force(self.default_consistency())),
            "rules": rules,
            "stale_if_error": self.stale_if_error,
            "max_object_bytes": self.max_bytes(),
        })
    }
}

/// The Cache API stores nothing for a Worker reached on `*.workers.dev` (nor in the dashboard
/// preview): only a custom domain or a route on a zone caches. Given the request's Host, the
/// reason the edge cache is inactive there, for `/healthz`.
pub fn inactive_cache_reason(host: Option<&str>) -> Option<&'static str> {
    let host = host?.trim().trim_end_matches('.').to_ascii_lowercase();
    let name = host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host.as_str(), |(h, _)| h);
    (name == "workers.dev" || name.ends_with(".workers.dev"))
        .then_some("the Cache API does nothing on *.workers.dev: serve the worker on a custom domain or route to cache")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storable {
    Yes {
        ttl: u64,
    },
    /// Reason, shown in a debug header.
    No(&'static str),
}

/// Cache-Control directive names (lower-case), ignoring arguments (`private="x"` → `private`).
fn cache_directives(h: &Headers) -> Vec<String> {
    h.get_all("cache-control")
        .flat_map(|v| v.split(','))
        .map(|d| d.split('=').next().unwrap_or("").trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect()
}

/// May this store response be put in the edge cache? Only full 200s with a known
/// Content-Length within the limit, not `private`/`no-store`, no Set-Cookie, no `Vary: *`,
/// and a TTL > 0 for the key.
pub fn storable(cfg: &CacheConfig, key: &str, status: u16, store_headers: &Headers) -> Storable {
    if !cfg.enabled {
        return Storable::No("disabled");
    }
    if status == 206 || store_headers.get("content-range").is_some() {
        return Storable::No("partial");
    }
    if status != 200 {
        return Storable::No("status");
    }
    let Some(len) = store_headers.get("content-length").map(str::trim).filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
    else {
        return Storable::No("no-length");
    };
    match len.parse::<u64>() {
        Ok(n) if n <= cfg.max_bytes() => {}
        _ => return Storable::No("too-large"),
    }
    let dirs = cache_directives(store_headers);
    if dirs.iter().any(|d| d == "no-store") {
        return Storable::No("no-store");
    }
    if dirs.iter().any(|d| d == "private") {
        return Storable::No("private");
    }
    // An encoded object (Content-Encoding: gzip, ...) is served byte-for-byte with the encoding
    // left to the client; the edge cache may hand it back decoded, so it is not cached.
    if store_headers.get("content-encoding").is_some_and(|e| !e.trim().is_empty() && !e.trim().eq_ignore_ascii_case("identity")) {
        return Storable::No("encoded");
    }
    if store_headers.get("set-cookie").is_some() {
        return Storable::No("set-cookie");
    }
    // An SSE-C object was decrypted with the caller's key: a copy in the cache would hand the
    // plaintext to callers without it.
    if store_headers.get("x-amz-server-side-encryption-customer-algorithm").is_some() {
        return Storable::No("sse-c");
    }
    if store_headers.get_all("vary").any(|v| v.split(',').any(|t| t.trim() == "*")) {
        return Storable::No("vary");
    }
    // a copy without an ETag could never be confirmed by the store
    if cfg.consistency_for(key) == Consistency::Revalidate && store_headers.get("etag").is_none_or(|e| e.trim().is_empty()) {
        return Storable::No("no-etag");
    }
    match cfg.ttl_for(key) {
        0 => Storable::No("ttl-zero"),
        ttl => Storable::Yes { ttl },
    }
}

/// `bytes first-last/complete-length` (RFC 9110 §14.4) → complete-length, only when
/// well-formed (digits, `first <= last < complete-length`); `*` lengths and
/// unsatisfied-range forms are `None`.
fn complete_length(content_range: &str) -> Option<u64> {
    let digits = |s: &str| -> Option<u64> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let rest = content_range.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let (first, last, total) = (digits(first)?, digits(last)?, digits(total)?);
    (first <= last && last < total).then_some(total)
}

/// After a ranged miss (the store answered 206 with `partial_headers`), should the shell
/// fetch the whole object in the background to fill the cache? Only when the object, as
/// a 200 of its complete length (from `Content-Range`), would be [`storable`]: otherwise
/// every `Range: bytes=0-0` would pull the whole object from the store for nothing
/// (private, no-store, encoded, too large, Set-Cookie, `Vary: *`, TTL 0, no complete
/// length, ...). Pass the store's own response headers, not the client's.
pub fn fill_after_range(cfg: &CacheConfig, key: &str, partial_headers: &Headers) -> bool {
    let mut cr = partial_headers.get_all("content-range");
    let (Some(cr), None) = (cr.next(), cr.next()) else { return false };
    let Some(total) = complete_length(cr) else { return false };
    let mut whole = Headers(
        partial_headers
            .0
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("content-range") && !k.eq_ignore_ascii_case("content-length"))
            .cloned()
            .collect(),
    );
    whole.insert("content-length", total.to_string());
    matches!(storable(cfg, key, 200, &whole), Storable::Yes { .. })
}

/// Object metadata headers (exact names, lower-case) kept on cached copies and passed to clients.
const METADATA: &[&str] = &[
    "content-type",
    "content-length",
    "etag",
    "last-modified",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
    "x-amz-version-id",
    "x-amz-storage-class",
    "x-amz-tagging-count",
    "x-amz-delete-marker",
    "x-amz-expiration",
    "x-amz-restore",
    "x-amz-mp-parts-count",
    "x-amz-missing-meta",
    "x-amz-website-redirect-location",
    "x-amz-replication-status",
];
/// Metadata header prefixes.
const METADATA_PREFIXES: &[&str] = &["x-amz-meta-", "x-amz-server-side-encryption", "x-amz-checksum-", "x-amz-object-lock-"];

fn is_metadata(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    METADATA.contains(&n.as_str()) || METADATA_PREFIXES.iter().any(|p| n.starts_with(p))
}

/// The headers to put on the cached copy: the store's object metadata (plus
/// `Accept-Ranges`), with the edge `Cache-Control: public, max-age=<ttl>, no-transform`
/// and the store's own Cache-Control saved in [`ORIGIN_CACHE_CONTROL_HEADER`].
pub fn cached_headers(store_headers: &Headers, ttl: u64) -> Headers {
    let mut out = Headers::new();
    for (k, v) in store_headers.iter() {
        if k.eq_ignore_ascii_case("cache-control") {
            out.append(ORIGIN_CACHE_CONTROL_HEADER, v);
        } else if is_metadata(k) || k.eq_ignore_ascii_case("accept-ranges") {
            out.append(k, v);
        }
    }
    out.insert("cache-control", format!("public, max-age={ttl}, no-transform"));
    out
}

/// [`cached_headers`] stamped with the time the copy was fetched from the store
/// ([`STORED_AT_HEADER`], for `BAGROOM_CACHE_STALE_IF_ERROR`): what the shell puts in the cache.
pub fn entry_headers(store_headers: &Headers, ttl: u64, now: u64) -> Headers {
    let mut h = cached_headers(store_headers, ttl);
    h.insert(STORED_AT_HEADER, now.to_string());
    h
}

/// Undo [`cached_headers`] for the client: the edge Cache-Control goes, the store's own
/// comes back, and no `x-bagroom-*` private header leaks. (The shell adds
/// [`CACHE_STATUS_HEADER`] afterwards.)
pub fn client_headers(cached: &Headers) -> Headers {
    let mut out = Headers::new();
    for (k, v) in cached.iter() {
        if k.eq_ignore_ascii_case(ORIGIN_CACHE_CONTROL_HEADER) {
            out.append("cache-control", v);
        } else if k.eq_ignore_ascii_case("cache-control") || k.get(..10).is_some_and(|p| p.eq_ignore_ascii_case("x-bagroom-")) {
            continue;
        } else {
            out.append(k, v);
        }
    }
    out
}

/// Which store response headers pass to clients: object metadata plus `Accept-Ranges`
/// and `Content-Range`. Hop-by-hop and store-internal headers (Server, x-amz-request-id,
/// x-amz-id-2, Connection, Transfer-Encoding, Set-Cookie, Date, anything SeaweedFS-specific)
/// are dropped: it is an allow-list.
pub fn passthrough_response_headers(store_headers: &Headers) -> Headers {
    Headers(
        store_headers
            .iter()
            .filter(|(k, _)| is_metadata(k) || k.eq_ignore_ascii_case("accept-ranges") || k.eq_ignore_ascii_case("content-range"))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect(),
    )
}

/// Whether a store answer (200 or 206, after the HEAD range fix-up) goes into the edge cache.
/// Not with no TTL for the key or for a HEAD (`bypass`), nor a 206 (`partial`: a ranged miss
/// may fill the cache with the whole object instead, see [`fill_after_range`]); a 200 as
/// [`storable`] says.
pub fn miss_decision(cfg: &CacheConfig, key: &str, ttl: u64, head: bool, status: u16, store_headers: &Headers) -> Storable {
    if ttl == 0 || head {
        Storable::No("bypass")
    } else if status == 200 {
        storable(cfg, key, status, store_headers)
    } else {
        Storable::No("partial")
    }
}

/// The debug headers on an answer the edge cache did not serve: [`CACHE_STATUS_HEADER`] and,
/// when it was not stored for a reason worth showing, [`CACHE_REASON_HEADER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLabel {
    /// `MISS` or `BYPASS`.
    pub status: &'static str,
    pub reason: Option<&'static str>,
}

/// The label of a store answer with `status` (200 or 206) given the key's `ttl` and the
/// [`miss_decision`]: `BYPASS` when the key is not cached at all; `MISS` when the answer is
/// stored, or is a range of a cacheable object; otherwise `BYPASS` with the reason (none for
/// the `bypass` and `partial` decisions, which say nothing about the object).
pub fn miss_label(ttl: u64, decision: &Storable, status: u16) -> CacheLabel {
    let label = match (decision, ttl) {
        (_, 0) => "BYPASS",
        (Storable::Yes { .. }, _) => "MISS",
        (Storable::No(_), _) if status == 206 => "MISS",
        (Storable::No(_), _) => "BYPASS",
    };
    let reason = match decision {
        Storable::No(r) if *r != "bypass" && *r != "partial" => Some(*r),
        _ => None,
    };
    CacheLabel { status: label, reason }
}

/// The label of a 304 from the store (the client's copy is current): `MISS` for a cached key,
/// else `BYPASS`.
pub fn not_modified_label(ttl: u64) -> &'static str {
    if ttl > 0 {
        "MISS"
    } else {
        "BYPASS"
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn store_answers_are_labelled_as_before() {
        let c = CacheConfig::default();
        let ok = Headers::from_pairs([("content-length", "5"), ("etag", "\"e\"")]);
        let private = Headers::from_pairs([("content-length", "5"), ("etag", "\"e\""), ("cache-control", "private")]);
        let label = |ttl: u64, head: bool, status: u16, h: &Headers| miss_label(ttl, &miss_decision(&c, "k", ttl, head, status, h), status);
        let l = |status, reason| CacheLabel { status, reason };
        // a key the cache never holds
        assert_eq!(label(0, false, 200, &ok), l("BYPASS", None));
        assert_eq!(label(0, false, 206, &ok), l("BYPASS", None));
        // stored
        assert_eq!(miss_decision(&c, "k", 60, false, 200, &ok), storable(&c, "k", 200, &ok));
        assert_eq!(label(60, false, 200, &ok), l("MISS", None));
        // not storable: the reason is shown
        assert_eq!(label(60, false, 200, &private), l("BYPASS", Some("private")));
        // a range of a cacheable object; a HEAD
        assert_eq!(miss_decision(&c, "k", 60, false, 206, &ok), Storable::No("partial"));
        assert_eq!(label(60, false, 206, &ok), l("MISS", None));
        assert_eq!(miss_decision(&c, "k", 60, true, 200, &ok), Storable::No("bypass"));
        assert_eq!(label(60, true, 200, &ok), l("BYPASS", None));
        assert_eq!(label(60, true, 206, &ok), l("MISS", None));
        // the cache switched off
        let off = CacheConfig { enabled: false, ..CacheConfig::default() };
        assert_eq!(miss_label(60, &miss_decision(&off, "k", 60, false, 200, &ok), 200), l("BYPASS", Some("disabled")));
    }

    #[test]
    fn not_modified() {
        assert_eq!(not_modified_label(60), "MISS");
        assert_eq!(not_modified_label(0), "BYPASS");
    }
}

#[cfg(test)]
mod alias_tests {
    use super::*;

    #[test]
    fn sse_c_objects_and_requests_never_use_the_cache() {
        let cfg = CacheConfig { default_ttl: 60, max_object_bytes: 1 << 20, ..CacheConfig::default() };
        let h = Headers::from_pairs([("content-length", "3"), ("x-amz-server-side-encryption-customer-algorithm", "AES256")]);
        assert_eq!(storable(&cfg, "k", 200, &h), Storable::No("sse-c"));
        assert!(sse_c_request(&Headers::from_pairs([("X-Amz-Server-Side-Encryption-Customer-Key", "k")])));
        assert!(!sse_c_request(&Headers::from_pairs([("range", "bytes=0-1")])));
    }

    #[test]
    fn keys_a_store_may_collapse_are_never_cached_and_writes_purge_the_collapsed_name() {
        assert!(cacheable_key("a/b") && cacheable_key("a/b/") && cacheable_key("a"));
        assert!(!cacheable_key("a//b") && !cacheable_key("/a") && !cacheable_key("a///"));
        assert_eq!(purge_keys("a/b"), vec!["a/b"]);
        assert_eq!(purge_keys("cp//k"), vec!["cp//k", "cp/k"]);
        assert_eq!(purge_keys("//cp///k"), vec!["//cp///k", "cp/k"]);
        assert!(!cacheable_key("cp\\k"));
        assert_eq!(purge_keys("cp\\k"), vec!["cp\\k", "cp/k"]);
        assert!(!cacheable_version(Some("null")) && cacheable_version(Some("3HL4kqtJ")) && cacheable_version(None));
    }

    #[test]
    fn writes_purge_only_names_a_read_may_take_from_the_cache() {
        let on = CacheConfig { default_ttl: 60, ..CacheConfig::default() };
        assert_eq!(purge_names(&on, "a/b"), vec!["a/b"]);
        // the name as sent is never cached; the collapsed one may be
        assert_eq!(purge_names(&on, "cp//k"), vec!["cp/k"]);
        let off = CacheConfig { enabled: false, ..on.clone() };
        assert!(purge_names(&off, "a/b").is_empty() && purge_names(&off, "cp//k").is_empty());
        let rules = CacheConfig { rules: CacheConfig::parse_rules("tmp/=bypass,assets/=ttl=600").unwrap(), ..on.clone() };
        assert!(purge_names(&rules, "tmp/x").is_empty());
        assert_eq!(purge_names(&rules, "assets/x"), vec!["assets/x"]);
        assert_eq!(purge_names(&rules, "other"), vec!["other"]);
        // revalidate entries live BAGROOM_CACHE_TTL: with 0 nothing is kept, nothing to purge
        let zero = CacheConfig { default_ttl: 0, ..on };
        assert!(purge_names(&zero, "a/b").is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Headers {
        Headers::from_pairs(pairs.iter().map(|(k, v)| (*k, v.to_string())))
    }

    #[test]
    fn keys_are_canonical_and_safe() {
        assert_eq!(cache_key("bkt", "a b/c+d.txt", None, &[]), "https://bagroom.cache/bkt/a%20b/c%2Bd.txt");
        assert_eq!(cache_key("bkt", "k", Some("3HL4kqtJ"), &[]), "https://bagroom.cache/bkt/k?v=3HL4kqtJ");
        let ov = vec![
            ("response-content-type".to_string(), "text/plain".to_string()),
            ("X-Amz-Signature".to_string(), "secret".to_string()),
            ("Response-Content-Disposition".to_string(), "attachment; filename=\"a&b\"".to_string()),
        ];
        let k = cache_key("bkt", "k", Some(""), &ov);
        assert_eq!(k, "https://bagroom.cache/bkt/k?response-content-disposition=attachment%3B%20filename%3D%22a%26b%22&response-content-type=text%2Fplain");
        assert!(!k.contains("secret"));
        // order of overrides does not matter
        let mut rev = ov.clone();
        rev.reverse();
        assert_eq!(cache_key("bkt", "k", None, &rev), k);
        // dot segments cannot collapse into other keys
        assert_eq!(cache_key("b", "a/../c", None, &[]), "https://bagroom.cache/b/a/!../c");
        assert_ne!(cache_key("b", "a/../c", None, &[]), cache_key("b", "c", None, &[]));
        assert_ne!(cache_key("b", ".", None, &[]), cache_key("b", "", None, &[]));
        assert_ne!(cache_key("b", "!..", None, &[]), cache_key("b", "..", None, &[]));
        assert_eq!(cache_key("b", "é?#", None, &[]), "https://bagroom.cache/b/%C3%A9%3F%23");
    }

    #[test]
    fn rules_and_ttl() {
        let rules = CacheConfig::parse_rules(" images/=86400, tmp/=0,images/raw/=60,,a=b=5").unwrap();
        assert_eq!(rules.len(), 4);
        assert_eq!(rules[3], CacheRule { prefix: "a=b".into(), consistency: Consistency::Ttl(5) });
        let cfg = CacheConfig { rules, ..CacheConfig::default() };
        assert_eq!(cfg.ttl_for("images/x.png"), 86400);
        assert_eq!(cfg.ttl_for("images/raw/x.png"), 60);
        assert_eq!(cfg.ttl_for("tmp/x"), 0);
        assert_eq!(cfg.ttl_for("other"), 3600);
        // a bare number is today's syntax: ttl mode
        assert_eq!(cfg.consistency_for("images/x.png"), Consistency::Ttl(86400));
        assert_eq!(cfg.consistency_for("tmp/x"), Consistency::Bypass);
        // no rule: the default mode, revalidate
        assert_eq!(cfg.consistency_for("other"), Consistency::Revalidate);
        assert!(CacheConfig::parse_rules("images/").is_err());
        assert!(CacheConfig::parse_rules("images/=-1").is_err());
        assert!(CacheConfig::parse_rules("images/=1h").is_err());
        assert!(CacheConfig::parse_rules("x=99999999999999999999999").is_err());
        assert_eq!(CacheConfig::parse_rules("").unwrap(), vec![]);
        let off = CacheConfig { enabled: false, ..CacheConfig::default() };
        assert_eq!(off.ttl_for("x"), 0);
        assert_eq!(off.consistency_for("x"), Consistency::Bypass);
        let big = CacheConfig { max_object_bytes: u64::MAX, ..CacheConfig::default() };
        assert_eq!(big.max_bytes(), PLATFORM_MAX_OBJECT_BYTES);
    }

    #[test]
    fn rule_modes() {
        let r = |s: &str| CacheConfig::parse_rules(s).unwrap();
        let one = |prefix: &str, consistency| vec![CacheRule { prefix: prefix.into(), consistency }];
        assert_eq!(r("docs/=revalidate"), one("docs/", Consistency::Revalidate));
        assert_eq!(r("docs/ = Revalidate "), one("docs/", Consistency::Revalidate));
        assert_eq!(r("v/=ttl=31536000"), one("v/", Consistency::Ttl(31_536_000)));
        assert_eq!(r(" v/ = ttl = 60 "), one("v/", Consistency::Ttl(60)));
        assert_eq!(r("v/=TTL=60"), one("v/", Consistency::Ttl(60)));
        assert_eq!(r("v/=ttl=0"), one("v/", Consistency::Bypass));
        assert_eq!(r("s/=bypass"), one("s/", Consistency::Bypass));
        assert_eq!(r("s/=0"), one("s/", Consistency::Bypass));
        // an empty prefix matches every key
        assert_eq!(r("=ttl=60"), one("", Consistency::Ttl(60)));
        assert_eq!(r("=revalidate"), one("", Consistency::Revalidate));
        // a prefix may still contain `=`, and even end in `=ttl` with the old bare-number form
        assert_eq!(r("a=b=revalidate"), one("a=b", Consistency::Revalidate));
        assert_eq!(r("ttl=5"), one("ttl", Consistency::Ttl(5)));
        for bad in ["v/=ttl=", "v/=ttl=x", "v/=ttl", "v/=sometimes", "v/=revalidate=60", "v/=ttl=-1"] {
            assert!(CacheConfig::parse_rules(bad).is_err(), "{bad}");
        }
        assert_eq!(DefaultMode::parse(" TTL "), Ok(DefaultMode::Ttl));
        assert_eq!(DefaultMode::parse("revalidate"), Ok(DefaultMode::Revalidate));
        assert!(DefaultMode::parse("always").is_err());
    }

    #[test]
    fn the_default_mode_and_its_ttl() {
        let rules = CacheConfig::parse_rules("v/=ttl=600,docs/=revalidate,tmp/=bypass").unwrap();
        let rv = CacheConfig { rules: rules.clone(), ..CacheConfig::default() };
        assert_eq!(rv.consistency_for("a"), Consistency::Revalidate);
        assert_eq!(rv.ttl_for("a"), 3600, "a revalidate entry is kept BAGROOM_CACHE_TTL");
        assert_eq!(rv.consistency_for("v/a"), Consistency::Ttl(600));
        let ttl = CacheConfig { mode: DefaultMode::Ttl, default_ttl: 120, rules: rules.clone(), ..CacheConfig::default() };
        assert_eq!(ttl.consistency_for("a"), Consistency::Ttl(120));
        assert_eq!(ttl.consistency_for("docs/a"), Consistency::Revalidate);
        assert_eq!(ttl.ttl_for("docs/a"), 120);
        assert_eq!(ttl.consistency_for("tmp/a"), Consistency::Bypass);
        // BAGROOM_CACHE_TTL=0 keeps nothing but ttl=<n> rules
        let zero = CacheConfig { default_ttl: 0, rules, ..CacheConfig::default() };
        assert_eq!(zero.consistency_for("a"), Consistency::Bypass);
        assert_eq!(zero.consistency_for("docs/a"), Consistency::Bypass);
        assert_eq!(zero.consistency_for("v/a"), Consistency::Ttl(600));
        let zero_ttl = CacheConfig { mode: DefaultMode::Ttl, ..zero };
        assert_eq!(zero_ttl.consistency_for("a"), Consistency::Bypass);
    }

    #[test]
    fn the_summary_healthz_reports() {
        let cfg = CacheConfig {
            rules: CacheConfig::parse_rules("v/=ttl=600,docs/=revalidate,tmp/=0").unwrap(),
            stale_if_error: 30,
            max_object_bytes: 1000,
            ..CacheConfig::default()
        };
        // the same text serde_json wrote
        assert_eq!(
            cfg.summary().to_string(),
            serde_json::json!({
                "enabled": true,
                "default": {"mode": "revalidate", "ttl": 3600},
                "rules": [
                    {"prefix": "v/", "mode": "ttl", "ttl": 600},
                    {"prefix": "docs/", "mode": "revalidate", "ttl": 3600},
                    {"prefix": "tmp/", "mode": "bypass"},
                ],
                "stale_if_error": 30,
                "max_object_bytes": 1000,
            })
            .to_string()
        );
        let ttl = CacheConfig { mode: DefaultMode::Ttl, default_ttl: 0, ..cfg };
        assert_eq!(ttl.summary()["default"], crate::json!({"mode": "bypass"}));
        assert_eq!(ttl.summary()["rules"][1], crate::json!({"prefix": "docs/", "mode": "bypass"}));
        let off = CacheConfig { enabled: false, ..CacheConfig::default() };
        assert_eq!(off.summary()["enabled"], false);
    }

    #[test]
    fn workers_dev_hosts_have_no_cache() {
        assert!(inactive_cache_reason(Some("bagroom.alice.workers.dev")).is_some());
        assert!(inactive_cache_reason(Some("Bagroom.Alice.Workers.Dev.")).is_some());
        assert!(inactive_cache_reason(Some("bagroom.alice.workers.dev:443")).is_some());
        assert!(inactive_cache_reason(Some("files.example.com")).is_none());
        assert!(inactive_cache_reason(Some("notworkers.dev")).is_none());
        assert!(inactive_cache_reason(Some("127.0.0.1:8787")).is_none());
        assert!(inactive_cache_reason(None).is_none());
    }

    #[test]
    fn revalidate_mode_keeps_only_copies_with_an_etag() {
        let cfg = CacheConfig { rules: CacheConfig::parse_rules("v/=ttl=60").unwrap(), ..CacheConfig::default() };
        let no_etag = h(&[("content-length", "1")]);
        assert_eq!(storable(&cfg, "a", 200, &no_etag), Storable::No("no-etag"));
        assert_eq!(storable(&cfg, "a", 200, &h(&[("content-length", "1"), ("etag", "")])), Storable::No("no-etag"));
        assert_eq!(storable(&cfg, "a", 200, &h(&[("content-length", "1"), ("etag", "\"e\"")])), Storable::Yes { ttl: 3600 });
        assert_eq!(storable(&cfg, "v/a", 200, &no_etag), Storable::Yes { ttl: 60 });
        // a ranged miss of a copy without an ETag does not fill the cache either
        assert!(!fill_after_range(&cfg, "a", &h(&[("content-length", "1"), ("content-range", "bytes 0-0/10")])));
        assert!(fill_after_range(&cfg, "a", &h(&[("content-length", "1"), ("content-range", "bytes 0-0/10"), ("etag", "\"e\"")])));
        let e = entry_headers(&h(&[("content-length", "1"), ("etag", "\"e\"")]), 60, 1234);
        assert_eq!(e.get(STORED_AT_HEADER), Some("1234"));
        assert_eq!(client_headers(&e).get(STORED_AT_HEADER), None, "the stamp never reaches a client");
    }

    #[test]
    fn storable_decisions() {
        // (ttl mode: revalidate mode also needs an ETag, see revalidate_mode_keeps_only_copies_with_an_etag)
        let cfg = CacheConfig {
            mode: DefaultMode::Ttl,
            rules: CacheConfig::parse_rules("tmp/=0").unwrap(),
            max_object_bytes: 100,
            ..CacheConfig::default()
        };
        let ok = h(&[("content-length", "10"), ("cache-control", "max-age=60")]);
        assert_eq!(storable(&cfg, "a", 200, &ok), Storable::Yes { ttl: 3600 });
        assert_eq!(storable(&cfg, "tmp/a", 200, &ok), Storable::No("ttl-zero"));
        assert_eq!(storable(&cfg, "a", 206, &ok), Storable::No("partial"));
        assert_eq!(storable(&cfg, "a", 304, &ok), Storable::No("status"));
        assert_eq!(storable(&cfg, "a", 200, &h(&[])), Storable::No("no-length"));
        assert_eq!(storable(&cfg, "a", 200, &h(&[("content-length", "101")])), Storable::No("too-large"));
        assert_eq!(storable(&cfg, "a", 200, &h(&[("content-length", "-1")])), Storable::No("no-length"));
        assert_eq!(
            storable(&cfg, "a", 200, &h(&[("content-length", "1"), ("cache-control", "Private=\"x\", max-age=5")])),
            Storable::No("private")
        );
        assert_eq!(
            storable(&cfg, "a", 200, &h(&[("content-length", "1"), ("cache-control", "max-age=5"), ("cache-control", "no-store")])),
            Storable::No("no-store")
        );
        assert_eq!(storable(&cfg, "a", 200, &h(&[("content-length", "1"), ("set-cookie", "a=b")])), Storable::No("set-cookie"));
        assert_eq!(storable(&cfg, "a", 200, &h(&[("content-length", "1"), ("content-encoding", "gzip")])), Storable::No("encoded"));
        assert!(matches!(storable(&cfg, "a", 200, &h(&[("content-length", "1"), ("content-encoding", "identity")])), Storable::Yes { .. }));
        assert_eq!(storable(&cfg, "a", 200, &h(&[("content-length", "1"), ("vary", "Origin, *")])), Storable::No("vary"));
        assert_eq!(storable(&cfg, "a", 200, &h(&[("content-length", "1"), ("content-range", "bytes 0-0/5")])), Storable::No("partial"));
        let off = CacheConfig { enabled: false, ..cfg };
        assert_eq!(storable(&off, "a", 200, &ok), Storable::No("disabled"));
    }

    #[test]
    fn fill_after_range_judges_the_whole_object() {
        let cfg = CacheConfig { mode: DefaultMode::Ttl, max_object_bytes: 100, ..CacheConfig::default() };
        assert!(fill_after_range(
            &cfg,
            "a",
            &h(&[("content-length", "1"), ("content-range", "bytes 0-0/100"), ("cache-control", "max-age=60")])
        ));
        assert!(!fill_after_range(&cfg, "a", &h(&[("content-length", "1"), ("content-range", "bytes 0-0/101")])));
        assert!(!fill_after_range(
            &cfg,
            "a",
            &h(&[("content-length", "1"), ("content-range", "bytes 0-0/100"), ("cache-control", "private")])
        ));
        assert!(!fill_after_range(
            &cfg,
            "a",
            &h(&[("content-length", "1"), ("content-range", "bytes 0-0/100"), ("content-range", "bytes 0-0/100")])
        ));
        assert_eq!(complete_length(" bytes 5-9/10 "), Some(10));
        assert_eq!(complete_length("bytes 0-9/10"), Some(10));
        assert_eq!(complete_length("bytes 0-10/10"), None);
        assert_eq!(complete_length("bytes 0-1/99999999999999999999999"), None);
    }

    #[test]
    fn cached_and_client_headers_round_trip() {
        let store = h(&[
            ("Server", "SeaweedFS 3.80"),
            ("Content-Type", "image/png"),
            ("Content-Length", "10"),
            ("ETag", "\"abc\""),
            ("Last-Modified", "Fri, 24 May 2013 00:00:00 GMT"),
            ("Cache-Control", "max-age=60"),
            ("x-amz-meta-owner", "alice"),
            ("x-amz-request-id", "r1"),
            ("x-amz-id-2", "id2"),
            ("x-amz-server-side-encryption", "AES256"),
            ("Seaweed-Extra", "x"),
            ("X-Seaweedfs-Foo", "y"),
            ("Connection", "keep-alive"),
            ("Transfer-Encoding", "chunked"),
            ("Set-Cookie", "a=b"),
            ("Accept-Ranges", "bytes"),
            ("x-bagroom-cache", "HIT"),
        ]);
        let c = cached_headers(&store, 300);
        assert_eq!(c.get("cache-control"), Some("public, max-age=300, no-transform"));
        assert_eq!(c.get(ORIGIN_CACHE_CONTROL_HEADER), Some("max-age=60"));
        assert_eq!(c.get("server"), None);
        assert_eq!(c.get("x-amz-request-id"), None);
        assert_eq!(c.get("seaweed-extra"), None);
        assert_eq!(c.get("x-amz-meta-owner"), Some("alice"));
        let back = client_headers(&c);
        assert_eq!(back.get("cache-control"), Some("max-age=60"));
        assert_eq!(back.get(ORIGIN_CACHE_CONTROL_HEADER), None);
        assert_eq!(back.get("etag"), Some("\"abc\""));
        assert_eq!(back.get("x-amz-server-side-encryption"), Some("AES256"));
        // without a store Cache-Control the client sees none
        let c = cached_headers(&h(&[("content-length", "1")]), 5);
        assert_eq!(client_headers(&c).get("cache-control"), None);

        let p = passthrough_response_headers(&store.clone());
        for gone in [
            "server",
            "x-amz-request-id",
            "x-amz-id-2",
            "connection",
            "transfer-encoding",
            "set-cookie",
            "seaweed-extra",
            "x-seaweedfs-foo",
            "x-bagroom-cache",
        ] {
            assert_eq!(p.get(gone), None, "{gone}");
        }
        for kept in ["content-type", "content-length", "etag", "last-modified", "cache-control", "x-amz-meta-owner", "accept-ranges"] {
            assert!(p.get(kept).is_some(), "{kept}");
        }
        let p = passthrough_response_headers(&h(&[("Content-Range", "bytes 0-1/2")]));
        assert_eq!(p.get("content-range"), Some("bytes 0-1/2"));
    }
}
