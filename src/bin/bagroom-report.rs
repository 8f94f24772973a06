//! `bagroom-report`: what the edge cache saved, from bagroom's access logs.
//!
//! ```text
//! bagroom-report access.log
//! npx wrangler tail --format json | bagroom-report --json
//! bagroom-report --egress-per-gb 0.05 --get-per-1000 0.0004 < access.log
//! ```
//! The parsing and the sums are `bagroom::access_log::report`. Exit status: 0 ok, 1 a file could
//! not be read, 2 usage error.

use bagroom::access_log::report::{parse, render, summarise, Options, USAGE};
use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let opts = match Options::parse(&argv) {
        Ok(o) => o,
        Err(m) => {
            eprintln!("bagroom-report: {m}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if opts.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let files = if opts.files.is_empty() { vec!["-".to_string()] } else { opts.files.clone() };
    let mut text = String::new();
    for f in &files {
        let read = if f == "-" {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map(|_| buf)
        } else {
            std::fs::read(f)
        };
        match read {
            // a log may hold bytes that are not UTF-8 (a line cut mid-character): keep the rest
            Ok(bytes) => {
                text.push_str(&String::from_utf8_lossy(&bytes));
                text.push('\n');
            }
            Err(e) => {
                eprintln!("bagroom-report: {f}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let summary = summarise(&parse(&text), opts.prices);
    let out = if opts.json { serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n" } else { render(&summary) };
    // a closed pipe (`| head`) is not an error worth a panic
    let _ = std::io::stdout().write_all(out.as_bytes());
    ExitCode::SUCCESS
}
