//! Outbound Redis for Preview 3 guests: Spin 3 `spin:redis/redis@3.0.0`,
//! what the Rust `spin-sdk` 7 imports.
//!
//! Its functions are component-model `async func`s, so they are concurrent
//! host functions: each reaches the [`HostState`] only inside short
//! [`Accessor::with`] calls and awaits Redis with the store released.
//! Everything else is [`super`]'s: the same grant check (an address
//! `allowed_outbound_hosts` does not list is `invalid-address`), the same
//! per-app cached connections and the same connection handles.
//!
//! [`Accessor::with`]: wasmtime::component::Accessor::with

use std::sync::Arc;

use kiln_outbound_redis::{Connection, Error};
use wasmtime::component::{HasSelf, Resource};

use super::{count, spin_error, value_conversions, ConnectionHandle};
use crate::shared::{caps, handle, push, Trappable, P3};
use crate::HostState;

crate::shared::host_bindings!("kiln:host/redis-p3" => RedisP3, with: {
    "spin:redis/redis.connection": crate::redis::ConnectionHandle,
});

use bindings::spin::redis::redis as v3;

value_conversions!(v3);

fn error(err: Error) -> v3::Error {
    spin_error!(err, v3)
}

type Outcome<T> = Trappable<Result<T, v3::Error>>;
type Handle = Resource<ConnectionHandle>;

/// The connection behind `this`, cloned out of the table.
fn redis<T>(accessor: &P3<T>, this: &Handle) -> Trappable<Arc<dyn Connection>> {
    handle(accessor, this, |h| h.0.clone())
}

crate::shared::p3_resource!(v3::Host, v3::HostConnection, ConnectionHandle);

impl<T> v3::HostConnectionWithStore<T> for HasSelf<HostState> {
    async fn open(accessor: &P3<T>, address: String) -> Outcome<Handle> {
        let (caps, component) = caps(accessor);
        if !super::allowed(&caps.outbound, &component, &address).await {
            return Ok(Err(v3::Error::InvalidAddress));
        }
        let connection = match caps.clients.redis.open(&address).await {
            Ok(connection) => connection,
            Err(err) => {
                tracing::debug!(%component, error = %err, "Redis open failed");
                return Ok(Err(error(err)));
            }
        };
        Ok(push(accessor, ConnectionHandle(connection), |_| v3::Error::TooManyConnections))
    }

    async fn publish(accessor: &P3<T>, this: Handle, channel: String, payload: Vec<u8>) -> Outcome<()> {
        Ok(redis(accessor, &this)?.publish(&channel, &payload).await.map_err(error))
    }

    async fn get(accessor: &P3<T>, this: Handle, key: String) -> Outcome<Option<Vec<u8>>> {
        Ok(redis(accessor, &this)?.get(&key).await.map_err(error))
    }

    async fn set(accessor: &P3<T>, this: Handle, key: String, value: Vec<u8>) -> Outcome<()> {
        Ok(redis(accessor, &this)?.set(&key, &value).await.map_err(error))
    }

    async fn incr(accessor: &P3<T>, this: Handle, key: String) -> Outcome<i64> {
        Ok(redis(accessor, &this)?.incr(&key).await.map_err(error))
    }

    async fn del(accessor: &P3<T>, this: Handle, keys: Vec<String>) -> Outcome<u32> {
        Ok(redis(accessor, &this)?.del(&keys).await.map(count).map_err(error))
    }

    async fn sadd(accessor: &P3<T>, this: Handle, key: String, values: Vec<String>) -> Outcome<u32> {
        Ok(redis(accessor, &this)?.sadd(&key, &values).await.map(count).map_err(error))
    }

    async fn smembers(accessor: &P3<T>, this: Handle, key: String) -> Outcome<Vec<String>> {
        Ok(redis(accessor, &this)?.smembers(&key).await.map_err(error))
    }

    async fn srem(accessor: &P3<T>, this: Handle, key: String, values: Vec<String>) -> Outcome<u32> {
        Ok(redis(accessor, &this)?.srem(&key, &values).await.map(count).map_err(error))
    }

    async fn execute(
        accessor: &P3<T>,
        this: Handle,
        command: String,
        arguments: Vec<v3::RedisParameter>,
    ) -> Outcome<Vec<v3::RedisResult>> {
        let arguments = arguments.into_iter().map(parameter).collect();
        let results = redis(accessor, &this)?.execute(&command, arguments).await;
        Ok(results.map(|r| r.into_iter().map(result).collect()).map_err(error))
    }
}
