//! Cancelling statements nobody waits for.
//!
//! Dropping a `tokio-postgres` future stops the client reading, not the
//! server working: a `pg_sleep(3600)` or a runaway join whose request timed
//! out would run on, holding a backend, locks and the pooled connection.
//! PostgreSQL's answer is the cancel request, sent on a connection of its
//! own. A cancel that reaches a backend after its statement ended does
//! nothing, but one sent late could catch the *next* statement on the
//! connection; so each connection remembers its cancel in flight and its
//! next statement (or the ROLLBACK before it goes back to the pool) waits
//! for the cancel to be delivered first.

use std::sync::Mutex;

use tokio::task::JoinHandle;
use tokio_postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

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
/// waits for the request to be delivered.
pub(crate) async fn cancel_now(client: &Client, tls: &MakeRustlsConnect) {
    send(client.cancel_token(), tls.clone()).await;
}

async fn send(token: tokio_postgres::CancelToken, tls: MakeRustlsConnect) {
    match token.cancel_query(tls).await {
        Ok(()) => tracing::debug!("PostgreSQL: cancelled a statement nobody waits for"),
        Err(err) => tracing::debug!(error = %err, "PostgreSQL: the cancel request failed"),
    }
}

/// A statement in flight on a connection. Dropped without [`Self::finish`]
/// (its future was dropped: the caller stopped waiting), it sends a cancel
/// request in the background and records it in the connection's
/// [`PendingCancel`].
pub(crate) struct InFlight<'a> {
    client: &'a Client,
    tls: &'a MakeRustlsConnect,
    pending: &'a PendingCancel,
    finished: bool,
}

impl<'a> InFlight<'a> {
    pub(crate) fn new(client: &'a Client, tls: &'a MakeRustlsConnect, pending: &'a PendingCancel) -> Self {
        Self { client, tls, pending, finished: false }
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
        let task = runtime.spawn(send(self.client.cancel_token(), self.tls.clone()));
        self.pending.set(task);
    }
}
