//! Outbound PostgreSQL for Preview 3 guests: `spin:postgres/postgres@4.2.0`,
//! what the Rust `spin-sdk` 7 imports (and, by semver, 4.1.0 imports).
//!
//! 4.2.0 is 4.0.0 plus a `connection-builder` that takes a CA root for TLS,
//! and `async func` twins of `open`, `query`, `execute` and `build`. The
//! `async func`s are concurrent host functions: each reaches the
//! [`HostState`] only inside short [`Accessor::with`] calls and awaits the
//! server with the store released. The plain functions block their caller,
//! as in 4.0.0. Everything else is [`super`]'s: the same grant check
//! (a host `allowed_outbound_hosts` does not list is `connection-failed`),
//! the same per-app pool, the same connection handles and the same
//! value conversions.
//!
//! `query-async` answers with the columns, a stream of rows and a future of
//! the outcome. The backend returns a query's rows all at once, so every
//! failure is known before the call returns and comes back as the call's
//! own `error`; the stream then carries every row and the future is `ok`.
//!
//! [`Accessor::with`]: wasmtime::component::Accessor::with

use kiln_outbound_pg as pg;
use wasmtime::component::{HasSelf, Resource};

use super::PgConnectionHandle;
use crate::rdbms_common::{connect_p3, each, host_connection, p3_statements, Trappable};
use crate::shared::{caps, handle, push, P3};
use crate::HostState;

crate::shared::host_bindings!("kiln:host/postgres-p3" => PostgresP3, with: {
    "spin:postgres/postgres.connection": crate::postgres::PgConnectionHandle,
    "spin:postgres/postgres.connection-builder": crate::postgres::p3::ConnectionBuilderHandle,
});

use bindings::spin::postgres4_2_0::postgres as v4;

/// The 4.2.0 conversions (the same code as 4.0.0's, for 4.2.0's types).
mod convert {
    super::super::pg_v4_conversions!(crate::postgres::p3::bindings::spin::postgres4_2_0::postgres);
}
use convert::{pg_param_v4 as param, pg_type_v4 as data_type, pg_value_v4 as value};

/// A `connection-builder` as a guest holds it: the settings gathered so far.
pub struct ConnectionBuilderHandle {
    address: String,
    ca_root: Option<String>,
}

type Outcome<T> = Trappable<Result<T, v4::Error>>;

/// Checks the grant, connects without holding the store, and hands the
/// guest its connection.
async fn open<T>(accessor: &P3<T>, address: &str, ca_root: Option<&str>) -> Outcome<Resource<PgConnectionHandle>> {
    let (caps, component) = caps(accessor);
    let allowed = super::allowed(&caps.outbound, address);
    let opened = connect_p3(&component, "PostgreSQL", allowed, caps.postgres.pooled(address, ca_root)).await;
    Ok(match opened {
        Ok(connection) => push(accessor, PgConnectionHandle(connection), |e| v4::Error::Other(e.to_string())),
        Err(err) => Err(err.into()),
    })
}

impl v4::Host for HostState {}

impl v4::HostConnectionBuilder for HostState {
    async fn new(&mut self, address: String) -> Trappable<Resource<ConnectionBuilderHandle>> {
        Ok(self.table.push(ConnectionBuilderHandle { address, ca_root: None })?)
    }

    async fn set_ca_root(&mut self, this: Resource<ConnectionBuilderHandle>, certificate: String) -> Outcome<()> {
        if let Err(err) = pg::check_ca_root(&certificate) {
            return Ok(Err(err.into()));
        }
        self.table.get_mut(&this)?.ca_root = Some(certificate);
        Ok(Ok(()))
    }

    async fn build(&mut self, this: Resource<ConnectionBuilderHandle>) -> Outcome<Resource<PgConnectionHandle>> {
        let builder = self.table.get(&this)?;
        let (address, ca_root) = (builder.address.clone(), builder.ca_root.clone());
        Ok(self.open_pg_with_ca_root(&address, ca_root.as_deref()).await.map_err(Into::into))
    }

    async fn drop(&mut self, this: Resource<ConnectionBuilderHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

// The plain functions block their caller, as in 4.0.0.
host_connection!(v4, v4, PgConnectionHandle, open: open_pg, get: pg, params: each(param), execute: u64,
    data_type: data_type, value: value);

impl<T> v4::HostConnectionBuilderWithStore<T> for HasSelf<HostState> {
    async fn build_async(accessor: &P3<T>, this: Resource<ConnectionBuilderHandle>) -> Outcome<Resource<PgConnectionHandle>> {
        let (address, ca_root) = handle(accessor, &this, |b| (b.address.clone(), b.ca_root.clone()))?;
        open(accessor, &address, ca_root.as_deref()).await
    }
}

impl<T> v4::HostConnectionWithStore<T> for HasSelf<HostState> {
    async fn open_async(accessor: &P3<T>, address: String) -> Outcome<Resource<PgConnectionHandle>> {
        open(accessor, &address, None).await
    }

    p3_statements!(v4, PgConnectionHandle, query: query_async, execute: execute_async -> u64, error: v4::Error::from,
        param: param, data_type: data_type, value: value);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ComponentCapabilities;

    fn state(allowed_hosts: &[&str]) -> HostState {
        let mut caps = ComponentCapabilities::none();
        caps.outbound =
            Arc::new(kiln_outbound_networking::OutboundPolicy::new(allowed_hosts).unwrap());
        let mut builder = HostState::builder(Arc::from("test"));
        builder.capabilities(Arc::new(caps));
        builder.build()
    }

    fn denied<T>(outcome: Result<T, v4::Error>) -> bool {
        matches!(outcome, Err(v4::Error::ConnectionFailed(m)) if m.contains("not allowed"))
    }

    /// The blocking functions the SDK does not call check grants too.
    #[tokio::test]
    async fn unlisted_servers_are_connection_failed_for_open_and_build() {
        let mut state = state(&["postgres://127.0.0.1:5433"]);
        let address = "postgres://postgres@127.0.0.1:5432/test".to_string();
        let opened = v4::HostConnection::open(&mut state, address.clone())
            .await
            .unwrap();
        assert!(denied(opened));
        let builder = v4::HostConnectionBuilder::new(&mut state, address)
            .await
            .unwrap();
        let handle = Resource::new_borrow(builder.rep());
        let built = v4::HostConnectionBuilder::build(&mut state, handle)
            .await
            .unwrap();
        assert!(denied(built));
    }

    #[tokio::test]
    async fn a_ca_root_must_be_pem() {
        let mut state = state(&[]);
        let builder = v4::HostConnectionBuilder::new(&mut state, "host=h".to_string())
            .await
            .unwrap();
        let handle = Resource::new_borrow(builder.rep());
        let set = v4::HostConnectionBuilder::set_ca_root(&mut state, handle, "junk".into())
            .await
            .unwrap();
        assert!(matches!(set, Err(v4::Error::Other(m)) if m.contains("CA root")));
    }
}
