//! Requests a guest sends to its own app, served without a network hop.
//!
//! `kiln-outbound-http` decides (against the component's
//! `allowed_outbound_hosts`) that a request is for the app itself and hands
//! it to the [`InProcessHttp`] dispatcher installed here when the server
//! starts: relative URLs and `self` go through the router like a client's
//! request; `<id>.spin.internal` goes to that component whatever its route
//! (private routes included).

use std::net::SocketAddr;
use std::sync::{Arc, Weak};

use http::{HeaderValue, Request};
use http_body_util::BodyExt;
use kiln_world::{InProcessFuture, InProcessHttp, InProcessTarget};
use wasmtime_wasi_http::{Error, WasiBody};

use crate::prepare::{Handler, HttpTrigger};

/// Installs the dispatcher for `trigger`, serving on `local`. A second call
/// (the same app served twice) keeps the first.
pub(crate) fn install(trigger: &Arc<HttpTrigger>, local: SocketAddr) {
    let dispatcher = Arc::new(Dispatcher { trigger: Arc::downgrade(trigger), local });
    if trigger.in_process.set(dispatcher).is_err() {
        tracing::debug!("in-process HTTP dispatcher already installed");
    }
}

/// Serves in-process requests through the trigger's router and handlers.
struct Dispatcher {
    trigger: Weak<HttpTrigger>,
    local: SocketAddr,
}

impl InProcessHttp for Dispatcher {
    fn send(&self, target: InProcessTarget, request: Request<WasiBody>) -> InProcessFuture {
        let trigger = self.trigger.clone();
        let local = self.local;
        Box::pin(async move {
            let trigger = trigger.upgrade().ok_or(Error::DestinationUnavailable)?;
            let (mut parts, body) = request.into_parts();
            let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            parts.uri = path_and_query.parse().map_err(|_| Error::HttpRequestUriInvalid)?;
            let host = match &target {
                InProcessTarget::App => local.to_string(),
                InProcessTarget::Component(id) => format!("{id}{}", kiln_outbound_http::INTERNAL_SUFFIX),
            };
            let host = HeaderValue::try_from(host).map_err(|_| Error::HttpRequestUriInvalid)?;
            parts.headers.insert(http::header::HOST, host);
            crate::spin_headers::strip_client_spin_headers(&mut parts.headers);
            let request = Request::from_parts(parts, body);
            let response = match target {
                InProcessTarget::App => crate::server::route_request(&trigger, request, local, local).await,
                InProcessTarget::Component(id) => match trigger.components.get(&id) {
                    Some(Handler::WasiHttp(h)) => h.handle(request).await,
                    Some(Handler::WasiHttpP3(h)) => h.handle(request).await,
                    Some(Handler::SpinInbound(h)) => h.handle(request).await,
                    _ => {
                        tracing::debug!(component = %id, "in-process request for a component with no HTTP handler");
                        return Err(Error::DestinationNotFound);
                    }
                },
            };
            Ok(response.map(|body| body.map_err(|e| Error::InternalError(Some(e.to_string()))).boxed_unsync()))
        })
    }
}
