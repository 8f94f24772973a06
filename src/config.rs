//! Configuration: one typed struct read from the worker's vars and secrets.
//!
//! The reader is a plain function `name -> Option<String>`, so the same code reads
//! `worker::Env` at the edge and a `HashMap` in tests. A missing or malformed setting is
//! an error that names the setting (the shell answers 500 with it), never a panic.
//! Every setting is listed in README.md's configuration table.

use crate::cache::policy::{CacheConfig, DefaultMode, PLATFORM_MAX_OBJECT_BYTES};
use crate::s3::error::S3Error;

pub use crate::sigv4::Credentials as StoreCredentials;

/// How the gateway reaches one store bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// `http` or `https`.
    pub scheme: String,
    /// `host[:port]` of the endpoint (without the bucket for virtual-host addressing).
    pub host: String,
    pub region: String,
    /// The bucket's name in the store.
    pub bucket: String,
    /// Virtual-host addressing (`bucket.host`) instead of path style (`host/bucket`).
    pub virtual_host: bool,
    pub credentials: StoreCredentials,
    /// The store accepts S3 POST policy forms (R2 does not).
    pub post_policy: bool,
    /// Endpoint a browser uses for direct uploads, if it differs (`scheme://host[:port]`).
    pub browser_endpoint: Option<String>,
    /// The store is an R2 bucket reached through this Workers binding (`STORE_R2_BINDING`,
    /// `"r2_binding"` in `BAGROOM_BUCKETS`), not over HTTP: no signing, no subrequest. `scheme`,
    /// `host` and `credentials` then name R2's S3 API if they are set (for presigned browser
    /// uploads only), else `r2://<binding>` with no credentials.
    pub r2_binding: Option<String>,
}

impl StoreConfig {
    /// `scheme://host` as seen by the gateway (`r2://<binding>` for an R2 binding: two buckets
    /// are on the same store when their endpoints are equal).
    pub fn endpoint(&self) -> String {
        match &self.r2_binding {
            Some(b) => format!("r2://{b}"),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// A browser may upload to the store directly (presigned PUT, POST policy, part URLs): the
    /// store is reached over HTTP with credentials (an R2 binding needs R2's S3 API keys too).
    pub fn direct_uploads(&self) -> bool {
        self.scheme != "r2" && !self.credentials.access_key_id.is_empty()
    }
}

/// `name` is a valid Workers binding name (a JavaScript identifier of ASCII letters, digits, `_`).
fn valid_binding_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// R2's S3 API beside a binding, if `endpoint` is set (setting `name`): the endpoint and the
/// credentials under `cred_prefix`, used only to presign browser uploads. Presigned URLs name
/// the store bucket, so it must be named outright (`bucket_named`), never defaulted.
fn r2_s3_api(get: Get, name: &str, endpoint: Option<&str>, bucket_named: bool, cred_prefix: &str) -> Result<Option<S3Api>, S3Error> {
    let Some(e) = endpoint else { return Ok(None) };
    if !bucket_named {
        return Err(S3Error::config(format!(
            "setting {name} beside an R2 binding needs the bucket the binding names (STORE_BUCKET, or store_bucket in BAGROOM_BUCKETS): browser uploads are presigned for it"
        )));
    }
    Ok(Some((parse_endpoint(name, e)?, credentials(get, cred_prefix)?)))
}

/// R2's S3 API: `(scheme, host)` and its credentials.
type S3Api = ((String, String), StoreCredentials);

/// The store of an R2-binding bucket: R2's S3 API (`endpoint` and credentials) if given, for
/// presigned browser uploads; `post_policy` is off (R2 takes no POST policy forms).
fn r2_store(binding: &str, bucket: String, s3_api: Option<S3Api>) -> StoreConfig {
    let (endpoint, credentials) = s3_api.map_or((None, None), |(e, c)| (Some(e), Some(c)));
    let (scheme, host) = endpoint.unwrap_or_else(|| ("r2".into(), binding.to_string()));
    StoreConfig {
        scheme,
        host,
        region: "auto".into(),
        bucket,
        virtual_host: false,
        credentials: credentials.unwrap_or(StoreCredentials {
            access_key_id: String::new(),
            secret_access_key: String::new(),
            session_token: None,
        }),
        post_policy: false,
        browser_endpoint: None,
        r2_binding: Some(binding.to_string()),
    }
}

/// One bucket as the gateway exposes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketConfig {
    /// Public name: the first path segment clients use.
    pub name: String,
    pub store: StoreConfig,
    /// Key prefixes anyone may GET/HEAD without credentials.
    pub public_prefixes: Vec<String>,
    /// Made from the bucket namespace's rule for this request ([`Namespace`]), not configured.
    pub in_namespace: bool,
}

/// Which access keys may use the bucket namespace (`BAGROOM_BUCKET_ADMINS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketAdmins {
    /// `*`: every access key of the gateway.
    All,
    /// These access key ids.
    Ids(Vec<String>),
}

/// The bucket namespace (`BAGROOM_BUCKET_NAMESPACE`): bucket names a client uses that are not
/// configured map to store buckets on the default store by one rule, for the access keys in
/// `admins` (who may create, use, list and delete them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// The store bucket is `store_prefix` + the client's name (empty: the same name).
    pub store_prefix: String,
    pub admins: BucketAdmins,
    /// The default store (`STORE_*`), with no bucket: the template every namespace bucket is
    /// made from, and the target of the store's ListBuckets.
    pub store: BucketConfig,
}

impl Namespace {
    /// The store bucket for a client's bucket name.
    pub fn store_bucket(&self, name: &str) -> String {
        format!("{}{name}", self.store_prefix)
    }

    /// The client's name for a store bucket, if the rule maps one to it.
    pub fn client_name<'s>(&self, store_bucket: &'s str) -> Option<&'s str> {
        store_bucket.strip_prefix(self.store_prefix.as_str()).filter(|n| !n.is_empty())
    }

    /// The bucket a client's `name` stands for under the rule (not checked against the
    /// configured buckets: see `crate::guard::namespace`).
    pub fn bucket(&self, name: &str) -> BucketConfig {
        BucketConfig {
            name: name.to_string(),
            store: StoreConfig { bucket: self.store_bucket(name), ..self.store.store.clone() },
            public_prefixes: Vec::new(),
            in_namespace: true,
        }
    }
}

/// Everything the gateway needs, read from vars and secrets once per isolate (on its first
/// request: see `worker::loaded`).
/// (`Debug` is written by hand: it holds secrets.)
#[derive(Clone)]
pub struct Config {
    /// Region that clients sign for (`BAGROOM_REGION`).
    pub region: String,
    pub buckets: Vec<BucketConfig>,
    /// The gateway's own SigV4 access keys (`BAGROOM_ACCESS_KEYS`, secret).
    pub access_keys: Vec<(String, String)>,
    /// Share-token keys, `kid:secret,...` (`BAGROOM_TOKEN_KEYS`, secret).
    pub token_keys: String,
    /// Revoked token ids, hex (`BAGROOM_REVOKED_TOKENS`).
    pub revoked_tokens: Vec<String>,
    pub allow_sigv2: bool,
    /// Edge cache: on/off, consistency modes and TTLs (`BAGROOM_CACHE`, `BAGROOM_CACHE_MODE`,
    /// `BAGROOM_CACHE_TTL`, `BAGROOM_CACHE_RULES`, `BAGROOM_CACHE_STALE_IF_ERROR`) and the largest
    /// object cached (`BAGROOM_CACHE_MAX_OBJECT_BYTES`).
    pub cache: CacheConfig,
    pub store_timeout_ms: u64,
    pub max_upload_bytes: u64,
    pub presign_ttl_secs: u64,
    pub webhook_url: Option<String>,
    pub multipart_max_age_secs: u64,
    /// Part size the gateway suggests for browser multipart uploads.
    pub multipart_part_size: u64,
    /// Base URL for links the gateway prints (`BAGROOM_PUBLIC_URL`); else the request's origin.
    pub public_url: Option<String>,
    /// The gateway's hostname for virtual-hosted requests (`<bucket>.<this>`), if any.
    pub virtual_host: Option<String>,
    /// A separate origin for downloads (`BAGROOM_CONTENT_ORIGIN`, `scheme://host[:port]`): on it,
    /// active content (HTML, SVG, ...) is served inline (still sandboxed); everywhere else it is
    /// an attachment.
    pub content_origin: Option<String>,
    /// The bucket namespace, if on (`BAGROOM_BUCKET_NAMESPACE`, `BAGROOM_BUCKET_ADMINS`).
    pub namespace: Option<Namespace>,
    /// One JSON access line per request on the console (`BAGROOM_ACCESS_LOG`, default on).
    pub access_log: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.access_keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Config")
            .field("region", &self.region)
            .field("buckets", &self.buckets)
            .field("access_key_ids", &ids)
            .field("token_keys", &"<redacted>")
            .field("namespace", &self.namespace.as_ref().map(|n| (&n.store_prefix, &n.admins)))
            .finish_non_exhaustive()
    }
}

type Get<'a> = &'a dyn Fn(&str) -> Option<String>;

fn opt(get: Get, name: &str) -> Option<String> {
    get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn req(get: Get, name: &str) -> Result<String, S3Error> {
    opt(get, name).ok_or_else(|| S3Error::config(format!("setting {name} is missing")))
}

fn num(get: Get, name: &str, default: u64) -> Result<u64, S3Error> {
    match opt(get, name) {
        None => Ok(default),
        Some(v) => v
            .replace('_', "")
            .parse::<u64>()
            .map_err(|_| S3Error::config(format!("setting {name} must be a non-negative integer, got {v:?}"))),
    }
}

fn flag(get: Get, name: &str, default: bool) -> Result<bool, S3Error> {
    match opt(get, name).map(|v| v.to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(S3Error::config(format!("setting {name} must be true or false, got {v:?}"))),
    }
}

fn list(get: Get, name: &str) -> Vec<String> {
    opt(get, name).map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
}

/// Parse `scheme://host[:port][/]` into (scheme, host).
pub fn parse_endpoint(name: &str, v: &str) -> Result<(String, String), S3Error> {
    let bad = || S3Error::config(format!("setting {name} must look like http(s)://host[:port], got {v:?}"));
    let (scheme, rest) = crate::text::split_once(v, "://").ok_or_else(bad)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(bad());
    }
    let host = rest.trim_end_matches('/');
    if host.is_empty() || host.contains('/') || host.contains('?') || host.contains('@') || host.contains(' ') {
        return Err(bad());
    }
    Ok((scheme, host.to_string()))
}

/// Parse `AKID:SECRET,AKID2:SECRET2`.
pub fn parse_key_pairs(name: &str, v: &str) -> Result<Vec<(String, String)>, S3Error> {
    let mut out = Vec::new();
    for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (id, secret) =
            item.split_once(':').ok_or_else(|| S3Error::config(format!("setting {name} must be ID:SECRET pairs separated by commas")))?;
        if id.is_empty() || secret.is_empty() {
            return Err(S3Error::config(format!("setting {name} has an empty id or secret")));
        }
        out.push((id.trim().to_string(), secret.trim().to_string()));
    }
    Ok(out)
}

/// A bucket name as S3 allows new ones (3 to 63 lowercase letters, digits, `-` and `.`, starting
/// and ending with a letter or digit, no `..`, not an IP address).
pub fn valid_new_bucket_name(b: &str) -> bool {
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (3..=63).contains(&b.len())
        && b.bytes().all(|c| alnum(c) || c == b'-' || c == b'.')
        && b.bytes().next().is_some_and(alnum)
        && b.bytes().last().is_some_and(alnum)
        && !crate::text::contains(b, "..")
        && !crate::text::contains(b, ".-")
        && !crate::text::contains(b, "-.")
        && b.parse::<std::net::Ipv4Addr>().is_err()
}

fn valid_bucket_name(b: &str) -> bool {
    (1..=63).contains(&b.len()) && b.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.' || c == b'_')
}

fn credentials(get: Get, prefix: &str) -> Result<StoreCredentials, S3Error> {
    Ok(StoreCredentials {
        access_key_id: req(get, &format!("{prefix}_ACCESS_KEY_ID"))?,
        secret_access_key: req(get, &format!("{prefix}_SECRET_ACCESS_KEY"))?,
        session_token: opt(get, &format!("{prefix}_SESSION_TOKEN")),
    })
}

fn addressing(name: &str, v: Option<&str>) -> Result<bool, S3Error> {
    match v.map(|s| s.to_ascii_lowercase()).as_deref() {
        None | Some("path") => Ok(false),
        Some("virtual") => Ok(true),
        Some(o) => Err(S3Error::config(format!("setting {name} must be path or virtual, got {o:?}"))),
    }
}

/// One entry of `BAGROOM_BUCKETS` (JSON array), for gateways that front several stores.
struct BucketJson {
    name: String,
    store_bucket: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    addressing: Option<String>,
    /// Prefix of the secrets holding this store's keys: `<P>_ACCESS_KEY_ID`, ... Default `STORE`.
    credentials: Option<String>,
    public_prefixes: Vec<String>,
    post_policy: Option<bool>,
    browser_endpoint: Option<String>,
    /// An R2 binding instead of `endpoint` (and credentials, which then are optional: R2's S3 API
    /// keys, for presigned browser uploads).
    r2_binding: Option<String>,
}

impl crate::json::FromJson for BucketJson {
    fn from_json(v: &crate::json::Value) -> Result<BucketJson, String> {
        const FIELDS: &[&str] = &[
            "name",
            "store_bucket",
            "endpoint",
            "region",
            "addressing",
            "credentials",
            "public_prefixes",
            "post_policy",
            "browser_endpoint",
            "r2_binding",
        ];
        let f = crate::json::Fields::of(v, Some(FIELDS))?;
        Ok(BucketJson {
            name: f.req("name")?,
            store_bucket: f.opt("store_bucket")?,
            endpoint: f.opt("endpoint")?,
            region: f.opt("region")?,
            addressing: f.opt("addressing")?,
            credentials: f.opt("credentials")?,
            public_prefixes: f.or_default("public_prefixes")?,
            post_policy: f.opt("post_policy")?,
            browser_endpoint: f.opt("browser_endpoint")?,
            r2_binding: f.opt("r2_binding")?,
        })
    }
}

impl Config {
    /// Read the configuration. `get` returns a var or secret by name.
    pub fn from_env(get: Get) -> Result<Config, S3Error> {
        // the settings that are numbers and flags first: an error in one leaves nothing built
        // to drop, which keeps this function's code smaller
        let enabled = flag(get, "BAGROOM_CACHE", true)?;
        let default_ttl = num(get, "BAGROOM_CACHE_TTL", 3600)?;
        let max_object_bytes = num(get, "BAGROOM_CACHE_MAX_OBJECT_BYTES", 100 * 1024 * 1024)?.min(PLATFORM_MAX_OBJECT_BYTES);
        let stale_if_error = num(get, "BAGROOM_CACHE_STALE_IF_ERROR", 0)?;
        let part = num(get, "BAGROOM_MULTIPART_PART_SIZE", 8 * 1024 * 1024)?;
        if part < 5 * 1024 * 1024 {
            return Err(S3Error::config("setting BAGROOM_MULTIPART_PART_SIZE must be at least 5 MiB (S3's minimum part size)"));
        }
        let presign_ttl = num(get, "BAGROOM_PRESIGN_TTL", 900)?;
        if presign_ttl == 0 || presign_ttl > 604_800 {
            return Err(S3Error::config("setting BAGROOM_PRESIGN_TTL must be between 1 and 604800 seconds"));
        }
        let allow_sigv2 = flag(get, "BAGROOM_ALLOW_SIGV2", true)?;
        let store_timeout_ms = num(get, "BAGROOM_STORE_TIMEOUT_MS", 30_000)?;
        let max_upload_bytes = num(get, "BAGROOM_MAX_UPLOAD_BYTES", 5 * 1024 * 1024 * 1024)?;
        let multipart_max_age_secs = num(get, "BAGROOM_MULTIPART_MAX_AGE_HOURS", 24)?.saturating_mul(3600);
        let access_log = flag(get, "BAGROOM_ACCESS_LOG", true)?;
        let mode = match opt(get, "BAGROOM_CACHE_MODE") {
            Some(m) => DefaultMode::parse(&m).map_err(|e| S3Error::config(format!("setting BAGROOM_CACHE_MODE: {e}")))?,
            None => DefaultMode::Revalidate,
        };
        let rules = CacheConfig::parse_rules(&opt(get, "BAGROOM_CACHE_RULES").unwrap_or_default())
            .map_err(|e| S3Error::config(format!("setting BAGROOM_CACHE_RULES: {e}")))?;
        let cache = CacheConfig { enabled, mode, default_ttl, rules, max_object_bytes, stale_if_error };
        let public_url = match opt(get, "BAGROOM_PUBLIC_URL") {
            Some(u) => {
                let (s, h) = parse_endpoint("BAGROOM_PUBLIC_URL", &u)?;
                Some(format!("{s}://{h}"))
            }
            None => None,
        };
        let content_origin = match opt(get, "BAGROOM_CONTENT_ORIGIN") {
            Some(u) => {
                let (s, h) = parse_endpoint("BAGROOM_CONTENT_ORIGIN", &u)?;
                Some(format!("{s}://{}", h.to_ascii_lowercase()))
            }
            None => None,
        };
        let webhook_url = match opt(get, "BAGROOM_WEBHOOK_URL") {
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => Some(u),
            Some(u) => return Err(S3Error::config(format!("setting BAGROOM_WEBHOOK_URL must be an http(s) URL, got {u:?}"))),
            None => None,
        };
        let namespace = Self::namespace(get)?;
        let access_keys = match opt(get, "BAGROOM_ACCESS_KEYS") {
            Some(v) => parse_key_pairs("BAGROOM_ACCESS_KEYS", &v)?,
            None => Vec::new(),
        };
        let token_keys = req(get, "BAGROOM_TOKEN_KEYS")?;
        let buckets = match opt(get, "BAGROOM_BUCKETS") {
            Some(json) => Self::buckets_from_json(get, &json)?,
            None => vec![Self::single_bucket(get)?],
        };
        Ok(Config {
            region: opt(get, "BAGROOM_REGION").unwrap_or_else(|| "us-east-1".into()),
            buckets,
            access_keys,
            token_keys,
            revoked_tokens: list(get, "BAGROOM_REVOKED_TOKENS"),
            allow_sigv2,
            cache,
            store_timeout_ms,
            max_upload_bytes,
            presign_ttl_secs: presign_ttl,
            webhook_url,
            multipart_max_age_secs,
            multipart_part_size: part,
            public_url,
            virtual_host: opt(get, "BAGROOM_VIRTUAL_HOST").map(|h| h.trim_matches('.').to_ascii_lowercase()),
            content_origin,
            namespace,
            access_log,
        })
    }

    /// `BAGROOM_BUCKET_NAMESPACE` = `same` | `prefix:<p>`, with `BAGROOM_BUCKET_ADMINS` = `*` |
    /// access key ids; the store is the default one (`STORE_ENDPOINT` and its credentials).
    fn namespace(get: Get) -> Result<Option<Namespace>, S3Error> {
        const NS: &str = "BAGROOM_BUCKET_NAMESPACE";
        let Some(rule) = opt(get, NS) else { return Ok(None) };
        let store_prefix = match rule.as_str() {
            "same" => String::new(),
            r => match r.strip_prefix("prefix:") {
                Some(p) if !p.is_empty() && p.len() < 60 && valid_bucket_name(p) => p.to_string(),
                _ => return Err(S3Error::config(format!("setting {NS} must be same or prefix:<store bucket prefix>, got {rule:?}"))),
            },
        };
        let admins = match opt(get, "BAGROOM_BUCKET_ADMINS").as_deref() {
            None => {
                return Err(S3Error::config(format!(
                    "setting BAGROOM_BUCKET_ADMINS is missing: {NS} needs the access key ids that may use it (or *)"
                )))
            }
            Some("*") => BucketAdmins::All,
            Some(_) => BucketAdmins::Ids(list(get, "BAGROOM_BUCKET_ADMINS")),
        };
        let (scheme, host) = parse_endpoint("STORE_ENDPOINT", &req(get, "STORE_ENDPOINT")?)?;
        let store = BucketConfig {
            name: String::new(),
            store: StoreConfig {
                scheme,
                host,
                region: opt(get, "STORE_REGION").unwrap_or_else(|| "us-east-1".into()),
                bucket: String::new(),
                virtual_host: addressing("STORE_ADDRESSING", opt(get, "STORE_ADDRESSING").as_deref())?,
                credentials: credentials(get, "STORE")?,
                post_policy: flag(get, "STORE_POST_POLICY", true)?,
                browser_endpoint: None,
                r2_binding: None,
            },
            public_prefixes: Vec::new(),
            in_namespace: true,
        };
        Ok(Some(Namespace { store_prefix, admins, store }))
    }

    fn single_bucket(get: Get) -> Result<BucketConfig, S3Error> {
        if let Some(binding) = opt(get, "STORE_R2_BINDING") {
            return Self::single_r2_bucket(get, &binding);
        }
        let endpoint = req(get, "STORE_ENDPOINT")?;
        let (scheme, host) = parse_endpoint("STORE_ENDPOINT", &endpoint)?;
        let store_bucket = req(get, "STORE_BUCKET")?;
        if !valid_bucket_name(&store_bucket) {
            return Err(S3Error::config(format!("setting STORE_BUCKET is not a valid bucket name: {store_bucket:?}")));
        }
        let name = opt(get, "BAGROOM_BUCKET").unwrap_or_else(|| store_bucket.clone());
        if !valid_bucket_name(&name) {
            return Err(S3Error::config(format!("setting BAGROOM_BUCKET is not a valid bucket name: {name:?}")));
        }
        let browser_endpoint = match opt(get, "STORE_BROWSER_ENDPOINT") {
            Some(v) => {
                let (s, h) = parse_endpoint("STORE_BROWSER_ENDPOINT", &v)?;
                Some(format!("{s}://{h}"))
            }
            None => None,
        };
        Ok(BucketConfig {
            name,
            store: StoreConfig {
                scheme,
                host,
                region: opt(get, "STORE_REGION").unwrap_or_else(|| "us-east-1".into()),
                bucket: store_bucket,
                virtual_host: addressing("STORE_ADDRESSING", opt(get, "STORE_ADDRESSING").as_deref())?,
                credentials: credentials(get, "STORE")?,
                post_policy: flag(get, "STORE_POST_POLICY", true)?,
                browser_endpoint,
                r2_binding: None,
            },
            public_prefixes: list(get, "BAGROOM_PUBLIC_PREFIXES"),
            in_namespace: false,
        })
    }

    /// The single bucket on an R2 binding (`STORE_R2_BINDING`): `BAGROOM_BUCKET` names it
    /// (default `STORE_BUCKET`, else the binding's name in lower case); `STORE_ENDPOINT` with
    /// the store credentials, if set, is R2's S3 API for presigned browser uploads.
    fn single_r2_bucket(get: Get, binding: &str) -> Result<BucketConfig, S3Error> {
        if !valid_binding_name(binding) {
            return Err(S3Error::config(format!("setting STORE_R2_BINDING is not a binding name: {binding:?}")));
        }
        let store_bucket = opt(get, "STORE_BUCKET").unwrap_or_else(|| binding.to_ascii_lowercase().replace('_', "-"));
        // the name CopyObject's source is written with (`/<store bucket>/<key>`): a `/` in it
        // would make the copy read another key
        if store_bucket.contains(['/', '?']) {
            return Err(S3Error::config(format!("setting STORE_BUCKET is not a valid bucket name: {store_bucket:?}")));
        }
        let name = opt(get, "BAGROOM_BUCKET").unwrap_or_else(|| store_bucket.clone());
        if !valid_bucket_name(&name) {
            return Err(S3Error::config(format!("setting BAGROOM_BUCKET is not a valid bucket name: {name:?}")));
        }
        let s3_api = r2_s3_api(get, "STORE_ENDPOINT", opt(get, "STORE_ENDPOINT").as_deref(), opt(get, "STORE_BUCKET").is_some(), "STORE")?;
        Ok(BucketConfig {
            name,
            store: r2_store(binding, store_bucket, s3_api),
            public_prefixes: list(get, "BAGROOM_PUBLIC_PREFIXES"),
            in_namespace: false,
        })
    }

    fn buckets_from_json(get: Get, json: &str) -> Result<Vec<BucketConfig>, S3Error> {
        let items: Vec<BucketJson> = crate::json::parse_str(json)
            .map_err(|e| e.to_string())
            .and_then(|v| crate::json::FromJson::from_json(&v))
            .map_err(|e| S3Error::config(format!("setting BAGROOM_BUCKETS is not valid JSON for a bucket list: {e}")))?;
        if items.is_empty() {
            return Err(S3Error::config("setting BAGROOM_BUCKETS lists no bucket"));
        }
        let mut out: Vec<BucketConfig> = Vec::new();
        for b in items {
            if !valid_bucket_name(&b.name) {
                return Err(S3Error::config(format!("setting BAGROOM_BUCKETS: {:?} is not a valid bucket name", b.name)));
            }
            if out.iter().any(|o| o.name == b.name) {
                return Err(S3Error::config(format!("setting BAGROOM_BUCKETS names bucket {:?} twice", b.name)));
            }
            if let Some(binding) = &b.r2_binding {
                if !valid_binding_name(binding) {
                    return Err(S3Error::config(format!("setting BAGROOM_BUCKETS: r2_binding {binding:?} is not a binding name")));
                }
                let cred_prefix = b.credentials.as_deref().unwrap_or("STORE");
                let s3_api = r2_s3_api(get, "BAGROOM_BUCKETS.endpoint", b.endpoint.as_deref(), b.store_bucket.is_some(), cred_prefix)?;
                let store_bucket = b.store_bucket.unwrap_or_else(|| b.name.clone());
                if store_bucket.is_empty() || store_bucket.contains(['/', '?']) {
                    return Err(S3Error::config(format!("setting BAGROOM_BUCKETS: store_bucket {store_bucket:?} is not a bucket name")));
                }
                out.push(BucketConfig {
                    store: r2_store(binding, store_bucket, s3_api),
                    name: b.name,
                    public_prefixes: b.public_prefixes,
                    in_namespace: false,
                });
                continue;
            }
            let endpoint = match b.endpoint {
                Some(e) => e,
                None => req(get, "STORE_ENDPOINT")?,
            };
            let (scheme, host) = parse_endpoint("BAGROOM_BUCKETS.endpoint", &endpoint)?;
            let browser_endpoint = match b.browser_endpoint {
                Some(v) => {
                    let (s, h) = parse_endpoint("BAGROOM_BUCKETS.browser_endpoint", &v)?;
                    Some(format!("{s}://{h}"))
                }
                None => None,
            };
            let cred_prefix = b.credentials.unwrap_or_else(|| "STORE".into());
            out.push(BucketConfig {
                store: StoreConfig {
                    scheme,
                    host,
                    region: b.region.unwrap_or_else(|| "us-east-1".into()),
                    bucket: b.store_bucket.unwrap_or_else(|| b.name.clone()),
                    virtual_host: addressing("BAGROOM_BUCKETS.addressing", b.addressing.as_deref())?,
                    credentials: credentials(get, &cred_prefix)?,
                    post_policy: b.post_policy.unwrap_or(true),
                    browser_endpoint,
                    r2_binding: None,
                },
                name: b.name,
                public_prefixes: b.public_prefixes,
                in_namespace: false,
            });
        }
        Ok(out)
    }

    /// The exposed bucket with this public name.
    /// The configuration from literal settings (tests, the fuzz target, tools).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Config, S3Error> {
        Config::from_env(&|k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    }

    /// Is a request with this `Host` header on the separate content origin?
    pub fn on_content_origin(&self, host: Option<&str>) -> bool {
        match (&self.content_origin, host) {
            (Some(o), Some(h)) => crate::text::split_once(o, "://").map(|(_, oh)| oh) == Some(h.trim().to_ascii_lowercase().as_str()),
            _ => false,
        }
    }

    pub fn bucket(&self, name: &str) -> Option<&BucketConfig> {
        self.buckets.iter().find(|b| b.name == name)
    }

    /// The bucket a share token names: its own, or the first bucket for a token valid in any.
    pub fn token_bucket(&self, name: &str) -> Result<&BucketConfig, S3Error> {
        let b = if name.is_empty() { self.buckets.first() } else { self.bucket(name) };
        b.ok_or_else(|| S3Error::no_such_bucket(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn base() -> HashMap<String, String> {
        env(&[
            ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
            ("STORE_BUCKET", "demo"),
            ("STORE_ACCESS_KEY_ID", "AK"),
            ("STORE_SECRET_ACCESS_KEY", "SK"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123"),
            ("BAGROOM_ACCESS_KEYS", "GWKEY:gwsecret, GW2:s2"),
        ])
    }

    fn load(m: &HashMap<String, String>) -> Result<Config, S3Error> {
        Config::from_env(&|k| m.get(k).cloned())
    }

    #[test]
    fn minimal_single_bucket() {
        let c = load(&base()).unwrap();
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.buckets.len(), 1);
        let b = c.bucket("demo").unwrap();
        assert_eq!(b.store.endpoint(), "http://127.0.0.1:8333");
        assert!(!b.store.virtual_host);
        assert_eq!(c.access_keys, vec![("GWKEY".into(), "gwsecret".into()), ("GW2".into(), "s2".into())]);
        assert!(c.allow_sigv2);
        assert_eq!(c.multipart_max_age_secs, 24 * 3600);
        assert!(c.access_log);
        let mut m = base();
        m.insert("BAGROOM_ACCESS_LOG".into(), "false".into());
        assert!(!load(&m).unwrap().access_log);
    }

    #[test]
    fn missing_setting_is_named() {
        for name in ["STORE_ENDPOINT", "STORE_BUCKET", "STORE_ACCESS_KEY_ID", "STORE_SECRET_ACCESS_KEY", "BAGROOM_TOKEN_KEYS"] {
            let mut m = base();
            m.remove(name);
            let e = load(&m).unwrap_err();
            assert_eq!(e.status, 500);
            assert!(e.message.contains(name), "{name}: {}", e.message);
        }
    }

    #[test]
    fn malformed_settings_are_named() {
        for (name, value) in [
            ("STORE_ENDPOINT", "ftp://x"),
            ("STORE_ENDPOINT", "http://"),
            ("STORE_ADDRESSING", "sideways"),
            ("BAGROOM_ALLOW_SIGV2", "maybe"),
            ("BAGROOM_ACCESS_LOG", "verbose"),
            ("BAGROOM_CACHE_TTL", "-1"),
            ("BAGROOM_ACCESS_KEYS", "nocolon"),
            ("BAGROOM_BUCKETS", "{not json"),
            ("BAGROOM_MULTIPART_PART_SIZE", "1024"),
            ("BAGROOM_PRESIGN_TTL", "0"),
            ("BAGROOM_CACHE_RULES", "images/=forever"),
            ("STORE_BUCKET", "Bad Bucket"),
        ] {
            let mut m = base();
            m.insert(name.into(), value.into());
            let e = load(&m).unwrap_err();
            assert!(e.message.contains(name), "{name}={value}: {}", e.message);
        }
    }

    #[test]
    fn several_buckets_with_own_stores() {
        let mut m = base();
        m.insert(
            "BAGROOM_BUCKETS".into(),
            r#"[{"name":"media","store_bucket":"media-prod","endpoint":"https://acc.r2.example","region":"auto","addressing":"virtual","credentials":"R2","post_policy":false,"public_prefixes":["pub/"]},
                {"name":"demo"}]"#
                .into(),
        );
        m.insert("R2_ACCESS_KEY_ID".into(), "r2ak".into());
        m.insert("R2_SECRET_ACCESS_KEY".into(), "r2sk".into());
        let c = load(&m).unwrap();
        let media = c.bucket("media").unwrap();
        assert_eq!(media.store.bucket, "media-prod");
        assert!(media.store.virtual_host && !media.store.post_policy);
        assert_eq!(media.store.credentials.access_key_id, "r2ak");
        assert_eq!(media.public_prefixes, vec!["pub/".to_string()]);
        assert_eq!(c.bucket("demo").unwrap().store.credentials.access_key_id, "AK");
        // a bucket whose credential secrets are missing names them
        m.insert("BAGROOM_BUCKETS".into(), r#"[{"name":"x","credentials":"NOPE"}]"#.into());
        assert!(load(&m).unwrap_err().message.contains("NOPE_ACCESS_KEY_ID"));
    }

    #[test]
    fn r2_binding_buckets_need_no_endpoint_and_mix_with_s3_ones() {
        let c =
            Config::from_pairs(&[("STORE_R2_BINDING", "FILES"), ("BAGROOM_BUCKET", "demo"), ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef")])
                .unwrap();
        let b = &c.buckets[0];
        assert_eq!((b.name.as_str(), b.store.r2_binding.as_deref(), b.store.endpoint().as_str()), ("demo", Some("FILES"), "r2://FILES"));
        assert!(!b.store.direct_uploads() && !b.store.post_policy);
        // with R2's S3 API beside the binding: presigned browser uploads become possible
        let c = Config::from_pairs(&[
            ("STORE_R2_BINDING", "FILES"),
            ("STORE_BUCKET", "files"),
            ("STORE_ENDPOINT", "https://acc.r2.example"),
            ("STORE_ACCESS_KEY_ID", "AK"),
            ("STORE_SECRET_ACCESS_KEY", "SK"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef"),
        ])
        .unwrap();
        assert!(c.buckets[0].store.direct_uploads());
        assert_eq!(c.buckets[0].store.endpoint(), "r2://FILES");
        // without naming the R2 bucket, presigned uploads could go to another bucket the keys reach
        let e = Config::from_pairs(&[
            ("STORE_R2_BINDING", "FILES"),
            ("STORE_ENDPOINT", "https://acc.r2.example"),
            ("STORE_ACCESS_KEY_ID", "AK"),
            ("STORE_SECRET_ACCESS_KEY", "SK"),
            ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef"),
        ]);
        assert!(e.unwrap_err().message.contains("STORE_BUCKET"));
        let mut m = base();
        m.insert("BAGROOM_BUCKETS".into(), r#"[{"name":"media","r2_binding":"MEDIA"},{"name":"logs","store_bucket":"logs-prod"}]"#.into());
        let c = load(&m).unwrap();
        assert_eq!(c.buckets[0].store.r2_binding.as_deref(), Some("MEDIA"));
        assert_eq!(c.buckets[1].store.r2_binding, None);
        assert_eq!(c.buckets[1].store.endpoint(), "http://127.0.0.1:8333");
        for bad in ["1X", "A-B", "a b"] {
            let e = Config::from_pairs(&[("STORE_R2_BINDING", bad), ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef")]);
            assert!(e.unwrap_err().message.contains("STORE_R2_BINDING"), "{bad:?}");
        }
    }

    #[test]
    fn debug_never_prints_secrets() {
        let c = load(&base()).unwrap();
        let s = format!("{c:?}");
        for secret in ["\"SK\"", "gwsecret", "0123456789abcdef0123"] {
            assert!(!s.contains(secret), "{s}");
        }
    }

    #[test]
    fn cache_limit_capped_at_platform_max() {
        let mut m = base();
        m.insert("BAGROOM_CACHE_MAX_OBJECT_BYTES".into(), "99999999999".into());
        assert_eq!(load(&m).unwrap().cache.max_object_bytes, PLATFORM_MAX_OBJECT_BYTES);
    }

    #[test]
    fn cache_modes_and_stale_if_error() {
        use crate::cache::policy::Consistency;
        let c = load(&base()).unwrap().cache;
        assert_eq!((c.mode, c.stale_if_error, c.consistency_for("k")), (DefaultMode::Revalidate, 0, Consistency::Revalidate));
        let mut m = base();
        m.insert("BAGROOM_CACHE_MODE".into(), "ttl".into());
        m.insert("BAGROOM_CACHE_RULES".into(), "docs/=revalidate,v/=ttl=60".into());
        m.insert("BAGROOM_CACHE_STALE_IF_ERROR".into(), "30".into());
        let c = load(&m).unwrap().cache;
        assert_eq!(c.consistency_for("k"), Consistency::Ttl(3600));
        assert_eq!(c.consistency_for("docs/k"), Consistency::Revalidate);
        assert_eq!(c.consistency_for("v/k"), Consistency::Ttl(60));
        assert_eq!(c.stale_if_error, 30);
        m.insert("BAGROOM_CACHE_MODE".into(), "sometimes".into());
        assert!(load(&m).unwrap_err().message.contains("BAGROOM_CACHE_MODE"));
        m.remove("BAGROOM_CACHE_MODE");
        m.insert("BAGROOM_CACHE_STALE_IF_ERROR".into(), "1m".into());
        assert!(load(&m).unwrap_err().message.contains("BAGROOM_CACHE_STALE_IF_ERROR"));
    }
}
