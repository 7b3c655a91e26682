//! The `wasi:http/handler@0.3.x` (WASI Preview 3) executor, bodies streamed
//! both ways. Instances are reused across requests (see [`crate::reuse`])
//! unless the reuse count is 1, which gives a fresh instance per request.
//!
//! Built on the experimental `p3` module of `wasmtime-wasi-http` 48. Unlike
//! Preview 2, `handle` is an `async` function that *returns* the response;
//! the guest typically keeps running afterwards to write the response body
//! (and read the request body). Everything the guest does — including the
//! transfer of body bytes, which wasmtime pumps from the store's event loop
//! — happens inside `Store::run_concurrent`, so a task owns the store and
//! keeps that loop going until the guest has no task left.

use http_body_util::BodyExt;
use kiln_instance::InstanceSettings;
use kiln_world::HostState;
use wasmtime::component::{Accessor, Component, Linker};
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::{WasiBody, WasiHttpView};

use crate::body::Body;
use crate::reuse::{InstanceReuse, Pool};

/// The export this executor calls, up to its patch version (any `0.3.x`).
pub const EXPORT_PREFIX: &str = "wasi:http/handler@0.3.";

/// A compiled, pre-linked `wasi:http/handler@0.3.x` component.
pub struct WasiHttpP3Handler {
    pre: ServicePre<HostState>,
    pub(crate) settings: std::sync::Arc<InstanceSettings>,
    /// How instances are reused, fixed at prepare.
    reuse: InstanceReuse,
    /// The live instances, created with the first request when reusing.
    pool: std::sync::OnceLock<Pool>,
}

/// What the task running the guest reports before the guest is done.
type Answer = wasmtime::Result<http::Response<WasiBody>>;

/// Resolves with the outcome of transferring the request body to the guest.
type RequestIo = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
>;

impl WasiHttpP3Handler {
    /// Pre-links a compiled component exporting the handler.
    pub(crate) fn new(
        base: &Linker<HostState>,
        component: &Component,
        settings: InstanceSettings,
        reuse: InstanceReuse,
    ) -> Result<Self, String> {
        let instance_pre = settings.prelink(base, component)?;
        let pre = ServicePre::new(instance_pre)
            .map_err(|e| format!("{EXPORT_PREFIX}x has an unexpected type: {e:#}"))?;
        Ok(Self {
            pre,
            settings: std::sync::Arc::new(settings),
            reuse,
            pool: std::sync::OnceLock::new(),
        })
    }

    /// The pool of live instances, or `None` for a fresh instance per request.
    fn pool(&self) -> Option<&Pool> {
        let reuse = self.reuse;
        reuse.reuses().then(|| {
            self.pool.get_or_init(|| crate::reuse::pool(self.pre.clone(), self.settings.clone(), reuse))
        })
    }

    /// Runs one request, in a reused instance or a fresh one. Errors before
    /// the guest returned a response become a 500 (504 when it ran out of
    /// time), logged with the component id.
    pub async fn handle(&self, request: http::Request<crate::body::RequestBody>) -> http::Response<Body> {
        let result = match self.pool() {
            Some(pool) => pool.handle((), request).await.map_err(|e| self.timeout_as_timed_out(e)),
            None => self.try_handle(request).await,
        };
        match result {
            Ok(response) => {
                response.map(|b| b.map_err(|e| std::io::Error::other(e.to_string())).boxed_unsync())
            }
            Err(err) => crate::limits::failure(&self.settings.id, &err),
        }
    }

    /// The pool reports a request that ran out of time as its own error
    /// type; this turns it into Kiln's, so the client gets a 504.
    fn timeout_as_timed_out(&self, err: wasmtime::Error) -> wasmtime::Error {
        match self.settings.limits.timeout {
            Some(timeout) if err.is::<wasmtime_wasi_http::handler::ExpirationError>() => {
                wasmtime::Error::new(kiln_engine::TimedOut(timeout))
            }
            _ => err,
        }
    }

    /// Runs one request in a fresh instance.
    async fn try_handle(
        &self,
        request: http::Request<crate::body::RequestBody>,
    ) -> wasmtime::Result<http::Response<WasiBody>> {
        let (mut store, deadline) = self.settings.new_store_with_deadline(self.pre.engine())?;

        let (sender, receiver) = tokio::sync::oneshot::channel::<Answer>();
        let pre = self.pre.clone();
        let id = self.settings.id.clone();
        // The guest keeps running after returning the response, to stream
        // the bodies; the task owns the store until the guest is done.
        let task = tokio::spawn(deadline.run(async move {
            let service = pre.instantiate_async(&mut store).await?;
            store
                .run_concurrent(async move |accessor| run_guest(accessor, &service, request, sender).await)
                .await?
        }));
        match receiver.await {
            Ok(Ok(response)) => {
                crate::wasi_http::stream_on(id, task);
                Ok(response)
            }
            Ok(Err(err)) => Err(err),
            Err(_) => match task.await {
                Ok(Ok(())) => Err(wasmtime::format_err!("guest returned without a response")),
                Ok(Err(err)) => Err(err),
                Err(err) => Err(wasmtime::format_err!("guest task failed: {err}")),
            },
        }
    }
}

/// Calls `handle` inside the store's event loop, hands the response (its body
/// still being written by the guest) to `sender`, then keeps the loop
/// running until no guest task is left, so the body can be transferred.
async fn run_guest(
    accessor: &Accessor<HostState>,
    service: &wasmtime_wasi_http::p3::bindings::Service,
    request: http::Request<crate::body::RequestBody>,
    sender: tokio::sync::oneshot::Sender<Answer>,
) -> wasmtime::Result<()> {
    let (request, request_io) = accessor.with(|mut access| {
        let hooks = access.get().http().hooks;
        let (request, io) = wasmtime_wasi_http::p3::Request::from_http(hooks, request);
        // Boxed: the opaque future type names the borrow of `hooks`, the
        // value itself is `'static`.
        let io: RequestIo = Box::pin(io);
        (request, io)
    });
    // A trap here returns early and drops `sender`: the caller then reports
    // this error as the request's failure.
    let answer = match service.handle(accessor, request).await? {
        Ok(response) => accessor.with(|mut access| response.into_http(&mut access, request_io)),
        Err(code) => Err(wasmtime::format_err!("guest answered with error code {code:?}")),
    };
    if sender.send(answer).is_err() {
        // The client went away; the guest may still finish its work.
        tracing::debug!("response receiver dropped before the guest answered");
    }
    std::future::poll_fn(|cx| accessor.poll_no_interesting_tasks(cx)).await;
    Ok(())
}
