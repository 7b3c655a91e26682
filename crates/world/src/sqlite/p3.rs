//! The `async func`s `spin:sqlite/sqlite@3.1.0` added for Preview 3 guests
//! (what the Rust `spin-sdk` 7 calls): `open-async`, `execute-async`,
//! `last-insert-rowid-async` and `changes-async`.
//!
//! They are the other half of the 3.1.0 bindings generated in
//! [`super`] (and linked by its `add_to_linker`), over the same
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
//!
//! [`Accessor::with`]: wasmtime::component::Accessor::with

use kiln_sqlite::Value;
use wasmtime::component::{FutureReader, HasSelf, Resource, StreamReader};

use super::bindings::spin::sqlite::sqlite as v3;
use super::ConnectionHandle;
use crate::shared::{handle, push, streamed, Trappable, P3};
use crate::HostState;

/// What `execute-async` answers with: columns, rows, and the outcome.
type Streamed = (Vec<String>, StreamReader<v3::RowResult>, FutureReader<Result<(), v3::Error>>);

impl<T> v3::HostConnectionWithStore<T> for HasSelf<HostState> {
    async fn open_async(accessor: &P3<T>, database: String) -> Trappable<Result<Resource<ConnectionHandle>, v3::Error>> {
        let caps = accessor.with(|mut access| access.get().caps.clone());
        let connection = match caps.sqlite.open(&database).await {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(err.into())),
        };
        // A full table is the closest the interface has to "too many open".
        Ok(push(accessor, ConnectionHandle::new(connection), |_| v3::Error::DatabaseFull))
    }

    async fn execute_async(
        accessor: &P3<T>,
        this: Resource<ConnectionHandle>,
        statement: String,
        parameters: Vec<v3::Value>,
    ) -> Trappable<Result<Streamed, v3::Error>> {
        let connection = handle(accessor, &this, |h| h.connection.clone())?;
        let parameters: Vec<Value> = super::parameters(parameters);
        let mut result = match connection.execute(&statement, parameters).await {
            Ok(result) => result,
            Err(err) => return Ok(Err(err.into())),
        };
        let rows = std::mem::take(&mut result.rows);
        let rows: Vec<v3::RowResult> =
            rows.into_iter().map(|row| v3::RowResult { values: row.into_iter().map(Into::into).collect() }).collect();
        accessor.with(|mut access| {
            access.get().table.get_mut(&this)?.record(&result);
            let (rows, outcome) = streamed(&mut access, rows, Ok(()))?;
            Ok(Ok((result.columns, rows, outcome)))
        })
    }

    async fn last_insert_rowid_async(accessor: &P3<T>, this: Resource<ConnectionHandle>) -> Trappable<i64> {
        handle(accessor, &this, |h| h.last_insert_rowid)
    }

    async fn changes_async(accessor: &P3<T>, this: Resource<ConnectionHandle>) -> Trappable<u64> {
        handle(accessor, &this, |h| h.changes)
    }
}
