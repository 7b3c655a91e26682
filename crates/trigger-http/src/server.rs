//! The hyper front end: accept, route, dispatch, drain on shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::body::Body;
use crate::limits::{self, Admission};
use crate::prepare::HttpTrigger;
use crate::spin_headers;

pub use crate::dispatch::{HEALTH_ROUTE, INFO_ROUTE};

/// Serving settings.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long in-flight requests may take to finish after shutdown starts.
    pub drain_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self { drain_timeout: Duration::from_secs(10) }
    }
}

/// Serves `trigger` on `listener` until `shutdown` resolves, then stops
/// accepting and waits (up to the drain timeout) for open requests.
pub async fn serve(
    trigger: Arc<HttpTrigger>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    options: ServeOptions,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    crate::in_process::install(&trigger, local);
    let limits = trigger.limits().clone();
    let admission = Arc::new(Admission::new(&limits));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Request heads over the buffer size get 431; a client that trickles its
    // head (slowloris) is cut off after the header read timeout.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_size.max(limits::MIN_HEADER_SIZE));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_size).unwrap_or(u32::MAX));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Running out of file descriptors must not end the server.
                    tracing::warn!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let trigger = trigger.clone();
        let admission = admission.clone();
        let service = hyper::service::service_fn(move |request| {
            let trigger = trigger.clone();
            let admission = admission.clone();
            async move { Ok::<_, std::convert::Infallible>(admit(&trigger, &admission, request, client, local).await) }
        });
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let first_byte_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            // hyper's header timer runs once a request head has started; a
            // client that connects and sends nothing is cut off here.
            let mut first = [0u8; 1];
            match tokio::time::timeout(first_byte_timeout, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => {
                    tracing::debug!(%client, "no request within the header read timeout; closing");
                    return;
                }
            }
            let connection = builder.serve_connection(TokioIo::new(stream), service).into_owned();
            if let Err(err) = watcher.watch(connection).await {
                tracing::debug!(%client, "connection ended: {err}");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: waiting for in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all requests finished"),
        () = tokio::time::sleep(options.drain_timeout) => {
            tracing::warn!("requests still running after {:?}; exiting anyway", options.drain_timeout)
        }
    }
    Ok(())
}

/// Runs a client's request when the app has room for it (the host's own
/// routes need none); the turn is held until the response body is sent.
async fn admit(
    trigger: &HttpTrigger,
    admission: &Admission,
    request: Request<Incoming>,
    client: SocketAddr,
    local: SocketAddr,
) -> Response<Body> {
    let path = request.uri().path();
    if path == HEALTH_ROUTE || path == INFO_ROUTE {
        return dispatch(trigger, request, client, local).await;
    }
    match admission.enter().await {
        Ok(turn) => limits::hold_until_sent(dispatch(trigger, request, client, local).await, turn),
        Err(busy) => busy,
    }
}

/// Routes one request and runs its handler.
pub async fn dispatch(
    trigger: &HttpTrigger,
    mut request: Request<Incoming>,
    client: SocketAddr,
    local: SocketAddr,
) -> Response<Body> {
    spin_headers::strip_client_spin_headers(request.headers_mut());
    let request = request.map(|incoming| incoming.map_err(wasmtime_wasi_http::Error::from).boxed_unsync());
    crate::dispatch::route_request(trigger, request, client, local).await
}
