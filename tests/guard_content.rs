//! Attacks on the content-safety rules: token content-type limits, serving user content,
//! `response-*` overrides, token validity on the API routes, presigned URL bounds,
//! If-Range on cache hits, and whole-object fills after ranged misses.

use bagroom::auth::token::{check_upload, Claims, Methods, Scope};
use bagroom::http::Headers;

fn claims_with_types(types: &[&str]) -> Claims {
    let mut c = Claims::new("k1", 10_000, Methods::ALL, "demo", Scope::Prefix("up/".into()));
    c.content_types = types.iter().map(|t| t.to_string()).collect();
    c
}

fn h(pairs: &[(&str, &str)]) -> Headers {
    Headers::from_pairs(pairs.iter().map(|(k, v)| (*k, v.to_string())))
}

// ------------------------------------------------------------ 1. content-type limits

#[test]
fn image_wildcard_refuses_svg_and_other_active_types() {
    let c = claims_with_types(&["image/*"]);
    assert!(check_upload(&c, Some("image/png"), Some(1)).is_ok());
    assert!(check_upload(&c, Some("IMAGE/JPEG; q=1"), Some(1)).is_ok());
    for active in ["image/svg+xml", "Image/SVG+XML", "image/svg+xml; charset=utf-8", "image/foo+xml"] {
        let e = check_upload(&c, Some(active), Some(1)).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "AccessDenied"), "{active}");
    }
    let any = claims_with_types(&["*/*"]);
    for active in ["text/html", "application/xhtml+xml", "text/javascript", "application/xml", "text/xml", "multipart/x-mixed-replace"] {
        assert!(check_upload(&any, Some(active), Some(1)).is_err(), "*/* must not cover {active}");
    }
    assert!(check_upload(&any, Some("text/plain"), Some(1)).is_ok());
    assert!(check_upload(&any, Some("application/pdf"), Some(1)).is_ok());
    // naming the active type exactly allows it
    let svg = claims_with_types(&["image/svg+xml"]);
    assert!(check_upload(&svg, Some("image/svg+xml"), Some(1)).is_ok());
}

#[test]
fn smuggled_types_in_parameters_are_refused() {
    let c = claims_with_types(&["image/*", "text/plain"]);
    for bad in [
        "image/png;x=,text/html",
        "image/png, text/html",
        "image/png;x=\"a\",text/html",
        "image/png\r\nx: y",
        "image/png\0",
        "image/png;x=\"unterminated",
        "image/png;=x",
        "image/png;x",
        "image/png;x=a b",
        "image /png",
        "image/png/x",
        "image/",
        "",
    ] {
        assert!(check_upload(&c, Some(bad), Some(1)).is_err(), "{bad:?}");
    }
    let long = format!("image/png; x={}", "a".repeat(1000));
    assert!(check_upload(&c, Some(&long), Some(1)).is_err(), "length bound");
    // well-formed parameters are fine, quoted commas and semicolons included
    for good in
        ["image/png", "image/png;x=y", "image/png ; x=\"a,b;c\"", "text/plain;charset=utf-8", "image/png;", "image/png;x=\"a\\\"b\""]
    {
        assert!(check_upload(&c, Some(good), Some(1)).is_ok(), "{good:?}");
    }
}

#[test]
fn narrowing_cannot_name_an_active_type_under_a_wildcard() {
    use bagroom::auth::token::{narrow, NarrowRequest};
    let mut p = claims_with_types(&["image/*"]);
    p.methods = Methods::ALL;
    let svg = NarrowRequest { content_types: Some(vec!["image/svg+xml".into()]), ..Default::default() };
    assert!(narrow(&p, &svg).is_err(), "a child would allow SVG that the parent refuses");
    let png = NarrowRequest { content_types: Some(vec!["image/png".into()]), ..Default::default() };
    assert!(narrow(&p, &png).is_ok());
}

// ------------------------------------------------------------ 2. serving user content

#[test]
fn signed_url_overriding_the_type_to_html_still_downloads() {
    use bagroom::http::content_safety::apply;
    use bagroom::s3::download::{finish_headers, overrides};
    let q = vec![
        ("response-content-type".to_string(), "text/html".to_string()),
        ("response-content-disposition".to_string(), "inline; filename=\"x.html\"".to_string()),
    ];
    let mut resp = h(&[("content-type", "image/png"), ("content-length", "5")]);
    finish_headers(&mut resp, &overrides(&q), "MISS");
    apply(&mut resp, false);
    assert_eq!(resp.get("content-type"), Some("text/html"));
    assert_eq!(resp.get("content-disposition"), Some("attachment; filename=\"x.html\""));
    assert_eq!(resp.get("x-content-type-options"), Some("nosniff"));
    let csp = resp.get("content-security-policy").unwrap();
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
}

#[test]
fn active_and_unknown_types_download_unless_on_the_content_origin() {
    use bagroom::http::content_safety::apply;
    for ct in [
        Some("TEXT/HTML; charset=utf-8"),
        Some("image/svg+xml"),
        Some("application/xhtml+xml"),
        Some("text/javascript"),
        Some("image/png, text/html"),
        Some(""),
        None,
    ] {
        let mut resp = match ct {
            Some(ct) => h(&[("content-type", ct), ("content-disposition", "inline")]),
            None => h(&[("content-length", "1")]),
        };
        apply(&mut resp, false);
        assert_eq!(resp.get("content-disposition"), Some("attachment"), "{ct:?}");
        let mut on = match ct {
            Some(ct) => h(&[("content-type", ct), ("content-disposition", "inline")]),
            None => h(&[]),
        };
        apply(&mut on, true);
        assert_ne!(on.get("content-disposition"), Some("attachment"), "{ct:?} on the content origin");
        assert!(on.get("content-security-policy").unwrap().contains("sandbox"), "{ct:?}: no script on the content origin either");
        assert_eq!(on.get("x-content-type-options"), Some("nosniff"));
    }
    // passive types display inline
    for ct in ["image/png", "video/mp4", "text/plain; charset=utf-8", "application/pdf"] {
        let mut resp = h(&[("content-type", ct)]);
        apply(&mut resp, false);
        assert_eq!(resp.get("content-disposition"), None, "{ct}");
        assert_eq!(resp.get("x-content-type-options"), Some("nosniff"));
    }
}

// ------------------------------------------------------------ 3. response-* overrides

#[test]
fn overrides_honour_only_the_exact_lower_case_names() {
    use bagroom::s3::download::overrides;
    let q = |k: &str| vec![(k.to_string(), "text/html".to_string())];
    assert_eq!(overrides(&q("response-content-type")), vec![("content-type", "text/html".to_string())]);
    for k in ["Response-Content-Type", "RESPONSE-CONTENT-TYPE", "response-Content-Type", "response-content-type ", " response-content-type"]
    {
        assert_eq!(overrides(&q(k)), vec![], "{k:?} is not S3's parameter name");
    }
}

// ------------------------------------------------------------ 4. token validity, any method

#[test]
fn an_expired_list_token_is_not_valid_for_the_api() {
    use bagroom::auth::token::check_valid;
    use bagroom::auth::token::IpNet;
    let mut c = Claims::new("k1", 1_000, Methods::LIST, "demo", Scope::Prefix("up/".into()));
    c.nbf = 500;
    c.jti = vec![7, 7];
    c.ip = Some(IpNet::parse("10.0.0.0/8").unwrap());
    let msg = |rev: &[Vec<u8>], ip: Option<&str>, now: u64| check_valid(&c, rev, ip, now).err().map(|e| (e.status, e.message));
    assert_eq!(msg(&[], Some("10.0.0.1"), 999), None);
    assert_eq!(msg(&[], Some("10.0.0.1"), 1_000), Some((403, "token expired".into())));
    assert_eq!(msg(&[], Some("10.0.0.1"), 400), Some((403, "token not yet valid".into())));
    assert_eq!(msg(&[vec![7]], Some("10.0.0.1"), 999), Some((403, "token revoked".into())));
    assert_eq!(msg(&[], Some("11.0.0.1"), 999), Some((403, "client IP not allowed by token".into())));
    assert_eq!(msg(&[], None, 999), Some((403, "client IP not allowed by token".into())));
}

// ------------------------------------------------------------ 5. presigned URLs never broader than the token

fn cfg(extra: &[(&'static str, &'static str)]) -> bagroom::config::Config {
    let mut m: std::collections::HashMap<&str, &str> = [
        ("STORE_ENDPOINT", "http://127.0.0.1:8333"),
        ("STORE_BUCKET", "demo"),
        ("STORE_ACCESS_KEY_ID", "AK"),
        ("STORE_SECRET_ACCESS_KEY", "SK"),
        ("BAGROOM_TOKEN_KEYS", "k1:0123456789abcdef0123,k2:abcdef0123456789abcd"),
    ]
    .into_iter()
    .collect();
    m.extend(extra.iter().copied());
    bagroom::config::Config::from_env(&|k| m.get(k).map(|v| v.to_string())).unwrap()
}

fn signer(c: &bagroom::config::Config) -> bagroom::api::Signer<'_> {
    bagroom::api::Signer { cfg: c, bucket: &c.buckets[0], revoked: &[], ip: None, now: 1_000 }
}

fn put_token() -> Claims {
    Claims::new("k1", 100_000, Methods::ALL, "demo", Scope::Prefix("up/".into()))
}

fn presign(s: &bagroom::api::Signer, c: &Claims, size: Option<u64>, method: &str) -> Result<bagroom::json::Value, bagroom::S3Error> {
    s.upload(c, &bagroom::api::PresignRequest { key: "up/a.bin".into(), content_type: None, size, method: Some(method.into()) })
}

fn query_value(url: &str, name: &str) -> Option<String> {
    url.split_once('?')?.1.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_string))
}

#[test]
fn presigned_put_without_a_size_is_refused_even_without_a_token_limit() {
    let c = cfg(&[]);
    let s = signer(&c);
    let e = presign(&s, &put_token(), None, "PUT").unwrap_err();
    assert!(e.status == 400 || e.status == 411, "{e}");
    assert!(e.message.contains("size"), "{e}");
    let v = presign(&s, &put_token(), Some(10), "PUT").unwrap();
    let signed = query_value(v["url"].as_str().unwrap(), "X-Amz-SignedHeaders").unwrap();
    assert!(signed.contains("content-length"), "{signed}");
}

#[test]
fn presigned_sizes_are_bounded_by_the_gateway_limit_and_s3() {
    let c = cfg(&[("BAGROOM_MAX_UPLOAD_BYTES", "1000")]);
    let s = signer(&c);
    assert_eq!(presign(&s, &put_token(), Some(1001), "PUT").unwrap_err().code, "EntityTooLarge");
    assert!(presign(&s, &put_token(), Some(1000), "PUT").is_ok());
    // no gateway setting: S3's 5 GiB
    let big = cfg(&[("BAGROOM_MAX_UPLOAD_BYTES", "99999999999999")]);
    let s = signer(&big);
    assert_eq!(presign(&s, &put_token(), Some(5 * 1024 * 1024 * 1024 + 1), "PUT").unwrap_err().code, "EntityTooLarge");
}

#[test]
fn post_policy_always_carries_the_effective_limit() {
    use base64::Engine;
    let c = cfg(&[("BAGROOM_MAX_UPLOAD_BYTES", "1000")]);
    let s = signer(&c);
    let doc = |v: bagroom::json::Value| {
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(v["fields"]["policy"].as_str().unwrap()).unwrap()).unwrap()
    };
    let d = doc(presign(&s, &put_token(), None, "POST").unwrap());
    assert!(d.contains("[\"content-length-range\",0,1000]"), "{d}");
    let mut t = put_token();
    t.max_bytes = Some(10);
    let d = doc(presign(&s, &t, None, "POST").unwrap());
    assert!(d.contains("[\"content-length-range\",0,10]"), "{d}");
}

#[test]
fn presigned_urls_never_outlive_the_token() {
    let c = cfg(&[]);
    let s = signer(&c);
    let mut t = put_token();
    t.exp = 1_010;
    let v = presign(&s, &t, Some(1), "PUT").unwrap();
    assert_eq!(query_value(v["url"].as_str().unwrap(), "X-Amz-Expires").as_deref(), Some("10"));
    assert!(v["expires_at"].as_u64().unwrap() <= t.exp);
    match s.part_url(&t, "up/a.bin", "UP1", 1, Some(5), None).unwrap() {
        bagroom::api::PartUrl::Presigned(p) => assert_eq!(query_value(p["url"].as_str().unwrap(), "X-Amz-Expires").as_deref(), Some("10")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn part_urls_bind_their_length_or_go_through_the_gateway() {
    use bagroom::api::PartUrl;
    let c = cfg(&[]);
    let s = signer(&c);
    let mut t = put_token();
    // no size: never a presigned URL that takes any length
    assert_eq!(s.part_url(&t, "up/a.bin", "UP1", 1, None, None).unwrap(), PartUrl::ViaGateway);
    assert_eq!(s.part(&t, "up/a.bin", "UP1", 1, None, None).unwrap_err().status, 411, "the presign-only form refuses");
    // the checks still apply before the gateway fallback
    assert_eq!(s.part_url(&t, "elsewhere", "UP1", 1, None, None).unwrap_err().status, 403);
    match s.part_url(&t, "up/a.bin", "UP1", 1, Some(100), None).unwrap() {
        PartUrl::Presigned(v) => {
            assert!(query_value(v["url"].as_str().unwrap(), "X-Amz-SignedHeaders").unwrap().contains("content-length"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.part_url(&t, "up/a.bin", "UP1", 1, Some(5 * 1024 * 1024 * 1024 + 1), None).unwrap_err().code, "EntityTooLarge");
    t.max_bytes = Some(100);
    assert_eq!(s.part_url(&t, "up/a.bin", "UP1", 1, Some(101), None).unwrap_err().code, "EntityTooLarge");
    let g = s.gateway_part("https://gw.example", &t, "TOKEN", "up/a b.bin", "UP/1", 3);
    assert_eq!(g["url"], "https://gw.example/demo/up/a%20b.bin?partNumber=3&uploadId=UP%2F1&token=TOKEN");
    assert_eq!(g["expires"], t.exp - 1_000);
}

#[test]
fn shared_tokens_keep_the_parents_key_id() {
    let mut parent = put_token();
    parent.jti = vec![1; 8];
    let r = bagroom::api::ShareRequest { key: "up/a.bin".into(), ttl_seconds: 60, methods: None };
    let child = bagroom::api::share(&parent, &r, "k2", vec![2; 8], 1_000).unwrap();
    assert_eq!(child.kid, "k1", "retiring the parent's key must retire its children");
}

// ------------------------------------------------------------ 6. If-Range on cache hits

#[test]
fn if_range_that_does_not_match_answers_the_whole_object() {
    use bagroom::cache::policy::cached_headers;
    use bagroom::s3::download::{plan_hit, HitPlan};
    const LM: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    let cached = |etag: &str| {
        cached_headers(&h(&[("content-type", "text/plain"), ("content-length", "10"), ("etag", etag), ("last-modified", LM)]), 60)
    };
    let plan = |etag: &str, range: &str, if_range: &str| plan_hit("GET", &h(&[("range", range), ("if-range", if_range)]), &cached(etag));
    let partial = |p: HitPlan| matches!(p, HitPlan::Partial { ref range, .. } if range == "bytes=2-4");
    let full =
        |p: HitPlan| matches!(p, HitPlan::Full(ref hh) if hh.get("content-range").is_none() && hh.get("content-length") == Some("10"));
    assert!(partial(plan("\"abc\"", "bytes=2-4", "\"abc\"")), "matching entity-tag");
    assert!(partial(plan("\"abc\"", "bytes=2-4", LM)), "exactly the Last-Modified date");
    assert!(full(plan("\"abc\"", "bytes=2-4", "\"zzz\"")), "changed entity-tag");
    assert!(full(plan("\"abc\"", "bytes=2-4", "W/\"abc\"")), "a weak tag never matches");
    assert!(full(plan("W/\"abc\"", "bytes=2-4", "\"abc\"")), "nor a weak cached tag");
    assert!(full(plan("\"abc\"", "bytes=2-4", "Sun, 06 Nov 1994 08:49:38 GMT")), "a later date");
    assert!(full(plan("\"abc\"", "bytes=2-4", "Sun, 06 Nov 1994 08:49:36 GMT")), "an earlier date");
    assert!(full(plan("\"abc\"", "bytes=2-4", "yesterday")), "garbage");
    assert!(full(plan("\"abc\"", "bytes=2-4", "")), "empty");
    // If-Range is judged before Range: no 416 for a stale client
    assert!(full(plan("\"abc\"", "bytes=50-", "\"zzz\"")));
    assert!(matches!(plan("\"abc\"", "bytes=50-", "\"abc\""), HitPlan::Error(ref e) if e.status == 416));
}

// ------------------------------------------------------------ 7. ranged misses and whole-object fills

#[test]
fn a_ranged_miss_fills_only_what_the_cache_would_keep() {
    use bagroom::cache::policy::{fill_after_range, CacheConfig, DefaultMode};
    let cfg = CacheConfig {
        mode: DefaultMode::Ttl,
        rules: CacheConfig::parse_rules("tmp/=0").unwrap(),
        max_object_bytes: 1000,
        ..CacheConfig::default()
    };
    let partial = |extra: &[(&str, &str)]| {
        let mut p = h(&[("content-length", "1"), ("content-range", "bytes 0-0/500"), ("etag", "\"e\"")]);
        for (k, v) in extra {
            p.append(k, v.to_string());
        }
        p
    };
    assert!(fill_after_range(&cfg, "a", &partial(&[])));
    // Range: bytes=0-0 in a loop on an object the cache will never keep: no whole-object fetch
    for (why, extra) in [
        ("private", &[("cache-control", "private")][..]),
        ("no-store", &[("cache-control", "max-age=5, no-store")][..]),
        ("encoded", &[("content-encoding", "gzip")][..]),
        ("set-cookie", &[("set-cookie", "a=b")][..]),
        ("vary", &[("vary", "*")][..]),
    ] {
        assert!(!fill_after_range(&cfg, "a", &partial(extra)), "{why}");
    }
    assert!(!fill_after_range(&cfg, "tmp/a", &partial(&[])), "ttl 0");
    let total = |cr: &str| h(&[("content-length", "1"), ("content-range", cr)]);
    assert!(!fill_after_range(&cfg, "a", &total("bytes 0-0/1001")), "too large");
    assert!(fill_after_range(&cfg, "a", &total("bytes 0-0/1000")));
    for bad in ["bytes 0-0/*", "bytes */500", "bytes 0-0/", "bytes 0-0/-1", "bytes 0-0/5x", "items 0-0/5", "bytes 0-9/5", "bytes 3-1/5"] {
        assert!(!fill_after_range(&cfg, "a", &total(bad)), "{bad}");
    }
    assert!(!fill_after_range(&cfg, "a", &h(&[("content-length", "1")])), "no content-range");
    let off = CacheConfig { enabled: false, ..cfg };
    assert!(!fill_after_range(&off, "a", &partial(&[])));
}
