//! Plain HTTP for the core, no `worker` types: headers and request parts (the shell fills these
//! from `worker::Request`; tests build them by hand), byte ranges ([`range`]), conditional
//! requests ([`conditional`]) and serving user content safely ([`content_safety`]).

pub mod conditional;
pub mod content_safety;
pub mod range;

/// The origin (`scheme://host[:port]`) of a request URL as the runtime hands it over: already
/// WHATWG-serialized by workerd (scheme and host lower-cased, host in ASCII/punycode, default port
/// dropped), so this only picks it apart, as `url::Url::origin().ascii_serialization()` does for
/// such input (userinfo dropped, a default port left out, `null` for a scheme without a tuple
/// origin). `None` for what is not an absolute URL with a host. Done here rather than with the
/// `url` crate, whose IDNA tables cost the edge bundle about 50 KiB gzipped (BENCHMARKS.md).
pub fn url_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
        return None;
    }
    let default_port = match scheme.as_str() {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        "ftp" => 21,
        _ => return Some("null".to_string()),
    };
    let rest = rest.strip_prefix("//")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // an IPv6 literal's colons are inside the brackets; the port follows the last `]`
    let port_at = host_port.rfind(':').filter(|&i| host_port[i..].find(']').is_none());
    let (host, port) = match port_at {
        Some(i) => (&host_port[..i], &host_port[i + 1..]),
        None => (host_port, ""),
    };
    if host.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let host = host.to_ascii_lowercase();
    let port: Option<u16> = if port.is_empty() { None } else { Some(port.parse().ok()?) };
    Some(match port {
        Some(p) if p != default_port => format!("{scheme}://{host}:{p}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// Header list with lower-cased names, in arrival order (duplicates kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Headers(Vec::new())
    }
    /// Build from any (name, value) pairs; names are lower-cased.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        Headers(pairs.into_iter().map(|(k, v)| (k.as_ref().to_ascii_lowercase(), v.into())).collect())
    }
    /// First value of a header (name is matched case-insensitively).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    /// Every value of a header, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn insert(&mut self, name: &str, value: impl Into<String>) {
        let lname = name.to_ascii_lowercase();
        self.0.retain(|(k, _)| *k != lname);
        self.0.push((lname, value.into()));
    }
    pub fn append(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_ascii_lowercase(), value.into()));
    }
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The headers as `name \n value \n` lines, the form the shell hands to the runtime in one
    /// call. A pair whose name or value holds a line break or NUL (which no HTTP header may
    /// carry, and the runtime's `Headers` refuses) is left out, so a value can never add a line
    /// of its own: a header smuggled into a client-chosen value stays out of the answer.
    pub fn to_lines(&self) -> String {
        pairs_to_lines(&self.0)
    }
    /// Headers from `name \n value \n` lines (what the runtime's `Headers` iterates; names
    /// lower-cased here too). A trailing name without its value is dropped.
    pub fn from_lines(lines: &str) -> Headers {
        let mut it = lines.split('\n');
        let mut out = Vec::new();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            if !k.is_empty() {
                out.push((k.to_ascii_lowercase(), v.to_string()));
            }
        }
        Headers(out)
    }
}

/// [`Headers::to_lines`] of plain pairs.
pub fn pairs_to_lines(pairs: &[(String, String)]) -> String {
    let mut s = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (k, v) in pairs {
        if !header_line_ok(k, v) {
            continue;
        }
        s.push_str(k);
        s.push('\n');
        s.push_str(v);
        s.push('\n');
    }
    s
}

/// Can this pair be one header line: a name, and neither holds a line break or NUL?
pub fn header_line_ok(name: &str, value: &str) -> bool {
    !name.is_empty() && !name.bytes().chain(value.bytes()).any(|b| matches!(b, b'\n' | b'\r' | 0))
}

/// A request's method, URL and headers from the one string the shell reads them in
/// (`method \n url \n` then [`Headers::from_lines`]). `None` if the string is not of that form.
pub fn request_head_from_lines(s: &str) -> Option<(&str, &str, Headers)> {
    let (method, rest) = s.split_once('\n')?;
    let (url, headers) = rest.split_once('\n')?;
    Some((method, url, Headers::from_lines(headers)))
}

/// The raw request target of an absolute URL: everything after the authority (`/` if none),
/// without the fragment.
pub fn url_target(url: &str) -> &str {
    let after_scheme = crate::text::find(url, "://").map(|i| i + 3).unwrap_or(0);
    let target = match url[after_scheme..].find('/') {
        Some(i) => &url[after_scheme + i..],
        None => "/",
    };
    target.split('#').next().unwrap_or("/")
}

/// The parts of an incoming request that the core decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestParts {
    /// Upper-case method, e.g. `GET`.
    pub method: String,
    /// Raw path as received, still percent-encoded, e.g. `/bkt/a%20b.txt`.
    pub path: String,
    /// Raw query string without the leading `?` (may be empty), still encoded.
    pub query: String,
    pub headers: Headers,
    /// The `Accept-Encoding` the client itself sent, when the edge rewrote the header before the
    /// worker (Cloudflare, and workerd locally, set it to `br, gzip`; the client's own is
    /// `request.cf.clientAcceptEncoding`). `None`: the header is the client's.
    pub client_accept_encoding: Option<String>,
}

impl RequestParts {
    pub fn new(method: &str, path: &str, query: &str, headers: Headers) -> Self {
        RequestParts {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            query: query.to_string(),
            headers,
            client_accept_encoding: None,
        }
    }
    /// The client's own `Accept-Encoding` (see [`RequestParts::client_accept_encoding`]).
    pub fn accept_encoding(&self) -> Option<&str> {
        self.client_accept_encoding.as_deref().or_else(|| self.headers.get("accept-encoding"))
    }
    /// Split a raw request target (`/path?query`) into path and query.
    pub fn from_target(method: &str, target: &str, headers: Headers) -> Self {
        let (p, q) = match target.find('?') {
            Some(i) => (&target[..i], &target[i + 1..]),
            None => (target, ""),
        };
        Self::new(method, p, q, headers)
    }
    /// Decoded query parameters in order (`+` kept literal, as S3 does).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        crate::encoding::parse_query(&self.query)
    }
    /// First decoded value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod lines_tests {
    use super::{request_head_from_lines, url_target, Headers};

    #[test]
    fn headers_round_trip_through_lines() {
        let h =
            Headers::from_pairs([("Content-Type", "text/plain"), ("x-amz-meta-a", "1, 2"), ("set-cookie", "a=b"), ("set-cookie", "c=d")]);
        assert_eq!(Headers::from_lines(&h.to_lines()), h);
        assert_eq!(Headers::new().to_lines(), "");
        assert_eq!(Headers::from_lines(""), Headers::new());
        // unicode and an empty value survive
        let h = Headers::from_pairs([("x-amz-meta-n", "h\u{e9}llo \u{1f600}"), ("x-empty", "")]);
        assert_eq!(Headers::from_lines(&h.to_lines()), h);
    }

    #[test]
    fn a_line_break_in_a_value_cannot_add_a_header() {
        let h = Headers::from_pairs([
            ("content-disposition", "attachment\nset-cookie\nsession=evil"),
            ("x-a", "cr\rhere"),
            ("x-b", "nul\0here"),
            ("bad\nname", "v"),
            ("x-ok", "fine"),
        ]);
        let back = Headers::from_lines(&h.to_lines());
        assert_eq!(back, Headers::from_pairs([("x-ok", "fine")]));
        assert!(back.get("set-cookie").is_none());
    }

    #[test]
    fn request_head_is_read_back() {
        let (m, u, h) = request_head_from_lines("GET\nhttps://gw.example/b/k?x=1\nhost\ngw.example\naccept\n*/*\n").unwrap();
        assert_eq!((m, u), ("GET", "https://gw.example/b/k?x=1"));
        assert_eq!(h, Headers::from_pairs([("host", "gw.example"), ("accept", "*/*")]));
        assert!(request_head_from_lines("GET").is_none());
        assert_eq!(url_target("https://gw.example/b/k?x=1#frag"), "/b/k?x=1");
        assert_eq!(url_target("https://gw.example"), "/");
        assert_eq!(url_target("http://127.0.0.1:8787/a%20b?c"), "/a%20b?c");
    }
}

#[cfg(test)]
mod origin_tests {
    use super::url_origin;

    #[test]
    fn origin_of_a_request_url() {
        for (url, want) in [
            ("https://gw.example.com/bkt/key?x=1#f", Some("https://gw.example.com")),
            ("http://127.0.0.1:8787/", Some("http://127.0.0.1:8787")),
            ("http://localhost:8787", Some("http://localhost:8787")),
            ("https://gw.example.com:443/a", Some("https://gw.example.com")),
            ("http://gw.example.com:80/a", Some("http://gw.example.com")),
            ("https://gw.example.com:80/a", Some("https://gw.example.com:80")),
            ("http://gw.example.com:0080/a", Some("http://gw.example.com")),
            ("http://gw.example.com:0/a", Some("http://gw.example.com:0")),
            ("http://gw.example.com:/a", Some("http://gw.example.com")),
            ("HTTP://GW.Example.COM/a", Some("http://gw.example.com")),
            ("https://user:pass@gw.example.com:8443/a", Some("https://gw.example.com:8443")),
            ("http://[::1]:8787/a", Some("http://[::1]:8787")),
            ("http://[::1]/a", Some("http://[::1]")),
            ("https://xn--bcher-kva.example/a", Some("https://xn--bcher-kva.example")),
            ("https://gw.example.com?x", Some("https://gw.example.com")),
            ("blob:whatever", Some("null")),
            ("mailto:a@b", Some("null")),
            ("", None),
            ("/just/a/path", None),
            ("http:/one-slash", None),
            ("http:///no-host", None),
            ("http://host:12ab/", None),
            ("http://host:65536/", None),
        ] {
            assert_eq!(url_origin(url).as_deref(), want, "{url}");
        }
    }
}
