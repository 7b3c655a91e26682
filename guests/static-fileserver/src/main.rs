//! Kiln's static file server: a plain `wasi:http` component (built with
//! `wstd` for `wasm32-wasip2`) that serves the files mounted at `/`.
//!
//! * `GET`/`HEAD` of a file answers its bytes with a content type from the
//!   file extension; a directory answers its `index.html`.
//! * The path comes from Spin's `spin-path-info` header (the part of the
//!   request path after the route's wildcard prefix), else the request path.
//! * Percent-escapes are decoded first; a path with a `..` segment, a
//!   backslash or a NUL is refused with 400, so no request escapes `/`.
//! * Missing files answer 404; other methods 405.

mod mime;
mod path;

use wstd::http::body::Body;
use wstd::http::{Error, Method, Request, Response, StatusCode};

#[wstd::http_server]
async fn main(request: Request<Body>) -> Result<Response<Body>, Error> {
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed\n",
            Some("GET, HEAD"),
        );
    }
    let raw = request
        .headers()
        .get("spin-path-info")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| request.uri().path().to_string());
    let Some(relative) = path::sanitize(&raw) else {
        eprintln!("fileserver: refused path {raw:?}");
        return plain(StatusCode::BAD_REQUEST, "bad path\n", None);
    };
    let Some((file, bytes)) = read(&relative) else {
        return plain(StatusCode::NOT_FOUND, "not found\n", None);
    };
    let len = bytes.len();
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(bytes)
    };
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("content-type", mime::for_path(&file))
        .header("content-length", len.to_string())
        .body(body)?)
}

/// Reads `/relative`, or `/relative/index.html` when that is a directory.
fn read(relative: &str) -> Option<(String, Vec<u8>)> {
    let mut file = format!("/{relative}");
    if std::fs::metadata(&file).ok()?.is_dir() {
        file = if file.ends_with('/') {
            format!("{file}index.html")
        } else {
            format!("{file}/index.html")
        };
    }
    let bytes = std::fs::read(&file).ok()?;
    Some((file, bytes))
}

fn plain(status: StatusCode, text: &str, allow: Option<&str>) -> Result<Response<Body>, Error> {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "text/plain");
    if let Some(allow) = allow {
        builder = builder.header("allow", allow);
    }
    Ok(builder.body(Body::from(text.to_string()))?)
}
