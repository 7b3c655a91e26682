//! Kiln test guest: a plain `wasi:http/incoming-handler` component (no Spin SDK)
//! built with `wstd` for `wasm32-wasip2`, exercising streaming bodies.
//!
//! * `GET /stream?bytes=N` streams N bytes (byte i = i % 251) in chunks of at
//!   most 64 KiB, without materialising the whole body.
//! * `POST /hash` reads the request body as a stream and answers the lowercase
//!   hex SHA-256 of it, plus `x-body-len`.
//! * anything else: 404.

use sha2::{Digest, Sha256};
use wstd::http::body::Body;
use wstd::http::{BodyExt, Error, Method, Request, Response, StatusCode};

const CHUNK: u64 = 64 * 1024;

#[wstd::http_server]
async fn main(request: Request<Body>) -> Result<Response<Body>, Error> {
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    eprintln!("wasi-http-stream: {} {path}", request.method());
    match (request.method().clone(), path.as_str()) {
        (Method::GET, "/stream") => stream(&query),
        (Method::POST, "/hash") => hash(request).await,
        _ => Ok(Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header("content-type", "text/plain")
            .body(Body::from(format!("not found: {path}")))?),
    }
}

fn stream(query: &str) -> Result<Response<Body>, Error> {
    let total = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("bytes="))
        .and_then(|n| n.parse::<u64>().ok());
    let Some(total) = total else {
        return Ok(Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .header("content-type", "text/plain")
            .body(Body::from("missing or invalid ?bytes=N"))?);
    };
    // Each chunk is generated on demand as the host polls the body.
    let chunks = futures_lite::stream::unfold(0u64, move |offset| async move {
        if offset >= total {
            return None;
        }
        let len = (total - offset).min(CHUNK);
        let chunk: Vec<u8> = (offset..offset + len).map(|i| (i % 251) as u8).collect();
        Some((chunk, offset + len))
    });
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/octet-stream")
        .body(Body::from_stream(chunks))?)
}

async fn hash(request: Request<Body>) -> Result<Response<Body>, Error> {
    let mut body = request.into_body().into_boxed_body();
    let mut hasher = Sha256::new();
    let mut len: u64 = 0;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            len += data.len() as u64;
            hasher.update(&data);
        }
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/plain")
        .header("x-body-len", len.to_string())
        .body(Body::from(hex))?)
}
