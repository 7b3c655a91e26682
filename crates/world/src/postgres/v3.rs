//! `spin:postgres/postgres@3.0.0`: 2.0.0's values plus dates, times and
//! timestamps.

use kiln_outbound_pg as pg;

use super::PgConnectionHandle;
use crate::rdbms_common::bindings::spin::postgres3_0_0::postgres as v3;
use crate::rdbms_common::{collect, convert, convert_error, convert_unit, host_connection};
use crate::HostState;

fn param(value: v3::ParameterValue) -> Result<pg::Value, String> {
    use pg::Value as V;
    use v3::ParameterValue as P;
    Ok(convert!(value, P => V,
        [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary, Date, Time, Datetime, Timestamp],
        P::DbNull => V::Null,
    ))
}

fn value(value: pg::Value) -> v3::DbValue {
    use pg::Value as V;
    use v3::DbValue as D;
    convert!(value, V => D,
        [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary, Date, Time, Datetime, Timestamp],
        V::Null => D::DbNull,
        _ => D::Unsupported,
    )
}

fn data_type(ty: pg::DataType) -> v3::DbDataType {
    use pg::DataType as P;
    use v3::DbDataType as T;
    convert_unit!(ty, P => T,
        [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary, Date, Time, Datetime, Timestamp],
        _ => T::Other,
    )
}

impl From<pg::Error> for v3::Error {
    fn from(err: pg::Error) -> Self {
        use pg::Error as E;
        use v3::Error as V;
        convert_error!(err, E => V, query: |q: pg::QueryError| q.to_string(), other: Other)
    }
}

impl v3::Host for HostState {}

host_connection!(v3, v3, PgConnectionHandle, open: open_pg, get: pg, params: |p| collect(p, param), execute: u64,
    data_type: data_type, value: value);
