//! Stopping statements nobody waits for.
//!
//! Dropping a `mysql_async` future stops the client reading, not the server
//! working: a statement whose request timed out would run on, and the
//! connection (kept by a Preview 3 guest, or cleaned up by the pool) would
//! wait for it. The server's answer is `KILL QUERY <connection id>`, sent
//! on another connection. A kill that reaches an idle connection does
//! nothing to its next statement; one sent late could still catch that
//! statement, so each connection remembers its kill in flight and its next
//! statement waits for the kill to be delivered first.

use std::sync::Mutex;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::Pool;
use tokio::task::JoinHandle;

/// How long sending a kill may take (taking a connection from the pool
/// included) before it is given up.
const KILL_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection's kill still being sent, if any.
#[derive(Default)]
pub(crate) struct PendingKill(Mutex<Option<JoinHandle<()>>>);

impl PendingKill {
    /// Waits until the kill in flight, if any, was delivered (or failed).
    pub(crate) async fn settle(&self) {
        let task = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    fn set(&self, task: JoinHandle<()>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
    }
}

/// Kills the statement connection `id` runs, from another connection of
/// `pool`, and waits for the server's answer.
pub(crate) async fn kill_query(pool: Pool, id: u32) {
    let kill = async {
        let mut conn = pool.get_conn().await?;
        conn.query_drop(format!("KILL QUERY {id}")).await
    };
    match tokio::time::timeout(KILL_TIMEOUT, kill).await {
        Ok(Ok(())) => tracing::debug!(connection = id, "MySQL: killed a statement nobody waits for"),
        // The statement may have ended and its connection gone meanwhile.
        Ok(Err(err)) => tracing::debug!(connection = id, error = %err, "MySQL: KILL QUERY failed"),
        Err(_) => tracing::debug!(connection = id, "MySQL: KILL QUERY timed out"),
    }
}

/// A statement in flight on a connection. Dropped without [`Self::finish`]
/// (its future was dropped: the caller stopped waiting), it sends the kill
/// in the background and records it in the connection's [`PendingKill`].
pub(crate) struct InFlight<'a> {
    pool: &'a Pool,
    id: u32,
    pending: &'a PendingKill,
    finished: bool,
}

impl<'a> InFlight<'a> {
    pub(crate) fn new(pool: &'a Pool, id: u32, pending: &'a PendingKill) -> Self {
        Self { pool, id, pending, finished: false }
    }

    /// The statement ended (well or not): nothing to kill.
    pub(crate) fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        self.pending.set(runtime.spawn(kill_query(self.pool.clone(), self.id)));
    }
}
