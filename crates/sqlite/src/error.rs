//! The interface-independent error and how SQLite's errors map onto it.

/// Why a database could not be opened or a statement failed; the bindings
/// map it onto each WIT error variant.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum Error {
    /// The application defines no database with this label.
    #[error("no such database")]
    NoSuchDatabase,
    /// The component's manifest does not list this database label.
    #[error("access denied")]
    AccessDenied,
    /// The connection handle is not valid (used by the bindings).
    #[error("invalid connection")]
    InvalidConnection,
    /// SQLite reported `SQLITE_FULL`.
    #[error("database full")]
    DatabaseFull,
    /// Anything else; the message is what SQLite (or the OS) says.
    #[error("{0}")]
    Io(String),
}

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => Error::DatabaseFull,
            // rusqlite shows SQLite's own message when it has one.
            _ => Error::Io(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32, message: &str) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(message.into()))
    }

    #[test]
    fn full_is_database_full() {
        let error = failure(rusqlite::ffi::SQLITE_FULL, "database or disk is full");
        assert_eq!(Error::from(error), Error::DatabaseFull);
    }

    #[test]
    fn others_carry_sqlites_message() {
        let error = failure(rusqlite::ffi::SQLITE_ERROR, "no such table: t");
        assert_eq!(Error::from(error), Error::Io("no such table: t".into()));
    }
}
