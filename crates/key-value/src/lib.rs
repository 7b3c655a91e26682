//! Key-value storage for Spin applications, independent of any WIT interface.
//!
//! Spin exposes key-value storage through several interfaces
//! (`fermyon:spin/key-value@2.0.0`, `wasi:keyvalue` store, atomics and batch,
//! and older ones). They differ only in shapes and error variants, so this
//! crate holds one [`Store`] trait that covers all of them, and the host
//! bindings translate; no wasmtime type appears here.
//!
//! Three backends implement [`Store`]:
//!
//! - [`SqliteStore`] uses Spin's own on-disk layout (one `spin_key_value`
//!   table keyed by store label), so a `.spin/sqlite_key_value.db` written by
//!   `spin up` is readable by Kiln and the other way round. Several labels can
//!   live in one file; they share one connection ([`KvDatabase`]), which
//!   serialises work inside this process, while WAL mode and a busy timeout
//!   keep other processes using the same file from failing.
//! - [`RedisStore`] keeps keys as they are (as Spin does) behind a
//!   reconnecting connection manager, so a Redis restart costs a few failed
//!   calls rather than a broken store.
//! - [`MemoryStore`] is a process-local map for tests and throwaway apps.
//!
//! Counters are stored as decimal ASCII text in every backend — what Redis
//! `INCRBY` works on — so a value written by `increment` reads the same
//! whichever backend holds it.
//!
//! [`StoreManager`] owns every store the application defines and opens each
//! lazily on first use (an unreachable Redis only fails the requests that
//! need it, and is retried on the next open). [`ComponentStores`] is one
//! component's view over it and enforces the manifest's `key_value_stores`
//! list in Spin's order: an unlisted label is denied before its existence is
//! checked, so a component cannot probe which stores exist.

mod backend;
mod integer;
mod manager;
mod memory;
mod redis_store;
mod sqlite;

use async_trait::async_trait;

pub use backend::Backend;
pub use manager::{ComponentStores, StoreManager};
pub use memory::MemoryStore;
pub use redis_store::RedisStore;
pub use sqlite::{KvDatabase, SqliteStore};

/// The interface-independent error; the bindings map it onto each WIT error
/// variant.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum Error {
    /// The application defines no store with this label.
    #[error("no such store")]
    NoSuchStore,
    /// The component's manifest does not list this store label.
    #[error("access denied")]
    AccessDenied,
    /// The host cannot hold more open stores for this component.
    #[error("store table full")]
    StoreTableFull,
    /// A backend failure; the message names the cause.
    #[error("{0}")]
    Other(String),
}

/// One open key-value store (one label).
///
/// Every method is safe to call concurrently from many tasks.
#[async_trait]
pub trait Store: Send + Sync {
    /// The value at `key`, or `None` when the key is absent.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error>;
    /// Sets `key` to `value`, replacing any previous value.
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), Error>;
    /// Removes `key`; removing an absent key is not an error.
    async fn delete(&self, key: &str) -> Result<(), Error>;
    /// Whether `key` holds a value.
    async fn exists(&self, key: &str) -> Result<bool, Error>;
    /// Every key in the store, in no particular order.
    async fn get_keys(&self) -> Result<Vec<String>, Error>;
    /// One entry per requested key, in the order requested, with `None` for
    /// absent keys.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Option<Vec<u8>>)>, Error>;
    /// Sets every pair; atomically where the backend allows (all three here
    /// do).
    async fn set_many(&self, items: &[(String, Vec<u8>)]) -> Result<(), Error>;
    /// Removes every listed key; absent keys are ignored.
    async fn delete_many(&self, keys: &[String]) -> Result<(), Error>;
    /// Adds `delta` to the integer stored at `key` (absent = 0) atomically and
    /// returns the new value. Integers are stored as their decimal ASCII text
    /// (what Redis `INCRBY` does), in every backend, so both backends agree;
    /// a non-integer value, or overflow, is [`Error::Other`].
    async fn increment(&self, key: &str, delta: i64) -> Result<i64, Error>;
    /// Atomically: if the current value equals `expected` (`None` = key
    /// absent) set it to `new` and return true; else change nothing and
    /// return false.
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, Error>;
}
