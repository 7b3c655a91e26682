//! SQLite databases for Spin applications, independent of any WIT interface.
//!
//! The host bindings (`spin:sqlite@3.0.0` and older `fermyon:spin/sqlite`)
//! sit on top of the [`Connection`] trait, so nothing here knows wasmtime.
//!
//! Design:
//!
//! - **One connection per database file, shared.** Every component and
//!   request using a label (and every label naming the same file) goes
//!   through one [`LocalDatabase`]. Its connection sits behind a mutex and
//!   each statement runs on tokio's blocking pool, so SQLite never blocks an
//!   async worker. WAL mode and a busy timeout let other processes (say, the
//!   `sqlite3` shell or `spin up`) use the file at the same time.
//! - **Per-statement results.** `changes` and `last_insert_rowid` are read
//!   under the same lock as the statement and returned in its
//!   [`QueryResult`], so concurrent requests never see each other's numbers.
//! - **Exact values.** [`Value`] mirrors SQLite's five storage classes, so
//!   integers (including `i64::MIN`/`MAX`), reals, UTF-8 text, blobs (an
//!   empty blob is not NULL) and NULL round-trip unchanged.
//! - **Access checked in Spin's order.** [`ComponentDatabases`] denies a
//!   label the component's manifest does not list before looking at whether
//!   it exists, so a component cannot probe which databases are defined.

mod backend;
mod error;
mod local;
mod manager;
mod value;

use async_trait::async_trait;

pub use error::Error;
pub use local::{LocalDatabase, DEFAULT_MAX_RESULT_BYTES};
pub use backend::Backend;
pub use manager::{ComponentDatabases, DatabaseManager};
pub use value::{QueryResult, Value};

/// An open database, shared by everyone allowed to use it.
#[async_trait]
pub trait Connection: Send + Sync {
    /// One statement, parameters bound by position (`?1`, `?`, …); returns
    /// column names and rows (empty for statements without results).
    async fn execute(&self, statement: &str, params: Vec<Value>) -> Result<QueryResult, Error>;
    /// Several `;`-separated statements without parameters (used for
    /// `kiln up --sqlite`).
    async fn execute_batch(&self, sql: &str) -> Result<(), Error>;
}
