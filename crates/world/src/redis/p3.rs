//! Outbound Redis for Preview 3 guests: Spin 3 `spin:redis/redis@3.0.0`,
//! what the Rust `spin-sdk` 7 imports.
//!
//! Its functions are component-model `async func`s, so they are concurrent
//! host functions: each reaches the [`HostState`] only inside short
//! [`Accessor::with`] calls and awaits Redis with the store released.
//! Everything else is [`crate::redis`]'s: the same grant check (an address
//! `allowed_outbound_hosts` does not list is `invalid-address`), the same
//! process-wide cached connections and the same connection handles.

use std::sync::Arc;

use kiln_outbound_redis::{Connection, Error, Parameter, RedisValue};
use wasmtime::component::{Accessor, HasSelf, Linker, Resource};

use crate::HostState;
use crate::redis::ConnectionHandle;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/redis-p3",
        imports: { default: async | trappable },
        with: {
            "spin:redis/redis.connection": crate::redis::ConnectionHandle,
        },
    });
}

use bindings::spin::redis::redis as v3;

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &["spin:redis/redis@3.0.0"];

/// Adds `spin:redis/redis@3.0.0` to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::RedisP3::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

type Trappable<T> = wasmtime::Result<T>;
type Outcome<T> = Trappable<Result<T, v3::Error>>;

fn v3_error(err: Error) -> v3::Error {
    match err {
        Error::InvalidAddress(_) => v3::Error::InvalidAddress,
        Error::TooManyConnections => v3::Error::TooManyConnections,
        Error::TypeError => v3::Error::TypeError,
        Error::Other(message) => v3::Error::Other(message),
    }
}

fn parameter(p: v3::RedisParameter) -> Parameter {
    match p {
        v3::RedisParameter::Int64(i) => Parameter::Int64(i),
        v3::RedisParameter::Binary(b) => Parameter::Binary(b),
    }
}

fn result(v: RedisValue) -> v3::RedisResult {
    match v {
        RedisValue::Nil => v3::RedisResult::Nil,
        RedisValue::Status(s) => v3::RedisResult::Status(s),
        RedisValue::Int64(i) => v3::RedisResult::Int64(i),
        RedisValue::Binary(b) => v3::RedisResult::Binary(b),
    }
}

/// Counts as the `u32`s Spin 3 returns (Redis counts never exceed it in practice).
fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The connection behind `this`, cloned out of the table.
fn connection<T>(
    accessor: &Accessor<T, HasSelf<HostState>>,
    this: &Resource<ConnectionHandle>,
) -> Trappable<Arc<dyn Connection>> {
    accessor.with(|mut access| Ok(access.get().table.get(this)?.0.clone()))
}

impl v3::Host for HostState {}

impl v3::HostConnection for HostState {
    async fn drop(&mut self, this: Resource<ConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl<T> v3::HostConnectionWithStore<T> for HasSelf<HostState> {
    async fn open(
        accessor: &Accessor<T, Self>,
        address: String,
    ) -> Outcome<Resource<ConnectionHandle>> {
        let (policy, component, connections) = accessor.with(|mut access| {
            let state = access.get();
            (state.caps.outbound.clone(), state.component_id.clone(), state.caps.clients.redis.clone())
        });
        if !crate::redis::allowed(&policy, &component, &address).await {
            return Ok(Err(v3::Error::InvalidAddress));
        }
        let connection = match crate::redis::open(&connections, &address).await {
            Ok(connection) => connection,
            Err(err) => {
                tracing::debug!(%component, error = %err, "Redis open failed");
                return Ok(Err(v3_error(err)));
            }
        };
        Ok(accessor.with(|mut access| {
            access
                .get()
                .table
                .push(ConnectionHandle(connection))
                .map_err(|_| v3::Error::TooManyConnections)
        }))
    }

    async fn publish(
        accessor: &Accessor<T, Self>,
        this: Resource<ConnectionHandle>,
        channel: String,
        payload: Vec<u8>,
    ) -> Outcome<()> {
        let conn = connection(accessor, &this)?;
        Ok(conn.publish(&channel, &payload).await.map_err(v3_error))
    }

    async fn get(
        accessor: &Accessor<T, Self>,
        this: Resource<ConnectionHandle>,
        key: String,
    ) -> Outcome<Option<Vec<u8>>> {
        let conn = connection(accessor, &this)?;
        Ok(conn.get(&key).await.map_err(v3_error))
    }

    async fn set(
        accessor: &Accessor<T, Self>,
        this: Resource<ConnectionHandle>,
        key: String,
        value: Vec<u8>,
    ) -> Outcome<()> {
        let conn = connection(accessor, &this)?;
        Ok(conn.set(&key, &value).await.map_err(v3_error))
    }

    async fn incr(
        accessor: &Accessor<T, Self>,
        this: Resource<ConnectionHandle>,
        key: String,
    ) -> Outcome<i64> {
        let conn = connection(accessor, &this)?;
        Ok(conn.incr(&key).await.map_err(v3_error))
    }

    async fn del(
        accessor: &Accessor<T, Self>,
        this: Resource<ConnectionHandle>,
        keys: Vec<String>,
    ) -> Outcome<u32> {
        let conn = connection(accessor, &this)?;
        Ok(conn.del(&keys).await.map(count).map_err(v3_error))
    }

    async fn sadd(
        accessor: &Accessor<T, Self>,
        this: Resource<ConnectionHandle>,
        key: String,
        values: Vec<String>,
    ) -> Outcome<u32> {
        let conn = connection(accessor, &this)?;
        Ok(conn.sadd(&key, &values).await.map(count).map_err(v3_error))
    }

    async fn smembers(
        accessor: &Accessor<T, Self>,
        this: Resource<ConnectionHandle>,
        key: String,
    ) -> Outcome<Vec<String>> {
        let conn = connection(accessor, &this)?;
        Ok(conn.smembers(&key).await.map_err(v3_error))
    }

    async fn srem(
        accessor: &Accessor<T, Self>,
        this: Resource<ConnectionHandle>,
        key: String,
        values: Vec<String>,
    ) -> Outcome<u32> {
        let conn = connection(accessor, &this)?;
        Ok(conn.srem(&key, &values).await.map(count).map_err(v3_error))
    }

    async fn execute(
        accessor: &Accessor<T, Self>,
        this: Resource<ConnectionHandle>,
        command: String,
        arguments: Vec<v3::RedisParameter>,
    ) -> Outcome<Vec<v3::RedisResult>> {
        let conn = connection(accessor, &this)?;
        let arguments = arguments.into_iter().map(parameter).collect();
        Ok(conn
            .execute(&command, arguments)
            .await
            .map(|r| r.into_iter().map(result).collect())
            .map_err(v3_error))
    }
}
