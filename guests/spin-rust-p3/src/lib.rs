//! Kiln test guest: a Spin HTTP component written with the Rust `spin-sdk` 7.x,
//! the Preview 3 SDK. It exports `wasi:http/handler@0.3.0` (an `async`
//! function) rather than the Preview 2 `wasi:http/incoming-handler`.
//!
//! Same behaviour as `guests/spin-rust-http` for the routes the P3 tests use.

use bytes::Bytes;
use spin_sdk::http::{BoxBody, FullBody, HeaderValue, IntoResponse, Method, Request, Response, StatusCode, box_body};
use spin_sdk::http_service;

#[http_service]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let path = req.uri().path().to_string();
    // Log capture: one line on stdout and one on stderr per request.
    println!("handled {path}");
    eprintln!("stderr {path}");

    let resp = match (req.method().clone(), path.as_str()) {
        (Method::GET, "/hello") => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/plain")
            .header("x-kiln-test", "hello")
            .body(text_body("Hello, Kiln!"))?,
        (Method::POST, "/body") => {
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
        (Method::GET, "/panic") => panic!("guest panic requested"),
        // A Spin platform interface whose functions are `async`: the host
        // must link it and answer with the interface's own error value.
        (Method::GET, "/kv") => match spin_sdk::key_value::Store::open_default().await {
            Ok(store) => match store.get("greeting").await {
                Ok(value) => text(format!("kv ok: {value:?}"))?,
                Err(e) => text(format!("kv get error: {e:?}"))?,
            },
            Err(e) => text(format!("kv open error: {e:?}"))?,
        },
        (_, p) => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header("content-type", "text/plain")
            .body(text_body(format!("not found: {p}")))?,
    };
    Ok(resp)
}

fn text(body: String) -> anyhow::Result<Response<BoxBody>> {
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/plain")
        .body(text_body(body))?)
}

fn text_body(text: impl Into<String>) -> BoxBody {
    box_body(FullBody::new(Bytes::from(text.into())))
}
