//! Instance reuse for Preview 3 (`wasi:http/handler@0.3.x`) components.
//!
//! A P3 `handle` is an `async` export, so one instance can serve several
//! requests, one after another and at the same time. Kiln does what Spin 4
//! and `wasmtime serve` do, on top of `wasmtime_wasi_http::handler`: each
//! live instance is owned by a worker task that keeps the store's
//! `run_concurrent` event loop going, takes requests from a per-component
//! queue and starts one guest task per request.
//!
//! * An instance serves at most [`InstanceReuse::max_reuse_count`] requests,
//!   at most [`InstanceReuse::max_concurrent_reuse_count`] at once; a request
//!   that finds no worker with room gets a fresh instance.
//! * A worker with nothing to do for [`InstanceReuse::idle_timeout`] drops
//!   its instance.
//! * A trap retires the instance: the request that trapped answers 500, and
//!   so does every other request in flight on it that has no response yet;
//!   responses already sent have their bodies cut. Later requests get a
//!   fresh instance.
//! * The request timeout applies per request: a request without a response
//!   in time answers 504 and the instance takes no new requests. A guest
//!   still busy (a response body being written, a loop that never yields to
//!   the host) a full timeout after its latest request started or answered
//!   is stopped with its instance.
//!
//! Preview 2, Spin 1 and WAGI components always get a fresh instance: their
//! exports are synchronous and their guests assume a clean instance.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use kiln_instance::InstanceSettings;
use kiln_world::HostState;
use wasmtime::component::GuestTaskId;
use wasmtime::{Store, StoreContextMut, UpdateDeadline};
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, Proxy, ProxyHandler, ShouldAccept, WorkerExpiration, WorkerState,
    WorkerStatus,
};
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::{WasiHttpCtxView, WasiHttpView};

/// How Preview 3 instances are reused; `Default` gives the documented
/// defaults of `kiln up` (128 requests, 16 at once, 1 s idle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceReuse {
    /// Requests one instance serves before it is dropped; 1: a fresh
    /// instance per request.
    pub max_reuse_count: usize,
    /// Requests one instance serves at the same time.
    pub max_concurrent_reuse_count: usize,
    /// How long an instance with nothing to do is kept for later requests.
    pub idle_timeout: Duration,
}

impl Default for InstanceReuse {
    fn default() -> Self {
        Self {
            max_reuse_count: 128,
            max_concurrent_reuse_count: 16,
            idle_timeout: Duration::from_secs(1),
        }
    }
}

/// Why reuse settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ReuseError {
    /// A count of zero would serve nothing.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
}

impl InstanceReuse {
    /// Checks that every count is at least 1.
    pub fn validate(&self) -> Result<(), ReuseError> {
        if self.max_reuse_count == 0 {
            return Err(ReuseError::Zero("max instance reuse count"));
        }
        if self.max_concurrent_reuse_count == 0 {
            return Err(ReuseError::Zero("max instance concurrent reuse count"));
        }
        Ok(())
    }

    /// Whether instances are reused at all.
    pub(crate) fn reuses(&self) -> bool {
        self.max_reuse_count > 1
    }
}

/// The live instances of one component and the queue feeding them.
pub(crate) type Pool = ProxyHandler<PoolState>;

/// Creates the pool for a component; workers start with the first request.
pub(crate) fn pool(
    pre: ServicePre<HostState>,
    settings: Arc<InstanceSettings>,
    reuse: InstanceReuse,
) -> Pool {
    ProxyHandler::new(PoolState { pre, settings, reuse })
}

/// What every worker of one component's pool shares.
pub(crate) struct PoolState {
    pre: ServicePre<HostState>,
    settings: Arc<InstanceSettings>,
    reuse: InstanceReuse,
}

impl PoolState {
    async fn new_instance(&self) -> wasmtime::Result<Instance<HostState, Expiry, Worker>> {
        let (mut store, deadline) = self.settings.new_store_with_deadline(self.pre.engine())?;
        // Instantiation counts against the request timeout, as it does for
        // a fresh instance.
        let service = deadline.run(self.pre.instantiate_async(&mut store)).await?;
        // From here on the store outlives any one request, so the epoch
        // callback only yields; per-request time is kept by `Worker` and
        // `Expiry`, which drop the whole instance when it runs over.
        store.epoch_deadline_callback(|_| Ok(UpdateDeadline::Yield(1)));
        tracing::debug!(component = %self.settings.id, "new reusable instance");
        let request_timeout = self.settings.limits.timeout;
        Ok(Instance {
            store,
            proxy: Proxy::P3(service),
            view: http_view,
            expiration: Expiry::new(self.reuse.idle_timeout, request_timeout),
            state: Worker {
                id: self.settings.id.clone(),
                reuse: self.reuse,
                request_timeout,
            },
        })
    }
}

fn http_view(state: &mut HostState) -> WasiHttpCtxView<'_> {
    state.http()
}

impl HandlerState for PoolState {
    type StoreData = HostState;
    type WorkerExpiration = Expiry;
    type WorkerState = Worker;

    fn instantiate(
        &self,
    ) -> impl Future<Output = wasmtime::Result<Instance<HostState, Expiry, Worker>>> + Send {
        self.new_instance()
    }
}

/// One instance's limits: how many requests it takes and for how long each
/// may run.
pub(crate) struct Worker {
    id: Arc<str>,
    reuse: InstanceReuse,
    request_timeout: Option<Duration>,
}

impl WorkerState for Worker {
    type StoreData = HostState;
    type RequestData = ();

    fn should_accept_request(&self, concurrent: usize, total: usize) -> ShouldAccept {
        if total >= self.reuse.max_reuse_count {
            ShouldAccept::Never
        } else if concurrent >= self.reuse.max_concurrent_reuse_count {
            ShouldAccept::No
        } else {
            ShouldAccept::Yes
        }
    }

    fn on_request_start(
        &self,
        _store: StoreContextMut<'_, HostState>,
        _data: (),
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
        // Resolving marks the request as expired (its caller gets a timeout).
        match self.request_timeout {
            Some(timeout) => Box::pin(tokio::time::sleep(timeout)),
            None => Box::pin(std::future::pending()),
        }
    }

    fn drop(&self, store: Store<HostState>, result: wasmtime::Result<()>) {
        drop(store);
        match result {
            Ok(()) => tracing::debug!(component = %self.id, "instance retired"),
            Err(err) => tracing::error!(component = %self.id, "instance retired after a failure: {err:#}"),
        }
    }
}

/// When a worker drops its instance: idle for the idle timeout, or still
/// busy a request timeout after its latest request started or answered.
pub(crate) struct Expiry {
    idle_timeout: Duration,
    request_timeout: Option<Duration>,
    timer: Pin<Box<tokio::time::Sleep>>,
    armed_for: Option<Instant>,
}

impl Expiry {
    fn new(idle_timeout: Duration, request_timeout: Option<Duration>) -> Self {
        Self {
            idle_timeout,
            request_timeout,
            timer: Box::pin(tokio::time::sleep(idle_timeout)),
            armed_for: None,
        }
    }
}

impl WorkerExpiration for Expiry {
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>, status: WorkerStatus, since: Instant) -> Poll<()> {
        let this = self.get_mut();
        let limit = match status {
            WorkerStatus::Idle => Some(this.idle_timeout),
            WorkerStatus::Requests | WorkerStatus::PostReturn => this.request_timeout,
        };
        let Some(limit) = limit else {
            this.armed_for = None;
            return Poll::Pending;
        };
        let at = since + limit;
        if this.armed_for != Some(at) {
            this.timer.as_mut().reset(at.into());
            this.armed_for = Some(at);
        }
        this.timer.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_take_requests_up_to_the_limits() {
        let worker = Worker {
            id: Arc::from("c"),
            reuse: InstanceReuse { max_reuse_count: 3, max_concurrent_reuse_count: 2, ..InstanceReuse::default() },
            request_timeout: None,
        };
        assert!(matches!(worker.should_accept_request(0, 0), ShouldAccept::Yes));
        assert!(matches!(worker.should_accept_request(2, 2), ShouldAccept::No));
        assert!(matches!(worker.should_accept_request(1, 3), ShouldAccept::Never));
        assert!(InstanceReuse { max_reuse_count: 0, ..InstanceReuse::default() }.validate().is_err());
        assert!(InstanceReuse::default().validate().is_ok());
        assert!(!InstanceReuse { max_reuse_count: 1, ..InstanceReuse::default() }.reuses());
    }
}
