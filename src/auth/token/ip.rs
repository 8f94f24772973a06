//! A client-IP restriction: one address or a CIDR block, IPv4 or IPv6.
//!
//! Std only (no `ipnet` crate). A network is kept canonical: the host bits of the
//! address are always zero, so two equal networks have one encoding.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `2001:db8::/32`, or a single address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

fn mask_v4(a: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let bits = u32::from(a);
    let m = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix as u32) };
    Ipv4Addr::from(bits & m)
}

fn mask_v6(a: Ipv6Addr, prefix: u8) -> Ipv6Addr {
    let bits = u128::from(a);
    let m = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix as u32) };
    Ipv6Addr::from(bits & m)
}

/// `::ffff:1.2.3.4` is the IPv4 address `1.2.3.4` (dual-stack sockets report it so).
pub fn canonical_addr(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

impl IpNet {
    /// A network from an address and a prefix length; host bits are cleared.
    /// `None` if the prefix is longer than the address (32 or 128).
    pub fn new(addr: IpAddr, prefix: u8) -> Option<IpNet> {
        match addr {
            IpAddr::V4(a) if prefix <= 32 => Some(IpNet { addr: IpAddr::V4(mask_v4(a, prefix)), prefix }),
            IpAddr::V6(a) if prefix <= 128 => Some(IpNet { addr: IpAddr::V6(mask_v6(a, prefix)), prefix }),
            _ => None,
        }
    }

    /// Like [`IpNet::new`] but refuses an address with host bits set (used by the
    /// decoder, so that every network has exactly one encoding).
    pub fn new_exact(addr: IpAddr, prefix: u8) -> Option<IpNet> {
        let n = IpNet::new(addr, prefix)?;
        (n.addr == addr).then_some(n)
    }

    /// Parse `1.2.3.4`, `10.0.0.0/8`, `2001:db8::1`, `2001:db8::/32`. Host bits are
    /// cleared (`10.1.2.3/8` is `10.0.0.0/8`). An IPv4-mapped IPv6 address is
    /// taken as the IPv4 address.
    pub fn parse(s: &str) -> Result<IpNet, String> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().map_err(|_| format!("not an IP address: {a:?}"))?;
        let (addr, p) = match (addr, p) {
            // ::ffff:a.b.c.d/n with n >= 96 is an IPv4 network
            (IpAddr::V6(v6), p) if v6.to_ipv4_mapped().is_some() => {
                let v4 = IpAddr::V4(v6.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED));
                match p {
                    None => (v4, None),
                    Some(p) => {
                        let n: u8 = parse_prefix(p)?;
                        if n < 96 {
                            (IpAddr::V6(v6), Some(n))
                        } else {
                            (v4, Some(n - 96))
                        }
                    }
                }
            }
            (addr, Some(p)) => (addr, Some(parse_prefix(p)?)),
            (addr, None) => (addr, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = p.unwrap_or(max);
        IpNet::new(addr, prefix).ok_or_else(|| format!("prefix length {prefix} is too long (at most {max})"))
    }

    pub fn addr(&self) -> IpAddr {
        self.addr
    }
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Does this network contain the address? IPv4-mapped IPv6 addresses count as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical_addr(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => mask_v4(a, self.prefix) == n,
            (IpAddr::V6(n), IpAddr::V6(a)) => mask_v6(a, self.prefix) == n,
            _ => false,
        }
    }

    /// Is `other` entirely inside this network?
    pub fn contains_net(&self, other: &IpNet) -> bool {
        other.prefix >= self.prefix && self.addr.is_ipv4() == other.addr.is_ipv4() && self.contains(other.addr)
    }
}

fn parse_prefix(p: &str) -> Result<u8, String> {
    if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad prefix length: {p:?}"));
    }
    p.parse().map_err(|_| format!("bad prefix length: {p:?}"))
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_canonicalises() {
        assert_eq!(IpNet::parse("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(IpNet::parse("1.2.3.4").unwrap().to_string(), "1.2.3.4/32");
        assert_eq!(IpNet::parse("2001:db8::1/32").unwrap().to_string(), "2001:db8::/32");
        assert_eq!(IpNet::parse("::ffff:10.0.0.1").unwrap().to_string(), "10.0.0.1/32");
        assert_eq!(IpNet::parse("::ffff:10.0.0.0/104").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(IpNet::parse("0.0.0.0/0").unwrap().to_string(), "0.0.0.0/0");
        for bad in ["", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "::/129", "x", "10.0.0/8", "1.2.3.4/+8", "1.2.3.4/0008"] {
            assert!(IpNet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn containment() {
        let n = IpNet::parse("10.0.0.0/8").unwrap();
        assert!(n.contains(ip("10.255.0.1")));
        assert!(n.contains(ip("::ffff:10.1.1.1")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(!n.contains(ip("::1")));
        let v6 = IpNet::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")));
        assert!(!v6.contains(ip("2001:db9::5")));
        assert!(!v6.contains(ip("10.0.0.1")));
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(n.contains_net(&IpNet::parse("10.2.0.0/16").unwrap()));
        assert!(!n.contains_net(&IpNet::parse("0.0.0.0/0").unwrap()));
        assert!(!n.contains_net(&IpNet::parse("::/0").unwrap()));
        assert!(IpNet::new_exact(ip("10.0.0.1"), 8).is_none());
        assert!(IpNet::new_exact(ip("10.0.0.0"), 8).is_some());
    }
}
