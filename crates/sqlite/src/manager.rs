//! Which databases an app has, opening them, and who may open which.

use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use kiln_label_manager::{Granted, LabelManager, SharedFiles};

use crate::{Backend, Connection, Error, LocalDatabase};

/// All the app's databases by label; opens each lazily on first use and
/// keeps it open, shared by every component allowed to use it.
pub struct DatabaseManager {
    labels: LabelManager<Backend, dyn Connection>,
    /// Open files, so labels naming the same file share a connection.
    files: SharedFiles<LocalDatabase>,
    /// The cap on one statement's rows, for every database it opens.
    max_result_bytes: usize,
}

impl std::fmt::Debug for DatabaseManager {
    /// Labels and their backends, as a map.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.labels.fmt(f)
    }
}

impl DatabaseManager {
    /// A manager for these labels; nothing is opened yet.
    pub fn new(databases: IndexMap<String, Backend>) -> Self {
        Self {
            labels: LabelManager::new(databases),
            files: SharedFiles::default(),
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
        self.labels
            .open(label, Error::NoSuchDatabase, |backend| {
                self.open_backend(label, backend)
            })
            .await
    }

    /// The defined labels, in the order given to [`DatabaseManager::new`].
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.labels.labels()
    }

    async fn open_backend(
        &self,
        label: &str,
        backend: &Backend,
    ) -> Result<Arc<dyn Connection>, Error> {
        tracing::debug!(label, ?backend, "opening SQLite database");
        let Backend::Spin { path } = backend;
        let max = self.max_result_bytes;
        let database = match path {
            None => LocalDatabase::open(None).await?.with_max_result_bytes(max),
            Some(path) => {
                let open = |key: PathBuf| async move {
                    Ok(LocalDatabase::open(Some(&key)).await?.with_max_result_bytes(max))
                };
                self.files.get_or_open(path, Error::Io, open).await?
            }
        };
        Ok(Arc::new(database))
    }
}

/// What one component may open: its manifest `sqlite_databases` list over
/// the shared manager.
#[derive(Debug, Clone)]
pub struct ComponentDatabases(Granted<DatabaseManager>);

impl ComponentDatabases {
    /// A view of `manager` limited to the `allowed` labels.
    pub fn new(manager: Arc<DatabaseManager>, allowed: impl IntoIterator<Item = String>) -> Self {
        Self(Granted::new(manager, allowed))
    }

    /// Spin's order of checks: a label the component did not list =>
    /// [`Error::AccessDenied`] (whether or not it exists); listed but not
    /// defined => [`Error::NoSuchDatabase`].
    pub async fn open(&self, label: &str) -> Result<Arc<dyn Connection>, Error> {
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
        assert_eq!(manager.files.len().await, 2);
    }
}
