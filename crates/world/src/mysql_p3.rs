//! Outbound MySQL for Preview 3 guests: Spin 3 `spin:mysql/mysql@3.0.0`,
//! what the Rust `spin-sdk` 7 imports.
//!
//! Its functions are component-model `async func`s, so they are concurrent
//! host functions: each reaches the [`HostState`] only inside short
//! [`Accessor::with`] calls and awaits the server with the store released.
//! Everything else is [`crate::rdbms`]'s Spin 2 MySQL: the same grant check
//! (a server `allowed_outbound_hosts` does not list is `connection-failed`),
//! the same process-wide pools and the same connection handles.
//!
//! `query` answers with the columns, a stream of rows and a future of the
//! outcome. The backend returns a query's rows all at once, so every failure
//! is known before the call returns and comes back as the call's own
//! `error`; the stream then carries every row and the future is always `ok`.

use std::sync::Arc;

use kiln_outbound_mysql as mysql;
use wasmtime::component::{Accessor, FutureReader, HasSelf, Linker, Resource, StreamReader};

use crate::HostState;
use crate::rdbms::MysqlConnectionHandle;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/mysql-p3",
        imports: { default: async | trappable },
        with: {
            "spin:mysql/mysql.connection": crate::rdbms::MysqlConnectionHandle,
        },
    });
}

use bindings::spin::mysql::mysql as v3;

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &["spin:mysql/mysql@3.0.0"];

/// Adds `spin:mysql/mysql@3.0.0` to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::MysqlP3::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

type Trappable<T> = wasmtime::Result<T>;
type Outcome<T> = Trappable<Result<T, v3::Error>>;

/// What `query` answers with: columns, rows, and the outcome.
type Streamed = (
    Vec<v3::Column>,
    StreamReader<Vec<v3::DbValue>>,
    FutureReader<Result<(), v3::Error>>,
);

fn v3_error(err: mysql::Error) -> v3::Error {
    match err {
        mysql::Error::ConnectionFailed(m) => v3::Error::ConnectionFailed(m),
        mysql::Error::BadParameter(m) => v3::Error::BadParameter(m),
        mysql::Error::QueryFailed(m) => v3::Error::QueryFailed(m),
        mysql::Error::ValueConversionFailed(m) => v3::Error::ValueConversionFailed(m),
        mysql::Error::Other(m) => v3::Error::Other(m),
    }
}

fn param(value: v3::ParameterValue) -> mysql::Value {
    use v3::ParameterValue as P;
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

fn value(value: mysql::Value) -> v3::DbValue {
    use v3::DbValue as D;
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

fn data_type(ty: mysql::DataType) -> v3::DbDataType {
    use v3::DbDataType as T;
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

/// The backend connection behind a guest's handle (a stale handle traps,
/// as for every resource).
fn connection<T>(
    accessor: &Accessor<T, HasSelf<HostState>>,
    this: &Resource<MysqlConnectionHandle>,
) -> Trappable<Arc<dyn mysql::Connection>> {
    accessor.with(|mut access| Ok(access.get().table.get(this)?.0.clone()))
}

impl v3::Host for HostState {}

impl v3::HostConnection for HostState {
    async fn drop(&mut self, this: Resource<MysqlConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl<T> v3::HostConnectionWithStore<T> for HasSelf<HostState> {
    async fn open(
        accessor: &Accessor<T, Self>,
        address: String,
    ) -> Outcome<Resource<MysqlConnectionHandle>> {
        let (policy, component, max_result_bytes) = accessor.with(|mut access| {
        let state = access.get();
        (state.caps.outbound.clone(), state.component_id.clone(), state.caps.max_result_bytes)
    });
    if let Err(err) = crate::rdbms::mysql_allowed(&policy, &address).await {
            tracing::info!(%component, "outbound MySQL denied or malformed address: {err}");
            return Ok(Err(v3_error(err)));
        }
        let connection = match crate::rdbms::mysql_pooled(&address, max_result_bytes).await {
            Ok(connection) => connection,
            Err(err) => {
                tracing::debug!(%component, error = %err, "MySQL open failed");
                return Ok(Err(v3_error(err)));
            }
        };
        Ok(accessor.with(|mut access| {
            access
                .get()
                .table
                .push(MysqlConnectionHandle(connection))
                .map_err(|e| v3::Error::Other(e.to_string()))
        }))
    }

    async fn query(
        accessor: &Accessor<T, Self>,
        this: Resource<MysqlConnectionHandle>,
        statement: String,
        params: Vec<v3::ParameterValue>,
    ) -> Outcome<Streamed> {
        let conn = connection(accessor, &this)?;
        let params = params.into_iter().map(param).collect();
        let result = match conn.query(&statement, params).await {
            Ok(result) => result,
            Err(err) => return Ok(Err(v3_error(err))),
        };
        let columns: Vec<v3::Column> = result
            .columns
            .into_iter()
            .map(|c| v3::Column {
                name: c.name,
                data_type: data_type(c.data_type),
            })
            .collect();
        let rows: Vec<Vec<v3::DbValue>> = result
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(value).collect())
            .collect();
        accessor.with(|mut access| {
            let rows = StreamReader::new(&mut access, rows)?;
            let outcome = FutureReader::new(
                &mut access,
                std::future::ready(Ok::<_, wasmtime::Error>(Ok::<(), v3::Error>(()))),
            )?;
            Ok(Ok((columns, rows, outcome)))
        })
    }

    async fn execute(
        accessor: &Accessor<T, Self>,
        this: Resource<MysqlConnectionHandle>,
        statement: String,
        params: Vec<v3::ParameterValue>,
    ) -> Outcome<()> {
        let conn = connection(accessor, &this)?;
        let params = params.into_iter().map(param).collect();
        Ok(conn.execute(&statement, params).await.map_err(v3_error))
    }
}
