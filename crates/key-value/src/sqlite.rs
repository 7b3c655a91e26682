//! The `spin` backend: Spin's SQLite key-value layout.
//!
//! One table holds every store, keyed by label:
//! `spin_key_value(store, key, value)`. Keeping Spin's exact layout means a
//! `.spin/sqlite_key_value.db` moves freely between `spin up` and `kiln up`.
//!
//! SQLite calls block, so each runs on tokio's blocking pool; the connection
//! sits behind a mutex, which makes every operation — batches, increments and
//! compare-and-swap included — atomic within this process. Writes that read
//! first use `BEGIN IMMEDIATE` so they are atomic against other processes
//! sharing the file too.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::ValueRef;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::{integer, Error, Store};

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
    store TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (store, key)
)";
const SELECT_VALUE: &str = "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2";
const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
    ON CONFLICT (store, key) DO UPDATE SET value = excluded.value";
const DELETE: &str = "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2";

/// One open key-value database file (or in-memory database), shared by every
/// label stored in it. Cloning is cheap and shares the connection.
#[derive(Clone, Debug)]
pub struct KvDatabase {
    connection: Arc<Mutex<rusqlite::Connection>>,
    path: Option<PathBuf>,
}

impl KvDatabase {
    /// Opens (creating it and its parent folders if needed) the database at
    /// `path`, or a fresh in-memory database for `None`, and makes sure
    /// Spin's table exists.
    pub async fn open(path: Option<&Path>) -> Result<Self, Error> {
        let path = path.map(Path::to_path_buf);
        let for_open = path.clone();
        let connection = tokio::task::spawn_blocking(move || open_connection(for_open.as_deref()))
            .await
            .map_err(|e| Error::Other(format!("opening key-value database: {e}")))??;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            path,
        })
    }

    /// The file this database lives in; `None` when in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The store with this label inside this database.
    pub fn store(&self, label: impl Into<String>) -> SqliteStore {
        SqliteStore {
            database: self.clone(),
            label: label.into().into(),
        }
    }

    /// Runs `work` on the blocking pool with the connection locked.
    async fn with<T, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T, Error> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            // Nothing panics while holding the lock; an open transaction is
            // rolled back when its guard drops, so a poisoned connection is
            // still usable.
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        })
        .await
        .map_err(|e| Error::Other(format!("key-value task failed: {e}")))?
    }
}

fn open_connection(path: Option<&Path>) -> Result<rusqlite::Connection, Error> {
    let connection = match path {
        None => rusqlite::Connection::open_in_memory().map_err(db_error)?,
        Some(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Error::Other(format!("{}: {e}", parent.display())))?;
            }
            rusqlite::Connection::open(path)
                .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?
        }
    };
    connection.busy_timeout(BUSY_TIMEOUT).map_err(db_error)?;
    // The pragma answers with the mode now in force ("memory" for an
    // in-memory database, which cannot use WAL); either is fine.
    let _mode: String = connection
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(db_error)?;
    connection.execute(CREATE_TABLE, []).map_err(db_error)?;
    Ok(connection)
}

fn db_error(error: rusqlite::Error) -> Error {
    Error::Other(format!("key-value database: {error}"))
}

/// A stored value as bytes. Kiln always writes BLOBs, but a file shared with
/// other tools may hold a counter as an INTEGER or text as TEXT; both read as
/// the bytes of their text form, which keeps counters decimal ASCII.
fn stored_bytes(value: ValueRef<'_>) -> Vec<u8> {
    match value {
        ValueRef::Blob(bytes) | ValueRef::Text(bytes) => bytes.to_vec(),
        ValueRef::Integer(n) => integer::encode(n),
        ValueRef::Real(x) => x.to_string().into_bytes(),
        ValueRef::Null => Vec::new(),
    }
}

fn read_value(
    connection: &rusqlite::Connection,
    label: &str,
    key: &str,
) -> Result<Option<Vec<u8>>, Error> {
    connection
        .prepare_cached(SELECT_VALUE)
        .and_then(|mut statement| {
            statement
                .query_row(params![label, key], |row| Ok(stored_bytes(row.get_ref(0)?)))
                .optional()
        })
        .map_err(db_error)
}

fn write_value(
    connection: &rusqlite::Connection,
    label: &str,
    key: &str,
    value: &[u8],
) -> Result<(), Error> {
    connection
        .prepare_cached(UPSERT)
        .and_then(|mut statement| statement.execute(params![label, key, value]))
        .map(drop)
        .map_err(db_error)
}

/// A transaction that takes the write lock at once, so a read-then-write
/// cannot interleave with another process's write.
fn write_transaction(
    connection: &mut rusqlite::Connection,
) -> Result<rusqlite::Transaction<'_>, Error> {
    connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_error)
}

/// One label of a [`KvDatabase`] (the `spin` backend).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    database: KvDatabase,
    label: Arc<str>,
}

impl SqliteStore {
    /// Opens the store `label` in its own connection to `path` (`None` = a
    /// fresh in-memory database). To share one file between labels, open a
    /// [`KvDatabase`] once and call [`KvDatabase::store`] per label.
    pub async fn open(path: Option<&Path>, label: impl Into<String>) -> Result<Self, Error> {
        Ok(KvDatabase::open(path).await?.store(label))
    }

    /// The store's label (its `store` column value).
    pub fn label(&self) -> &str {
        &self.label
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let (label, key) = (Arc::clone(&self.label), key.to_owned());
        self.database
            .with(move |c| read_value(c, &label, &key))
            .await
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        let (label, key, value) = (Arc::clone(&self.label), key.to_owned(), value.to_vec());
        self.database
            .with(move |c| write_value(c, &label, &key, &value))
            .await
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        let (label, key) = (Arc::clone(&self.label), key.to_owned());
        self.database
            .with(move |c| {
                c.prepare_cached(DELETE)
                    .and_then(|mut s| s.execute(params![&*label, key]))
                    .map(drop)
                    .map_err(db_error)
            })
            .await
    }

    async fn exists(&self, key: &str) -> Result<bool, Error> {
        let (label, key) = (Arc::clone(&self.label), key.to_owned());
        self.database
            .with(move |c| {
                c.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")
                    .and_then(|mut s| s.exists(params![&*label, key]))
                    .map_err(db_error)
            })
            .await
    }

    async fn get_keys(&self) -> Result<Vec<String>, Error> {
        let label = Arc::clone(&self.label);
        self.database
            .with(move |c| {
                c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")
                    .and_then(|mut s| {
                        s.query_map(params![&*label], |row| row.get::<_, String>(0))?
                            .collect()
                    })
                    .map_err(db_error)
            })
            .await
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Option<Vec<u8>>)>, Error> {
        let (label, keys) = (Arc::clone(&self.label), keys.to_vec());
        self.database
            .with(move |c| {
                // One read transaction: a consistent snapshot of every key.
                let tx = c.transaction().map_err(db_error)?;
                let values = keys
                    .into_iter()
                    .map(|key| {
                        let value = read_value(&tx, &label, &key)?;
                        Ok((key, value))
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                tx.commit().map_err(db_error)?;
                Ok(values)
            })
            .await
    }

    async fn set_many(&self, items: &[(String, Vec<u8>)]) -> Result<(), Error> {
        let (label, items) = (Arc::clone(&self.label), items.to_vec());
        self.database
            .with(move |c| {
                let tx = write_transaction(c)?;
                for (key, value) in &items {
                    write_value(&tx, &label, key, value)?;
                }
                tx.commit().map_err(db_error)
            })
            .await
    }

    async fn delete_many(&self, keys: &[String]) -> Result<(), Error> {
        let (label, keys) = (Arc::clone(&self.label), keys.to_vec());
        self.database
            .with(move |c| {
                let tx = write_transaction(c)?;
                {
                    let mut statement = tx.prepare_cached(DELETE).map_err(db_error)?;
                    for key in &keys {
                        statement.execute(params![&*label, key]).map_err(db_error)?;
                    }
                }
                tx.commit().map_err(db_error)
            })
            .await
    }

    async fn increment(&self, key: &str, delta: i64) -> Result<i64, Error> {
        let (label, key) = (Arc::clone(&self.label), key.to_owned());
        self.database
            .with(move |c| {
                let tx = write_transaction(c)?;
                let current = integer::parse(read_value(&tx, &label, &key)?.as_deref())?;
                let new = integer::add(current, delta)?;
                write_value(&tx, &label, &key, &integer::encode(new))?;
                tx.commit().map_err(db_error)?;
                Ok(new)
            })
            .await
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, Error> {
        let (label, key) = (Arc::clone(&self.label), key.to_owned());
        let (expected, new) = (expected.map(<[u8]>::to_vec), new.to_vec());
        self.database
            .with(move |c| {
                let tx = write_transaction(c)?;
                if read_value(&tx, &label, &key)? != expected {
                    return Ok(false);
                }
                write_value(&tx, &label, &key, &new)?;
                tx.commit().map_err(db_error)?;
                Ok(true)
            })
            .await
    }
}
