//! Attacks on the content-safety rules: token content-type limits, serving user content,
//! `response-*` overrides, token validity on the API routes, presigned URL bounds,
//! If-Range on cache hits, and whole-object fills after ranged misses.

use bagroom::http::Headers;
use bagroom::token::{check_upload, Claims, Methods, Scope};

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
        assert_eq!((e.status, e.code), (403, "AccessDenied"), "{active}");
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
    for good in ["image/png", "image/png;x=y", "image/png ; x=\"a,b;c\"", "text/plain;charset=utf-8", "image/png;", "image/png;x=\"a\\\"b\""] {
        assert!(check_upload(&c, Some(good), Some(1)).is_ok(), "{good:?}");
    }
}

#[test]
fn narrowing_cannot_name_an_active_type_under_a_wildcard() {
    use bagroom::token::{narrow, NarrowRequest};
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
    use bagroom::content_safety::apply;
    use bagroom::download::{finish_headers, overrides};
    let q = vec![("response-content-type".to_string(), "text/html".to_string()), ("response-content-disposition".to_string(), "inline; filename=\"x.html\"".to_string())];
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
    use bagroom::content_safety::apply;
    for ct in [Some("TEXT/HTML; charset=utf-8"), Some("image/svg+xml"), Some("application/xhtml+xml"), Some("text/javascript"), Some("image/png, text/html"), Some(""), None] {
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
    use bagroom::download::overrides;
    let q = |k: &str| vec![(k.to_string(), "text/html".to_string())];
    assert_eq!(overrides(&q("response-content-type")), vec![("content-type", "text/html".to_string())]);
    for k in ["Response-Content-Type", "RESPONSE-CONTENT-TYPE", "response-Content-Type", "response-content-type ", " response-content-type"] {
        assert_eq!(overrides(&q(k)), vec![], "{k:?} is not S3's parameter name");
    }
}

// ------------------------------------------------------------ 4. token validity, any method

#[test]
fn an_expired_list_token_is_not_valid_for_the_api() {
    use bagroom::token::check_valid;
    use bagroom::token::IpNet;
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
