//! Outgoing SigV4 costs: header signing and presigned URLs (criterion).

use bagroom::http::Headers;
use bagroom::sigv4::presign::presign;
use bagroom::sigv4::sign::{sign_headers, Target};
use bagroom::sigv4::signing_key::{derive, signing_key};
use bagroom::sigv4::Credentials;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const NOW: u64 = 1_369_353_600;
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn creds() -> Credentials {
    Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
}

fn bench(c: &mut Criterion) {
    let creds = creds();
    let no_query: Vec<(String, String)> = Vec::new();
    let get = Target { method: "GET", scheme: "https", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: &no_query };
    let range = Headers::from_pairs([("range", "bytes=0-9")]);
    c.bench_function("sign_headers GET range", |b| {
        b.iter(|| sign_headers(black_box(&get), black_box(&range), EMPTY, &creds, "us-east-1", NOW))
    });

    let part_query = vec![
        ("partNumber".to_string(), "7".to_string()),
        ("uploadId".to_string(), "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA".to_string()),
    ];
    let put = Target {
        method: "PUT",
        scheme: "https",
        host: "bkt.s3.us-east-1.amazonaws.com",
        path: "/videos/2024/a%20long%20name.mp4",
        query: &part_query,
    };
    let put_headers = Headers::from_pairs([
        ("content-type", "video/mp4"),
        ("content-length", "5242880"),
        ("x-amz-checksum-crc32", "rwg7LQ=="),
        ("x-amz-meta-owner", "alice"),
        ("user-agent", "bagroom"),
    ]);
    c.bench_function("sign_headers PUT UploadPart 4 headers", |b| {
        b.iter(|| sign_headers(black_box(&put), black_box(&put_headers), "UNSIGNED-PAYLOAD", &creds, "us-east-1", NOW))
    });

    // the derivation every time (what signing cost before keys were kept) against a kept key
    let secret = creds.secret_access_key.as_str();
    c.bench_function("signing key derived", |b| b.iter(|| derive(black_box(secret), "20130524", "us-east-1", "s3")));
    c.bench_function("signing key kept", |b| b.iter(|| signing_key(black_box(secret), "20130524", "us-east-1", "s3")));

    c.bench_function("presign GET", |b| b.iter(|| presign(black_box(&get), &Headers::new(), &creds, "us-east-1", NOW, 3600)));
    let bound = Headers::from_pairs([("content-length", "5242880"), ("x-amz-checksum-crc32", "rwg7LQ==")]);
    c.bench_function("presign UploadPart bound headers", |b| {
        b.iter(|| presign(black_box(&put), black_box(&bound), &creds, "us-east-1", NOW, 3600))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
