//! Errors, shaped like the interfaces' `error` variant.

/// A structured error PostgreSQL returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    /// The whole error as text.
    pub as_text: String,
    /// `ERROR`, `FATAL`, …
    pub severity: String,
    /// The SQLSTATE code.
    pub code: String,
    /// The primary message.
    pub message: String,
    /// The optional detail message.
    pub detail: Option<String>,
    /// Other fields PostgreSQL sent (hint, table, column, constraint, …).
    pub extras: Vec<(String, String)>,
}

/// Why a query failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// No structured information: the message.
    Text(String),
    /// PostgreSQL's own error (boxed: it is large, and rare).
    Db(Box<DbError>),
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::Text(text) => f.write_str(text),
            QueryError::Db(db) => f.write_str(&db.as_text),
        }
    }
}

/// A PostgreSQL operation's failure; a failed statement carries a
/// [`QueryError`].
pub type Error = kiln_rdbms::Error<QueryError>;

/// The error of a failed statement, structured when PostgreSQL sent one.
pub(crate) fn query(err: &tokio_postgres::Error) -> Error {
    let Some(db) = err.as_db_error() else {
        return Error::QueryFailed(QueryError::Text(err.to_string()));
    };
    let mut extras = Vec::new();
    let mut extra = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            extras.push((name.to_string(), value.to_string()));
        }
    };
    extra("hint", db.hint());
    extra("schema", db.schema());
    extra("table", db.table());
    extra("column", db.column());
    extra("datatype", db.datatype());
    extra("constraint", db.constraint());
    extra("where", db.where_());
    Error::QueryFailed(QueryError::Db(Box::new(DbError {
        as_text: db.to_string(),
        severity: db.severity().to_string(),
        code: db.code().code().to_string(),
        message: db.message().to_string(),
        detail: db.detail().map(str::to_string),
        extras,
    })))
}
