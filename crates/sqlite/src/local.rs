//! A database in a local file (or in memory), through rusqlite.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::{Connection, Error, QueryResult, Value};

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
pub use kiln_result_budget::DEFAULT_MAX_RESULT_BYTES;
use kiln_result_budget::{HostSize, ResultBudget};

/// One open SQLite database (the `spin` backend). Cloning is cheap and
/// shares the connection.
#[derive(Clone, Debug)]
pub struct LocalDatabase {
    connection: Arc<Mutex<rusqlite::Connection>>,
    path: Option<PathBuf>,
    max_result_bytes: usize,
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
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
        })
    }

    /// Caps the bytes of rows one [`Connection::execute`] may return
    /// (counted by [`kiln_result_budget::row_size`]); past it the statement stops and fails
    /// with [`Error::Io`] naming the limit. Clones share the connection but
    /// keep their own cap.
    pub fn with_max_result_bytes(mut self, bytes: usize) -> Self {
        self.max_result_bytes = bytes;
        self
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

/// Text and blobs cost their length, numbers a word.
impl HostSize for Value {
    fn host_size(&self) -> usize {
        match self {
            Value::Null => 0,
            Value::Integer(_) | Value::Real(_) => 8,
            Value::Text(text) => text.len(),
            Value::Blob(bytes) => bytes.len(),
        }
    }
}

fn run_statement(
    connection: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
    max_result_bytes: usize,
) -> Result<QueryResult, Error> {
    let mut statement = connection.prepare_cached(sql)?;
    let columns: Vec<String> = statement
        .column_names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let total_before = connection.total_changes();
    let mut rows = Vec::new();
    let mut budget = ResultBudget::new(max_result_bytes);
    {
        // Dropping the cursor early resets the statement, so stopping at
        // the cap leaves the connection ready for the next one.
        let mut cursor = statement.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = cursor.next()? {
            let values = (0..columns.len())
                .map(|i| row.get_ref(i).map(Value::from))
                .collect::<Result<Vec<_>, _>>()?;
            budget.charge("sqlite", &values).map_err(|err| Error::Io(err.to_string()))?;
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
        let limit = self.max_result_bytes;
        self.with(move |c| run_statement(c, &statement, &params, limit))
            .await
    }

    async fn execute_batch(&self, sql: &str) -> Result<(), Error> {
        let sql = sql.to_owned();
        self.with(move |c| Ok(c.execute_batch(&sql)?)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 50 rows of 100,000 bytes each.
    const BIG: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) \
                       SELECT hex(zeroblob(50000)) FROM n";

    #[test]
    fn sizes_count_payloads() {
        assert_eq!(Value::Text("abc".into()).host_size(), 3);
        assert_eq!(Value::Blob(vec![0; 10]).host_size(), 10);
        assert_eq!(Value::Integer(1).host_size(), 8);
        assert_eq!(Value::Null.host_size(), 0);
    }

    #[tokio::test]
    async fn rows_past_the_cap_fail_and_the_database_stays_usable() {
        let db = LocalDatabase::open(None).await.unwrap().with_max_result_bytes(1 << 20);
        let big = db.execute(BIG, vec![]).await;
        let Err(Error::Io(message)) = big else { panic!("expected the cap: {big:?}") };
        assert!(message.contains("1048576-byte limit"), "{message}");
        // The same statement (cached, so it must have been reset) under a
        // bigger cap, and a small one, still work.
        let roomy = db.clone().with_max_result_bytes(6 << 20);
        assert_eq!(roomy.execute(BIG, vec![]).await.unwrap().rows.len(), 50);
        let small = db.execute("SELECT 1", vec![]).await.unwrap();
        assert_eq!(small.rows, vec![vec![Value::Integer(1)]]);
    }
}
