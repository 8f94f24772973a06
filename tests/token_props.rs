//! Properties of bagroom share tokens, and the worked example of
//! `docs/token-format.md` (read from the file, so the doc cannot drift).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha2::Sha256;

use bagroom::auth::token::policy::check_access;
use bagroom::auth::token::{self, codec, Access, Claims, IpNet, Method, Methods, NarrowRequest, Scope, TokenKeys};

fn keys() -> TokenKeys {
    TokenKeys::parse("k1:first-secret-0123456789abcdef,k2:second-secret-0123456789").unwrap()
}

// ---------------------------------------------------------------- worked example

/// The text of the first non-fence line after `marker` in the doc.
fn doc_value(doc: &str, marker: &str) -> String {
    let mut lines = doc.lines().skip_while(|l| l.trim() != marker);
    assert!(lines.next().is_some(), "marker {marker} missing from docs/token-format.md");
    lines.map(str::trim).find(|l| !l.is_empty() && !l.starts_with("```")).unwrap_or_else(|| panic!("no value after {marker}")).to_string()
}

const EXAMPLE_KEYS: &str = "k2026:example-secret-DO-NOT-USE-0123";
const EXAMPLE_NOW: u64 = 1_767_223_800;

fn example_claims() -> Claims {
    let mut c = Claims::new("k2026", 1_767_225_600, Methods::GET.union(Methods::HEAD), "demo", Scope::Exact("cats/tabby.jpg".into()));
    c.nbf = 1_767_222_000;
    c.jti = vec![0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
    c
}

#[test]
fn worked_example_in_docs_verifies() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/token-format.md")).expect("docs/token-format.md");
    let doc_token = doc_value(&doc, "<!-- example:token -->");
    let doc_body = doc_value(&doc, "<!-- example:body-hex -->");
    let doc_hmac = doc_value(&doc, "<!-- example:hmac-hex -->");
    let keys = TokenKeys::parse(EXAMPLE_KEYS).unwrap();
    let claims = example_claims();

    // the doc's token verifies, with the doc's claims, at the doc's time
    let access = Access { method: Method::Get, bucket: "demo", key: "cats/tabby.jpg", client_ip: None, now: EXAMPLE_NOW };
    assert_eq!(token::verify(&doc_token, &keys, &[], &access).unwrap(), claims);
    assert!(token::verify(&doc_token, &keys, &[], &Access { method: Method::Head, ..access }).is_ok());
    assert!(token::verify(&doc_token, &keys, &[], &Access { method: Method::Put, ..access }).is_err());
    // and is exactly what mint produces
    assert_eq!(token::mint(&claims, &keys).unwrap(), doc_token);

    // the body hex and the MAC computation described in the doc
    let mut body = Vec::new();
    codec::encode_body(&claims, &mut body);
    assert_eq!(hex(&body), doc_body);
    let signed = codec::signed_bytes(&claims).unwrap();
    assert_eq!(hex(&signed), format!("01056b32303236{doc_body}"));
    let mut mac = Hmac::<Sha256>::new_from_slice(b"example-secret-DO-NOT-USE-0123").unwrap();
    mac.update(&signed);
    let full = mac.finalize().into_bytes();
    assert_eq!(hex(&full), doc_hmac);
    let raw = URL_SAFE_NO_PAD.decode(&doc_token).unwrap();
    assert_eq!(raw, [signed.as_slice(), &full[..16]].concat());
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---------------------------------------------------------------- strategies

const IPS: &[&str] = &["10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "0.0.0.0/0", "2001:db8::/32", "2001:db8:1::/48", "::/0", "::1"];
const CTS: &[&str] = &["image/*", "image/png", "text/plain", "*/*", "text/*", "application/vnd.a+json"];

fn arb_net() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        prop::sample::select(IPS).prop_map(|s| IpNet::parse(s).unwrap()),
        (any::<[u8; 4]>(), 0u8..=32).prop_map(|(a, p)| IpNet::new(a.into(), p).unwrap()),
        (any::<[u8; 16]>(), 0u8..=128).prop_map(|(a, p)| IpNet::new(a.into(), p).unwrap()),
    ]
}

/// Keys without `.`/`..` segments (those are never reachable by token).
fn arb_key_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9/_ é%+-]{0,24}"
}

fn arb_method() -> impl Strategy<Value = Method> {
    prop::sample::select(Method::ALL.to_vec())
}

/// Claims plus an access they allow.
fn arb_allowed() -> impl Strategy<Value = (Claims, String, Method, String, Option<String>, u64)> {
    (
        (
            prop::sample::select(vec!["k1", "k2"]),
            0u64..(1 << 40),
            any::<u64>(),
            0u64..=120,
            any::<u8>(),
            arb_method(),
            prop_oneof![Just(String::new()), "[a-z0-9.-]{1,20}"],
            "[a-z]{0,3}",
        ),
        (
            any::<bool>(),
            arb_key_text(),
            arb_key_text(),
            prop::option::of(arb_net()),
            prop::option::of(any::<u64>()),
            prop::collection::vec(prop::sample::select(CTS), 0..4),
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 0..=32),
        ),
    )
        .prop_map(
            |(
                (kid, now, exp_raw, nbf_back, extra_methods, method, bucket, other_bucket),
                (prefix, k1, k2, ip, max_bytes, cts, no_ow, jti),
            )| {
                let exp = now + 1 + exp_raw % (u64::MAX - now - 1);
                let nbf = (now + 60).saturating_sub(nbf_back);
                let methods = Methods::from_bits(extra_methods & 0x7f).unwrap().union(method.into());
                let scope = if prefix || method == Method::List { Scope::Prefix(k1.clone()) } else { Scope::Exact(k1.clone()) };
                let key = match &scope {
                    Scope::Exact(k) => k.clone(),
                    Scope::Prefix(p) => format!("{p}{k2}"),
                };
                let access_bucket = if bucket.is_empty() { other_bucket } else { bucket.clone() };
                let client_ip = ip.map(|n| n.addr().to_string());
                let claims = Claims {
                    kid: kid.to_string(),
                    exp,
                    nbf,
                    methods,
                    bucket,
                    scope,
                    ip,
                    max_bytes,
                    content_types: cts.into_iter().map(String::from).collect(),
                    no_overwrite: no_ow,
                    jti,
                };
                (claims, access_bucket, method, key, client_ip, now)
            },
        )
}

fn flip_char(t: &str, i: usize, pick: u8) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut b = t.as_bytes().to_vec();
    let i = i % b.len();
    let mut c = ALPHA[pick as usize % 64];
    if c == b[i] {
        c = ALPHA[(pick as usize + 1) % 64];
    }
    b[i] = c;
    String::from_utf8(b).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn mint_verify_round_trips((claims, bucket, method, key, ip, now) in arb_allowed()) {
        let keys = keys();
        let t = token::mint(&claims, &keys).unwrap();
        prop_assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let access = Access { method, bucket: &bucket, key: &key, client_ip: ip.as_deref(), now };
        prop_assert_eq!(token::verify(&t, &keys, &[], &access).unwrap(), claims.clone());
        prop_assert_eq!(token::decode_unverified(&t).unwrap(), claims.clone());
        // revoking its id (or any prefix of it) revokes it
        if !claims.jti.is_empty() {
            let rev = vec![claims.jti[..1 + claims.jti.len() / 2].to_vec()];
            prop_assert_eq!(token::verify(&t, &keys, &rev, &access).unwrap_err().message, "token revoked");
        }
        // signed by the other key's secret under the same kid: refused
        let swapped = TokenKeys::parse("k1:second-secret-0123456789,k2:first-secret-0123456789abcdef").unwrap();
        prop_assert_eq!(token::verify(&t, &swapped, &[], &access).unwrap_err().message, "token signature does not match");
    }

    #[test]
    fn any_bit_flip_fails((claims, bucket, method, key, ip, now) in arb_allowed(), at in any::<usize>(), bit in 0u8..8) {
        let keys = keys();
        let t = token::mint(&claims, &keys).unwrap();
        let mut raw = URL_SAFE_NO_PAD.decode(&t).unwrap();
        let i = at % raw.len();
        raw[i] ^= 1 << bit;
        let t2 = URL_SAFE_NO_PAD.encode(&raw);
        let access = Access { method, bucket: &bucket, key: &key, client_ip: ip.as_deref(), now };
        let e = token::verify(&t2, &keys, &[], &access).unwrap_err();
        prop_assert_eq!(e.status, 403);
        prop_assert!(matches!(e.message.as_str(), "token signature does not match" | "unknown token key id" | "malformed token" | "malformed token (unsupported version)"), "{}", e.message);
    }

    #[test]
    fn any_char_change_fails((claims, bucket, method, key, ip, now) in arb_allowed(), at in any::<usize>(), pick in any::<u8>()) {
        let keys = keys();
        let t = token::mint(&claims, &keys).unwrap();
        let t2 = flip_char(&t, at, pick);
        prop_assert_ne!(&t2, &t);
        let access = Access { method, bucket: &bucket, key: &key, client_ip: ip.as_deref(), now };
        prop_assert!(token::verify(&t2, &keys, &[], &access).is_err());
        // truncating or extending also fails
        prop_assert!(token::verify(&t[..at % t.len()], &keys, &[], &access).is_err());
        let longer = t.clone() + "A";
        prop_assert!(token::verify(&longer, &keys, &[], &access).is_err());
    }

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,300}", b in prop::collection::vec(any::<u8>(), 0..200), kid in "[a-z0-9]{0,4}") {
        let keys = keys();
        let access = Access { method: Method::Get, bucket: "demo", key: "k", client_ip: Some("10.0.0.1"), now: 1 };
        let _ = token::decode_unverified(&s);
        let _ = token::verify(&s, &keys, &[vec![1]], &access);
        // random bytes behind a plausible header reach the MAC check and the body parser
        let mut raw = vec![1u8, kid.len() as u8];
        raw.extend_from_slice(kid.as_bytes());
        raw.extend_from_slice(&b);
        let t = URL_SAFE_NO_PAD.encode(&raw);
        let _ = token::verify(&t, &keys, &[], &access);
        if let Ok(c) = token::decode_unverified(&t) {
            // the decoder accepts only canonical encodings
            let mut body = Vec::new();
            codec::encode_body(&c, &mut body);
            prop_assert_eq!(&body[..], &raw[2 + kid.len()..raw.len() - codec::TAG_LEN]);
        }
    }

    #[test]
    fn body_parser_is_canonical(b in prop::collection::vec(any::<u8>(), 0..120)) {
        if let Some(c) = codec::decode_body("k1", &b) {
            let mut body = Vec::new();
            codec::encode_body(&c, &mut body);
            prop_assert_eq!(body, b);
        }
    }
}

// ---------------------------------------------------------------- narrowing

/// Small domains, so that prefixes, times and networks overlap often.
fn small_key() -> impl Strategy<Value = String> {
    "[ab/]{0,4}"
}

fn small_scope() -> impl Strategy<Value = Scope> {
    prop_oneof![small_key().prop_map(Scope::Exact), small_key().prop_map(Scope::Prefix)]
}

fn small_net() -> impl Strategy<Value = IpNet> {
    prop::sample::select(IPS).prop_map(|s| IpNet::parse(s).unwrap())
}

fn small_cts() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(CTS).prop_map(String::from), 0..3)
}

fn arb_parent() -> impl Strategy<Value = Claims> {
    (
        0u64..120,
        0u64..60,
        any::<u8>(),
        prop_oneof![Just(""), Just("demo")],
        small_scope(),
        prop::option::of(small_net()),
        prop::option::of(0u64..10),
        small_cts(),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..4),
    )
        .prop_map(|(exp, nbf, m, bucket, scope, ip, max_bytes, content_types, no_overwrite, jti)| Claims {
            kid: "k1".into(),
            exp,
            nbf,
            methods: Methods::from_bits(m & 0x7f).unwrap().union(Methods::SHARE),
            bucket: bucket.into(),
            scope,
            ip,
            max_bytes,
            content_types,
            no_overwrite,
            jti,
        })
}

fn arb_request() -> impl Strategy<Value = NarrowRequest> {
    (
        (
            prop::option::weighted(0.3, prop_oneof![Just("k1".to_string()), Just("k2".to_string())]),
            prop::option::weighted(0.3, 0u64..120),
            prop::option::weighted(0.3, 0u64..60),
            prop::option::weighted(0.3, any::<u8>().prop_map(|m| Methods::from_bits(m & 0x7f).unwrap())),
            prop::option::weighted(0.3, prop_oneof![Just("demo".to_string()), Just("other".to_string()), Just(String::new())]),
            prop::option::weighted(0.3, small_scope()),
        ),
        (
            prop::option::weighted(0.3, small_net()),
            prop::option::weighted(0.3, 0u64..10),
            prop::option::weighted(0.3, small_cts()),
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 0..4),
        ),
    )
        .prop_map(|((kid, exp, nbf, methods, bucket, scope), (ip, max_bytes, content_types, no_overwrite, jti_suffix))| {
            NarrowRequest { kid, exp, nbf, methods, bucket, scope, ip, max_bytes, content_types, no_overwrite, jti_suffix }
        })
}

#[derive(Debug, Clone)]
struct Probe {
    bucket: &'static str,
    key: String,
    ip: Option<&'static str>,
    now: u64,
    ct: Option<&'static str>,
    size: Option<u64>,
}

fn arb_probe() -> impl Strategy<Value = Probe> {
    (
        prop::sample::select(vec!["demo", "other", ""]),
        small_key(),
        prop::option::of(prop::sample::select(vec![
            "10.1.2.3",
            "10.1.9.9",
            "10.200.0.1",
            "8.8.8.8",
            "2001:db8:1::5",
            "2001:db8:2::5",
            "::1",
            "::ffff:10.1.2.3",
        ])),
        0u64..130,
        prop::option::of(prop::sample::select(vec![
            "image/png",
            "IMAGE/GIF",
            "text/plain; charset=utf-8",
            "text/html",
            "application/vnd.a+json",
        ])),
        prop::option::of(0u64..12),
    )
        .prop_map(|(bucket, key, ip, now, ct, size)| Probe { bucket, key, ip, now, ct, size })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn narrowing_never_widens(parent in arb_parent(), req in arb_request(), probes in prop::collection::vec(arb_probe(), 16), revoke_parent in any::<bool>()) {
        let Ok(child) = token::narrow(&parent, &req) else { return Ok(()) };
        prop_assert!(child.methods.is_subset_of(parent.methods));
        prop_assert!(child.exp <= parent.exp && child.nbf >= parent.nbf);
        prop_assert!(child.no_overwrite >= parent.no_overwrite);
        prop_assert!(child.jti.starts_with(&parent.jti));
        let revoked = if revoke_parent && !parent.jti.is_empty() { vec![parent.jti.clone()] } else { vec![] };
        for p in &probes {
            // keys drawn from the child's own scope too, so the child allows often
            for (key, method) in [p.key.clone(), format!("{}{}", child.scope.value(), p.key), child.scope.value().to_string()].iter().flat_map(|k| Method::ALL.map(|m| (k, m))) {
                let a = Access { method, bucket: p.bucket, key, client_ip: p.ip, now: p.now };
                if check_access(&child, &revoked, &a).is_ok() {
                    prop_assert!(check_access(&parent, &revoked, &a).is_ok(), "child allows {:?} but parent does not\nparent {:?}\nchild {:?}", a, parent, child);
                }
            }
            if token::check_upload(&child, p.ct, p.size).is_ok() {
                prop_assert!(token::check_upload(&parent, p.ct, p.size).is_ok(), "upload {:?}", p);
            }
        }
        // and the child mints and verifies like any token
        let keys = keys();
        let t = token::mint(&child, &keys).unwrap();
        prop_assert_eq!(token::decode_unverified(&t).unwrap(), child);
    }
}

#[test]
fn narrowing_property_is_not_vacuous() {
    // the generators above do produce accepted narrowings that allow requests
    let parent = Claims {
        kid: "k1".into(),
        exp: 100,
        nbf: 0,
        methods: Methods::ALL,
        bucket: "demo".into(),
        scope: Scope::Prefix("a/".into()),
        ip: Some(IpNet::parse("10.0.0.0/8").unwrap()),
        max_bytes: Some(10),
        content_types: vec!["image/*".into()],
        no_overwrite: false,
        jti: vec![1],
    };
    let child = token::narrow(
        &parent,
        &NarrowRequest { scope: Some(Scope::Exact("a/b".into())), methods: Some(Methods::PUT), ..Default::default() },
    )
    .unwrap();
    let a = Access { method: Method::Put, bucket: "demo", key: "a/b", client_ip: Some("10.1.2.3"), now: 5 };
    assert!(check_access(&child, &[], &a).is_ok());
    assert!(check_access(&child, &[vec![1]], &a).is_err(), "revoking the parent revokes the child");
}

// ---------------------------------------------------------------- the CLI

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bagroom-token")).args(args).env_remove("BAGROOM_TOKEN_KEYS").output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn cli_mints_the_doc_example_and_verifies_it() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/token-format.md")).unwrap();
    let doc_token = doc_value(&doc, "<!-- example:token -->");
    let (rc, out, _) = cli(&[
        "mint",
        "--keys",
        EXAMPLE_KEYS,
        "--bucket",
        "demo",
        "--key",
        "cats/tabby.jpg",
        "--methods",
        "GET,HEAD",
        "--exp",
        "1767225600",
        "--nbf",
        "1767222000",
        "--id",
        "0123456789abcdef",
        "--now",
        "1767223800",
    ]);
    assert_eq!(rc, 0);
    assert_eq!(out, format!("{doc_token}\n"), "mint prints only the token");

    let verify = |extra: &[&str]| {
        let mut a = vec!["verify", &doc_token, "--keys", EXAMPLE_KEYS, "--bucket", "demo", "--now", "1767223800"];
        a.extend_from_slice(extra);
        cli(&a)
    };
    assert_eq!(verify(&["--method", "GET", "--key", "cats/tabby.jpg"]).1, "OK\n");
    let (rc, out, _) = verify(&["--method", "PUT", "--key", "cats/tabby.jpg"]);
    assert_eq!((rc, out.as_str()), (1, "AccessDenied: method not allowed by token\n"));
    let (rc, out, _) = verify(&["--method", "GET", "--key", "cats/tabby.jpg", "--revoked", "0123"]);
    assert_eq!((rc, out.as_str()), (1, "AccessDenied: token revoked\n"));
    assert_eq!(verify(&["--method", "GET"]).0, 2, "usage error");

    let (rc, out, _) = cli(&["inspect", &doc_token]);
    assert_eq!(rc, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["key"].as_str(), v["jti"].as_str(), v["methods"][1].as_str()),
        (Some("cats/tabby.jpg"), Some("0123456789abcdef"), Some("HEAD"))
    );

    // random ids by default, and short secrets refused without echoing them
    let (_, a, _) = cli(&["mint", "--keys", EXAMPLE_KEYS, "--prefix", ""]);
    let (_, b, _) = cli(&["mint", "--keys", EXAMPLE_KEYS, "--prefix", ""]);
    assert_ne!(token::decode_unverified(a.trim()).unwrap().jti, token::decode_unverified(b.trim()).unwrap().jti);
    let (rc, out, err) = cli(&["mint", "--keys", "k:tooshort", "--key", "x"]);
    assert!(rc == 1 && out.is_empty() && err.contains("at least 16") && !err.contains("tooshort"), "{err}");
}
