//! `wasi:keyvalue@0.2.0-draft2`: `store` (buckets), `atomics` (with
//! compare-and-swap through [`CasHandle`]s) and `batch`.

use kiln_key_value::Error;
use wasmtime::component::Resource;

use super::bindings::wasi::keyvalue::{atomics, batch, store as wasi_store};
use super::{store_methods, CasHandle, StoreHandle};
use crate::shared::Trappable;
use crate::HostState;

fn error(err: Error) -> wasi_store::Error {
    match err {
        Error::NoSuchStore => wasi_store::Error::NoSuchStore,
        Error::AccessDenied => wasi_store::Error::AccessDenied,
        Error::StoreTableFull => wasi_store::Error::Other("too many stores are open".into()),
        Error::Other(message) => wasi_store::Error::Other(message),
    }
}

impl wasi_store::Host for HostState {
    async fn open(&mut self, identifier: String) -> Trappable<Result<Resource<StoreHandle>, wasi_store::Error>> {
        Ok(self.open_store(&identifier).await.map_err(error))
    }
}

impl wasi_store::HostBucket for HostState {
    store_methods!(error, wasi_store::Error);

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
        let keys = self.store(&this)?.get_keys().await.map_err(error);
        Ok(keys.map(|keys| wasi_store::KeyResponse { keys, cursor: None }))
    }
}

impl atomics::Host for HostState {
    async fn increment(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
        delta: i64,
    ) -> Trappable<Result<i64, wasi_store::Error>> {
        Ok(self.store(&bucket)?.increment(&key, delta).await.map_err(error))
    }

    async fn swap(&mut self, cas: Resource<CasHandle>, value: Vec<u8>) -> Trappable<Result<(), atomics::CasError>> {
        let cas = self.table.delete(cas)?;
        match cas.store.compare_and_swap(&cas.key, cas.current.as_deref(), &value).await {
            Ok(true) => Ok(Ok(())),
            Ok(false) => {
                // Hand the guest a fresh `cas` holding today's value to retry with.
                let current = match cas.store.get(&cas.key).await {
                    Ok(current) => current,
                    Err(err) => return Ok(Err(atomics::CasError::StoreError(error(err)))),
                };
                let retry = self.table.push(CasHandle { current, ..cas })?;
                Ok(Err(atomics::CasError::CasFailed(retry)))
            }
            Err(err) => Ok(Err(atomics::CasError::StoreError(error(err)))),
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
            Err(err) => return Ok(Err(error(err))),
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
        Ok(self.store(&bucket)?.get_many(&keys).await.map_err(error))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Trappable<Result<(), wasi_store::Error>> {
        Ok(self.store(&bucket)?.set_many(&key_values).await.map_err(error))
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        keys: Vec<String>,
    ) -> Trappable<Result<(), wasi_store::Error>> {
        Ok(self.store(&bucket)?.delete_many(&keys).await.map_err(error))
    }
}
