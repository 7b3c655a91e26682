//! Cancelling statements nobody waits for.
//!
//! Dropping a `tokio-postgres` future stops the client reading, not the
//! server working: a `pg_sleep(3600)` or a runaway join whose request timed
//! out would run on, holding a backend, locks and the pooled connection.
//! PostgreSQL's answer is the cancel request, sent on a connection of its
//! own. A cancel that reaches a backend after its statement ended does
//! nothing, but one that lands late could catch the *next* statement on the
//! connection. So, as libpq does, a cancel counts as delivered only once
//! the server has closed the cancel connection (it has signalled the
//! backend by then), and the connection's next statement (or the ROLLBACK
//! before it goes back to the pool) waits for that. `tokio-postgres`'s own
//! `cancel_query` returns as soon as the request is written, so the request
//! goes through [`UntilClosed`], which makes the final shutdown wait for
//! the server's end of the connection.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_postgres::config::Host;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{CancelToken, Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How long a cancel request may take, connecting included, before it is
/// given up (the statement then runs to its end).
const CANCEL_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a connection's cancel requests go: the server the connection was
/// made to, reached the same way (addresses and TLS settings).
#[derive(Clone)]
pub(crate) struct CancelRoute {
    config: Arc<Config>,
    tls: MakeRustlsConnect,
}

impl CancelRoute {
    pub(crate) fn new(config: Config, tls: MakeRustlsConnect) -> Self {
        Self { config: Arc::new(config), tls }
    }
}

/// A connection's cancel request still being sent, if any.
#[derive(Default)]
pub(crate) struct PendingCancel(Mutex<Option<JoinHandle<()>>>);

impl PendingCancel {
    /// Takes the cancel in flight, leaving none.
    pub(crate) fn take(&self) -> Option<JoinHandle<()>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    fn set(&self, task: JoinHandle<()>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
    }
}

/// Waits until a cancel taken from [`PendingCancel::take`] was delivered
/// (or failed).
pub(crate) async fn settle(pending: Option<JoinHandle<()>>) {
    if let Some(task) = pending {
        let _ = task.await;
    }
}

/// Asks the server to cancel what `client`'s connection is running, and
/// waits until the server has acted on the request.
pub(crate) async fn cancel_now(client: &Client, route: &CancelRoute) {
    send(client.cancel_token(), route.clone()).await;
}

async fn send(token: CancelToken, route: CancelRoute) {
    match tokio::time::timeout(CANCEL_TIMEOUT, deliver(&token, &route)).await {
        Ok(Ok(())) => tracing::debug!("PostgreSQL: cancelled a statement nobody waits for"),
        Ok(Err(err)) => tracing::debug!(error = %err, "PostgreSQL: the cancel request failed"),
        Err(_) => tracing::debug!("PostgreSQL: the cancel request timed out"),
    }
}

/// Sends the cancel request to the first of the route's hosts that accepts
/// a connection (a request that reaches a server with no such backend is
/// ignored there), and waits for the server to close the connection.
async fn deliver(token: &CancelToken, route: &CancelRoute) -> Result<(), String> {
    let config = &route.config;
    let ports = config.get_ports();
    let addrs = config.get_hostaddrs();
    let mut last_error = String::from("the address names no TCP host");
    for (i, host) in config.get_hosts().iter().enumerate() {
        let Host::Tcp(name) = host else { continue };
        let port = match ports {
            [] => crate::DEFAULT_PORT,
            [port] => *port,
            ports => ports.get(i).copied().unwrap_or(crate::DEFAULT_PORT),
        };
        let stream = match addrs.get(i) {
            Some(addr) => TcpStream::connect((*addr, port)).await,
            None => TcpStream::connect((name.as_str(), port)).await,
        };
        let stream = match stream {
            Ok(stream) => stream,
            Err(err) => {
                last_error = format!("{name}:{port}: {err}");
                continue;
            }
        };
        let tls = MakeTlsConnect::<UntilClosed<TcpStream>>::make_tls_connect(&mut route.tls.clone(), name)
            .map_err(|e| e.to_string())?;
        return token.cancel_query_raw(UntilClosed::new(stream), tls).await.map_err(|e| e.to_string());
    }
    Err(last_error)
}

/// A stream whose shutdown completes only when the peer has closed its end:
/// PostgreSQL closes a cancel connection after signalling the backend.
pub(crate) struct UntilClosed<S> {
    inner: S,
    write_closed: bool,
}

impl<S> UntilClosed<S> {
    fn new(inner: S) -> Self {
        Self { inner, write_closed: false }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for UntilClosed<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for UntilClosed<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.write_closed {
            ready!(Pin::new(&mut self.inner).poll_shutdown(cx))?;
            self.write_closed = true;
        }
        // The server sends nothing on a cancel connection; read until it
        // closes (a reset counts as closed too).
        let mut scratch = [0u8; 64];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            match ready!(Pin::new(&mut self.inner).poll_read(cx, &mut buf)) {
                Ok(()) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Ok(()) => continue,
                Err(_) => return Poll::Ready(Ok(())),
            }
        }
    }
}

/// A statement in flight on a connection. Dropped without [`Self::finish`]
/// (its future was dropped: the caller stopped waiting), it sends a cancel
/// request in the background and records it in the connection's
/// [`PendingCancel`].
pub(crate) struct InFlight<'a> {
    client: &'a Client,
    route: &'a CancelRoute,
    pending: &'a PendingCancel,
    finished: bool,
}

impl<'a> InFlight<'a> {
    pub(crate) fn new(client: &'a Client, route: &'a CancelRoute, pending: &'a PendingCancel) -> Self {
        Self { client, route, pending, finished: false }
    }

    /// The statement ended (well or not): nothing to cancel.
    pub(crate) fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.finished || self.client.is_closed() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let task = runtime.spawn(send(self.client.cancel_token(), self.route.clone()));
        self.pending.set(task);
    }
}
