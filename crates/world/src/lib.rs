//! The host side of the worlds Kiln guests import.
//!
//! * [`HostState`] is the per-request `Store` data: WASI context, resource
//!   table, `wasi:http` context and store limits.
//! * [`linker`] builds the linker every component shares: WASI 0.2 and
//!   `wasi:http` from `wasmtime-wasi`/`wasmtime-wasi-http`, with outbound
//!   HTTP denied until a capability grants it, plus the WASI 0.3 interfaces
//!   of [`p3`] for `wasi:http/handler@0.3.x` components.
//! * [`key_value`], [`sqlite`] and [`variables`] implement Spin's capability
//!   interfaces in each version guests import (Spin 1, Spin 2, Spin 3 and
//!   the WASI drafts) over the backend traits of `kiln-key-value`,
//!   `kiln-sqlite` and `kiln-variables`; [`ComponentCapabilities`] holds what
//!   one component was granted.
//! * [`key_value_p3`], [`sqlite_p3`] and [`variables_p3`] are the same
//!   capabilities for Preview 3 guests (`spin-sdk` 7), whose Spin 3
//!   interfaces declare `async func`s. They are concurrent host functions
//!   over the same backends and handles — a key a Spin 2 guest set is read
//!   by a Preview 3 guest — and kept apart because they reach the store
//!   through an `Accessor` rather than `&mut HostState`.
//! * [`postgres`] implements outbound PostgreSQL (Spin 1, Spin 2,
//!   `spin:postgres@3.0.0`, `@4.0.0` and Preview 3 `@4.2.0` with TLS CA
//!   roots) and [`mysql`] outbound MySQL (Spin 1, Spin 2, Preview 3
//!   `spin:mysql/mysql@3.0.0`) over `kiln-outbound-pg` and
//!   `kiln-outbound-mysql`, one module per interface version, with pools
//!   per app; [`rdbms_common`] holds what they share.
//! * [`mqtt`] and [`mqtt_p3`] implement outbound MQTT (Spin 2
//!   `fermyon:spin/mqtt@2.0.0`, Preview 3 `spin:mqtt/mqtt@3.0.0`) over
//!   `kiln-outbound-mqtt`'s cached broker sessions, for brokers the
//!   component's `allowed_outbound_hosts` lists.
//! * [`unavailable`] links every other interface a component imports — the
//!   rest of Spin's platform world (LLM, interface versions newer than
//!   Kiln's, …) — so SDK-built guests always
//!   instantiate; each function answers with its interface's own error value
//!   until a capability implements it.
//! * [`redis`] and [`redis_p3`] implement outbound Redis (Spin 1
//!   `fermyon:spin/redis`, Spin 2 `fermyon:spin/redis@2.0.0`, Preview 3
//!   `spin:redis/redis@3.0.0`) over `kiln-outbound-redis`'s connections
//!   cached per address, for servers `allowed_outbound_hosts` lists.
//! * [`spin_inbound`] holds the bindings for Spin 1 `fermyon:spin/inbound-http`
//!   components, [`spin_inbound_redis`] those for Redis-trigger components
//!   (`fermyon:spin/inbound-redis`, Preview 3 `spin:redis/inbound-redis@3.0.0`).
//! * [`stdio`] routes guest stdout/stderr to per-component log files and the
//!   console.

pub mod capabilities;
pub mod clients;
pub mod key_value;
#[path = "key_value/p3.rs"]
pub mod key_value_p3;
pub mod linker;
pub mod mqtt;
#[path = "mqtt/p3.rs"]
pub mod mqtt_p3;
pub mod mysql;
pub mod outbound_http;
#[path = "wasi/p3.rs"]
pub mod p3;
pub mod postgres;
pub mod rdbms_common;
pub mod redis;
#[path = "redis/p3.rs"]
pub mod redis_p3;
pub mod registry;
pub mod spin_inbound;
#[path = "wasi/sockets.rs"]
mod sockets;
pub mod spin_inbound_redis;
pub mod sqlite;
#[path = "sqlite/p3.rs"]
pub mod sqlite_p3;
mod state;
#[path = "wasi/stdio.rs"]
pub mod stdio;
pub mod unavailable;
pub mod variables;
#[path = "variables/p3.rs"]
pub mod variables_p3;

pub use capabilities::{AppCapabilities, CapabilityError, CapabilityOptions, ComponentCapabilities};
pub use clients::OutboundClients;

pub use state::{HostState, HostStateBuilder};
/// The in-process dispatcher a trigger installs for requests a guest sends
/// to its own app (see `kiln-outbound-http`).
pub use kiln_outbound_http::{InProcessFuture, InProcessHttp, InProcessSlot, InProcessTarget};
