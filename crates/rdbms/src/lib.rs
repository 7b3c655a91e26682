//! The row and error model Kiln's relational database backends share:
//! [`Column`], [`RowSet`] and [`Error`], generic over each backend's own
//! value and column-type enums (PostgreSQL's are a superset of what MySQL
//! has, and MySQL has unsigned integers PostgreSQL lacks, so each backend
//! keeps its `Value` and `DataType` and names these with them).
//!
//! This crate refuses drivers, pools and WIT: `kiln-outbound-pg` and
//! `kiln-outbound-mysql` build on it, and the host bindings in `kiln-world`
//! convert from it into each interface version's types.

use std::fmt;

/// A result column: its name and its type `T` (a backend's `DataType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column<T> {
    /// The column name.
    pub name: String,
    /// Its type.
    pub data_type: T,
}

/// What a query returned: columns of type `T` and rows of values `V`.
#[derive(Debug, Clone, PartialEq)]
pub struct RowSet<V, T> {
    /// The result columns.
    pub columns: Vec<Column<T>>,
    /// The rows, each with one value per column.
    pub rows: Vec<Vec<V>>,
}

// By hand: a derive would demand `V: Default` and `T: Default`.
impl<V, T> Default for RowSet<V, T> {
    fn default() -> Self {
        Self {
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }
}

/// A database operation's failure, shaped like the interfaces' `error`
/// variant. `Q` is what a failed statement carries: text for MySQL,
/// text or a structured server error for PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error<Q: fmt::Display = String> {
    /// The address is invalid, not allowed, or the server could not be
    /// reached or refused the login.
    #[error("connection failed: {0}")]
    ConnectionFailed(String),
    /// A parameter cannot be sent.
    #[error("bad parameter: {0}")]
    BadParameter(String),
    /// The statement failed.
    #[error("query failed: {0}")]
    QueryFailed(Q),
    /// A returned value cannot be converted.
    #[error("value conversion failed: {0}")]
    ValueConversionFailed(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_before() {
        let err: Error = Error::QueryFailed("syntax".into());
        assert_eq!(err.to_string(), "query failed: syntax");
        assert_eq!(Error::<String>::Other("x".into()).to_string(), "x");
        assert_eq!(
            Error::<String>::ConnectionFailed("no".into()).to_string(),
            "connection failed: no"
        );
    }

    #[test]
    fn an_empty_row_set_needs_no_defaults() {
        struct NoDefault;
        let rows: RowSet<NoDefault, NoDefault> = RowSet::default();
        assert!(rows.columns.is_empty() && rows.rows.is_empty());
    }
}
