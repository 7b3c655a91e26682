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
//! - **Nothing runs on for nobody.** A statement whose caller stops waiting
//!   (the request timed out or the client went away, so the host future is
//!   dropped) or whose result outgrew the cap is cancelled on the server
//!   (PostgreSQL's cancel request), and the connection's next statement
//!   waits until the server has acted on that cancel, so it can never be
//!   the one cancelled. See the `cancel` module.

mod cancel;
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

use cancel::{CancelRoute, InFlight, PendingCancel};

pub use error::{DbError, Error, QueryError};
pub use value::{Bound, BoundKind, Column, DataType, Interval, RowSet, Value};

use convert::{Cell, Param};

/// PostgreSQL's default port.
pub const DEFAULT_PORT: u16 = 5432;
/// How long connecting may take when the address does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections kept per address.
const MAX_IDLE: usize = 8;
pub use kiln_result_budget::DEFAULT_MAX_RESULT_BYTES;
use kiln_result_budget::{HostSize, ResultBudget};

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
    idle: Arc<Mutex<HashMap<String, Vec<Idle>>>>,
}

/// A pooled connection and how it was made (a cancel request opens a new
/// connection to the same server the same way).
struct Idle {
    client: Client,
    route: CancelRoute,
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
        if let Some(idle) = self.take_idle(&key) {
            return Ok(PgConnection::new(idle, &key, &self.idle));
        }
        let (mut config, verification) = parse(address)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let tls = tls::connector(verification, ca_root)?;
        let (client, connection) = config.connect(tls.clone()).await.map_err(|e| {
            tracing::debug!(error = %e, "PostgreSQL connection failed");
            Error::ConnectionFailed(connect_error(&e))
        })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "PostgreSQL connection closed with an error");
            }
        });
        Ok(PgConnection::new(Idle { client, route: CancelRoute::new(config, tls) }, &key, &self.idle))
    }

    fn take_idle(&self, address: &str) -> Option<Idle> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let clients = idle.get_mut(address)?;
        while let Some(idle) = clients.pop() {
            if !idle.client.is_closed() {
                return Some(idle);
            }
        }
        None
    }
}

/// A connection checked out of a [`Pool`]; it goes back when dropped.
pub struct PgConnection {
    client: Option<Client>,
    route: CancelRoute,
    address: String,
    idle: Arc<Mutex<HashMap<String, Vec<Idle>>>>,
    max_result_bytes: usize,
    pending_cancel: PendingCancel,
}

impl PgConnection {
    fn new(idle_connection: Idle, address: &str, idle: &Arc<Mutex<HashMap<String, Vec<Idle>>>>) -> Self {
        Self {
            client: Some(idle_connection.client),
            route: idle_connection.route,
            address: address.to_string(),
            idle: idle.clone(),
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
            pending_cancel: PendingCancel::default(),
        }
    }

    /// Caps the bytes one [`Connection::query`] result may hold (counted by
    /// [`kiln_result_budget::row_size`]); a larger result fails with
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
        let route = self.route.clone();
        let pending_cancel = self.pending_cancel.take();
        runtime.spawn(async move {
            // A cancel still on its way must land before the ROLLBACK, or it
            // could cancel that instead.
            cancel::settle(pending_cancel).await;
            // Ends any transaction the guest left open; outside one it is a
            // harmless warning.
            if client.batch_execute("ROLLBACK").await.is_err() {
                return;
            }
            let mut idle = idle.lock().unwrap_or_else(|e| e.into_inner());
            let clients = idle.entry(address).or_default();
            if clients.len() < MAX_IDLE {
                clients.push(Idle { client, route });
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

/// Text and bytes cost their length, numbers and other fixed-size values a
/// word or two.
impl HostSize for Value {
    fn host_size(&self) -> usize {
        fn bound<T>(bound: &Bound<T>, size: impl Fn(&T) -> usize) -> usize {
            bound.as_ref().map_or(0, |(value, _)| size(value))
        }
        fn array<T>(items: &[Option<T>], size: impl Fn(&T) -> usize) -> usize {
            items.iter().map(|item| item.as_ref().map_or(1, &size)).sum()
        }
        match self {
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
    error::query(err)
}

#[async_trait]
impl Connection for PgConnection {
    async fn query(&self, statement: &str, params: Vec<Value>) -> Result<RowSet, Error> {
        let params = self::params(params)?;
        let client = self.client()?;
        self.cancellable(client, self.query_rows(client, statement, &params)).await
    }

    async fn execute(&self, statement: &str, params: Vec<Value>) -> Result<u64, Error> {
        let params = self::params(params)?;
        let client = self.client()?;
        let params = refs(&params);
        let statement_run = async { client.execute(statement, &params).await.map_err(|e| statement_error(&e)) };
        self.cancellable(client, statement_run).await
    }
}

impl PgConnection {
    /// Runs `statement_run` once any cancel still on its way has landed; if
    /// the caller stops waiting (drops this future), the statement is
    /// cancelled on the server.
    async fn cancellable<T>(&self, client: &Client, statement_run: impl std::future::Future<Output = Result<T, Error>>) -> Result<T, Error> {
        cancel::settle(self.pending_cancel.take()).await;
        let in_flight = InFlight::new(client, &self.route, &self.pending_cancel);
        let result = statement_run.await;
        in_flight.finish();
        result
    }

    async fn query_rows(&self, client: &Client, statement: &str, params: &[Param]) -> Result<RowSet, Error> {
        let prepared = client.prepare(statement).await.map_err(|e| error::query(&e))?;
        let columns = prepared
            .columns()
            .iter()
            .map(|c| Column { name: c.name().to_string(), data_type: convert::data_type(c.type_()) })
            .collect();
        // Rows are read as they arrive so the total can be checked before
        // the next one is buffered. Dropping the stream part-way is safe:
        // tokio-postgres discards the rest of the response and the
        // connection stays usable.
        let stream = client.query_raw(&prepared, refs(params)).await.map_err(|e| statement_error(&e))?;
        let mut stream = std::pin::pin!(stream);
        let mut rows = Vec::new();
        let mut budget = ResultBudget::new(self.max_result_bytes);
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
            if let Err(err) = budget.charge("postgres", &values) {
                // Stop the server producing rows nobody will read; awaited,
                // so the guest's next statement cannot be the one cancelled.
                cancel::cancel_now(client, &self.route).await;
                return Err(Error::QueryFailed(QueryError::Text(err.to_string())));
            }
            rows.push(values);
        }
        Ok(RowSet { columns, rows })
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
        assert_eq!(Value::Str("abc".into()).host_size(), 3);
        assert_eq!(Value::Binary(vec![0; 10]).host_size(), 10);
        assert_eq!(Value::Int64(1).host_size(), 8);
        assert_eq!(Value::ArrayStr(vec![Some("ab".into()), None]).host_size(), 3);
        assert_eq!(Value::Null.host_size(), 0);
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

    /// How many statements containing `marker` the server is running.
    async fn running(observer: &PgConnection, marker: &str) -> i64 {
        // The marker travels as a parameter, so this statement's own text
        // does not match.
        let rows = observer
            .query(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1",
                vec![Value::Str(format!("%{marker}%"))],
            )
            .await
            .unwrap();
        match rows.rows[0][0] {
            Value::Int64(n) => n,
            ref other => panic!("count(*) gave {other:?}"),
        }
    }

    /// [`running`] once it reaches 0, or after ten seconds (the statements
    /// these tests abandon would run for a minute).
    async fn stopped(observer: &PgConnection, marker: &str) -> i64 {
        let mut left = running(observer, marker).await;
        for _ in 0..100 {
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            left = running(observer, marker).await;
        }
        left
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_statement_nobody_waits_for_is_cancelled_on_the_server() {
        if !available() {
            return;
        }
        let pool = Pool::new();
        let observer = pool.open(ADDRESS).await.unwrap();
        for (round, execute) in [(0, false), (1, true)] {
            let marker = format!("kiln_cancel_{}_{round}", std::process::id());
            let conn = pool.open(ADDRESS).await.unwrap();
            let sql = format!("SELECT pg_sleep(60) AS {marker}");
            // The request's deadline passes: the future is dropped.
            let abandoned = if execute {
                tokio::time::timeout(Duration::from_millis(300), conn.execute(&sql, vec![])).await.map(drop)
            } else {
                tokio::time::timeout(Duration::from_millis(300), conn.query(&sql, vec![])).await.map(drop)
            };
            assert!(abandoned.is_err(), "pg_sleep(60) ended within 300 ms?");
            assert_eq!(stopped(&observer, &marker).await, 0, "the abandoned statement still runs on the server");
            // The connection goes on (a Preview 3 guest may keep using it),
            // and the cancel did not catch its next statement.
            let next = conn.query("SELECT 2::int4", vec![]).await.unwrap();
            assert_eq!(next.rows, vec![vec![Value::Int32(2)]]);
        }
    }

    #[tokio::test]
    async fn a_result_past_the_cap_is_cancelled_on_the_server() {
        if !available() {
            return;
        }
        let pool = Pool::new();
        let observer = pool.open(ADDRESS).await.unwrap();
        let conn = pool.open(ADDRESS).await.unwrap().with_max_result_bytes(64 << 10);
        let marker = format!("kiln_cap_{}", std::process::id());
        // Rows come at once, then the server sleeps before the last one:
        // with the cancel, the statement does not sit out the sleep.
        let sql = format!(
            "SELECT g AS {marker}, CASE WHEN g = 100000 THEN pg_sleep(60)::text ELSE repeat('x', 100) END \
             FROM generate_series(1, 100000) g"
        );
        let capped = conn.query(&sql, vec![]).await;
        assert!(matches!(capped, Err(Error::QueryFailed(_))), "{capped:?}");
        assert_eq!(stopped(&observer, &marker).await, 0, "the capped statement still runs on the server");
        let next = conn.query("SELECT 3::int4", vec![]).await.unwrap();
        assert_eq!(next.rows, vec![vec![Value::Int32(3)]]);
    }
}
