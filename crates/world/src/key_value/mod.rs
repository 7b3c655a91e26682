//! Key-value host bindings: Spin 1 `fermyon:spin/key-value`, Spin 2
//! `fermyon:spin/key-value@2.0.0` and `wasi:keyvalue@0.2.0-draft2`
//! (`store`, `atomics`, `batch`), every one over the same
//! [`kiln_key_value::Store`]s, so a value set through one interface is read
//! back through any other.
//!
//! Which stores a component may open is decided once, by
//! [`kiln_key_value::ComponentStores`]: an unlisted label is access-denied
//! whether or not it exists, a listed but undefined one is no-such-store —
//! each mapped onto the calling interface's own error case.

use std::sync::Arc;

use kiln_key_value::{Error, Store};
use wasmtime::component::{HasSelf, Linker, Resource};

use crate::HostState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/key-value",
        imports: { default: async | trappable },
        with: {
            "fermyon:spin/key-value.store": super::StoreHandle,
            "wasi:keyvalue/store.bucket": super::StoreHandle,
            "wasi:keyvalue/atomics.cas": super::CasHandle,
        },
    });
}

use bindings::fermyon::spin::key_value as v1;
use bindings::fermyon::spin2_0_0::key_value as v2;
use bindings::wasi::keyvalue::{atomics, batch, store as wasi_store};

/// The interfaces this module defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &[
    "fermyon:spin/key-value",
    "fermyon:spin/key-value@2.0.0",
    "wasi:keyvalue/store@0.2.0-draft2",
    "wasi:keyvalue/atomics@0.2.0-draft2",
    "wasi:keyvalue/batch@0.2.0-draft2",
];

/// An open store, as a guest holds it (a Spin 2 or Spin 3 `store`, a WASI
/// `bucket` or a Spin 1 `u32` handle).
pub struct StoreHandle(pub(crate) Arc<dyn Store>);

/// A WASI `cas`: a key and the value it held when the `cas` was made.
pub struct CasHandle {
    store: Arc<dyn Store>,
    key: String,
    current: Option<Vec<u8>>,
}

/// Adds every key-value interface to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::KeyValue::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

type Trappable<T> = wasmtime::Result<T>;

impl HostState {
    async fn open_store(&mut self, label: &str) -> Result<Resource<StoreHandle>, Error> {
        let store = self.caps.key_value.open(label).await?;
        self.table
            .push(StoreHandle(store))
            .map_err(|_| Error::StoreTableFull)
    }

    fn store(&self, handle: &Resource<StoreHandle>) -> wasmtime::Result<Arc<dyn Store>> {
        Ok(self.table.get(handle)?.0.clone())
    }
}

// ---- fermyon:spin/key-value@2.0.0 --------------------------------------

fn v2_error(err: Error) -> v2::Error {
    match err {
        Error::NoSuchStore => v2::Error::NoSuchStore,
        Error::AccessDenied => v2::Error::AccessDenied,
        Error::StoreTableFull => v2::Error::StoreTableFull,
        Error::Other(message) => v2::Error::Other(message),
    }
}

impl v2::Host for HostState {}

impl v2::HostStore for HostState {
    async fn open(&mut self, label: String) -> Trappable<Result<Resource<StoreHandle>, v2::Error>> {
        Ok(self.open_store(&label).await.map_err(v2_error))
    }

    async fn get(&mut self, this: Resource<StoreHandle>, key: String) -> Trappable<Result<Option<Vec<u8>>, v2::Error>> {
        Ok(self.store(&this)?.get(&key).await.map_err(v2_error))
    }

    async fn set(&mut self, this: Resource<StoreHandle>, key: String, value: Vec<u8>) -> Trappable<Result<(), v2::Error>> {
        Ok(self.store(&this)?.set(&key, &value).await.map_err(v2_error))
    }

    async fn delete(&mut self, this: Resource<StoreHandle>, key: String) -> Trappable<Result<(), v2::Error>> {
        Ok(self.store(&this)?.delete(&key).await.map_err(v2_error))
    }

    async fn exists(&mut self, this: Resource<StoreHandle>, key: String) -> Trappable<Result<bool, v2::Error>> {
        Ok(self.store(&this)?.exists(&key).await.map_err(v2_error))
    }

    async fn get_keys(&mut self, this: Resource<StoreHandle>) -> Trappable<Result<Vec<String>, v2::Error>> {
        Ok(self.store(&this)?.get_keys().await.map_err(v2_error))
    }

    async fn drop(&mut self, this: Resource<StoreHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

// ---- fermyon:spin/key-value (Spin 1) -------------------------------------

fn v1_error(err: Error) -> v1::Error {
    match err {
        Error::NoSuchStore => v1::Error::NoSuchStore,
        Error::AccessDenied => v1::Error::AccessDenied,
        Error::StoreTableFull => v1::Error::StoreTableFull,
        Error::Other(message) => v1::Error::Io(message),
    }
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
        Ok(self.open_store(&name).await.map(|r| r.rep()).map_err(v1_error))
    }

    async fn get(&mut self, store: u32, key: String) -> Trappable<Result<Vec<u8>, v1::Error>> {
        let store = v1_store!(self, store);
        Ok(match store.get(&key).await {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(v1::Error::NoSuchKey),
            Err(err) => Err(v1_error(err)),
        })
    }

    async fn set(&mut self, store: u32, key: String, value: Vec<u8>) -> Trappable<Result<(), v1::Error>> {
        let store = v1_store!(self, store);
        Ok(store.set(&key, &value).await.map_err(v1_error))
    }

    async fn delete(&mut self, store: u32, key: String) -> Trappable<Result<(), v1::Error>> {
        let store = v1_store!(self, store);
        Ok(store.delete(&key).await.map_err(v1_error))
    }

    async fn exists(&mut self, store: u32, key: String) -> Trappable<Result<bool, v1::Error>> {
        let store = v1_store!(self, store);
        Ok(store.exists(&key).await.map_err(v1_error))
    }

    async fn get_keys(&mut self, store: u32) -> Trappable<Result<Vec<String>, v1::Error>> {
        let store = v1_store!(self, store);
        Ok(store.get_keys().await.map_err(v1_error))
    }

    async fn close(&mut self, store: u32) -> Trappable<()> {
        // Closing an unknown handle is a no-op, as in Spin.
        let _ = self.table.delete(Resource::<StoreHandle>::new_own(store));
        Ok(())
    }
}

// ---- wasi:keyvalue@0.2.0-draft2 -------------------------------------------

fn wasi_error(err: Error) -> wasi_store::Error {
    match err {
        Error::NoSuchStore => wasi_store::Error::NoSuchStore,
        Error::AccessDenied => wasi_store::Error::AccessDenied,
        Error::StoreTableFull => wasi_store::Error::Other("too many stores are open".into()),
        Error::Other(message) => wasi_store::Error::Other(message),
    }
}

impl wasi_store::Host for HostState {
    async fn open(&mut self, identifier: String) -> Trappable<Result<Resource<StoreHandle>, wasi_store::Error>> {
        Ok(self.open_store(&identifier).await.map_err(wasi_error))
    }
}

impl wasi_store::HostBucket for HostState {
    async fn get(&mut self, this: Resource<StoreHandle>, key: String) -> Trappable<Result<Option<Vec<u8>>, wasi_store::Error>> {
        Ok(self.store(&this)?.get(&key).await.map_err(wasi_error))
    }

    async fn set(&mut self, this: Resource<StoreHandle>, key: String, value: Vec<u8>) -> Trappable<Result<(), wasi_store::Error>> {
        Ok(self.store(&this)?.set(&key, &value).await.map_err(wasi_error))
    }

    async fn delete(&mut self, this: Resource<StoreHandle>, key: String) -> Trappable<Result<(), wasi_store::Error>> {
        Ok(self.store(&this)?.delete(&key).await.map_err(wasi_error))
    }

    async fn exists(&mut self, this: Resource<StoreHandle>, key: String) -> Trappable<Result<bool, wasi_store::Error>> {
        Ok(self.store(&this)?.exists(&key).await.map_err(wasi_error))
    }

    async fn list_keys(
        &mut self,
        this: Resource<StoreHandle>,
        cursor: Option<String>,
    ) -> Trappable<Result<wasi_store::KeyResponse, wasi_store::Error>> {
        // Every key comes in the first page, so a cursor can only be one the
        // guest made up: it gets an empty last page.
        if cursor.is_some() {
            return Ok(Ok(wasi_store::KeyResponse { keys: Vec::new(), cursor: None }));
        }
        let keys = self.store(&this)?.get_keys().await.map_err(wasi_error);
        Ok(keys.map(|keys| wasi_store::KeyResponse { keys, cursor: None }))
    }

    async fn drop(&mut self, this: Resource<StoreHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl atomics::Host for HostState {
    async fn increment(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
        delta: i64,
    ) -> Trappable<Result<i64, wasi_store::Error>> {
        Ok(self.store(&bucket)?.increment(&key, delta).await.map_err(wasi_error))
    }

    async fn swap(&mut self, cas: Resource<CasHandle>, value: Vec<u8>) -> Trappable<Result<(), atomics::CasError>> {
        let cas = self.table.delete(cas)?;
        match cas.store.compare_and_swap(&cas.key, cas.current.as_deref(), &value).await {
            Ok(true) => Ok(Ok(())),
            Ok(false) => {
                // Hand the guest a fresh `cas` holding today's value to retry with.
                let current = match cas.store.get(&cas.key).await {
                    Ok(current) => current,
                    Err(err) => return Ok(Err(atomics::CasError::StoreError(wasi_error(err)))),
                };
                let retry = self.table.push(CasHandle { current, ..cas })?;
                Ok(Err(atomics::CasError::CasFailed(retry)))
            }
            Err(err) => Ok(Err(atomics::CasError::StoreError(wasi_error(err)))),
        }
    }
}

impl atomics::HostCas for HostState {
    async fn new(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> Trappable<Result<Resource<CasHandle>, wasi_store::Error>> {
        let store = self.store(&bucket)?;
        let current = match store.get(&key).await {
            Ok(current) => current,
            Err(err) => return Ok(Err(wasi_error(err))),
        };
        Ok(Ok(self.table.push(CasHandle { store, key, current })?))
    }

    async fn current(&mut self, this: Resource<CasHandle>) -> Trappable<Result<Option<Vec<u8>>, wasi_store::Error>> {
        Ok(Ok(self.table.get(&this)?.current.clone()))
    }

    async fn drop(&mut self, this: Resource<CasHandle>) -> Trappable<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl batch::Host for HostState {
    async fn get_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        keys: Vec<String>,
    ) -> Trappable<Result<Vec<(String, Option<Vec<u8>>)>, wasi_store::Error>> {
        Ok(self.store(&bucket)?.get_many(&keys).await.map_err(wasi_error))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Trappable<Result<(), wasi_store::Error>> {
        Ok(self.store(&bucket)?.set_many(&key_values).await.map_err(wasi_error))
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        keys: Vec<String>,
    ) -> Trappable<Result<(), wasi_store::Error>> {
        Ok(self.store(&bucket)?.delete_many(&keys).await.map_err(wasi_error))
    }
}
