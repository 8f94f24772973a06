//! Fuzz the guard end to end: bytes → a request → `route_with` → `authenticate` → `guard::plan`
//! → the store requests the handlers build (`guard::check::s3_outcome`, `share_outcome`), and
//! panic on any violation `guard::check::violations` finds: a key the principal may not touch
//! with the operation's method, a header neither signed, set by the gateway nor allowed for the
//! operation and principal, a refusal that is no S3 error, or an internal error.
//!
//! Input layout: byte 0 says how the request is credentialed (bits 0-1: 0 as it is, 1 signed
//! with the gateway's access key in the `Authorization` header, 2 presigned with it, 3 a share
//! token minted from bytes 1-4; bit 2: the edge reports a client IP; bit 3: the access key is the
//! admin of the fixture's bucket namespace). Bytes 1-4 describe the
//! token (methods; scope; bucket; where it goes, no-overwrite, expiry, IP range). The rest is
//! text: the method, the raw path and the raw query on one line each (the query line may be
//! empty), then `name: value` header lines up to an empty line, then the body. Seeds:
//! `fuzz/seeds/guard/`.
#![no_main]

use std::sync::OnceLock;

use bagroom::auth::token::{self, Claims, IpNet, Methods, Scope};
use bagroom::auth::{authenticate, Keys, Principal};
use bagroom::config::Config;
use bagroom::guard::check::{dispatch_outcome, dispatch_violations, share_outcome, violations, Asked, FIXTURE_ADMIN};
use bagroom::guard::Who;
use bagroom::http::{Headers, RequestParts};
use bagroom::s3::route::{route_with, virtual_host_bucket, Route, S3Op};
use bagroom::sigv4::sign::{sign_headers, Target};
use bagroom::sigv4::{payload_hash_is_valid, Credentials, UNSIGNED_PAYLOAD};
use libfuzzer_sys::fuzz_target;

const NOW: u64 = 1_795_422_156;
const GW_KEY: &str = "GWKEY";
const GW_SECRET: &str = "gwsecret";

fn fixture() -> &'static (Config, Keys) {
    static F: OnceLock<(Config, Keys)> = OnceLock::new();
    F.get_or_init(|| {
        let cfg = bagroom::guard::check::fixture_config("k1:guard-fuzz-secret-0123456789");
        let keys = Keys::from_config(&cfg).expect("fuzz keys");
        (cfg, keys)
    })
}

const SCOPES: [(&str, bool); 6] = [("up/", true), ("", true), ("up/a", false), ("pub/", true), ("up", true), ("up/src.txt", false)];
const TOKEN_BUCKETS: [&str; 5] = ["demo", "", "other", "vh", "scratch"];

fn claims(b: &[u8; 4]) -> Claims {
    let (value, prefix) = SCOPES[b[1] as usize % SCOPES.len()];
    let scope = if prefix { Scope::Prefix(value.into()) } else { Scope::Exact(value.into()) };
    let exp = match (b[3] >> 3) & 3 {
        0 => NOW - 1,
        _ => NOW + 3600,
    };
    let mut c = Claims::new("k1", exp, Methods::from_bits(b[0] & 127).unwrap_or(Methods::ALL), TOKEN_BUCKETS[b[2] as usize % TOKEN_BUCKETS.len()], scope);
    c.no_overwrite = b[3] & 4 != 0;
    c.ip = match b[3] >> 5 {
        1 => Some(IpNet::parse("203.0.113.0/24").unwrap()),
        2 => Some(IpNet::parse("10.0.0.0/8").unwrap()),
        _ => None,
    };
    if b[2] & 0x80 != 0 {
        c.max_bytes = Some(3);
    }
    if b[2] & 0x40 != 0 {
        c.content_types = vec!["text/plain".into()];
    }
    if b[1] & 0x80 != 0 {
        c.jti = vec![0xde, 0xad];
    }
    c
}

/// `GUARD_FUZZ_TRACE=1`: print what each input became (to check seeds).
fn trace() -> bool {
    static T: OnceLock<bool> = OnceLock::new();
    *T.get_or_init(|| std::env::var_os("GUARD_FUZZ_TRACE").is_some())
}

fn summary(out: &bagroom::guard::check::Outcome) -> String {
    match out {
        bagroom::guard::check::Outcome::Denied(e) => format!("denied {} {}", e.status, e.code),
        bagroom::guard::check::Outcome::Served(s) => format!(
            "served, {} store request(s): {:?}",
            s.len(),
            s.iter().map(|s| format!("{} {}", s.req.method, s.req.url)).collect::<Vec<_>>()
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let (cfg, keys) = fixture();
    let mode = data[0];
    let tb: [u8; 4] = [data[1], data[2], data[3], data[4]];
    let text = String::from_utf8_lossy(&data[5..]);
    let mut lines = text.splitn(4, '\n');
    let method = lines.next().unwrap_or("GET").trim();
    let mut path = lines.next().unwrap_or("/").to_string();
    let mut query = lines.next().unwrap_or("").to_string();
    let rest = lines.next().unwrap_or("");
    let (head, body) = match rest.strip_prefix('\n').map(|b| ("", b)).or_else(|| rest.split_once("\n\n")) {
        Some((h, b)) => (h, b.as_bytes().to_vec()),
        None => (rest, Vec::new()),
    };
    let mut headers =
        Headers::from_pairs(head.split('\n').filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())));
    let client_ip = (mode & 4 != 0).then_some("203.0.113.9");
    let (key_id, key_secret) = if mode & 8 != 0 { FIXTURE_ADMIN } else { (GW_KEY, GW_SECRET) };
    if mode & 3 != 0 && mode & 3 != 3 && headers.get("host").is_none() {
        headers.insert("host", "gw.example.test");
    }

    match mode & 3 {
        1 => {
            // signed with the gateway's access key (header form)
            let host = headers.get("host").unwrap_or("").to_string();
            let payload = headers.get("x-amz-content-sha256").filter(|v| payload_hash_is_valid(v)).unwrap_or(UNSIGNED_PAYLOAD).to_string();
            let pairs = RequestParts::new(method, &path, &query, Headers::new()).query_pairs();
            let t = Target { method: &method.to_ascii_uppercase(), scheme: "https", host: &host, path: &path, query: &pairs };
            for (k, v) in sign_headers(&t, &headers, &payload, &Credentials::new(key_id, key_secret), &cfg.region, NOW) {
                headers.insert(&k, v);
            }
        }
        2 => {
            // presigned with the gateway's access key
            let host = headers.get("host").unwrap_or("gw.example.test").to_string();
            let pairs = RequestParts::new(method, &path, &query, Headers::new()).query_pairs();
            let t = Target { method: &method.to_ascii_uppercase(), scheme: "https", host: &host, path: &path, query: &pairs };
            let url = bagroom::sigv4::presign::presign(&t, &Headers::new(), &Credentials::new(key_id, key_secret), &cfg.region, NOW, 3600);
            query = url.split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default();
        }
        3 => {
            let Ok(t) = token::mint(&claims(&tb), &keys.token_keys) else { return };
            match tb[3] & 3 {
                0 => query = if query.is_empty() { format!("token={t}") } else { format!("{query}&token={t}") },
                1 => headers.append("authorization", format!("Bearer {t}")),
                2 => headers.append("cookie", format!("a=1; bagroom_token={t}")),
                _ => path = format!("/s/{t}{path}"),
            }
        }
        _ => {}
    }

    let parts = RequestParts::new(method, &path, &query, headers);
    let vb = virtual_host_bucket(&parts, cfg.virtual_host.as_deref());
    let auth =
        |path_token: Option<&str>, virtual_bucket: Option<&str>| match authenticate(&parts, cfg, keys, path_token, virtual_bucket, NOW) {
            Ok(p) => Some(p),
            Err(e) => {
                if trace() {
                    eprintln!("authentication: {} {}", e.code, e.message);
                }
                assert!((400..600).contains(&e.status) && !e.code.is_empty() && e.code != "InternalError", "authentication error {e:?}");
                None
            }
        };
    let fail = |v: Vec<String>, principal: &Principal, out: &dyn std::fmt::Debug| {
        if !v.is_empty() {
            panic!("guard violation: {v:#?}\nrequest: {parts:#?}\nprincipal: {principal:#?}\noutcome: {out:#?}");
        }
    };
    match route_with(&parts, vb.as_deref()) {
        Route::S3 { op, bucket, key } => {
            let Some(principal) = auth(None, vb.as_deref()) else { return };
            let who = Who { principal: &principal, revoked: &keys.revoked, client_ip, now: NOW };
            // the bucket the name stands for (configured, or the namespace's), then the plan
            let (out, resolved) = dispatch_outcome(cfg, &who, &parts, &op, &bucket, &key, &body);
            if trace() {
                eprintln!("{op:?} {bucket}/{key:?} by {}: {}", principal.label(), summary(&out));
            }
            fail(dispatch_violations(cfg, &who, &parts, &op, &bucket, &key, &body, resolved.as_ref(), &out), &principal, &out);
        }
        Route::Share { token, key } => {
            let Some(principal) = auth(Some(&token), None) else { return };
            let who = Who { principal: &principal, revoked: &keys.revoked, client_ip, now: NOW };
            let (out, asked_for) = share_outcome(cfg, &who, &parts, key);
            if trace() {
                eprintln!("share link by {}: {}", principal.label(), summary(&out));
            }
            let op = if parts.method == "HEAD" { S3Op::HeadObject } else { S3Op::GetObject };
            match asked_for {
                Some((b, key)) => {
                    let asked = Asked { op: &op, bucket: b.bucket(), key: &key, body: &body };
                    fail(violations(cfg, &who, &parts, &asked, &out), &principal, &out);
                }
                None => assert!(!out.is_served(), "a share link served without a bucket and key: {out:?}"),
            }
        }
        _ => {}
    }
});
