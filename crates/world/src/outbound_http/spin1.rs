//! Spin 1 outbound HTTP, `fermyon:spin/http` (unversioned): the whole
//! request out, the whole response back, through the same hooks as
//! `wasi:http`; a denied destination answers `destination-not-allowed`.

use std::pin::Pin;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::{Error, WasiHttpHooks};

use super::bindings::fermyon::spin::http as v1;
use super::bindings::fermyon::spin::http_types::{HttpError, Method, Request, Response};
use crate::HostState;

impl super::bindings::fermyon::spin::http_types::Host for HostState {}

impl v1::Host for HostState {
    async fn send_request(&mut self, req: Request) -> Result<Response, HttpError> {
        let request = into_http(req)?;
        let future = self.hooks.send_request(request, None, Box::new(async { Ok(()) }));
        let (response, io) = Pin::from(future).await.map_err(|e| {
            tracing::debug!(component = %self.component_id, "Spin 1 outbound HTTP failed: {e}");
            error_code(&e)
        })?;
        // The connection is driven while the body is read.
        tokio::spawn(async move {
            if let Err(err) = Pin::from(io).await {
                tracing::debug!("outbound HTTP connection ended: {err}");
            }
        });
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| error_code(&e))?.to_bytes();
        let headers = parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        Ok(Response { status: parts.status.as_u16(), headers: Some(headers), body: Some(body.to_vec()) })
    }
}

/// The Spin 1 request as an `http` request; a URL `http` cannot carry is
/// `invalid-url`.
fn into_http(req: Request) -> Result<http::Request<wasmtime_wasi_http::WasiBody>, HttpError> {
    let method = match req.method {
        Method::Get => http::Method::GET,
        Method::Post => http::Method::POST,
        Method::Put => http::Method::PUT,
        Method::Delete => http::Method::DELETE,
        Method::Patch => http::Method::PATCH,
        Method::Head => http::Method::HEAD,
        Method::Options => http::Method::OPTIONS,
    };
    let uri: http::Uri = req.uri.parse().map_err(|_| HttpError::InvalidUrl)?;
    let mut builder = http::Request::builder().method(method).uri(&uri);
    if let Some(authority) = uri.authority() {
        builder = builder.header(http::header::HOST, authority.as_str());
    }
    for (name, value) in &req.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = Full::new(Bytes::from(req.body.unwrap_or_default())).map_err(|never| match never {}).boxed_unsync();
    builder.body(body).map_err(|_| HttpError::InvalidUrl)
}

/// Spin 1's error for a `wasi:http` error.
fn error_code(error: &Error) -> HttpError {
    match error {
        Error::HttpRequestDenied => HttpError::DestinationNotAllowed,
        Error::HttpRequestUriInvalid => HttpError::InvalidUrl,
        _ => HttpError::RequestError,
    }
}
