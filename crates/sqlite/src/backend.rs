//! The SQLite backends: what a `[sqlite_database.<label>]` table says.

use std::path::{Path, PathBuf};

use kiln_located_error::section::{Section, TypeTable};
use kiln_located_error::{paths, Kind, Problem};

/// How a database label is backed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `type = "spin"`: a local SQLite file. `path` is `None` when the table
    /// gives none; Spin then uses an in-memory database, except for the
    /// `default` label, whose file lives in the state directory.
    Spin {
        /// The database file, absolute; labels naming the same file share it.
        path: Option<PathBuf>,
    },
}

#[derive(Clone, Copy)]
enum Type {
    Spin,
}

const TYPES: TypeTable<Type> = TypeTable {
    what: "SQLite database",
    supported: &[("spin", Type::Spin)],
    spin_only: &["libsql"],
};

impl Backend {
    /// Parses one `[sqlite_database.<label>]` table; relative paths resolve
    /// against `base`, the runtime configuration file's folder.
    pub fn from_section<K: Kind>(section: &Section<'_>, base: &Path) -> Result<Self, Problem<K>> {
        Ok(match section.kind(&TYPES)? {
            Type::Spin => Self::Spin { path: paths::path_only(section, base)? },
        })
    }
}
