//! Kiln test guest: drives Spin's state interfaces (key-value, SQLite,
//! variables/config) through the Rust `spin-sdk` 5.2.0, one HTTP route per
//! SDK call.
//!
//! Kiln's end-to-end tests use this guest to check that the host implements
//! each interface the way the SDK expects, so every route makes a real SDK
//! call and reports the SDK's own outcome untouched: SDK errors become
//! `500 error: {err:?}` with the error's `Debug` text (wit-bindgen prints
//! e.g. `Error::NoSuchStore`), so a test can tell the host's error variants
//! apart. Where the SDK has no high-level wrapper (`wasi:keyvalue`,
//! `wasi:config`) the routes use its generated bindings in `spin_sdk::wit`.
//!
//! Routes (path segments are percent-decoded):
//!
//! | route | interface |
//! |---|---|
//! | `GET/PUT/DELETE /kv/{store}/{key}`, `GET /kv/{store}`, `GET /kv-exists/{store}/{key}` | `fermyon:spin/key-value@2.0.0` |
//! | `POST /kv-bench/{store}?ops=N` (timed set/get loop, JSON rates) | `fermyon:spin/key-value@2.0.0` |
//! | `GET/PUT/DELETE /wasi-kv/{store}/{key}`, `GET /wasi-kv/{store}`, `GET /wasi-kv-exists/{store}/{key}` | `wasi:keyvalue/store@0.2.0-draft2` |
//! | `POST /wasi-kv-incr/{store}/{key}?by=N`, `POST /wasi-kv-cas/{store}/{key}[?interfere=V]` | `wasi:keyvalue/atomics@0.2.0-draft2` |
//! | `POST /wasi-kv-batch/{store}` | `wasi:keyvalue/batch@0.2.0-draft2` |
//! | `POST /sqlite3/{db}` / `POST /sqlite2/{db}` | `spin:sqlite/sqlite@3.0.0` / `fermyon:spin/sqlite@2.0.0` |
//! | `GET /var/{name}` | `fermyon:spin/variables@2.0.0` |
//! | `GET /config/{name}`, `GET /config` | `wasi:config/store@0.2.0-draft-2024-09-27` |

mod path;
mod reply;
mod spin_kv;
mod sqlite;
mod vars;
mod wasi_kv;

use serde::de::DeserializeOwned;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

use reply::Outcome;

#[http_component]
fn handle(req: Request) -> Response {
    let method = req.method().clone();
    let path = req.path().to_string();
    // Log capture is tested: one stdout line per request.
    println!("handled {method} {path}");
    route(&req, &method, &path).unwrap_or_else(|resp| resp)
}

/// Dispatch on method and decoded path segments.
fn route(req: &Request, method: &Method, path: &str) -> Outcome {
    let segments = path::segments(path).map_err(reply::bad_request)?;
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let body = req.body();
    match (method, segs.as_slice()) {
        (Method::Get, ["kv", store, key]) => spin_kv::get(store, key),
        (Method::Put, ["kv", store, key]) => spin_kv::set(store, key, body),
        (Method::Delete, ["kv", store, key]) => spin_kv::delete(store, key),
        (Method::Get, ["kv", store]) => spin_kv::keys(store),
        (Method::Get, ["kv-exists", store, key]) => spin_kv::exists(store, key),
        (Method::Post, ["kv-bench", store]) => spin_kv::bench(store, bench_ops(req.query())?),

        (Method::Get, ["wasi-kv", store, key]) => wasi_kv::get(store, key),
        (Method::Put, ["wasi-kv", store, key]) => wasi_kv::set(store, key, body),
        (Method::Delete, ["wasi-kv", store, key]) => wasi_kv::delete(store, key),
        (Method::Get, ["wasi-kv", store]) => wasi_kv::keys(store),
        (Method::Get, ["wasi-kv-exists", store, key]) => wasi_kv::exists(store, key),
        (Method::Post, ["wasi-kv-incr", store, key]) => {
            wasi_kv::increment(store, key, increment_delta(req.query())?)
        }
        (Method::Post, ["wasi-kv-cas", store, key]) => {
            let interfere =
                path::query_param(req.query(), "interfere").map_err(reply::bad_request)?;
            wasi_kv::compare_and_swap(store, key, body, interfere.as_deref())
        }
        (Method::Post, ["wasi-kv-batch", store]) => wasi_kv::batch(store, parse_json(body)?),

        (Method::Post, ["sqlite3", db]) => sqlite::execute_v3(db, parse_json(body)?),
        (Method::Post, ["sqlite2", db]) => sqlite::execute_v2(db, parse_json(body)?),

        (Method::Get, ["var", name]) => vars::variable(name),
        (Method::Get, ["config", name]) => vars::config_get(name),
        (Method::Get, ["config"]) => vars::config_all(),

        _ => Ok(reply::text(404, format!("not found: {path}"))),
    }
}

/// The `by` query parameter of `/wasi-kv-incr` (default 1).
fn increment_delta(query: &str) -> Result<i64, Response> {
    match path::query_param(query, "by").map_err(reply::bad_request)? {
        None => Ok(1),
        Some(by) => by
            .parse()
            .map_err(|e| reply::bad_request(format!("bad by={by:?}: {e}"))),
    }
}

/// The `ops` query parameter of `/kv-bench` (default 1000, at most 1,000,000).
fn bench_ops(query: &str) -> Result<u32, Response> {
    match path::query_param(query, "ops").map_err(reply::bad_request)? {
        None => Ok(1000),
        Some(ops) => match ops.parse::<u32>() {
            Ok(n) if n <= 1_000_000 => Ok(n),
            _ => Err(reply::bad_request(format!("bad ops={ops:?}"))),
        },
    }
}

/// Parse a JSON request body; malformed input is a 400, never a panic.
fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| reply::bad_request(format!("bad json: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increment_delta_defaults_to_one_and_rejects_garbage() {
        assert_eq!(increment_delta("").unwrap(), 1);
        assert_eq!(increment_delta("by=-3").unwrap(), -3);
        assert_eq!(increment_delta("by=x").unwrap_err().status(), &400);
    }

    #[test]
    fn bad_json_is_a_400() {
        let err = parse_json::<wasi_kv::BatchRequest>(b"{nope").unwrap_err();
        assert_eq!(err.status(), &400);
        let ok: wasi_kv::BatchRequest =
            parse_json(br#"{"set": {"a": "1"}, "get": ["a"]}"#).unwrap();
        assert_eq!(ok.get, Some(vec!["a".to_string()]));
        assert!(ok.delete.is_none());
    }

    /// The tests on the host side match on this exact text.
    #[test]
    fn sdk_errors_use_wit_bindgen_debug_text() {
        let body = |r: Response| String::from_utf8(r.body().to_vec()).unwrap();
        let e = reply::sdk_error(spin_sdk::key_value::Error::AccessDenied);
        assert_eq!(e.status(), &500);
        assert_eq!(body(e), "error: Error::AccessDenied");
        let e = reply::sdk_error(spin_sdk::variables::Error::Undefined("x".into()));
        assert_eq!(body(e), "error: Error::Undefined(\"x\")");
    }
}
