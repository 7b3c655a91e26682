//! Outbound MQTT host bindings: Spin 2 `fermyon:spin/mqtt@2.0.0`, over
//! [`kiln_outbound_mqtt`]'s cached broker connections.
//!
//! A component may only reach brokers its `allowed_outbound_hosts` lists
//! (`mqtt://host:port`); any other address gets the interface's own
//! `invalid-address` error, as does a malformed one. The Preview 3 version
//! (`spin:mqtt/mqtt@3.0.0`) is in [`crate::mqtt_p3`], over the same sessions. Connections are cached
//! per app (see [`crate::OutboundClients`]) by address, username, password and keep-alive interval, so
//! the instances of an app's components share a broker session instead of
//! opening one per request. Passwords are never logged.

use std::sync::Arc;

use kiln_outbound_mqtt::{Connection, ConnectionPool, Error, Qos};
use wasmtime::component::{HasSelf, Linker, Resource};

use crate::HostState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/mqtt",
        imports: { default: async | trappable },
        with: {
            "fermyon:spin/mqtt.connection": super::ConnectionHandle,
        },
    });
}

use bindings::fermyon::spin2_0_0::mqtt as v2;

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &["fermyon:spin/mqtt@2.0.0"];

/// A connection as a guest holds it: a share of a cached broker session.
pub struct ConnectionHandle(pub(crate) Arc<Connection>);

/// Opens (or reuses) a cached broker session; the caller has checked the
/// grant.
pub(crate) async fn open(
    pool: &ConnectionPool,
    address: &str,
    username: &str,
    password: &str,
    keep_alive_secs: u64,
) -> Result<Arc<Connection>, Error> {
    pool.open(address, username, password, keep_alive_secs).await
}

/// Adds `fermyon:spin/mqtt@2.0.0` to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::Mqtt::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

type Trappable<T> = wasmtime::Result<T>;

impl From<Error> for v2::Error {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidAddress(_) => v2::Error::InvalidAddress,
            Error::TooManyConnections => v2::Error::TooManyConnections,
            Error::ConnectionFailed(message) => v2::Error::ConnectionFailed(message),
            Error::Other(message) => v2::Error::Other(message),
        }
    }
}

impl From<v2::Qos> for Qos {
    fn from(qos: v2::Qos) -> Self {
        match qos {
            v2::Qos::AtMostOnce => Qos::AtMostOnce,
            v2::Qos::AtLeastOnce => Qos::AtLeastOnce,
            v2::Qos::ExactlyOnce => Qos::ExactlyOnce,
        }
    }
}

/// Whether the component may reach the broker `address` names: its
/// `mqtt://host:port` (1883 when the port is left out) must be allowed, and
/// not lead into `block_networks`.
pub(crate) async fn allowed(policy: &kiln_outbound_networking::OutboundPolicy, address: &str) -> bool {
    policy.allows_connect_url(address).await
}

impl v2::Host for HostState {}

impl v2::HostConnection for HostState {
    async fn open(
        &mut self,
        address: String,
        username: String,
        password: String,
        keep_alive_interval_in_secs: u64,
    ) -> Trappable<Result<Resource<ConnectionHandle>, v2::Error>> {
        if !allowed(&self.caps.outbound, &address).await {
            tracing::debug!(component = %self.component_id, "MQTT address not allowed by allowed_outbound_hosts");
            return Ok(Err(v2::Error::InvalidAddress));
        }
        let opened = open(&self.caps.clients.mqtt, &address, &username, &password, keep_alive_interval_in_secs).await;
        let connection = match opened {
            Ok(connection) => connection,
            Err(err) => {
                tracing::debug!(component = %self.component_id, error = %err, "MQTT open failed");
                return Ok(Err(err.into()));
            }
        };
        // A full table is the closest the interface has to "too many open".
        Ok(self.table.push(ConnectionHandle(connection)).map_err(|_| v2::Error::TooManyConnections))
    }

    async fn publish(
        &mut self,
        this: Resource<ConnectionHandle>,
        topic: String,
        payload: Vec<u8>,
        qos: v2::Qos,
    ) -> Trappable<Result<(), v2::Error>> {
        let connection = self.table.get(&this)?.0.clone();
        Ok(connection.publish(&topic, payload, qos.into()).await.map_err(Into::into))
    }

    async fn drop(&mut self, this: Resource<ConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ComponentCapabilities;

    fn state(allowed_hosts: &[&str]) -> HostState {
        let mut caps = ComponentCapabilities::none();
        caps.outbound = Arc::new(kiln_outbound_networking::OutboundPolicy::new(allowed_hosts).unwrap());
        let mut builder = HostState::builder(Arc::from("test"));
        builder.capabilities(Arc::new(caps));
        builder.build()
    }

    #[tokio::test]
    async fn only_listed_brokers_are_allowed() {
        let state = state(&["mqtt://127.0.0.1:1883", "mqtt://broker.example.com"]);
        let policy = &state.caps.outbound;
        assert!(allowed(policy, "mqtt://127.0.0.1:1883?client_id=a").await);
        assert!(allowed(policy, "mqtt://broker.example.com?client_id=a").await);
        assert!(!allowed(policy, "mqtt://127.0.0.1:1884?client_id=a").await);
        assert!(!allowed(policy, "mqtt://10.0.0.1:1883?client_id=a").await);
        assert!(!allowed(policy, "not a url").await);
    }

    #[tokio::test]
    async fn an_unlisted_broker_is_invalid_address_not_a_trap() {
        let mut state = state(&[]);
        let opened =
            v2::HostConnection::open(&mut state, "mqtt://127.0.0.1:1883?client_id=a".into(), "".into(), "".into(), 30)
                .await
                .unwrap();
        assert!(matches!(opened, Err(v2::Error::InvalidAddress)));
    }
}
