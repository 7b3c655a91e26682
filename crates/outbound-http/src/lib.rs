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
//! * in-process requests count their hops: an instance started for an
//!   in-process request at hop `n` sends its own at hop `n + 1`, and one
//!   beyond [`MAX_IN_PROCESS_HOPS`] fails with `loop-detected` instead of
//!   recursing until memory runs out (see [`with_hops`]);
//! * everything else allowed goes out through the app's pooled client
//!   ([`HttpClients`], built per app from `[outbound_http]`: pooling on or
//!   off, a cap on concurrent requests; see [`pool`]: HTTP/1.1, or HTTP/2 when HTTPS's ALPN picks it,
//!   rustls with the webpki roots), connections reused across instances,
//!   bodies streamed both ways, the guest's timeouts honoured.
//!
//! Kept apart from `kiln-world` so the policy decisions are testable without
//! a guest, and the world crate stays a thin layer of bindings.

pub mod pool;
#[cfg(test)]
mod pool_tests;

pub use pool::{HttpClientConfig, HttpClients, HttpConfigError};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use kiln_outbound_networking::OutboundPolicy;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// The host suffix addressing one component of the app in-process.
pub const INTERNAL_SUFFIX: &str = ".spin.internal";

/// The deepest chain of in-process requests served: a request that would be
/// hop `MAX_IN_PROCESS_HOPS + 1` fails with `loop-detected`.
pub const MAX_IN_PROCESS_HOPS: u32 = 10;

/// How many in-process hops led to a request, carried in the extensions of
/// the requests [`OutboundHttpHooks`] hands to an [`InProcessHttp`]
/// dispatcher (1 for a request sent by an instance a client started).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InProcessHops(pub u32);

tokio::task_local! {
    static HOPS: u32;
}

/// Runs `future` — the serving of an in-process request at hop `hops` — so
/// that hooks built while it runs ([`OutboundHttpHooks::new`]) know their
/// instance's depth. The dispatcher wraps each in-process request in it:
/// executors build the instance's store inside the future they are polled
/// in (before handing the store to a task of its own), so the depth reaches
/// the instance without threading it through every executor.
pub async fn with_hops<F: Future>(hops: u32, future: F) -> F::Output {
    HOPS.scope(hops, future).await
}

/// The in-process hop of the request being served on this task (0 outside
/// [`with_hops`]: a client's request, a Redis message).
fn current_hops() -> u32 {
    HOPS.try_with(|hops| *hops).unwrap_or(0)
}

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
    /// The app's network clients.
    clients: Arc<HttpClients>,
    /// The in-process hop of the request this instance serves.
    hops: u32,
}

impl OutboundHttpHooks {
    /// Hooks for an instance of `component` allowed what `policy` allows.
    /// Built inside [`with_hops`], the instance serves an in-process request
    /// and its own in-process requests count one hop more.
    ///
    /// A policy with `{{ variable }}` entries starts rendering them again in
    /// the background: HTTP requests re-render before every check anyway,
    /// but capabilities that check synchronously (Redis, PostgreSQL, MySQL,
    /// MQTT) see the last rendering, which this keeps to about one per
    /// instance.
    pub fn new(
        component: Arc<str>,
        policy: Arc<OutboundPolicy>,
        in_process: Option<Arc<dyn InProcessHttp>>,
        clients: Arc<HttpClients>,
    ) -> Self {
        if policy.has_templates() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let policy = policy.clone();
                runtime.spawn(async move { policy.refresh().await });
            }
        }
        Self { policy, in_process, component, clients, hops: current_hops() }
    }
}

impl WasiHttpHooks for OutboundHttpHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> SendFuture {
        let policy = self.policy.clone();
        let in_process = self.in_process.clone();
        let component = self.component.clone();
        let clients = self.clients.clone();
        let hops = self.hops;
        Box::new(async move {
            // `{{ variable }}` entries are rendered afresh for every request.
            policy.refresh().await;
            let response = send(&policy, &clients, in_process, &component, hops, request, options).await?;
            // The pool's connections and in-process handlers are driven by
            // tasks of their own: nothing is left for the caller to drive.
            Ok((response, Box::new(async { Ok(()) }) as Box<dyn Future<Output = Result<(), Error>> + Send>))
        })
    }
}

/// Checks `request` against `policy` and sends it where it goes.
async fn send(
    policy: &OutboundPolicy,
    clients: &HttpClients,
    in_process: Option<Arc<dyn InProcessHttp>>,
    component: &str,
    hops: u32,
    mut request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<http::Response<WasiBody>, Error> {
    let Some(route) = route(policy, request.uri()) else {
        tracing::info!(component, url = %request.uri(), "outbound HTTP request denied: not in allowed_outbound_hosts");
        return Err(Error::HttpRequestDenied);
    };
    tracing::debug!(component, url = %request.uri(), ?route, "outbound HTTP request");
    let target = match route {
        Route::Network => return clients.send(request, options, policy.blocked_networks()).await,
        Route::InProcess(target) => target,
    };
    let Some(dispatcher) = in_process else {
        tracing::info!(
            component,
            url = %request.uri(),
            "request to the app itself, but this trigger cannot serve in-process requests"
        );
        return Err(Error::DestinationNotFound);
    };
    let hops = hops + 1;
    if hops > MAX_IN_PROCESS_HOPS {
        tracing::warn!(
            component,
            url = %request.uri(),
            "in-process request refused: more than {MAX_IN_PROCESS_HOPS} hops in a chain of requests to the app itself (a loop?)"
        );
        return Err(Error::LoopDetected);
    }
    request.extensions_mut().insert(InProcessHops(hops));
    dispatcher.send(target, request).await
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

    /// A dispatcher whose every request starts an "instance" that sends the
    /// same request again, as a guest fetching its own route would.
    struct Looping {
        policy: Arc<OutboundPolicy>,
        me: std::sync::OnceLock<Arc<dyn InProcessHttp>>,
        deepest: std::sync::atomic::AtomicU32,
    }

    impl InProcessHttp for Looping {
        fn send(&self, _target: InProcessTarget, request: http::Request<WasiBody>) -> InProcessFuture {
            let hops = request.extensions().get::<InProcessHops>().map_or(0, |h| h.0);
            self.deepest.fetch_max(hops, std::sync::atomic::Ordering::SeqCst);
            let policy = self.policy.clone();
            let me = self.me.get().cloned();
            Box::pin(with_hops(hops, async move {
                // Built while serving, like an executor's store.
                let mut hooks = OutboundHttpHooks::new("looper".into(), policy, me, Default::default());
                let (response, _io) = Pin::from(hooks.send_request(get("/again"), None, Box::new(async { Ok(()) })))
                    .await?;
                Ok(response)
            }))
        }
    }

    fn get(url: &str) -> http::Request<WasiBody> {
        use http_body_util::BodyExt;
        let body = http_body_util::Empty::<bytes::Bytes>::new().map_err(|never| match never {}).boxed_unsync();
        http::Request::get(url).body(body).unwrap()
    }

    #[tokio::test]
    async fn a_loop_of_in_process_requests_stops_with_loop_detected() {
        let looping = Arc::new(Looping {
            policy: Arc::new(policy(&["http://self"])),
            me: Default::default(),
            deepest: Default::default(),
        });
        let dispatcher: Arc<dyn InProcessHttp> = looping.clone();
        let _ = looping.me.set(dispatcher.clone());
        // A client's request: hooks built outside any in-process request.
        let mut hooks = OutboundHttpHooks::new("looper".into(), looping.policy.clone(), Some(dispatcher), Default::default());
        let result = Pin::from(hooks.send_request(get("/start"), None, Box::new(async { Ok(()) }))).await;
        assert!(matches!(result, Err(Error::LoopDetected)), "{:?}", result.map(|_| ()));
        assert_eq!(looping.deepest.load(std::sync::atomic::Ordering::SeqCst), MAX_IN_PROCESS_HOPS);
    }
}
