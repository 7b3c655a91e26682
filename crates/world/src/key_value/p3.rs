//! Key-value for Preview 3 guests: Spin 3 `spin:key-value/key-value@3.0.0`,
//! what the Rust `spin-sdk` 7 imports.
//!
//! Its functions are component-model `async func`s, so they are concurrent
//! host functions: each gets an [`Accessor`] rather than the store, reaches
//! the [`HostState`] only inside short [`Accessor::with`] calls, and awaits
//! the backend with the store released, so other tasks of the same instance
//! (streaming a body, say) keep running meanwhile.
//!
//! Everything else is shared with [`super`]: the guest's `store`
//! is the same [`StoreHandle`] over the same [`kiln_key_value::Store`]s,
//! opened through the component's [`kiln_key_value::ComponentStores`], so a
//! value a Spin 2 guest set is read here and access is decided identically.
//!
//! `get-keys` answers with a stream of keys and a future of the outcome. The
//! backends list keys in one call, so the listing is done before the call
//! returns: on success the stream carries every key and the future is
//! `ok`; on failure the stream is empty and the future carries the error.
//!
//! [`Accessor::with`]: wasmtime::component::Accessor::with
//! [`Accessor`]: wasmtime::component::Accessor

use kiln_key_value::Error;
use wasmtime::component::{HasSelf, Resource};

use super::{spin_error, StoreHandle};
use crate::shared::{handle, push, streamed, Streamed, Trappable, P3};
use crate::HostState;

crate::shared::host_bindings!("kiln:host/key-value-p3" => KeyValueP3, with: {
    "spin:key-value/key-value.store": crate::key_value::StoreHandle,
});

use bindings::spin::key_value::key_value as v3;

type Outcome<T> = Trappable<Result<T, v3::Error>>;

fn error(err: Error) -> v3::Error {
    spin_error!(err, v3, Other)
}

/// The backend store behind a guest's handle.
fn store<T>(accessor: &P3<T>, this: &Resource<StoreHandle>) -> Trappable<std::sync::Arc<dyn kiln_key_value::Store>> {
    handle(accessor, this, |h| h.0.clone())
}

crate::shared::p3_resource!(v3::Host, v3::HostStore, StoreHandle);

impl<T> v3::HostStoreWithStore<T> for HasSelf<HostState> {
    async fn open(accessor: &P3<T>, label: String) -> Outcome<Resource<StoreHandle>> {
        let caps = accessor.with(|mut access| access.get().caps.clone());
        let store = match caps.key_value.open(&label).await {
            Ok(store) => store,
            Err(err) => return Ok(Err(error(err))),
        };
        Ok(push(accessor, StoreHandle(store), |_| v3::Error::StoreTableFull))
    }

    async fn get(accessor: &P3<T>, this: Resource<StoreHandle>, key: String) -> Outcome<Option<Vec<u8>>> {
        Ok(store(accessor, &this)?.get(&key).await.map_err(error))
    }

    async fn set(accessor: &P3<T>, this: Resource<StoreHandle>, key: String, value: Vec<u8>) -> Outcome<()> {
        Ok(store(accessor, &this)?.set(&key, &value).await.map_err(error))
    }

    async fn delete(accessor: &P3<T>, this: Resource<StoreHandle>, key: String) -> Outcome<()> {
        Ok(store(accessor, &this)?.delete(&key).await.map_err(error))
    }

    async fn exists(accessor: &P3<T>, this: Resource<StoreHandle>, key: String) -> Outcome<bool> {
        Ok(store(accessor, &this)?.exists(&key).await.map_err(error))
    }

    async fn get_keys(
        accessor: &P3<T>,
        this: Resource<StoreHandle>,
    ) -> Trappable<Streamed<String, v3::Error>> {
        let store = store(accessor, &this)?;
        let (keys, outcome) = match store.get_keys().await {
            Ok(keys) => (keys, Ok(())),
            Err(err) => (Vec::new(), Err(error(err))),
        };
        accessor.with(|mut access| streamed(&mut access, keys, outcome))
    }
}
