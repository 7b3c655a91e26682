//! The key-value backends: what a `[key_value_store.<label>]` table says,
//! and opening it.
//!
//! Adding a backend: a file with its fields and its store, a `mod` line in
//! `lib.rs`, and here a variant with its arm in each match below.

use std::path::Path;
use std::sync::Arc;

use kiln_label_manager::SharedFiles;
use kiln_located_error::section::{Section, TypeTable};
use kiln_located_error::{paths, Kind, Problem};

use crate::{redis_store, Error, KvDatabase, MemoryStore, RedisStore, Store};

/// How a store label is backed.
///
/// `Debug` hides the password of a Redis URL.
#[derive(Clone, PartialEq, Eq)]
pub enum Backend {
    /// `type = "spin"`: Spin's SQLite-file store. `path` is `None` when the
    /// table gives none; Spin then keeps the store in memory, except for the
    /// `default` label, whose file lives in the state directory.
    Spin {
        /// The database file, absolute; labels naming the same file share it.
        path: Option<std::path::PathBuf>,
    },
    /// `type = "redis"`: a Redis server.
    Redis {
        /// A `redis://`, `rediss://`, `redis+unix://` or `unix://` URL,
        /// possibly holding a password.
        url: String,
    },
    /// `type = "memory"`: a process-local map, empty at start (a Kiln
    /// extension; Spin has no such type).
    Memory,
}

#[derive(Clone, Copy)]
enum Type {
    Spin,
    Redis,
    Memory,
}

const TYPES: TypeTable<Type> = TypeTable {
    what: "key-value store",
    supported: &[("spin", Type::Spin), ("redis", Type::Redis), ("memory", Type::Memory)],
    spin_only: &["azure_cosmos", "aws_dynamo"],
};

impl Backend {
    /// Parses one `[key_value_store.<label>]` table; relative paths resolve
    /// against `base`, the runtime configuration file's folder.
    pub fn from_section<K: Kind>(section: &Section<'_>, base: &Path) -> Result<Self, Problem<K>> {
        Ok(match section.kind(&TYPES)? {
            Type::Spin => Self::Spin { path: paths::path_only(section, base)? },
            Type::Redis => Self::Redis { url: redis_store::url_from_section(section)? },
            Type::Memory => {
                section.check_fields(&["type"])?;
                Self::Memory
            }
        })
    }

    /// Opens the store for `label`; SQLite files come from (and go into)
    /// `files`, so labels naming one file share it.
    pub(crate) async fn open(
        &self,
        label: &str,
        files: &SharedFiles<KvDatabase>,
    ) -> Result<Arc<dyn Store>, Error> {
        tracing::debug!(label, backend = ?self, "opening key-value store");
        let store: Arc<dyn Store> = match self {
            Self::Memory => Arc::new(MemoryStore::new()),
            Self::Spin { path: None } => Arc::new(KvDatabase::open(None).await?.store(label)),
            Self::Spin { path: Some(path) } => {
                let open = |key: std::path::PathBuf| async move { KvDatabase::open(Some(&key)).await };
                Arc::new(files.get_or_open(path, Error::Other, open).await?.store(label))
            }
            Self::Redis { url } => Arc::new(RedisStore::connect(url).await.inspect_err(|e| {
                tracing::warn!(label, error = %e, "cannot open Redis key-value store");
            })?),
        };
        Ok(store)
    }
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Spin { path } => f.debug_struct("Spin").field("path", path).finish(),
            Self::Redis { url } => f
                .debug_struct("Redis")
                .field("url", &redis_store::redact_password(url))
                .finish(),
            Self::Memory => f.write_str("Memory"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
