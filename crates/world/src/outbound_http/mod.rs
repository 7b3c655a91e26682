//! Outbound HTTP beyond what `wasmtime-wasi-http` links itself.
//!
//! * Runtime config: `[outbound_http]`, applied by the app's pooled clients
//!   in [`crate::OutboundClients`].
//! * App state: those clients, and the in-process dispatcher for requests
//!   to the app itself.
//! * Per-instance state: the instance's
//!   [`kiln_outbound_http::OutboundHttpHooks`] (in [`HostState`]), shared
//!   with `wasi:http`, so the `allowed_outbound_hosts` check, requests to
//!   the app itself and the network client are the same for every version.
//! * Bindings: Spin 1 `fermyon:spin/http` (`spin1`), and Kiln's own
//!   `send` in front of wasmtime's Preview 3 `wasi:http/client` (`p3`);
//!   `wasi:http@0.2` and the rest of `@0.3` are wasmtime's, linked by
//!   [`crate::linker`].

mod p3;
mod spin1;

use wasmtime::component::{HasSelf, Linker};

use crate::HostState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/spin1-http",
        imports: { default: async },
    });
}

/// The interfaces this capability defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &["fermyon:spin/http", "fermyon:spin/http-types"];

/// Adds Spin 1 outbound HTTP to `linker`, and Kiln's Preview 3
/// `wasi:http/client` `send` (see `p3`).
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::Spin1Http::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    p3::add_client(linker)
}
