//! Files shared between labels that name the same path.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};

use tokio::sync::Mutex;

/// Open files of type `F` (a cloneable database handle) by their
/// [`file_identity`], so every label naming one file shares one handle.
pub struct SharedFiles<F> {
    files: Mutex<HashMap<PathBuf, F>>,
}

impl<F> Default for SharedFiles<F> {
    fn default() -> Self {
        Self {
            files: Mutex::new(HashMap::new()),
        }
    }
}

impl<F: Clone> SharedFiles<F> {
    /// The shared handle for `path`, opened with `open` (given the
    /// canonical path) on first use. `io_error` wraps a message naming
    /// the path when the path cannot be resolved.
    pub async fn get_or_open<E, Fut>(
        &self,
        path: &Path,
        io_error: impl Fn(String) -> E,
        open: impl FnOnce(PathBuf) -> Fut,
    ) -> Result<F, E>
    where
        Fut: Future<Output = Result<F, E>>,
    {
        let key = file_identity(path).await.map_err(io_error)?;
        let mut files = self.files.lock().await;
        if let Some(file) = files.get(&key) {
            return Ok(file.clone());
        }
        let file = open(key.clone()).await?;
        files.insert(key, file.clone());
        Ok(file)
    }

    /// How many distinct files are open.
    pub async fn len(&self) -> usize {
        self.files.lock().await.len()
    }

    /// Whether no file is open.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }
}

/// One spelling for every path naming the same file, so they share a
/// connection: the parent folder (created if missing, as the file may not
/// exist yet) is canonicalised and the file name joined on. The error is a
/// message naming the path.
pub async fn file_identity(path: &Path) -> Result<PathBuf, String> {
    let io_error = |e: std::io::Error| format!("{}: {e}", path.display());
    let file_name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file path", path.display()))?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
    let parent = tokio::fs::canonicalize(parent).await.map_err(io_error)?;
    Ok(parent.join(file_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spellings_of_one_file_share_one_handle() {
        let dir = tempfile::tempdir().unwrap();
        let files: SharedFiles<PathBuf> = SharedFiles::default();
        for p in ["db/kv.db", "db/../db/kv.db", "db/other.db"] {
            let open = |key: PathBuf| async move { Ok::<_, String>(key) };
            files.get_or_open(&dir.path().join(p), |e| e, open).await.unwrap();
        }
        assert_eq!(files.len().await, 2);
        assert!(file_identity(Path::new("/")).await.is_err());
    }
}
