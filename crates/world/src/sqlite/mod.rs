//! SQLite host bindings: Spin 1 `fermyon:spin/sqlite`, Spin 2
//! `fermyon:spin/sqlite@2.0.0` and Spin 3 `spin:sqlite/sqlite@3.1.0` (which
//! also serves guests importing 3.0.0), over [`kiln_sqlite::Connection`].
//! Access follows the component's `sqlite_databases`, decided by
//! [`kiln_sqlite::ComponentDatabases`]. The `async func`s 3.1.0 added for
//! Preview 3 guests are implemented in [`crate::sqlite_p3`]; they share these
//! bindings and connection handles.

use std::sync::Arc;

use kiln_sqlite::{Connection, Error, QueryResult, Value};
use wasmtime::component::{HasSelf, Linker, Resource};

use crate::HostState;

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/sqlite",
        imports: { default: async | trappable },
        with: {
            "fermyon:spin/sqlite.connection": super::ConnectionHandle,
            "spin:sqlite/sqlite.connection": super::ConnectionHandle,
        },
    });
}

use bindings::fermyon::spin::sqlite as v1;
use bindings::fermyon::spin2_0_0::sqlite as v2;
use bindings::spin::sqlite::sqlite as v3;

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &[
    "fermyon:spin/sqlite",
    "fermyon:spin/sqlite@2.0.0",
    "spin:sqlite/sqlite@3.1.0",
];

/// An open connection as a guest holds it, with what its last statement did
/// (Spin 3's `changes` and `last-insert-rowid` answer for this connection
/// only, whatever other instances run meanwhile).
pub struct ConnectionHandle {
    pub(crate) connection: Arc<dyn Connection>,
    pub(crate) changes: u64,
    pub(crate) last_insert_rowid: i64,
}

/// Adds every SQLite interface to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::Sqlite::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

type Trappable<T> = wasmtime::Result<T>;

impl HostState {
    async fn open_database(&mut self, label: &str) -> Result<Resource<ConnectionHandle>, Error> {
        let connection = self.caps.sqlite.open(label).await?;
        let handle = ConnectionHandle { connection, changes: 0, last_insert_rowid: 0 };
        // A full table is the closest the interfaces have to "too many open".
        self.table.push(handle).map_err(|_| Error::DatabaseFull)
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
            let handle = self.table.get_mut(handle)?;
            handle.changes = result.changes;
            handle.last_insert_rowid = result.last_insert_rowid;
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

conversions!(v1);
conversions!(v2);
conversions!(v3);

fn parameters<T: Into<Value>>(parameters: Vec<T>) -> Vec<Value> {
    parameters.into_iter().map(Into::into).collect()
}

// ---- spin:sqlite/sqlite@3.1.0: the functions of 3.0.0 ---------------------

impl v3::Host for HostState {}

impl v3::HostConnection for HostState {
    async fn open(&mut self, database: String) -> Trappable<Result<Resource<ConnectionHandle>, v3::Error>> {
        Ok(self.open_database(&database).await.map_err(Into::into))
    }

    async fn execute(
        &mut self,
        this: Resource<ConnectionHandle>,
        statement: String,
        parameters: Vec<v3::Value>,
    ) -> Trappable<Result<v3::QueryResult, v3::Error>> {
        let result = self.run_statement(&this, &statement, self::parameters(parameters)).await?;
        Ok(result.map(Into::into).map_err(Into::into))
    }

    async fn last_insert_rowid(&mut self, this: Resource<ConnectionHandle>) -> Trappable<i64> {
        Ok(self.table.get(&this)?.last_insert_rowid)
    }

    async fn changes(&mut self, this: Resource<ConnectionHandle>) -> Trappable<u64> {
        Ok(self.table.get(&this)?.changes)
    }

    async fn drop(&mut self, this: Resource<ConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

// ---- fermyon:spin/sqlite@2.0.0 ---------------------------------------------

impl v2::Host for HostState {}

impl v2::HostConnection for HostState {
    async fn open(&mut self, database: String) -> Trappable<Result<Resource<ConnectionHandle>, v2::Error>> {
        Ok(self.open_database(&database).await.map_err(Into::into))
    }

    async fn execute(
        &mut self,
        this: Resource<ConnectionHandle>,
        statement: String,
        parameters: Vec<v2::Value>,
    ) -> Trappable<Result<v2::QueryResult, v2::Error>> {
        let result = self.run_statement(&this, &statement, self::parameters(parameters)).await?;
        Ok(result.map(Into::into).map_err(Into::into))
    }

    async fn drop(&mut self, this: Resource<ConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

// ---- fermyon:spin/sqlite (Spin 1) -------------------------------------------

impl v1::Host for HostState {
    async fn open(&mut self, database: String) -> Trappable<Result<u32, v1::Error>> {
        Ok(self.open_database(&database).await.map(|r| r.rep()).map_err(Into::into))
    }

    async fn execute(
        &mut self,
        conn: u32,
        statement: String,
        parameters: Vec<v1::Value>,
    ) -> Trappable<Result<v1::QueryResult, v1::Error>> {
        let handle = Resource::<ConnectionHandle>::new_own(conn);
        if self.table.get(&handle).is_err() {
            return Ok(Err(v1::Error::InvalidConnection));
        }
        let result = self.run_statement(&handle, &statement, self::parameters(parameters)).await?;
        Ok(result.map(Into::into).map_err(Into::into))
    }

    async fn close(&mut self, conn: u32) -> Trappable<()> {
        // Closing an unknown handle is a no-op, as in Spin.
        let _ = self.table.delete(Resource::<ConnectionHandle>::new_own(conn));
        Ok(())
    }
}
