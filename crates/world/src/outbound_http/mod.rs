//! Spin 1 outbound HTTP, `fermyon:spin/http` (unversioned): the whole
//! request out, the whole response back.
//!
//! It goes through the same [`kiln_outbound_http::OutboundHttpHooks`] as
//! `wasi:http`, so the `allowed_outbound_hosts` check, requests to the app
//! itself (a path, `self`, `*.spin.internal`) and the network client are
//! shared; a denied destination answers `destination-not-allowed`.
//!
//! It also puts Kiln's own `send` in front of wasmtime-wasi-http's Preview 3
//! `wasi:http/client` ([`add_p3_client`]): wasmtime turns a guest's
//! request into an `http::Request` before any hook runs, and a request
//! without an authority (a relative URL, `fetch("/other-route")`) cannot
//! become one (an `http` URI with a scheme needs an authority), so it would
//! fail with `HTTP-request-URI-invalid` before Kiln could serve it
//! in-process. Kiln's `send` gives such a request the empty-host authority
//! the Preview 2 Spin SDK sends for relative URLs (`:80`), which the hooks
//! route to the app itself, then hands it to wasmtime's `send`.

use std::pin::Pin;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime::component::{HasSelf, Linker};
use wasmtime_wasi_http::{Error, WasiHttpHooks, WasiHttpView};

use crate::HostState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/spin1-http",
        imports: { default: async },
    });
}

use bindings::fermyon::spin::http as v1;
use bindings::fermyon::spin::http_types::{HttpError, Method, Request, Response};

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &["fermyon:spin/http", "fermyon:spin/http-types"];

/// Adds Spin 1 outbound HTTP to `linker`, and Kiln's Preview 3
/// `wasi:http/client` `send` (see [`add_p3_client`]).
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::Spin1Http::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    add_p3_client(linker)
}

/// Defines `wasi:http/client@0.3.x` `send` in `linker` over wasmtime's
/// (which must be linked already; this one shadows it), so that relative
/// URLs reach the app itself.
pub fn add_p3_client(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    use wasmtime_wasi_http::p3::bindings::http::client;
    linker.allow_shadowing(true);
    let result = client::add_to_linker::<HostState, KilnP3Client>(linker, <HostState as WasiHttpView>::http);
    linker.allow_shadowing(false);
    result
}

/// The authority given to a Preview 3 request that has none: an empty host,
/// which the outbound hooks take for the app itself (as they do the Preview
/// 2 SDK's relative URLs).
const RELATIVE_AUTHORITY: &str = ":80";

/// Kiln's `wasi:http/client` for Preview 3 guests: fills in the authority of
/// relative requests, then sends as wasmtime does.
struct KilnP3Client;

impl wasmtime::component::HasData for KilnP3Client {
    type Data<'a> = wasmtime_wasi_http::WasiHttpCtxView<'a>;
}

impl wasmtime_wasi_http::p3::bindings::http::client::HostWithStore<HostState> for KilnP3Client {
    async fn send(
        store: &wasmtime::component::Accessor<HostState, Self>,
        req: wasmtime::component::Resource<wasmtime_wasi_http::p3::Request>,
    ) -> Result<
        wasmtime::component::Resource<wasmtime_wasi_http::p3::Response>,
        wasmtime_wasi::TrappableError<wasmtime_wasi_http::p3::bindings::http::types::ErrorCode>,
    > {
        store.with(|mut access| {
            let view = access.get();
            // A request the table does not hold is wasmtime's to report.
            if let Ok(request) = view.table.get_mut(&req) {
                if request.authority.is_none() {
                    match http::uri::Authority::try_from(RELATIVE_AUTHORITY) {
                        Ok(authority) => request.authority = Some(authority),
                        Err(err) => tracing::error!("placeholder authority {RELATIVE_AUTHORITY}: {err}"),
                    }
                }
            }
        });
        let wasmtime_send = store.with_getter::<wasmtime_wasi_http::WasiHttp>(<HostState as WasiHttpView>::http);
        <wasmtime_wasi_http::WasiHttp as wasmtime_wasi_http::p3::bindings::http::client::HostWithStore<HostState>>::send(
            &wasmtime_send,
            req,
        )
        .await
    }
}

impl bindings::fermyon::spin::http_types::Host for HostState {}

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
