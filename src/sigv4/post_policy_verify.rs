//! Verifying an S3 POST policy (browser form uploads to the gateway itself), as S3 does: the
//! SigV4 signature over the base64 `policy` with the access key's signing key, the policy's
//! `expiration`, every condition, and that every form field is covered by a condition. Pure:
//! the shell hands it the form fields and the file's length.

use super::signature::{constant_time_eq, signature};
use super::signing_key::signing_key;
use super::string_to_sign::ALGORITHM;
use crate::s3::error::{Code, S3Error};

/// Most bytes of the form fields before the file (S3: 20 KiB).
pub const MAX_FORM_FIELDS: usize = 20 * 1024;

/// A verified form: who signed it, and the signing date's key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPost {
    pub access_key_id: String,
    /// `x-amz-date` of the form.
    pub amz_date: String,
    /// `date/region/s3/aws4_request`.
    pub scope: String,
    pub signature: String,
    /// The policy's `content-length-range`, if any.
    pub length_range: Option<(u64, u64)>,
}

fn policy_failed(what: impl std::fmt::Display) -> S3Error {
    S3Error::access_denied(format!("Invalid according to Policy: Policy Condition failed: {what}"))
}

/// The value of form field `name` (names compare case-insensitively, as S3's).
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The policy's `content-length-range` (for a cap before the file is read); `None` when the
/// policy has none or is not readable (the verification then refuses it).
pub fn length_range(policy_b64: &str) -> Option<(u64, u64)> {
    let doc = decode(policy_b64).ok()?;
    doc.get("conditions")?.as_array()?.iter().find_map(range_of)
}

fn range_of(c: &crate::json::Value) -> Option<(u64, u64)> {
    let a = c.as_array()?;
    if a.len() == 3 && a[0].as_str()?.eq_ignore_ascii_case("content-length-range") {
        let n = |v: &crate::json::Value| v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
        return Some((n(&a[1])?, n(&a[2])?));
    }
    None
}

fn decode(policy_b64: &str) -> Result<crate::json::Value, S3Error> {
    let bad = || S3Error::invalid_argument("Invalid Policy: Invalid JSON.").with("ArgumentName", "policy");
    let raw = crate::encoding::base64::decode(policy_b64.trim().as_bytes()).ok_or_else(bad)?;
    crate::json::parse(&raw).map_err(|_| bad())
}

/// Verify a form posted to `bucket`: `fields` are the form fields before the file, in order (not
/// `file`); `file_len` the file's length. `region` is the gateway's; `now` unix seconds.
pub fn verify_post(
    fields: &[(String, String)],
    bucket: &str,
    file_len: u64,
    secret_for: &dyn Fn(&str) -> Option<String>,
    region: &str,
    allow_sigv2: bool,
    now: u64,
) -> Result<VerifiedPost, S3Error> {
    let policy_b64 = field(fields, "policy")
        .ok_or_else(|| S3Error::access_denied("Bucket POST must contain a policy signed with an access key of the gateway"))?;
    let signed = if field(fields, "x-amz-algorithm").is_none() && field(fields, "AWSAccessKeyId").is_some() {
        verify_v2(fields, policy_b64, secret_for, allow_sigv2)?
    } else {
        verify_v4(fields, policy_b64, secret_for, region)?
    };
    check_policy(fields, policy_b64, bucket, file_len, now, signed)
}

/// A SigV2-signed form (boto3's default for `generate_presigned_post`): `AWSAccessKeyId`, and
/// `signature = base64(HMAC-SHA1(secret, policy))`.
fn verify_v2(
    fields: &[(String, String)],
    policy_b64: &str,
    secret_for: &dyn Fn(&str) -> Option<String>,
    allow: bool,
) -> Result<VerifiedPost, S3Error> {
    use hmac::{Hmac, Mac};
    if !allow {
        return Err(S3Error::access_denied("SigV2 is disabled on this gateway (BAGROOM_ALLOW_SIGV2): sign the form with SigV4"));
    }
    let akid = field(fields, "AWSAccessKeyId").unwrap_or("");
    let sig = field(fields, "signature").ok_or_else(|| S3Error::access_denied("Bucket POST must contain a field named 'signature'"))?;
    let secret = secret_for(akid).ok_or_else(|| S3Error::of(Code::InvalidAccessKeyId).with("AWSAccessKeyId", akid))?;
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(secret.as_bytes()).map_err(|_| S3Error::internal("hmac key"))?;
    mac.update(policy_b64.as_bytes());
    let expected = crate::encoding::base64::encode(mac.finalize().into_bytes());
    if !constant_time_eq(expected.as_bytes(), sig.trim().as_bytes()) {
        return Err(S3Error::of(Code::SignatureDoesNotMatch).with("AWSAccessKeyId", akid));
    }
    Ok(VerifiedPost {
        access_key_id: akid.to_string(),
        amz_date: String::new(),
        scope: String::new(),
        signature: expected,
        length_range: None,
    })
}

fn verify_v4(
    fields: &[(String, String)],
    policy_b64: &str,
    secret_for: &dyn Fn(&str) -> Option<String>,
    region: &str,
) -> Result<VerifiedPost, S3Error> {
    let sig = field(fields, "x-amz-signature")
        .ok_or_else(|| S3Error::access_denied("Bucket POST must contain a field named 'x-amz-signature'"))?;
    let algorithm = field(fields, "x-amz-algorithm").unwrap_or("");
    if algorithm != ALGORITHM {
        return Err(S3Error::invalid_argument("POST requires x-amz-algorithm AWS4-HMAC-SHA256").with("ArgumentName", "x-amz-algorithm"));
    }
    let credential = field(fields, "x-amz-credential").unwrap_or("");
    let amz_date = field(fields, "x-amz-date").unwrap_or("").to_string();
    let parts: Vec<&str> = credential.split('/').collect();
    let [akid, date, cred_region, service, terminator] = parts[..] else {
        return Err(S3Error::invalid_argument("Invalid x-amz-credential").with("ArgumentName", "x-amz-credential"));
    };
    if service != "s3" || terminator != "aws4_request" || cred_region != region || !amz_date.starts_with(date) || date.len() != 8 {
        return Err(S3Error::invalid_argument(format!(
            "Invalid x-amz-credential: the scope must be <date>/{region}/s3/aws4_request of x-amz-date"
        ))
        .with("ArgumentName", "x-amz-credential"));
    }
    let secret = secret_for(akid).ok_or_else(|| S3Error::of(Code::InvalidAccessKeyId).with("AWSAccessKeyId", akid))?;
    let key = signing_key(&secret, date, region, service);
    let expected = signature(&key, policy_b64);
    if !constant_time_eq(expected.as_bytes(), sig.trim().to_ascii_lowercase().as_bytes()) {
        return Err(S3Error::of(Code::SignatureDoesNotMatch).with("AWSAccessKeyId", akid));
    }
    Ok(VerifiedPost {
        access_key_id: akid.to_string(),
        amz_date,
        scope: format!("{date}/{region}/s3/aws4_request"),
        signature: expected,
        length_range: None,
    })
}

/// The policy of a form whose signature verified: expiry, conditions, coverage, length.
fn check_policy(
    fields: &[(String, String)],
    policy_b64: &str,
    bucket: &str,
    file_len: u64,
    now: u64,
    signed: VerifiedPost,
) -> Result<VerifiedPost, S3Error> {
    let doc = decode(policy_b64)?;
    let expiration = doc.get("expiration").and_then(|e| e.as_str()).and_then(crate::time::parse_iso8601);
    match expiration {
        None => return Err(S3Error::invalid_argument("Invalid Policy: Invalid 'expiration' value.").with("ArgumentName", "policy")),
        Some(t) if t <= now => return Err(S3Error::access_denied("Invalid according to Policy: Policy expired.")),
        _ => {}
    }
    let conditions = doc
        .get("conditions")
        .and_then(|c| c.as_array())
        .ok_or_else(|| S3Error::invalid_argument("Invalid Policy: missing 'conditions'.").with("ArgumentName", "policy"))?;

    // the value a condition sees: the form's, and the bucket the form is posted to
    let value = |name: &str| -> String {
        if name.eq_ignore_ascii_case("bucket") {
            return bucket.to_string();
        }
        field(fields, name).unwrap_or("").to_string()
    };
    let mut covered: Vec<String> = Vec::new();
    let mut length = None;
    for c in conditions {
        if let Some(obj) = c.as_object() {
            for (k, v) in obj {
                let want = v.as_str().ok_or_else(|| policy_failed(format!("[\"eq\", \"${k}\", {v}]")))?;
                if value(k) != want {
                    return Err(policy_failed(format!("[\"eq\", \"${k}\", \"{want}\"]")));
                }
                covered.push(k.to_ascii_lowercase());
            }
            continue;
        }
        if let Some(r) = range_of(c) {
            length = Some(r);
            continue;
        }
        let a = c.as_array().filter(|a| a.len() == 3).ok_or_else(|| policy_failed(c))?;
        let (op, name, want) = match (a[0].as_str(), a[1].as_str(), a[2].as_str()) {
            (Some(o), Some(n), Some(w)) => (o.to_ascii_lowercase(), n, w),
            _ => return Err(policy_failed(c)),
        };
        let name = name.strip_prefix('$').ok_or_else(|| policy_failed(c))?;
        let got = value(name);
        let ok = match op.as_str() {
            "eq" => got == want,
            // Content-Type may list several types: each must match
            "starts-with" if name.eq_ignore_ascii_case("content-type") => got.split(',').all(|t| t.trim().starts_with(want)),
            "starts-with" => got.starts_with(want),
            _ => false,
        };
        if !ok {
            return Err(policy_failed(c));
        }
        covered.push(name.to_ascii_lowercase());
    }
    let extra: Vec<&str> = fields
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| {
            let l = k.to_ascii_lowercase();
            !matches!(l.as_str(), "policy" | "x-amz-signature" | "file" | "signature" | "awsaccesskeyid")
                && !l.starts_with("x-ignore-")
                && !covered.contains(&l)
        })
        .collect();
    if !extra.is_empty() {
        return Err(S3Error::access_denied(format!("Invalid according to Policy: Extra input fields: {}", extra.join(", "))));
    }
    if let Some((min, max)) = length {
        if file_len > max {
            return Err(S3Error::entity_too_large(max).with("ProposedSize", file_len.to_string()));
        }
        if file_len < min {
            return Err(S3Error::of(Code::EntityTooSmall)
                .with("ProposedSize", file_len.to_string())
                .with("MinSizeAllowed", min.to_string()));
        }
    }
    Ok(VerifiedPost { length_range: length, ..signed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::post_policy::{post_form, Condition, PostPolicy};
    use crate::sigv4::Credentials;

    const NOW: u64 = 1_700_000_000;
    fn keys(id: &str) -> Option<String> {
        (id == "AK").then(|| "secret".to_string())
    }
    fn policy() -> PostPolicy {
        PostPolicy {
            bucket: "demo".into(),
            key_starts_with: Some("up/".into()),
            content_length_range: Some((1, 100)),
            content_type: Some(Condition::StartsWith("text/".into())),
            success_action_status: Some(201),
            extra_fields: vec![("x-amz-meta-owner".into(), "me".into())],
            expires_at: NOW + 600,
            ..Default::default()
        }
    }
    fn form(p: &PostPolicy) -> Vec<(String, String)> {
        let mut f = post_form(p, "http://gw/demo", &Credentials::new("AK", "secret"), "us-east-1", NOW).fields;
        for (k, v) in f.iter_mut() {
            if k == "key" {
                *v = "up/a.txt".into();
            }
            if k == "Content-Type" {
                *v = "text/plain".into();
            }
        }
        f
    }
    fn check(f: &[(String, String)], len: u64) -> Result<VerifiedPost, S3Error> {
        verify_post(f, "demo", len, &keys, "us-east-1", true, NOW)
    }
    fn set(f: &mut [(String, String)], name: &str, value: &str) {
        f.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.into();
    }

    #[test]
    fn a_signed_form_within_its_policy_verifies() {
        let v = check(&form(&policy()), 10).unwrap();
        assert_eq!((v.access_key_id.as_str(), v.length_range), ("AK", Some((1, 100))));
        assert_eq!(length_range(field(&form(&policy()), "policy").unwrap()), Some((1, 100)));
        // x-ignore- fields need no condition
        let mut f = form(&policy());
        f.push(("x-ignore-note".into(), "x".into()));
        assert!(check(&f, 10).is_ok());
    }

    #[test]
    fn a_tampered_policy_or_wrong_signature_is_refused() {
        let mut f = form(&policy());
        let other = form(&PostPolicy { key_starts_with: Some("".into()), ..policy() });
        set(&mut f, "policy", field(&other, "policy").unwrap());
        assert_eq!(check(&f, 10).unwrap_err().code, "SignatureDoesNotMatch");
        let mut f = form(&policy());
        set(&mut f, "x-amz-signature", &"0".repeat(64));
        assert_eq!(check(&f, 10).unwrap_err().code, "SignatureDoesNotMatch");
        let f = form(&policy());
        assert_eq!(
            verify_post(&f, "demo", 10, &|_: &str| Some("other".to_string()), "us-east-1", true, NOW).unwrap_err().code,
            "SignatureDoesNotMatch"
        );
        assert_eq!(verify_post(&f, "demo", 10, &|_: &str| None, "us-east-1", true, NOW).unwrap_err().code, "InvalidAccessKeyId");
        let unsigned: Vec<_> = f.iter().filter(|(k, _)| k != "x-amz-signature").cloned().collect();
        assert_eq!(check(&unsigned, 10).unwrap_err().status, 403);
    }

    #[test]
    fn a_sigv2_form_verifies_with_hmac_sha1_unless_sigv2_is_off() {
        use hmac::{Hmac, Mac};
        let v4 = form(&policy());
        let policy_b64 = field(&v4, "policy").unwrap().to_string();
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(b"secret").unwrap();
        mac.update(policy_b64.as_bytes());
        let sig = crate::encoding::base64::encode(mac.finalize().into_bytes());
        // the policy names x-amz-algorithm etc.: a v2 form carries them as covered fields too
        let mut f: Vec<(String, String)> = v4.iter().filter(|(k, _)| k != "x-amz-signature").cloned().collect();
        f.retain(|(k, _)| k != "x-amz-algorithm");
        f.push(("AWSAccessKeyId".into(), "AK".into()));
        f.push(("signature".into(), sig));
        // x-amz-algorithm is a condition of this policy: missing, it fails the condition
        assert_eq!(check(&f, 10).unwrap_err().status, 403);
        let bare =
            "{\"expiration\":\"2099-01-01T00:00:00.000Z\",\"conditions\":[{\"bucket\":\"demo\"},[\"starts-with\",\"$key\",\"up/\"]]}";
        let b64 = crate::encoding::base64::encode(bare);
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(b"secret").unwrap();
        mac.update(b64.as_bytes());
        let sig = crate::encoding::base64::encode(mac.finalize().into_bytes());
        let f: Vec<(String, String)> = [("key", "up/x"), ("AWSAccessKeyId", "AK"), ("policy", b64.as_str()), ("signature", sig.as_str())]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(check(&f, 10).unwrap().access_key_id, "AK");
        assert_eq!(verify_post(&f, "demo", 10, &keys, "us-east-1", false, NOW).unwrap_err().status, 403);
        let mut bad = f.clone();
        bad[3].1 = "AAAA".into();
        assert_eq!(check(&bad, 10).unwrap_err().code, "SignatureDoesNotMatch");
    }

    #[test]
    fn an_expired_policy_is_refused() {
        let f = form(&PostPolicy { expires_at: NOW - 1, ..policy() });
        let e = check(&f, 10).unwrap_err();
        assert_eq!((e.status, e.message.as_str()), (403, "Invalid according to Policy: Policy expired."));
    }

    #[test]
    fn conditions_bind_key_bucket_type_and_metadata() {
        let mut f = form(&policy());
        set(&mut f, "key", "other/a.txt");
        assert!(check(&f, 10).unwrap_err().message.contains("starts-with"));
        let mut f = form(&policy());
        set(&mut f, "Content-Type", "image/png");
        assert_eq!(check(&f, 10).unwrap_err().status, 403);
        let mut f = form(&policy());
        set(&mut f, "x-amz-meta-owner", "you");
        assert_eq!(check(&f, 10).unwrap_err().status, 403);
        let mut f = form(&policy());
        set(&mut f, "success_action_status", "200");
        assert_eq!(check(&f, 10).unwrap_err().status, 403);
        let f = form(&policy());
        assert_eq!(verify_post(&f, "other", 10, &keys, "us-east-1", true, NOW).unwrap_err().status, 403);
        let exact = form(&PostPolicy { key_exact: Some("up/a.txt".into()), key_starts_with: None, ..policy() });
        assert!(check(&exact, 10).is_ok());
    }

    #[test]
    fn the_length_is_within_the_range() {
        let f = form(&policy());
        assert_eq!(check(&f, 101).unwrap_err().code, "EntityTooLarge");
        assert_eq!(check(&f, 0).unwrap_err().code, "EntityTooSmall");
        assert!(check(&f, 100).is_ok() && check(&f, 1).is_ok());
    }

    #[test]
    fn every_field_is_covered_by_a_condition() {
        let mut f = form(&policy());
        f.push(("x-amz-meta-extra".into(), "1".into()));
        let e = check(&f, 10).unwrap_err();
        assert_eq!((e.status, e.message.as_str()), (403, "Invalid according to Policy: Extra input fields: x-amz-meta-extra"));
        let mut f = form(&policy());
        f.push(("Cache-Control".into(), "no-cache".into()));
        assert!(check(&f, 10).unwrap_err().message.contains("Cache-Control"));
    }

    #[test]
    fn the_credential_names_the_gateways_region_and_the_forms_date() {
        let f = form(&policy());
        assert_eq!(verify_post(&f, "demo", 10, &keys, "eu-west-1", true, NOW).unwrap_err().code, "InvalidArgument");
        let mut f = form(&policy());
        set(&mut f, "x-amz-date", "20990101T000000Z");
        assert_eq!(check(&f, 10).unwrap_err().code, "InvalidArgument");
    }
}
