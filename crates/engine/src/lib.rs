//! Kiln's WebAssembly engine.
//!
//! One [`KilnEngine`] is shared by every app in the process. It owns the
//! `wasmtime::Engine` configured for serving — component model, pooling
//! instance allocator (with a fallback to on-demand allocation where the host
//! cannot reserve the address space), copy-on-write memory images and epoch
//! interruption driven by a ticker thread — and turns guest bytes into
//! compiled artifacts:
//!
//! * components are compiled as they are;
//! * core modules built for `wasm32-wasip1` (or carrying wit-bindgen
//!   component-type sections) are first turned into components with the WASI
//!   preview1 adapter, see [`componentize`];
//! * plain core modules (WAGI) can also be compiled as modules.

mod cache;
mod componentize;
mod config;
mod error;
mod limits;
mod text;

pub use cache::CompileCache;
pub use componentize::{componentize, WasmKind};
pub use config::EngineConfig;
pub use error::EngineError;
pub use limits::{is_timeout, Deadline, InstanceLimits, TimedOut};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::component::Component;
use wasmtime::Module;

/// The process-wide engine plus the thread that advances its epoch.
pub struct KilnEngine {
    engine: wasmtime::Engine,
    config: EngineConfig,
    pooling: bool,
    ticker: Option<Ticker>,
}

struct Ticker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl KilnEngine {
    /// Builds the engine. The pooling allocator is tried first; if the host
    /// refuses the address-space reservation it needs, the engine falls back to
    /// on-demand allocation and says so in the log.
    pub fn new(config: EngineConfig) -> Result<Self, EngineError> {
        let (engine, pooling) = if config.pooling {
            match wasmtime::Engine::new(&config.wasmtime_config(true)) {
                Ok(engine) => (engine, true),
                Err(err) => {
                    tracing::warn!(
                        error = %err,
                        "pooling instance allocator unavailable; using on-demand allocation"
                    );
                    (Self::on_demand(&config)?, false)
                }
            }
        } else {
            (Self::on_demand(&config)?, false)
        };
        let ticker = Some(Ticker::start(engine.clone(), config.epoch_tick));
        Ok(Self { engine, config, pooling, ticker })
    }

    fn on_demand(config: &EngineConfig) -> Result<wasmtime::Engine, EngineError> {
        wasmtime::Engine::new(&config.wasmtime_config(false)).map_err(EngineError::Config)
    }

    /// The underlying wasmtime engine.
    pub fn wasmtime(&self) -> &wasmtime::Engine {
        &self.engine
    }

    /// The configuration this engine was built from.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The limits of an instance that may run for `timeout` (`None`: no
    /// bound), its memory capped as this engine's pool is.
    pub fn instance_limits(&self, timeout: Option<Duration>) -> InstanceLimits {
        InstanceLimits {
            max_memory: usize::try_from(self.config.max_instance_memory).unwrap_or(usize::MAX),
            timeout,
        }
    }

    /// Whether the pooling instance allocator is in use.
    pub fn is_pooling(&self) -> bool {
        self.pooling
    }

    /// Compiles guest bytes into a component, componentizing core modules.
    /// With a compile cache configured, both steps are skipped on a hit.
    /// WebAssembly text (`.wat`) is accepted too.
    pub fn load_component(&self, bytes: &[u8]) -> Result<Component, EngineError> {
        let bytes = &text::to_binary(bytes)?[..];
        // The cache first: it also holds artifacts seeded by their own bytes
        // (the containerd shim's precompiled layers), which are not Wasm.
        // Anything else that is precompiled was not made for this engine.
        let compile = || {
            if wasmtime::Engine::detect_precompiled(bytes).is_some() {
                return Err(EngineError::StalePrecompiled);
            }
            self.precompile(bytes, WasmKind::detect(bytes)?)
        };
        match &self.config.cache_dir {
            Some(dir) => CompileCache::new(dir).get_or_compile(&self.engine, bytes, compile),
            None => {
                let serialized = compile()?;
                // SAFETY: produced by this engine just now.
                unsafe { Component::deserialize(&self.engine, &serialized) }.map_err(EngineError::Compile)
            }
        }
    }

    /// The compiled artifact [`Self::load_component`] would cache for
    /// `bytes` (core modules componentized first), for compiling ahead of
    /// time elsewhere, such as in the containerd shim's compile hook.
    pub fn precompile_component(&self, bytes: &[u8]) -> Result<Vec<u8>, EngineError> {
        let bytes = &text::to_binary(bytes)?[..];
        self.precompile(bytes, WasmKind::detect(bytes)?)
    }

    fn precompile(&self, bytes: &[u8], kind: WasmKind) -> Result<Vec<u8>, EngineError> {
        let component_bytes;
        let bytes = match kind {
            WasmKind::Component => bytes,
            WasmKind::Module => {
                component_bytes = componentize(bytes)?;
                &component_bytes[..]
            }
        };
        self.engine.precompile_component(bytes).map_err(EngineError::Compile)
    }

    /// Stores `artifact` in the compile cache as the compiled form of
    /// `bytes`, so that [`Self::load_component`] of `bytes` loads it without
    /// compiling. Only for artifacts this process can vouch for (made by
    /// [`Self::precompile_component`] of a matching engine): a cached
    /// artifact is native code. Returns false when the cache is disabled.
    pub fn seed_compile_cache(&self, bytes: &[u8], artifact: &[u8]) -> bool {
        match &self.config.cache_dir {
            Some(dir) => {
                CompileCache::new(dir).insert(&self.engine, bytes, artifact);
                true
            }
            None => false,
        }
    }

    /// Compiles a core module as it is (WAGI modules run as core modules).
    /// WebAssembly text (`.wat`) is accepted too.
    pub fn load_module(&self, bytes: &[u8]) -> Result<Module, EngineError> {
        let bytes = &text::to_binary(bytes)?[..];
        match WasmKind::detect(bytes)? {
            WasmKind::Module => Module::new(&self.engine, bytes).map_err(EngineError::Compile),
            WasmKind::Component => Err(EngineError::NotAModule),
        }
    }
}

impl Drop for KilnEngine {
    fn drop(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.stop();
        }
    }
}

impl Ticker {
    fn start(engine: wasmtime::Engine, tick: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        // A plain thread rather than a tokio task: it must keep ticking even
        // when every runtime worker is busy running guests.
        let handle = std::thread::Builder::new()
            .name("kiln-epoch".into())
            .spawn(move || {
                while !thread_stop.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })
            .ok();
        Self { stop, handle }
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_engine_runs_a_component_and_refuses_garbage() {
        let config = EngineConfig { pooling: true, cache_dir: None, ..EngineConfig::default() };
        let engine = KilnEngine::new(config).expect("engine");
        let component = wat::parse_str(r#"(component (core module $m (func (export "f"))))"#).unwrap();
        engine.load_component(&component).expect("component compiles");
        assert!(matches!(engine.load_component(b"garbage"), Err(EngineError::NotWasm)));
        let truncated = &component[..component.len() - 3];
        assert!(engine.load_component(truncated).is_err());
        assert!(matches!(engine.load_module(&component), Err(EngineError::NotAModule)));
    }
}
