//! Which stores an app has, opening them, and who may open which.

use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use kiln_label_manager::{Grants, LabelManager, SharedFiles};

use crate::{Error, KvDatabase, MemoryStore, RedisStore, Store};

/// How a store label is backed (the integrator maps the runtime-config file
/// onto this).
#[derive(Clone, PartialEq, Eq)]
pub enum Backend {
    /// Spin's SQLite layout (`type = "spin"`); `path: None` is an in-memory
    /// database.
    Spin {
        /// The database file; labels naming the same file share it.
        path: Option<PathBuf>,
    },
    /// A Redis database (`type = "redis"`).
    Redis {
        /// `redis://…` address, possibly holding a password.
        url: String,
    },
    /// A process-local map, empty at start.
    Memory,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Spin { path } => f.debug_struct("Spin").field("path", path).finish(),
            Self::Redis { url } => f
                .debug_struct("Redis")
                .field("url", &redact_password(url))
                .finish(),
            Self::Memory => f.write_str("Memory"),
        }
    }
}

/// The URL with any password replaced, safe to print.
fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only fails for URLs that cannot have a password at all.
            let _ = parsed.set_password(Some("REDACTED"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<unparseable URL>".to_owned(),
    }
}

/// All the app's stores by label; opens each lazily on first use (a Redis
/// store connects then) and keeps it open.
#[derive(Debug)]
pub struct StoreManager {
    labels: LabelManager<Backend, dyn Store>,
    /// Open SQLite files, so labels naming the same file share a connection.
    sqlite_files: SharedFiles<KvDatabase>,
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
                self.open_backend(label, backend)
            })
            .await
    }

    /// The defined labels, in the order given to [`StoreManager::new`].
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.labels.labels()
    }

    async fn open_backend(&self, label: &str, backend: &Backend) -> Result<Arc<dyn Store>, Error> {
        tracing::debug!(label, ?backend, "opening key-value store");
        let store: Arc<dyn Store> = match backend {
            Backend::Memory => Arc::new(MemoryStore::new()),
            Backend::Spin { path: None } => Arc::new(KvDatabase::open(None).await?.store(label)),
            Backend::Spin { path: Some(path) } => {
                let open = |key: PathBuf| async move { KvDatabase::open(Some(&key)).await };
                let database = self.sqlite_files.get_or_open(path, Error::Other, open).await?;
                Arc::new(database.store(label))
            }
            Backend::Redis { url } => {
                Arc::new(RedisStore::connect(url).await.inspect_err(|e| {
                    tracing::warn!(label, error = %e, "cannot open Redis key-value store");
                })?)
            }
        };
        Ok(store)
    }
}

/// What one component may open: its manifest `key_value_stores` list over the
/// shared manager.
#[derive(Debug, Clone)]
pub struct ComponentStores {
    manager: Arc<StoreManager>,
    grants: Grants,
}

impl ComponentStores {
    /// A view of `manager` limited to the `allowed` labels.
    pub fn new(manager: Arc<StoreManager>, allowed: impl IntoIterator<Item = String>) -> Self {
        Self {
            manager,
            grants: Grants::new(allowed),
        }
    }

    /// Spin's order of checks: a label the component did not list =>
    /// [`Error::AccessDenied`] (whether or not it exists); listed but not
    /// defined => [`Error::NoSuchStore`].
    pub async fn open(&self, label: &str) -> Result<Arc<dyn Store>, Error> {
        if !self.grants.allows(label) {
            return Err(Error::AccessDenied);
        }
        self.manager.open(label).await
    }

    /// Whether the component listed `label`.
    pub fn is_allowed(&self, label: &str) -> bool {
        self.grants.allows(label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn debug_hides_the_redis_password() {
        let backend = Backend::Redis {
            url: "redis://user:hunter2@localhost:6379/1".into(),
        };
        let shown = format!("{backend:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("localhost"), "{shown}");
    }
}
