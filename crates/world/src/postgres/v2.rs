//! `fermyon:spin/postgres@2.0.0`: connection resources over the shared
//! `rdbms-types@2.0.0` values (no unsigned integers in PostgreSQL).

use kiln_outbound_pg as pg;

use super::PgConnectionHandle;
use crate::rdbms_common::bindings::fermyon::spin2_0_0::postgres as pg_v2;
use crate::rdbms_common::{collect, convert, convert_error, convert_unit, host_connection, types_v2 as v2};
use crate::HostState;

pub(super) fn unsigned_for_pg() -> String {
    "PostgreSQL has no unsigned integer types".to_string()
}

fn param(value: v2::ParameterValue) -> Result<pg::Value, String> {
    use pg::Value as V;
    use v2::ParameterValue as P;
    Ok(convert!(value, P => V, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary],
        P::Uint8(_) | P::Uint16(_) | P::Uint32(_) | P::Uint64(_) => return Err(unsigned_for_pg()),
        P::DbNull => V::Null,
    ))
}

fn value(value: pg::Value) -> v2::DbValue {
    use pg::Value as V;
    use v2::DbValue as D;
    convert!(value, V => D, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary],
        V::Null => D::DbNull,
        _ => D::Unsupported,
    )
}

fn data_type(ty: pg::DataType) -> v2::DbDataType {
    use pg::DataType as P;
    use v2::DbDataType as T;
    convert_unit!(ty, P => T, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary], _ => T::Other)
}

impl From<pg::Error> for v2::Error {
    fn from(err: pg::Error) -> Self {
        use pg::Error as E;
        use v2::Error as V;
        convert_error!(err, E => V, query: |q: pg::QueryError| q.to_string(), other: Other)
    }
}

impl pg_v2::Host for HostState {}

host_connection!(pg_v2, v2, PgConnectionHandle, open: open_pg, get: pg, params: |p| collect(p, param), execute: u64,
    data_type: data_type, value: value);
