//! Kiln test guest: a WAGI (CGI-over-WASI) module for `wasm32-wasip1`.
//!
//! Behaviour depends on `QUERY_STRING`:
//! * `mode=redirect`: `Location: /hello` and a blank line (no body).
//! * `mode=status`: `Status: 418 I'm a teapot`, `Content-Type: text/plain`, body `teapot`.
//! * `mode=bad`: `this is not cgi output` with no header/body separator.
//! * otherwise: `Content-Type: text/plain`, then every env var as `KEY=VALUE`
//!   sorted by key, then `ARGS=` + argv joined with `|`, then `STDIN=` + stdin.

use std::io::{Read, Write};

fn main() {
    let query = std::env::var("QUERY_STRING").unwrap_or_default();
    let mode = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("mode="))
        .unwrap_or("");
    eprintln!("wagi-rust: mode={mode:?}");

    let mut out = std::io::stdout().lock();
    match mode {
        "redirect" => {
            write!(out, "Location: /hello\n\n").unwrap();
        }
        "status" => {
            write!(
                out,
                "Status: 418 I'm a teapot\nContent-Type: text/plain\n\nteapot"
            )
            .unwrap();
        }
        "bad" => {
            write!(out, "this is not cgi output").unwrap();
        }
        _ => {
            let mut vars: Vec<(String, String)> = std::env::vars().collect();
            vars.sort();
            let args: Vec<String> = std::env::args().collect();
            let mut stdin = Vec::new();
            std::io::stdin().read_to_end(&mut stdin).unwrap();

            write!(out, "Content-Type: text/plain\n\n").unwrap();
            for (k, v) in vars {
                writeln!(out, "{k}={v}").unwrap();
            }
            writeln!(out, "ARGS={}", args.join("|")).unwrap();
            write!(out, "STDIN=").unwrap();
            out.write_all(&stdin).unwrap();
        }
    }
    out.flush().unwrap();
}
