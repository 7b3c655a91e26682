//! The host side of the worlds Kiln guests import.
//!
//! * [`HostState`] is the per-request `Store` data: WASI context, resource
//!   table, `wasi:http` context and store limits.
//! * [`registry`] is the one table of capabilities; [`linker`] links every
//!   entry into the linker every component shares, and links the imports no
//!   capability defines through [`unavailable`], whose stand-ins answer with
//!   their interface's own error value, so SDK-built guests always
//!   instantiate.
//! * [`capabilities`] builds each app's state ([`AppCapabilities`]) and
//!   hands each component its grants ([`ComponentCapabilities`]);
//!   [`clients`] holds the app's outbound HTTP, Redis and MQTT clients.
//! * Each capability is one folder whose `mod.rs` says what it owns (its
//!   runtime-config section, app state, per-instance state) and which module
//!   binds each interface version, Preview 3's `async func` ones in its
//!   `p3.rs` (concurrent host functions that reach the store through an
//!   `Accessor`, over the same backends and handles):
//!   [`key_value`], [`sqlite`] and [`variables`] over `kiln-key-value`,
//!   `kiln-sqlite` and `kiln-variables`; outbound [`postgres`] and [`mysql`]
//!   over `kiln-outbound-pg` and `kiln-outbound-mysql`, with pools per app
//!   ([`rdbms_common`] holds what they share); outbound [`redis`] and
//!   [`mqtt`] over `kiln-outbound-redis` and `kiln-outbound-mqtt`;
//!   [`outbound_http`] (Spin 1 HTTP, Kiln's Preview 3 `send`); [`wasi`]
//!   (the 0.2 and 0.3 lines, socket gating, guest stdio to log files).
//!   `shared` holds the bindgen preamble and Preview 3 helpers they share.
//! * [`spin_inbound`] holds the bindings for Spin 1 `fermyon:spin/inbound-http`
//!   components, [`spin_inbound_redis`] those for Redis-trigger components
//!   (`fermyon:spin/inbound-redis`, Preview 3 `spin:redis/inbound-redis@3.0.0`):
//!   exports the triggers call, not capabilities.

pub mod capabilities;
pub mod clients;
pub mod key_value;
pub mod linker;
pub mod mqtt;
pub mod mysql;
pub mod outbound_http;
pub mod postgres;
pub mod rdbms_common;
pub mod redis;
pub mod registry;
pub(crate) mod shared;
pub mod spin_inbound;
pub mod spin_inbound_redis;
pub mod sqlite;
mod state;
pub mod unavailable;
pub mod variables;
pub mod wasi;

pub use capabilities::{AppCapabilities, CapabilityError, CapabilityOptions, ComponentCapabilities};
pub use clients::OutboundClients;
/// Guest stdout/stderr log files (see [`wasi::stdio`]).
pub use wasi::stdio;

pub use state::{HostState, HostStateBuilder};
/// The in-process dispatcher a trigger installs for requests a guest sends
/// to its own app (see `kiln-outbound-http`).
pub use kiln_outbound_http::{InProcessFuture, InProcessHttp, InProcessSlot, InProcessTarget};
