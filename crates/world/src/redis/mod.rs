//! Outbound Redis host bindings: Spin 1 `fermyon:spin/redis` (the address on
//! every call) and Spin 2 `fermyon:spin/redis@2.0.0` (a `connection`
//! resource), over [`kiln_outbound_redis::Connection`].
//!
//! A component may reach only the servers its `allowed_outbound_hosts` lists
//! (`redis://host:port`); any other address answers the interface's own
//! error (`invalid-address` in Spin 2, `error` in Spin 1), never a trap.
//! Connections are cached per address for the app ([`crate::OutboundClients`]), so a guest
//! that opens a connection per request does not dial Redis each time.

use std::sync::Arc;

use kiln_outbound_networking::OutboundPolicy;
use kiln_outbound_redis::{Connection, Connections, Error, Parameter, RedisValue};
use wasmtime::component::{HasSelf, Linker, Resource};

use crate::HostState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/redis",
        imports: { default: async | trappable },
        with: {
            "fermyon:spin/redis.connection": super::ConnectionHandle,
        },
    });
}

use bindings::fermyon::spin::redis as v1;
use bindings::fermyon::spin::redis_types as v1_types;
use bindings::fermyon::spin2_0_0::redis as v2;

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &[
    "fermyon:spin/redis",
    "fermyon:spin/redis-types",
    "fermyon:spin/redis@2.0.0",
];

/// An open connection as a Spin 2 guest holds it.
pub struct ConnectionHandle(pub(crate) Arc<dyn Connection>);

/// Adds every outbound Redis interface to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::Redis::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

type Trappable<T> = wasmtime::Result<T>;

/// Whether `component` may reach `address`, by its `allowed_outbound_hosts`
/// (shared with [`crate::redis_p3`]); a denial is logged.
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

/// The app's cached connection to `address` (no permission check).
pub(crate) async fn open(connections: &Connections, address: &str) -> Result<Arc<dyn Connection>, Error> {
    connections.open(address).await
}

impl HostState {
    /// The connection to `address`, if the component may reach it.
    async fn redis_connection(&mut self, address: &str) -> Result<Arc<dyn Connection>, Error> {
        if !allowed(&self.caps.outbound, &self.component_id, address).await {
            return Err(Error::InvalidAddress("not allowed".into()));
        }
        self.caps.clients.redis.open(address).await
    }
}

fn parameter_v2(p: v2::RedisParameter) -> Parameter {
    match p {
        v2::RedisParameter::Int64(i) => Parameter::Int64(i),
        v2::RedisParameter::Binary(b) => Parameter::Binary(b),
    }
}

fn result_v2(v: RedisValue) -> v2::RedisResult {
    match v {
        RedisValue::Nil => v2::RedisResult::Nil,
        RedisValue::Status(s) => v2::RedisResult::Status(s),
        RedisValue::Int64(i) => v2::RedisResult::Int64(i),
        RedisValue::Binary(b) => v2::RedisResult::Binary(b),
    }
}

impl From<Error> for v2::Error {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidAddress(_) => v2::Error::InvalidAddress,
            Error::TooManyConnections => v2::Error::TooManyConnections,
            Error::TypeError => v2::Error::TypeError,
            Error::Other(message) => v2::Error::Other(message),
        }
    }
}

/// Counts as the `u32`s Spin 2 returns (Redis counts never exceed it in practice).
fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

// ---- fermyon:spin/redis@2.0.0 ----------------------------------------------

impl v2::Host for HostState {}

impl v2::HostConnection for HostState {
    async fn open(
        &mut self,
        address: String,
    ) -> Trappable<Result<Resource<ConnectionHandle>, v2::Error>> {
        let connection = match self.redis_connection(&address).await {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(err.into())),
        };
        Ok(self
            .table
            .push(ConnectionHandle(connection))
            .map_err(|_| v2::Error::TooManyConnections))
    }

    async fn publish(
        &mut self,
        this: Resource<ConnectionHandle>,
        channel: String,
        payload: Vec<u8>,
    ) -> Trappable<Result<(), v2::Error>> {
        let conn = self.table.get(&this)?.0.clone();
        Ok(conn.publish(&channel, &payload).await.map_err(Into::into))
    }

    async fn get(
        &mut self,
        this: Resource<ConnectionHandle>,
        key: String,
    ) -> Trappable<Result<Option<Vec<u8>>, v2::Error>> {
        let conn = self.table.get(&this)?.0.clone();
        Ok(conn.get(&key).await.map_err(Into::into))
    }

    async fn set(
        &mut self,
        this: Resource<ConnectionHandle>,
        key: String,
        value: Vec<u8>,
    ) -> Trappable<Result<(), v2::Error>> {
        let conn = self.table.get(&this)?.0.clone();
        Ok(conn.set(&key, &value).await.map_err(Into::into))
    }

    async fn incr(
        &mut self,
        this: Resource<ConnectionHandle>,
        key: String,
    ) -> Trappable<Result<i64, v2::Error>> {
        let conn = self.table.get(&this)?.0.clone();
        Ok(conn.incr(&key).await.map_err(Into::into))
    }

    async fn del(
        &mut self,
        this: Resource<ConnectionHandle>,
        keys: Vec<String>,
    ) -> Trappable<Result<u32, v2::Error>> {
        let conn = self.table.get(&this)?.0.clone();
        Ok(conn.del(&keys).await.map(count).map_err(Into::into))
    }

    async fn sadd(
        &mut self,
        this: Resource<ConnectionHandle>,
        key: String,
        values: Vec<String>,
    ) -> Trappable<Result<u32, v2::Error>> {
        let conn = self.table.get(&this)?.0.clone();
        Ok(conn
            .sadd(&key, &values)
            .await
            .map(count)
            .map_err(Into::into))
    }

    async fn smembers(
        &mut self,
        this: Resource<ConnectionHandle>,
        key: String,
    ) -> Trappable<Result<Vec<String>, v2::Error>> {
        let conn = self.table.get(&this)?.0.clone();
        Ok(conn.smembers(&key).await.map_err(Into::into))
    }

    async fn srem(
        &mut self,
        this: Resource<ConnectionHandle>,
        key: String,
        values: Vec<String>,
    ) -> Trappable<Result<u32, v2::Error>> {
        let conn = self.table.get(&this)?.0.clone();
        Ok(conn
            .srem(&key, &values)
            .await
            .map(count)
            .map_err(Into::into))
    }

    async fn execute(
        &mut self,
        this: Resource<ConnectionHandle>,
        command: String,
        arguments: Vec<v2::RedisParameter>,
    ) -> Trappable<Result<Vec<v2::RedisResult>, v2::Error>> {
        let conn = self.table.get(&this)?.0.clone();
        let arguments = arguments.into_iter().map(parameter_v2).collect();
        Ok(conn
            .execute(&command, arguments)
            .await
            .map(|r| r.into_iter().map(result_v2).collect())
            .map_err(Into::into))
    }

    async fn drop(&mut self, this: Resource<ConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

// ---- fermyon:spin/redis (Spin 1) --------------------------------------------

impl v1_types::Host for HostState {}

/// Spin 1 has a single error value; the cause goes to the log.
fn v1_error(component: &str, err: Error) -> v1_types::Error {
    tracing::debug!(component, error = %err, "Spin 1 Redis call failed");
    v1_types::Error::Error
}

fn parameter_v1(p: v1_types::RedisParameter) -> Parameter {
    match p {
        v1_types::RedisParameter::Int64(i) => Parameter::Int64(i),
        v1_types::RedisParameter::Binary(b) => Parameter::Binary(b),
    }
}

fn result_v1(v: RedisValue) -> v1_types::RedisResult {
    match v {
        RedisValue::Nil => v1_types::RedisResult::Nil,
        RedisValue::Status(s) => v1_types::RedisResult::Status(s),
        RedisValue::Int64(i) => v1_types::RedisResult::Int64(i),
        RedisValue::Binary(b) => v1_types::RedisResult::Binary(b),
    }
}

impl HostState {
    /// Runs one Spin 1 call: connect (if allowed), then `op`.
    async fn redis_v1<T, F, Fut>(&mut self, address: &str, op: F) -> Result<T, v1_types::Error>
    where
        F: FnOnce(Arc<dyn Connection>) -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>> + Send,
        F: Send,
        T: Send,
    {
        let result = match self.redis_connection(address).await {
            Ok(conn) => op(conn).await,
            Err(err) => Err(err),
        };
        result.map_err(|e| v1_error(&self.component_id, e))
    }
}

impl v1::Host for HostState {
    async fn publish(
        &mut self,
        address: String,
        channel: String,
        payload: Vec<u8>,
    ) -> Trappable<Result<(), v1_types::Error>> {
        Ok(self
            .redis_v1(
                &address,
                |c| async move { c.publish(&channel, &payload).await },
            )
            .await)
    }

    async fn get(
        &mut self,
        address: String,
        key: String,
    ) -> Trappable<Result<Vec<u8>, v1_types::Error>> {
        Ok(self
            .redis_v1(&address, |c| async move {
                c.get(&key).await.map(Option::unwrap_or_default)
            })
            .await)
    }

    async fn set(
        &mut self,
        address: String,
        key: String,
        value: Vec<u8>,
    ) -> Trappable<Result<(), v1_types::Error>> {
        Ok(self
            .redis_v1(&address, |c| async move { c.set(&key, &value).await })
            .await)
    }

    async fn incr(
        &mut self,
        address: String,
        key: String,
    ) -> Trappable<Result<i64, v1_types::Error>> {
        Ok(self
            .redis_v1(&address, |c| async move { c.incr(&key).await })
            .await)
    }

    async fn del(
        &mut self,
        address: String,
        keys: Vec<String>,
    ) -> Trappable<Result<i64, v1_types::Error>> {
        Ok(self
            .redis_v1(&address, |c| async move { c.del(&keys).await })
            .await)
    }

    async fn sadd(
        &mut self,
        address: String,
        key: String,
        values: Vec<String>,
    ) -> Trappable<Result<i64, v1_types::Error>> {
        Ok(self
            .redis_v1(&address, |c| async move { c.sadd(&key, &values).await })
            .await)
    }

    async fn smembers(
        &mut self,
        address: String,
        key: String,
    ) -> Trappable<Result<Vec<String>, v1_types::Error>> {
        Ok(self
            .redis_v1(&address, |c| async move { c.smembers(&key).await })
            .await)
    }

    async fn srem(
        &mut self,
        address: String,
        key: String,
        values: Vec<String>,
    ) -> Trappable<Result<i64, v1_types::Error>> {
        Ok(self
            .redis_v1(&address, |c| async move { c.srem(&key, &values).await })
            .await)
    }

    async fn execute(
        &mut self,
        address: String,
        command: String,
        arguments: Vec<v1_types::RedisParameter>,
    ) -> Trappable<Result<Vec<v1_types::RedisResult>, v1_types::Error>> {
        let arguments: Vec<Parameter> = arguments.into_iter().map(parameter_v1).collect();
        Ok(self
            .redis_v1(&address, |c| async move {
                c.execute(&command, arguments)
                    .await
                    .map(|r| r.into_iter().map(result_v1).collect())
            })
            .await)
    }
}
