//! Requests a guest sends to its own app, served without a network hop.
//!
//! `kiln-outbound-http` decides (against the component's
//! `allowed_outbound_hosts`) that a request is for the app itself and hands
//! it to the [`InProcessHttp`] dispatcher installed here when the server
//! starts: relative URLs and `self` go through the router like a client's
//! request; `<id>.spin.internal` goes to that component whatever its route
//! (private routes included), as Spin does: matched on a synthetic `/...`
//! route, so `spin-path-info` is the whole path and `spin-component-route`
//! is empty. Either way the guest sees the `spin-*` headers a network
//! request gets, with this server's address as the client's.
//!
//! Each request is served inside [`kiln_outbound_http::with_hops`], so the
//! instance it starts counts one hop more for its own in-process requests
//! (the loop guard, see `kiln_outbound_http::MAX_IN_PROCESS_HOPS`).

use std::net::SocketAddr;
use std::sync::{Arc, Weak};

use http::{HeaderValue, Request};
use http_body_util::BodyExt;
use kiln_outbound_http::InProcessHops;
use kiln_world::{InProcessFuture, InProcessHttp, InProcessTarget};
use wasmtime_wasi_http::{Error, WasiBody};

use crate::body::{Body, RequestBody};
use crate::prepare::{Handler, HttpTrigger};
use crate::spin_headers::{self, SpinRequestInfo};

/// The matched route of a request to `<id>.spin.internal`: every path.
const SYNTHETIC_ROUTE: &str = "/...";

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
            let hops = request.extensions().get::<InProcessHops>().map_or(1, |h| h.0);
            let (mut parts, body) = request.into_parts();
            let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
            parts.uri = path_and_query.parse().map_err(|_| Error::HttpRequestUriInvalid)?;
            let host = match &target {
                InProcessTarget::App => local.to_string(),
                InProcessTarget::Component(id) => format!("{id}{}", kiln_outbound_http::INTERNAL_SUFFIX),
            };
            let host_value = HeaderValue::try_from(host.as_str()).map_err(|_| Error::HttpRequestUriInvalid)?;
            parts.headers.insert(http::header::HOST, host_value);
            // The guest may have copied an incoming request's headers: only
            // the host sets `spin-*` ones.
            spin_headers::strip_client_spin_headers(&mut parts.headers);
            let request = Request::from_parts(parts, body);
            let serve = async {
                match target {
                    InProcessTarget::App => Ok(crate::dispatch::route_request(&trigger, request, local, local).await),
                    InProcessTarget::Component(id) => serve_component(&trigger, &id, &host, request, local).await,
                }
            };
            let response = kiln_outbound_http::with_hops(hops, serve).await?;
            Ok(response.map(|body| body.map_err(|e| Error::InternalError(Some(e.to_string()))).boxed_unsync()))
        })
    }
}

/// Serves a request to `<id>.spin.internal` with component `id`.
async fn serve_component(
    trigger: &HttpTrigger,
    id: &str,
    host: &str,
    mut request: Request<RequestBody>,
    local: SocketAddr,
) -> Result<http::Response<Body>, Error> {
    let Some(handler) = trigger.components.get(id) else {
        tracing::debug!(component = %id, "in-process request for a component with no HTTP handler");
        return Err(Error::DestinationNotFound);
    };
    add_synthetic_context(&mut request, host, local);
    Ok(match handler {
        Handler::WasiHttp(h) => h.handle(request).await,
        Handler::WasiHttpP3(h) => h.handle(request).await,
        Handler::SpinInbound(h) => h.handle(request).await,
        Handler::Static(_) | Handler::Wagi(_) => {
            tracing::debug!(component = %id, "in-process request for a component with no HTTP handler");
            return Err(Error::DestinationNotFound);
        }
    })
}

/// Adds the `spin-*` headers of the synthetic `/...` route and makes the
/// URI absolute (`http://<id>.spin.internal/...`), as the server does for
/// a routed request.
fn add_synthetic_context(request: &mut Request<RequestBody>, host: &str, client: SocketAddr) {
    let path_and_query = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let full_url = format!("http://{host}{path_and_query}");
    let path = request.uri().path().to_string();
    let headers = spin_headers::spin_headers(&SpinRequestInfo {
        full_url: &full_url,
        matched_route: SYNTHETIC_ROUTE,
        component_route: "",
        path_info: &path,
        params: &[],
        client_addr: client,
        base_path: "/",
    });
    for (name, value) in headers {
        request.headers_mut().insert(name, value);
    }
    match full_url.parse() {
        Ok(uri) => *request.uri_mut() = uri,
        Err(err) => tracing::debug!("in-process URL {full_url} is not a valid URI: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_requests_get_the_synthetic_route_headers() {
        let body = http_body_util::Empty::<bytes::Bytes>::new().map_err(|never| match never {}).boxed_unsync();
        let mut request = Request::get("/api/items?x=1").body(body).unwrap();
        add_synthetic_context(&mut request, "back.spin.internal", "127.0.0.1:3000".parse().unwrap());
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        assert_eq!(header("spin-full-url").as_deref(), Some("http://back.spin.internal/api/items?x=1"));
        assert_eq!(header("spin-path-info").as_deref(), Some("/api/items"));
        assert_eq!(header("spin-matched-route").as_deref(), Some("/..."));
        assert_eq!(header("spin-raw-component-route").as_deref(), Some("/..."));
        assert_eq!(header("spin-component-route").as_deref(), Some(""));
        assert_eq!(header("spin-base-path").as_deref(), Some("/"));
        assert_eq!(header("spin-client-addr").as_deref(), Some("127.0.0.1:3000"));
        assert_eq!(request.uri().to_string(), "http://back.spin.internal/api/items?x=1");
    }
}
