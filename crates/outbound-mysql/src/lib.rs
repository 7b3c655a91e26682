//! Outbound MySQL (and MariaDB) for Spin applications, independent of any
//! WIT interface.
//!
//! Spin guests open connections by URL (`mysql://user:password@host:port/db`)
//! and run statements with typed parameters. The host bindings (Spin 1
//! `fermyon:spin/mysql` and `@2.0.0`) sit on top of [`Connection`], so
//! nothing here knows wasmtime.
//!
//! Design:
//!
//! - **Permission first.** [`endpoint`] names the host and port a URL would
//!   reach, so the caller can check it against the component's
//!   `allowed_outbound_hosts` before any connection is made.
//! - **A pool per address.** [`Pools`] keeps one `mysql_async` pool per URL;
//!   each [`Pools::open`] takes a connection of its own from it (guests may
//!   run transactions), which goes back, reset, when dropped.
//! - **Values by column type.** Results are read by each column's declared
//!   type and signedness, so an `INT UNSIGNED` is a `u32` and a `BLOB` is
//!   bytes whether the server answered in the text or binary protocol.
//!   Dates, times, decimals and JSON come back as their text; a type without
//!   a conversion is [`Value::Unsupported`].
//! - **TLS on request.** `mysql_async`'s own URL options (`require_ssl`,
//!   `verify_ca`, `verify_identity`, `built_in_roots`) work, over rustls with
//!   the webpki roots; so does the MySQL client's `ssl-mode`
//!   (`DISABLED`, `PREFERRED`, `REQUIRED`, `VERIFY_CA`, `VERIFY_IDENTITY`,
//!   with their meaning, except that `PREFERRED` — which `mysql_async`
//!   cannot express — connects without TLS). A server without TLS is then a
//!   connection error, never a silent fallback.
//! - **Bounded results.** A query's rows are read one at a time and their
//!   size counted as they arrive; past the connection's limit
//!   ([`MysqlConnection::with_max_result_bytes`], 64 MiB unless set) the
//!   query fails; the statement is killed and the rest of the result read
//!   and thrown away, so the connection (and any transaction on it) stays
//!   usable.
//! - **Nothing runs on for nobody.** A statement whose caller stops waiting
//!   (the request timed out, so the host future is dropped) is killed on
//!   the server (`KILL QUERY`); the connection's next statement waits for
//!   the kill to be delivered, so it is never the one killed. See the
//!   `cancel` module.

mod cancel;

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};

use async_trait::async_trait;
use mysql_async::consts::{ColumnFlags, ColumnType};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, Params, Pool};
use tokio::sync::Mutex;

/// MySQL's default port.
pub const DEFAULT_PORT: u16 = 3306;

/// How long taking a connection (connecting and logging in) may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The character set number MySQL gives binary (non-text) columns.
const BINARY_CHARSET: u16 = 63;

pub use kiln_result_budget::DEFAULT_MAX_RESULT_BYTES;
use kiln_result_budget::{HostSize, ResultBudget};

/// A MySQL operation's failure, shaped like the interface's `error` variant.
pub type Error = kiln_rdbms::Error;

/// A value: a query parameter or a column of a returned row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A boolean (sent as `0`/`1`).
    Boolean(bool),
    /// `TINYINT`.
    Int8(i8),
    /// `SMALLINT`.
    Int16(i16),
    /// `INT`, `MEDIUMINT`.
    Int32(i32),
    /// `BIGINT`.
    Int64(i64),
    /// `TINYINT UNSIGNED`.
    Uint8(u8),
    /// `SMALLINT UNSIGNED`.
    Uint16(u16),
    /// `INT UNSIGNED`, `MEDIUMINT UNSIGNED`.
    Uint32(u32),
    /// `BIGINT UNSIGNED`.
    Uint64(u64),
    /// `FLOAT`.
    Floating32(f32),
    /// `DOUBLE`.
    Floating64(f64),
    /// Text columns, and dates, times, decimals and JSON as text.
    Str(String),
    /// Binary columns (`BLOB`, `BINARY`, `VARBINARY`, `BIT`).
    Binary(Vec<u8>),
    /// SQL `NULL`.
    Null,
    /// A column of a type Kiln does not convert.
    Unsupported,
}

/// A column's type, as the interface names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// Boolean.
    Boolean,
    /// `TINYINT`.
    Int8,
    /// `SMALLINT`.
    Int16,
    /// `INT`, `MEDIUMINT`.
    Int32,
    /// `BIGINT`.
    Int64,
    /// `TINYINT UNSIGNED`.
    Uint8,
    /// `SMALLINT UNSIGNED`.
    Uint16,
    /// `INT UNSIGNED`, `MEDIUMINT UNSIGNED`.
    Uint32,
    /// `BIGINT UNSIGNED`.
    Uint64,
    /// `FLOAT`.
    Floating32,
    /// `DOUBLE`.
    Floating64,
    /// Text.
    Str,
    /// Binary.
    Binary,
    /// Anything else (dates, decimals, JSON, … read as text).
    Other,
}

/// A result column: its name and type.
pub type Column = kiln_rdbms::Column<DataType>;

/// What a query returned.
pub type RowSet = kiln_rdbms::RowSet<Value, DataType>;

/// An open connection to a MySQL server.
#[async_trait]
pub trait Connection: Send + Sync {
    /// Runs a statement that returns rows; parameters bind to `?` in order.
    async fn query(&self, statement: &str, params: Vec<Value>) -> Result<RowSet, Error>;

    /// Runs a statement that returns no rows (insert, update, DDL, …).
    async fn execute(&self, statement: &str, params: Vec<Value>) -> Result<(), Error>;
}

/// The host and port a `mysql://` URL would connect to, for permission
/// checks.
pub fn endpoint(address: &str) -> Result<(String, u16), Error> {
    let url = url::Url::parse(address).map_err(|e| Error::ConnectionFailed(format!("invalid address: {e}")))?;
    if url.scheme() != "mysql" {
        return Err(Error::ConnectionFailed(format!("unsupported scheme `{}`: expected mysql://", url.scheme())));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::ConnectionFailed("the address names no host".into()))?;
    Ok((host.to_string(), url.port().unwrap_or(DEFAULT_PORT)))
}

/// One `mysql_async` pool per address, shared by every component and request.
#[derive(Default)]
pub struct Pools {
    pools: StdMutex<HashMap<String, Pool>>,
}

impl Pools {
    /// No pools yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A connection to `address` for the caller alone.
    pub async fn open(&self, address: &str) -> Result<MysqlConnection, Error> {
        let pool = self.pool(address)?;
        let conn = tokio::time::timeout(CONNECT_TIMEOUT, pool.get_conn())
            .await
            .map_err(|_| Error::ConnectionFailed(format!("no connection within {CONNECT_TIMEOUT:?}")))?
            .map_err(|e| {
                tracing::debug!(error = %e, "MySQL connection failed");
                Error::ConnectionFailed(e.to_string())
            })?;
        Ok(MysqlConnection {
            id: conn.id(),
            conn: Arc::new(Mutex::new(conn)),
            pool,
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
            pending_kill: cancel::PendingKill::default(),
        })
    }

    fn pool(&self, address: &str) -> Result<Pool, Error> {
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pool) = pools.get(address) {
            return Ok(pool.clone());
        }
        let opts = Opts::from_url(&translate_ssl_mode(address)?)
            .map_err(|e| Error::ConnectionFailed(format!("invalid address: {e}")))?;
        install_crypto_provider();
        let pool = Pool::new(opts);
        pools.insert(address.to_string(), pool.clone());
        Ok(pool)
    }
}

/// `mysql_async` builds its TLS configuration with rustls's process-wide
/// crypto provider; make sure there is one (ring, as everywhere in Kiln),
/// or rustls would panic when two providers are compiled in.
fn install_crypto_provider() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // An error means another provider is installed already: fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// `address` with the MySQL client's `ssl-mode` (or `ssl_mode`) option
/// spelled as the `mysql_async` options that mean the same:
///
/// | `ssl-mode` | TLS | certificate checked | name checked |
/// |---|---|---|---|
/// | `DISABLED`, `PREFERRED` | no | | |
/// | `REQUIRED` | yes | no | no |
/// | `VERIFY_CA` | yes | yes | no |
/// | `VERIFY_IDENTITY` | yes | yes | yes |
pub fn translate_ssl_mode(address: &str) -> Result<String, Error> {
    let Ok(mut url) = url::Url::parse(address) else {
        // `Opts::from_url` reports what is wrong with it.
        return Ok(address.to_string());
    };
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let Some(position) = pairs.iter().rposition(|(k, _)| k == "ssl-mode" || k == "ssl_mode") else {
        return Ok(address.to_string());
    };
    let mode = pairs[position].1.to_ascii_uppercase();
    let options: &[(&str, &str)] = match mode.as_str() {
        "DISABLED" | "PREFERRED" => &[],
        "REQUIRED" => &[("require_ssl", "true"), ("verify_ca", "false"), ("verify_identity", "false")],
        "VERIFY_CA" => &[("require_ssl", "true"), ("verify_ca", "true"), ("verify_identity", "false")],
        "VERIFY_IDENTITY" => &[("require_ssl", "true"), ("verify_ca", "true"), ("verify_identity", "true")],
        _ => {
            return Err(Error::ConnectionFailed(format!(
                "invalid address: ssl-mode `{}` is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY",
                pairs[position].1
            )))
        }
    };
    let tls_keys = ["ssl-mode", "ssl_mode", "require_ssl", "verify_ca", "verify_identity"];
    let kept = pairs.iter().filter(|(k, _)| !tls_keys.contains(&k.as_str()));
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(kept.map(|(k, v)| (k.as_str(), v.as_str())));
    query.extend_pairs(options.iter().copied());
    let query = query.finish();
    url.set_query((!query.is_empty()).then_some(query.as_str()));
    Ok(url.to_string())
}

/// A connection taken from a pool; it goes back when dropped.
pub struct MysqlConnection {
    /// Shared with the task running its statement: see [`MysqlConnection::run`].
    conn: Arc<Mutex<Conn>>,
    /// The server's id of `conn`, for `KILL QUERY`.
    id: u32,
    /// Where the connection came from; kills go over another of its
    /// connections.
    pool: Pool,
    pending_kill: cancel::PendingKill,
    max_result_bytes: usize,
}

impl MysqlConnection {
    /// Caps the bytes one [`Connection::query`] result may hold (counted by
    /// [`kiln_result_budget::row_size`]); a larger result fails with
    /// [`Error::QueryFailed`] naming the limit.
    pub fn with_max_result_bytes(mut self, bytes: usize) -> Self {
        self.max_result_bytes = bytes;
        self
    }
}

/// Text and bytes cost their length, numbers a word.
impl HostSize for Value {
    fn host_size(&self) -> usize {
        match self {
            Value::Null | Value::Unsupported => 0,
            Value::Str(s) => s.len(),
            Value::Binary(b) => b.len(),
            _ => 8,
        }
    }
}

fn to_mysql(value: Value) -> Result<mysql_async::Value, Error> {
    use mysql_async::Value as M;
    Ok(match value {
        Value::Boolean(v) => M::Int(i64::from(v)),
        Value::Int8(v) => M::Int(v.into()),
        Value::Int16(v) => M::Int(v.into()),
        Value::Int32(v) => M::Int(v.into()),
        Value::Int64(v) => M::Int(v),
        Value::Uint8(v) => M::UInt(v.into()),
        Value::Uint16(v) => M::UInt(v.into()),
        Value::Uint32(v) => M::UInt(v.into()),
        Value::Uint64(v) => M::UInt(v),
        Value::Floating32(v) => M::Float(v),
        Value::Floating64(v) => M::Double(v),
        Value::Str(v) => M::Bytes(v.into_bytes()),
        Value::Binary(v) => M::Bytes(v),
        Value::Null => M::NULL,
        Value::Unsupported => return Err(Error::BadParameter("an unsupported value cannot be a parameter".into())),
    })
}

fn params(values: Vec<Value>) -> Result<Params, Error> {
    if values.is_empty() {
        return Ok(Params::Empty);
    }
    Ok(Params::Positional(values.into_iter().map(to_mysql).collect::<Result<_, _>>()?))
}

fn data_type(column: &mysql_async::Column) -> DataType {
    let unsigned = column.flags().contains(ColumnFlags::UNSIGNED_FLAG);
    let pick = |signed, unsigned_type| if unsigned { unsigned_type } else { signed };
    match column.column_type() {
        ColumnType::MYSQL_TYPE_TINY => pick(DataType::Int8, DataType::Uint8),
        ColumnType::MYSQL_TYPE_SHORT | ColumnType::MYSQL_TYPE_YEAR => pick(DataType::Int16, DataType::Uint16),
        ColumnType::MYSQL_TYPE_INT24 | ColumnType::MYSQL_TYPE_LONG => pick(DataType::Int32, DataType::Uint32),
        ColumnType::MYSQL_TYPE_LONGLONG => pick(DataType::Int64, DataType::Uint64),
        ColumnType::MYSQL_TYPE_FLOAT => DataType::Floating32,
        ColumnType::MYSQL_TYPE_DOUBLE => DataType::Floating64,
        ColumnType::MYSQL_TYPE_BIT => DataType::Binary,
        ColumnType::MYSQL_TYPE_VARCHAR
        | ColumnType::MYSQL_TYPE_VAR_STRING
        | ColumnType::MYSQL_TYPE_STRING
        | ColumnType::MYSQL_TYPE_TINY_BLOB
        | ColumnType::MYSQL_TYPE_MEDIUM_BLOB
        | ColumnType::MYSQL_TYPE_LONG_BLOB
        | ColumnType::MYSQL_TYPE_BLOB => {
            if column.character_set() == BINARY_CHARSET {
                DataType::Binary
            } else {
                DataType::Str
            }
        }
        _ => DataType::Other,
    }
}

/// Text for the types read as text (dates, times, decimals, JSON, enums).
fn as_text(value: mysql_async::Value) -> Option<String> {
    use mysql_async::Value as M;
    match value {
        M::Bytes(bytes) => String::from_utf8(bytes).ok(),
        M::Date(y, mo, d, 0, 0, 0, 0) => Some(format!("{y:04}-{mo:02}-{d:02}")),
        M::Date(y, mo, d, h, mi, s, 0) => Some(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")),
        M::Date(y, mo, d, h, mi, s, us) => Some(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}")),
        M::Time(negative, days, h, mi, s, us) => {
            let sign = if negative { "-" } else { "" };
            let hours = u32::from(h) + days * 24;
            if us == 0 {
                Some(format!("{sign}{hours:02}:{mi:02}:{s:02}"))
            } else {
                Some(format!("{sign}{hours:02}:{mi:02}:{s:02}.{us:06}"))
            }
        }
        M::Int(v) => Some(v.to_string()),
        M::UInt(v) => Some(v.to_string()),
        M::Float(v) => Some(v.to_string()),
        M::Double(v) => Some(v.to_string()),
        M::NULL => None,
    }
}

fn convert<T: mysql_async::prelude::FromValue>(value: mysql_async::Value, column: &str) -> Result<T, Error> {
    mysql_async::from_value_opt::<T>(value).map_err(|e| Error::ValueConversionFailed(format!("column `{column}`: {e}")))
}

fn from_mysql(value: mysql_async::Value, column: &mysql_async::Column) -> Result<Value, Error> {
    if value == mysql_async::Value::NULL {
        return Ok(Value::Null);
    }
    let name = column.name_str();
    Ok(match data_type(column) {
        DataType::Boolean => Value::Boolean(convert(value, &name)?),
        DataType::Int8 => Value::Int8(convert(value, &name)?),
        DataType::Int16 => Value::Int16(convert(value, &name)?),
        DataType::Int32 => Value::Int32(convert(value, &name)?),
        DataType::Int64 => Value::Int64(convert(value, &name)?),
        DataType::Uint8 => Value::Uint8(convert(value, &name)?),
        DataType::Uint16 => Value::Uint16(convert(value, &name)?),
        DataType::Uint32 => Value::Uint32(convert(value, &name)?),
        DataType::Uint64 => Value::Uint64(convert(value, &name)?),
        DataType::Floating32 => Value::Floating32(convert(value, &name)?),
        DataType::Floating64 => Value::Floating64(convert(value, &name)?),
        DataType::Str => Value::Str(convert(value, &name)?),
        DataType::Binary => Value::Binary(convert(value, &name)?),
        DataType::Other => match column.column_type() {
            ColumnType::MYSQL_TYPE_GEOMETRY => Value::Unsupported,
            _ => as_text(value).map_or(Value::Unsupported, Value::Str),
        },
    })
}

fn query_error(err: mysql_async::Error) -> Error {
    match err {
        mysql_async::Error::Io(e) => Error::ConnectionFailed(e.to_string()),
        mysql_async::Error::Driver(
            e @ (mysql_async::DriverError::StmtParamsMismatch { .. }
            | mysql_async::DriverError::MixedParams
            | mysql_async::DriverError::NamedParamsForPositionalQuery
            | mysql_async::DriverError::MissingNamedParam { .. }),
        ) => Error::BadParameter(e.to_string()),
        mysql_async::Error::Driver(e) => Error::Other(e.to_string()),
        other => Error::QueryFailed(other.to_string()),
    }
}

#[async_trait]
impl Connection for MysqlConnection {
    async fn query(&self, statement: &str, params: Vec<Value>) -> Result<RowSet, Error> {
        let params = self::params(params)?;
        let (statement, pool, id, limit) = (statement.to_string(), self.pool.clone(), self.id, self.max_result_bytes);
        self.run(move |mut conn| async move { query_rows(&mut conn, &statement, params, &pool, id, limit).await }).await
    }

    async fn execute(&self, statement: &str, params: Vec<Value>) -> Result<(), Error> {
        let params = self::params(params)?;
        let statement = statement.to_string();
        self.run(move |mut conn| async move {
            match params {
                // The text protocol runs statements MySQL cannot prepare too.
                Params::Empty => conn.query_drop(statement).await,
                params => conn.exec_drop(statement, params).await,
            }
            .map_err(query_error)
        })
        .await
    }
}

impl MysqlConnection {
    /// Runs `work` on the connection in a task of its own. `mysql_async`
    /// leaves a connection unreadable when a read is dropped halfway, so
    /// the statement is never dropped with its caller: a caller that stops
    /// waiting only kills it on the server (the task then ends at once and
    /// the connection, and its session, stay usable).
    async fn run<T, F, Fut>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(tokio::sync::OwnedMutexGuard<Conn>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, Error>> + Send + 'static,
    {
        // A kill still on its way must land before the next statement runs,
        // and the connection is taken here, not in the task: a kill sent
        // from now on can only reach this statement, never one an earlier,
        // abandoned task is still finishing.
        self.pending_kill.settle().await;
        let conn = self.conn.clone().lock_owned().await;
        let task = tokio::spawn(work(conn));
        // Dropped before `finish` (the caller stopped waiting), it kills the
        // statement on the server.
        let in_flight = cancel::InFlight::new(&self.pool, self.id, &self.pending_kill);
        let result = task.await.unwrap_or_else(|err| Err(Error::Other(format!("the statement's task failed: {err}"))));
        in_flight.finish();
        result
    }
}

async fn query_rows(
    conn: &mut Conn,
    statement: &str,
    params: Params,
    pool: &Pool,
    id: u32,
    max_result_bytes: usize,
) -> Result<RowSet, Error> {
    let mut result = conn.exec_iter(statement, params).await.map_err(query_error)?;
    let columns_meta = result.columns().map(|c| c.to_vec()).unwrap_or_default();
    let columns =
        columns_meta.iter().map(|c| Column { name: c.name_str().into_owned(), data_type: data_type(c) }).collect();
    // Rows are read one at a time so the total can be checked before the
    // next one is buffered.
    let mut rows = Vec::new();
    let mut budget = ResultBudget::new(max_result_bytes);
    let mut failure = None;
    while let Some(row) = result.next().await.map_err(query_error)? {
        let values = row
            .unwrap()
            .into_iter()
            .zip(columns_meta.iter())
            .map(|(value, column)| from_mysql(value, column))
            .collect::<Result<Vec<_>, _>>();
        let values = match values {
            Ok(values) => values,
            Err(err) => {
                failure = Some(err);
                break;
            }
        };
        if let Err(err) = budget.charge("mysql", &values) {
            failure = Some(Error::QueryFailed(err.to_string()));
            break;
        }
        rows.push(values);
    }
    if let Some(err) = failure {
        // Stop the server producing rows nobody will read (awaited, so
        // the guest's next statement cannot be the one killed), then read
        // the rest of the result (without keeping it) so the
        // connection is ready for the guest's next statement, in the same
        // session and transaction.
        cancel::kill_query(pool.clone(), id).await;
        if let Err(drain) = result.drop_result().await {
            tracing::debug!(error = %drain, "MySQL: reading the rest of an abandoned result failed");
        }
        return Err(err);
    }
    Ok(RowSet { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the local server (`root@127.0.0.1:3306/test`); skips without
    /// it, except under `CI=true`.
    const ADDRESS: &str = "mysql://root@127.0.0.1:3306/test";

    fn available() -> bool {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 3306));
        let up = std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2)).is_ok();
        if !up {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "MySQL is required in CI");
            eprintln!("SKIPPED: MySQL is not reachable on 127.0.0.1:3306");
        }
        up
    }

    /// 50 rows of 100,000 bytes each.
    const BIG: &str = "SELECT REPEAT('x', 100000) AS v FROM \
        (SELECT 1 FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) a, \
        (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 \
        UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10) b) t";

    #[test]
    fn sizes_count_payloads() {
        assert_eq!(Value::Str("abc".into()).host_size(), 3);
        assert_eq!(Value::Binary(vec![0; 10]).host_size(), 10);
        assert_eq!(Value::Uint64(1).host_size(), 8);
        assert_eq!(Value::Null.host_size(), 0);
    }

    #[tokio::test]
    async fn a_result_past_the_cap_fails_and_the_session_stays_usable() {
        if !available() {
            return;
        }
        let pools = Pools::new();
        let conn = pools.open(ADDRESS).await.unwrap().with_max_result_bytes(1 << 20);
        // A session variable shows the same session (and the same
        // transaction) carries on after the abandoned result.
        conn.execute("SET @kiln_marker = 42", vec![]).await.unwrap();
        for params in [vec![], vec![Value::Int32(1)]] {
            // Without and with a parameter (mysql_async prepares both): each
            // abandoned result must be drained.
            let statement = if params.is_empty() { BIG.to_string() } else { format!("{BIG} WHERE ? = 1") };
            let big = conn.query(&statement, params).await;
            let Err(Error::QueryFailed(message)) = big else { panic!("expected the cap: {big:?}") };
            assert!(message.contains("1048576-byte limit"), "{message}");
            let small = conn.query("SELECT CAST(@kiln_marker AS SIGNED) AS m", vec![]).await.unwrap();
            assert_eq!(small.rows, vec![vec![Value::Int64(42)]]);
        }
    }

    #[tokio::test]
    async fn a_result_under_the_cap_is_whole() {
        if !available() {
            return;
        }
        let pools = Pools::new();
        let conn = pools.open(ADDRESS).await.unwrap().with_max_result_bytes(6 << 20);
        let rows = conn.query(BIG, vec![]).await.unwrap();
        assert_eq!(rows.rows.len(), 50);
    }

    /// How many statements containing `marker` the server is running, once
    /// that reaches 0 or after ten seconds (the statements these tests
    /// abandon would run for a minute).
    async fn running(observer: &MysqlConnection, marker: &str) -> i64 {
        let mut left = -1;
        for _ in 0..100 {
            // The marker travels as a parameter, so this statement's own
            // text does not match.
            let rows = observer
                .query(
                    "SELECT CAST(COUNT(*) AS SIGNED) FROM information_schema.PROCESSLIST \
                     WHERE COMMAND <> 'Sleep' AND INFO LIKE ?",
                    vec![Value::Str(format!("%{marker}%"))],
                )
                .await
                .unwrap();
            left = match rows.rows[0][0] {
                Value::Int64(n) => n,
                ref other => panic!("COUNT(*) gave {other:?}"),
            };
            if left == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        left
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_statement_nobody_waits_for_is_killed_on_the_server() {
        if !available() {
            return;
        }
        let pools = Pools::new();
        let observer = pools.open(ADDRESS).await.unwrap();
        for (round, execute) in [(0, false), (1, true)] {
            let marker = format!("kiln_kill_{}_{round}", std::process::id());
            let conn = pools.open(ADDRESS).await.unwrap();
            conn.execute("SET @kiln_marker = 7", vec![]).await.unwrap();
            let sql = format!("SELECT SLEEP(60) AS {marker}");
            // The request's deadline passes: the future is dropped.
            let wait = std::time::Duration::from_millis(300);
            let abandoned = if execute {
                tokio::time::timeout(wait, conn.execute(&sql, vec![])).await.map(drop)
            } else {
                tokio::time::timeout(wait, conn.query(&sql, vec![])).await.map(drop)
            };
            assert!(abandoned.is_err(), "SLEEP(60) ended within 300 ms?");
            assert_eq!(running(&observer, &marker).await, 0, "the abandoned statement still runs on the server");
            // The session goes on (a Preview 3 guest may keep using it), and
            // the kill did not catch its next statement.
            let next = conn.query("SELECT CAST(@kiln_marker AS SIGNED)", vec![]).await.unwrap();
            assert_eq!(next.rows, vec![vec![Value::Int64(7)]]);
        }
    }

    #[tokio::test]
    async fn a_result_past_the_cap_is_killed_on_the_server() {
        if !available() {
            return;
        }
        let pools = Pools::new();
        let observer = pools.open(ADDRESS).await.unwrap();
        let conn = pools.open(ADDRESS).await.unwrap().with_max_result_bytes(64 << 10);
        let marker = format!("kiln_cap_{}", std::process::id());
        // Rows come at once, then the server sleeps on the last one: killed,
        // the statement does not sit that out (nor does draining it).
        let sql = format!(
            "SELECT seq AS {marker}, IF(seq = 100000, SLEEP(60), REPEAT('x', 100)) AS v FROM seq_1_to_100000"
        );
        let started = std::time::Instant::now();
        let capped = conn.query(&sql, vec![]).await;
        assert!(matches!(capped, Err(Error::QueryFailed(_))), "{capped:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(50), "the capped result was drained to its end");
        assert_eq!(running(&observer, &marker).await, 0, "the capped statement still runs on the server");
        let next = conn.query("SELECT 3", vec![]).await.unwrap();
        assert_eq!(next.rows.len(), 1);
    }
}
