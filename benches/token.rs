//! Token mint and verify (goal: verify ≤ 2 µs natively).
//!
//! `cargo bench --bench token`

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use bagroom::auth::token::{self, Access, Claims, IpNet, Method, Methods, Scope, TokenKeys};

fn keys() -> TokenKeys {
    TokenKeys::parse("k2:new-secret-0123456789abcdef,k1:old-secret-0123456789abcdef").unwrap()
}

/// A typical key-scoped GET token.
fn get_claims() -> Claims {
    let mut c = Claims::new("k1", 2_000_000_000, Methods::GET.union(Methods::HEAD), "demo", Scope::Exact("cats/tabby.jpg".into()));
    c.jti = vec![1, 2, 3, 4, 5, 6, 7, 8];
    c
}

/// An upload token with every optional field.
fn upload_claims() -> Claims {
    let mut c = Claims::new("k2", 2_000_000_000, Methods::PUT.union(Methods::POST), "demo", Scope::Prefix("uploads/2024/".into()));
    c.ip = Some(IpNet::parse("2001:db8::/32").unwrap());
    c.max_bytes = Some(10_000_000);
    c.content_types = vec!["image/*".into(), "application/pdf".into()];
    c.no_overwrite = true;
    c.jti = vec![9; 16];
    c
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let get = get_claims();
    let up = upload_claims();
    let t_get = token::mint(&get, &keys).unwrap();
    let t_up = token::mint(&up, &keys).unwrap();
    let revoked: Vec<Vec<u8>> = (0u8..32).map(|i| vec![0xee, i, 0, 0, 0, 0, 0, 0]).collect();
    let a_get = Access { method: Method::Get, bucket: "demo", key: "cats/tabby.jpg", client_ip: Some("203.0.113.9"), now: 1_800_000_000 };
    let a_up =
        Access { method: Method::Put, bucket: "demo", key: "uploads/2024/x.png", client_ip: Some("2001:db8::7"), now: 1_800_000_000 };
    assert!(token::verify(&t_get, &keys, &revoked, &a_get).is_ok());
    assert!(token::verify(&t_up, &keys, &revoked, &a_up).is_ok());

    c.bench_function("token/mint get", |b| b.iter(|| token::mint(black_box(&get), black_box(&keys)).unwrap()));
    c.bench_function("token/mint upload", |b| b.iter(|| token::mint(black_box(&up), black_box(&keys)).unwrap()));
    c.bench_function("token/verify get", |b| {
        b.iter(|| token::verify(black_box(&t_get), black_box(&keys), black_box(&[]), black_box(&a_get)).unwrap())
    });
    c.bench_function("token/verify upload + 32 revoked", |b| {
        b.iter(|| token::verify(black_box(&t_up), black_box(&keys), black_box(&revoked), black_box(&a_up)).unwrap())
    });
    let mut bad = t_get.clone().into_bytes();
    let n = bad.len();
    bad[n - 1] = if bad[n - 1] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();
    c.bench_function("token/verify bad signature", |b| {
        b.iter(|| token::verify(black_box(&bad), black_box(&keys), black_box(&[]), black_box(&a_get)).unwrap_err())
    });
    c.bench_function("token/decode_unverified", |b| b.iter(|| token::decode_unverified(black_box(&t_up)).unwrap()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
