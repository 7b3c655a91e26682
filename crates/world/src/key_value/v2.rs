//! Spin 2 `fermyon:spin/key-value@2.0.0`: a `store` resource.

use kiln_key_value::Error;
use wasmtime::component::Resource;

use super::bindings::fermyon::spin2_0_0::key_value as v2;
use super::{spin_error, store_methods, StoreHandle};
use crate::shared::Trappable;
use crate::HostState;

fn error(err: Error) -> v2::Error {
    spin_error!(err, v2, Other)
}

impl v2::Host for HostState {}

impl v2::HostStore for HostState {
    async fn open(&mut self, label: String) -> Trappable<Result<Resource<StoreHandle>, v2::Error>> {
        Ok(self.open_store(&label).await.map_err(error))
    }

    store_methods!(error, v2::Error);

    async fn get_keys(&mut self, this: Resource<StoreHandle>) -> Trappable<Result<Vec<String>, v2::Error>> {
        Ok(self.store(&this)?.get_keys().await.map_err(error))
    }
}
