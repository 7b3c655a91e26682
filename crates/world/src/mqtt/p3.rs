//! Outbound MQTT for Preview 3 guests: Spin 3 `spin:mqtt/mqtt@3.0.0`, what
//! the Rust `spin-sdk` 7 imports.
//!
//! Its functions are component-model `async func`s, so they are concurrent
//! host functions: each reaches the [`HostState`] only inside short
//! [`Accessor::with`] calls and awaits the broker with the store released.
//! Everything else is [`crate::mqtt`]'s: the same grant check (an address
//! `allowed_outbound_hosts` does not list is `invalid-address`), the same
//! process-wide cached broker sessions and the same connection handles.

use kiln_outbound_mqtt::{Error, Qos};
use wasmtime::component::{Accessor, HasSelf, Linker, Resource};

use crate::mqtt::ConnectionHandle;
use crate::HostState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/mqtt-p3",
        imports: { default: async | trappable },
        with: {
            "spin:mqtt/mqtt.connection": crate::mqtt::ConnectionHandle,
        },
    });
}

use bindings::spin::mqtt::mqtt as v3;

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &["spin:mqtt/mqtt@3.0.0"];

/// Adds `spin:mqtt/mqtt@3.0.0` to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::MqttP3::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

type Trappable<T> = wasmtime::Result<T>;
type Outcome<T> = Trappable<Result<T, v3::Error>>;

fn v3_error(err: Error) -> v3::Error {
    match err {
        Error::InvalidAddress(_) => v3::Error::InvalidAddress,
        Error::TooManyConnections => v3::Error::TooManyConnections,
        Error::ConnectionFailed(message) => v3::Error::ConnectionFailed(message),
        Error::Other(message) => v3::Error::Other(message),
    }
}

fn qos(qos: v3::Qos) -> Qos {
    match qos {
        v3::Qos::AtMostOnce => Qos::AtMostOnce,
        v3::Qos::AtLeastOnce => Qos::AtLeastOnce,
        v3::Qos::ExactlyOnce => Qos::ExactlyOnce,
    }
}

impl v3::Host for HostState {}

impl v3::HostConnection for HostState {
    async fn drop(&mut self, this: Resource<ConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl<T> v3::HostConnectionWithStore<T> for HasSelf<HostState> {
    async fn open(
        accessor: &Accessor<T, Self>,
        address: String,
        username: String,
        password: String,
        keep_alive_interval_in_secs: u64,
    ) -> Outcome<Resource<ConnectionHandle>> {
        let (policy, component, pool) = accessor.with(|mut access| {
            let state = access.get();
            (state.caps.outbound.clone(), state.component_id.clone(), state.caps.clients.mqtt.clone())
        });
        if !crate::mqtt::allowed(&policy, &address).await {
            tracing::debug!(%component, "MQTT address not allowed by allowed_outbound_hosts");
            return Ok(Err(v3::Error::InvalidAddress));
        }
        let connection = match crate::mqtt::open(&pool, &address, &username, &password, keep_alive_interval_in_secs).await {
            Ok(connection) => connection,
            Err(err) => {
                tracing::debug!(%component, error = %err, "MQTT open failed");
                return Ok(Err(v3_error(err)));
            }
        };
        Ok(accessor.with(|mut access| {
            access.get().table.push(ConnectionHandle(connection)).map_err(|_| v3::Error::TooManyConnections)
        }))
    }

    async fn publish(
        accessor: &Accessor<T, Self>,
        this: Resource<ConnectionHandle>,
        topic: String,
        payload: Vec<u8>,
        qos: v3::Qos,
    ) -> Outcome<()> {
        let connection = accessor.with(|mut access| Ok::<_, wasmtime::Error>(access.get().table.get(&this)?.0.clone()))?;
        Ok(connection.publish(&topic, payload, self::qos(qos)).await.map_err(v3_error))
    }
}
