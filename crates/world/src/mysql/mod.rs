//! Outbound MySQL over [`kiln_outbound_mysql`], one module per interface
//! version: Spin 1 `fermyon:spin/mysql` (`spin1`), `@2.0.0` (`v2`) and
//! Preview 3's `spin:mysql/mysql@3.0.0` (`p3`), all over the same pools,
//! grant check and handles.
//!
//! * Runtime config: none (the result cap is `--max-buffered-bytes`).
//! * App state: [`AppState`], the app's pools and result cap.
//! * Per-instance state: [`MysqlConnectionHandle`]s in the resource table.
//!
//! Before connecting, the host and port of the address must be granted by
//! the component's `allowed_outbound_hosts` (`mysql://host:port`);
//! otherwise the guest gets its interface's `connection-failed` error.
//! Pools live in the app's [`AppState`] (built with the app, dropped with
//! it). Addresses carry credentials, so they are never logged nor echoed in
//! errors.

mod p3;
mod spin1;
mod v2;

use std::sync::Arc;

use kiln_outbound_mysql as mysql;
use kiln_outbound_networking::OutboundPolicy;
use wasmtime::component::{Linker, Resource};

use crate::rdbms_common::{bindings, link_interfaces, not_allowed};
use crate::HostState;

/// The interfaces this capability defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &["fermyon:spin/mysql", "fermyon:spin/mysql@2.0.0", "spin:mysql/mysql@3.0.0"];

/// Adds every MySQL interface version (Preview 3 included) to `linker`; the
/// shared `rdbms-types` come from [`crate::rdbms_common`].
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    use bindings::fermyon::{spin::mysql as v1, spin2_0_0::mysql as v2};
    link_interfaces!(linker, [v1, v2]);
    p3::bindings::add_to_linker(linker)
}

/// An app's MySQL state: its pools by address, and the cap on one result
/// set. Shared by the app's components; dropped with the app.
pub struct AppState {
    pools: mysql::Pools,
    max_result_bytes: usize,
}

impl AppState {
    /// No pools yet; results capped at `max_result_bytes`.
    pub fn new(max_result_bytes: usize) -> Self {
        Self { pools: mysql::Pools::new(), max_result_bytes }
    }

    /// A connection from this app's pool for `address` (no permission check).
    pub(crate) async fn pooled(&self, address: &str) -> Result<Arc<dyn mysql::Connection>, mysql::Error> {
        Ok(Arc::new(self.pools.open(address).await?.with_max_result_bytes(self.max_result_bytes)))
    }
}

/// A MySQL connection as a guest holds it (every interface version).
pub struct MysqlConnectionHandle(pub(crate) Arc<dyn mysql::Connection>);

/// Whether the component may reach the MySQL server at `address`; a
/// refusal is `connection-failed`.
pub(crate) async fn allowed(policy: &OutboundPolicy, address: &str) -> Result<(), mysql::Error> {
    let (host, port) = mysql::endpoint(address)?;
    if !policy.allows_connect("mysql", &host, port).await {
        return Err(mysql::Error::ConnectionFailed(not_allowed("mysql", &host, port)));
    }
    Ok(())
}

impl HostState {
    async fn open_mysql(&mut self, address: &str) -> Result<Resource<MysqlConnectionHandle>, mysql::Error> {
        allowed(&self.caps.outbound, address).await?;
        let connection = self.caps.mysql.pooled(address).await?;
        self.table.push(MysqlConnectionHandle(connection)).map_err(|e| mysql::Error::Other(e.to_string()))
    }

    fn mysql(&self, handle: &Resource<MysqlConnectionHandle>) -> wasmtime::Result<Arc<dyn mysql::Connection>> {
        Ok(self.table.get(handle)?.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdbms_common::bindings::fermyon::spin::mysql as mysql_v1;
    use crate::rdbms_common::bindings::fermyon::spin2_0_0::mysql as mysql_v2;
    use crate::rdbms_common::types_v2 as v2;
    use crate::ComponentCapabilities;

    const MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

    /// 50 rows of 100,000 bytes each.
    const BIG: &str = "SELECT REPEAT('x', 100000) AS v FROM \
        (SELECT 1 FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) a, \
        (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 \
        UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10) b) t";

    fn mysql_available() -> bool {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 3306));
        let up = std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2)).is_ok();
        if !up {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "MySQL is required in CI");
            eprintln!("SKIPPED: MySQL is not reachable on 127.0.0.1:3306");
        }
        up
    }

    /// A guest's state with MySQL granted and results capped at 1 MiB.
    fn state() -> HostState {
        let mut caps = ComponentCapabilities::none();
        caps.outbound = Arc::new(OutboundPolicy::new(&["mysql://127.0.0.1:3306"]).unwrap());
        caps.mysql = Arc::new(AppState::new(1 << 20));
        let mut builder = HostState::builder(Arc::from("test"));
        builder.capabilities(Arc::new(caps));
        builder.build()
    }

    /// The component's cap reaches the MySQL connections it opens, in
    /// `@2.0.0` and Spin 1 (the end-to-end test covers PostgreSQL and
    /// SQLite; no test guest runs arbitrary MySQL).
    #[tokio::test]
    async fn mysql_results_are_capped_by_the_components_limit() {
        if !mysql_available() {
            return;
        }
        let mut state = state();
        let conn = mysql_v2::HostConnection::open(&mut state, MYSQL_URL.into()).await.unwrap().unwrap();
        let handle = || Resource::<MysqlConnectionHandle>::new_borrow(conn.rep());
        let big = mysql_v2::HostConnection::query(&mut state, handle(), BIG.into(), vec![]).await.unwrap();
        let Err(v2::Error::QueryFailed(message)) = big else { panic!("expected the cap: {big:?}") };
        assert!(message.contains("1048576-byte limit"), "{message}");
        let small = mysql_v2::HostConnection::query(&mut state, handle(), "SELECT 1".into(), vec![]).await.unwrap();
        assert_eq!(small.map(|rows| rows.rows.len()).ok(), Some(1));

        let big = mysql_v1::Host::query(&mut state, MYSQL_URL.into(), BIG.into(), vec![]).await.unwrap();
        let Err(mysql_v1::MysqlError::QueryFailed(message)) = big else { panic!("expected the cap: {big:?}") };
        assert!(message.contains("1048576-byte limit"), "{message}");
    }
}
