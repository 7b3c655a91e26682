//! Outbound PostgreSQL for Spin applications, independent of any WIT
//! interface.
//!
//! Spin guests open connections by address (`postgres://user@host:port/db`
//! or the `host=… user=…` form) and run statements with typed parameters.
//! The host bindings (Spin 1 `fermyon:spin/postgres`, `@2.0.0`,
//! `spin:postgres/postgres@3.0.0`, `@4.0.0` and `@4.2.0`) sit on top of
//! [`Connection`], so nothing here knows wasmtime.
//!
//! Design:
//!
//! - **Permission first.** [`endpoints`] names every host and port an
//!   address would reach, so the caller can check them against the
//!   component's `allowed_outbound_hosts` before any connection is made.
//! - **A small pool per address.** Each [`Pool::open`] hands out a
//!   connection of its own (guests may run transactions), reusing an idle
//!   one for the same address when there is one. A returned connection is
//!   rolled back before it goes back to the pool, so a guest that left a
//!   transaction open cannot leak it into the next request.
//! - **One value model.** [`Value`] is the newest interface's set of types
//!   (dates, UUIDs, JSON, decimals, ranges, arrays, intervals); older
//!   interface versions convert to and from a subset of it. Parameters are
//!   encoded for the type PostgreSQL expects and refused, not coerced, when
//!   they do not fit; a column type without a conversion comes back as
//!   [`Value::Unsupported`].
//! - **TLS as libpq does it.** `sslmode` is `disable`, `prefer` (the
//!   default), `require`, `verify-ca` or `verify-full`, with libpq's
//!   meaning; certificates are checked against the webpki roots plus a CA
//!   root the guest may supply ([`Pool::open_with_ca_root`]). See the `tls`
//!   module.
//! - **Bounded results.** A query's rows are read one at a time and their
//!   size counted as they arrive; past the connection's limit
//!   ([`PgConnection::with_max_result_bytes`], 64 MiB unless set) the
//!   query fails rather than let a guest make the host buffer an unbounded
//!   result set.

mod convert;
mod error;
mod tls;
mod value;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use tokio_postgres::config::Host;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config};

pub use error::{DbError, Error, QueryError};
pub use value::{Bound, BoundKind, Column, DataType, Interval, RowSet, Value};

use convert::{Cell, Param};

/// PostgreSQL's default port.
pub const DEFAULT_PORT: u16 = 5432;
/// How long connecting may take when the address does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections kept per address.
const MAX_IDLE: usize = 8;
/// The most bytes of one result set a connection buffers unless told
/// otherwise (the same default as `--max-buffered-bytes`).
pub const DEFAULT_MAX_RESULT_BYTES: usize = 64 << 20;
/// What one row costs besides its values (its `Vec`, roughly), so a result
/// of very many tiny rows is counted too.
const ROW_OVERHEAD: usize = 24;

/// An open connection to a PostgreSQL server.
#[async_trait]
pub trait Connection: Send + Sync {
    /// Runs a statement that returns rows; parameters bind to `$1`, `$2`, ….
    async fn query(&self, statement: &str, params: Vec<Value>) -> Result<RowSet, Error>;

    /// Runs a statement and returns how many rows it affected.
    async fn execute(&self, statement: &str, params: Vec<Value>) -> Result<u64, Error>;
}

/// The hosts and ports (TCP) an address would connect to, for permission
/// checks. Unix-socket addresses are refused: they reach no host the
/// manifest can grant.
pub fn endpoints(address: &str) -> Result<Vec<(String, u16)>, Error> {
    let (config, _) = parse(address)?;
    let ports = config.get_ports();
    let mut endpoints = Vec::new();
    for (i, host) in config.get_hosts().iter().enumerate() {
        let port = match ports {
            [] => DEFAULT_PORT,
            [port] => *port,
            ports => ports.get(i).copied().unwrap_or(DEFAULT_PORT),
        };
        match host {
            Host::Tcp(name) => endpoints.push((name.clone(), port)),
            #[cfg(unix)]
            Host::Unix(_) => return Err(Error::ConnectionFailed("Unix-socket addresses are not supported".into())),
        }
    }
    if endpoints.is_empty() {
        // No host: libpq would use a local socket.
        return Err(Error::ConnectionFailed("the address names no host".into()));
    }
    Ok(endpoints)
}

/// An address's settings and the certificate check its `sslmode` asks for.
fn parse(address: &str) -> Result<(Config, tls::Verification), Error> {
    let (address, verification) = tls::split_sslmode(address);
    let config = address
        .parse()
        .map_err(|e| Error::ConnectionFailed(format!("invalid address: {}", connect_error(&e))))?;
    Ok((config, verification))
}

/// Checks that `pem` is a usable CA root (one or more PEM certificates)
/// before a guest builds a connection with it.
pub fn check_ca_root(pem: &str) -> Result<(), Error> {
    tls::parse_ca_root(pem).map(drop)
}

/// Idle connections per address (and CA root), shared by every component
/// and request.
#[derive(Default)]
pub struct Pool {
    idle: Arc<Mutex<HashMap<String, Vec<Client>>>>,
}

impl Pool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// A connection to `address` for the caller alone: an idle one when
    /// there is one, a new one otherwise.
    pub async fn open(&self, address: &str) -> Result<PgConnection, Error> {
        self.open_with_ca_root(address, None).await
    }

    /// Like [`Pool::open`], trusting `ca_root` (PEM certificates) for TLS
    /// besides the webpki roots. Connections opened with different CA roots
    /// are pooled apart.
    pub async fn open_with_ca_root(&self, address: &str, ca_root: Option<&str>) -> Result<PgConnection, Error> {
        // The key must tell CA roots apart: a connection verified against
        // one guest's CA is not one another guest's settings would accept.
        let key = match ca_root {
            None => address.to_string(),
            Some(pem) => format!("{address}\0{pem}"),
        };
        if let Some(client) = self.take_idle(&key) {
            return Ok(PgConnection::new(client, &key, &self.idle));
        }
        let (mut config, verification) = parse(address)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let tls = tls::connector(verification, ca_root)?;
        let (client, connection) = config.connect(tls).await.map_err(|e| {
            tracing::debug!(error = %e, "PostgreSQL connection failed");
            Error::ConnectionFailed(connect_error(&e))
        })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "PostgreSQL connection closed with an error");
            }
        });
        Ok(PgConnection::new(client, &key, &self.idle))
    }

    fn take_idle(&self, address: &str) -> Option<Client> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let clients = idle.get_mut(address)?;
        while let Some(client) = clients.pop() {
            if !client.is_closed() {
                return Some(client);
            }
        }
        None
    }
}

/// A connection checked out of a [`Pool`]; it goes back when dropped.
pub struct PgConnection {
    client: Option<Client>,
    address: String,
    idle: Arc<Mutex<HashMap<String, Vec<Client>>>>,
    max_result_bytes: usize,
}

impl PgConnection {
    fn new(client: Client, address: &str, idle: &Arc<Mutex<HashMap<String, Vec<Client>>>>) -> Self {
        Self {
            client: Some(client),
            address: address.to_string(),
            idle: idle.clone(),
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
        }
    }

    /// Caps the bytes one [`Connection::query`] result may hold (counted by
    /// [`result_size`]); a larger result fails with
    /// [`Error::QueryFailed`] naming the limit.
    pub fn with_max_result_bytes(mut self, bytes: usize) -> Self {
        self.max_result_bytes = bytes;
        self
    }

    fn client(&self) -> Result<&Client, Error> {
        self.client.as_ref().ok_or_else(|| Error::Other("connection closed".into()))
    }
}

impl Drop for PgConnection {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else { return };
        if client.is_closed() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let idle = self.idle.clone();
        let address = std::mem::take(&mut self.address);
        runtime.spawn(async move {
            // Ends any transaction the guest left open; outside one it is a
            // harmless warning.
            if client.batch_execute("ROLLBACK").await.is_err() {
                return;
            }
            let mut idle = idle.lock().unwrap_or_else(|e| e.into_inner());
            let clients = idle.entry(address).or_default();
            if clients.len() < MAX_IDLE {
                clients.push(client);
            }
        });
    }
}

/// A failed connection's (or address's) message, with the cause
/// `tokio-postgres` keeps apart (`error performing TLS handshake: server
/// does not support TLS`, `invalid value for option `sslmode``).
fn connect_error(err: &tokio_postgres::Error) -> String {
    match std::error::Error::source(err) {
        Some(source) if !err.to_string().contains(&source.to_string()) => format!("{err}: {source}"),
        _ => err.to_string(),
    }
}

/// What a value costs in host memory, roughly: its payload (text and
/// bytes by length, numbers and other fixed-size values by a word or two).
pub fn value_size(value: &Value) -> usize {
    fn bound<T>(bound: &Bound<T>, size: impl Fn(&T) -> usize) -> usize {
        bound.as_ref().map_or(0, |(value, _)| size(value))
    }
    fn array<T>(items: &[Option<T>], size: impl Fn(&T) -> usize) -> usize {
        items.iter().map(|item| item.as_ref().map_or(1, &size)).sum()
    }
    match value {
        Value::Null => 0,
        Value::Boolean(_)
        | Value::Int8(_)
        | Value::Int16(_)
        | Value::Int32(_)
        | Value::Int64(_)
        | Value::Floating32(_)
        | Value::Floating64(_)
        | Value::Timestamp(_) => 8,
        Value::Date(_) | Value::Time(_) | Value::Datetime(_) | Value::Interval(_) => 16,
        Value::Str(s) | Value::Uuid(s) | Value::Decimal(s) => s.len(),
        Value::Binary(b) | Value::Jsonb(b) | Value::Unsupported(b) => b.len(),
        Value::RangeInt32((lo, hi)) => bound(lo, |_| 8) + bound(hi, |_| 8),
        Value::RangeInt64((lo, hi)) => bound(lo, |_| 8) + bound(hi, |_| 8),
        Value::RangeDecimal((lo, hi)) => bound(lo, String::len) + bound(hi, String::len),
        Value::ArrayInt32(items) => array(items, |_| 8),
        Value::ArrayInt64(items) => array(items, |_| 8),
        Value::ArrayDecimal(items) | Value::ArrayStr(items) => array(items, String::len),
    }
}

/// What a row costs in host memory: its values plus a small per-row
/// overhead. The running total of this is what the result cap counts.
pub fn result_size(row: &[Value]) -> usize {
    ROW_OVERHEAD + row.iter().map(value_size).sum::<usize>()
}

/// The error of a result set past the cap.
fn too_large(limit: usize) -> Error {
    Error::QueryFailed(QueryError::Text(format!(
        "result set exceeds the host's {limit}-byte limit for buffered data (--max-buffered-bytes)"
    )))
}

fn params(values: Vec<Value>) -> Result<Vec<Param>, Error> {
    values.into_iter().map(Param::new).collect()
}

fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// A failed statement's error: parameters that could not be encoded are the
/// caller's `bad-parameter`, everything else PostgreSQL's.
fn statement_error(err: &tokio_postgres::Error) -> Error {
    let text = err.to_string();
    if text.starts_with("error serializing parameter") {
        let detail = std::error::Error::source(err).map(ToString::to_string).unwrap_or_default();
        return Error::BadParameter(format!("{text}: {detail}"));
    }
    Error::query(err)
}

#[async_trait]
impl Connection for PgConnection {
    async fn query(&self, statement: &str, params: Vec<Value>) -> Result<RowSet, Error> {
        let params = self::params(params)?;
        let client = self.client()?;
        let prepared = client.prepare(statement).await.map_err(|e| Error::query(&e))?;
        let columns = prepared
            .columns()
            .iter()
            .map(|c| Column { name: c.name().to_string(), data_type: convert::data_type(c.type_()) })
            .collect();
        // Rows are read as they arrive so the total can be checked before
        // the next one is buffered. Dropping the stream part-way is safe:
        // tokio-postgres discards the rest of the response and the
        // connection stays usable.
        let stream = client.query_raw(&prepared, refs(&params)).await.map_err(|e| statement_error(&e))?;
        let mut stream = std::pin::pin!(stream);
        let mut rows = Vec::new();
        let mut total = 0usize;
        while let Some(row) = stream.next().await {
            let row = row.map_err(|e| statement_error(&e))?;
            let values = (0..row.len())
                .map(|i| {
                    row.try_get::<_, Cell>(i).map(|cell| cell.0).map_err(|e| {
                        let detail = std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default();
                        Error::ValueConversionFailed(format!("{e}: {detail}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            total = total.saturating_add(result_size(&values));
            if total > self.max_result_bytes {
                tracing::debug!(limit = self.max_result_bytes, rows = rows.len(), "PostgreSQL result set too large");
                return Err(too_large(self.max_result_bytes));
            }
            rows.push(values);
        }
        Ok(RowSet { columns, rows })
    }

    async fn execute(&self, statement: &str, params: Vec<Value>) -> Result<u64, Error> {
        let params = self::params(params)?;
        let client = self.client()?;
        client.execute(statement, &refs(&params)).await.map_err(|e| statement_error(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the local server (`postgres@127.0.0.1:5432/test`); skips
    /// without it, except under `CI=true`.
    const ADDRESS: &str = "postgres://postgres@127.0.0.1:5432/test";

    fn available() -> bool {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 5432));
        let up = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok();
        if !up {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "PostgreSQL is required in CI");
            eprintln!("SKIPPED: PostgreSQL is not reachable on 127.0.0.1:5432");
        }
        up
    }

    #[test]
    fn sizes_count_payloads() {
        assert_eq!(value_size(&Value::Str("abc".into())), 3);
        assert_eq!(value_size(&Value::Binary(vec![0; 10])), 10);
        assert_eq!(value_size(&Value::Int64(1)), 8);
        assert_eq!(value_size(&Value::ArrayStr(vec![Some("ab".into()), None])), 3);
        assert_eq!(result_size(&[Value::Null, Value::Str("xy".into())]), ROW_OVERHEAD + 2);
    }

    #[tokio::test]
    async fn a_result_past_the_cap_fails_and_the_connection_stays_usable() {
        if !available() {
            return;
        }
        let pool = Pool::new();
        let conn = pool.open(ADDRESS).await.unwrap().with_max_result_bytes(1 << 20);
        let big = conn.query("SELECT repeat('x', 100000) FROM generate_series(1, 50)", vec![]).await;
        let Err(Error::QueryFailed(QueryError::Text(message))) = big else { panic!("expected the cap: {big:?}") };
        assert!(message.contains("1048576-byte limit"), "{message}");
        // Just under the cap still fits, on the same connection.
        let fits = conn.query("SELECT repeat('x', 100000) FROM generate_series(1, 10)", vec![]).await.unwrap();
        assert_eq!(fits.rows.len(), 10);
        let small = conn.query("SELECT 1::int4", vec![]).await.unwrap();
        assert_eq!(small.rows, vec![vec![Value::Int32(1)]]);
    }

    #[tokio::test]
    async fn many_small_rows_count_too() {
        if !available() {
            return;
        }
        let pool = Pool::new();
        let conn = pool.open(ADDRESS).await.unwrap().with_max_result_bytes(64 << 10);
        // 10,000 one-int rows: 80 KB of values, more with the per-row cost.
        let many = conn.query("SELECT g::int4 FROM generate_series(1, 10000) g", vec![]).await;
        assert!(matches!(many, Err(Error::QueryFailed(_))), "{many:?}");
    }
}
