//! Which stores an app has, opening them, and who may open which.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use tokio::sync::{Mutex, OnceCell};

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

/// One defined label: its backend and, once opened, the store.
struct Slot {
    backend: Backend,
    store: OnceCell<Arc<dyn Store>>,
}

/// All the app's stores by label; opens each lazily on first use (a Redis
/// store connects then) and keeps it open.
pub struct StoreManager {
    slots: IndexMap<String, Slot>,
    /// Open SQLite files, so labels naming the same file share a connection.
    sqlite_files: Mutex<HashMap<PathBuf, KvDatabase>>,
}

impl std::fmt::Debug for StoreManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (label, slot) in &self.slots {
            map.entry(label, &slot.backend);
        }
        map.finish()
    }
}

impl StoreManager {
    /// A manager for these labels; nothing is opened yet.
    pub fn new(stores: IndexMap<String, Backend>) -> Self {
        let slots = stores
            .into_iter()
            .map(|(label, backend)| {
                let slot = Slot {
                    backend,
                    store: OnceCell::new(),
                };
                (label, slot)
            })
            .collect();
        Self {
            slots,
            sqlite_files: Mutex::new(HashMap::new()),
        }
    }

    /// The store with this label, opening it on first use. [`Error::NoSuchStore`]
    /// for a label it does not have; a failed open (say, Redis unreachable) is
    /// [`Error::Other`] and is tried again on the next call.
    pub async fn open(&self, label: &str) -> Result<Arc<dyn Store>, Error> {
        let slot = self.slots.get(label).ok_or(Error::NoSuchStore)?;
        let store = slot
            .store
            .get_or_try_init(|| self.open_backend(label, &slot.backend))
            .await?;
        Ok(Arc::clone(store))
    }

    /// The defined labels, in the order given to [`StoreManager::new`].
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.slots.keys().map(String::as_str)
    }

    async fn open_backend(&self, label: &str, backend: &Backend) -> Result<Arc<dyn Store>, Error> {
        tracing::debug!(label, ?backend, "opening key-value store");
        let store: Arc<dyn Store> = match backend {
            Backend::Memory => Arc::new(MemoryStore::new()),
            Backend::Spin { path: None } => Arc::new(KvDatabase::open(None).await?.store(label)),
            Backend::Spin { path: Some(path) } => {
                Arc::new(self.sqlite_file(path).await?.store(label))
            }
            Backend::Redis { url } => {
                Arc::new(RedisStore::connect(url).await.inspect_err(|e| {
                    tracing::warn!(label, error = %e, "cannot open Redis key-value store");
                })?)
            }
        };
        Ok(store)
    }

    /// The shared database for `path`, opened on first use.
    async fn sqlite_file(&self, path: &Path) -> Result<KvDatabase, Error> {
        let key = file_identity(path).await?;
        let mut files = self.sqlite_files.lock().await;
        if let Some(database) = files.get(&key) {
            return Ok(database.clone());
        }
        let database = KvDatabase::open(Some(&key)).await?;
        files.insert(key, database.clone());
        Ok(database)
    }
}

/// One spelling for every path naming the same file, so they share a
/// connection: the parent folder (created if missing, as the file may not
/// exist yet) is canonicalised and the file name joined on.
async fn file_identity(path: &Path) -> Result<PathBuf, Error> {
    let io_error = |e: std::io::Error| Error::Other(format!("{}: {e}", path.display()));
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::Other(format!("{}: not a file path", path.display())))?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
    let parent = tokio::fs::canonicalize(parent).await.map_err(io_error)?;
    Ok(parent.join(file_name))
}

/// What one component may open: its manifest `key_value_stores` list over the
/// shared manager.
#[derive(Debug, Clone)]
pub struct ComponentStores {
    manager: Arc<StoreManager>,
    allowed: HashSet<String>,
}

impl ComponentStores {
    /// A view of `manager` limited to the `allowed` labels.
    pub fn new(manager: Arc<StoreManager>, allowed: impl IntoIterator<Item = String>) -> Self {
        Self {
            manager,
            allowed: allowed.into_iter().collect(),
        }
    }

    /// Spin's order of checks: a label the component did not list =>
    /// [`Error::AccessDenied`] (whether or not it exists); listed but not
    /// defined => [`Error::NoSuchStore`].
    pub async fn open(&self, label: &str) -> Result<Arc<dyn Store>, Error> {
        if !self.allowed.contains(label) {
            return Err(Error::AccessDenied);
        }
        self.manager.open(label).await
    }

    /// Whether the component listed `label`.
    pub fn is_allowed(&self, label: &str) -> bool {
        self.allowed.contains(label)
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
        assert_eq!(manager.sqlite_files.lock().await.len(), 2);
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
