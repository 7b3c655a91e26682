//! Spin 1 `fermyon:spin/key-value`: stores as `u32` handles (the rep of a
//! [`StoreHandle`] in the resource table).

use std::sync::Arc;

use kiln_key_value::{Error, Store};
use wasmtime::component::Resource;

use super::bindings::fermyon::spin::key_value as v1;
use super::{spin_error, StoreHandle};
use crate::shared::Trappable;
use crate::HostState;

fn error(err: Error) -> v1::Error {
    spin_error!(err, v1, Io)
}

impl HostState {
    /// The store behind a Spin 1 handle: the rep of a table entry.
    fn v1_store(&self, handle: u32) -> Result<Arc<dyn Store>, v1::Error> {
        self.table
            .get(&Resource::<StoreHandle>::new_own(handle))
            .map(|h| h.0.clone())
            .map_err(|_| v1::Error::InvalidStore)
    }
}

/// The store behind a Spin 1 handle, or the interface's error for the call.
macro_rules! v1_store {
    ($state:expr, $handle:expr) => {
        match $state.v1_store($handle) {
            Ok(store) => store,
            Err(err) => return Ok(Err(err)),
        }
    };
}

impl v1::Host for HostState {
    async fn open(&mut self, name: String) -> Trappable<Result<u32, v1::Error>> {
        Ok(self.open_store(&name).await.map(|r| r.rep()).map_err(error))
    }

    async fn get(&mut self, store: u32, key: String) -> Trappable<Result<Vec<u8>, v1::Error>> {
        let store = v1_store!(self, store);
        Ok(match store.get(&key).await {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(v1::Error::NoSuchKey),
            Err(err) => Err(error(err)),
        })
    }

    async fn set(&mut self, store: u32, key: String, value: Vec<u8>) -> Trappable<Result<(), v1::Error>> {
        let store = v1_store!(self, store);
        Ok(store.set(&key, &value).await.map_err(error))
    }

    async fn delete(&mut self, store: u32, key: String) -> Trappable<Result<(), v1::Error>> {
        let store = v1_store!(self, store);
        Ok(store.delete(&key).await.map_err(error))
    }

    async fn exists(&mut self, store: u32, key: String) -> Trappable<Result<bool, v1::Error>> {
        let store = v1_store!(self, store);
        Ok(store.exists(&key).await.map_err(error))
    }

    async fn get_keys(&mut self, store: u32) -> Trappable<Result<Vec<String>, v1::Error>> {
        let store = v1_store!(self, store);
        Ok(store.get_keys().await.map_err(error))
    }

    async fn close(&mut self, store: u32) -> Trappable<()> {
        // Closing an unknown handle is a no-op, as in Spin.
        let _ = self.table.delete(Resource::<StoreHandle>::new_own(store));
        Ok(())
    }
}

