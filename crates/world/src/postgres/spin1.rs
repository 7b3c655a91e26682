//! Spin 1 `fermyon:spin/postgres`: every call names its address, so a
//! pooled connection is taken for the call and returned after it.

use std::sync::Arc;

use kiln_outbound_pg as pg;

use crate::rdbms_common::bindings::fermyon::spin::postgres as pg_v1;
use crate::rdbms_common::{collect, spin1_host, types_v1 as v1, Trappable};
use crate::HostState;

/// The Spin 1 conversions; `From<pg::Error>` for its `pg-error`.
mod convert {
    super::super::v2::pg_rdbms_conversions!(
        crate::rdbms_common::types_v1,
        crate::rdbms_common::bindings::fermyon::spin::postgres => PgError,
        other: OtherError
    );
}
use convert::{data_type, param, value};

/// The backend's error as Spin 1's.
fn error(err: pg::Error) -> pg_v1::PgError {
    err.into()
}

/// A Spin 1 call's connection and parameters, or its error.
type Call = Trappable<Result<(Arc<dyn pg::Connection>, Vec<pg::Value>), pg_v1::PgError>>;

impl HostState {
    /// One Spin 1 call's connection and parameters: the parameters are
    /// converted first (a refusal is `bad-parameter`), then a connection is
    /// opened (permission checked) for the call and its handle dropped again.
    async fn pg_for_call(&mut self, address: &str, params: Vec<v1::ParameterValue>) -> Call {
        let params = match collect(params, param) {
            Ok(params) => params,
            Err(message) => return Ok(Err(pg_v1::PgError::BadParameter(message))),
        };
        let opened = self.open_pg(address).await;
        Ok(self.for_call(opened)?.map(|handle| (handle.0, params)).map_err(error))
    }
}

spin1_host!(pg_v1, v1, pg_v1::PgError, for_call: pg_for_call, execute: u64, error: error,
    data_type: data_type, value: value);
