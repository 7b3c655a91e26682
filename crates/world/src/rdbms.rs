//! Outbound relational databases: PostgreSQL (Spin 1 `fermyon:spin/postgres`,
//! `fermyon:spin/postgres@2.0.0`, `spin:postgres/postgres@3.0.0` and
//! `@4.0.0`; Preview 3's `@4.2.0` is in [`crate::postgres_p3`], over the
//! same pool, checks and conversions) over [`kiln_outbound_pg`], and MySQL (Spin 1
//! `fermyon:spin/mysql` and `fermyon:spin/mysql@2.0.0`) over
//! [`kiln_outbound_mysql`].
//!
//! One world holds them all so each version's `rdbms-types`, which its
//! PostgreSQL and MySQL interfaces share, is linked once. Before connecting, every host and port an
//! address names must be granted by the component's
//! `allowed_outbound_hosts` (`postgres://host:port`, `mysql://host:port`);
//! otherwise the guest gets its interface's `connection-failed` error.
//! Connections are pooled per address for the whole process, and each
//! guest connection is its own until the guest drops it. Addresses carry
//! credentials, so they are never logged nor echoed in errors.

use std::sync::{Arc, LazyLock};

use kiln_outbound_mysql as mysql;
use kiln_outbound_networking::OutboundPolicy;
use kiln_outbound_pg as pg;
use wasmtime::component::{HasSelf, Linker, Resource};

use crate::HostState;

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/rdbms",
        imports: { default: async | trappable },
        with: {
            "fermyon:spin/postgres.connection": super::PgConnectionHandle,
            "spin:postgres/postgres.connection": super::PgConnectionHandle,
            "fermyon:spin/mysql.connection": super::MysqlConnectionHandle,
        },
    });
}

use bindings::fermyon::spin::mysql as mysql_v1;
use bindings::fermyon::spin::postgres as pg_v1;
use bindings::fermyon::spin::rdbms_types as v1;
use bindings::fermyon::spin2_0_0::mysql as mysql_v2;
use bindings::fermyon::spin2_0_0::postgres as pg_v2;
use bindings::fermyon::spin2_0_0::rdbms_types as v2;
use bindings::spin::postgres3_0_0::postgres as v3;
use bindings::spin::postgres4_0_0::postgres as v4;

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &[
    "fermyon:spin/rdbms-types",
    "fermyon:spin/postgres",
    "fermyon:spin/mysql",
    "fermyon:spin/rdbms-types@2.0.0",
    "fermyon:spin/postgres@2.0.0",
    "fermyon:spin/mysql@2.0.0",
    "spin:postgres/postgres@3.0.0",
    "spin:postgres/postgres@4.0.0",
];

/// Idle PostgreSQL connections, by address, for the whole process.
static PG_POOL: LazyLock<pg::Pool> = LazyLock::new(pg::Pool::new);
/// MySQL pools, by address, for the whole process.
static MYSQL_POOLS: LazyLock<mysql::Pools> = LazyLock::new(mysql::Pools::new);

/// A PostgreSQL connection as a guest holds it (every interface version).
pub struct PgConnectionHandle(pub(crate) Arc<dyn pg::Connection>);

/// A MySQL connection as a guest holds it.
pub struct MysqlConnectionHandle(pub(crate) Arc<dyn mysql::Connection>);

/// Whether `state`'s component may reach the MySQL server at `address`
/// (shared with [`crate::mysql_p3`]); a refusal is `connection-failed`.
pub(crate) async fn mysql_allowed(policy: &OutboundPolicy, address: &str) -> Result<(), mysql::Error> {
    let (host, port) = mysql::endpoint(address)?;
    if !policy.allows_connect("mysql", &host, port).await {
        return Err(mysql::Error::ConnectionFailed(not_allowed("mysql", &host, port)));
    }
    Ok(())
}

/// Whether `state`'s component may reach every PostgreSQL host and port
/// `address` names (shared with [`crate::postgres_p3`]); a refusal is
/// `connection-failed`.
pub(crate) async fn pg_allowed(policy: &OutboundPolicy, address: &str) -> Result<(), pg::Error> {
    for (host, port) in pg::endpoints(address)? {
        if !policy.allows_connect("postgres", &host, port).await {
            return Err(pg::Error::ConnectionFailed(not_allowed("postgres", &host, port)));
        }
    }
    Ok(())
}

/// A PostgreSQL connection from the process-wide pool for `address`,
/// trusting `ca_root` for TLS (no permission check), whose results may hold
/// at most `max_result_bytes`.
pub(crate) async fn pg_pooled(
    address: &str,
    ca_root: Option<&str>,
    max_result_bytes: usize,
) -> Result<Arc<dyn pg::Connection>, pg::Error> {
    let connection = PG_POOL.open_with_ca_root(address, ca_root).await?;
    Ok(Arc::new(connection.with_max_result_bytes(max_result_bytes)))
}

/// A connection from the process-wide pool for `address` (no permission
/// check), whose results may hold at most `max_result_bytes`.
pub(crate) async fn mysql_pooled(
    address: &str,
    max_result_bytes: usize,
) -> Result<Arc<dyn mysql::Connection>, mysql::Error> {
    Ok(Arc::new(MYSQL_POOLS.open(address).await?.with_max_result_bytes(max_result_bytes)))
}

/// Adds every PostgreSQL and MySQL interface to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::Rdbms::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

type Trappable<T> = wasmtime::Result<T>;

fn not_allowed(scheme: &str, host: &str, port: u16) -> String {
    format!("{scheme}://{host}:{port} is not allowed by the component's allowed_outbound_hosts, or is in block_networks")
}

impl HostState {
    pub(crate) async fn open_pg(&mut self, address: &str) -> Result<Resource<PgConnectionHandle>, pg::Error> {
        self.open_pg_with_ca_root(address, None).await
    }

    /// Opens a connection for the guest after the permission check,
    /// trusting `ca_root` (PEM) for TLS when given.
    pub(crate) async fn open_pg_with_ca_root(
        &mut self,
        address: &str,
        ca_root: Option<&str>,
    ) -> Result<Resource<PgConnectionHandle>, pg::Error> {
        pg_allowed(&self.caps.outbound, address).await?;
        let connection = pg_pooled(address, ca_root, self.caps.max_result_bytes).await?;
        self.table.push(PgConnectionHandle(connection)).map_err(|e| pg::Error::Other(e.to_string()))
    }

    pub(crate) fn pg(&self, handle: &Resource<PgConnectionHandle>) -> wasmtime::Result<Arc<dyn pg::Connection>> {
        Ok(self.table.get(handle)?.0.clone())
    }

    async fn open_mysql(&mut self, address: &str) -> Result<Resource<MysqlConnectionHandle>, mysql::Error> {
        mysql_allowed(&self.caps.outbound, address).await?;
        let connection = mysql_pooled(address, self.caps.max_result_bytes).await?;
        self.table.push(MysqlConnectionHandle(connection)).map_err(|e| mysql::Error::Other(e.to_string()))
    }

    fn mysql(&self, handle: &Resource<MysqlConnectionHandle>) -> wasmtime::Result<Arc<dyn mysql::Connection>> {
        Ok(self.table.get(handle)?.0.clone())
    }
}

fn collect<T, U>(values: Vec<T>, f: impl Fn(T) -> Result<U, String>) -> Result<Vec<U>, String> {
    values.into_iter().map(f).collect()
}

// ---- fermyon:spin/rdbms-types@2.0.0 ----------------------------------------

impl v2::Host for HostState {}

fn unsigned_for_pg() -> String {
    "PostgreSQL has no unsigned integer types".to_string()
}

fn pg_param_v2(value: v2::ParameterValue) -> Result<pg::Value, String> {
    use v2::ParameterValue as P;
    Ok(match value {
        P::Boolean(v) => pg::Value::Boolean(v),
        P::Int8(v) => pg::Value::Int8(v),
        P::Int16(v) => pg::Value::Int16(v),
        P::Int32(v) => pg::Value::Int32(v),
        P::Int64(v) => pg::Value::Int64(v),
        P::Uint8(_) | P::Uint16(_) | P::Uint32(_) | P::Uint64(_) => return Err(unsigned_for_pg()),
        P::Floating32(v) => pg::Value::Floating32(v),
        P::Floating64(v) => pg::Value::Floating64(v),
        P::Str(v) => pg::Value::Str(v),
        P::Binary(v) => pg::Value::Binary(v),
        P::DbNull => pg::Value::Null,
    })
}

fn pg_value_v2(value: pg::Value) -> v2::DbValue {
    use v2::DbValue as D;
    match value {
        pg::Value::Boolean(v) => D::Boolean(v),
        pg::Value::Int8(v) => D::Int8(v),
        pg::Value::Int16(v) => D::Int16(v),
        pg::Value::Int32(v) => D::Int32(v),
        pg::Value::Int64(v) => D::Int64(v),
        pg::Value::Floating32(v) => D::Floating32(v),
        pg::Value::Floating64(v) => D::Floating64(v),
        pg::Value::Str(v) => D::Str(v),
        pg::Value::Binary(v) => D::Binary(v),
        pg::Value::Null => D::DbNull,
        _ => D::Unsupported,
    }
}

fn pg_type_v2(ty: pg::DataType) -> v2::DbDataType {
    use v2::DbDataType as T;
    match ty {
        pg::DataType::Boolean => T::Boolean,
        pg::DataType::Int8 => T::Int8,
        pg::DataType::Int16 => T::Int16,
        pg::DataType::Int32 => T::Int32,
        pg::DataType::Int64 => T::Int64,
        pg::DataType::Floating32 => T::Floating32,
        pg::DataType::Floating64 => T::Floating64,
        pg::DataType::Str => T::Str,
        pg::DataType::Binary => T::Binary,
        _ => T::Other,
    }
}

fn pg_rows_v2(rows: pg::RowSet) -> v2::RowSet {
    v2::RowSet {
        columns: rows
            .columns
            .into_iter()
            .map(|c| v2::Column { name: c.name, data_type: pg_type_v2(c.data_type) })
            .collect(),
        rows: rows.rows.into_iter().map(|row| row.into_iter().map(pg_value_v2).collect()).collect(),
    }
}

impl From<pg::Error> for v2::Error {
    fn from(err: pg::Error) -> Self {
        match err {
            pg::Error::ConnectionFailed(m) => v2::Error::ConnectionFailed(m),
            pg::Error::BadParameter(m) => v2::Error::BadParameter(m),
            pg::Error::QueryFailed(q) => v2::Error::QueryFailed(q.to_string()),
            pg::Error::ValueConversionFailed(m) => v2::Error::ValueConversionFailed(m),
            pg::Error::Other(m) => v2::Error::Other(m),
        }
    }
}

impl From<mysql::Error> for v2::Error {
    fn from(err: mysql::Error) -> Self {
        match err {
            mysql::Error::ConnectionFailed(m) => v2::Error::ConnectionFailed(m),
            mysql::Error::BadParameter(m) => v2::Error::BadParameter(m),
            mysql::Error::QueryFailed(m) => v2::Error::QueryFailed(m),
            mysql::Error::ValueConversionFailed(m) => v2::Error::ValueConversionFailed(m),
            mysql::Error::Other(m) => v2::Error::Other(m),
        }
    }
}

// ---- fermyon:spin/postgres@2.0.0 -------------------------------------------

impl pg_v2::Host for HostState {}

impl pg_v2::HostConnection for HostState {
    async fn open(&mut self, address: String) -> Trappable<Result<Resource<PgConnectionHandle>, v2::Error>> {
        Ok(self.open_pg(&address).await.map_err(Into::into))
    }

    async fn query(
        &mut self,
        this: Resource<PgConnectionHandle>,
        statement: String,
        params: Vec<v2::ParameterValue>,
    ) -> Trappable<Result<v2::RowSet, v2::Error>> {
        let connection = self.pg(&this)?;
        let params = match collect(params, pg_param_v2) {
            Ok(params) => params,
            Err(message) => return Ok(Err(v2::Error::BadParameter(message))),
        };
        Ok(connection.query(&statement, params).await.map(pg_rows_v2).map_err(Into::into))
    }

    async fn execute(
        &mut self,
        this: Resource<PgConnectionHandle>,
        statement: String,
        params: Vec<v2::ParameterValue>,
    ) -> Trappable<Result<u64, v2::Error>> {
        let connection = self.pg(&this)?;
        let params = match collect(params, pg_param_v2) {
            Ok(params) => params,
            Err(message) => return Ok(Err(v2::Error::BadParameter(message))),
        };
        Ok(connection.execute(&statement, params).await.map_err(Into::into))
    }

    async fn drop(&mut self, this: Resource<PgConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

// ---- fermyon:spin/mysql@2.0.0 ----------------------------------------------

fn mysql_param(value: v2::ParameterValue) -> mysql::Value {
    use v2::ParameterValue as P;
    match value {
        P::Boolean(v) => mysql::Value::Boolean(v),
        P::Int8(v) => mysql::Value::Int8(v),
        P::Int16(v) => mysql::Value::Int16(v),
        P::Int32(v) => mysql::Value::Int32(v),
        P::Int64(v) => mysql::Value::Int64(v),
        P::Uint8(v) => mysql::Value::Uint8(v),
        P::Uint16(v) => mysql::Value::Uint16(v),
        P::Uint32(v) => mysql::Value::Uint32(v),
        P::Uint64(v) => mysql::Value::Uint64(v),
        P::Floating32(v) => mysql::Value::Floating32(v),
        P::Floating64(v) => mysql::Value::Floating64(v),
        P::Str(v) => mysql::Value::Str(v),
        P::Binary(v) => mysql::Value::Binary(v),
        P::DbNull => mysql::Value::Null,
    }
}

fn mysql_value(value: mysql::Value) -> v2::DbValue {
    use v2::DbValue as D;
    match value {
        mysql::Value::Boolean(v) => D::Boolean(v),
        mysql::Value::Int8(v) => D::Int8(v),
        mysql::Value::Int16(v) => D::Int16(v),
        mysql::Value::Int32(v) => D::Int32(v),
        mysql::Value::Int64(v) => D::Int64(v),
        mysql::Value::Uint8(v) => D::Uint8(v),
        mysql::Value::Uint16(v) => D::Uint16(v),
        mysql::Value::Uint32(v) => D::Uint32(v),
        mysql::Value::Uint64(v) => D::Uint64(v),
        mysql::Value::Floating32(v) => D::Floating32(v),
        mysql::Value::Floating64(v) => D::Floating64(v),
        mysql::Value::Str(v) => D::Str(v),
        mysql::Value::Binary(v) => D::Binary(v),
        mysql::Value::Null => D::DbNull,
        mysql::Value::Unsupported => D::Unsupported,
    }
}

fn mysql_type(ty: mysql::DataType) -> v2::DbDataType {
    use v2::DbDataType as T;
    match ty {
        mysql::DataType::Boolean => T::Boolean,
        mysql::DataType::Int8 => T::Int8,
        mysql::DataType::Int16 => T::Int16,
        mysql::DataType::Int32 => T::Int32,
        mysql::DataType::Int64 => T::Int64,
        mysql::DataType::Uint8 => T::Uint8,
        mysql::DataType::Uint16 => T::Uint16,
        mysql::DataType::Uint32 => T::Uint32,
        mysql::DataType::Uint64 => T::Uint64,
        mysql::DataType::Floating32 => T::Floating32,
        mysql::DataType::Floating64 => T::Floating64,
        mysql::DataType::Str => T::Str,
        mysql::DataType::Binary => T::Binary,
        mysql::DataType::Other => T::Other,
    }
}

impl mysql_v2::Host for HostState {}

impl mysql_v2::HostConnection for HostState {
    async fn open(&mut self, address: String) -> Trappable<Result<Resource<MysqlConnectionHandle>, v2::Error>> {
        Ok(self.open_mysql(&address).await.map_err(Into::into))
    }

    async fn query(
        &mut self,
        this: Resource<MysqlConnectionHandle>,
        statement: String,
        params: Vec<v2::ParameterValue>,
    ) -> Trappable<Result<v2::RowSet, v2::Error>> {
        let connection = self.mysql(&this)?;
        let params = params.into_iter().map(mysql_param).collect();
        let result = connection.query(&statement, params).await;
        Ok(result
            .map(|rows| v2::RowSet {
                columns: rows
                    .columns
                    .into_iter()
                    .map(|c| v2::Column { name: c.name, data_type: mysql_type(c.data_type) })
                    .collect(),
                rows: rows.rows.into_iter().map(|row| row.into_iter().map(mysql_value).collect()).collect(),
            })
            .map_err(Into::into))
    }

    async fn execute(
        &mut self,
        this: Resource<MysqlConnectionHandle>,
        statement: String,
        params: Vec<v2::ParameterValue>,
    ) -> Trappable<Result<(), v2::Error>> {
        let connection = self.mysql(&this)?;
        let params = params.into_iter().map(mysql_param).collect();
        Ok(connection.execute(&statement, params).await.map_err(Into::into))
    }

    async fn drop(&mut self, this: Resource<MysqlConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

// ---- fermyon:spin/postgres and mysql (Spin 1) -----------------------------
//
// Every call names its address: a pooled connection is taken for the call
// and returned after it.

impl v1::Host for HostState {}

fn pg_param_v1(value: v1::ParameterValue) -> Result<pg::Value, String> {
    use v1::ParameterValue as P;
    Ok(match value {
        P::Boolean(v) => pg::Value::Boolean(v),
        P::Int8(v) => pg::Value::Int8(v),
        P::Int16(v) => pg::Value::Int16(v),
        P::Int32(v) => pg::Value::Int32(v),
        P::Int64(v) => pg::Value::Int64(v),
        P::Uint8(_) | P::Uint16(_) | P::Uint32(_) | P::Uint64(_) => return Err(unsigned_for_pg()),
        P::Floating32(v) => pg::Value::Floating32(v),
        P::Floating64(v) => pg::Value::Floating64(v),
        P::Str(v) => pg::Value::Str(v),
        P::Binary(v) => pg::Value::Binary(v),
        P::DbNull => pg::Value::Null,
    })
}

fn pg_value_v1(value: pg::Value) -> v1::DbValue {
    use v1::DbValue as D;
    match value {
        pg::Value::Boolean(v) => D::Boolean(v),
        pg::Value::Int8(v) => D::Int8(v),
        pg::Value::Int16(v) => D::Int16(v),
        pg::Value::Int32(v) => D::Int32(v),
        pg::Value::Int64(v) => D::Int64(v),
        pg::Value::Floating32(v) => D::Floating32(v),
        pg::Value::Floating64(v) => D::Floating64(v),
        pg::Value::Str(v) => D::Str(v),
        pg::Value::Binary(v) => D::Binary(v),
        pg::Value::Null => D::DbNull,
        _ => D::Unsupported,
    }
}

fn pg_type_v1(ty: pg::DataType) -> v1::DbDataType {
    use v1::DbDataType as T;
    match ty {
        pg::DataType::Boolean => T::Boolean,
        pg::DataType::Int8 => T::Int8,
        pg::DataType::Int16 => T::Int16,
        pg::DataType::Int32 => T::Int32,
        pg::DataType::Int64 => T::Int64,
        pg::DataType::Floating32 => T::Floating32,
        pg::DataType::Floating64 => T::Floating64,
        pg::DataType::Str => T::Str,
        pg::DataType::Binary => T::Binary,
        _ => T::Other,
    }
}

fn pg_rows_v1(rows: pg::RowSet) -> v1::RowSet {
    v1::RowSet {
        columns: rows
            .columns
            .into_iter()
            .map(|c| v1::Column { name: c.name, data_type: pg_type_v1(c.data_type) })
            .collect(),
        rows: rows.rows.into_iter().map(|row| row.into_iter().map(pg_value_v1).collect()).collect(),
    }
}

fn mysql_param_v1(value: v1::ParameterValue) -> mysql::Value {
    use v1::ParameterValue as P;
    match value {
        P::Boolean(v) => mysql::Value::Boolean(v),
        P::Int8(v) => mysql::Value::Int8(v),
        P::Int16(v) => mysql::Value::Int16(v),
        P::Int32(v) => mysql::Value::Int32(v),
        P::Int64(v) => mysql::Value::Int64(v),
        P::Uint8(v) => mysql::Value::Uint8(v),
        P::Uint16(v) => mysql::Value::Uint16(v),
        P::Uint32(v) => mysql::Value::Uint32(v),
        P::Uint64(v) => mysql::Value::Uint64(v),
        P::Floating32(v) => mysql::Value::Floating32(v),
        P::Floating64(v) => mysql::Value::Floating64(v),
        P::Str(v) => mysql::Value::Str(v),
        P::Binary(v) => mysql::Value::Binary(v),
        P::DbNull => mysql::Value::Null,
    }
}

fn mysql_value_v1(value: mysql::Value) -> v1::DbValue {
    use v1::DbValue as D;
    match value {
        mysql::Value::Boolean(v) => D::Boolean(v),
        mysql::Value::Int8(v) => D::Int8(v),
        mysql::Value::Int16(v) => D::Int16(v),
        mysql::Value::Int32(v) => D::Int32(v),
        mysql::Value::Int64(v) => D::Int64(v),
        mysql::Value::Uint8(v) => D::Uint8(v),
        mysql::Value::Uint16(v) => D::Uint16(v),
        mysql::Value::Uint32(v) => D::Uint32(v),
        mysql::Value::Uint64(v) => D::Uint64(v),
        mysql::Value::Floating32(v) => D::Floating32(v),
        mysql::Value::Floating64(v) => D::Floating64(v),
        mysql::Value::Str(v) => D::Str(v),
        mysql::Value::Binary(v) => D::Binary(v),
        mysql::Value::Null => D::DbNull,
        mysql::Value::Unsupported => D::Unsupported,
    }
}

fn mysql_type_v1(ty: mysql::DataType) -> v1::DbDataType {
    use v1::DbDataType as T;
    match ty {
        mysql::DataType::Boolean => T::Boolean,
        mysql::DataType::Int8 => T::Int8,
        mysql::DataType::Int16 => T::Int16,
        mysql::DataType::Int32 => T::Int32,
        mysql::DataType::Int64 => T::Int64,
        mysql::DataType::Uint8 => T::Uint8,
        mysql::DataType::Uint16 => T::Uint16,
        mysql::DataType::Uint32 => T::Uint32,
        mysql::DataType::Uint64 => T::Uint64,
        mysql::DataType::Floating32 => T::Floating32,
        mysql::DataType::Floating64 => T::Floating64,
        mysql::DataType::Str => T::Str,
        mysql::DataType::Binary => T::Binary,
        mysql::DataType::Other => T::Other,
    }
}

fn pg_error_v1(err: pg::Error) -> pg_v1::PgError {
    match err {
        pg::Error::ConnectionFailed(m) => pg_v1::PgError::ConnectionFailed(m),
        pg::Error::BadParameter(m) => pg_v1::PgError::BadParameter(m),
        pg::Error::QueryFailed(q) => pg_v1::PgError::QueryFailed(q.to_string()),
        pg::Error::ValueConversionFailed(m) => pg_v1::PgError::ValueConversionFailed(m),
        pg::Error::Other(m) => pg_v1::PgError::OtherError(m),
    }
}

fn mysql_error_v1(err: mysql::Error) -> mysql_v1::MysqlError {
    match err {
        mysql::Error::ConnectionFailed(m) => mysql_v1::MysqlError::ConnectionFailed(m),
        mysql::Error::BadParameter(m) => mysql_v1::MysqlError::BadParameter(m),
        mysql::Error::QueryFailed(m) => mysql_v1::MysqlError::QueryFailed(m),
        mysql::Error::ValueConversionFailed(m) => mysql_v1::MysqlError::ValueConversionFailed(m),
        mysql::Error::Other(m) => mysql_v1::MysqlError::OtherError(m),
    }
}

impl HostState {
    /// A connection for one Spin 1 call: opened (permission checked) and
    /// closed again around it.
    async fn pg_for_call(&mut self, address: &str) -> Trappable<Result<Arc<dyn pg::Connection>, pg::Error>> {
        let handle = match self.open_pg(address).await {
            Ok(handle) => handle,
            Err(err) => return Ok(Err(err)),
        };
        Ok(Ok(self.table.delete(handle)?.0))
    }

    /// Like [`Self::pg_for_call`], for MySQL.
    async fn mysql_for_call(&mut self, address: &str) -> Trappable<Result<Arc<dyn mysql::Connection>, mysql::Error>> {
        let handle = match self.open_mysql(address).await {
            Ok(handle) => handle,
            Err(err) => return Ok(Err(err)),
        };
        Ok(Ok(self.table.delete(handle)?.0))
    }
}

impl pg_v1::Host for HostState {
    async fn query(
        &mut self,
        address: String,
        statement: String,
        params: Vec<v1::ParameterValue>,
    ) -> Trappable<Result<v1::RowSet, pg_v1::PgError>> {
        let params = match collect(params, pg_param_v1) {
            Ok(params) => params,
            Err(message) => return Ok(Err(pg_v1::PgError::BadParameter(message))),
        };
        let connection = match self.pg_for_call(&address).await? {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(pg_error_v1(err))),
        };
        Ok(connection.query(&statement, params).await.map(pg_rows_v1).map_err(pg_error_v1))
    }

    async fn execute(
        &mut self,
        address: String,
        statement: String,
        params: Vec<v1::ParameterValue>,
    ) -> Trappable<Result<u64, pg_v1::PgError>> {
        let params = match collect(params, pg_param_v1) {
            Ok(params) => params,
            Err(message) => return Ok(Err(pg_v1::PgError::BadParameter(message))),
        };
        let connection = match self.pg_for_call(&address).await? {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(pg_error_v1(err))),
        };
        Ok(connection.execute(&statement, params).await.map_err(pg_error_v1))
    }
}

impl mysql_v1::Host for HostState {
    async fn query(
        &mut self,
        address: String,
        statement: String,
        params: Vec<v1::ParameterValue>,
    ) -> Trappable<Result<v1::RowSet, mysql_v1::MysqlError>> {
        let connection = match self.mysql_for_call(&address).await? {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(mysql_error_v1(err))),
        };
        let params = params.into_iter().map(mysql_param_v1).collect();
        Ok(connection
            .query(&statement, params)
            .await
            .map(|rows| v1::RowSet {
                columns: rows
                    .columns
                    .into_iter()
                    .map(|c| v1::Column { name: c.name, data_type: mysql_type_v1(c.data_type) })
                    .collect(),
                rows: rows.rows.into_iter().map(|row| row.into_iter().map(mysql_value_v1).collect()).collect(),
            })
            .map_err(mysql_error_v1))
    }

    async fn execute(
        &mut self,
        address: String,
        statement: String,
        params: Vec<v1::ParameterValue>,
    ) -> Trappable<Result<(), mysql_v1::MysqlError>> {
        let connection = match self.mysql_for_call(&address).await? {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(mysql_error_v1(err))),
        };
        let params = params.into_iter().map(mysql_param_v1).collect();
        Ok(connection.execute(&statement, params).await.map_err(mysql_error_v1))
    }
}

// ---- spin:postgres/postgres@3.0.0 ------------------------------------------

fn pg_param_v3(value: v3::ParameterValue) -> Result<pg::Value, String> {
    use v3::ParameterValue as P;
    Ok(match value {
        P::Boolean(v) => pg::Value::Boolean(v),
        P::Int8(v) => pg::Value::Int8(v),
        P::Int16(v) => pg::Value::Int16(v),
        P::Int32(v) => pg::Value::Int32(v),
        P::Int64(v) => pg::Value::Int64(v),
        P::Floating32(v) => pg::Value::Floating32(v),
        P::Floating64(v) => pg::Value::Floating64(v),
        P::Str(v) => pg::Value::Str(v),
        P::Binary(v) => pg::Value::Binary(v),
        P::Date(v) => pg::Value::Date(v),
        P::Time(v) => pg::Value::Time(v),
        P::Datetime(v) => pg::Value::Datetime(v),
        P::Timestamp(v) => pg::Value::Timestamp(v),
        P::DbNull => pg::Value::Null,
    })
}

fn pg_value_v3(value: pg::Value) -> v3::DbValue {
    use v3::DbValue as D;
    match value {
        pg::Value::Boolean(v) => D::Boolean(v),
        pg::Value::Int8(v) => D::Int8(v),
        pg::Value::Int16(v) => D::Int16(v),
        pg::Value::Int32(v) => D::Int32(v),
        pg::Value::Int64(v) => D::Int64(v),
        pg::Value::Floating32(v) => D::Floating32(v),
        pg::Value::Floating64(v) => D::Floating64(v),
        pg::Value::Str(v) => D::Str(v),
        pg::Value::Binary(v) => D::Binary(v),
        pg::Value::Date(v) => D::Date(v),
        pg::Value::Time(v) => D::Time(v),
        pg::Value::Datetime(v) => D::Datetime(v),
        pg::Value::Timestamp(v) => D::Timestamp(v),
        pg::Value::Null => D::DbNull,
        _ => D::Unsupported,
    }
}

fn pg_type_v3(ty: pg::DataType) -> v3::DbDataType {
    use v3::DbDataType as T;
    match ty {
        pg::DataType::Boolean => T::Boolean,
        pg::DataType::Int8 => T::Int8,
        pg::DataType::Int16 => T::Int16,
        pg::DataType::Int32 => T::Int32,
        pg::DataType::Int64 => T::Int64,
        pg::DataType::Floating32 => T::Floating32,
        pg::DataType::Floating64 => T::Floating64,
        pg::DataType::Str => T::Str,
        pg::DataType::Binary => T::Binary,
        pg::DataType::Date => T::Date,
        pg::DataType::Time => T::Time,
        pg::DataType::Datetime => T::Datetime,
        pg::DataType::Timestamp => T::Timestamp,
        _ => T::Other,
    }
}

impl From<pg::Error> for v3::Error {
    fn from(err: pg::Error) -> Self {
        match err {
            pg::Error::ConnectionFailed(m) => v3::Error::ConnectionFailed(m),
            pg::Error::BadParameter(m) => v3::Error::BadParameter(m),
            pg::Error::QueryFailed(q) => v3::Error::QueryFailed(q.to_string()),
            pg::Error::ValueConversionFailed(m) => v3::Error::ValueConversionFailed(m),
            pg::Error::Other(m) => v3::Error::Other(m),
        }
    }
}

impl v3::Host for HostState {}

impl v3::HostConnection for HostState {
    async fn open(&mut self, address: String) -> Trappable<Result<Resource<PgConnectionHandle>, v3::Error>> {
        Ok(self.open_pg(&address).await.map_err(Into::into))
    }

    async fn query(
        &mut self,
        this: Resource<PgConnectionHandle>,
        statement: String,
        params: Vec<v3::ParameterValue>,
    ) -> Trappable<Result<v3::RowSet, v3::Error>> {
        let connection = self.pg(&this)?;
        let params = match collect(params, pg_param_v3) {
            Ok(params) => params,
            Err(message) => return Ok(Err(v3::Error::BadParameter(message))),
        };
        Ok(connection
            .query(&statement, params)
            .await
            .map(|rows| v3::RowSet {
                columns: rows
                    .columns
                    .into_iter()
                    .map(|c| v3::Column { name: c.name, data_type: pg_type_v3(c.data_type) })
                    .collect(),
                rows: rows.rows.into_iter().map(|row| row.into_iter().map(pg_value_v3).collect()).collect(),
            })
            .map_err(Into::into))
    }

    async fn execute(
        &mut self,
        this: Resource<PgConnectionHandle>,
        statement: String,
        params: Vec<v3::ParameterValue>,
    ) -> Trappable<Result<u64, v3::Error>> {
        let connection = self.pg(&this)?;
        let params = match collect(params, pg_param_v3) {
            Ok(params) => params,
            Err(message) => return Ok(Err(v3::Error::BadParameter(message))),
        };
        Ok(connection.execute(&statement, params).await.map_err(Into::into))
    }

    async fn drop(&mut self, this: Resource<PgConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

// ---- spin:postgres/postgres@4.0.0 ------------------------------------------

/// Conversions between [`kiln_outbound_pg`]'s values and a
/// `spin:postgres/postgres@4.x` interface's types. 4.0.0 and 4.2.0 (Preview
/// 3, in [`crate::postgres_p3`]) declare the same types, but bindgen
/// generates each version's apart, so the code is stamped out per version.
macro_rules! pg_v4_conversions {
    ($($v4:ident)::+) => {
        use kiln_outbound_pg as pg;
        use $($v4)::+ as v4;

        fn bound_kind_from(kind: v4::RangeBoundKind) -> pg::BoundKind {
            match kind {
                v4::RangeBoundKind::Inclusive => pg::BoundKind::Inclusive,
                v4::RangeBoundKind::Exclusive => pg::BoundKind::Exclusive,
            }
        }

        fn bound_kind_to(kind: pg::BoundKind) -> v4::RangeBoundKind {
            match kind {
                pg::BoundKind::Inclusive => v4::RangeBoundKind::Inclusive,
                pg::BoundKind::Exclusive => v4::RangeBoundKind::Exclusive,
            }
        }

        type V4Bound<T> = Option<(T, v4::RangeBoundKind)>;

        fn range_from<T>((lo, hi): (V4Bound<T>, V4Bound<T>)) -> (pg::Bound<T>, pg::Bound<T>) {
            let bound = |b: V4Bound<T>| b.map(|(v, k)| (v, bound_kind_from(k)));
            (bound(lo), bound(hi))
        }

        fn range_to<T>((lo, hi): (pg::Bound<T>, pg::Bound<T>)) -> (V4Bound<T>, V4Bound<T>) {
            let bound = |b: pg::Bound<T>| b.map(|(v, k)| (v, bound_kind_to(k)));
            (bound(lo), bound(hi))
        }

        pub(crate) fn pg_param_v4(value: v4::ParameterValue) -> pg::Value {
            use v4::ParameterValue as P;
            match value {
                P::Boolean(v) => pg::Value::Boolean(v),
                P::Int8(v) => pg::Value::Int8(v),
                P::Int16(v) => pg::Value::Int16(v),
                P::Int32(v) => pg::Value::Int32(v),
                P::Int64(v) => pg::Value::Int64(v),
                P::Floating32(v) => pg::Value::Floating32(v),
                P::Floating64(v) => pg::Value::Floating64(v),
                P::Str(v) => pg::Value::Str(v),
                P::Binary(v) => pg::Value::Binary(v),
                P::Date(v) => pg::Value::Date(v),
                P::Time(v) => pg::Value::Time(v),
                P::Datetime(v) => pg::Value::Datetime(v),
                P::Timestamp(v) => pg::Value::Timestamp(v),
                P::Uuid(v) => pg::Value::Uuid(v),
                P::Jsonb(v) => pg::Value::Jsonb(v),
                P::Decimal(v) => pg::Value::Decimal(v),
                P::RangeInt32(r) => pg::Value::RangeInt32(range_from(r)),
                P::RangeInt64(r) => pg::Value::RangeInt64(range_from(r)),
                P::RangeDecimal(r) => pg::Value::RangeDecimal(range_from(r)),
                P::ArrayInt32(v) => pg::Value::ArrayInt32(v),
                P::ArrayInt64(v) => pg::Value::ArrayInt64(v),
                P::ArrayDecimal(v) => pg::Value::ArrayDecimal(v),
                P::ArrayStr(v) => pg::Value::ArrayStr(v),
                P::Interval(i) => pg::Value::Interval(pg::Interval { micros: i.micros, days: i.days, months: i.months }),
                P::DbNull => pg::Value::Null,
            }
        }

        pub(crate) fn pg_value_v4(value: pg::Value) -> v4::DbValue {
            use v4::DbValue as D;
            match value {
                pg::Value::Boolean(v) => D::Boolean(v),
                pg::Value::Int8(v) => D::Int8(v),
                pg::Value::Int16(v) => D::Int16(v),
                pg::Value::Int32(v) => D::Int32(v),
                pg::Value::Int64(v) => D::Int64(v),
                pg::Value::Floating32(v) => D::Floating32(v),
                pg::Value::Floating64(v) => D::Floating64(v),
                pg::Value::Str(v) => D::Str(v),
                pg::Value::Binary(v) => D::Binary(v),
                pg::Value::Date(v) => D::Date(v),
                pg::Value::Time(v) => D::Time(v),
                pg::Value::Datetime(v) => D::Datetime(v),
                pg::Value::Timestamp(v) => D::Timestamp(v),
                pg::Value::Uuid(v) => D::Uuid(v),
                pg::Value::Jsonb(v) => D::Jsonb(v),
                pg::Value::Decimal(v) => D::Decimal(v),
                pg::Value::RangeInt32(r) => D::RangeInt32(range_to(r)),
                pg::Value::RangeInt64(r) => D::RangeInt64(range_to(r)),
                pg::Value::RangeDecimal(r) => D::RangeDecimal(range_to(r)),
                pg::Value::ArrayInt32(v) => D::ArrayInt32(v),
                pg::Value::ArrayInt64(v) => D::ArrayInt64(v),
                pg::Value::ArrayDecimal(v) => D::ArrayDecimal(v),
                pg::Value::ArrayStr(v) => D::ArrayStr(v),
                pg::Value::Interval(i) => D::Interval(v4::Interval { micros: i.micros, days: i.days, months: i.months }),
                pg::Value::Null => D::DbNull,
                pg::Value::Unsupported(raw) => D::Unsupported(raw),
            }
        }

        pub(crate) fn pg_type_v4(ty: pg::DataType) -> v4::DbDataType {
            use v4::DbDataType as T;
            match ty {
                pg::DataType::Boolean => T::Boolean,
                pg::DataType::Int8 => T::Int8,
                pg::DataType::Int16 => T::Int16,
                pg::DataType::Int32 => T::Int32,
                pg::DataType::Int64 => T::Int64,
                pg::DataType::Floating32 => T::Floating32,
                pg::DataType::Floating64 => T::Floating64,
                pg::DataType::Str => T::Str,
                pg::DataType::Binary => T::Binary,
                pg::DataType::Date => T::Date,
                pg::DataType::Time => T::Time,
                pg::DataType::Datetime => T::Datetime,
                pg::DataType::Timestamp => T::Timestamp,
                pg::DataType::Uuid => T::Uuid,
                pg::DataType::Jsonb => T::Jsonb,
                pg::DataType::Decimal => T::Decimal,
                pg::DataType::RangeInt32 => T::RangeInt32,
                pg::DataType::RangeInt64 => T::RangeInt64,
                pg::DataType::RangeDecimal => T::RangeDecimal,
                pg::DataType::ArrayInt32 => T::ArrayInt32,
                pg::DataType::ArrayInt64 => T::ArrayInt64,
                pg::DataType::ArrayDecimal => T::ArrayDecimal,
                pg::DataType::ArrayStr => T::ArrayStr,
                pg::DataType::Interval => T::Interval,
                pg::DataType::Other(name) => T::Other(name),
            }
        }

        impl From<pg::Error> for v4::Error {
            fn from(err: pg::Error) -> Self {
                match err {
                    pg::Error::ConnectionFailed(m) => v4::Error::ConnectionFailed(m),
                    pg::Error::BadParameter(m) => v4::Error::BadParameter(m),
                    pg::Error::QueryFailed(pg::QueryError::Text(m)) => v4::Error::QueryFailed(v4::QueryError::Text(m)),
                    pg::Error::QueryFailed(pg::QueryError::Db(e)) => {
                        let pg::DbError { as_text, severity, code, message, detail, extras } = *e;
                        v4::Error::QueryFailed(v4::QueryError::DbError(v4::DbError {
                            as_text,
                            severity,
                            code,
                            message,
                            detail,
                            extras,
                        }))
                    }
                    pg::Error::ValueConversionFailed(m) => v4::Error::ValueConversionFailed(m),
                    pg::Error::Other(m) => v4::Error::Other(m),
                }
            }
        }
    };
}
pub(crate) use pg_v4_conversions;

/// The 4.0.0 conversions.
mod v4_convert {
    super::pg_v4_conversions!(crate::rdbms::bindings::spin::postgres4_0_0::postgres);
}
use v4_convert::{pg_param_v4, pg_type_v4, pg_value_v4};

impl v4::Host for HostState {}

impl v4::HostConnection for HostState {
    async fn open(&mut self, address: String) -> Trappable<Result<Resource<PgConnectionHandle>, v4::Error>> {
        Ok(self.open_pg(&address).await.map_err(Into::into))
    }

    async fn query(
        &mut self,
        this: Resource<PgConnectionHandle>,
        statement: String,
        params: Vec<v4::ParameterValue>,
    ) -> Trappable<Result<v4::RowSet, v4::Error>> {
        let connection = self.pg(&this)?;
        let params = params.into_iter().map(pg_param_v4).collect();
        Ok(connection
            .query(&statement, params)
            .await
            .map(|rows| v4::RowSet {
                columns: rows
                    .columns
                    .into_iter()
                    .map(|c| v4::Column { name: c.name, data_type: pg_type_v4(c.data_type) })
                    .collect(),
                rows: rows.rows.into_iter().map(|row| row.into_iter().map(pg_value_v4).collect()).collect(),
            })
            .map_err(Into::into))
    }

    async fn execute(
        &mut self,
        this: Resource<PgConnectionHandle>,
        statement: String,
        params: Vec<v4::ParameterValue>,
    ) -> Trappable<Result<u64, v4::Error>> {
        let connection = self.pg(&this)?;
        let params = params.into_iter().map(pg_param_v4).collect();
        Ok(connection.execute(&statement, params).await.map_err(Into::into))
    }

    async fn drop(&mut self, this: Resource<PgConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ComponentCapabilities;

    const MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

    /// 50 rows of 100,000 bytes each.
    const BIG: &str = "SELECT REPEAT('x', 100000) AS v FROM \
        (SELECT 1 FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) a, \
        (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 \
        UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10) b) t";

    fn mysql_available() -> bool {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 3306));
        let up = std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2)).is_ok();
        if !up {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "MySQL is required in CI");
            eprintln!("SKIPPED: MySQL is not reachable on 127.0.0.1:3306");
        }
        up
    }

    /// A guest's state with MySQL granted and results capped at 1 MiB.
    fn state() -> HostState {
        let mut caps = ComponentCapabilities::none();
        caps.outbound = Arc::new(OutboundPolicy::new(&["mysql://127.0.0.1:3306"]).unwrap());
        caps.max_result_bytes = 1 << 20;
        let mut builder = HostState::builder(Arc::from("test"));
        builder.capabilities(Arc::new(caps));
        builder.build()
    }

    /// The component's cap reaches the MySQL connections it opens, in
    /// `@2.0.0` and Spin 1 (the end-to-end test covers PostgreSQL and
    /// SQLite; no test guest runs arbitrary MySQL).
    #[tokio::test]
    async fn mysql_results_are_capped_by_the_components_limit() {
        if !mysql_available() {
            return;
        }
        let mut state = state();
        let conn = mysql_v2::HostConnection::open(&mut state, MYSQL_URL.into()).await.unwrap().unwrap();
        let handle = || Resource::<MysqlConnectionHandle>::new_borrow(conn.rep());
        let big = mysql_v2::HostConnection::query(&mut state, handle(), BIG.into(), vec![]).await.unwrap();
        let Err(v2::Error::QueryFailed(message)) = big else { panic!("expected the cap: {big:?}") };
        assert!(message.contains("1048576-byte limit"), "{message}");
        let small = mysql_v2::HostConnection::query(&mut state, handle(), "SELECT 1".into(), vec![]).await.unwrap();
        assert_eq!(small.map(|rows| rows.rows.len()).ok(), Some(1));

        let big = mysql_v1::Host::query(&mut state, MYSQL_URL.into(), BIG.into(), vec![]).await.unwrap();
        let Err(mysql_v1::MysqlError::QueryFailed(message)) = big else { panic!("expected the cap: {big:?}") };
        assert!(message.contains("1048576-byte limit"), "{message}");
    }
}
