//! Spin 1 `fermyon:spin/config`.

use kiln_variables::Error;

use super::bindings::fermyon::spin::config as v1;
use crate::shared::Trappable;
use crate::HostState;

impl v1::Host for HostState {
    async fn get_config(&mut self, key: String) -> Trappable<Result<String, v1::Error>> {
        Ok(self.variable(key).await.map_err(|err| match err {
            // Spin 1 has one case for both a malformed and an unknown key.
            Error::InvalidName(name) | Error::Undefined(name) => v1::Error::InvalidKey(name),
            Error::Provider(message) => v1::Error::Provider(message),
            other => v1::Error::Other(other.to_string()),
        }))
    }
}
