//! Outbound HTTP for guests.
//!
//! Every `wasi:http` request a guest sends — through
//! `wasi:http/outgoing-handler@0.2.x` or the Preview 3 `wasi:http/client` —
//! reaches wasmtime-wasi-http's [`WasiHttpHooks::send_request`], so one
//! hooks implementation, [`OutboundHttpHooks`], decides for both:
//!
//! * the request's scheme, host and port are checked against the
//!   component's `allowed_outbound_hosts` ([`OutboundPolicy`]); a request
//!   the list does not cover fails with the interface's own
//!   `HTTP-request-denied` error, never a trap;
//! * a request to the app itself — a relative URL (the Spin SDKs send those
//!   with an empty host), `self` or `self.alt` — is allowed only by a `self`
//!   entry, and a request to `http://<component>.spin.internal` by an entry
//!   covering that host; both are handed to the trigger's
//!   [`InProcessHttp`] dispatcher without a network hop;
//! * everything else allowed goes out through one process-wide pooled
//!   client (see [`pool`]: HTTP/1.1, or HTTP/2 when HTTPS's ALPN picks it,
//!   rustls with the webpki roots), connections reused across instances,
//!   bodies streamed both ways, the guest's timeouts honoured.
//!
//! Kept apart from `kiln-world` so the policy decisions are testable without
//! a guest, and the world crate stays a thin layer of bindings.

pub mod pool;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use kiln_outbound_networking::OutboundPolicy;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// The host suffix addressing one component of the app in-process.
pub const INTERNAL_SUFFIX: &str = ".spin.internal";

/// What an in-process dispatcher answers with.
pub type InProcessFuture = Pin<Box<dyn Future<Output = Result<http::Response<WasiBody>, Error>> + Send>>;

/// Which part of the app an in-process request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InProcessTarget {
    /// The app's public routes, matched by path (a relative URL or `self`).
    App,
    /// One component by id, whatever its routes (private ones included):
    /// `http://<id>.spin.internal/...`.
    Component(String),
}

/// Serves requests a guest sends to its own app, without a network hop.
/// The HTTP trigger installs one once its routes are built.
pub trait InProcessHttp: Send + Sync {
    /// Handles `request` (its URI keeps the path and query the guest sent)
    /// for `target`.
    fn send(&self, target: InProcessTarget, request: http::Request<WasiBody>) -> InProcessFuture;
}

/// Where an app's in-process dispatcher is installed: shared by every
/// component of the app from startup, filled by the HTTP trigger once it
/// serves (instances created before that send no in-process requests).
pub type InProcessSlot = Arc<std::sync::OnceLock<Arc<dyn InProcessHttp>>>;

/// Where an outbound request goes, once the policy allowed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Out over the network.
    Network,
    /// To the app itself.
    InProcess(InProcessTarget),
}

/// Decides where a request for `uri` may go under `policy`; `None` when the
/// policy denies it.
pub fn route(policy: &OutboundPolicy, uri: &http::Uri) -> Option<Route> {
    let scheme = uri.scheme_str().unwrap_or("http").to_ascii_lowercase();
    let host = uri.host().unwrap_or("").trim_end_matches('.');
    let port = uri.port_u16().or_else(|| kiln_manifest::outbound::default_port(&scheme));
    if host.is_empty() || host.eq_ignore_ascii_case("self") || host.eq_ignore_ascii_case("self.alt") {
        // The SDKs give relative URLs a placeholder authority (`:80`), so
        // the port says nothing: any `self` entry for HTTP allows it.
        let allowed = policy.allows(&scheme, "self", port.unwrap_or(80))
            || policy.allows("http", "self", 80)
            || policy.allows("https", "self", 443);
        return allowed.then_some(Route::InProcess(InProcessTarget::App));
    }
    let port = port?;
    if !policy.allows(&scheme, host, port) {
        return None;
    }
    let lower = host.to_ascii_lowercase();
    match lower.strip_suffix(INTERNAL_SUFFIX) {
        Some(id) if !id.is_empty() => Some(Route::InProcess(InProcessTarget::Component(id.to_string()))),
        _ => Some(Route::Network),
    }
}

/// The response future type [`WasiHttpHooks::send_request`] returns.
type SendFuture = Box<
    dyn Future<Output = Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), Error>> + Send>), Error>>
        + Send,
>;

/// `wasi:http` hooks for one guest instance: the component's policy and the
/// app's in-process dispatcher, if the trigger installed one.
pub struct OutboundHttpHooks {
    policy: Arc<OutboundPolicy>,
    in_process: Option<Arc<dyn InProcessHttp>>,
    component: Arc<str>,
}

impl OutboundHttpHooks {
    /// Hooks for an instance of `component` allowed what `policy` allows.
    pub fn new(component: Arc<str>, policy: Arc<OutboundPolicy>, in_process: Option<Arc<dyn InProcessHttp>>) -> Self {
        Self { policy, in_process, component }
    }
}

impl WasiHttpHooks for OutboundHttpHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> SendFuture {
        let Some(route) = route(&self.policy, request.uri()) else {
            tracing::info!(
                component = %self.component,
                url = %request.uri(),
                "outbound HTTP request denied: not in allowed_outbound_hosts"
            );
            return Box::new(async { Err(Error::HttpRequestDenied) });
        };
        tracing::debug!(component = %self.component, url = %request.uri(), ?route, "outbound HTTP request");
        match route {
            Route::Network => Box::new(async move {
                // The pool's connections are driven by its own tasks.
                let response = pool::send(request, options).await?;
                Ok((response, Box::new(async { Ok(()) }) as Box<dyn Future<Output = Result<(), Error>> + Send>))
            }),
            Route::InProcess(target) => {
                let Some(dispatcher) = self.in_process.clone() else {
                    tracing::info!(
                        component = %self.component,
                        url = %request.uri(),
                        "request to the app itself, but this trigger cannot serve in-process requests"
                    );
                    return Box::new(async { Err(Error::DestinationNotFound) });
                };
                Box::new(async move {
                    let response = dispatcher.send(target, request).await?;
                    Ok((response, Box::new(async { Ok(()) }) as Box<dyn Future<Output = Result<(), Error>> + Send>))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> OutboundPolicy {
        OutboundPolicy::new(entries.iter().copied()).unwrap()
    }

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    #[test]
    fn network_requests_need_a_matching_entry() {
        let p = policy(&["http://127.0.0.1:8080", "https://example.com"]);
        assert_eq!(route(&p, &uri("http://127.0.0.1:8080/x")), Some(Route::Network));
        assert_eq!(route(&p, &uri("https://example.com/")), Some(Route::Network));
        assert_eq!(route(&p, &uri("http://example.com/")), None);
        assert_eq!(route(&p, &uri("http://127.0.0.1:8081/")), None);
        assert_eq!(route(&OutboundPolicy::deny_all(), &uri("https://example.com/")), None);
    }

    #[test]
    fn relative_and_self_requests_need_a_self_entry() {
        let allowed = policy(&["http://self"]);
        let denied = policy(&["http://127.0.0.1:3000"]);
        for u in ["http://:80/hello", "http://self.alt/hello", "https://:443/hello"] {
            assert_eq!(route(&allowed, &uri(u)), Some(Route::InProcess(InProcessTarget::App)), "{u}");
            assert_eq!(route(&denied, &uri(u)), None, "{u}");
        }
    }

    #[test]
    fn internal_hosts_address_a_component() {
        let p = policy(&["http://*.spin.internal"]);
        assert_eq!(
            route(&p, &uri("http://back-end.spin.internal/api")),
            Some(Route::InProcess(InProcessTarget::Component("back-end".into())))
        );
        assert_eq!(route(&policy(&["http://self"]), &uri("http://back-end.spin.internal/")), None);
    }
}
