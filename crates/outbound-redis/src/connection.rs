//! [`Connections`]: the per-address cache, and [`RedisConnection`], the
//! client behind it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::{redacted, Connection, Error, Parameter, RedisValue};

/// How long dialling a server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one command may wait for its answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// Reconnection attempts after the connection drops, per command.
const RECONNECT_RETRIES: usize = 2;
/// Distinct addresses kept open at once; beyond, `open` fails with
/// [`Error::TooManyConnections`].
pub const MAX_ADDRESSES: usize = 256;

/// One reconnecting, multiplexed connection per Redis address, shared by
/// every guest that opens that address.
#[derive(Default)]
pub struct Connections {
    open: Mutex<HashMap<String, RedisConnection>>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.open.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("Connections").field("open", &count).finish()
    }
}

impl Connections {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The connection to `address` (`redis://[user:password@]host[:port][/db]`),
    /// dialled on first use. Fails with [`Error::InvalidAddress`] when the
    /// address is not a Redis URL and [`Error::Other`] when the server cannot
    /// be reached now (the next `open` dials again).
    pub async fn open(&self, address: &str) -> Result<Arc<dyn Connection>, Error> {
        if let Some(connection) = self.cached(address) {
            return Ok(Arc::new(connection));
        }
        if self.open.lock().map(|m| m.len()).unwrap_or(0) >= MAX_ADDRESSES {
            return Err(Error::TooManyConnections);
        }
        let connection = RedisConnection::connect(address).await?;
        let mut open = self
            .open
            .lock()
            .map_err(|_| Error::Other("connection cache poisoned".into()))?;
        // Another task may have dialled meanwhile: keep the first.
        let connection = open
            .entry(address.to_string())
            .or_insert(connection)
            .clone();
        Ok(Arc::new(connection))
    }

    fn cached(&self, address: &str) -> Option<RedisConnection> {
        self.open.lock().ok()?.get(address).cloned()
    }
}

/// A connection to one Redis server: a [`ConnectionManager`] that
/// multiplexes commands over one socket and re-dials after an I/O error.
/// Clones share the socket.
#[derive(Clone)]
pub struct RedisConnection {
    connection: ConnectionManager,
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConnection").finish_non_exhaustive()
    }
}

impl RedisConnection {
    /// Connects to the server at `address`.
    pub async fn connect(address: &str) -> Result<Self, Error> {
        let client =
            redis::Client::open(address).map_err(|e| Error::InvalidAddress(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(RECONNECT_RETRIES)
            .set_max_delay(Duration::from_secs(1));
        let connection = ConnectionManager::new_with_config(client, config).await.map_err(|e| {
            tracing::debug!(address = %redacted(address), error = %e, "cannot connect to Redis");
            redis_error(e)
        })?;
        Ok(Self { connection })
    }

    /// Runs `command`. When the cached connection turns out to have been
    /// dropped (the server restarted since the last call), the manager
    /// re-dials and the command is sent once more, so a restart costs the
    /// guest nothing when the server is back.
    async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, Error> {
        let mut connection = self.connection.clone();
        match command.query_async(&mut connection).await {
            Err(e) if e.is_connection_dropped() => {
                tracing::debug!(error = %e, "Redis connection dropped; retrying once");
                command
                    .query_async(&mut connection)
                    .await
                    .map_err(redis_error)
            }
            result => result.map_err(redis_error),
        }
    }
}

/// Maps a client error to the interface's variants: a reply of the wrong
/// type (client side, or the server's `WRONGTYPE`) is a type error.
fn redis_error(error: redis::RedisError) -> Error {
    match error.kind() {
        redis::ErrorKind::UnexpectedReturnType | redis::ErrorKind::Parse => Error::TypeError,
        _ if error.code() == Some("WRONGTYPE") => Error::TypeError,
        _ => Error::Other(format!("redis: {error}")),
    }
}

/// Flattens a reply into `execute`'s values.
fn flatten(value: redis::Value, out: &mut Vec<RedisValue>) {
    use redis::Value;
    match value {
        Value::Nil => out.push(RedisValue::Nil),
        Value::Int(i) => out.push(RedisValue::Int64(i)),
        Value::BulkString(bytes) => out.push(RedisValue::Binary(bytes)),
        Value::SimpleString(s) => out.push(RedisValue::Status(s)),
        Value::Okay => out.push(RedisValue::Status("OK".to_string())),
        Value::Array(values) | Value::Set(values) => {
            values.into_iter().for_each(|v| flatten(v, out))
        }
        Value::Map(pairs) => pairs.into_iter().for_each(|(k, v)| {
            flatten(k, out);
            flatten(v, out);
        }),
        Value::Attribute { data, .. } => flatten(*data, out),
        Value::Double(d) => out.push(RedisValue::Binary(d.to_string().into_bytes())),
        Value::Boolean(b) => out.push(RedisValue::Int64(i64::from(b))),
        Value::VerbatimString { text, .. } => out.push(RedisValue::Binary(text.into_bytes())),
        Value::Push { data, .. } => data.into_iter().for_each(|v| flatten(v, out)),
        Value::ServerError(e) => out.push(RedisValue::Status(format!("{e:?}"))),
        other => out.push(RedisValue::Binary(format!("{other:?}").into_bytes())),
    }
}

#[async_trait]
impl Connection for RedisConnection {
    async fn publish(&self, channel: &str, payload: &[u8]) -> Result<(), Error> {
        self.query::<i64>(redis::cmd("PUBLISH").arg(channel).arg(payload))
            .await
            .map(|_| ())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.query(redis::cmd("GET").arg(key)).await
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        self.query(redis::cmd("SET").arg(key).arg(value)).await
    }

    async fn incr(&self, key: &str) -> Result<i64, Error> {
        self.query(redis::cmd("INCR").arg(key)).await
    }

    async fn del(&self, keys: &[String]) -> Result<i64, Error> {
        if keys.is_empty() {
            return Ok(0);
        }
        self.query(redis::cmd("DEL").arg(keys)).await
    }

    async fn sadd(&self, key: &str, values: &[String]) -> Result<i64, Error> {
        if values.is_empty() {
            return Ok(0);
        }
        self.query(redis::cmd("SADD").arg(key).arg(values)).await
    }

    async fn srem(&self, key: &str, values: &[String]) -> Result<i64, Error> {
        if values.is_empty() {
            return Ok(0);
        }
        self.query(redis::cmd("SREM").arg(key).arg(values)).await
    }

    async fn smembers(&self, key: &str) -> Result<Vec<String>, Error> {
        self.query(redis::cmd("SMEMBERS").arg(key)).await
    }

    async fn execute(
        &self,
        command: &str,
        arguments: Vec<Parameter>,
    ) -> Result<Vec<RedisValue>, Error> {
        let mut cmd = redis::cmd(command);
        for argument in arguments {
            match argument {
                Parameter::Int64(i) => cmd.arg(i),
                Parameter::Binary(bytes) => cmd.arg(bytes),
            };
        }
        let value: redis::Value = self.query(&cmd).await?;
        let mut out = Vec::new();
        flatten(value, &mut out);
        Ok(out)
    }
}
