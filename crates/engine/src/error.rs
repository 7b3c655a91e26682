//! Errors from building the engine and loading guests.

/// Why the engine could not be built or a guest could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// wasmtime rejected the engine configuration.
    #[error("invalid engine configuration: {0:#}")]
    Config(#[source] wasmtime::Error),
    /// The bytes are not WebAssembly at all.
    #[error("not a WebAssembly file (no `\\0asm` header)")]
    NotWasm,
    /// The bytes start like WebAssembly but cannot be parsed.
    #[error("malformed WebAssembly: {0}")]
    Malformed(String),
    /// A core module could not be turned into a component.
    #[error("could not turn the core module into a component: {0:#}")]
    Componentize(#[source] anyhow::Error),
    /// wasmtime could not compile or validate the guest.
    #[error("could not compile: {0:#}")]
    Compile(#[source] wasmtime::Error),
    /// Native code compiled ahead of time that was not found in (or did not
    /// load from) this engine's compile cache: it is never taken as Wasm.
    #[error(
        "precompiled native code that does not suit this engine (for a containerd image: remove the image and pull it again)"
    )]
    StalePrecompiled,
    /// A core module was required but a component was given.
    #[error("expected a core WebAssembly module but found a component")]
    NotAModule,
}
