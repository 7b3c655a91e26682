//! Spin 1 `fermyon:spin/mysql`: every call names its address, so a pooled
//! connection is taken for the call and returned after it.

use std::sync::Arc;

use kiln_outbound_mysql as mysql;

use crate::rdbms_common::bindings::fermyon::spin::mysql as mysql_v1;
use crate::rdbms_common::{convert_error, spin1_host, types_v1 as v1, Trappable};
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

/// A Spin 1 call's connection and parameters, or its error.
type Call = Trappable<Result<(Arc<dyn mysql::Connection>, Vec<mysql::Value>), mysql_v1::MysqlError>>;

impl HostState {
    /// One Spin 1 call's connection and parameters: the connection is opened
    /// (permission checked) for the call, its handle dropped again.
    async fn mysql_for_call(&mut self, address: &str, params: Vec<v1::ParameterValue>) -> Call {
        let opened = self.open_mysql(address).await;
        Ok(self.for_call(opened)?.map(|handle| (handle.0, params.into_iter().map(param).collect())).map_err(error))
    }
}

spin1_host!(mysql_v1, v1, mysql_v1::MysqlError, for_call: mysql_for_call, execute: (), error: error,
    data_type: data_type, value: value);
