//! The `wasi:http/incoming-handler` executor: a fresh instance per request,
//! bodies streamed both ways.

use http_body_util::BodyExt;
use kiln_instance::InstanceSettings;
use kiln_world::HostState;
use wasmtime::component::{Component, Linker};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::WasiHttpView;

use crate::body::Body;

/// The export this executor calls, up to its patch version (any `0.2.x`).
pub const EXPORT_PREFIX: &str = "wasi:http/incoming-handler@0.2.";

/// A compiled, pre-linked `wasi:http` component.
pub struct WasiHttpHandler {
    pre: ProxyPre<HostState>,
    pub(crate) settings: InstanceSettings,
}

impl WasiHttpHandler {
    /// Pre-links a compiled component exporting the handler.
    pub(crate) fn new(
        base: &Linker<HostState>,
        component: &Component,
        settings: InstanceSettings,
    ) -> Result<Self, String> {
        let pre = ProxyPre::new(settings.prelink(base, component)?)
            .map_err(|e| format!("{EXPORT_PREFIX}x has an unexpected type: {e:#}"))?;
        Ok(Self { pre, settings })
    }

    /// Runs one request in a fresh instance. Errors before the guest set a
    /// response become a 500, logged with the component id.
    pub async fn handle(&self, request: http::Request<crate::body::RequestBody>) -> http::Response<Body> {
        match self.try_handle(request).await {
            Ok(response) => response,
            Err(err) => crate::limits::failure(&self.settings.id, &err),
        }
    }

    async fn try_handle(
        &self,
        request: http::Request<crate::body::RequestBody>,
    ) -> wasmtime::Result<http::Response<Body>> {
        let (mut store, deadline) = self.settings.new_store_with_deadline(self.pre.engine())?;

        let (sender, receiver) = tokio::sync::oneshot::channel();
        let req = store.data_mut().http().new_incoming_request(Scheme::Http, request)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let pre = self.pre.clone();
        let id = self.settings.id.clone();
        // The guest keeps running after setting the response, to stream the
        // body; the task owns the store until it returns or its deadline passes.
        let task = tokio::spawn(deadline.run(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy.wasi_http_incoming_handler().call_handle(&mut store, req, out).await
        }));
        match receiver.await {
            Ok(Ok(response)) => {
                stream_on(id, task);
                Ok(response.map(|b| b.map_err(|e| std::io::Error::other(e.to_string())).boxed_unsync()))
            }
            Ok(Err(code)) => Err(wasmtime::format_err!("guest answered with error code {code:?}")),
            Err(_) => match task.await {
                Ok(Ok(())) => Err(wasmtime::format_err!("guest returned without setting a response")),
                Ok(Err(err)) => Err(err),
                Err(err) => Err(wasmtime::format_err!("guest task failed: {err}")),
            },
        }
    }
}

/// Lets the guest `task` finish streaming a response already handed to the
/// client, logging how it ends if it fails.
pub(crate) fn stream_on(id: std::sync::Arc<str>, task: tokio::task::JoinHandle<wasmtime::Result<()>>) {
    tokio::spawn(async move {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::error!(component = %id, "guest failed while streaming the response: {err:#}"),
            Err(err) => tracing::error!(component = %id, "guest task failed: {err}"),
        }
    });
}

/// The component's export names.
pub(crate) fn export_names(engine: &wasmtime::Engine, component: &Component) -> Vec<String> {
    component.component_type().exports(engine).map(|(name, _)| name.to_string()).collect()
}
