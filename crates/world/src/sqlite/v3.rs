//! Spin 3 `spin:sqlite/sqlite@3.1.0`: the plain functions it shares with
//! 3.0.0 (its `async func`s are in [`super::p3`]).

use wasmtime::component::Resource;

use super::bindings::spin::sqlite::sqlite as v3;
use super::{connection_methods, ConnectionHandle};
use crate::shared::Trappable;
use crate::HostState;

impl v3::Host for HostState {}

impl v3::HostConnection for HostState {
    connection_methods!(v3);

    async fn last_insert_rowid(&mut self, this: Resource<ConnectionHandle>) -> Trappable<i64> {
        Ok(self.table.get(&this)?.last_insert_rowid)
    }

    async fn changes(&mut self, this: Resource<ConnectionHandle>) -> Trappable<u64> {
        Ok(self.table.get(&this)?.changes)
    }
}
