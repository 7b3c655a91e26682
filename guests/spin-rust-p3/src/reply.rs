//! Response helpers.

use bytes::Bytes;
use spin_sdk::http::{BoxBody, FullBody, Response, StatusCode, box_body};

/// A response this guest sends.
pub type Reply = Response<BoxBody>;

/// A `text/plain` response with `status`.
pub fn text(status: u16, body: impl Into<String>) -> anyhow::Result<Reply> {
    Ok(Response::builder()
        .status(StatusCode::from_u16(status)?)
        .header("content-type", "text/plain")
        .body(text_body(body))?)
}

/// A whole-text body.
pub fn text_body(text: impl Into<String>) -> BoxBody {
    box_body(FullBody::new(Bytes::from(text.into())))
}

/// An SDK error, as `500 error: {err:?}`.
pub fn sdk_error(err: impl std::fmt::Debug) -> anyhow::Result<Reply> {
    text(500, format!("error: {err:?}"))
}
