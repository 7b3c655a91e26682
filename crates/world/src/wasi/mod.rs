//! WASI: the stable 0.2 line and the 0.3 ([`p3`]) line of `wasi:cli`,
//! `wasi:clocks`, `wasi:filesystem`, `wasi:io`, `wasi:random`,
//! `wasi:sockets` and `wasi:http`, implemented by `wasmtime-wasi` and
//! `wasmtime-wasi-http`; Kiln adds what they leave to the embedder.
//!
//! * Runtime config: none (files and environment come from the manifest,
//!   set on each instance's `WasiCtxBuilder` by `kiln-instance`).
//! * App state: none beyond the outbound policy of
//!   [`crate::ComponentCapabilities`].
//! * Per-instance state: the WASI and `wasi:http` contexts of [`HostState`].
//! * Kiln's parts: `sockets` gates `wasi:sockets` by
//!   `allowed_outbound_hosts`; [`stdio`] routes guest stdout/stderr to
//!   per-component log files and the console; [`p3`] lists the 0.3
//!   interfaces linked natively. Outbound HTTP's policy is
//!   [`crate::outbound_http`]'s.

pub mod p3;
pub(crate) mod sockets;
pub mod stdio;

use wasmtime::component::Linker;

use crate::HostState;

/// Adds WASI 0.2 and `wasi:http@0.2`, and beside them the 0.3 line
/// ([`p3`]), to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    p3::add_to_linker(linker)
}
