//! Outbound MQTT for Preview 3 guests: Spin 3 `spin:mqtt/mqtt@3.0.0`, what
//! the Rust `spin-sdk` 7 imports.
//!
//! Its functions are component-model `async func`s, so they are concurrent
//! host functions: each reaches the [`HostState`] only inside short
//! [`Accessor::with`] calls and awaits the broker with the store released.
//! Everything else is [`super`]'s: the same grant check (an address
//! `allowed_outbound_hosts` does not list is `invalid-address`), the same
//! per-app cached broker sessions and the same connection handles.
//!
//! [`Accessor::with`]: wasmtime::component::Accessor::with

use wasmtime::component::{HasSelf, Resource};

use super::{conversions, ConnectionHandle};
use crate::shared::{caps, handle, push, Trappable, P3};
use crate::HostState;

crate::shared::host_bindings!("kiln:host/mqtt-p3" => MqttP3, with: {
    "spin:mqtt/mqtt.connection": crate::mqtt::ConnectionHandle,
});

use bindings::spin::mqtt::mqtt as v3;

conversions!(v3);

type Outcome<T> = Trappable<Result<T, v3::Error>>;

crate::shared::p3_resource!(v3::Host, v3::HostConnection, ConnectionHandle);

impl<T> v3::HostConnectionWithStore<T> for HasSelf<HostState> {
    async fn open(
        accessor: &P3<T>,
        address: String,
        username: String,
        password: String,
        keep_alive_interval_in_secs: u64,
    ) -> Outcome<Resource<ConnectionHandle>> {
        let (caps, component) = caps(accessor);
        let opened = super::open(&caps, &component, &address, &username, &password, keep_alive_interval_in_secs).await;
        let connection = match opened {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(error(err))),
        };
        Ok(push(accessor, ConnectionHandle(connection), |_| v3::Error::TooManyConnections))
    }

    async fn publish(
        accessor: &P3<T>,
        this: Resource<ConnectionHandle>,
        topic: String,
        payload: Vec<u8>,
        qos: v3::Qos,
    ) -> Outcome<()> {
        let connection = handle(accessor, &this, |h| h.0.clone())?;
        Ok(connection.publish(&topic, payload, self::qos(qos)).await.map_err(error))
    }
}
