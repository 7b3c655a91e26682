//! Outbound MySQL for Preview 3 guests: Spin 3 `spin:mysql/mysql@3.0.0`,
//! what the Rust `spin-sdk` 7 imports.
//!
//! Its functions are component-model `async func`s, so they are concurrent
//! host functions: each reaches the [`HostState`] only inside short
//! [`Accessor::with`] calls and awaits the server with the store released.
//! Everything else is [`super`]'s: the same grant check
//! (a server `allowed_outbound_hosts` does not list is `connection-failed`),
//! the same per-app pools and the same connection handles.
//!
//! `query` answers with the columns, a stream of rows and a future of the
//! outcome. The backend returns a query's rows all at once, so every failure
//! is known before the call returns and comes back as the call's own
//! `error`; the stream then carries every row and the future is always `ok`.
//!
//! [`Accessor::with`]: wasmtime::component::Accessor::with

use kiln_outbound_mysql as mysql;
use wasmtime::component::{HasSelf, Resource};

use super::MysqlConnectionHandle;
use crate::rdbms_common::{connect_p3, p3_statements, Trappable};
use crate::shared::{caps, push, P3};
use crate::HostState;

crate::shared::host_bindings!("kiln:host/mysql-p3" => MysqlP3, with: {
    "spin:mysql/mysql.connection": crate::mysql::MysqlConnectionHandle,
});

use bindings::spin::mysql::mysql as v3;

type Outcome<T> = Trappable<Result<T, v3::Error>>;

fn error(err: mysql::Error) -> v3::Error {
    use mysql::Error as E;
    use v3::Error as V;
    crate::rdbms_common::convert_error!(err, E => V, query: std::convert::identity, other: Other)
}

/// The 3.0.0 conversions (the same as 2.0.0's, for 3.0.0's types).
mod convert {
    super::super::v2::mysql_conversions!(crate::mysql::p3::bindings::spin::mysql::mysql);
}
use convert::{data_type, param, value};

crate::shared::p3_resource!(v3::Host, v3::HostConnection, MysqlConnectionHandle);

impl<T> v3::HostConnectionWithStore<T> for HasSelf<HostState> {
    async fn open(accessor: &P3<T>, address: String) -> Outcome<Resource<MysqlConnectionHandle>> {
        let (caps, component) = caps(accessor);
        let allowed = super::allowed(&caps.outbound, &address);
        let opened = connect_p3(&component, "MySQL", allowed, caps.mysql.pooled(&address)).await;
        Ok(match opened {
            Ok(connection) => push(accessor, MysqlConnectionHandle(connection), |e| v3::Error::Other(e.to_string())),
            Err(err) => Err(error(err)),
        })
    }

    p3_statements!(v3, MysqlConnectionHandle, query: query, execute: execute -> (), error: error,
        param: param, data_type: data_type, value: value);
}
