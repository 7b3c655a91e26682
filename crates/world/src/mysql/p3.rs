//! Outbound MySQL for Preview 3 guests: Spin 3 `spin:mysql/mysql@3.0.0`,
//! what the Rust `spin-sdk` 7 imports.
//!
//! Its functions are component-model `async func`s, so they are concurrent
//! host functions: each reaches the [`HostState`] only inside short
//! [`Accessor::with`] calls and awaits the server with the store released.
//! Everything else is [`super`]'s: the same grant check
//! (a server `allowed_outbound_hosts` does not list is `connection-failed`),
//! the same per-app pools and the same connection handles.
//!
//! `query` answers with the columns, a stream of rows and a future of the
//! outcome. The backend returns a query's rows all at once, so every failure
//! is known before the call returns and comes back as the call's own
//! `error`; the stream then carries every row and the future is always `ok`.

use std::sync::Arc;

use kiln_outbound_mysql as mysql;
use wasmtime::component::{Accessor, FutureReader, HasSelf, Linker, Resource, StreamReader};

use crate::HostState;
use super::MysqlConnectionHandle;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/mysql-p3",
        imports: { default: async | trappable },
        with: {
            "spin:mysql/mysql.connection": crate::mysql::MysqlConnectionHandle,
        },
    });
}

use bindings::spin::mysql::mysql as v3;

/// Adds `spin:mysql/mysql@3.0.0` to `linker`.
pub(super) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::MysqlP3::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

use crate::rdbms_common::Trappable;
type Outcome<T> = Trappable<Result<T, v3::Error>>;

/// What `query` answers with: columns, rows, and the outcome.
type Streamed = (
    Vec<v3::Column>,
    StreamReader<Vec<v3::DbValue>>,
    FutureReader<Result<(), v3::Error>>,
);

fn v3_error(err: mysql::Error) -> v3::Error {
    use mysql::Error as E;
    use v3::Error as V;
    crate::rdbms_common::convert_error!(err, E => V, query: std::convert::identity, other: Other)
}

/// The 3.0.0 conversions (the same as 2.0.0's, for 3.0.0's types).
mod convert {
    super::super::v2::mysql_conversions!(crate::mysql::p3::bindings::spin::mysql::mysql);
}
use convert::{data_type, param, value};

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
        let (caps, component) = accessor.with(|mut access| {
            let state = access.get();
            (state.caps.clone(), state.component_id.clone())
        });
        if let Err(err) = super::allowed(&caps.outbound, &address).await {
            tracing::info!(%component, "outbound MySQL denied or malformed address: {err}");
            return Ok(Err(v3_error(err)));
        }
        let connection = match caps.mysql.pooled(&address).await {
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
        let columns: Vec<v3::Column> =
            result.columns.into_iter().map(|c| v3::Column { name: c.name, data_type: data_type(c.data_type) }).collect();
        let rows: Vec<Vec<v3::DbValue>> =
            result.rows.into_iter().map(|row| row.into_iter().map(value).collect()).collect();
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
