//! S3 POST policy: the fields of a browser form upload (`multipart/form-data` POST to
//! the bucket URL), signed with SigV4: `x-amz-signature = hex(HMAC(signing_key,
//! base64(policy JSON)))`.
//!
//! Every form field but `file` (and `x-amz-signature`, `policy`) must be covered by a
//! policy condition; [`post_form`] emits exactly the fields its policy names. The browser
//! appends `file` as the last field.

use super::sign::{scope_for, SERVICE};
use super::signature::signature;
use super::signing_key::signing_key;
use super::string_to_sign::ALGORITHM;
use super::Credentials;
use crate::time::{amz_date, iso8601_millis, short_date};

/// A value condition on a form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `{"field": "value"}`
    Exact(String),
    /// `["starts-with", "$field", "prefix"]`
    StartsWith(String),
}

/// What a form upload may do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PostPolicy {
    pub bucket: String,
    /// Key must start with this (the form's `key` becomes `<prefix>${filename}`).
    pub key_starts_with: Option<String>,
    /// Key must be exactly this (takes precedence for the form's `key` field).
    pub key_exact: Option<String>,
    /// Inclusive byte range for the file's size.
    pub content_length_range: Option<(u64, u64)>,
    pub content_type: Option<Condition>,
    /// 200, 201 or 204.
    pub success_action_status: Option<u16>,
    /// Exact-match conditions, also emitted as form fields (e.g. `x-amz-meta-*`).
    pub extra_fields: Vec<(String, String)>,
    /// Unix seconds.
    pub expires_at: u64,
}

/// The form to render: POST to `url` with `fields` in order, then the `file` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostForm {
    pub url: String,
    pub fields: Vec<(String, String)>,
}

fn js(s: &str) -> String {
    // JSON string escaping (as serde_json's)
    crate::json::quote(s)
}

fn exact(out: &mut Vec<String>, field: &str, value: &str) {
    out.push(format!("{{{}:{}}}", js(field), js(value)));
}

fn starts_with(out: &mut Vec<String>, field: &str, prefix: &str) {
    out.push(format!("[\"starts-with\",{},{}]", js(&format!("${field}")), js(prefix)));
}

/// The policy document: `{"expiration":"<ISO 8601 with .000Z>","conditions":[...]}`.
///
/// Conditions, in order: bucket; key (`starts-with` and/or exact; `starts-with ""` when
/// neither is set, as the form always carries `key`); `content-length-range`;
/// `Content-Type`; `success_action_status`; each extra field; then `x-amz-algorithm`,
/// `x-amz-credential`, `x-amz-date` and `x-amz-security-token` (when given).
pub fn policy_json(p: &PostPolicy, credential: &str, amz_date: &str, session_token: Option<&str>) -> String {
    let mut c: Vec<String> = Vec::new();
    exact(&mut c, "bucket", &p.bucket);
    match (&p.key_starts_with, &p.key_exact) {
        (None, None) => starts_with(&mut c, "key", ""),
        (s, e) => {
            if let Some(s) = s {
                starts_with(&mut c, "key", s);
            }
            if let Some(e) = e {
                exact(&mut c, "key", e);
            }
        }
    }
    if let Some((min, max)) = p.content_length_range {
        c.push(format!("[\"content-length-range\",{min},{max}]"));
    }
    match &p.content_type {
        Some(Condition::Exact(v)) => exact(&mut c, "Content-Type", v),
        Some(Condition::StartsWith(v)) => starts_with(&mut c, "Content-Type", v),
        None => {}
    }
    if let Some(s) = p.success_action_status {
        exact(&mut c, "success_action_status", &s.to_string());
    }
    for (k, v) in &p.extra_fields {
        exact(&mut c, k, v);
    }
    exact(&mut c, "x-amz-algorithm", ALGORITHM);
    exact(&mut c, "x-amz-credential", credential);
    exact(&mut c, "x-amz-date", amz_date);
    if let Some(t) = session_token {
        exact(&mut c, "x-amz-security-token", t);
    }
    format!("{{\"expiration\":{},\"conditions\":[{}]}}", js(&iso8601_millis(p.expires_at)), c.join(","))
}

/// Build the signed form for `p`, posted to `endpoint_url` (the bucket URL, e.g.
/// `http://127.0.0.1:8333/bucket` or `https://bucket.s3.amazonaws.com/`).
///
/// Fields, in order: `key`, `policy`, `x-amz-algorithm`, `x-amz-credential`, `x-amz-date`,
/// `x-amz-signature`, `x-amz-security-token` (with a session token), `Content-Type`
/// (exact value, or the prefix for a `StartsWith` condition: the page should replace it
/// with the file's full type), `success_action_status`, then the extra fields.
pub fn post_form(p: &PostPolicy, endpoint_url: &str, creds: &Credentials, region: &str, now: u64) -> PostForm {
    let amz = amz_date(now);
    let credential = format!("{}/{}", creds.access_key_id, scope_for(now, region));
    let policy = policy_json(p, &credential, &amz, creds.session_token.as_deref());
    let policy_b64 = crate::encoding::base64::encode(policy.as_bytes());
    let key = signing_key(&creds.secret_access_key, &short_date(now), region, SERVICE);
    let sig = signature(&key, &policy_b64);

    let key_field = match (&p.key_exact, &p.key_starts_with) {
        (Some(e), _) => e.clone(),
        (None, Some(s)) => format!("{s}${{filename}}"),
        (None, None) => "${filename}".to_string(),
    };
    let mut fields = vec![
        ("key".to_string(), key_field),
        ("policy".to_string(), policy_b64),
        ("x-amz-algorithm".to_string(), ALGORITHM.to_string()),
        ("x-amz-credential".to_string(), credential),
        ("x-amz-date".to_string(), amz),
        ("x-amz-signature".to_string(), sig),
    ];
    if let Some(t) = &creds.session_token {
        fields.push(("x-amz-security-token".to_string(), t.clone()));
    }
    match &p.content_type {
        Some(Condition::Exact(v)) | Some(Condition::StartsWith(v)) => fields.push(("Content-Type".to_string(), v.clone())),
        None => {}
    }
    if let Some(s) = p.success_action_status {
        fields.push(("success_action_status".to_string(), s.to_string()));
    }
    fields.extend(p.extra_fields.iter().cloned());
    PostForm { url: endpoint_url.to_string(), fields }
}
