//! Outbound Redis for Spin applications, independent of any WIT interface.
//!
//! Spin guests reach Redis through `fermyon:spin/redis@2.0.0` (a `connection`
//! resource) and the Spin 1 `fermyon:spin/redis` (the address passed to every
//! call). Both offer the same commands — publish, get, set, incr, del, sadd,
//! srem, smembers and a general `execute` — so this crate holds them once, as
//! the [`Connection`] trait, and the host bindings in `kiln-world` translate
//! shapes and error variants.
//!
//! Guests open connections per request, often to the same server. Dialling
//! Redis for each would dominate the cost of a request, so [`Connections`]
//! keeps one reconnecting, multiplexed [`RedisConnection`] per address and
//! hands out clones: every instance of every component talking to
//! `redis://host:port/db` shares it. A server restart fails only the calls
//! made while it is down.
//!
//! Whether a component may reach an address at all is not decided here: the
//! host bindings check the component's `allowed_outbound_hosts` first.

mod connection;

pub use connection::{Connections, RedisConnection};

use async_trait::async_trait;

/// Why a Redis operation failed. Mirrors the error variants of Spin's
/// `redis` interface.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The address is not a valid Redis URL, or the component may not reach it.
    #[error("invalid Redis address: {0}")]
    InvalidAddress(String),
    /// Too many connections are open.
    #[error("too many Redis connections")]
    TooManyConnections,
    /// A value had a type the operation cannot work with.
    #[error("Redis value of the wrong type")]
    TypeError,
    /// Anything else: the server is unreachable, a command failed, ….
    #[error("{0}")]
    Other(String),
}

/// A parameter of [`Connection::execute`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parameter {
    /// A signed 64-bit integer.
    Int64(i64),
    /// A byte string.
    Binary(Vec<u8>),
}

/// One value of [`Connection::execute`]'s answer. Nested replies (arrays,
/// maps, sets) are flattened, as Spin does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisValue {
    /// No value.
    Nil,
    /// A status reply such as `OK`.
    Status(String),
    /// An integer reply.
    Int64(i64),
    /// A bulk string reply.
    Binary(Vec<u8>),
}

/// The commands Spin's Redis interfaces offer, on one server.
#[async_trait]
pub trait Connection: Send + Sync {
    /// Publishes `payload` on `channel`.
    async fn publish(&self, channel: &str, payload: &[u8]) -> Result<(), Error>;
    /// The value of `key`, `None` when it is not set.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error>;
    /// Sets `key` to `value`, replacing any previous value.
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), Error>;
    /// Increments the integer at `key` (0 when unset) and returns the result.
    async fn incr(&self, key: &str) -> Result<i64, Error>;
    /// Removes `keys`; returns how many existed.
    async fn del(&self, keys: &[String]) -> Result<i64, Error>;
    /// Adds `values` to the set `key`; returns how many were new.
    async fn sadd(&self, key: &str, values: &[String]) -> Result<i64, Error>;
    /// Removes `values` from the set `key`; returns how many were there.
    async fn srem(&self, key: &str, values: &[String]) -> Result<i64, Error>;
    /// The members of the set `key`.
    async fn smembers(&self, key: &str) -> Result<Vec<String>, Error>;
    /// Runs an arbitrary command.
    async fn execute(
        &self,
        command: &str,
        arguments: Vec<Parameter>,
    ) -> Result<Vec<RedisValue>, Error>;
}

/// The address with any password replaced, for logs.
pub fn redacted(address: &str) -> String {
    match url::Url::parse(address) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        Err(_) => "<invalid address>".to_string(),
    }
}
