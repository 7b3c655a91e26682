//! Spin 2 `fermyon:spin/mqtt@2.0.0`: a `connection` resource.

use wasmtime::component::Resource;

use super::bindings::fermyon::spin2_0_0::mqtt as v2;
use super::{conversions, ConnectionHandle};
use crate::shared::Trappable;
use crate::HostState;

conversions!(v2);

impl v2::Host for HostState {}

impl v2::HostConnection for HostState {
    async fn open(
        &mut self,
        address: String,
        username: String,
        password: String,
        keep_alive_interval_in_secs: u64,
    ) -> Trappable<Result<Resource<ConnectionHandle>, v2::Error>> {
        let opened =
            super::open(&self.caps, &self.component_id, &address, &username, &password, keep_alive_interval_in_secs).await;
        let connection = match opened {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(error(err))),
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
        Ok(connection.publish(&topic, payload, self::qos(qos)).await.map_err(error))
    }

    async fn drop(&mut self, this: Resource<ConnectionHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}
