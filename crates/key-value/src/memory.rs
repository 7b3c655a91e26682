//! The process-local backend.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::{integer, Error, Store};

/// A store held in this process's memory; its data lives as long as it does.
///
/// A plain mutex is enough: no operation awaits while holding it, and every
/// operation — batches included — is atomic because it holds the lock
/// throughout.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Vec<u8>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, Vec<u8>>> {
        // No code path panics while holding the lock, so a poisoned map is
        // still consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.entries().get(key).cloned())
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        self.entries().insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        self.entries().remove(key);
        Ok(())
    }

    async fn exists(&self, key: &str) -> Result<bool, Error> {
        Ok(self.entries().contains_key(key))
    }

    async fn get_keys(&self) -> Result<Vec<String>, Error> {
        Ok(self.entries().keys().cloned().collect())
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Option<Vec<u8>>)>, Error> {
        let entries = self.entries();
        Ok(keys
            .iter()
            .map(|key| (key.clone(), entries.get(key).cloned()))
            .collect())
    }

    async fn set_many(&self, items: &[(String, Vec<u8>)]) -> Result<(), Error> {
        let mut entries = self.entries();
        for (key, value) in items {
            entries.insert(key.clone(), value.clone());
        }
        Ok(())
    }

    async fn delete_many(&self, keys: &[String]) -> Result<(), Error> {
        let mut entries = self.entries();
        for key in keys {
            entries.remove(key);
        }
        Ok(())
    }

    async fn increment(&self, key: &str, delta: i64) -> Result<i64, Error> {
        let mut entries = self.entries();
        let current = integer::parse(entries.get(key).map(Vec::as_slice))?;
        let new = integer::add(current, delta)?;
        entries.insert(key.to_owned(), integer::encode(new));
        Ok(new)
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, Error> {
        let mut entries = self.entries();
        if entries.get(key).map(Vec::as_slice) != expected {
            return Ok(false);
        }
        entries.insert(key.to_owned(), new.to_vec());
        Ok(true)
    }
}
