//! The `async func`s `spin:sqlite/sqlite@3.1.0` added for Preview 3 guests
//! (what the Rust `spin-sdk` 7 calls): `open-async`, `execute-async`,
//! `last-insert-rowid-async` and `changes-async`.
//!
//! They are the other half of the 3.1.0 bindings generated in
//! [`crate::sqlite`] (and linked by its `add_to_linker`), over the same
//! [`ConnectionHandle`]s, so a connection opened either way answers both
//! kinds of call, and `changes`/`last-insert-rowid` report its last
//! statement whichever function ran it.
//!
//! As concurrent host functions they reach the [`HostState`] only inside
//! short [`Accessor::with`] calls and run the statement with the store
//! released. `execute-async` answers with the column names, a stream of rows
//! and a future of the outcome. The backend returns a statement's rows all
//! at once, so every failure is known before the call returns and comes back
//! as the call's own `error`; the stream then carries every row and the
//! future is always `ok`.

use std::sync::Arc;

use kiln_sqlite::{Connection, Value};
use wasmtime::component::{Accessor, FutureReader, HasSelf, Resource, StreamReader};

use crate::sqlite::bindings::spin::sqlite::sqlite as v3;
use crate::sqlite::ConnectionHandle;
use crate::HostState;

type Trappable<T> = wasmtime::Result<T>;

/// What `execute-async` answers with: columns, rows, and the outcome.
type Streamed = (
    Vec<String>,
    StreamReader<v3::RowResult>,
    FutureReader<Result<(), v3::Error>>,
);

/// The backend connection behind a guest's handle (a stale handle traps,
/// as for every resource).
fn connection_of<T>(
    accessor: &Accessor<T, HasSelf<HostState>>,
    handle: &Resource<ConnectionHandle>,
) -> Trappable<Arc<dyn Connection>> {
    accessor.with(|mut access| Ok(access.get().table.get(handle)?.connection.clone()))
}

impl<T> v3::HostConnectionWithStore<T> for HasSelf<HostState> {
    async fn open_async(
        accessor: &Accessor<T, Self>,
        database: String,
    ) -> Trappable<Result<Resource<ConnectionHandle>, v3::Error>> {
        let caps = accessor.with(|mut access| access.get().caps.clone());
        let connection = match caps.sqlite.open(&database).await {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(err.into())),
        };
        let handle = ConnectionHandle {
            connection,
            changes: 0,
            last_insert_rowid: 0,
        };
        // A full table is the closest the interface has to "too many open".
        Ok(accessor.with(|mut access| access.get().table.push(handle).map_err(|_| v3::Error::DatabaseFull)))
    }

    async fn execute_async(
        accessor: &Accessor<T, Self>,
        this: Resource<ConnectionHandle>,
        statement: String,
        parameters: Vec<v3::Value>,
    ) -> Trappable<Result<Streamed, v3::Error>> {
        let connection = connection_of(accessor, &this)?;
        let parameters: Vec<Value> = parameters.into_iter().map(Into::into).collect();
        let result = match connection.execute(&statement, parameters).await {
            Ok(result) => result,
            Err(err) => return Ok(Err(err.into())),
        };
        let rows: Vec<v3::RowResult> = result
            .rows
            .into_iter()
            .map(|row| v3::RowResult {
                values: row.into_iter().map(Into::into).collect(),
            })
            .collect();
        accessor.with(|mut access| {
            let handle = access.get().table.get_mut(&this)?;
            handle.changes = result.changes;
            handle.last_insert_rowid = result.last_insert_rowid;
            let rows = StreamReader::new(&mut access, rows)?;
            let outcome = FutureReader::new(
                &mut access,
                std::future::ready(Ok::<_, wasmtime::Error>(Ok::<(), v3::Error>(()))),
            )?;
            Ok(Ok((result.columns, rows, outcome)))
        })
    }

    async fn last_insert_rowid_async(accessor: &Accessor<T, Self>, this: Resource<ConnectionHandle>) -> Trappable<i64> {
        accessor.with(|mut access| Ok(access.get().table.get(&this)?.last_insert_rowid))
    }

    async fn changes_async(accessor: &Accessor<T, Self>, this: Resource<ConnectionHandle>) -> Trappable<u64> {
        accessor.with(|mut access| Ok(access.get().table.get(&this)?.changes))
    }
}
