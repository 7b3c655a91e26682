//! Each app's pooled client for network requests ([`HttpClients`]).
//!
//! wasmtime-wasi-http's default sender opens a new TCP (and TLS) connection
//! for every request; a guest instance lives for one request, so nothing it
//! could keep would outlive it. One `hyper_util` legacy [`Client`] per app,
//! shared by its instances, keeps idle connections per scheme and authority instead
//! (HTTP/1.1, or HTTP/2 when TLS's ALPN picks it), while keeping the default
//! sender's behaviour: the guest's `request-options` timeouts and the same
//! [`Error`] values for connection, DNS and TLS failures, so guests see the
//! same `error-code`s.
//!
//! The connect timeout and the error of a failed connection attempt are
//! per request, but a connector only sees the URI: they travel in a
//! task-local [`Attempt`] set around the request, which the connector reads
//! when the client asks it to connect (inside that request's future).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use kiln_outbound_networking::{BlockedNetworks, ResolveError};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// The default sender's timeout when the guest sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The longest timeout honoured (a year: in effect, none).
const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

/// How long an unused connection stays in the pool.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The most idle connections kept per scheme and authority.
const MAX_IDLE_PER_HOST: usize = 64;

/// One request's connection attempt: its connect timeout, and what went
/// wrong if connecting failed (the client only reports "connect error").
struct Attempt {
    connect_timeout: Duration,
    connecting_since: Mutex<Option<Instant>>,
    connected_at: Mutex<Option<Instant>>,
    error: Mutex<Option<Error>>,
}

tokio::task_local! {
    static ATTEMPT: Arc<Attempt>;
}

/// TLS for an app's outbound connections: the platform's roots (webpki),
/// ALPN `h2` and `http/1.1`.
fn tls_connector() -> Option<tokio_rustls::TlsConnector> {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() })
                .with_no_client_auth()
        });
    match tls {
        Ok(mut config) => {
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            Some(tokio_rustls::TlsConnector::from(Arc::new(config)))
        }
        Err(err) => {
            tracing::error!("cannot configure TLS for outbound HTTP: {err}");
            None
        }
    }
}

/// An app's `[outbound_http]` runtime config, as Spin reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpClientConfig {
    /// Whether idle connections are kept and reused (Spin's default: yes).
    pub connection_pooling: bool,
    /// The most outbound requests of the app in flight at once (sent and
    /// waiting for their response head); `None` for no limit. Never 0:
    /// [`HttpClients::new`] refuses it.
    pub max_concurrent_requests: Option<usize>,
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        Self { connection_pooling: true, max_concurrent_requests: None }
    }
}

/// Why an `[outbound_http]` config cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum HttpConfigError {
    /// `max_concurrent_requests = 0` would let no request through.
    #[error("[outbound_http] max_concurrent_requests must be at least 1 (leave it out for no limit)")]
    ZeroConcurrency,
}

/// One app's outbound HTTP clients: built with the app, dropped with it, so
/// two apps in one process share no connections, TLS state or limits.
pub struct HttpClients {
    /// One pooled client per distinct `block_networks` list (in practice
    /// one), so a connection opened under a laxer list is never reused
    /// under a stricter one.
    clients: Mutex<HashMap<String, Client<Connector, WasiBody>>>,
    tls: Option<tokio_rustls::TlsConnector>,
    pooling: bool,
    limit: Option<Arc<tokio::sync::Semaphore>>,
}

impl Default for HttpClients {
    fn default() -> Self {
        Self::with_config(HttpClientConfig::default())
    }
}

impl HttpClients {
    /// Clients applying `config`; `max_concurrent_requests = 0` is refused.
    pub fn new(config: HttpClientConfig) -> Result<Self, HttpConfigError> {
        if config.max_concurrent_requests == Some(0) {
            return Err(HttpConfigError::ZeroConcurrency);
        }
        Ok(Self::with_config(config))
    }

    fn with_config(config: HttpClientConfig) -> Self {
        Self {
            clients: Mutex::default(),
            tls: tls_connector(),
            pooling: config.connection_pooling,
            limit: config.max_concurrent_requests.map(|n| Arc::new(tokio::sync::Semaphore::new(n))),
        }
    }

    fn client(&self, blocked: &Arc<BlockedNetworks>) -> Client<Connector, WasiBody> {
        // Without pooling no connection is kept idle: each request opens its own.
        let max_idle = if self.pooling { MAX_IDLE_PER_HOST } else { 0 };
        lock(&self.clients)
            .entry(blocked.key())
            .or_insert_with(|| {
                Client::builder(TokioExecutor::new())
                    .timer(TokioTimer::new())
                    .pool_timer(TokioTimer::new())
                    .pool_idle_timeout(IDLE_TIMEOUT)
                    .pool_max_idle_per_host(max_idle)
                    .build(Connector { tls: self.tls.clone(), blocked: blocked.clone() })
            })
            .clone()
    }

    /// Sends `request` (an absolute URI the policy already allowed) through
    /// the app's pool, honouring the guest's `options`; with
    /// `max_concurrent_requests` set, waits for a free slot first and holds
    /// it until the response head arrives.
    pub(crate) async fn send(
        &self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        blocked: &Arc<BlockedNetworks>,
    ) -> Result<http::Response<WasiBody>, Error> {
        let _permit = match &self.limit {
            // The semaphore is never closed; a closed one would mean no limit.
            Some(limit) => limit.clone().acquire_owned().await.ok(),
            None => None,
        };
        send(self.client(blocked), request, options).await
    }
}

/// Sends `request` through `client`, honouring the guest's `options`.
async fn send(
    client: Client<Connector, WasiBody>,
    request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<http::Response<WasiBody>, Error> {
    let uri = request.uri();
    if uri.authority().is_none() {
        return Err(Error::HttpRequestUriInvalid);
    }
    // A guest may ask for any u64 of nanoseconds; clamp so deadlines never
    // overflow an `Instant`.
    let clamp = |d: Option<Duration>| d.unwrap_or(DEFAULT_TIMEOUT).min(MAX_TIMEOUT);
    let connect_timeout = clamp(options.and_then(|o| o.connect_timeout));
    let first_byte_timeout = clamp(options.and_then(|o| o.first_byte_timeout));
    let between_bytes_timeout = clamp(options.and_then(|o| o.between_bytes_timeout));
    let attempt = Arc::new(Attempt {
        connect_timeout,
        connecting_since: Mutex::new(None),
        connected_at: Mutex::new(None),
        error: Mutex::new(None),
    });
    let started = Instant::now();
    let response = ATTEMPT.scope(attempt.clone(), client.request(request));
    tokio::pin!(response);
    // The first-byte timeout counts from when a connection is ready: from
    // the start for a pooled one, after connecting for a new one (connecting
    // has its own timeout, enforced by the connector).
    let mut deadline = started + first_byte_timeout;
    let result = loop {
        tokio::select! {
            result = &mut response => break result,
            () = tokio::time::sleep_until(deadline.into()) => {
                let connected_at = *lock(&attempt.connected_at);
                let connecting = lock(&attempt.connecting_since).is_some();
                match connected_at {
                    Some(at) if at + first_byte_timeout > Instant::now() => deadline = at + first_byte_timeout,
                    None if connecting => deadline = Instant::now() + first_byte_timeout,
                    _ => return Err(Error::ConnectionReadTimeout),
                }
            }
        }
    };
    let response = match result {
        Ok(response) => response,
        Err(err) => {
            if let Some(error) = lock(&attempt.error).take() {
                return Err(error);
            }
            return Err(client_error(&err));
        }
    };
    let between_bytes_timeout =
        if between_bytes_timeout.is_zero() { Duration::from_nanos(1) } else { between_bytes_timeout };
    Ok(response.map(|incoming| {
        let mut timeout = tokio::time::interval(between_bytes_timeout);
        timeout.reset();
        TimedBody { incoming, timeout }.boxed_unsync()
    }))
}

/// Locks `mutex`, whether or not another thread panicked holding it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The `wasi:http` error for a client failure that was not a connection
/// attempt's: hyper's timeouts as the default sender reports them, anything
/// else a protocol error.
fn client_error(err: &hyper_util::client::legacy::Error) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(hyper_err) = cause.downcast_ref::<hyper::Error>() {
            if hyper_err.is_timeout() {
                return Error::HttpResponseTimeout;
            }
            if hyper_err.is_incomplete_message() {
                return Error::HttpResponseIncomplete;
            }
        }
        source = cause.source();
    }
    if err.is_connect() {
        return Error::ConnectionRefused;
    }
    tracing::debug!("outbound HTTP request failed: {err:?}");
    Error::HttpProtocolError
}

/// A response body that fails with `connection-read-timeout` when no frame
/// arrives within the between-bytes timeout.
struct TimedBody {
    incoming: hyper::body::Incoming,
    timeout: tokio::time::Interval,
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(err))) => {
                Poll::Ready(Some(Err(if err.is_timeout() { Error::HttpResponseTimeout } else { Error::Hyper(err) })))
            }
            Poll::Ready(Some(Ok(frame))) => {
                self.timeout.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => match self.timeout.poll_tick(cx) {
                Poll::Ready(_) => Poll::Ready(Some(Err(Error::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}

/// A plain or TLS stream.
trait Stream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> Stream for T {}

/// One pooled connection.
pub(crate) struct Conn {
    io: TokioIo<Box<dyn Stream>>,
    h2: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        let connected = Connected::new();
        if self.h2 { connected.negotiated_h2() } else { connected }
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Opens TCP connections, with TLS (ALPN `h2`, `http/1.1`) for `https`.
#[derive(Clone)]
pub(crate) struct Connector {
    tls: Option<tokio_rustls::TlsConnector>,
    blocked: Arc<BlockedNetworks>,
}

/// Why a connection attempt failed; the request's own [`Error`] is kept in
/// its [`Attempt`].
#[derive(Debug)]
pub(crate) struct ConnectFailed;

impl std::fmt::Display for ConnectFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("outbound connection failed")
    }
}

impl std::error::Error for ConnectFailed {}

impl tower_service::Service<http::Uri> for Connector {
    type Response = Conn;
    type Error = ConnectFailed;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, ConnectFailed>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let attempt = ATTEMPT.try_with(Arc::clone).ok();
        if let Some(attempt) = &attempt {
            *lock(&attempt.connecting_since) = Some(Instant::now());
        }
        let tls = self.tls.clone();
        let blocked = self.blocked.clone();
        Box::pin(async move {
            let timeout = attempt.as_ref().map_or(DEFAULT_TIMEOUT, |a| a.connect_timeout);
            let result = match tokio::time::timeout(timeout, connect(uri, tls, &blocked)).await {
                Ok(result) => result,
                Err(_) => Err(Error::ConnectionTimeout),
            };
            match result {
                Ok(conn) => {
                    if let Some(attempt) = &attempt {
                        *lock(&attempt.connected_at) = Some(Instant::now());
                    }
                    Ok(conn)
                }
                Err(error) => {
                    tracing::debug!("outbound connection failed: {error}");
                    if let Some(attempt) = &attempt {
                        *lock(&attempt.error) = Some(error);
                    }
                    Err(ConnectFailed)
                }
            }
        })
    }
}

/// Connects to `uri`'s authority, as the default sender does.
async fn connect(
    uri: http::Uri,
    tls: Option<tokio_rustls::TlsConnector>,
    blocked: &BlockedNetworks,
) -> Result<Conn, Error> {
    let authority = uri.authority().ok_or(Error::HttpRequestUriInvalid)?;
    let use_tls = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    let host = authority.host();
    let port = authority.port_u16().unwrap_or(if use_tls { 443 } else { 80 });
    let host_only = host.trim_start_matches('[').trim_end_matches(']');
    let stream = if blocked.is_empty() {
        TcpStream::connect((host_only, port)).await.map_err(Error::Connect)?
    } else {
        // Resolve here, drop blocked addresses, and connect only to the rest.
        let addrs = blocked.resolve(host_only, port).await.map_err(|err| match err {
            ResolveError::Blocked { .. } => Error::DestinationIpProhibited,
            ResolveError::Dns { .. } => Error::DnsError { rcode: Some("address not available".to_string()), info_code: None },
        })?;
        TcpStream::connect(&addrs[..]).await.map_err(Error::Connect)?
    };
    let _ = stream.set_nodelay(true);
    if !use_tls {
        return Ok(Conn { io: TokioIo::new(Box::new(stream)), h2: false });
    }
    let Some(tls) = tls else {
        return Err(Error::TlsProtocolError);
    };
    let name = match host_only.parse::<std::net::IpAddr>() {
        Ok(ip) => rustls::pki_types::ServerName::from(ip),
        Err(_) => rustls::pki_types::ServerName::try_from(host_only.to_string()).map_err(Error::InvalidDnsNameError)?,
    };
    let stream = tls.connect(name, stream).await.map_err(Error::Tls)?;
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    Ok(Conn { io: TokioIo::new(Box::new(stream)), h2 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    thread_local! {
        /// One app's clients per test thread, so a test's requests share a pool.
        static APP: Arc<HttpClients> = Arc::default();
    }

    /// Sends through this test's app clients.
    async fn send(
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        blocked: &Arc<BlockedNetworks>,
    ) -> Result<http::Response<WasiBody>, Error> {
        let clients = APP.with(Arc::clone);
        clients.send(request, options, blocked).await
    }

    fn get(url: &str) -> http::Request<WasiBody> {
        let body = http_body_util::Empty::<Bytes>::new().map_err(|never| match never {}).boxed_unsync();
        http::Request::get(url).body(body).unwrap()
    }

    fn options(connect: u64, first_byte: u64, between: u64) -> Option<RequestOptions> {
        Some(RequestOptions {
            connect_timeout: Some(Duration::from_millis(connect)),
            first_byte_timeout: Some(Duration::from_millis(first_byte)),
            between_bytes_timeout: Some(Duration::from_millis(between)),
        })
    }

    /// A server that reads one request, then writes `reply` in pieces
    /// `pause` apart, keeping the connection open; counts connections.
    async fn server(reply: Vec<&'static str>, pause: Duration) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let accepted = count.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let reply = reply.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    loop {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        for piece in &reply {
                            tokio::time::sleep(pause).await;
                            if stream.write_all(piece.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (format!("http://{addr}"), count)
    }

    #[tokio::test]
    async fn sequential_requests_share_one_connection() {
        let (base, count) = server(vec!["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"], Duration::ZERO).await;
        for _ in 0..5 {
            let response = send(get(&format!("{base}/")), None, &Arc::default()).await.unwrap();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"hi");
        }
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn blocked_networks_are_checked_after_resolution() {
        let (base, count) = server(vec!["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"], Duration::ZERO).await;
        let port = base.rsplit(':').next().unwrap_or_default().to_string();
        let config = kiln_runtime_config::RuntimeConfig::parse_str(
            "[outbound_networking]\nblock_networks = [\"127.0.0.0/8\", \"::1\"]\n",
            std::path::Path::new("rc.toml"),
        )
        .unwrap();
        let blocked = Arc::new(BlockedNetworks::new(config.block_networks));
        for host in ["127.0.0.1", "localhost", "2130706433", "[::ffff:127.0.0.1]"] {
            let result = send(get(&format!("http://{host}:{port}/")), None, &blocked).await;
            assert!(
                matches!(result, Err(Error::DestinationIpProhibited) | Err(Error::DnsError { .. })),
                "{host}: {result:?}"
            );
        }
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0, "nothing reached the server");
        // The same server, without the list, answers.
        assert!(send(get(&format!("{base}/")), None, &Arc::default()).await.is_ok());
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        match send(get(&format!("http://{addr}/")), None, &Arc::default()).await {
            Err(Error::Connect(err)) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn an_unknown_host_is_a_dns_failure() {
        match send(get("http://no-such-host.invalid/"), None, &Arc::default()).await {
            Err(Error::Connect(err)) => {
                assert!(err.to_string().starts_with("failed to lookup address information"), "{err}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn tls_to_a_plain_server_is_a_tls_error() {
        let (base, _) = server(vec!["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"], Duration::ZERO).await;
        let url = base.replace("http://", "https://");
        assert!(matches!(send(get(&format!("{url}/")), options(2000, 2000, 2000), &Arc::default()).await, Err(Error::Tls(_))));
    }

    #[tokio::test]
    async fn a_silent_server_hits_the_first_byte_timeout() {
        let (base, _) = server(vec!["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"], Duration::from_secs(5)).await;
        let started = Instant::now();
        assert!(matches!(send(get(&format!("{base}/")), options(1000, 200, 1000), &Arc::default()).await, Err(Error::ConnectionReadTimeout)));
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn a_stalled_body_hits_the_between_bytes_timeout() {
        let (base, _) =
            server(vec!["HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nhi", "ho"], Duration::from_millis(600)).await;
        let response = send(get(&format!("{base}/")), options(1000, 2000, 200), &Arc::default()).await.unwrap();
        assert!(matches!(response.into_body().collect().await, Err(Error::ConnectionReadTimeout)));
    }
}
