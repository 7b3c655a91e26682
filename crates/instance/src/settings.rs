//! Per-component instance settings and store construction.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kiln_app::AppComponent;
use kiln_world::stdio::{ComponentLogs, Stream};
use kiln_world::{AppCapabilities, ComponentCapabilities, HostState};
use wasmtime::Store;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::{LogOptions, PrepareError};

/// Per-component settings every instance of it gets, whatever trigger
/// serves it.
pub struct InstanceSettings {
    /// The component id.
    pub id: Arc<str>,
    /// Environment variables (manifest, then `kiln up -e`).
    pub environment: Vec<(String, String)>,
    /// Folder preopened read-only at `/`, if the component has files.
    pub files_root: Option<PathBuf>,
    /// Where its stdout and stderr go.
    pub logs: ComponentLogs,
    /// What it was granted.
    pub caps: Arc<ComponentCapabilities>,
    /// Memory and run-time limits of each instance.
    pub limits: kiln_engine::InstanceLimits,
}

impl InstanceSettings {
    /// Pre-links `component`: the shared base linker plus stand-ins for every
    /// interface Kiln does not provide (see `kiln_world::unavailable`).
    pub fn prelink(
        &self,
        base: &wasmtime::component::Linker<HostState>,
        component: &wasmtime::component::Component,
    ) -> Result<wasmtime::component::InstancePre<HostState>, String> {
        let (linker, unavailable) = kiln_world::linker::component_linker(base, component)
            .map_err(|e| format!("cannot link imports: {e:#}"))?;
        if !unavailable.is_empty() {
            tracing::debug!(
                component = %self.id,
                interfaces = ?unavailable,
                "imports linked as unavailable capabilities"
            );
        }
        linker.instantiate_pre(component).map_err(|e| format!("cannot link imports: {e:#}"))
    }

    /// A fresh store for one instance of the component, its memory capped
    /// and its epoch deadline armed (see [`kiln_engine::InstanceLimits::arm`]).
    pub fn new_store(&self, engine: &wasmtime::Engine) -> wasmtime::Result<Store<HostState>> {
        Ok(self.new_store_with_deadline(engine)?.0)
    }

    /// Like [`Self::new_store`], also returning the instance's deadline, for
    /// [`kiln_engine::Deadline::run`] around everything the instance does.
    pub fn new_store_with_deadline(
        &self,
        engine: &wasmtime::Engine,
    ) -> wasmtime::Result<(Store<HostState>, kiln_engine::Deadline)> {
        let mut state = HostState::builder(self.id.clone());
        self.wasi(state.wasi())?;
        state.capabilities(self.caps.clone());
        state.max_memory(self.limits.max_memory);
        let mut store = Store::new(engine, state.build());
        store.limiter(|s| s.limits());
        let deadline = self.limits.arm(&mut store);
        Ok((store, deadline))
    }

    /// A WASI builder with the component's environment, files and stdio.
    pub fn wasi(&self, wasi: &mut WasiCtxBuilder) -> wasmtime::Result<()> {
        wasi.envs(&self.environment)
            .stdout(self.logs.stream(Stream::Stdout))
            .stderr(self.logs.stream(Stream::Stderr));
        if let Some(root) = &self.files_root {
            wasi.preopened_dir(root, "/", FsPerms::ReadOnly)?;
        }
        Ok(())
    }
}

/// The settings for instances of `component`: its environment, files, log
/// streams, the share of `caps` its manifest entry grants, and `limits`.
pub fn instance_settings(
    component: &AppComponent,
    logs: &LogOptions,
    caps: &AppCapabilities,
    limits: kiln_engine::InstanceLimits,
) -> Result<InstanceSettings, PrepareError> {
    let component_logs = ComponentLogs::open(&component.id, logs.dir.as_deref(), logs.echo(&component.id))
        .map_err(|source| PrepareError::Logs { id: component.id.clone(), source })?;
    Ok(InstanceSettings {
        id: Arc::from(component.id.as_str()),
        environment: component.environment.clone(),
        files_root: component.files_root.clone(),
        logs: component_logs,
        caps: caps.for_component(&component.spec),
        limits,
    })
}

/// Reads a component's Wasm bytes, naming the component and path on failure.
pub fn read_source(id: &str, path: &Path) -> Result<Vec<u8>, PrepareError> {
    std::fs::read(path).map_err(|e| PrepareError::Component {
        id: id.to_string(),
        message: format!("cannot read {}: {e}", path.display()),
    })
}
