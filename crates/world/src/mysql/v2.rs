//! `fermyon:spin/mysql@2.0.0`: connection resources over the shared
//! `rdbms-types@2.0.0` values.

use kiln_outbound_mysql as mysql;

use super::MysqlConnectionHandle;
use crate::rdbms_common::bindings::fermyon::spin2_0_0::mysql as mysql_v2;
use crate::rdbms_common::{convert_error, each, host_connection, types_v2 as v2};
use crate::HostState;

/// The MySQL value and type conversions of an interface version whose
/// `parameter-value`, `db-value` and `db-data-type` are `rdbms-types`'
/// (Spin 1, `@2.0.0`, and Preview 3's 3.0.0).
macro_rules! mysql_conversions {
    ($($iface:ident)::+) => {
        use kiln_outbound_mysql as mysql;
        use $($iface)::+ as iface;
        use $crate::rdbms_common::{convert, convert_unit};

        pub(crate) fn param(value: iface::ParameterValue) -> mysql::Value {
            use mysql::Value as V;
            use iface::ParameterValue as P;
            convert!(value, P => V, [Boolean, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64,
                    Floating32, Floating64, Str, Binary],
                P::DbNull => V::Null,
            )
        }

        pub(crate) fn value(value: mysql::Value) -> iface::DbValue {
            use mysql::Value as V;
            use iface::DbValue as D;
            convert!(value, V => D, [Boolean, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64,
                    Floating32, Floating64, Str, Binary],
                V::Null => D::DbNull,
                V::Unsupported => D::Unsupported,
            )
        }

        pub(crate) fn data_type(ty: mysql::DataType) -> iface::DbDataType {
            use mysql::DataType as M;
            use iface::DbDataType as T;
            convert_unit!(ty, M => T, [Boolean, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64,
                Floating32, Floating64, Str, Binary, Other])
        }
    };
}
pub(super) use mysql_conversions;

/// The 2.0.0 conversions.
mod convert {
    super::mysql_conversions!(crate::rdbms_common::types_v2);
}
use convert::{data_type, param, value};

impl From<mysql::Error> for v2::Error {
    fn from(err: mysql::Error) -> Self {
        use mysql::Error as E;
        use v2::Error as V;
        convert_error!(err, E => V, query: std::convert::identity, other: Other)
    }
}

impl mysql_v2::Host for HostState {}

host_connection!(mysql_v2, v2, MysqlConnectionHandle, open: open_mysql, get: mysql, params: each(param), execute: (),
    data_type: data_type, value: value);
