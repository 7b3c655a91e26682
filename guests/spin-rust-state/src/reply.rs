//! Response builders shared by every route.
//!
//! Every route answers through these helpers so the status/body contract the
//! end-to-end tests rely on (`error: {err:?}` on 500, plain text otherwise)
//! lives in exactly one place.

use std::fmt::Debug;

use serde::Serialize;
use spin_sdk::http::Response;

/// The result of a route: `Err` carries a finished error response so route
/// code can use `?` on SDK calls after mapping the error with [`sdk_error`].
pub type Outcome = Result<Response, Response>;

/// A `text/plain` response.
pub fn text(status: u16, body: impl Into<String>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(body.into())
        .build()
}

/// A raw byte response, used to hand stored values back untouched.
pub fn bytes(status: u16, body: Vec<u8>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/octet-stream")
        .body(body)
        .build()
}

/// A JSON response; a serialization failure becomes a 500.
pub fn json(status: u16, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body)
            .build(),
        Err(e) => text(500, format!("error: json serialization failed: {e}")),
    }
}

/// 500 with the SDK error's own `Debug` text, verbatim: the tests assert on it.
pub fn sdk_error(err: impl Debug) -> Response {
    text(500, format!("error: {err:?}"))
}

/// 400 for a request the guest cannot interpret (bad JSON, bad query).
pub fn bad_request(msg: impl Into<String>) -> Response {
    text(400, msg)
}
