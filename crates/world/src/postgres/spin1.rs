//! Spin 1 `fermyon:spin/postgres`: every call names its address, so a
//! pooled connection is taken for the call and returned after it.

use std::sync::Arc;

use kiln_outbound_pg as pg;

use crate::rdbms_common::bindings::fermyon::spin::postgres as pg_v1;
use crate::rdbms_common::{collect, convert, convert_error, convert_unit, spin1_host, types_v1 as v1, Trappable};
use crate::HostState;

fn param(value: v1::ParameterValue) -> Result<pg::Value, String> {
    use pg::Value as V;
    use v1::ParameterValue as P;
    Ok(convert!(value, P => V, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary],
        P::Uint8(_) | P::Uint16(_) | P::Uint32(_) | P::Uint64(_) => return Err(super::v2::unsigned_for_pg()),
        P::DbNull => V::Null,
    ))
}

fn value(value: pg::Value) -> v1::DbValue {
    use pg::Value as V;
    use v1::DbValue as D;
    convert!(value, V => D, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary],
        V::Null => D::DbNull,
        _ => D::Unsupported,
    )
}

fn data_type(ty: pg::DataType) -> v1::DbDataType {
    use pg::DataType as P;
    use v1::DbDataType as T;
    convert_unit!(ty, P => T, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary], _ => T::Other)
}

fn error(err: pg::Error) -> pg_v1::PgError {
    use pg::Error as E;
    use pg_v1::PgError as V;
    convert_error!(err, E => V, query: |q: pg::QueryError| q.to_string(), other: OtherError)
}

impl HostState {
    /// One Spin 1 call's connection and parameters: the parameters are
    /// converted first (a refusal is `bad-parameter`), then a connection is
    /// opened (permission checked) for the call and its handle dropped again.
    async fn pg_for_call(
        &mut self,
        address: &str,
        params: Vec<v1::ParameterValue>,
    ) -> Trappable<Result<(Arc<dyn pg::Connection>, Vec<pg::Value>), pg_v1::PgError>> {
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
