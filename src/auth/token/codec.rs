//! The v1 binary layout and its framing (see `docs/token-format.md`).
//!
//! ```text
//! token  = base64url-nopad( header | body | tag )
//! header = version:u8 (=1) | kid_len:u8 | kid
//! body   = exp:u64 | nbf:u64 | methods:u8 | flags:u8
//!        | bucket_len:u8 | bucket | scope_len:u16 | scope
//!        | [ family:u8 (4|6) | addr:4|16 bytes | prefix:u8 ]   if flags.IP
//!        | [ max_bytes:u64 ]                                   if flags.MAX_BYTES
//!        | ct_count:u8 | { ct_len:u8 | ct }*
//!        | jti_len:u8 | jti
//! tag    = HMAC-SHA256(secret[kid], header | body)[..16]
//! ```
//! Integers are big-endian, fixed width; strings are length-prefixed UTF-8. No
//! delimiter exists that a value could contain, every field has exactly one
//! encoding (unknown flag bits, trailing bytes, non-canonical networks and
//! non-canonical base64 are all rejected), so one token string has one meaning.

use hmac::Mac;

use super::claims::{Claims, Methods, Scope};
use super::ip::IpNet;
use super::keys::TokenKeys;
use crate::S3Error;

/// The only version this code reads and writes.
pub const VERSION: u8 = 1;
/// Bytes of HMAC-SHA256 kept (128 bits).
pub const TAG_LEN: usize = 16;
/// Longest token string looked at (the largest valid v1 token is ~4.7 KB).
pub const MAX_TOKEN_LEN: usize = 8192;

/// `flags` bits.
pub const FLAG_NO_OVERWRITE: u8 = 1;
pub const FLAG_IP: u8 = 2;
pub const FLAG_MAX_BYTES: u8 = 4;
pub const FLAG_PREFIX: u8 = 8;
const FLAGS_KNOWN: u8 = FLAG_NO_OVERWRITE | FLAG_IP | FLAG_MAX_BYTES | FLAG_PREFIX;

pub(crate) fn malformed() -> S3Error {
    S3Error::access_denied("malformed token")
}

/// `header | body`: the bytes the MAC covers. Fails if the claims break a limit.
pub fn signed_bytes(claims: &Claims) -> Result<Vec<u8>, String> {
    claims.validate()?;
    let mut out = Vec::with_capacity(64 + claims.kid.len() + claims.bucket.len() + claims.scope.value().len());
    out.push(VERSION);
    out.push(claims.kid.len() as u8);
    out.extend_from_slice(claims.kid.as_bytes());
    encode_body(claims, &mut out);
    Ok(out)
}

/// The body alone (what `docs/token-format.md` calls the serialised claims).
/// The claims must be valid (see [`Claims::validate`]).
pub fn encode_body(c: &Claims, out: &mut Vec<u8>) {
    out.extend_from_slice(&c.exp.to_be_bytes());
    out.extend_from_slice(&c.nbf.to_be_bytes());
    out.push(c.methods.bits());
    let mut flags = 0;
    if c.no_overwrite {
        flags |= FLAG_NO_OVERWRITE;
    }
    if c.ip.is_some() {
        flags |= FLAG_IP;
    }
    if c.max_bytes.is_some() {
        flags |= FLAG_MAX_BYTES;
    }
    if matches!(c.scope, Scope::Prefix(_)) {
        flags |= FLAG_PREFIX;
    }
    out.push(flags);
    out.push(c.bucket.len() as u8);
    out.extend_from_slice(c.bucket.as_bytes());
    let scope = c.scope.value();
    out.extend_from_slice(&(scope.len() as u16).to_be_bytes());
    out.extend_from_slice(scope.as_bytes());
    if let Some(net) = c.ip {
        match net.addr() {
            std::net::IpAddr::V4(a) => {
                out.push(4);
                out.extend_from_slice(&a.octets());
            }
            std::net::IpAddr::V6(a) => {
                out.push(6);
                out.extend_from_slice(&a.octets());
            }
        }
        out.push(net.prefix());
    }
    if let Some(m) = c.max_bytes {
        out.extend_from_slice(&m.to_be_bytes());
    }
    out.push(c.content_types.len() as u8);
    for ct in &c.content_types {
        out.push(ct.len() as u8);
        out.extend_from_slice(ct.as_bytes());
    }
    out.push(c.jti.len() as u8);
    out.extend_from_slice(&c.jti);
}

/// Sign: `base64url(header | body | tag)` with the key `claims.kid`.
pub fn encode(claims: &Claims, keys: &TokenKeys) -> Result<String, S3Error> {
    let mut mac = keys.mac(&claims.kid).ok_or_else(|| S3Error::invalid_argument(format!("unknown token key id {:?}", claims.kid)))?;
    let mut bytes = signed_bytes(claims).map_err(S3Error::invalid_argument)?;
    mac.update(&bytes);
    bytes.extend_from_slice(&mac.finalize().into_bytes()[..TAG_LEN]);
    Ok(crate::encoding::base64::encode_url(bytes))
}

/// A token split into its parts, nothing checked but the framing.
pub(crate) struct Frame {
    bytes: Vec<u8>,
    kid_end: usize,
}

impl Frame {
    pub(crate) fn kid(&self) -> &str {
        // checked in `split`
        std::str::from_utf8(&self.bytes[2..self.kid_end]).unwrap_or("")
    }
    pub(crate) fn signed(&self) -> &[u8] {
        &self.bytes[..self.bytes.len() - TAG_LEN]
    }
    pub(crate) fn body(&self) -> &[u8] {
        &self.bytes[self.kid_end..self.bytes.len() - TAG_LEN]
    }
    pub(crate) fn tag(&self) -> &[u8] {
        &self.bytes[self.bytes.len() - TAG_LEN..]
    }
    /// Decode the body (after the MAC was checked, or for inspection).
    pub(crate) fn claims(&self) -> Result<Claims, S3Error> {
        decode_body(self.kid(), self.body()).ok_or_else(malformed)
    }
}

/// base64url and framing: version, kid, a body, a tag.
pub(crate) fn split(token: &str) -> Result<Frame, S3Error> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(malformed());
    }
    let bytes = crate::encoding::base64::decode_url(token.as_bytes()).ok_or_else(malformed)?;
    if bytes.len() < 2 || bytes[0] != VERSION {
        return Err(if bytes.first().is_some_and(|v| *v != VERSION) {
            S3Error::access_denied("malformed token (unsupported version)")
        } else {
            malformed()
        });
    }
    let kid_end = 2 + bytes[1] as usize;
    if bytes.len() < kid_end + TAG_LEN {
        return Err(malformed());
    }
    match std::str::from_utf8(&bytes[2..kid_end]) {
        Ok(kid) if super::claims::valid_kid(kid) => {}
        _ => return Err(malformed()),
    }
    Ok(Frame { bytes, kid_end })
}

/// A cursor over the body; every read is bounds-checked.
struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.b.len() < n {
            return None;
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Some(h)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    fn str(&mut self, n: usize) -> Option<String> {
        std::str::from_utf8(self.take(n)?).ok().map(str::to_string)
    }
}

/// Parse a body; `None` on anything but a canonical, valid encoding.
pub fn decode_body(kid: &str, body: &[u8]) -> Option<Claims> {
    let mut r = Reader { b: body };
    let exp = r.u64()?;
    let nbf = r.u64()?;
    let methods = Methods::from_bits(r.u8()?)?;
    let flags = r.u8()?;
    if flags & !FLAGS_KNOWN != 0 {
        return None;
    }
    let n = r.u8()? as usize;
    let bucket = r.str(n)?;
    let n = r.u16()? as usize;
    let scope = r.str(n)?;
    let scope = if flags & FLAG_PREFIX != 0 { Scope::Prefix(scope) } else { Scope::Exact(scope) };
    let ip = if flags & FLAG_IP != 0 {
        let addr: std::net::IpAddr = match r.u8()? {
            4 => <[u8; 4]>::try_from(r.take(4)?).ok()?.into(),
            6 => <[u8; 16]>::try_from(r.take(16)?).ok()?.into(),
            _ => return None,
        };
        Some(IpNet::new_exact(addr, r.u8()?)?)
    } else {
        None
    };
    let max_bytes = if flags & FLAG_MAX_BYTES != 0 { Some(r.u64()?) } else { None };
    let count = r.u8()? as usize;
    if count > super::claims::limits::CONTENT_TYPES_MAX {
        return None;
    }
    let mut content_types = Vec::with_capacity(count);
    for _ in 0..count {
        let n = r.u8()? as usize;
        content_types.push(r.str(n)?);
    }
    let n = r.u8()? as usize;
    let jti = r.take(n)?.to_vec();
    if !r.b.is_empty() {
        return None;
    }
    let claims = Claims {
        kid: kid.to_string(),
        exp,
        nbf,
        methods,
        bucket,
        scope,
        ip,
        max_bytes,
        content_types,
        no_overwrite: flags & FLAG_NO_OVERWRITE != 0,
        jti,
    };
    claims.validate().ok()?;
    Some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::parse("k1:0123456789abcdef0123456789abcdef").unwrap()
    }

    fn full() -> Claims {
        Claims {
            kid: "k1".into(),
            exp: u64::MAX,
            nbf: 1,
            methods: Methods::ALL,
            bucket: "b".repeat(255),
            scope: Scope::Prefix("é/".repeat(341)),
            ip: Some(IpNet::parse("2001:db8::/48").unwrap()),
            max_bytes: Some(0),
            content_types: vec!["image/*".into(); 16],
            no_overwrite: true,
            jti: vec![0xff; 32],
        }
    }

    #[test]
    fn body_round_trips() {
        for c in [full(), Claims::new("k1", 0, Methods::NONE, "", Scope::Exact(String::new()))] {
            let b = signed_bytes(&c).unwrap();
            let t = encode(&c, &keys()).unwrap();
            let f = split(&t).unwrap();
            assert_eq!(f.signed(), &b[..]);
            assert_eq!(f.claims().unwrap(), c);
        }
    }

    #[test]
    fn rejects_trailing_bytes_unknown_flags_and_host_bits() {
        let c = full();
        let mut body = Vec::new();
        encode_body(&c, &mut body);
        assert!(decode_body("k1", &body).is_some());
        let mut t = body.clone();
        t.push(0);
        assert!(decode_body("k1", &t).is_none());
        let mut f = body.clone();
        f[17] |= 0x10;
        assert!(decode_body("k1", &f).is_none());
        let mut m = body.clone();
        m[16] = 0x80;
        assert!(decode_body("k1", &m).is_none());
        // every truncation fails
        for n in 0..body.len() {
            assert!(decode_body("k1", &body[..n]).is_none(), "{n}");
        }
        // an IPv4 network with host bits set
        let mut c4 = Claims::new("k1", 1, Methods::GET, "", Scope::Exact("k".into()));
        c4.ip = Some(IpNet::parse("10.0.0.0/8").unwrap());
        let mut b4 = Vec::new();
        encode_body(&c4, &mut b4);
        let at = b4.iter().position(|&x| x == 4).unwrap();
        b4[at + 4] = 1; // 10.0.0.1/8
        assert!(decode_body("k1", &b4).is_none());
    }

    #[test]
    fn largest_token_fits_the_input_limit() {
        let t = encode(&full(), &keys()).unwrap();
        assert!(t.len() <= MAX_TOKEN_LEN, "{}", t.len());
    }

    #[test]
    fn framing_errors() {
        for bad in ["", "A", "AQ", "!!!!", "AQJrMQ", "AgJrMQAAAAAAAAAAAAAAAAAAAAAAAAA"] {
            assert_eq!(split(bad).err().map(|e| e.status), Some(403), "{bad}");
        }
        assert!(split("AgJrMQAAAAAAAAAAAAAAAAAAAAAAAAA").err().unwrap().message.contains("version"));
        assert!(split(&"A".repeat(MAX_TOKEN_LEN + 4)).is_err());
    }
}
