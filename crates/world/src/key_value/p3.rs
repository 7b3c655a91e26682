//! Key-value for Preview 3 guests: Spin 3 `spin:key-value/key-value@3.0.0`,
//! what the Rust `spin-sdk` 7 imports.
//!
//! Its functions are component-model `async func`s, so they are concurrent
//! host functions: each gets an [`Accessor`] rather than the store, reaches
//! the [`HostState`] only inside short [`Accessor::with`] calls, and awaits
//! the backend with the store released, so other tasks of the same instance
//! (streaming a body, say) keep running meanwhile.
//!
//! Everything else is shared with [`crate::key_value`]: the guest's `store`
//! is the same [`StoreHandle`] over the same [`kiln_key_value::Store`]s,
//! opened through the component's [`kiln_key_value::ComponentStores`], so a
//! value a Spin 2 guest set is read here and access is decided identically.
//!
//! `get-keys` answers with a stream of keys and a future of the outcome. The
//! backends list keys in one call, so the listing is done before the call
//! returns: on success the stream carries every key and the future is
//! `ok`; on failure the stream is empty and the future carries the error.

use std::sync::Arc;

use kiln_key_value::{Error, Store};
use wasmtime::component::{Accessor, FutureReader, HasSelf, Linker, Resource, StreamReader};

use crate::key_value::StoreHandle;
use crate::HostState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/key-value-p3",
        imports: { default: async | trappable },
        with: {
            "spin:key-value/key-value.store": crate::key_value::StoreHandle,
        },
    });
}

use bindings::spin::key_value::key_value as v3;

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &["spin:key-value/key-value@3.0.0"];

/// Adds `spin:key-value/key-value@3.0.0` to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::KeyValueP3::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

type Trappable<T> = wasmtime::Result<T>;
type Outcome<T> = Trappable<Result<T, v3::Error>>;

fn v3_error(err: Error) -> v3::Error {
    match err {
        Error::NoSuchStore => v3::Error::NoSuchStore,
        Error::AccessDenied => v3::Error::AccessDenied,
        Error::StoreTableFull => v3::Error::StoreTableFull,
        Error::Other(message) => v3::Error::Other(message),
    }
}

/// The backend store behind a guest's handle (a stale handle traps, as for
/// every resource).
fn store_of<T>(
    accessor: &Accessor<T, HasSelf<HostState>>,
    handle: &Resource<StoreHandle>,
) -> Trappable<Arc<dyn Store>> {
    accessor.with(|mut access| Ok(access.get().table.get(handle)?.0.clone()))
}

impl v3::Host for HostState {}

impl v3::HostStore for HostState {
    async fn drop(&mut self, this: Resource<StoreHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl<T> v3::HostStoreWithStore<T> for HasSelf<HostState> {
    async fn open(accessor: &Accessor<T, Self>, label: String) -> Outcome<Resource<StoreHandle>> {
        let caps = accessor.with(|mut access| access.get().caps.clone());
        let store = match caps.key_value.open(&label).await {
            Ok(store) => store,
            Err(err) => return Ok(Err(v3_error(err))),
        };
        Ok(accessor.with(|mut access| {
            access
                .get()
                .table
                .push(StoreHandle(store))
                .map_err(|_| v3::Error::StoreTableFull)
        }))
    }

    async fn get(accessor: &Accessor<T, Self>, this: Resource<StoreHandle>, key: String) -> Outcome<Option<Vec<u8>>> {
        Ok(store_of(accessor, &this)?.get(&key).await.map_err(v3_error))
    }

    async fn set(
        accessor: &Accessor<T, Self>,
        this: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> Outcome<()> {
        Ok(store_of(accessor, &this)?.set(&key, &value).await.map_err(v3_error))
    }

    async fn delete(accessor: &Accessor<T, Self>, this: Resource<StoreHandle>, key: String) -> Outcome<()> {
        Ok(store_of(accessor, &this)?.delete(&key).await.map_err(v3_error))
    }

    async fn exists(accessor: &Accessor<T, Self>, this: Resource<StoreHandle>, key: String) -> Outcome<bool> {
        Ok(store_of(accessor, &this)?.exists(&key).await.map_err(v3_error))
    }

    async fn get_keys(
        accessor: &Accessor<T, Self>,
        this: Resource<StoreHandle>,
    ) -> Trappable<(StreamReader<String>, FutureReader<Result<(), v3::Error>>)> {
        let store = store_of(accessor, &this)?;
        let (keys, outcome) = match store.get_keys().await {
            Ok(keys) => (keys, Ok(())),
            Err(err) => (Vec::new(), Err(v3_error(err))),
        };
        accessor.with(|mut access| {
            let keys = StreamReader::new(&mut access, keys)?;
            let outcome = FutureReader::new(&mut access, std::future::ready(Ok::<_, wasmtime::Error>(outcome)))?;
            Ok((keys, outcome))
        })
    }
}
