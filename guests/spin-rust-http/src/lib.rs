//! Kiln test guest: a Spin HTTP component written with the Rust `spin-sdk` 5.x.
//!
//! Built twice by `scripts/build-guests.sh`: for `wasm32-wasip1` (a core module
//! the host must componentize) and for `wasm32-wasip2` (a component).

use std::collections::BTreeMap;

use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let path = req.path().to_string();
    // Log capture is tested: one line on stdout and one on stderr per request.
    println!("handled {path}");
    eprintln!("stderr {path}");

    let method = req.method().clone();
    let resp = match (method, path.as_str()) {
        (Method::Get, "/hello") => Response::builder()
            .status(200)
            .header("content-type", "text/plain")
            .header("x-kiln-test", "hello")
            .body("Hello, Kiln!")
            .build(),
        (_, p) if p == "/echo" || p.starts_with("/echo/") => echo(&req),
        (Method::Post, "/body") => {
            let ct = req
                .header("content-type")
                .map(|v| v.clone().into_utf8_lossy())
                .unwrap_or_else(|| "application/octet-stream".to_string());
            Response::builder()
                .status(200)
                .header("content-type", ct)
                .body(req.body().to_vec())
                .build()
        }
        (Method::Get, "/env") => {
            let greeting = std::env::var("GREETING").unwrap_or_else(|_| "unset".to_string());
            text(200, greeting)
        }
        (Method::Get, "/file") => match std::fs::read("/data/greeting.txt") {
            Ok(bytes) => Response::builder()
                .status(200)
                .header("content-type", "text/plain")
                .body(bytes)
                .build(),
            Err(e) => text(500, format!("error reading /data/greeting.txt: {e}")),
        },
        // Sandbox escape probes: read or write any path the guest names.
        (Method::Get, "/read") => {
            let target = query_param(req.query(), "path");
            match std::fs::read(&target) {
                Ok(bytes) => Response::builder().status(200).body(bytes).build(),
                Err(e) => text(403, format!("read {target}: {e}")),
            }
        }
        (Method::Get, "/write") => {
            let target = query_param(req.query(), "path");
            match std::fs::write(&target, b"written by the guest") {
                Ok(()) => text(200, format!("wrote {target}")),
                Err(e) => text(403, format!("write {target}: {e}")),
            }
        }
        (Method::Get, "/panic") => panic!("guest panic requested"),
        // Platform interfaces: the host must answer with the interface's own
        // error value when it does not grant the capability, never trap.
        (Method::Get, "/kv") => match spin_sdk::key_value::Store::open_default() {
            Ok(store) => match store.get("greeting") {
                Ok(value) => text(200, format!("kv ok: {value:?}")),
                Err(e) => text(200, format!("kv get error: {e:?}")),
            },
            Err(e) => text(200, format!("kv open error: {e:?}")),
        },
        (Method::Get, "/variable") => match spin_sdk::variables::get("greeting") {
            Ok(value) => text(200, format!("variable ok: {value}")),
            Err(e) => text(200, format!("variable error: {e:?}")),
        },
        (Method::Get, "/sqlite") => match spin_sdk::sqlite::Connection::open_default() {
            Ok(_) => text(200, "sqlite ok".to_string()),
            Err(e) => text(200, format!("sqlite open error: {e:?}")),
        },
        (_, p) if p.starts_with("/status/") => {
            match p["/status/".len()..].parse::<u16>() {
                Ok(code) if (100..=999).contains(&code) => {
                    Response::builder().status(code).body(Vec::new()).build()
                }
                _ => text(400, format!("bad status code in {p}")),
            }
        }
        (_, p) => text(404, format!("not found: {p}")),
    };
    Ok(resp)
}

fn text(status: u16, body: String) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(body)
        .build()
}

fn echo(req: &Request) -> Response {
    let headers: BTreeMap<String, String> = req
        .headers()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone().into_utf8_lossy()))
        .collect();
    let body = serde_json::json!({
        "method": req.method().to_string(),
        "uri": req.uri(),
        "headers": headers,
        "body_len": req.body().len(),
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).expect("json serialization"))
        .build()
}

/// The percent-decoded value of `name` in a query string (empty if absent).
fn query_param(query: &str, name: &str) -> String {
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == name {
            return percent_decode(value);
        }
    }
    String::new()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i + 1..i + 3) {
            Some(hex) if bytes[i] == b'%' => std::str::from_utf8(hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok()),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(b), _) => {
                out.push(b);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
