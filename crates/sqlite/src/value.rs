//! Values and results, mirroring SQLite's storage classes.

use rusqlite::types::{ToSqlOutput, ValueRef};

/// One SQLite value; each variant is one storage class.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes; an empty blob is not [`Value::Null`].
    Blob(Vec<u8>),
    /// SQL NULL.
    Null,
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Integer(n) => ValueRef::Integer(*n),
            Value::Real(x) => ValueRef::Real(*x),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
            Value::Blob(bytes) => ValueRef::Blob(bytes),
            Value::Null => ValueRef::Null,
        }))
    }
}

impl From<ValueRef<'_>> for Value {
    fn from(value: ValueRef<'_>) -> Self {
        match value {
            ValueRef::Integer(n) => Value::Integer(n),
            ValueRef::Real(x) => Value::Real(x),
            // SQLite does not check that TEXT is UTF-8; a stray invalid byte
            // is replaced rather than failing the whole query.
            ValueRef::Text(bytes) => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
            ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
            ValueRef::Null => Value::Null,
        }
    }
}

/// What one statement produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    /// Column names, in order; empty for statements without results.
    pub columns: Vec<String>,
    /// Rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
    /// Rows this statement inserted, updated or deleted (0 for anything
    /// else).
    pub changes: u64,
    /// The connection's last inserted rowid right after this statement, read
    /// under the same lock.
    pub last_insert_rowid: i64,
}
