//! Fuzz presigned-URL verification (SigV4 `X-Amz-*` and SigV2 `AWSAccessKeyId`/
//! `Signature`/`Expires`): no query string, path or extra header makes `verify()` panic.
//!
//! Input layout: bytes up to the first `\n` are the raw path, the next line the raw query,
//! the rest an `x-amz-*` header value.
#![no_main]

use bagroom::auth::verify::{verify, VerifyOptions};
use bagroom::http::{Headers, RequestParts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let mut lines = s.splitn(3, '\n');
    let path = lines.next().unwrap_or("/");
    let query = lines.next().unwrap_or("");
    let extra = lines.next();
    let mut headers = Headers::from_pairs([("host", "gw.example.test")]);
    if let Some(v) = extra {
        headers.append("x-amz-meta-fuzz", v);
        headers.append("content-type", v);
    }
    let req = RequestParts::new("GET", path, query, headers);
    let keys = vec![("AKIDEXAMPLE".to_string(), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string())];
    for (allow_sigv2, bucket) in [(false, None), (true, None), (true, Some("bkt"))] {
        let opts = VerifyOptions { allow_sigv2, virtual_host_bucket: bucket, ..VerifyOptions::s3("us-east-1", 1_795_422_156) };
        let _ = verify(&req, &keys, &opts);
    }
});
