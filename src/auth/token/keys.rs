//! The token signing keys: several `(kid, secret)` pairs valid at once, so a key
//! can be rotated without breaking tokens already handed out. The first key signs
//! new tokens; all of them verify.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::claims::{limits, valid_kid};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Shortest secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

struct Key {
    kid: String,
    secret: Vec<u8>,
    /// HMAC with the key already absorbed (inner and outer pads hashed once), cloned
    /// per use: saves two SHA-256 blocks on every mint and verify.
    mac: HmacSha256,
}

/// Several `(kid, secret)` pairs. `Debug` shows the key ids only.
#[derive(Clone)]
pub struct TokenKeys {
    keys: Vec<Key>,
}

impl Clone for Key {
    fn clone(&self) -> Self {
        Key { kid: self.kid.clone(), secret: self.secret.clone(), mac: self.mac.clone() }
    }
}

impl TokenKeys {
    /// Parse `kid1:secret1,kid2:secret2`. A kid is 1..=32 characters of
    /// `A-Z a-z 0-9 . _ -`; a secret is the raw string after the first `:` (it may
    /// contain `:` but not `,`), at least 16 bytes. Spaces around items are trimmed.
    /// The first key signs; key ids must be unique. Errors never echo a secret.
    pub fn parse(spec: &str) -> Result<TokenKeys, String> {
        let mut pairs = Vec::new();
        for (i, item) in spec.split(',').map(str::trim).enumerate() {
            if item.is_empty() {
                continue;
            }
            let Some((kid, secret)) = item.split_once(':') else {
                return Err(format!("token key #{}: expected kid:secret", i + 1));
            };
            let kid = kid.trim();
            if !valid_kid(kid) {
                return Err(format!("token key #{}: key id must be 1..={} characters of A-Z a-z 0-9 . _ -", i + 1, limits::KID_MAX));
            }
            pairs.push((kid.to_string(), secret.as_bytes().to_vec()));
        }
        TokenKeys::from_pairs(pairs)
    }

    /// From `(kid, secret)` pairs, first = signing key.
    pub fn from_pairs(pairs: Vec<(String, Vec<u8>)>) -> Result<TokenKeys, String> {
        if pairs.is_empty() {
            return Err("no token keys given (expected kid:secret[,kid:secret...])".into());
        }
        let mut keys: Vec<Key> = Vec::with_capacity(pairs.len());
        for (kid, secret) in pairs {
            if !valid_kid(&kid) {
                return Err(format!("token key {kid:?}: key id must be 1..={} characters of A-Z a-z 0-9 . _ -", limits::KID_MAX));
            }
            if secret.len() < MIN_SECRET_LEN {
                return Err(format!("token key {kid:?}: secret is {} bytes, at least {MIN_SECRET_LEN} are required", secret.len()));
            }
            if keys.iter().any(|k| k.kid == kid) {
                return Err(format!("token key {kid:?} is given twice"));
            }
            let mac = HmacSha256::new_from_slice(&secret).map_err(|_| "bad HMAC key".to_string())?;
            keys.push(Key { kid, secret, mac });
        }
        Ok(TokenKeys { keys })
    }

    /// The key id new tokens are signed with (the first one).
    pub fn signing_kid(&self) -> Option<&str> {
        self.keys.first().map(|k| k.kid.as_str())
    }

    /// The secret of a key id.
    pub fn get(&self, kid: &str) -> Option<&[u8]> {
        self.keys.iter().find(|k| k.kid == kid).map(|k| k.secret.as_slice())
    }

    /// All key ids, signing key first.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.kid.as_str())
    }

    /// A fresh HMAC-SHA256 keyed with this key id's secret.
    pub(crate) fn mac(&self, kid: &str) -> Option<HmacSha256> {
        self.keys.iter().find(|k| k.kid == kid).map(|k| k.mac.clone())
    }
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeys").field("kids", &self.kids().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_several_keys_first_signs() {
        let k = TokenKeys::parse(" k2:0123456789abcdef0123 , k1:another:secret-with-colons ").unwrap();
        assert_eq!(k.signing_kid(), Some("k2"));
        assert_eq!(k.get("k1"), Some(&b"another:secret-with-colons"[..]));
        assert_eq!(k.get("k3"), None);
        assert_eq!(k.kids().collect::<Vec<_>>(), ["k2", "k1"]);
    }

    #[test]
    fn rejects_bad_specs_without_echoing_secrets() {
        let e = TokenKeys::parse("k1:short-secret").unwrap_err();
        assert!(e.contains("at least 16"), "{e}");
        assert!(!e.contains("short-secret"));
        assert!(TokenKeys::parse("").unwrap_err().contains("no token keys"));
        assert!(TokenKeys::parse("nocolon0123456789abcdef").unwrap_err().contains("kid:secret"));
        assert!(TokenKeys::parse("bad kid:0123456789abcdef").is_err());
        assert!(TokenKeys::parse("a:0123456789abcdef,a:0123456789abcdefg").unwrap_err().contains("twice"));
        let dbg = format!("{:?}", TokenKeys::parse("k1:0123456789abcdef-secret").unwrap());
        assert!(dbg.contains("k1") && !dbg.contains("secret\""), "{dbg}");
        assert!(!dbg.contains("0123456789abcdef"));
    }
}
