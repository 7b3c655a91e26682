//! Key-value, every interface version over the same [`kiln_key_value::Store`]s,
//! so a value set through one interface is read back through any other.
//!
//! * Runtime config: `[key_value_store.LABEL]` sections, parsed by
//!   `kiln_key_value::Backend::from_section`; `backends` adds the
//!   `default` store in the state folder.
//! * App state: the app's `kiln_key_value::StoreManager` (in
//!   [`crate::AppCapabilities`]), opening each store on first use.
//! * Per-instance state: [`StoreHandle`]s (and WASI's [`CasHandle`]s) in
//!   the instance's resource table; which labels the component may open is
//!   its [`kiln_key_value::ComponentStores`] — an unlisted label is
//!   access-denied whether or not it exists, a listed but undefined one is
//!   no-such-store, each mapped onto the calling interface's own error case.
//! * Bindings: Spin 1 `fermyon:spin/key-value` (`spin1`), Spin 2
//!   `@2.0.0` (`v2`), `wasi:keyvalue@0.2.0-draft2` `store`, `atomics`
//!   and `batch` (`wasi`), and Preview 3's `spin:key-value/key-value@3.0.0`
//!   (`p3`).

mod p3;
mod spin1;
mod v2;
mod wasi;

use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use kiln_key_value::{Backend, Error, Store};
use wasmtime::component::{Linker, Resource};

use crate::HostState;

crate::shared::host_bindings!("kiln:host/key-value" => KeyValue, with: {
    "fermyon:spin/key-value.store": super::StoreHandle,
    "wasi:keyvalue/store.bucket": super::StoreHandle,
    "wasi:keyvalue/atomics.cas": super::CasHandle,
});

/// The interfaces this capability defines, as the component model names them.
pub(crate) const INTERFACES: &[&str] = &[
    "fermyon:spin/key-value",
    "fermyon:spin/key-value@2.0.0",
    "wasi:keyvalue/store@0.2.0-draft2",
    "wasi:keyvalue/atomics@0.2.0-draft2",
    "wasi:keyvalue/batch@0.2.0-draft2",
    "spin:key-value/key-value@3.0.0",
];

/// Adds every key-value interface version (Preview 3 included) to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    bindings::add_to_linker(linker)?;
    p3::bindings::add_to_linker(linker)
}

/// The app's stores: `default` in the state folder, then the runtime
/// config's (which may redefine `default`).
pub(crate) fn backends(state_dir: &Path, configured: &IndexMap<String, Backend>) -> IndexMap<String, Backend> {
    let default = Backend::Spin { path: Some(state_dir.join(crate::capabilities::DEFAULT_KEY_VALUE_FILE)) };
    crate::capabilities::with_default(default, configured)
}

/// An open store, as a guest holds it (a Spin 2 or Spin 3 `store`, a WASI
/// `bucket` or a Spin 1 `u32` handle).
pub struct StoreHandle(pub(crate) Arc<dyn Store>);

/// A WASI `cas`: a key and the value it held when the `cas` was made.
pub struct CasHandle {
    store: Arc<dyn Store>,
    key: String,
    current: Option<Vec<u8>>,
}

/// Maps the backend's error onto a Spin interface's `error`, whose catch-all
/// case is `$other` (the cases are otherwise the same in every version).
macro_rules! spin_error {
    ($err:expr, $v:ident, $other:ident) => {
        match $err {
            kiln_key_value::Error::NoSuchStore => $v::Error::NoSuchStore,
            kiln_key_value::Error::AccessDenied => $v::Error::AccessDenied,
            kiln_key_value::Error::StoreTableFull => $v::Error::StoreTableFull,
            kiln_key_value::Error::Other(message) => $v::Error::$other(message),
        }
    };
}
pub(crate) use spin_error;

impl HostState {
    async fn open_store(&mut self, label: &str) -> Result<Resource<StoreHandle>, Error> {
        let store = self.caps.key_value.open(label).await?;
        self.table.push(StoreHandle(store)).map_err(|_| Error::StoreTableFull)
    }

    fn store(&self, handle: &Resource<StoreHandle>) -> wasmtime::Result<Arc<dyn Store>> {
        Ok(self.table.get(handle)?.0.clone())
    }
}

/// `get`, `set`, `delete` and `exists` on a store resource (Spin 2's
/// `store`, WASI's `bucket`), each error mapped by `$error`.
macro_rules! store_methods {
    ($error:ident, $E:ty) => {
        async fn get(&mut self, this: Resource<StoreHandle>, key: String) -> Trappable<Result<Option<Vec<u8>>, $E>> {
            Ok(self.store(&this)?.get(&key).await.map_err($error))
        }

        async fn set(&mut self, this: Resource<StoreHandle>, key: String, value: Vec<u8>) -> Trappable<Result<(), $E>> {
            Ok(self.store(&this)?.set(&key, &value).await.map_err($error))
        }

        async fn delete(&mut self, this: Resource<StoreHandle>, key: String) -> Trappable<Result<(), $E>> {
            Ok(self.store(&this)?.delete(&key).await.map_err($error))
        }

        async fn exists(&mut self, this: Resource<StoreHandle>, key: String) -> Trappable<Result<bool, $E>> {
            Ok(self.store(&this)?.exists(&key).await.map_err($error))
        }

        async fn drop(&mut self, this: Resource<StoreHandle>) -> Trappable<()> {
            self.table.delete(this)?;
            Ok(())
        }
    };
}
pub(crate) use store_methods;
