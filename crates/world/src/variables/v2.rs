//! Spin 2 `fermyon:spin/variables@2.0.0`.

use super::bindings::fermyon::spin2_0_0::variables as v2;
use super::spin_error;
use crate::shared::Trappable;
use crate::HostState;

impl v2::Host for HostState {
    async fn get(&mut self, name: String) -> Trappable<Result<String, v2::Error>> {
        Ok(self.variable(name).await.map_err(|err| spin_error!(err, v2)))
    }
}
