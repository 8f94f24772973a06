//! A small JSON module: parse and write, for the few fields the gateway's paths need
//! (`BAGROOM_BUCKETS`, the demo API's bodies and answers, POST policies, access lines, health).
//!
//! serde_json and serde's derives cost the edge bundle about 50 KiB of wasm; this is what the
//! gateway uses of them. Objects keep their keys sorted (as serde_json's default map does), so
//! what it writes is what serde_json wrote. A number keeps its text (integers in canonical form),
//! so nothing here formats or parses floats unless asked (`as_f64`).
//! Parsing never panics: malformed input, nesting deeper than [`MAX_DEPTH`] and invalid escapes
//! are errors.

use std::fmt;

/// How deep arrays and objects may nest (serde_json's limit too).
pub const MAX_DEPTH: usize = 128;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

/// A JSON number, as its text: integers in canonical form (`-0` is `0`), other numbers as
/// written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(String);

impl Number {
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }
    pub fn as_f64(&self) -> Option<f64> {
        self.0.parse().ok()
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A JSON object: keys unique and sorted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map(Vec<(String, Value)>);

impl Map {
    pub fn new() -> Map {
        Map(Vec::new())
    }
    /// Sets `key` (replacing an earlier value, as a later duplicate key does when parsing).
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok().map(|i| &self.0[i].1)
    }
    fn get_mut_or_null(&mut self, key: &str) -> &mut Value {
        let i = match self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key.to_string(), Value::Null));
                i
            }
        };
        &mut self.0[i].1
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, Value)>, fn(&'a (String, Value)) -> (&'a String, &'a Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Into<String>> FromIterator<(K, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Map {
        let mut m = Map::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

static NULL: Value = Value::Null;

impl Value {
    /// The member `key` of an object (`None` for a missing key or a non-object).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(key),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl std::ops::Index<&str> for Value {
    type Output = Value;
    /// The member, or `null` when missing (or when this is not an object).
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

impl std::ops::IndexMut<&str> for Value {
    /// The member, inserted as `null` when missing; a non-object becomes an empty object first.
    fn index_mut(&mut self, key: &str) -> &mut Value {
        if !matches!(self, Value::Object(_)) {
            *self = Value::Object(Map::new());
        }
        match self {
            Value::Object(m) => m.get_mut_or_null(key),
            _ => unreachable!(),
        }
    }
}

impl std::ops::Index<usize> for Value {
    type Output = Value;
    /// The element, or `null` when out of range (or when this is not an array).
    fn index(&self, i: usize) -> &Value {
        self.as_array().and_then(|a| a.get(i)).unwrap_or(&NULL)
    }
}

impl PartialEq<bool> for Value {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<str> for Value {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<u64> for Value {
    fn eq(&self, other: &u64) -> bool {
        self.as_u64() == Some(*other)
    }
}

/// What can be written as JSON (by reference, as `json!` takes its values).
pub trait ToJson {
    fn to_json(&self) -> Value;
}

impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}
impl ToJson for Map {
    fn to_json(&self) -> Value {
        Value::Object(self.clone())
    }
}
impl ToJson for str {
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }
}
impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}
impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}
macro_rules! int_to_json {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Value {
                Value::Number(Number(self.to_string()))
            }
        }
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                n.to_json()
            }
        }
    )*};
}
int_to_json!(u8, u16, u32, u64, usize, i32, i64);
impl<T: ToJson + ?Sized> ToJson for &T {
    fn to_json(&self) -> Value {
        (**self).to_json()
    }
}
impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        match self {
            Some(v) => v.to_json(),
            None => Value::Null,
        }
    }
}
impl<T: ToJson> ToJson for [T] {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}
impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        self.as_slice().to_json()
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}
impl From<Vec<Value>> for Value {
    fn from(a: Vec<Value>) -> Value {
        Value::Array(a)
    }
}

/// A JSON value from Rust syntax: `json!({"a": 1, "b": [x, y], "c": {"d": null}})`.
/// Values are taken by reference ([`ToJson`]); keys are string literals; objects and arrays
/// nest; `null` is null.
#[macro_export]
macro_rules! json {
    (null) => { $crate::json::Value::Null };
    ([ $($e:tt)* ]) => {{
        #[allow(unused_mut)]
        let mut a: Vec<$crate::json::Value> = Vec::new();
        $crate::json!(@arr a $($e)*);
        $crate::json::Value::Array(a)
    }};
    ({ $($e:tt)* }) => {{
        #[allow(unused_mut)]
        let mut m = $crate::json::Map::new();
        $crate::json!(@obj m $($e)*);
        $crate::json::Value::Object(m)
    }};
    (@obj $m:ident) => {};
    (@obj $m:ident $k:literal : null $(, $($rest:tt)*)?) => {
        $m.insert($k, $crate::json::Value::Null); $( $crate::json!(@obj $m $($rest)*); )?
    };
    (@obj $m:ident $k:literal : { $($v:tt)* } $(, $($rest:tt)*)?) => {
        $m.insert($k, $crate::json!({ $($v)* })); $( $crate::json!(@obj $m $($rest)*); )?
    };
    (@obj $m:ident $k:literal : [ $($v:tt)* ] $(, $($rest:tt)*)?) => {
        $m.insert($k, $crate::json!([ $($v)* ])); $( $crate::json!(@obj $m $($rest)*); )?
    };
    (@obj $m:ident $k:literal : $v:expr $(, $($rest:tt)*)?) => {
        $m.insert($k, $crate::json::ToJson::to_json(&$v)); $( $crate::json!(@obj $m $($rest)*); )?
    };
    (@arr $a:ident) => {};
    (@arr $a:ident null $(, $($rest:tt)*)?) => {
        $a.push($crate::json::Value::Null); $( $crate::json!(@arr $a $($rest)*); )?
    };
    (@arr $a:ident { $($v:tt)* } $(, $($rest:tt)*)?) => {
        $a.push($crate::json!({ $($v)* })); $( $crate::json!(@arr $a $($rest)*); )?
    };
    (@arr $a:ident [ $($v:tt)* ] $(, $($rest:tt)*)?) => {
        $a.push($crate::json!([ $($v)* ])); $( $crate::json!(@arr $a $($rest)*); )?
    };
    (@arr $a:ident $v:expr $(, $($rest:tt)*)?) => {
        $a.push($crate::json::ToJson::to_json(&$v)); $( $crate::json!(@arr $a $($rest)*); )?
    };
    ($e:expr) => { $crate::json::ToJson::to_json(&$e) };
}

// ---------------------------------------------------------------------------------------------
// Writing

/// `s` as a JSON string literal (quotes included), escaped as serde_json escapes: `"` and `\`,
/// `\b \f \n \r \t`, other control characters as `\u00XX`; everything else as it is.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// `s` as a JSON string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_str(&mut out, s);
    out
}

impl Value {
    /// Appends the value's compact JSON text.
    pub fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Number(n) => out.push_str(&n.0),
            Value::String(s) => write_str(out, s),
            Value::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Value::Object(m) => {
                out.push('{');
                for (i, (k, v)) in m.0.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

impl fmt::Display for Value {
    /// Compact JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write(&mut s);
        f.write_str(&s)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Why a text is not JSON, and where (a byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub msg: &'static str,
    pub at: usize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.msg, self.at)
    }
}

/// Parses one JSON value (whitespace around it allowed, nothing else after it).
pub fn parse(text: &[u8]) -> Result<Value, Error> {
    let mut p = Parser { s: text, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

/// [`parse`] of a `&str`.
pub fn parse_str(text: &str) -> Result<Value, Error> {
    parse(text.as_bytes())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, msg: &'static str) -> Error {
        Error { msg, at: self.i }
    }
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.s.get(self.i) {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn lit(&mut self, word: &[u8], v: Value) -> Result<Value, Error> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("expected value"))
        }
    }
    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        self.ws();
        match self.peek() {
            None => Err(self.err("EOF while parsing a value")),
            Some(b'n') => self.lit(b"null", Value::Null),
            Some(b't') => self.lit(b"true", Value::Bool(true)),
            Some(b'f') => self.lit(b"false", Value::Bool(false)),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("recursion limit exceeded"));
                }
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Value::Array(a));
                }
                loop {
                    a.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Value::Array(a));
                        }
                        None => return Err(self.err("EOF while parsing a list")),
                        _ => return Err(self.err("expected `,` or `]`")),
                    }
                }
            }
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("recursion limit exceeded"));
                }
                self.i += 1;
                let mut m = Map::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Value::Object(m));
                }
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b'"') => {}
                        None => return Err(self.err("EOF while parsing an object")),
                        _ => return Err(self.err("key must be a string")),
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected `:`"));
                    }
                    self.i += 1;
                    let v = self.value(depth + 1)?;
                    m.insert(k, v);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Value::Object(m));
                        }
                        None => return Err(self.err("EOF while parsing an object")),
                        _ => return Err(self.err("expected `,` or `}`")),
                    }
                }
            }
            Some(_) => Err(self.err("expected value")),
        }
    }
    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }
    fn number(&mut self) -> Result<Value, Error> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        // ASCII only by construction
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("0");
        let text = if integer && text == "-0" { "0".to_string() } else { text.to_string() };
        Ok(Value::Number(Number(text)))
    }
    fn hex4(&mut self) -> Result<u32, Error> {
        let mut n = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                None => return Err(self.err("unexpected end of hex escape")),
                _ => return Err(self.err("invalid escape")),
            };
            n = n * 16 + d as u32;
            self.i += 1;
        }
        Ok(n)
    }
    /// A string literal at `self.i` (the opening quote).
    fn string(&mut self) -> Result<String, Error> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let start = self.i;
            while let Some(&b) = self.s.get(self.i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.extend_from_slice(&self.s[start..self.i]);
            match self.peek() {
                None => return Err(self.err("EOF while parsing a string")),
                Some(b'"') => {
                    self.i += 1;
                    return String::from_utf8(out).map_err(|_| Error { msg: "invalid unicode code point", at: start });
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.peek().ok_or_else(|| self.err("EOF while parsing a string"))?;
                    self.i += 1;
                    let ch = match c {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.s[self.i..].starts_with(b"\\u") {
                                    return Err(self.err("lone leading surrogate in hex escape"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("lone leading surrogate in hex escape"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or_else(|| self.err("invalid unicode code point"))?
                        }
                        _ => return Err(self.err("invalid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                Some(_) => return Err(self.err("control character (\\u0000-\\u001F) found while parsing a string")),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading typed fields out of an object (what serde's derives did for the request bodies)

/// A type read from a JSON value.
pub trait FromJson: Sized {
    fn from_json(v: &Value) -> Result<Self, String>;
}

/// The members of an object, read one by one. Errors name the field.
pub struct Fields<'a>(pub &'a Map);

impl<'a> Fields<'a> {
    /// `v` as an object; with `allowed`, any other member is an error (serde's
    /// `deny_unknown_fields`).
    pub fn of(v: &'a Value, allowed: Option<&[&str]>) -> Result<Fields<'a>, String> {
        let m = v.as_object().ok_or_else(|| "expected an object".to_string())?;
        if let Some(allowed) = allowed {
            if let Some(k) = m.keys().find(|k| !allowed.contains(k)) {
                return Err(format!("unknown field `{k}`"));
            }
        }
        Ok(Fields(m))
    }
    /// A member that may be missing or null.
    pub fn opt<T: FromJson>(&self, name: &str) -> Result<Option<T>, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => T::from_json(v).map(Some).map_err(|e| format!("field `{name}`: {e}")),
        }
    }
    /// A member that may be missing (then the default), not null (serde's `#[serde(default)]`).
    pub fn or_default<T: FromJson + Default>(&self, name: &str) -> Result<T, String> {
        match self.0.get(name) {
            None => Ok(T::default()),
            Some(v) => T::from_json(v).map_err(|e| format!("field `{name}`: {e}")),
        }
    }
    /// A member that must be there.
    pub fn req<T: FromJson>(&self, name: &str) -> Result<T, String> {
        match self.0.get(name) {
            None => Err(format!("missing field `{name}`")),
            Some(v) => T::from_json(v).map_err(|e| format!("field `{name}`: {e}")),
        }
    }
}

impl FromJson for String {
    fn from_json(v: &Value) -> Result<String, String> {
        v.as_str().map(str::to_string).ok_or_else(|| "expected a string".to_string())
    }
}
impl FromJson for bool {
    fn from_json(v: &Value) -> Result<bool, String> {
        v.as_bool().ok_or_else(|| "expected a boolean".to_string())
    }
}
impl FromJson for u64 {
    fn from_json(v: &Value) -> Result<u64, String> {
        v.as_u64().ok_or_else(|| "expected an unsigned integer".to_string())
    }
}
impl FromJson for u32 {
    fn from_json(v: &Value) -> Result<u32, String> {
        v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| "expected an unsigned 32-bit integer".to_string())
    }
}
impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Value) -> Result<Vec<T>, String> {
        let a = v.as_array().ok_or_else(|| "expected an array".to_string())?;
        a.iter().enumerate().map(|(i, e)| T::from_json(e).map_err(|m| format!("element {i}: {m}"))).collect()
    }
}
impl FromJson for Map {
    fn from_json(v: &Value) -> Result<Map, String> {
        v.as_object().cloned().ok_or_else(|| "expected an object".to_string())
    }
}
impl FromJson for Value {
    fn from_json(v: &Value) -> Result<Value, String> {
        Ok(v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Value {
        parse_str(s).unwrap()
    }

    #[test]
    fn round_trips_what_serde_json_writes() {
        for text in [
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
            r#"[]"#,
            r#"{}"#,
            r#""""#,
            r#"[1,-2,3.5,1e10,-0.25E-3]"#,
            r#"{"k":"line\nbreak \"quoted\" back\\slash tab\t \u0001 \u001f é ☃ 😀"}"#,
        ] {
            let v = p(text);
            assert_eq!(v.to_string(), text);
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            if !text.contains('.') && !text.contains('e') && !text.contains('E') {
                assert_eq!(v.to_string(), theirs.to_string(), "{text}");
            }
        }
    }

    #[test]
    fn writes_strings_as_serde_json_does() {
        let mut all = String::new();
        for c in (0u32..0x250).chain([0x2028, 0x2029, 0xfeff, 0x1f600]) {
            all.push(char::from_u32(c).unwrap());
        }
        assert_eq!(quote(&all), serde_json::to_string(&all).unwrap());
        assert_eq!(quote("a\"b\\c/d"), r#""a\"b\\c/d""#);
    }

    #[test]
    fn objects_sort_their_keys_as_serde_json_does() {
        let v = json!({"zeta": 1, "alpha": {"y": null, "b": [1, "x", {"q": true}]}, "mid": "m"});
        let theirs = serde_json::json!({"zeta": 1, "alpha": {"y": null, "b": [1, "x", {"q": true}]}, "mid": "m"});
        assert_eq!(v.to_string(), theirs.to_string());
        // a later duplicate replaces the earlier value
        assert_eq!(p(r#"{"a":1,"a":2}"#)["a"], 2u64);
    }

    #[test]
    fn decodes_escapes_and_unicode() {
        assert_eq!(p(r#""\"\\\/\b\f\n\r\t""#), Value::String("\"\\/\u{8}\u{c}\n\r\t".into()));
        assert_eq!(p(r#""\u00e9\u2603""#).as_str(), Some("é☃"));
        assert_eq!(p(r#""\ud83d\ude00""#).as_str(), Some("😀"));
        assert_eq!(p(r#""\uD83D\uDE00""#).as_str(), Some("😀"));
        assert_eq!(p("\"raw é ☃ 😀\"").as_str(), Some("raw é ☃ 😀"));
    }

    #[test]
    fn numbers() {
        assert_eq!(p("0").as_u64(), Some(0));
        assert_eq!(p("18446744073709551615").as_u64(), Some(u64::MAX));
        assert_eq!(p("18446744073709551616").as_u64(), None);
        assert_eq!(p("-5").as_i64(), Some(-5));
        assert_eq!(p("-5").as_u64(), None);
        assert_eq!(p("-0").to_string(), "0");
        assert_eq!(p("5.0").as_u64(), None, "a float is not an integer (as in serde_json)");
        assert_eq!(p("2.5").as_f64(), Some(2.5));
        assert_eq!(p("1e3").as_f64(), Some(1000.0));
        assert_eq!(json!(u64::MAX).to_string(), "18446744073709551615");
        assert_eq!(json!(-3i64).to_string(), "-3");
    }

    #[test]
    fn nesting_and_access() {
        let v = p(r#" { "a" : [ 1 , { "b" : [ [ ] , { } ] } ] , "s" : "x" } "#);
        assert_eq!(v["a"][0], 1u64);
        assert_eq!(v["a"][1]["b"][0], Value::Array(vec![]));
        assert_eq!(v["a"][1]["b"][1], Value::Object(Map::new()));
        assert_eq!(v["s"], "x");
        assert!(v["missing"].is_null());
        assert!(v["a"][9].is_null());
        assert!(v["s"]["not an object"].is_null());
        let mut w = json!({"a": 1});
        w["b"] = Value::from(true);
        w["a"] = Value::from("one");
        assert_eq!(w.to_string(), r#"{"a":"one","b":true}"#);
        let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse_str(&deep).is_ok());
        let deeper = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse_str(&deeper).unwrap_err().msg, "recursion limit exceeded");
        // far deeper than the limit: an error, not a stack overflow
        assert!(parse_str(&"{\"a\":".repeat(100_000)).is_err());
    }

    #[test]
    fn malformed_input_is_an_error_never_a_panic() {
        for bad in [
            "",
            " ",
            "nul",
            "tru",
            "[",
            "]",
            "{",
            "}",
            "[1,]",
            "[1 2]",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{a:1}",
            "{1:1}",
            "\"",
            "\"abc",
            "\"\\",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"\\udc00\"",
            "\"a\nb\"",
            "\"\t\"",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "--1",
            "1 2",
            "nulll",
            "[]]",
            "{}x",
            "\u{feff}{}",
        ] {
            assert!(parse_str(bad).is_err(), "{bad:?} parsed");
            assert!(serde_json::from_str::<serde_json::Value>(bad).is_err(), "serde_json parses {bad:?}");
        }
        // invalid UTF-8 inside a string
        assert!(parse(b"\"\xff\"").is_err());
        assert!(parse(b"[\"\xc3\"]").is_err());
        // every prefix of a valid document is an error or a value, never a panic
        let doc = r#"{"a":[1,-2.5e3,true,false,null,"x\u00e9\ud83d\ude00\n"],"b":{}}"#;
        for i in 0..doc.len() {
            let _ = parse(&doc.as_bytes()[..i]);
        }
    }

    #[test]
    fn fields() {
        let v = p(r#"{"s":"x","n":5,"b":true,"l":["a","b"],"z":null}"#);
        let f = Fields::of(&v, None).unwrap();
        assert_eq!(f.req::<String>("s").unwrap(), "x");
        assert_eq!(f.req::<u64>("n").unwrap(), 5);
        assert_eq!(f.req::<u32>("n").unwrap(), 5);
        assert_eq!(f.opt::<bool>("b").unwrap(), Some(true));
        assert_eq!(f.opt::<Vec<String>>("l").unwrap(), Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(f.opt::<String>("z").unwrap(), None);
        assert_eq!(f.opt::<String>("missing").unwrap(), None);
        assert!(f.req::<String>("missing").is_err());
        assert_eq!(f.or_default::<Vec<String>>("missing").unwrap(), Vec::<String>::new());
        assert!(f.or_default::<Vec<String>>("z").is_err(), "null is not a default");
        assert!(f.req::<String>("z").is_err());
        assert!(f.req::<u64>("s").is_err());
        assert!(f.opt::<String>("n").is_err());
        assert!(f.opt::<Vec<String>>("s").is_err());
        assert!(Fields::of(&v, Some(&["s", "n"])).is_err());
        assert!(Fields::of(&v, Some(&["s", "n", "b", "l", "z"])).is_ok());
        assert!(Fields::of(&p("[]"), None).is_err());
        assert!(p(r#"{"n":4294967296}"#).get("n").map(u32::from_json).unwrap().is_err());
        assert!(p(r#"{"n":-1}"#).get("n").map(u64::from_json).unwrap().is_err());
    }
}
