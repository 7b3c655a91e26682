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

pub use kiln_cgi::is_host_managed;

/// Request body handed to the executors: a client's body from hyper, or a
/// guest's outgoing body for requests it sends to its own app in-process.
pub type RequestBody = UnsyncBoxBody<Bytes, wasmtime_wasi_http::Error>;
