//! The host side of the worlds Kiln guests import.
//!
//! * [`HostState`] is the per-request `Store` data: WASI context, resource
//!   table, `wasi:http` context and store limits.
//! * [`linker`] builds the linker every component shares: WASI 0.2 and
//!   `wasi:http` from `wasmtime-wasi`/`wasmtime-wasi-http`, with outbound
//!   HTTP denied until a capability grants it.
//! * [`unavailable`] links every other interface a component imports — Spin's
//!   platform world (`fermyon:spin/*`, `spin:*`, `wasi:keyvalue`,
//!   `wasi:config`, …) — so SDK-built guests always instantiate; each function
//!   answers with its interface's own error value until a capability crate
//!   implements it.
//! * [`spin_inbound`] holds the bindings for Spin 1 `fermyon:spin/inbound-http`
//!   components.
//! * [`stdio`] routes guest stdout/stderr to per-component log files and the
//!   console.

pub mod linker;
pub mod spin_inbound;
mod state;
pub mod stdio;
pub mod unavailable;

pub use state::{HostState, HostStateBuilder};
