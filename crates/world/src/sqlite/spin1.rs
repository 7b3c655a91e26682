//! Spin 1 `fermyon:spin/sqlite`: connections as `u32` handles (the rep of a
//! [`ConnectionHandle`] in the resource table).

use wasmtime::component::Resource;

use super::bindings::fermyon::spin::sqlite as v1;
use super::ConnectionHandle;
use crate::shared::Trappable;
use crate::HostState;

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
        let result = self.run_statement(&handle, &statement, super::parameters(parameters)).await?;
        Ok(result.map(Into::into).map_err(Into::into))
    }

    async fn close(&mut self, conn: u32) -> Trappable<()> {
        // Closing an unknown handle is a no-op, as in Spin.
        let _ = self.table.delete(Resource::<ConnectionHandle>::new_own(conn));
        Ok(())
    }
}
