//! `fermyon:spin/mysql@2.0.0`: connection resources over the shared
//! `rdbms-types@2.0.0` values.

use kiln_outbound_mysql as mysql;
use wasmtime::component::Resource;

use super::MysqlConnectionHandle;
use crate::rdbms_common::bindings::fermyon::spin2_0_0::mysql as mysql_v2;
use crate::rdbms_common::{convert_error, row_set, types_v2 as v2, Trappable};
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

impl mysql_v2::HostConnection for HostState {
    async fn open(&mut self, address: String) -> Trappable<Result<Resource<MysqlConnectionHandle>, v2::Error>> {
        Ok(self.open_mysql(&address).await.map_err(Into::into))
    }

    async fn query(
        &mut self,
        this: Resource<MysqlConnectionHandle>,
        statement: String,
        params: Vec<v2::ParameterValue>,
    ) -> Trappable<Result<v2::RowSet, v2::Error>> {
        let connection = self.mysql(&this)?;
        let params = params.into_iter().map(param).collect();
        Ok(connection.query(&statement, params).await.map(|rows| row_set!(rows, v2, data_type, value)).map_err(Into::into))
    }

    async fn execute(
        &mut self,
        this: Resource<MysqlConnectionHandle>,
        statement: String,
        params: Vec<v2::ParameterValue>,
    ) -> Trappable<Result<(), v2::Error>> {
        let connection = self.mysql(&this)?;
        let params = params.into_iter().map(param).collect();
        Ok(connection.execute(&statement, params).await.map_err(Into::into))
    }

    async fn drop(&mut self, this: Resource<MysqlConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}
