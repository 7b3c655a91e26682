//! Which databases an app has, opening them, and who may open which.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use tokio::sync::{Mutex, OnceCell};

use crate::{Connection, Error, LocalDatabase};

/// How a database label is backed (the integrator maps the runtime-config
/// file onto this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A local SQLite file (`type = "spin"`); `path: None` is in memory.
    Spin {
        /// The database file; labels naming the same file share it.
        path: Option<PathBuf>,
    },
}

/// One defined label: its backend and, once opened, the connection.
struct Slot {
    backend: Backend,
    connection: OnceCell<Arc<dyn Connection>>,
}

/// All the app's databases by label; opens each lazily on first use and
/// keeps it open, shared by every component allowed to use it.
pub struct DatabaseManager {
    slots: IndexMap<String, Slot>,
    /// Open files, so labels naming the same file share a connection.
    files: Mutex<HashMap<PathBuf, LocalDatabase>>,
    /// The cap on one statement's rows, for every database it opens.
    max_result_bytes: usize,
}

impl std::fmt::Debug for DatabaseManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (label, slot) in &self.slots {
            map.entry(label, &slot.backend);
        }
        map.finish()
    }
}

impl DatabaseManager {
    /// A manager for these labels; nothing is opened yet.
    pub fn new(databases: IndexMap<String, Backend>) -> Self {
        let slots = databases
            .into_iter()
            .map(|(label, backend)| {
                let slot = Slot {
                    backend,
                    connection: OnceCell::new(),
                };
                (label, slot)
            })
            .collect();
        Self {
            slots,
            files: Mutex::new(HashMap::new()),
            max_result_bytes: crate::local::DEFAULT_MAX_RESULT_BYTES,
        }
    }

    /// Caps the bytes of rows one statement may return, on every database
    /// this manager opens (see [`LocalDatabase::with_max_result_bytes`]).
    pub fn with_max_result_bytes(mut self, bytes: usize) -> Self {
        self.max_result_bytes = bytes;
        self
    }

    /// The database with this label, opening it on first use.
    /// [`Error::NoSuchDatabase`] for a label it does not have; a failed open
    /// is tried again on the next call.
    pub async fn open(&self, label: &str) -> Result<Arc<dyn Connection>, Error> {
        let slot = self.slots.get(label).ok_or(Error::NoSuchDatabase)?;
        let connection = slot
            .connection
            .get_or_try_init(|| self.open_backend(label, &slot.backend))
            .await?;
        Ok(Arc::clone(connection))
    }

    /// The defined labels, in the order given to [`DatabaseManager::new`].
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.slots.keys().map(String::as_str)
    }

    async fn open_backend(
        &self,
        label: &str,
        backend: &Backend,
    ) -> Result<Arc<dyn Connection>, Error> {
        tracing::debug!(label, ?backend, "opening SQLite database");
        let Backend::Spin { path } = backend;
        let database = match path {
            None => LocalDatabase::open(None)
                .await?
                .with_max_result_bytes(self.max_result_bytes),
            Some(path) => self.file(path).await?,
        };
        Ok(Arc::new(database))
    }

    /// The shared database for `path`, opened on first use.
    async fn file(&self, path: &Path) -> Result<LocalDatabase, Error> {
        let key = file_identity(path).await?;
        let mut files = self.files.lock().await;
        if let Some(database) = files.get(&key) {
            return Ok(database.clone());
        }
        let database = LocalDatabase::open(Some(&key))
            .await?
            .with_max_result_bytes(self.max_result_bytes);
        files.insert(key, database.clone());
        Ok(database)
    }
}

/// One spelling for every path naming the same file, so they share a
/// connection: the parent folder (created if missing, as the file may not
/// exist yet) is canonicalised and the file name joined on.
async fn file_identity(path: &Path) -> Result<PathBuf, Error> {
    let io_error = |e: std::io::Error| Error::Io(format!("{}: {e}", path.display()));
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::Io(format!("{}: not a file path", path.display())))?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
    let parent = tokio::fs::canonicalize(parent).await.map_err(io_error)?;
    Ok(parent.join(file_name))
}

/// What one component may open: its manifest `sqlite_databases` list over
/// the shared manager.
#[derive(Debug, Clone)]
pub struct ComponentDatabases {
    manager: Arc<DatabaseManager>,
    allowed: HashSet<String>,
}

impl ComponentDatabases {
    /// A view of `manager` limited to the `allowed` labels.
    pub fn new(manager: Arc<DatabaseManager>, allowed: impl IntoIterator<Item = String>) -> Self {
        Self {
            manager,
            allowed: allowed.into_iter().collect(),
        }
    }

    /// Spin's order of checks: a label the component did not list =>
    /// [`Error::AccessDenied`] (whether or not it exists); listed but not
    /// defined => [`Error::NoSuchDatabase`].
    pub async fn open(&self, label: &str) -> Result<Arc<dyn Connection>, Error> {
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
        let manager = DatabaseManager::new(IndexMap::from([
            ("a".to_string(), spin(dir.path().join("db/app.db"))),
            ("b".to_string(), spin(dir.path().join("db/../db/app.db"))),
            ("c".to_string(), spin(dir.path().join("db/other.db"))),
        ]));
        for label in ["a", "b", "c"] {
            manager.open(label).await.unwrap();
        }
        assert_eq!(manager.files.lock().await.len(), 2);
    }
}
