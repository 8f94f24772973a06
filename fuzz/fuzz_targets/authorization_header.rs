//! Fuzz SigV4/SigV2 header verification: no Authorization value (nor date, payload hash,
//! path or query around it) makes `verify()` panic, and nothing but a correct signature
//! verifies.
//!
//! Input layout: bytes up to the first `\n` are the Authorization value; the next line is
//! `x-amz-date`, the next `x-amz-content-sha256`, the next the raw request target.
#![no_main]

use bagroom::auth::verify::{verify, VerifyOptions};
use bagroom::http::{Headers, RequestParts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let mut lines = s.splitn(4, '\n');
    let auth = lines.next().unwrap_or("");
    let date = lines.next().unwrap_or("20261123T082236Z");
    let sha = lines.next().unwrap_or("UNSIGNED-PAYLOAD");
    let target = lines.next().unwrap_or("/bkt/k");
    let headers = Headers::from_pairs([
        ("host", "gw.example.test"),
        ("authorization", auth),
        ("x-amz-date", date),
        ("x-amz-content-sha256", sha),
        ("date", date),
    ]);
    let req = RequestParts::from_target("GET", target, headers);
    let keys = vec![("AKIDEXAMPLE".to_string(), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string())];
    for allow_sigv2 in [false, true] {
        let opts = VerifyOptions { allow_sigv2, ..VerifyOptions::s3("us-east-1", 1_795_422_156) };
        if let Ok(Some(v)) = verify(&req, &keys, &opts) {
            // only a genuine signature gets here: it must be the one we would compute
            assert_eq!(v.access_key_id, "AKIDEXAMPLE");
        }
    }
});
