//! Outbound PostgreSQL over [`kiln_outbound_pg`], one module per interface
//! version: Spin 1 `fermyon:spin/postgres` (`spin1`), `@2.0.0` (`v2`),
//! `spin:postgres/postgres@3.0.0` (`v3`), `@4.0.0` (`v4`) and Preview
//! 3's `@4.2.0` (`p3`), all over the same pool, grant check and handles.
//!
//! * Runtime config: none (the result cap is `--max-buffered-bytes`).
//! * App state: [`AppState`], the app's pool and result cap.
//! * Per-instance state: [`PgConnectionHandle`]s (and Preview 3's
//!   connection builders) in the resource table.
//!
//! Before connecting, every host and port an address names must be granted
//! by the component's `allowed_outbound_hosts` (`postgres://host:port`);
//! otherwise the guest gets its interface's `connection-failed` error.
//! Connections are pooled per address in the app's [`AppState`] (built with
//! the app, dropped with it), and each guest connection is its own until
//! the guest drops it. Addresses carry credentials, so they are never
//! logged nor echoed in errors.

mod p3;
mod spin1;
mod v2;
mod v3;
mod v4;

use std::sync::Arc;

use kiln_outbound_networking::OutboundPolicy;
use kiln_outbound_pg as pg;
use wasmtime::component::{Linker, Resource};

use crate::rdbms_common::{bindings, link_interfaces, not_allowed};
use crate::HostState;

pub(crate) use v4::pg_v4_conversions;

/// The interfaces this capability defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &[
    "fermyon:spin/postgres",
    "fermyon:spin/postgres@2.0.0",
    "spin:postgres/postgres@3.0.0",
    "spin:postgres/postgres@4.0.0",
    "spin:postgres/postgres@4.2.0",
];

/// Adds every PostgreSQL interface version (Preview 3 included) to `linker`;
/// the shared `rdbms-types` come from [`crate::rdbms_common`].
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    use bindings::fermyon::{spin::postgres as v1, spin2_0_0::postgres as v2};
    use bindings::spin::{postgres3_0_0::postgres as v3, postgres4_0_0::postgres as v4};
    link_interfaces!(linker, [v1, v2, v3, v4]);
    p3::bindings::add_to_linker(linker)
}

/// An app's PostgreSQL state: its idle connections by address, and the cap
/// on one result set. Shared by the app's components; dropped with the app.
pub struct AppState {
    pool: pg::Pool,
    max_result_bytes: usize,
}

impl AppState {
    /// No connections yet; results capped at `max_result_bytes`.
    pub fn new(max_result_bytes: usize) -> Self {
        Self { pool: pg::Pool::new(), max_result_bytes }
    }

    /// A connection from this app's pool for `address`, trusting `ca_root`
    /// for TLS (no permission check).
    pub(crate) async fn pooled(&self, address: &str, ca_root: Option<&str>) -> Result<Arc<dyn pg::Connection>, pg::Error> {
        let connection = self.pool.open_with_ca_root(address, ca_root).await?;
        Ok(Arc::new(connection.with_max_result_bytes(self.max_result_bytes)))
    }

    /// The idle connections this app's pool holds (for tests).
    #[cfg(test)]
    pub(crate) fn pool(&self) -> &pg::Pool {
        &self.pool
    }
}

/// A PostgreSQL connection as a guest holds it (every interface version).
pub struct PgConnectionHandle(pub(crate) Arc<dyn pg::Connection>);

/// Whether the component may reach every PostgreSQL host and port `address`
/// names; a refusal is `connection-failed`.
pub(crate) async fn allowed(policy: &OutboundPolicy, address: &str) -> Result<(), pg::Error> {
    for (host, port) in pg::endpoints(address)? {
        if !policy.allows_connect("postgres", &host, port).await {
            return Err(pg::Error::ConnectionFailed(not_allowed("postgres", &host, port)));
        }
    }
    Ok(())
}

impl HostState {
    pub(crate) async fn open_pg(&mut self, address: &str) -> Result<Resource<PgConnectionHandle>, pg::Error> {
        self.open_pg_with_ca_root(address, None).await
    }

    /// Opens a connection for the guest after the permission check,
    /// trusting `ca_root` (PEM) for TLS when given.
    pub(crate) async fn open_pg_with_ca_root(
        &mut self,
        address: &str,
        ca_root: Option<&str>,
    ) -> Result<Resource<PgConnectionHandle>, pg::Error> {
        allowed(&self.caps.outbound, address).await?;
        let connection = self.caps.postgres.pooled(address, ca_root).await?;
        self.table.push(PgConnectionHandle(connection)).map_err(|e| pg::Error::Other(e.to_string()))
    }

    pub(crate) fn pg(&self, handle: &Resource<PgConnectionHandle>) -> wasmtime::Result<Arc<dyn pg::Connection>> {
        Ok(self.table.get(handle)?.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{AppCapabilities, CapabilityOptions};

    const MANIFEST: &str = r#"spin_manifest_version = 2
[application]
name = "app"
[[trigger.http]]
route = "/a"
component = "a"
[[trigger.http]]
route = "/b"
component = "b"
[component.a]
source = "a.wasm"
[component.b]
source = "b.wasm"
"#;

    async fn app() -> AppCapabilities {
        let manifest = kiln_manifest::parse_str(MANIFEST, std::path::Path::new("spin.toml")).unwrap();
        AppCapabilities::new(&manifest, CapabilityOptions::default()).await.unwrap()
    }

    /// Each app owns its PostgreSQL and MySQL pools (no process-wide pool):
    /// two apps never share one, while one app's components do.
    #[tokio::test]
    async fn two_apps_get_separate_pools() {
        let manifest = kiln_manifest::parse_str(MANIFEST, std::path::Path::new("spin.toml")).unwrap();
        let (a, b) = (&manifest.components["a"], &manifest.components["b"]);
        let (first, second) = (app().await, app().await);
        let (first_a, first_b, second_a) = (first.for_component(a), first.for_component(b), second.for_component(a));
        assert!(Arc::ptr_eq(&first_a.postgres, &first_b.postgres));
        assert!(Arc::ptr_eq(&first_a.mysql, &first_b.mysql));
        assert!(!Arc::ptr_eq(&first_a.postgres, &second_a.postgres));
        assert!(!Arc::ptr_eq(&first_a.mysql, &second_a.mysql));
        assert!(!std::ptr::eq(first_a.postgres.pool(), second_a.postgres.pool()));
    }
}
