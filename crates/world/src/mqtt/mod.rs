//! Outbound MQTT over [`kiln_outbound_mqtt`]'s cached broker sessions, every
//! interface version over the same grant check, sessions and handles.
//!
//! * Runtime config: none.
//! * App state: broker sessions cached in the app's
//!   [`crate::OutboundClients`] by address, username, password and
//!   keep-alive interval, so the instances of an app's components share a
//!   session instead of opening one per request.
//! * Per-instance state: [`ConnectionHandle`]s in the resource table.
//! * Bindings: Spin 2 `fermyon:spin/mqtt@2.0.0` (`v2`) and Preview 3's
//!   `spin:mqtt/mqtt@3.0.0` (`p3`).
//!
//! A component may only reach brokers its `allowed_outbound_hosts` lists
//! (`mqtt://host:port`); any other address gets the interface's own
//! `invalid-address` error, as does a malformed one. Passwords are never
//! logged.

mod p3;
mod v2;

use std::sync::Arc;

use kiln_outbound_mqtt::{Connection, Error};
use kiln_outbound_networking::OutboundPolicy;
use wasmtime::component::Linker;

use crate::{ComponentCapabilities, HostState};

crate::shared::host_bindings!("kiln:host/mqtt" => Mqtt, with: {
    "fermyon:spin/mqtt.connection": super::ConnectionHandle,
});

/// The interfaces this capability defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &["fermyon:spin/mqtt@2.0.0", "spin:mqtt/mqtt@3.0.0"];

/// Adds every outbound MQTT interface version (Preview 3 included) to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::add_to_linker(linker)?;
    p3::bindings::add_to_linker(linker)
}

/// A connection as a guest holds it: a share of a cached broker session.
pub struct ConnectionHandle(pub(crate) Arc<Connection>);

/// Whether the component may reach the broker `address` names: its
/// `mqtt://host:port` (1883 when the port is left out) must be allowed, and
/// not lead into `block_networks`.
pub(crate) async fn allowed(policy: &OutboundPolicy, address: &str) -> bool {
    policy.allows_connect_url(address).await
}

/// The component's session with the broker at `address` (opened, or shared
/// from the app's cache), once its grant is checked; failures are logged.
pub(crate) async fn open(
    caps: &ComponentCapabilities,
    component: &str,
    address: &str,
    username: &str,
    password: &str,
    keep_alive_secs: u64,
) -> Result<Arc<Connection>, Error> {
    if !allowed(&caps.outbound, address).await {
        tracing::debug!(component, "MQTT address not allowed by allowed_outbound_hosts");
        return Err(Error::InvalidAddress("not allowed".into()));
    }
    let opened = caps.clients.mqtt.open(address, username, password, keep_alive_secs).await;
    if let Err(err) = &opened {
        tracing::debug!(component, error = %err, "MQTT open failed");
    }
    opened
}

/// The backend's error and an interface's `qos` converted for interface
/// version `$v` (the cases are the same in every version).
macro_rules! conversions {
    ($v:ident) => {
        fn error(err: kiln_outbound_mqtt::Error) -> $v::Error {
            use kiln_outbound_mqtt::Error as E;
            match err {
                E::InvalidAddress(_) => $v::Error::InvalidAddress,
                E::TooManyConnections => $v::Error::TooManyConnections,
                E::ConnectionFailed(message) => $v::Error::ConnectionFailed(message),
                E::Other(message) => $v::Error::Other(message),
            }
        }

        fn qos(qos: $v::Qos) -> kiln_outbound_mqtt::Qos {
            use kiln_outbound_mqtt::Qos as Q;
            match qos {
                $v::Qos::AtMostOnce => Q::AtMostOnce,
                $v::Qos::AtLeastOnce => Q::AtLeastOnce,
                $v::Qos::ExactlyOnce => Q::ExactlyOnce,
            }
        }
    };
}
pub(crate) use conversions;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::bindings::fermyon::spin2_0_0::mqtt as v2;
    use super::*;
    use crate::ComponentCapabilities;

    fn state(allowed_hosts: &[&str]) -> HostState {
        let mut caps = ComponentCapabilities::none();
        caps.outbound = Arc::new(OutboundPolicy::new(allowed_hosts).unwrap());
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
