//! The response body type every handler returns.

use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};

/// Response body: a streamed guest body or a buffered host one.
pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// A body holding `bytes`.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

/// An empty body.
pub fn empty() -> Body {
    full(Bytes::new())
}

/// A plain-text response with `status`.
pub fn text(status: http::StatusCode, text: impl Into<Bytes>) -> http::Response<Body> {
    let mut response = http::Response::new(full(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Headers a guest may not set on a response it hands over whole (WAGI,
/// Spin 1): hop-by-hop ones and those framing the body, which the server
/// produces itself from the body it sends.
pub fn is_host_managed(name: &http::HeaderName) -> bool {
    const MANAGED: &[&str] =
        &["connection", "content-length", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"];
    MANAGED.contains(&name.as_str()) || name.as_str().starts_with("proxy-")
}

/// Request body handed to the executors: a client's body from hyper, or a
/// guest's outgoing body for requests it sends to its own app in-process.
pub type RequestBody = UnsyncBoxBody<Bytes, wasmtime_wasi_http::Error>;
