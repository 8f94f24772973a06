//! POST Object (a browser form upload to the gateway itself): the `multipart/form-data` body
//! parsed (fields before the file capped at S3's 20 KiB; fields after the file ignored, as S3
//! does), the policy verified ([`crate::sigv4::post_policy_verify`]), and what the store PUT and
//! the answer are. The key is the form's (`${filename}` replaced by the file's name), authorised
//! by the dispatcher's handler with `crate::guard::grant::authorize`, like any PUT.

use crate::http::Headers;
use crate::s3::error::{Code, S3Error};
use crate::sigv4::post_policy_verify::{field, verify_post, VerifiedPost, MAX_FORM_FIELDS};

/// S3's largest POST Object file (as its largest PUT).
pub const S3_MAX_POST: u64 = 5 * 1024 * 1024 * 1024;

/// A form is read whole before its policy is checked and its file written: the file part is at
/// most this many bytes whatever the policy allows (a worker isolate has 128 MB).
pub const MAX_BUFFERED_FORM_FILE: u64 = 64 * 1024 * 1024;

/// A parsed form: the fields before the file, and the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostBody {
    pub fields: Vec<(String, String)>,
    pub filename: String,
    /// The file's bytes: `body[file.0..file.1]`.
    pub file: (usize, usize),
}

/// The boundary of a `multipart/form-data` Content-Type, if it is one.
pub fn form_boundary(content_type: &str) -> Option<String> {
    let mut it = content_type.split(';');
    if !it.next()?.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    it.find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_string())
    })
    .filter(|b| !b.is_empty() && b.len() <= 70)
}

fn malformed(why: &str) -> S3Error {
    S3Error::with_message(
        Code::MalformedPOSTRequest,
        format!("The body of your POST request is not well-formed multipart/form-data: {why}"),
    )
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..].windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// `name` and `filename` of a part's Content-Disposition.
fn disposition(headers: &str) -> Option<(String, Option<String>)> {
    let line = headers.lines().find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
    let mut name = None;
    let mut filename = None;
    for p in line.split(';').skip(1) {
        if let Some((k, v)) = p.trim().split_once('=') {
            let v = v.trim().trim_matches('"').to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "name" => name = Some(v),
                "filename" => filename = Some(v),
                _ => {}
            }
        }
    }
    Some((name?, filename))
}

/// The fields before the file, the file's name and where its bytes start; `None` while `body`
/// (the start of a form) does not reach the file yet.
#[allow(clippy::type_complexity)]
pub fn fields_before_file(body: &[u8], boundary: &str) -> Result<Option<(Vec<(String, String)>, String, usize)>, S3Error> {
    let delim = format!("--{boundary}");
    let sep = format!("\r\n--{boundary}");
    let too_large = || S3Error::of(Code::MaxPostPreDataLengthExceededError).with("MaxPostPreDataLength", MAX_FORM_FIELDS.to_string());
    // the fields, their part headers and framing: S3's 20 KiB of fields, plus room for headers
    let prefix_cap = MAX_FORM_FIELDS + 16 * 1024;
    let more = |len: usize| if len > prefix_cap { Err(too_large()) } else { Ok(None) };
    let Some(first) = find(body, delim.as_bytes(), 0) else {
        return if body.len() > delim.len() + 2 { Err(malformed("no boundary")) } else { Ok(None) };
    };
    let mut pos = first + delim.len();
    let mut fields = Vec::new();
    let mut used = 0usize;
    loop {
        if body.len() < pos + 2 {
            return more(body.len());
        }
        if body[pos..].starts_with(b"--") {
            return Err(S3Error::invalid_argument("POST requires exactly one file upload per request.").with("ArgumentName", "file"));
        }
        pos += 2; // CRLF after the boundary
        let Some(hend) = find(body, b"\r\n\r\n", pos) else { return more(body.len()) };
        let headers = std::str::from_utf8(&body[pos..hend]).map_err(|_| malformed("part headers are not UTF-8"))?;
        let (name, filename) = disposition(headers).ok_or_else(|| malformed("a part without a name"))?;
        let start = hend + 4;
        if name.eq_ignore_ascii_case("file") {
            return Ok(Some((fields, filename.unwrap_or_default(), start)));
        }
        let Some(end) = find(body, sep.as_bytes(), start) else { return more(body.len()) };
        used += name.len() + (end - start);
        if used > MAX_FORM_FIELDS {
            return Err(too_large());
        }
        let value = String::from_utf8(body[start..end].to_vec()).map_err(|_| malformed("a field is not UTF-8"))?;
        // One value per field: the policy is checked against one value and the store gets one, so
        // a repeated name (in any case) could pass the check with its first value and store
        // another.
        if fields.iter().any(|(k, _): &(String, String)| k.eq_ignore_ascii_case(&name)) {
            return Err(S3Error::invalid_argument(format!("form field {name} appears more than once")).with("ArgumentName", name));
        }
        fields.push((name, value));
        pos = end + sep.len();
    }
}

/// Parse a buffered form body (fields after the file are ignored, as S3 does).
pub fn parse_form(body: &[u8], boundary: &str) -> Result<PostBody, S3Error> {
    let (fields, filename, start) = fields_before_file(body, boundary)?.ok_or_else(|| malformed("the form ends before its file"))?;
    let sep = format!("\r\n--{boundary}");
    let end = find(body, sep.as_bytes(), start).ok_or_else(|| malformed("the file without its closing boundary"))?;
    Ok(PostBody { fields, filename, file: (start, end) })
}

/// How many bytes a form may have in all, once its start (`body`) reaches the file: the fields,
/// the file at most `min(policy's content-length-range max, limit)`, and room for the closing
/// boundary and fields after the file. `None` while the file is not reached yet.
pub fn form_cap(body: &[u8], boundary: &str, limit: u64) -> Result<Option<u64>, S3Error> {
    let Some((fields, _, start)) = fields_before_file(body, boundary)? else { return Ok(None) };
    let max = field(&fields, "policy")
        .and_then(crate::sigv4::post_policy_verify::length_range)
        .map_or(limit, |(_, m)| m.min(limit))
        .min(MAX_BUFFERED_FORM_FILE);
    Ok(Some(start as u64 + max + MAX_FORM_FIELDS as u64 + 1024))
}

/// How to answer a successful form upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostSuccess {
    /// 200, 201 (the PostResponse document) or 204.
    Status(u16),
    /// 303 to this URL (with `bucket`, `key` and `etag` added to its query).
    Redirect(String),
}

/// What a verified form does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPlan {
    pub verified: VerifiedPost,
    /// The object's key (the form's, with `${filename}` replaced).
    pub key: String,
    /// The request headers the form stands for (content metadata, `x-amz-meta-*`...): the
    /// handler passes them through the operation table's PUT allow-list like a PUT's.
    pub headers: Headers,
    pub success: PostSuccess,
}

/// Form fields that become object headers, as S3's.
const HEADER_FIELDS: &[&str] =
    &["content-type", "cache-control", "content-disposition", "content-encoding", "expires", "content-language", "x-amz-storage-class"];

/// Verify the form and plan its PUT. `file_len` the file's length.
pub fn plan_post(
    form: &PostBody,
    bucket: &str,
    file_len: u64,
    secret_for: &dyn Fn(&str) -> Option<String>,
    region: &str,
    allow_sigv2: bool,
    now: u64,
) -> Result<PostPlan, S3Error> {
    let key_field = field(&form.fields, "key").ok_or_else(|| {
        S3Error::invalid_argument(
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
        )
        .with("ArgumentName", "key")
    })?;
    let verified = verify_post(&form.fields, bucket, file_len, secret_for, region, allow_sigv2, now)?;
    let key = crate::text::replace(key_field, "${filename}", &form.filename);
    if key.is_empty() {
        return Err(S3Error::invalid_argument("User key must have a length greater than 0.").with("ArgumentName", "key"));
    }
    let mut headers = Headers::new();
    for (k, v) in &form.fields {
        let l = k.to_ascii_lowercase();
        if l == "acl" || l == "x-amz-acl" {
            // a canned ACL: the allow-list keeps `private` and refuses the rest, as for a PUT
            headers.insert("x-amz-acl", v.as_str());
        } else if l.starts_with("x-amz-grant-") {
            // grants are refused by the allow-list, as a PUT's: the client learns it, not just the store
            headers.insert(l.as_str(), v.as_str());
        } else if HEADER_FIELDS.contains(&l.as_str()) || l.starts_with("x-amz-meta-") {
            headers.insert(l.as_str(), v.as_str());
        }
    }
    headers.insert("content-length", file_len.to_string());
    let success = match (
        field(&form.fields, "success_action_redirect").or_else(|| field(&form.fields, "redirect")),
        field(&form.fields, "success_action_status"),
    ) {
        (Some(url), _) if url.starts_with("http://") || url.starts_with("https://") => PostSuccess::Redirect(url.to_string()),
        (_, Some("200")) => PostSuccess::Status(200),
        (_, Some("201")) => PostSuccess::Status(201),
        _ => PostSuccess::Status(204),
    };
    Ok(PostPlan { verified, key, headers, success })
}

/// The redirect target after a successful upload: `url` with `bucket`, `key` and `etag` added.
pub fn redirect_location(url: &str, bucket: &str, key: &str, etag: &str) -> String {
    let enc = |s: &str| crate::encoding::uri_encode(s, false);
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}bucket={}&key={}&etag={}", enc(bucket), enc(key), enc(etag))
}

/// The `201` answer: `<PostResponse>` with Location, Bucket, Key and ETag.
pub fn post_response_xml(location: &str, bucket: &str, key: &str, etag: &str) -> String {
    let e = crate::encoding::xml_escape;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></PostResponse>",
        e(location),
        e(bucket),
        e(key),
        e(etag)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(fields: &[(&str, &str)], file: &[u8], after: &[(&str, &str)]) -> Vec<u8> {
        let mut b = Vec::new();
        for (k, v) in fields {
            b.extend_from_slice(format!("--XX\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        b.extend_from_slice(
            b"--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n",
        );
        b.extend_from_slice(file);
        b.extend_from_slice(b"\r\n");
        for (k, v) in after {
            b.extend_from_slice(format!("--XX\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        b.extend_from_slice(b"--XX--\r\n");
        b
    }

    #[test]
    fn fields_then_the_file() {
        assert_eq!(form_boundary("multipart/form-data; boundary=\"XX\""), Some("XX".into()));
        assert_eq!(form_boundary("application/xml"), None);
        let b = body(&[("key", "up/${filename}"), ("policy", "p")], b"hello\r\n--X", &[("late", "1")]);
        let f = parse_form(&b, "XX").unwrap();
        assert_eq!(f.fields, vec![("key".to_string(), "up/${filename}".to_string()), ("policy".to_string(), "p".to_string())]);
        assert_eq!(&b[f.file.0..f.file.1], b"hello\r\n--X");
        assert_eq!(f.filename, "a.txt");
    }

    #[test]
    fn no_file_or_too_many_field_bytes_are_refused() {
        let mut b = Vec::new();
        b.extend_from_slice(b"--XX\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--XX--\r\n");
        assert_eq!(parse_form(&b, "XX").unwrap_err().code, "InvalidArgument");
        let big = "x".repeat(MAX_FORM_FIELDS + 1);
        let b = body(&[("x-ignore-a", &big)], b"1", &[]);
        let e = parse_form(&b, "XX").unwrap_err();
        assert_eq!(e.code, "MaxPostPreDataLengthExceededError");
        assert!(e.message.contains("too large"));
        assert_eq!(parse_form(b"garbage that is long enough", "XX").unwrap_err().code, "MalformedPOSTRequest");
        // the cap is known once the file starts: the policy's maximum, or the limit
        let b = body(&[("key", "k")], b"12345", &[]);
        let start = parse_form(&b, "XX").unwrap().file.0 as u64;
        assert_eq!(form_cap(&b[..10], "XX", 100).unwrap(), None);
        assert_eq!(form_cap(&b, "XX", 100).unwrap(), Some(start + 100 + MAX_FORM_FIELDS as u64 + 1024));
        let junk = vec![b'x'; MAX_FORM_FIELDS + 17 * 1024];
        let mut b = b"--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n".to_vec();
        b.extend_from_slice(&junk);
        assert!(form_cap(&b, "XX", 100).is_err());
    }

    #[test]
    fn a_field_sent_twice_in_any_case_is_refused() {
        // a policy binds one value per field: a second one must not slip past it to the store
        for second in ["Content-Type", "content-type", "CONTENT-TYPE"] {
            let b = body(&[("key", "k"), ("Content-Type", "image/png"), (second, "text/html")], b"1", &[]);
            let e = parse_form(&b, "XX").unwrap_err();
            assert_eq!(e.code, "InvalidArgument", "{second}");
            assert!(e.message.contains("more than once"), "{}", e.message);
        }
        let b = body(&[("key", "a"), ("Key", "b")], b"1", &[]);
        assert_eq!(parse_form(&b, "XX").unwrap_err().code, "InvalidArgument");
        // fields after the file are ignored, so one there repeats nothing
        let b = body(&[("key", "k")], b"1", &[("key", "other")]);
        assert_eq!(field(&parse_form(&b, "XX").unwrap().fields, "key"), Some("k"));
    }

    #[test]
    fn answers() {
        assert_eq!(redirect_location("https://x/done?a=1", "b", "k y", "\"e\""), "https://x/done?a=1&bucket=b&key=k%20y&etag=%22e%22");
        assert!(post_response_xml("/b/k", "b", "k&", "\"e\"").contains("<Key>k&amp;</Key>"));
    }
}
