//! Spin 2 `fermyon:spin/redis@2.0.0`: a `connection` resource.

use kiln_outbound_redis::Error;
use wasmtime::component::Resource;

use super::bindings::fermyon::spin2_0_0::redis as v2;
use super::{count, spin_error, value_conversions, ConnectionHandle};
use crate::shared::Trappable;
use crate::HostState;

value_conversions!(v2);

fn error(err: Error) -> v2::Error {
    spin_error!(err, v2)
}

type Outcome<T> = Trappable<Result<T, v2::Error>>;
type Handle = Resource<ConnectionHandle>;

impl v2::Host for HostState {}

impl v2::HostConnection for HostState {
    async fn open(&mut self, address: String) -> Outcome<Handle> {
        let connection = match self.redis_connection(&address).await {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(error(err))),
        };
        Ok(self.table.push(ConnectionHandle(connection)).map_err(|_| v2::Error::TooManyConnections))
    }

    async fn publish(&mut self, this: Handle, channel: String, payload: Vec<u8>) -> Outcome<()> {
        Ok(self.redis(&this)?.publish(&channel, &payload).await.map_err(error))
    }

    async fn get(&mut self, this: Handle, key: String) -> Outcome<Option<Vec<u8>>> {
        Ok(self.redis(&this)?.get(&key).await.map_err(error))
    }

    async fn set(&mut self, this: Handle, key: String, value: Vec<u8>) -> Outcome<()> {
        Ok(self.redis(&this)?.set(&key, &value).await.map_err(error))
    }

    async fn incr(&mut self, this: Handle, key: String) -> Outcome<i64> {
        Ok(self.redis(&this)?.incr(&key).await.map_err(error))
    }

    async fn del(&mut self, this: Handle, keys: Vec<String>) -> Outcome<u32> {
        Ok(self.redis(&this)?.del(&keys).await.map(count).map_err(error))
    }

    async fn sadd(&mut self, this: Handle, key: String, values: Vec<String>) -> Outcome<u32> {
        Ok(self.redis(&this)?.sadd(&key, &values).await.map(count).map_err(error))
    }

    async fn smembers(&mut self, this: Handle, key: String) -> Outcome<Vec<String>> {
        Ok(self.redis(&this)?.smembers(&key).await.map_err(error))
    }

    async fn srem(&mut self, this: Handle, key: String, values: Vec<String>) -> Outcome<u32> {
        Ok(self.redis(&this)?.srem(&key, &values).await.map(count).map_err(error))
    }

    async fn execute(&mut self, this: Handle, command: String, arguments: Vec<v2::RedisParameter>) -> Outcome<Vec<v2::RedisResult>> {
        let arguments = arguments.into_iter().map(parameter).collect();
        let results = self.redis(&this)?.execute(&command, arguments).await;
        Ok(results.map(|r| r.into_iter().map(result).collect()).map_err(error))
    }

    async fn drop(&mut self, this: Handle) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}
