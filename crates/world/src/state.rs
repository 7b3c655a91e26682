//! Per-request store data.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::capabilities::ComponentCapabilities;
use kiln_outbound_http::{InProcessHttp, OutboundHttpHooks};

/// Everything one guest instance may touch, owned by its `Store`.
pub struct HostState {
    wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    http: WasiHttpCtx,
    pub(crate) hooks: OutboundHttpHooks,
    limits: StoreLimits,
    pub(crate) component_id: Arc<str>,
    pub(crate) caps: Arc<ComponentCapabilities>,
}

impl HostState {
    /// Starts building the state for one instance of `component_id`.
    pub fn builder(component_id: Arc<str>) -> HostStateBuilder {
        HostStateBuilder {
            wasi: WasiCtx::builder(),
            component_id,
            max_memory: None,
            caps: None,
            in_process: None,
        }
    }

    /// The component this instance belongs to.
    pub fn component_id(&self) -> &str {
        &self.component_id
    }

    /// The store limiter; install with `store.limiter(|s| s.limits())`.
    pub fn limits(&mut self) -> &mut StoreLimits {
        &mut self.limits
    }

    /// The resource table shared by WASI and `wasi:http`.
    pub fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }
}

/// Builder for [`HostState`]; WASI settings go through [`Self::wasi`].
pub struct HostStateBuilder {
    wasi: WasiCtxBuilder,
    component_id: Arc<str>,
    max_memory: Option<usize>,
    caps: Option<Arc<ComponentCapabilities>>,
    in_process: Option<Arc<dyn InProcessHttp>>,
}

impl HostStateBuilder {
    /// The WASI context builder (environment, preopens, stdio, args).
    pub fn wasi(&mut self) -> &mut WasiCtxBuilder {
        &mut self.wasi
    }

    /// Caps each linear memory of the instance; growth beyond fails in the guest.
    pub fn max_memory(&mut self, bytes: usize) -> &mut Self {
        self.max_memory = Some(bytes);
        self
    }

    /// The key-value stores, databases and variables the component was
    /// granted; without this call it is granted none.
    pub fn capabilities(&mut self, caps: Arc<ComponentCapabilities>) -> &mut Self {
        self.caps = Some(caps);
        self
    }

    /// Serves the instance's outbound HTTP requests to its own app (relative
    /// URLs, `self`, `*.spin.internal`); without it they fail with
    /// `destination-not-found`.
    pub fn in_process_http(&mut self, dispatcher: Arc<dyn InProcessHttp>) -> &mut Self {
        self.in_process = Some(dispatcher);
        self
    }

    /// Finishes the state.
    pub fn build(mut self) -> HostState {
        let mut limits = StoreLimitsBuilder::new().trap_on_grow_failure(false);
        if let Some(bytes) = self.max_memory {
            limits = limits.memory_size(bytes);
        }
        let caps = self.caps.unwrap_or_else(|| Arc::new(ComponentCapabilities::none()));
        crate::wasi::sockets::configure(&mut self.wasi, &caps.outbound);
        let in_process = self.in_process.or_else(|| caps.in_process.get().cloned());
        let hooks = OutboundHttpHooks::new(
            self.component_id.clone(),
            caps.outbound.clone(),
            in_process,
            caps.clients.http.clone(),
        );
        HostState {
            wasi: self.wasi.build(),
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            hooks,
            limits: limits.build(),
            component_id: self.component_id,
            caps,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
