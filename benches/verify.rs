//! Incoming signature checks (criterion): a presigned SigV4 URL, a header-signed SigV4
//! request, and a SigV2 presigned URL, all from the S3 documentation / captured clients.

use bagroom::auth::verify::{verify, VerifyOptions};
use bagroom::http::{Headers, RequestParts};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const NOW: u64 = 1_369_353_600; // 20130524T000000Z

fn bench(c: &mut Criterion) {
    let keys = vec![
        ("AKIAIOSFODNN7EXAMPLE".to_string(), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string()),
        ("AKIDEXAMPLE".to_string(), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string()),
    ];
    let opts = VerifyOptions { allow_sigv2: true, ..VerifyOptions::s3("us-east-1", NOW) };

    // S3 documentation: presigned GET.
    let presigned = RequestParts::from_target(
        "GET",
        "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
        Headers::from_pairs([("host", "examplebucket.s3.amazonaws.com")]),
    );
    assert!(verify(&presigned, &keys, &opts).unwrap().is_some());
    c.bench_function("verify presigned SigV4 URL", |b| b.iter(|| verify(black_box(&presigned), &keys, &opts)));

    // S3 documentation: GET with Range, header-signed.
    let header = RequestParts::new(
        "GET",
        "/test.txt",
        "",
        Headers::from_pairs([
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("x-amz-date", "20130524T000000Z"),
            ("user-agent", "aws-cli/2"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        ]),
    );
    assert!(verify(&header, &keys, &opts).unwrap().is_some());
    c.bench_function("verify header-signed SigV4 request", |b| b.iter(|| verify(black_box(&header), &keys, &opts)));

    // boto3 SigV2 presigned GET (captured).
    let v2 = RequestParts::from_target(
        "GET",
        "/bkt/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=RC8ULRZMziqGhOF3xuSi8%2Bd8Wn8%3D&Expires=1795422175",
        Headers::from_pairs([("host", "gw.example.test")]),
    );
    let opts2 = VerifyOptions { now: 1_795_422_000, ..opts };
    assert!(verify(&v2, &keys, &opts2).unwrap().is_some());
    c.bench_function("verify presigned SigV2 URL", |b| b.iter(|| verify(black_box(&v2), &keys, &opts2)));
}

criterion_group!(benches, bench);
criterion_main!(benches);
