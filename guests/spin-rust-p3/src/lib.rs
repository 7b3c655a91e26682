//! Kiln test guest: a Spin HTTP component written with the Rust `spin-sdk` 7.x,
//! the Preview 3 SDK. It exports `wasi:http/handler@0.3.0` (an `async`
//! function) rather than the Preview 2 `wasi:http/incoming-handler`.
//!
//! Besides the HTTP basics of `guests/spin-rust-http` (`/hello`, `/body`,
//! `/panic`, plus `/counter`) it drives Spin 3's state interfaces, whose functions are
//! component-model `async func`s: `spin:key-value@3.0.0`,
//! `spin:variables@3.0.0` and `spin:sqlite@3.1.0` (the SDK's async API, plus
//! the 3.0.0 synchronous functions through its generated bindings). Every
//! SDK error answers `500 error: {e:?}` (wit-bindgen's `Debug` text, e.g.
//! `Error::AccessDenied`), so a test can tell the host's error cases apart.
//! Route names differ from `spin-rust-state`'s so both guests can serve one
//! app side by side.

mod counter;
mod kv;
mod reply;
mod sql;

use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::http::{HeaderValue, IntoResponse, Method, Request, Response, StatusCode, box_body};
use spin_sdk::http_service;

use reply::{Reply, text};

#[http_service]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let path = req.uri().path().to_string();
    // Log capture: one line on stdout and one on stderr per request.
    println!("handled {path}");
    eprintln!("stderr {path}");

    let method = req.method().clone();
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let reply = match (&method, segs.as_slice()) {
        (&Method::GET, ["hello"]) => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/plain")
            .header("x-kiln-test", "hello")
            .body(reply::text_body("Hello, Kiln!"))?,
        (&Method::POST, ["body"]) => {
            let ct = req
                .headers()
                .get("content-type")
                .cloned()
                .unwrap_or_else(|| HeaderValue::from_static("application/octet-stream"));
            // Streams the request body straight back: the host sees the
            // response before the guest has read the whole request.
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", ct)
                .body(box_body(req.into_body()))?
        }
        (&Method::GET, ["panic"]) => panic!("guest panic requested"),
        // Per-instance identity and request count, so a test can tell
        // whether the host reused the instance; `/counter/{ms}` first
        // waits, so requests overlap inside one instance.
        (&Method::GET, ["counter"]) => text(200, counter::next())?,
        (&Method::GET, ["counter", ms]) => {
            let ms: u64 = ms.parse()?;
            spin_sdk::time::sleep(std::time::Duration::from_millis(ms)).await;
            text(200, counter::next())?
        }

        (&Method::GET, ["kv3", store, key]) => kv::get(store, key).await?,
        (&Method::PUT, ["kv3", store, key]) => {
            let value = req.into_body().bytes().await?;
            kv::set(store, key, &value).await?
        }
        (&Method::DELETE, ["kv3", store, key]) => kv::delete(store, key).await?,
        (&Method::GET, ["kv3", store]) => kv::keys(store).await?,
        (&Method::GET, ["kv3-exists", store, key]) => kv::exists(store, key).await?,

        (&Method::GET, ["var3", name]) => match spin_sdk::variables::get(*name).await {
            Ok(value) => text(200, value)?,
            Err(e) => reply::sdk_error(e)?,
        },

        (&Method::POST, ["sql", db]) => {
            let body = req.into_body().bytes().await?;
            sql::execute_async(db, &String::from_utf8_lossy(&body)).await?
        }
        (&Method::POST, ["sql-sync", db]) => {
            let body = req.into_body().bytes().await?;
            sql::execute_sync(db, &String::from_utf8_lossy(&body))?
        }

        _ => text(404, format!("not found: {path}"))?,
    };
    Ok(reply)
}

/// What every route answers with.
type Routed = anyhow::Result<Reply>;
