//! Outbound Redis over [`kiln_outbound_redis::Connection`], every interface
//! version over the same grant check, cached connections and handles.
//!
//! * Runtime config: none.
//! * App state: connections cached per address in the app's
//!   [`crate::OutboundClients`], so a guest that opens a connection per
//!   request does not dial Redis each time.
//! * Per-instance state: [`ConnectionHandle`]s in the resource table (Spin 1
//!   names the address on every call instead).
//! * Bindings: Spin 1 `fermyon:spin/redis` (`spin1`), Spin 2
//!   `fermyon:spin/redis@2.0.0` (`v2`) and Preview 3's
//!   `spin:redis/redis@3.0.0` (`p3`).
//!
//! A component may reach only the servers its `allowed_outbound_hosts` lists
//! (`redis://host:port`); any other address answers the interface's own
//! error (`invalid-address` in Spin 2 and 3, `error` in Spin 1), never a
//! trap.

mod p3;
mod spin1;
mod v2;

use std::sync::Arc;

use kiln_outbound_networking::OutboundPolicy;
use kiln_outbound_redis::{Connection, Error};
use wasmtime::component::{Linker, Resource};

use crate::shared::Trappable;
use crate::HostState;

crate::shared::host_bindings!("kiln:host/redis" => Redis, with: {
    "fermyon:spin/redis.connection": super::ConnectionHandle,
});

/// The interfaces this capability defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] =
    &["fermyon:spin/redis", "fermyon:spin/redis-types", "fermyon:spin/redis@2.0.0", "spin:redis/redis@3.0.0"];

/// Adds every outbound Redis interface version (Preview 3 included) to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::add_to_linker(linker)?;
    p3::bindings::add_to_linker(linker)
}

/// An open connection as a Spin 2 or Preview 3 guest holds it.
pub struct ConnectionHandle(pub(crate) Arc<dyn Connection>);

/// Whether `component` may reach `address`, by its `allowed_outbound_hosts`;
/// a denial is logged.
pub(crate) async fn allowed(policy: &OutboundPolicy, component: &str, address: &str) -> bool {
    let allowed = policy.allows_connect_url(address).await;
    if !allowed {
        tracing::info!(
            component,
            address = %kiln_outbound_redis::redacted(address),
            "outbound Redis denied: not in allowed_outbound_hosts, or in block_networks"
        );
    }
    allowed
}

impl HostState {
    /// The connection to `address`, if the component may reach it.
    async fn redis_connection(&mut self, address: &str) -> Result<Arc<dyn Connection>, Error> {
        if !allowed(&self.caps.outbound, &self.component_id, address).await {
            return Err(Error::InvalidAddress("not allowed".into()));
        }
        self.caps.clients.redis.open(address).await
    }

    /// The connection behind a Spin 2 guest's handle.
    fn redis(&self, this: &Resource<ConnectionHandle>) -> Trappable<Arc<dyn Connection>> {
        Ok(self.table.get(this)?.0.clone())
    }
}

/// Counts as the `u32`s Spin 2 and 3 return (Redis counts never exceed it in
/// practice).
fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `parameter` and `result`: a `redis-parameter` as the backend's, and the
/// backend's value as a `redis-result`, for an interface version whose types
/// `$v` names (the same in every version).
macro_rules! value_conversions {
    ($v:ident) => {
        fn parameter(p: $v::RedisParameter) -> kiln_outbound_redis::Parameter {
            use kiln_outbound_redis::Parameter as P;
            match p {
                $v::RedisParameter::Int64(i) => P::Int64(i),
                $v::RedisParameter::Binary(b) => P::Binary(b),
            }
        }

        fn result(v: kiln_outbound_redis::RedisValue) -> $v::RedisResult {
            use kiln_outbound_redis::RedisValue as V;
            match v {
                V::Nil => $v::RedisResult::Nil,
                V::Status(s) => $v::RedisResult::Status(s),
                V::Int64(i) => $v::RedisResult::Int64(i),
                V::Binary(b) => $v::RedisResult::Binary(b),
            }
        }
    };
}
pub(crate) use value_conversions;

/// The backend's error as Spin 2's or Preview 3's, whose cases have the same
/// names.
macro_rules! spin_error {
    ($err:expr, $v:ident) => {
        match $err {
            kiln_outbound_redis::Error::InvalidAddress(_) => $v::Error::InvalidAddress,
            kiln_outbound_redis::Error::TooManyConnections => $v::Error::TooManyConnections,
            kiln_outbound_redis::Error::TypeError => $v::Error::TypeError,
            kiln_outbound_redis::Error::Other(message) => $v::Error::Other(message),
        }
    };
}
pub(crate) use spin_error;
