//! `bagroom-token`: mint, inspect and verify bagroom share tokens.
//!
//! ```text
//! bagroom-token mint    --keys kid:secret --bucket demo (--key K | --prefix P) --methods GET,HEAD --ttl 3600 ...
//! bagroom-token inspect TOKEN
//! bagroom-token verify  TOKEN --keys kid:secret --method GET --bucket demo --key K
//! ```
//! `mint` prints only the token on stdout (scripts capture it). Keys come from
//! `--keys` or the environment variable `BAGROOM_TOKEN_KEYS`. Exit status: 0 ok,
//! 1 verification failed or bad input, 2 usage error.

use std::collections::HashMap;
use std::io::Read;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use bagroom::auth::token::{self, claims::from_hex, Access, Claims, IpNet, Method, Methods, Scope, TokenKeys};

const USAGE: &str = "\
usage:
  bagroom-token mint [--keys KID:SECRET[,...]] [--kid KID] [--bucket NAME]
                     (--key KEY | --prefix PREFIX) [--methods GET,HEAD,...]
                     [--ttl SECS | --exp UNIX] [--nbf UNIX] [--ip ADDR[/LEN]]
                     [--max-bytes N] [--content-type TYPE[,TYPE...]]... [--no-overwrite]
                     [--id HEX] [--now UNIX]
      prints the token (and nothing else) on stdout
  bagroom-token inspect TOKEN
      prints the claims as JSON, WITHOUT checking the signature
  bagroom-token verify TOKEN [--keys ...] --method METHOD [--bucket NAME]
                     (--key KEY | --prefix PREFIX) [--ip ADDR] [--revoked HEX[,HEX...]]
                     [--now UNIX]
      prints OK (exit 0) or the failed check, e.g. `AccessDenied: token expired` (exit 1)

  TOKEN may be `-` to read it from stdin.
  --keys defaults to $BAGROOM_TOKEN_KEYS; the first key signs.
  Methods: GET HEAD PUT POST DELETE LIST SHARE (SHARE = may mint narrower tokens).
  --prefix \"\" is the whole bucket; --bucket \"\" (default for mint) is any bucket.
  --ttl defaults to 3600; --id defaults to 8 random bytes; --nbf defaults to none (0).";

enum Fail {
    Usage(String),
    Error(String),
    /// `verify` said no: the reason goes to stdout, like `OK` would.
    Denied(String),
}

impl From<String> for Fail {
    fn from(s: String) -> Fail {
        Fail::Error(s)
    }
}

fn usage(msg: impl Into<String>) -> Fail {
    Fail::Usage(msg.into())
}

/// Flags with values, switches, and positional arguments.
struct Args {
    values: HashMap<String, Vec<String>>,
    switches: Vec<String>,
    positional: Vec<String>,
}

const SWITCHES: &[&str] = &["no-overwrite", "help"];

impl Args {
    fn parse(argv: &[String], allowed: &[&str]) -> Result<Args, Fail> {
        let mut a = Args { values: HashMap::new(), switches: Vec::new(), positional: Vec::new() };
        let mut it = argv.iter();
        while let Some(arg) = it.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                a.positional.push(arg.clone());
                continue;
            };
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (flag, None),
            };
            if SWITCHES.contains(&name) && (name == "help" || allowed.contains(&name)) {
                if inline.is_some() {
                    return Err(usage(format!("--{name} takes no value")));
                }
                a.switches.push(name.to_string());
                continue;
            }
            if !allowed.contains(&name) {
                return Err(usage(format!("unknown option --{name}")));
            }
            let value = match inline {
                Some(v) => v,
                None => it.next().cloned().ok_or_else(|| usage(format!("--{name} needs a value")))?,
            };
            a.values.entry(name.to_string()).or_default().push(value);
        }
        Ok(a)
    }

    fn one(&self, name: &str) -> Result<Option<&str>, Fail> {
        match self.values.get(name).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([v]) => Ok(Some(v.as_str())),
            Some(_) => Err(usage(format!("--{name} given more than once"))),
        }
    }

    fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    fn u64(&self, name: &str) -> Result<Option<u64>, Fail> {
        self.one(name)?
            .map(|v| v.trim().parse::<u64>().map_err(|_| usage(format!("--{name}: not a non-negative integer: {v:?}"))))
            .transpose()
    }

    fn now(&self) -> Result<u64, Fail> {
        match self.u64("now")? {
            Some(n) => Ok(n),
            None => Ok(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)),
        }
    }

    fn keys(&self) -> Result<TokenKeys, Fail> {
        let spec = match self.one("keys")? {
            Some(s) => s.to_string(),
            None => std::env::var("BAGROOM_TOKEN_KEYS").map_err(|_| usage("no keys: pass --keys KID:SECRET or set BAGROOM_TOKEN_KEYS"))?,
        };
        Ok(TokenKeys::parse(&spec)?)
    }

    /// `--key K` or `--prefix P`, exactly one.
    fn scope(&self) -> Result<Scope, Fail> {
        match (self.one("key")?, self.one("prefix")?) {
            (Some(k), None) => Ok(Scope::Exact(k.to_string())),
            (None, Some(p)) => Ok(Scope::Prefix(p.to_string())),
            (Some(_), Some(_)) => Err(usage("give --key or --prefix, not both")),
            (None, None) => Err(usage("give --key KEY or --prefix PREFIX (--prefix \"\" = whole bucket)")),
        }
    }

    fn token(&self) -> Result<String, Fail> {
        match self.positional.as_slice() {
            [t] if t == "-" => {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s).map_err(|e| format!("reading stdin: {e}"))?;
                Ok(s.trim().to_string())
            }
            [t] => Ok(t.trim().to_string()),
            [] => Err(usage("missing TOKEN")),
            _ => Err(usage("expected one TOKEN")),
        }
    }
}

fn random_id() -> Result<Vec<u8>, String> {
    let mut f = std::fs::File::open("/dev/urandom").map_err(|e| format!("opening /dev/urandom: {e}"))?;
    let mut b = vec![0u8; 8];
    f.read_exact(&mut b).map_err(|e| format!("reading /dev/urandom: {e}"))?;
    Ok(b)
}

fn mint(argv: &[String]) -> Result<(), Fail> {
    let a = Args::parse(
        argv,
        &[
            "keys",
            "kid",
            "bucket",
            "key",
            "prefix",
            "methods",
            "ttl",
            "exp",
            "nbf",
            "ip",
            "max-bytes",
            "content-type",
            "no-overwrite",
            "id",
            "now",
        ],
    )?;
    if !a.positional.is_empty() {
        return Err(usage(format!("unexpected argument {:?}", a.positional[0])));
    }
    let keys = a.keys()?;
    let kid = match a.one("kid")? {
        Some(k) if keys.get(k).is_none() => return Err(Fail::Error(format!("--kid {k:?} is not among the keys"))),
        Some(k) => k.to_string(),
        None => keys.signing_kid().unwrap_or_default().to_string(),
    };
    let now = a.now()?;
    let exp = match (a.u64("ttl")?, a.u64("exp")?) {
        (Some(_), Some(_)) => return Err(usage("give --ttl or --exp, not both")),
        (Some(ttl), None) => now.checked_add(ttl).ok_or_else(|| usage("--ttl too large"))?,
        (None, Some(exp)) => exp,
        (None, None) => now + 3600,
    };
    let methods = Methods::parse(a.one("methods")?.unwrap_or("GET,HEAD")).map_err(Fail::Usage)?;
    if methods.is_empty() {
        return Err(usage("--methods is empty"));
    }
    let mut claims = Claims::new(&kid, exp, methods, a.one("bucket")?.unwrap_or(""), a.scope()?);
    claims.nbf = a.u64("nbf")?.unwrap_or(0);
    claims.ip = a.one("ip")?.map(|s| IpNet::parse(s).map_err(|e| usage(format!("--ip: {e}")))).transpose()?;
    claims.max_bytes = a.u64("max-bytes")?;
    claims.content_types =
        a.all("content-type").iter().flat_map(|v| v.split(',')).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    claims.no_overwrite = a.switch("no-overwrite");
    claims.jti = match a.one("id")? {
        Some(h) => from_hex(h.trim()).ok_or_else(|| usage(format!("--id: not hex: {h:?}")))?,
        None => random_id()?,
    };
    if exp <= now {
        eprintln!("bagroom-token: warning: the token is already expired (exp {exp} <= now {now})");
    }
    if let Scope::Prefix(p) = &claims.scope {
        if !p.is_empty() && !p.ends_with('/') {
            eprintln!("bagroom-token: note: prefix {p:?} does not end with '/': it also reaches e.g. {:?}", format!("{p}-other/x"));
        }
    }
    let t = token::mint(&claims, &keys).map_err(|e| Fail::Error(e.message))?;
    println!("{t}");
    Ok(())
}

fn inspect(argv: &[String]) -> Result<(), Fail> {
    let a = Args::parse(argv, &[])?;
    let t = a.token()?;
    let c = token::decode_unverified(&t).map_err(|e| Fail::Error(e.message))?;
    let json = serde_json::to_string_pretty(&c.to_json()).map_err(|e| e.to_string())?;
    println!("{json}");
    eprintln!("bagroom-token: signature NOT checked (use `verify`)");
    Ok(())
}

fn verify(argv: &[String]) -> Result<(), Fail> {
    let a = Args::parse(argv, &["keys", "method", "bucket", "key", "prefix", "ip", "revoked", "now"])?;
    let t = a.token()?;
    let keys = a.keys()?;
    let method = a.one("method")?.ok_or_else(|| usage("give --method (GET HEAD PUT POST DELETE LIST SHARE)"))?;
    let method = Method::parse(method).ok_or_else(|| usage(format!("unknown method {method:?}")))?;
    let scope = a.scope()?;
    let revoked = a.all("revoked").iter().map(|r| token::parse_revoked(r)).collect::<Result<Vec<_>, _>>().map_err(Fail::Usage)?.concat();
    let access = Access { method, bucket: a.one("bucket")?.unwrap_or(""), key: scope.value(), client_ip: a.one("ip")?, now: a.now()? };
    match token::verify(&t, &keys, &revoked, &access) {
        Ok(_) => {
            println!("OK");
            Ok(())
        }
        Err(e) => Err(Fail::Denied(format!("{}: {}", e.code, e.message))),
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match argv.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("help", &[][..]),
    };
    if rest.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let r = match cmd {
        "mint" => mint(rest),
        "inspect" => inspect(rest),
        "verify" => verify(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(usage(format!("unknown command {other:?}"))),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail::Usage(m)) => {
            eprintln!("bagroom-token: {m}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Fail::Error(m)) => {
            eprintln!("bagroom-token: {m}");
            ExitCode::from(1)
        }
        Err(Fail::Denied(m)) => {
            println!("{m}");
            ExitCode::from(1)
        }
    }
}
