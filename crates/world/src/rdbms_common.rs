//! What the PostgreSQL and MySQL capabilities share: the bindings of the
//! interface versions that declare a common `rdbms-types` (Spin 1 and
//! `@2.0.0`, plus PostgreSQL's 3.0.0 and 4.0.0 from the same world), the
//! grant-refusal message, the small macros that stamp out the
//! variant-by-variant conversions between a backend's values and an
//! interface version's, and those that stamp out each version's host
//! functions over a backend connection (`host_connection!` for a
//! `connection` resource, `spin1_host!` for Spin 1's address-per-call
//! functions, `p3_statements!` for Preview 3's `async func`s).
//!
//! One bindgen world holds every non-P3 version so each `rdbms-types`
//! interface is generated, and linked ([`add_types_to_linker`]), once.

use wasmtime::component::{FutureReader, Lift, Linker, Lower, Resource, StreamReader};

use crate::shared::{streamed, P3};
use crate::HostState;

crate::shared::host_bindings!("kiln:host/rdbms", with: {
    "fermyon:spin/postgres.connection": crate::postgres::PgConnectionHandle,
    "spin:postgres/postgres.connection": crate::postgres::PgConnectionHandle,
    "fermyon:spin/mysql.connection": crate::mysql::MysqlConnectionHandle,
});

pub(crate) use bindings::fermyon::spin::rdbms_types as types_v1;
pub(crate) use bindings::fermyon::spin2_0_0::rdbms_types as types_v2;

/// The type-only interfaces both databases' Spin 1 and `@2.0.0` versions use.
pub(crate) const TYPE_INTERFACES: &[&str] = &["fermyon:spin/rdbms-types", "fermyon:spin/rdbms-types@2.0.0"];

/// Links the listed interfaces of the shared `rdbms` world (modules of
/// [`bindings`]) over [`HostState`].
macro_rules! link_interfaces {
    ($linker:expr, [$($iface:ident),+ $(,)?]) => {{
        $($iface::add_to_linker::<$crate::HostState, wasmtime::component::HasSelf<$crate::HostState>>($linker, |state| state)?;)+
    }};
}
pub(crate) use link_interfaces;

/// Links the shared `rdbms-types` interfaces (once, for both databases).
pub fn add_types_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    link_interfaces!(linker, [types_v1, types_v2]);
    Ok(())
}

impl types_v1::Host for HostState {}
impl types_v2::Host for HostState {}

pub(crate) use crate::shared::Trappable;

impl HostState {
    /// For one Spin 1 call (which names its address every time): what a
    /// just-opened handle holds, the handle dropped again.
    pub(crate) fn for_call<H: 'static, E>(&mut self, opened: Result<Resource<H>, E>) -> Trappable<Result<H, E>> {
        match opened {
            Ok(handle) => Ok(Ok(self.table.delete(handle)?)),
            Err(err) => Ok(Err(err)),
        }
    }
}

/// Why a guest may not reach `scheme://host:port` (addresses carry
/// credentials, so only host and port are named).
pub(crate) fn not_allowed(scheme: &str, host: &str, port: u16) -> String {
    format!("{scheme}://{host}:{port} is not allowed by the component's allowed_outbound_hosts, or is in block_networks")
}

/// Converts every value, stopping at the first that cannot be.
pub(crate) fn collect<T, U>(values: Vec<T>, f: impl Fn(T) -> Result<U, String>) -> Result<Vec<U>, String> {
    values.into_iter().map(f).collect()
}

/// Maps an enum onto another whose variants carry the same payloads under
/// the same names: `convert!(value, From => To, [A, B], extra arms…)`,
/// where `From`/`To` are the enums (imported as single names) and the
/// trailing arms handle unit variants and the variants that differ.
macro_rules! convert {
    ($value:expr, $from:ident => $to:ident, [$($v:ident),* $(,)?] $(, $p:pat => $e:expr)* $(,)?) => {
        match $value {
            $($from::$v(x) => $to::$v(x),)*
            $($p => $e,)*
        }
    };
}
pub(crate) use convert;

/// Like [`convert!`], for fieldless variants (column types).
macro_rules! convert_unit {
    ($value:expr, $from:ident => $to:ident, [$($v:ident),* $(,)?] $(, $p:pat => $e:expr)* $(,)?) => {
        match $value {
            $($from::$v => $to::$v,)*
            $($p => $e,)*
        }
    };
}
pub(crate) use convert_unit;

/// Maps a backend error onto an interface's `error` variant, whose
/// `query-failed` is built by `$query` and whose catch-all is `$other`.
macro_rules! convert_error {
    ($err:expr, $from:ident => $to:ident, query: $query:expr, other: $other:ident) => {
        match $err {
            $from::ConnectionFailed(m) => $to::ConnectionFailed(m),
            $from::BadParameter(m) => $to::BadParameter(m),
            $from::QueryFailed(q) => $to::QueryFailed($query(q)),
            $from::ValueConversionFailed(m) => $to::ValueConversionFailed(m),
            $from::Other(m) => $to::$other(m),
        }
    };
}
pub(crate) use convert_error;

/// A backend `RowSet` as an interface's `row-set`, converting each column
/// type with `$ty` and each value with `$value`.
macro_rules! row_set {
    ($rows:expr, $iface:ident, $ty:expr, $value:expr) => {{
        let rows = $rows;
        $iface::RowSet {
            columns: rows
                .columns
                .into_iter()
                .map(|c| $iface::Column { name: c.name, data_type: $ty(c.data_type) })
                .collect(),
            rows: rows.rows.into_iter().map(|row| row.into_iter().map($value).collect()).collect(),
        }
    }};
}
pub(crate) use row_set;

/// A `connection` resource's `open`, `query`, `execute` and `drop` over a
/// backend, for one interface version: `$iface` holds the `HostConnection`
/// trait, `$types` the values, row set and `error` (with a `From` for the
/// backend's error); `open`/`get` are the [`HostState`] methods that open a
/// guest connection and read one; `params` turns the guest's parameters into
/// the backend's (a refusal is `bad-parameter`); `data_type`/`value`
/// convert a result's column types and values.
macro_rules! host_connection {
    (
        $iface:ident, $types:ident, $handle:ty,
        open: $open:ident, get: $get:ident, params: $params:expr, execute: $executed:ty,
        data_type: $data_type:expr, value: $value:expr $(,)?
    ) => {
        impl $iface::HostConnection for $crate::HostState {
            async fn open(
                &mut self,
                address: String,
            ) -> $crate::shared::Trappable<Result<wasmtime::component::Resource<$handle>, $types::Error>> {
                Ok(self.$open(&address).await.map_err(Into::into))
            }

            async fn query(
                &mut self,
                this: wasmtime::component::Resource<$handle>,
                statement: String,
                params: Vec<$types::ParameterValue>,
            ) -> $crate::shared::Trappable<Result<$types::RowSet, $types::Error>> {
                let connection = self.$get(&this)?;
                let params = match $params(params) {
                    Ok(params) => params,
                    Err(message) => return Ok(Err($types::Error::BadParameter(message))),
                };
                let rows = connection.query(&statement, params).await;
                Ok(rows.map(|rows| $crate::rdbms_common::row_set!(rows, $types, $data_type, $value)).map_err(Into::into))
            }

            async fn execute(
                &mut self,
                this: wasmtime::component::Resource<$handle>,
                statement: String,
                params: Vec<$types::ParameterValue>,
            ) -> $crate::shared::Trappable<Result<$executed, $types::Error>> {
                let connection = self.$get(&this)?;
                let params = match $params(params) {
                    Ok(params) => params,
                    Err(message) => return Ok(Err($types::Error::BadParameter(message))),
                };
                Ok(connection.execute(&statement, params).await.map_err(Into::into))
            }

            async fn drop(&mut self, this: wasmtime::component::Resource<$handle>) -> $crate::shared::Trappable<()> {
                self.table.delete(this)?;
                Ok(())
            }
        }
    };
}
pub(crate) use host_connection;

/// Spin 1's `query` and `execute` for one database (`$iface`, values in
/// `$types`): every call names its address, so `$for_call` (a
/// [`HostState`] method) gives the call's connection and converted
/// parameters, or the interface's `$error`; `$err` maps the backend's.
macro_rules! spin1_host {
    (
        $iface:ident, $types:ident, $error:ty, for_call: $for_call:ident, execute: $executed:ty, error: $err:expr,
        data_type: $data_type:expr, value: $value:expr $(,)?
    ) => {
        impl $iface::Host for $crate::HostState {
            async fn query(
                &mut self,
                address: String,
                statement: String,
                params: Vec<$types::ParameterValue>,
            ) -> $crate::shared::Trappable<Result<$types::RowSet, $error>> {
                let (connection, params) = match self.$for_call(&address, params).await? {
                    Ok(call) => call,
                    Err(err) => return Ok(Err(err)),
                };
                let rows = connection.query(&statement, params).await;
                Ok(rows.map(|rows| $crate::rdbms_common::row_set!(rows, $types, $data_type, $value)).map_err($err))
            }

            async fn execute(
                &mut self,
                address: String,
                statement: String,
                params: Vec<$types::ParameterValue>,
            ) -> $crate::shared::Trappable<Result<$executed, $error>> {
                let (connection, params) = match self.$for_call(&address, params).await? {
                    Ok(call) => call,
                    Err(err) => return Ok(Err(err)),
                };
                Ok(connection.execute(&statement, params).await.map_err($err))
            }
        }
    };
}
pub(crate) use spin1_host;

/// A Preview 3 `connection`'s `async func` `$query` (columns, a stream of
/// rows and the outcome) and `$execute`, inside an
/// `impl<T> …WithStore<T> for HasSelf<HostState>`: values in `$types`, the
/// guest's handle `$handle`, the backend's errors mapped by `$err`.
macro_rules! p3_statements {
    (
        $types:ident, $handle:ty, query: $query:ident, execute: $execute:ident -> $executed:ty, error: $err:expr,
        param: $param:expr, data_type: $data_type:expr, value: $value:expr $(,)?
    ) => {
        async fn $query(
            accessor: &$crate::shared::P3<T>,
            this: wasmtime::component::Resource<$handle>,
            statement: String,
            params: Vec<$types::ParameterValue>,
        ) -> $crate::shared::Trappable<
            Result<$crate::rdbms_common::RowStream<$types::Column, $types::DbValue, $types::Error>, $types::Error>,
        > {
            let connection = $crate::shared::handle(accessor, &this, |h| h.0.clone())?;
            let params = params.into_iter().map($param).collect();
            let result = connection.query(&statement, params).await.map_err($err).map(|rows| {
                let columns = rows.columns.into_iter().map(|c| $types::Column { name: c.name, data_type: $data_type(c.data_type) });
                (columns.collect(), rows.rows.into_iter().map(|row| row.into_iter().map($value).collect()).collect())
            });
            $crate::rdbms_common::streamed_rows(accessor, result)
        }

        async fn $execute(
            accessor: &$crate::shared::P3<T>,
            this: wasmtime::component::Resource<$handle>,
            statement: String,
            params: Vec<$types::ParameterValue>,
        ) -> $crate::shared::Trappable<Result<$executed, $types::Error>> {
            let connection = $crate::shared::handle(accessor, &this, |h| h.0.clone())?;
            let params = params.into_iter().map($param).collect();
            Ok(connection.execute(&statement, params).await.map_err($err))
        }
    };
}
pub(crate) use p3_statements;

/// Converts every parameter with an infallible `f`, for `host_connection!`
/// `params` of versions whose every parameter value has a backend value.
pub(crate) fn each<T, U>(f: fn(T) -> U) -> impl Fn(Vec<T>) -> Result<Vec<U>, String> {
    move |values| Ok(values.into_iter().map(f).collect())
}

/// A Preview 3 guest's connection, once the grant check (`allowed`) passed
/// and the app's pool (`pooled`) answered; either failure is logged naming
/// database `db`, never the address (it carries credentials).
pub(crate) async fn connect_p3<C, E: std::fmt::Display>(
    component: &str,
    db: &str,
    allowed: impl std::future::Future<Output = Result<(), E>>,
    pooled: impl std::future::Future<Output = Result<C, E>>,
) -> Result<C, E> {
    if let Err(err) = allowed.await {
        tracing::info!(%component, "outbound {db} denied or malformed address: {err}");
        return Err(err);
    }
    let connection = pooled.await;
    if let Err(err) = &connection {
        tracing::debug!(%component, error = %err, "{db} open failed");
    }
    connection
}

/// What a Preview 3 `query` answers with: the columns, a stream of rows and a
/// future of the outcome.
pub(crate) type RowStream<C, V, E> = (Vec<C>, StreamReader<Vec<V>>, FutureReader<Result<(), E>>);

/// A Preview 3 `query`'s answer: the columns, a stream of every row and an
/// `ok` outcome. The backends return a query's rows all at once, so every
/// failure is known before the call returns and is the call's own `error`.
pub(crate) fn streamed_rows<T, C, V, E>(
    accessor: &P3<T>,
    result: Result<(Vec<C>, Vec<Vec<V>>), E>,
) -> Trappable<Result<RowStream<C, V, E>, E>>
where
    V: Lower + Lift + Unpin + Send + Sync + 'static,
    Result<(), E>: Lower + Lift + Send + Sync + 'static,
{
    let (columns, rows) = match result {
        Ok(answer) => answer,
        Err(err) => return Ok(Err(err)),
    };
    accessor.with(|mut access| {
        let (rows, outcome) = streamed(&mut access, rows, Ok(()))?;
        Ok(Ok((columns, rows, outcome)))
    })
}
