//! Spin 1 `fermyon:spin/redis`: every call names its address, and every
//! failure is the one `error` value (the cause goes to the log).

use std::sync::Arc;

use kiln_outbound_redis::{Connection, Error};

use super::bindings::fermyon::spin::redis as v1;
use super::bindings::fermyon::spin::redis_types as v1_types;
use super::value_conversions;
use crate::shared::Trappable;
use crate::HostState;

value_conversions!(v1_types);

type Outcome<T> = Trappable<Result<T, v1_types::Error>>;

impl v1_types::Host for HostState {}

impl HostState {
    /// Runs one Spin 1 call: connect (if allowed), then `op`.
    async fn redis_v1<T, F, Fut>(&mut self, address: &str, op: F) -> Outcome<T>
    where
        F: FnOnce(Arc<dyn Connection>) -> Fut + Send,
        Fut: std::future::Future<Output = Result<T, Error>> + Send,
        T: Send,
    {
        let result = match self.redis_connection(address).await {
            Ok(conn) => op(conn).await,
            Err(err) => Err(err),
        };
        Ok(result.map_err(|err| {
            tracing::debug!(component = %self.component_id, error = %err, "Spin 1 Redis call failed");
            v1_types::Error::Error
        }))
    }
}

impl v1::Host for HostState {
    async fn publish(&mut self, address: String, channel: String, payload: Vec<u8>) -> Outcome<()> {
        self.redis_v1(&address, |c| async move { c.publish(&channel, &payload).await }).await
    }

    async fn get(&mut self, address: String, key: String) -> Outcome<Vec<u8>> {
        self.redis_v1(&address, |c| async move { c.get(&key).await.map(Option::unwrap_or_default) }).await
    }

    async fn set(&mut self, address: String, key: String, value: Vec<u8>) -> Outcome<()> {
        self.redis_v1(&address, |c| async move { c.set(&key, &value).await }).await
    }

    async fn incr(&mut self, address: String, key: String) -> Outcome<i64> {
        self.redis_v1(&address, |c| async move { c.incr(&key).await }).await
    }

    async fn del(&mut self, address: String, keys: Vec<String>) -> Outcome<i64> {
        self.redis_v1(&address, |c| async move { c.del(&keys).await }).await
    }

    async fn sadd(&mut self, address: String, key: String, values: Vec<String>) -> Outcome<i64> {
        self.redis_v1(&address, |c| async move { c.sadd(&key, &values).await }).await
    }

    async fn smembers(&mut self, address: String, key: String) -> Outcome<Vec<String>> {
        self.redis_v1(&address, |c| async move { c.smembers(&key).await }).await
    }

    async fn srem(&mut self, address: String, key: String, values: Vec<String>) -> Outcome<i64> {
        self.redis_v1(&address, |c| async move { c.srem(&key, &values).await }).await
    }

    async fn execute(
        &mut self,
        address: String,
        command: String,
        arguments: Vec<v1_types::RedisParameter>,
    ) -> Outcome<Vec<v1_types::RedisResult>> {
        let arguments: Vec<_> = arguments.into_iter().map(parameter).collect();
        self.redis_v1(&address, |c| async move {
            c.execute(&command, arguments).await.map(|r| r.into_iter().map(result).collect())
        })
        .await
    }
}
