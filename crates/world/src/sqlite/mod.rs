//! SQLite over [`kiln_sqlite::Connection`], every interface version over the
//! same connections.
//!
//! * Runtime config: `[sqlite_database.LABEL]` sections, parsed by
//!   `kiln_sqlite::Backend::from_section`; `backends` adds the `default`
//!   database in the state folder.
//! * App state: the app's `kiln_sqlite::DatabaseManager` (in
//!   [`crate::AppCapabilities`]), with the cap on one result set.
//! * Per-instance state: [`ConnectionHandle`]s in the resource table, each
//!   remembering what its last statement did; which databases the component
//!   may open is its [`kiln_sqlite::ComponentDatabases`] (`sqlite_databases`).
//! * Bindings: Spin 1 `fermyon:spin/sqlite` (`spin1`), Spin 2 `@2.0.0`
//!   (`v2`), and Spin 3 `spin:sqlite/sqlite@3.1.0` (which also serves
//!   guests importing 3.0.0): its plain functions in `v3`, the `async
//!   func`s it added for Preview 3 guests in `p3`.

mod p3;
mod spin1;
mod v2;
mod v3;

use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use kiln_sqlite::{Backend, Connection, Error, QueryResult, Value};
use wasmtime::component::{Linker, Resource};

use crate::HostState;

crate::shared::host_bindings!("kiln:host/sqlite" => Sqlite, with: {
    "fermyon:spin/sqlite.connection": super::ConnectionHandle,
    "spin:sqlite/sqlite.connection": super::ConnectionHandle,
});

/// The interfaces this capability defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &["fermyon:spin/sqlite", "fermyon:spin/sqlite@2.0.0", "spin:sqlite/sqlite@3.1.0"];

/// Adds every SQLite interface version to `linker` (3.1.0's `async func`s
/// are part of the same world).
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::add_to_linker(linker)
}

/// The app's databases: `default` in the state folder, then the runtime
/// config's (which may redefine `default`).
pub(crate) fn backends(state_dir: &Path, configured: &IndexMap<String, Backend>) -> IndexMap<String, Backend> {
    let default = Backend::Spin { path: Some(state_dir.join(crate::capabilities::DEFAULT_SQLITE_FILE)) };
    crate::capabilities::with_default(default, configured)
}

/// An open connection as a guest holds it, with what its last statement did
/// (Spin 3's `changes` and `last-insert-rowid` answer for this connection
/// only, whatever other instances run meanwhile).
pub struct ConnectionHandle {
    pub(crate) connection: Arc<dyn Connection>,
    pub(crate) changes: u64,
    pub(crate) last_insert_rowid: i64,
}

impl ConnectionHandle {
    fn new(connection: Arc<dyn Connection>) -> Self {
        Self { connection, changes: 0, last_insert_rowid: 0 }
    }

    /// Remembers what a statement did on this connection.
    fn record(&mut self, result: &QueryResult) {
        self.changes = result.changes;
        self.last_insert_rowid = result.last_insert_rowid;
    }
}

impl HostState {
    async fn open_database(&mut self, label: &str) -> Result<Resource<ConnectionHandle>, Error> {
        let connection = self.caps.sqlite.open(label).await?;
        // A full table is the closest the interfaces have to "too many open".
        self.table.push(ConnectionHandle::new(connection)).map_err(|_| Error::DatabaseFull)
    }

    /// Runs a statement on a connection and remembers its effects there.
    async fn run_statement(
        &mut self,
        handle: &Resource<ConnectionHandle>,
        statement: &str,
        parameters: Vec<Value>,
    ) -> wasmtime::Result<Result<QueryResult, Error>> {
        let connection = self.table.get(handle)?.connection.clone();
        let result = connection.execute(statement, parameters).await;
        if let Ok(result) = &result {
            self.table.get_mut(handle)?.record(result);
        }
        Ok(result)
    }
}

/// Converts between one interface version's generated types and
/// [`kiln_sqlite`]'s: the three versions declare identical `value`,
/// `row-result`, `query-result` and `error` types.
macro_rules! conversions {
    ($v:ident) => {
        impl From<$v::Value> for Value {
            fn from(value: $v::Value) -> Self {
                match value {
                    $v::Value::Integer(i) => Value::Integer(i),
                    $v::Value::Real(r) => Value::Real(r),
                    $v::Value::Text(t) => Value::Text(t),
                    $v::Value::Blob(b) => Value::Blob(b),
                    $v::Value::Null => Value::Null,
                }
            }
        }

        impl From<Value> for $v::Value {
            fn from(value: Value) -> Self {
                match value {
                    Value::Integer(i) => $v::Value::Integer(i),
                    Value::Real(r) => $v::Value::Real(r),
                    Value::Text(t) => $v::Value::Text(t),
                    Value::Blob(b) => $v::Value::Blob(b),
                    Value::Null => $v::Value::Null,
                }
            }
        }

        impl From<QueryResult> for $v::QueryResult {
            fn from(result: QueryResult) -> Self {
                $v::QueryResult {
                    columns: result.columns,
                    rows: result
                        .rows
                        .into_iter()
                        .map(|row| $v::RowResult { values: row.into_iter().map(Into::into).collect() })
                        .collect(),
                }
            }
        }

        impl From<Error> for $v::Error {
            fn from(err: Error) -> Self {
                match err {
                    Error::NoSuchDatabase => $v::Error::NoSuchDatabase,
                    Error::AccessDenied => $v::Error::AccessDenied,
                    Error::InvalidConnection => $v::Error::InvalidConnection,
                    Error::DatabaseFull => $v::Error::DatabaseFull,
                    Error::Io(message) => $v::Error::Io(message),
                }
            }
        }
    };
}

/// The conversions of every version.
mod convert {
    use kiln_sqlite::{Error, QueryResult, Value};

    use super::bindings::fermyon::{spin::sqlite as v1, spin2_0_0::sqlite as v2};
    use super::bindings::spin::sqlite::sqlite as v3;

    conversions!(v1);
    conversions!(v2);
    conversions!(v3);
}

fn parameters<T: Into<Value>>(parameters: Vec<T>) -> Vec<Value> {
    parameters.into_iter().map(Into::into).collect()
}

/// `open`, `execute` and `drop` of a `connection` resource (Spin 2, and
/// Spin 3's plain functions): the same calls, over interface `$v`'s types.
macro_rules! connection_methods {
    ($v:ident) => {
        async fn open(&mut self, database: String) -> Trappable<Result<Resource<ConnectionHandle>, $v::Error>> {
            Ok(self.open_database(&database).await.map_err(Into::into))
        }

        async fn execute(
            &mut self,
            this: Resource<ConnectionHandle>,
            statement: String,
            parameters: Vec<$v::Value>,
        ) -> Trappable<Result<$v::QueryResult, $v::Error>> {
            let result = self.run_statement(&this, &statement, super::parameters(parameters)).await?;
            Ok(result.map(Into::into).map_err(Into::into))
        }

        async fn drop(&mut self, this: Resource<ConnectionHandle>) -> Trappable<()> {
            self.table.delete(this)?;
            Ok(())
        }
    };
}
pub(crate) use connection_methods;
