//! Plain HTTP for the core, no `worker` types: headers and request parts (the shell fills these
//! from `worker::Request`; tests build them by hand), byte ranges ([`range`]), conditional
//! requests ([`conditional`]) and serving user content safely ([`content_safety`]).

pub mod conditional;
pub mod content_safety;
pub mod range;

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
