//! What the access logs say the edge cache is worth: `bagroom-report` reads access lines (as the
//! worker writes them, or inside `wrangler tail --format json` events, or a JSON array of either)
//! and adds them up: requests, hit ratio, bytes served from the edge and from the store, store
//! requests made and avoided, and what that saves at the store's prices.

use super::AccessRecord;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Bytes in a billed GB: AWS bills data transfer in binary gigabytes (2^30 bytes).
pub const GB: f64 = 1_073_741_824.0;

/// The store's prices, in dollars.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prices {
    /// Data transfer out, per GB (AWS S3 standard, first 10 TB: $0.09).
    pub egress_per_gb: f64,
    /// GET (and HEAD) requests, per 1,000 (AWS S3 standard: $0.0004).
    pub get_per_1000: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices { egress_per_gb: 0.09, get_per_1000: 0.0004 }
    }
}

/// `bagroom-report`'s command line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Options {
    /// Files to read (`-` or none: standard input).
    pub files: Vec<String>,
    pub json: bool,
    pub prices: Prices,
    pub help: bool,
}

/// The usage text.
pub const USAGE: &str = "\
usage: bagroom-report [FILE...] [--json] [--egress-per-gb DOLLARS] [--get-per-1000 DOLLARS]
  Reads bagroom's access log lines (one JSON object a line, as the worker writes them to the
  console), or `wrangler tail --format json` output, from FILEs or standard input (`-` or none),
  and prints requests, hit ratio, bytes served from the edge and from the store, store requests
  made and avoided, and what that saved at the store's prices.
  --egress-per-gb   data transfer out, dollars per GB (2^30 bytes); default 0.09 (AWS S3)
  --get-per-1000    GET requests, dollars per 1,000; default 0.0004 (AWS S3 standard)
  --json            one JSON object instead of text";

impl Options {
    /// Parse the arguments (without the program name).
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                _ => (a.as_str(), None),
            };
            match name {
                "--json" | "--help" | "-h" if inline.is_none() => {
                    if name == "--json" {
                        o.json = true
                    } else {
                        o.help = true
                    }
                }
                "--egress-per-gb" | "--get-per-1000" => {
                    let v = inline.or_else(|| it.next().cloned()).ok_or_else(|| format!("{name} needs a value"))?;
                    let price = v.trim().parse::<f64>().ok().filter(|p| p.is_finite() && *p >= 0.0);
                    let price = price.ok_or_else(|| format!("{name}: {v:?} is not a price in dollars"))?;
                    if name == "--egress-per-gb" {
                        o.prices.egress_per_gb = price
                    } else {
                        o.prices.get_per_1000 = price
                    }
                }
                "-" => o.files.push(a.clone()),
                n if n.starts_with('-') => return Err(format!("unknown option {a:?}")),
                _ => o.files.push(a.clone()),
            }
        }
        Ok(o)
    }
}

/// Access records found in some text, and how many other non-blank lines it had.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    pub records: Vec<AccessRecord>,
    pub other_lines: u64,
}

/// Find the access records in `text`: JSON values anywhere in it (a line may carry a prefix before
/// its `{`; a value may span lines, as `wrangler tail --format json` prints them), each an access
/// record, a tail event (`{"logs": [{"message": ["<line>", ...]}, ...]}`), a Workers Logs event
/// (`{"source": {...}}`) or an array of those. Lines that are not JSON are counted and skipped.
pub fn parse(text: &str) -> Parsed {
    let mut out = Parsed::default();
    scan(text, &mut out, 0);
    out
}

fn scan(text: &str, out: &mut Parsed, depth: u8) {
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..line_end];
        // the first `{` or `[` of the line where a JSON value starts
        let found = line.match_indices(['{', '[']).find_map(|(i, _)| {
            let mut values = serde_json::Deserializer::from_str(&text[pos + i..]).into_iter::<Value>();
            match values.next() {
                Some(Ok(v)) => Some((v, pos + i + values.byte_offset())),
                _ => None,
            }
        });
        match found {
            Some((v, end)) => {
                if !take(&v, out, depth) {
                    out.other_lines += 1;
                }
                pos = end;
            }
            None => {
                if !line.trim().is_empty() {
                    out.other_lines += 1;
                }
                pos = line_end;
            }
        }
    }
}

/// Take the records in one JSON value; false if it holds none.
fn take(v: &Value, out: &mut Parsed, depth: u8) -> bool {
    if depth > 4 {
        return false;
    }
    if let Some(r) = AccessRecord::from_value(v) {
        out.records.push(r);
        return true;
    }
    let before = out.records.len();
    match v {
        Value::Array(items) => {
            for item in items {
                take(item, out, depth + 1);
            }
        }
        Value::Object(o) => {
            if let Some(Value::Array(logs)) = o.get("logs") {
                for log in logs {
                    let messages = match log.get("message") {
                        Some(Value::Array(m)) => m.as_slice(),
                        Some(m) => std::slice::from_ref(m),
                        None => &[],
                    };
                    for m in messages {
                        match m {
                            Value::String(s) => {
                                let mut inner = Parsed::default();
                                scan(s, &mut inner, depth + 1);
                                out.records.append(&mut inner.records);
                            }
                            other => {
                                take(other, out, depth + 1);
                            }
                        }
                    }
                }
            }
            if let Some(source) = o.get("source") {
                take(source, out, depth + 1);
            }
        }
        _ => {}
    }
    out.records.len() > before
}

/// Dollars saved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Saved {
    /// The body bytes the edge served that the store did not send, at `egress_per_gb`.
    pub egress_usd: f64,
    /// The store requests edge answers did not make, at `get_per_1000`.
    pub requests_usd: f64,
    pub total_usd: f64,
}

/// The sums `bagroom-report` prints.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub requests: u64,
    /// Non-blank input lines that held no access record.
    pub other_lines: u64,
    /// Requests by status class (`2xx`, `3xx`, `4xx`, `5xx`).
    pub status: BTreeMap<String, u64>,
    pub operations: BTreeMap<String, u64>,
    pub credentials: BTreeMap<String, u64>,
    /// GET/HEAD answers by `x-bagroom-cache` label.
    pub cache: BTreeMap<String, u64>,
    /// GET/HEAD answers the edge cache could have served (a label other than `BYPASS`).
    pub cacheable: u64,
    /// Of those, the ones it served: `HIT`, `REVALIDATED`, `STALE`.
    pub edge_answers: u64,
    /// `edge_answers / cacheable`, `None` without cacheable requests.
    pub hit_ratio: Option<f64>,
    /// Body bytes of every answer whose length was known.
    pub bytes_sent: u64,
    /// Answers whose length was not known (streams without `Content-Length`).
    pub bytes_sent_unknown: u64,
    /// Body bytes of the answers the edge served.
    pub edge_bytes: u64,
    /// Body bytes the store sent (every answer).
    pub store_bytes: u64,
    /// Of the edge's answers' bytes, those the store did not send (`edge_bytes` less what
    /// revalidations fetched): egress saved.
    pub egress_saved_bytes: u64,
    pub store_requests: u64,
    /// Edge answers that made no store request at all.
    pub store_requests_avoided: u64,
    pub prices: Prices,
    pub saved: Saved,
}

/// Add the records up at `prices`.
pub fn summarise(parsed: &Parsed, prices: Prices) -> Summary {
    let mut s = Summary { other_lines: parsed.other_lines, prices, ..Default::default() };
    for r in &parsed.records {
        s.requests += 1;
        *s.status.entry(format!("{}xx", r.status / 100)).or_default() += 1;
        *s.operations.entry(r.operation.clone()).or_default() += 1;
        *s.credentials
            .entry(serde_json::to_value(r.credential).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
            .or_default() += 1;
        match r.bytes_sent {
            Some(n) => s.bytes_sent += n,
            None => s.bytes_sent_unknown += 1,
        }
        s.store_bytes += r.store_bytes;
        s.store_requests += u64::from(r.store_requests);
        let download = matches!(r.method.as_str(), "GET" | "HEAD");
        if let (true, Some(label)) = (download, r.cache.as_deref()) {
            *s.cache.entry(label.to_string()).or_default() += 1;
        }
        if download && r.cacheable() {
            s.cacheable += 1;
            if r.served_by_edge() {
                s.edge_answers += 1;
                let sent = r.bytes_sent.unwrap_or(0);
                s.edge_bytes += sent;
                s.egress_saved_bytes += sent.saturating_sub(r.store_bytes);
                if r.store_requests == 0 {
                    s.store_requests_avoided += 1;
                }
            }
        }
    }
    s.hit_ratio = (s.cacheable > 0).then(|| s.edge_answers as f64 / s.cacheable as f64);
    let egress = s.egress_saved_bytes as f64 / GB * prices.egress_per_gb;
    let requests = s.store_requests_avoided as f64 / 1000.0 * prices.get_per_1000;
    s.saved = Saved { egress_usd: egress, requests_usd: requests, total_usd: egress + requests };
    s
}

/// Bytes for people: `1.50 MiB (1572864 B)`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.2} {unit} ({n} B)")
}

/// Dollars with cents, or three significant digits below a dollar: `$2700.00`, `$0.0420`, `$0.000000840`.
pub fn dollars(v: f64) -> String {
    if v == 0.0 {
        return "$0".into();
    }
    let digits = if v >= 1.0 { 2 } else { (2 - v.log10().floor() as i32).clamp(2, 12) as usize };
    format!("${v:.digits$}")
}

fn counts(m: &BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}

/// The report as text.
pub fn render(s: &Summary) -> String {
    let mut o = String::new();
    let mut line = |k: &str, v: String| o.push_str(&format!("{k:<24}{v}\n"));
    line(
        "requests",
        format!(
            "{}{}",
            s.requests,
            if s.other_lines > 0 { format!(" ({} other non-blank lines skipped)", s.other_lines) } else { String::new() }
        ),
    );
    line("  by status", counts(&s.status));
    line("  by credential", counts(&s.credentials));
    line("GET/HEAD by cache", counts(&s.cache));
    line(
        "hit ratio",
        match s.hit_ratio {
            Some(r) => format!(
                "{:.1}% ({} of {} cacheable answers from the edge: HIT, REVALIDATED, STALE)",
                r * 100.0,
                s.edge_answers,
                s.cacheable
            ),
            None => "- (no cacheable request: every GET/HEAD was BYPASS or unlabelled)".into(),
        },
    );
    line(
        "bytes sent",
        format!(
            "{}{}",
            bytes(s.bytes_sent),
            if s.bytes_sent_unknown > 0 { format!(" (+{} answers of unknown length)", s.bytes_sent_unknown) } else { String::new() }
        ),
    );
    line("  from the edge", bytes(s.edge_bytes));
    line("  from the store", bytes(s.store_bytes));
    line("store requests", format!("{} made, {} avoided", s.store_requests, s.store_requests_avoided));
    line("saved", format!("{} in all", dollars(s.saved.total_usd)));
    line(
        "  egress",
        format!(
            "{} ({} the store did not send, at ${}/GB)",
            dollars(s.saved.egress_usd),
            bytes(s.egress_saved_bytes),
            s.prices.egress_per_gb
        ),
    );
    line(
        "  requests",
        format!("{} ({} GETs not made, at ${} per 1,000)", dollars(s.saved.requests_usd), s.store_requests_avoided, s.prices.get_per_1000),
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_log::CredentialKind;

    const MIB: u64 = 1 << 20;

    fn rec(method: &str, status: u16, cache: Option<&str>, sent: Option<u64>, store: u64, store_requests: u32) -> AccessRecord {
        AccessRecord {
            method: method.into(),
            operation: if method == "PUT" { "PutObject".into() } else { "GetObject".into() },
            status,
            cache: cache.map(str::to_string),
            bytes_sent: sent,
            store_bytes: store,
            store_requests,
            credential: CredentialKind::AccessKey,
            ..Default::default()
        }
    }

    fn lines(records: &[AccessRecord]) -> String {
        records.iter().map(|r| r.to_line() + "\n").collect()
    }

    fn sample() -> Vec<AccessRecord> {
        vec![
            rec("GET", 200, Some("MISS"), Some(MIB), MIB, 1),
            rec("GET", 200, Some("HIT"), Some(MIB), 0, 0),
            rec("GET", 200, Some("REVALIDATED"), Some(MIB), 0, 1),
            rec("HEAD", 200, Some("HIT"), Some(0), 0, 0),
            rec("GET", 200, Some("BYPASS"), Some(10), 10, 1),
            rec("GET", 200, Some("STALE"), Some(100), 0, 1),
            rec("PUT", 200, None, Some(0), 0, 1),
            rec("GET", 403, None, Some(300), 0, 0),
            rec("GET", 200, Some("MISS"), None, 2 * MIB, 1),
        ]
    }

    #[test]
    fn sums_and_savings() {
        let s = summarise(&parse(&lines(&sample())), Prices::default());
        assert_eq!(s.requests, 9);
        assert_eq!(s.status, BTreeMap::from([("2xx".to_string(), 8), ("4xx".to_string(), 1)]));
        assert_eq!(s.cacheable, 6); // BYPASS, PUT and the 403 are not
        assert_eq!(s.edge_answers, 4);
        assert_eq!(s.hit_ratio, Some(4.0 / 6.0));
        assert_eq!(s.cache["HIT"], 2);
        assert_eq!(s.bytes_sent, 3 * MIB + 410);
        assert_eq!(s.bytes_sent_unknown, 1);
        assert_eq!(s.edge_bytes, 2 * MIB + 100);
        assert_eq!(s.store_bytes, 3 * MIB + 10);
        assert_eq!(s.egress_saved_bytes, 2 * MIB + 100);
        assert_eq!(s.store_requests, 6);
        assert_eq!(s.store_requests_avoided, 2); // the two HITs; revalidations and STALE asked the store
        let egress = (2 * MIB + 100) as f64 / GB * 0.09;
        assert!((s.saved.egress_usd - egress).abs() < 1e-15);
        assert!((s.saved.requests_usd - 2.0 * 0.0004 / 1000.0).abs() < 1e-15);
        assert!((s.saved.total_usd - s.saved.egress_usd - s.saved.requests_usd).abs() < 1e-15);
    }

    #[test]
    fn the_issue_example_a_terabyte_a_day() {
        // 1 TB read once a day for 30 days, all from the edge: about $2,700 of egress
        let mut r = rec("GET", 200, Some("HIT"), Some(1 << 40), 0, 0);
        r.bytes_sent = Some(30 << 40);
        let s = summarise(&Parsed { records: vec![r], other_lines: 0 }, Prices::default());
        assert!((s.saved.egress_usd - 30.0 * 1024.0 * 0.09).abs() < 1e-6, "{}", s.saved.egress_usd);
        let s = summarise(
            &Parsed { records: vec![rec("GET", 200, Some("HIT"), Some(0), 0, 0)], other_lines: 0 },
            Prices { egress_per_gb: 0.0, get_per_1000: 1000.0 },
        );
        assert_eq!(s.saved.requests_usd, 1.0);
    }

    #[test]
    fn reads_plain_lines_prefixed_lines_and_skips_the_rest() {
        let r = sample();
        let text = format!(
            "starting workerd\n{}\n[wrangler:info] {}\nnot [json] {{ at all\n{{\"log\":\"other\"}}\n\n{}  \n",
            r[0].to_line(),
            r[1].to_line(),
            r[2].to_line()
        );
        let p = parse(&text);
        assert_eq!(p.records, r[..3].to_vec());
        assert_eq!(p.other_lines, 3);
    }

    #[test]
    fn reads_wrangler_tail_json_events() {
        // `wrangler tail --format json` prints each event as indented JSON: one value on many lines
        let r = sample();
        let event = serde_json::json!({
            "outcome": "ok", "scriptName": "bagroom", "diagnosticsChannelEvents": [], "exceptions": [],
            "logs": [
                {"message": [r[0].to_line()], "level": "log", "timestamp": 1764073430479u64},
                {"message": ["cache put failed: x"], "level": "warn", "timestamp": 1764073430480u64},
                {"message": [serde_json::from_str::<Value>(&r[1].to_line()).unwrap()], "level": "log", "timestamp": 1},
            ],
            "eventTimestamp": 1764073430470u64,
            "event": {"request": {"url": "https://example.com/demo/k?token=SECRET", "method": "GET", "headers": {}}},
        });
        let text = format!(
            "Connected to bagroom, waiting for logs...\n{}\n{}\n",
            serde_json::to_string_pretty(&event).unwrap(),
            serde_json::to_string_pretty(&event).unwrap()
        );
        let p = parse(&text);
        assert_eq!(p.records, vec![r[0].clone(), r[1].clone(), r[0].clone(), r[1].clone()]);
        assert_eq!(p.other_lines, 1);
        // and a JSON array of Workers Logs events with the line parsed as `source`
        let text = serde_json::to_string(
            &serde_json::json!([{"source": serde_json::from_str::<Value>(&r[2].to_line()).unwrap(), "$metadata": {}}]),
        )
        .unwrap();
        assert_eq!(parse(&text).records, vec![r[2].clone()]);
    }

    #[test]
    fn nothing_to_read() {
        let s = summarise(&parse(""), Prices::default());
        assert_eq!((s.requests, s.hit_ratio, s.saved.total_usd), (0, None, 0.0));
        assert!(render(&s).contains("no cacheable request"));
        let p = parse("{\n\"unterminated\": [1, 2,\n");
        assert_eq!(p.records, vec![]);
        assert!(p.other_lines >= 1);
    }

    #[test]
    fn command_line() {
        let a = |v: &[&str]| Options::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(a(&[]), Ok(Options::default()));
        let o = a(&["log.txt", "--json", "--egress-per-gb", "0.05", "--get-per-1000=0.001", "-"]).unwrap();
        assert_eq!(o.files, vec!["log.txt", "-"]);
        assert!(o.json && !o.help);
        assert_eq!(o.prices, Prices { egress_per_gb: 0.05, get_per_1000: 0.001 });
        assert!(a(&["--help"]).unwrap().help);
        assert!(a(&["--egress-per-gb"]).is_err());
        assert!(a(&["--egress-per-gb", "-1"]).is_err());
        assert!(a(&["--get-per-1000", "cheap"]).is_err());
        assert!(a(&["--get-per-1000", "NaN"]).is_err());
        assert!(a(&["--jsn"]).is_err());
        assert!(a(&["--json=yes"]).is_err());
    }

    #[test]
    fn rendering() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536 * 1024), "1.50 MiB (1572864 B)");
        assert_eq!(dollars(2764.8), "$2764.80");
        assert_eq!(dollars(0.042), "$0.0420");
        assert_eq!(dollars(0.0000008), "$0.000000800");
        assert_eq!(dollars(0.0), "$0");
        let s = summarise(&parse(&lines(&sample())), Prices::default());
        let text = render(&s);
        assert!(text.contains("hit ratio               66.7% (4 of 6 cacheable"), "{text}");
        assert!(text.contains("GET/HEAD by cache       BYPASS 1, HIT 2, MISS 2, REVALIDATED 1, STALE 1\n"), "{text}");
        assert!(text.contains("6 made, 2 avoided"), "{text}");
        // --json: the same sums
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["store_requests_avoided"], 2);
        assert_eq!(v["prices"]["egress_per_gb"], 0.09);
        assert_eq!(v["cache"]["REVALIDATED"], 1);
    }
}
