//! A database in a local file (or in memory), through rusqlite.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::{Connection, Error, QueryResult, Value};

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// One open SQLite database (the `spin` backend). Cloning is cheap and
/// shares the connection.
#[derive(Clone, Debug)]
pub struct LocalDatabase {
    connection: Arc<Mutex<rusqlite::Connection>>,
    path: Option<PathBuf>,
}

impl LocalDatabase {
    /// Opens the database at `path`, creating it and its parent folders if
    /// needed; `None` opens a fresh in-memory database.
    pub async fn open(path: Option<&Path>) -> Result<Self, Error> {
        let path = path.map(Path::to_path_buf);
        let for_open = path.clone();
        let connection = tokio::task::spawn_blocking(move || open_connection(for_open.as_deref()))
            .await
            .map_err(|e| Error::Io(format!("opening database: {e}")))??;
        tracing::debug!(path = ?path, "opened SQLite database");
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            path,
        })
    }

    /// The file this database lives in; `None` when in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `work` on the blocking pool with the connection locked.
    async fn with<T, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, Error> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            // No code path panics while holding the lock, so a poisoned
            // connection is still consistent.
            let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&connection)
        })
        .await
        .map_err(|e| Error::Io(format!("database task failed: {e}")))?
    }
}

fn open_connection(path: Option<&Path>) -> Result<rusqlite::Connection, Error> {
    let connection = match path {
        None => rusqlite::Connection::open_in_memory()?,
        Some(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Error::Io(format!("{}: {e}", parent.display())))?;
            }
            rusqlite::Connection::open(path)
                .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?
        }
    };
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // The pragma answers with the mode now in force ("memory" for an
    // in-memory database, which cannot use WAL); either is fine.
    let _mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    Ok(connection)
}

fn run_statement(
    connection: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
) -> Result<QueryResult, Error> {
    let mut statement = connection.prepare_cached(sql)?;
    let columns: Vec<String> = statement
        .column_names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let total_before = connection.total_changes();
    let mut rows = Vec::new();
    {
        let mut cursor = statement.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = cursor.next()? {
            let values = (0..columns.len())
                .map(|i| row.get_ref(i).map(Value::from))
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(values);
        }
    }
    // `changes()` keeps the count of the last statement that changed rows,
    // even across later SELECTs or DDL; only report it when this statement
    // moved the running total.
    let changes = if connection.total_changes() != total_before {
        connection.changes()
    } else {
        0
    };
    Ok(QueryResult {
        columns,
        rows,
        changes,
        last_insert_rowid: connection.last_insert_rowid(),
    })
}

#[async_trait]
impl Connection for LocalDatabase {
    async fn execute(&self, statement: &str, params: Vec<Value>) -> Result<QueryResult, Error> {
        let statement = statement.to_owned();
        self.with(move |c| run_statement(c, &statement, &params))
            .await
    }

    async fn execute_batch(&self, sql: &str) -> Result<(), Error> {
        let sql = sql.to_owned();
        self.with(move |c| Ok(c.execute_batch(&sql)?)).await
    }
}
