//! Kiln's HTTP trigger.
//!
//! The data flow of one request:
//!
//! 1. [`server`] accepts the connection (HTTP/1.1, or HTTP/2 with prior
//!    knowledge), strips client-sent `spin-*` headers and looks the path up in
//!    the [`routes::Router`] built from the app's `[[trigger.http]]` entries.
//! 2. The matched handler is a static response or a prepared component. The
//!    component's executor gets a fresh `Store` and instance:
//!    [`wasi_http`] streams request and response bodies through
//!    `wasi:http/incoming-handler`; [`wasi_http_p3`] does the same through
//!    the Preview 3 `wasi:http/handler`; [`wagi`] runs a core module CGI-style.
//! 3. A trap or a failed instantiation answers 500 for that request only and
//!    is logged with the component id; an instance that outlives the request
//!    timeout is stopped (504). [`limits`] bounds what clients may send and
//!    how many requests run at once.
//!
//! [`HttpTrigger::prepare`] compiles and pre-links every component once, at
//! startup, so the per-request work is instantiation and the call itself.
//! [`HttpTriggerFactory`] is the trigger as `serve` runs it (the
//! `kiln_instance::Trigger` contract).

pub mod body;
mod contract;
mod direct;
mod dispatch;
mod in_process;
pub mod limits;
mod prepare;
pub mod reuse;
pub mod server;
pub mod spin_headers;
pub mod spin_inbound;
pub mod wagi;
pub mod wasi_http;
pub mod wasi_http_p3;

/// CGI (WAGI) request variables and response parsing.
pub use kiln_cgi as cgi;
/// Spin route patterns and the router.
pub use kiln_routing as routes;
pub use contract::HttpTriggerFactory;
pub use kiln_instance::{instance_settings, InstanceSettings, LogOptions, PrepareError};
pub use prepare::{HttpPrepareError, HttpTrigger};
pub use limits::HttpLimits;
pub use reuse::InstanceReuse;
pub use server::{serve, ServeOptions};
