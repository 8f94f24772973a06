//! The multistore peer of bench/run.sh: multistore's S3 gateway on Cloudflare Workers, set up as
//! its cf-workers example worker sets it up, on the 0.8.0 crates from crates.io:
//!
//! - configuration in the `PROXY_CONFIG` var (JSON: `buckets`, `credentials`, `roles`), parsed
//!   on every request, as the example does;
//! - the gateway `ProxyGateway<WorkerBackend, _, _>` with the STS route (`/.sts`), the OIDC
//!   backend-auth middleware (disabled unless `OIDC_PROVIDER_KEY` and `OIDC_PROVIDER_ISSUER` are
//!   set) and the session-token resolver when `SESSION_TOKEN_KEY` is set;
//! - tracing to the Workers console through `WorkerSubscriber` (the example's default level);
//! - the request parsed with `RequestParts` and answered with `GatewayResponseExt::into_web_sys`
//!   (zero-copy: the store's body stream is the client's).
//!
//! The example's registry for `PROXY_CONFIG` lives in a crate that is not on crates.io
//! (`multistore-static-config`), so `Config` below is a small registry of the same shape: buckets
//! looked up by name and authorised with `multistore::auth::authorize`, credentials and roles
//! looked up by id. Rate limiting and bandwidth metering (Durable Object bindings in the example)
//! are left out: the benchmark configures neither.

use multistore::api::response::BucketEntry;
use multistore::error::ProxyError;
use multistore::proxy::ProxyGateway;
use multistore::registry::{BucketRegistry, CredentialRegistry, ResolvedBucket};
use multistore::router::Router;
use multistore::types::{BucketConfig, ResolvedIdentity, RoleConfig, S3Operation, StoredCredential};
use multistore_cf_workers::{collect_js_body, GatewayResponseExt, RequestParts, WorkerBackend, WorkerSubscriber};
use multistore_oidc_provider::backend_auth::{AwsBackendAuth, MaybeOidcAuth};
use multistore_oidc_provider::jwt::JwtSigner;
use multistore_oidc_provider::route_handler::OidcRouterExt;
use multistore_oidc_provider::{HttpExchange, OidcCredentialProvider, OidcProviderError};
use multistore_sts::route_handler::StsRouterExt;
use multistore_sts::{JwksCache, TokenKey};
use serde::Deserialize;
use std::sync::Arc;
use worker::{event, Context, Env, Result};

#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, _ctx: Context) -> Result<web_sys::Response> {
    console_error_panic_hook::set_once();
    tracing::subscriber::set_global_default(WorkerSubscriber::new()).ok();

    let client = reqwest::Client::new();
    let jwks = JwksCache::new(client, std::time::Duration::from_secs(900));
    let token_key = token_key(&env)?;
    let (oidc_auth, oidc_signer, oidc_issuer) = oidc(&env)?;
    let config = Config::from_env(&env)?;
    let virtual_host_domain = env.var("VIRTUAL_HOST_DOMAIN").ok().map(|v| v.to_string());

    let mut router = Router::new();
    if let (Some(signer), Some(issuer)) = (oidc_signer, oidc_issuer) {
        router = router.with_oidc_discovery(issuer, vec![signer]);
    }
    router = router.with_sts("/.sts", config.clone(), jwks, token_key.clone());
    let mut gateway =
        ProxyGateway::new(WorkerBackend, config.clone(), config, virtual_host_domain).with_middleware(oidc_auth).with_router(router);
    if let Some(key) = token_key {
        gateway = gateway.with_credential_resolver(key);
    }

    let (mut parts, body) = RequestParts::from_web_sys(&req).map_err(worker::Error::RustError)?;
    let body = parts.absorb_form_body(body).await.map_err(worker::Error::RustError)?;
    let result = gateway.handle_request(&parts.as_request_info(), body, collect_js_body).await;
    Ok(result.into_web_sys())
}

/// `PROXY_CONFIG`: the example's configuration shape (buckets, long-lived credentials, STS roles).
#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default)]
    buckets: Vec<BucketConfig>,
    #[serde(default)]
    credentials: Vec<StoredCredential>,
    #[serde(default)]
    roles: Vec<RoleConfig>,
}

#[derive(Clone)]
struct Config(Arc<ConfigFile>);

impl Config {
    fn from_env(env: &Env) -> Result<Self> {
        let text = env.var("PROXY_CONFIG").map_err(|e| worker::Error::RustError(format!("PROXY_CONFIG: {e}")))?;
        let file: ConfigFile =
            serde_json::from_str(&text.to_string()).map_err(|e| worker::Error::RustError(format!("PROXY_CONFIG config error: {e}")))?;
        Ok(Self(Arc::new(file)))
    }
}

impl BucketRegistry for Config {
    async fn get_bucket(
        &self,
        name: &str,
        identity: &ResolvedIdentity,
        operation: &S3Operation,
    ) -> std::result::Result<ResolvedBucket, ProxyError> {
        let config = self.0.buckets.iter().find(|b| b.name == name).cloned().ok_or_else(|| ProxyError::BucketNotFound(name.to_string()))?;
        multistore::auth::authorize(identity, operation, &config)?;
        Ok(ResolvedBucket { config, list_rewrite: None, display_name: None })
    }

    async fn list_buckets(&self, _identity: &ResolvedIdentity) -> std::result::Result<Vec<BucketEntry>, ProxyError> {
        Ok(self
            .0
            .buckets
            .iter()
            .map(|b| BucketEntry { name: b.name.clone(), creation_date: "2024-01-01T00:00:00.000Z".to_string() })
            .collect())
    }
}

impl CredentialRegistry for Config {
    async fn get_credential(&self, access_key_id: &str) -> std::result::Result<Option<StoredCredential>, ProxyError> {
        Ok(self.0.credentials.iter().find(|c| c.access_key_id == access_key_id).cloned())
    }

    async fn get_role(&self, role_id: &str) -> std::result::Result<Option<RoleConfig>, ProxyError> {
        Ok(self.0.roles.iter().find(|r| r.role_id == role_id).cloned())
    }
}

fn token_key(env: &Env) -> Result<Option<TokenKey>> {
    match env.secret("SESSION_TOKEN_KEY") {
        Ok(v) => TokenKey::from_base64(&v.to_string()).map(Some).map_err(|e| worker::Error::RustError(e.to_string())),
        Err(_) => Ok(None),
    }
}

/// The OIDC token exchange over reqwest (the Fetch API on wasm32), as in the example.
#[derive(Clone)]
struct FetchHttpExchange;

impl HttpExchange for FetchHttpExchange {
    async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> std::result::Result<String, OidcProviderError> {
        let resp = reqwest::Client::new().post(url).form(form).send().await.map_err(|e| OidcProviderError::HttpError(e.to_string()))?;
        resp.text().await.map_err(|e| OidcProviderError::HttpError(e.to_string()))
    }
}

type Oidc = (MaybeOidcAuth<FetchHttpExchange>, Option<JwtSigner>, Option<String>);

fn oidc(env: &Env) -> Result<Oidc> {
    let pem = env.secret("OIDC_PROVIDER_KEY").ok().map(|v| v.to_string());
    let issuer = env.var("OIDC_PROVIDER_ISSUER").ok().map(|v| v.to_string());
    let (Some(pem), Some(issuer)) = (pem, issuer) else {
        return Ok((MaybeOidcAuth::Disabled, None, None));
    };
    let signer =
        JwtSigner::from_pem(&pem, "proxy-key-1".into(), 300).map_err(|e| worker::Error::RustError(format!("OIDC signer error: {e}")))?;
    let provider = OidcCredentialProvider::new(signer.clone(), FetchHttpExchange, issuer.clone(), "sts.amazonaws.com".into());
    Ok((MaybeOidcAuth::Enabled(Box::new(AwsBackendAuth::new(provider))), Some(signer), Some(issuer)))
}
