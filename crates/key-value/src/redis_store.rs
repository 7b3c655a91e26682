//! The `redis` backend.
//!
//! Keys are stored as they are, with no label prefix, as Spin does: an app
//! that shares a Redis database with Spin (or with other programs) sees the
//! same keys. A [`ConnectionManager`] multiplexes every request over one
//! connection and re-dials after an I/O error, so a server restart fails only
//! the calls made while it is down. Timeouts keep a dead server from hanging
//! a request.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use kiln_located_error::section::Section;
use kiln_located_error::{Kind, Problem};

use crate::{Error, Store};

/// How long dialling the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one command may wait for its answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Re-dial attempts per reconnection before the waiting call fails; the next
/// call starts a fresh round.
const RECONNECT_RETRIES: usize = 2;
/// Keys asked for per `SCAN` round trip.
const SCAN_BATCH: usize = 1000;

/// Sets `KEYS[1]` to `ARGV[3]` only if it currently holds `ARGV[2]`
/// (`ARGV[1] == "1"`) or is absent (`ARGV[1] == "0"`); returns 1 when it did.
/// Lua strings are byte strings, so binary values compare exactly.
const COMPARE_AND_SWAP: &str = r#"
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
"#;

/// A store kept in a Redis database (the `redis` backend).
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    compare_and_swap: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the server at `url` (`redis://[user:password@]host[:port][/db]`).
    /// Fails with [`Error::Other`] when the URL is invalid or the server
    /// cannot be reached now.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let client = redis::Client::open(url)
            .map_err(|e| Error::Other(format!("invalid Redis URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(RECONNECT_RETRIES)
            .set_max_delay(Duration::from_secs(1));
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(redis_error)?;
        Ok(Self {
            connection,
            compare_and_swap: redis::Script::new(COMPARE_AND_SWAP),
        })
    }

    async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, Error> {
        // Clones share the one multiplexed connection.
        let mut connection = self.connection.clone();
        command
            .query_async(&mut connection)
            .await
            .map_err(redis_error)
    }
}

/// URL schemes the Redis client accepts.
const REDIS_SCHEMES: &[&str] = &["redis", "rediss", "redis+unix", "unix"];

/// The `url` of a `type = "redis"` table. It must parse and use a Redis
/// scheme; the URL itself is never echoed, as it may carry a password.
pub(crate) fn url_from_section<K: Kind>(section: &Section<'_>) -> Result<String, Problem<K>> {
    #[derive(serde::Deserialize)]
    struct RedisFields {
        url: String,
    }
    section.check_fields(&["type", "url"])?;
    let fields: RedisFields = section.deserialize(&["type"])?;
    let problem = |message: String| {
        let span = section.value_span("url").unwrap_or_else(|| section.span.clone());
        Problem::new(K::INVALID, span, section.field_of("url"), message)
    };
    let parsed =
        url::Url::parse(&fields.url).map_err(|e| problem(format!("not a valid Redis URL: {e}")))?;
    if !REDIS_SCHEMES.contains(&parsed.scheme()) {
        return Err(problem(format!(
            "unsupported scheme `{}`; a Redis URL starts with `redis://` or `rediss://`",
            parsed.scheme()
        )));
    }
    Ok(fields.url)
}

/// `url` with its password, if any, replaced by `redacted`, safe to print.
/// A URL that does not parse is hidden whole, since where its password is
/// is unknown.
pub(crate) fn redact_password(url: &str) -> String {
    const REDACTED: &str = "<redacted>";
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            match parsed.set_password(Some("redacted")) {
                Ok(()) => parsed.to_string(),
                Err(()) => REDACTED.to_string(),
            }
        }
        Ok(_) => url.to_string(),
        Err(_) => REDACTED.to_string(),
    }
}

fn redis_error(error: redis::RedisError) -> Error {
    Error::Other(format!("redis: {error}"))
}

#[async_trait]
impl Store for RedisStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.query(redis::cmd("GET").arg(key)).await
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        self.query(redis::cmd("SET").arg(key).arg(value)).await
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        self.query(redis::cmd("DEL").arg(key)).await
    }

    async fn exists(&self, key: &str) -> Result<bool, Error> {
        self.query(redis::cmd("EXISTS").arg(key)).await
    }

    async fn get_keys(&self) -> Result<Vec<String>, Error> {
        // SCAN, unlike KEYS, does not stall the server on a large database;
        // it may return a key more than once, hence the set.
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, batch): (u64, Vec<Vec<u8>>) = self
                .query(redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(SCAN_BATCH))
                .await?;
            for raw in batch {
                match String::from_utf8(raw) {
                    Ok(key) if seen.insert(key.clone()) => keys.push(key),
                    Ok(_) => {}
                    // Spin keys are strings; a binary key written by some
                    // other program cannot be named through this interface.
                    Err(_) => tracing::debug!("skipping a non-UTF-8 Redis key"),
                }
            }
            if next == 0 {
                return Ok(keys);
            }
            cursor = next;
        }
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Option<Vec<u8>>)>, Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let values: Vec<Option<Vec<u8>>> = self.query(redis::cmd("MGET").arg(keys)).await?;
        if values.len() != keys.len() {
            return Err(Error::Other(format!(
                "redis: MGET answered {} values for {} keys",
                values.len(),
                keys.len()
            )));
        }
        Ok(keys.iter().cloned().zip(values).collect())
    }

    async fn set_many(&self, items: &[(String, Vec<u8>)]) -> Result<(), Error> {
        if items.is_empty() {
            return Ok(());
        }
        // MSET is atomic.
        let mut command = redis::cmd("MSET");
        for (key, value) in items {
            command.arg(key).arg(value);
        }
        self.query(&command).await
    }

    async fn delete_many(&self, keys: &[String]) -> Result<(), Error> {
        if keys.is_empty() {
            return Ok(());
        }
        self.query(redis::cmd("DEL").arg(keys)).await
    }

    async fn increment(&self, key: &str, delta: i64) -> Result<i64, Error> {
        self.query(redis::cmd("INCRBY").arg(key).arg(delta)).await
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, Error> {
        let mut invocation = self.compare_and_swap.key(key);
        match expected {
            Some(value) => invocation.arg("1").arg(value),
            None => invocation.arg("0").arg(""),
        };
        invocation.arg(new);
        let mut connection = self.connection.clone();
        let swapped: i64 = invocation
            .invoke_async(&mut connection)
            .await
            .map_err(redis_error)?;
        Ok(swapped == 1)
    }
}
