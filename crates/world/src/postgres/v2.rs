//! `fermyon:spin/postgres@2.0.0`: connection resources over the shared
//! `rdbms-types@2.0.0` values (no unsigned integers in PostgreSQL).

use super::PgConnectionHandle;
use crate::rdbms_common::bindings::fermyon::spin2_0_0::postgres as pg_v2;
use crate::rdbms_common::{collect, host_connection, types_v2 as v2};
use crate::HostState;

/// The PostgreSQL value and type conversions of an interface version whose
/// `parameter-value`, `db-value` and `db-data-type` are `rdbms-types`'
/// (Spin 1 and `@2.0.0`), and `From<pg::Error>` for an `error` variant
/// `$error` of module `$errors` (query failures as text; catch-all `$other`).
macro_rules! pg_rdbms_conversions {
    ($($iface:ident)::+, $($errors:ident)::+ => $error:ident, other: $other:ident) => {
        use kiln_outbound_pg as pg;
        use $($iface)::+ as iface;
        use $crate::rdbms_common::{convert, convert_unit};

        pub(crate) fn param(value: iface::ParameterValue) -> Result<pg::Value, String> {
            use iface::ParameterValue as P;
            use pg::Value as V;
            Ok(convert!(value, P => V, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary],
                P::Uint8(_) | P::Uint16(_) | P::Uint32(_) | P::Uint64(_) =>
                    return Err("PostgreSQL has no unsigned integer types".to_string()),
                P::DbNull => V::Null,
            ))
        }

        pub(crate) fn value(value: pg::Value) -> iface::DbValue {
            use iface::DbValue as D;
            use pg::Value as V;
            convert!(value, V => D, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary],
                V::Null => D::DbNull,
                _ => D::Unsupported,
            )
        }

        pub(crate) fn data_type(ty: pg::DataType) -> iface::DbDataType {
            use iface::DbDataType as T;
            use pg::DataType as P;
            convert_unit!(ty, P => T, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary],
                _ => T::Other)
        }

        impl From<pg::Error> for $($errors)::+::$error {
            fn from(err: pg::Error) -> Self {
                use pg::Error as E;
                use $($errors)::+::$error as V;
                $crate::rdbms_common::convert_error!(err, E => V, query: |q: pg::QueryError| q.to_string(), other: $other)
            }
        }
    };
}
pub(super) use pg_rdbms_conversions;

/// The 2.0.0 conversions.
mod convert {
    super::pg_rdbms_conversions!(crate::rdbms_common::types_v2, crate::rdbms_common::types_v2 => Error, other: Other);
}
use convert::{data_type, param, value};

impl pg_v2::Host for HostState {}

host_connection!(pg_v2, v2, PgConnectionHandle, open: open_pg, get: pg, params: |p| collect(p, param), execute: u64,
    data_type: data_type, value: value);
