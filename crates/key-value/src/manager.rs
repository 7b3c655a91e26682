//! Which stores an app has, opening them, and who may open which.

use std::sync::Arc;

use indexmap::IndexMap;
use kiln_label_manager::{Granted, LabelManager, SharedFiles};

use crate::{Backend, Error, KvDatabase, Store};

/// All the app's stores by label; opens each lazily on first use (a Redis
/// store connects then) and keeps it open.
pub struct StoreManager {
    labels: LabelManager<Backend, dyn Store>,
    /// Open SQLite files, so labels naming the same file share a connection.
    sqlite_files: SharedFiles<KvDatabase>,
}

impl std::fmt::Debug for StoreManager {
    /// Labels and their backends, as a map.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.labels.fmt(f)
    }
}

impl StoreManager {
    /// A manager for these labels; nothing is opened yet.
    pub fn new(stores: IndexMap<String, Backend>) -> Self {
        Self {
            labels: LabelManager::new(stores),
            sqlite_files: SharedFiles::default(),
        }
    }

    /// The store with this label, opening it on first use. [`Error::NoSuchStore`]
    /// for a label it does not have; a failed open (say, Redis unreachable) is
    /// [`Error::Other`] and is tried again on the next call.
    pub async fn open(&self, label: &str) -> Result<Arc<dyn Store>, Error> {
        self.labels
            .open(label, Error::NoSuchStore, |backend| {
                backend.open(label, &self.sqlite_files)
            })
            .await
    }

    /// The defined labels, in the order given to [`StoreManager::new`].
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.labels.labels()
    }
}

/// What one component may open: its manifest `key_value_stores` list over
/// the shared manager.
#[derive(Debug, Clone)]
pub struct ComponentStores(Granted<StoreManager>);

impl ComponentStores {
    /// A view of `manager` limited to the `allowed` labels.
    pub fn new(manager: Arc<StoreManager>, allowed: impl IntoIterator<Item = String>) -> Self {
        Self(Granted::new(manager, allowed))
    }

    /// Spin's order of checks: a label the component did not list =>
    /// [`Error::AccessDenied`] (whether or not it exists); listed but not
    /// defined => [`Error::NoSuchStore`].
    pub async fn open(&self, label: &str) -> Result<Arc<dyn Store>, Error> {
        let manager = self.0.manager_for(label).ok_or(Error::AccessDenied)?;
        manager.open(label).await
    }

    /// Whether the component listed `label`.
    pub fn is_allowed(&self, label: &str) -> bool {
        self.0.is_allowed(label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[tokio::test]
    async fn spellings_of_one_file_share_one_connection() {
        let dir = tempfile::tempdir().unwrap();
        let spin = |p: PathBuf| Backend::Spin { path: Some(p) };
        let manager = StoreManager::new(IndexMap::from([
            ("a".to_string(), spin(dir.path().join("db/kv.db"))),
            ("b".to_string(), spin(dir.path().join("db/../db/kv.db"))),
            ("c".to_string(), spin(dir.path().join("db/other.db"))),
        ]));
        for label in ["a", "b", "c"] {
            manager.open(label).await.unwrap();
        }
        assert_eq!(manager.sqlite_files.len().await, 2);
    }

}
