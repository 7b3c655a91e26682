//! Spin 1 `fermyon:spin/mysql`: every call names its address, so a pooled
//! connection is taken for the call and returned after it.

use std::sync::Arc;

use kiln_outbound_mysql as mysql;

use crate::rdbms_common::bindings::fermyon::spin::mysql as mysql_v1;
use crate::rdbms_common::{convert_error, row_set, types_v1 as v1, Trappable};
use crate::HostState;

/// The Spin 1 conversions.
mod convert {
    super::super::v2::mysql_conversions!(crate::rdbms_common::types_v1);
}
use convert::{data_type, param, value};

fn error(err: mysql::Error) -> mysql_v1::MysqlError {
    use mysql::Error as E;
    use mysql_v1::MysqlError as V;
    convert_error!(err, E => V, query: std::convert::identity, other: OtherError)
}

impl HostState {
    /// One Spin 1 call's connection: opened (permission checked) for the
    /// call, its handle dropped again.
    async fn mysql_for_call(&mut self, address: &str) -> Trappable<Result<Arc<dyn mysql::Connection>, mysql_v1::MysqlError>> {
        let opened = self.open_mysql(address).await;
        Ok(self.for_call(opened)?.map(|handle| handle.0).map_err(error))
    }
}

impl mysql_v1::Host for HostState {
    async fn query(
        &mut self,
        address: String,
        statement: String,
        params: Vec<v1::ParameterValue>,
    ) -> Trappable<Result<v1::RowSet, mysql_v1::MysqlError>> {
        let connection = match self.mysql_for_call(&address).await? {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(err)),
        };
        let params = params.into_iter().map(param).collect();
        Ok(connection.query(&statement, params).await.map(|rows| row_set!(rows, v1, data_type, value)).map_err(error))
    }

    async fn execute(
        &mut self,
        address: String,
        statement: String,
        params: Vec<v1::ParameterValue>,
    ) -> Trappable<Result<(), mysql_v1::MysqlError>> {
        match self.mysql_for_call(&address).await? {
            Ok(connection) => Ok(connection.execute(&statement, params.into_iter().map(param).collect()).await.map_err(error)),
            Err(err) => Ok(Err(err)),
        }
    }
}
