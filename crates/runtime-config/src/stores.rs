//! `[key_value_store.<label>]` and `[sqlite_database.<label>]` tables.

use std::path::Path;

use serde::Deserialize;

use crate::error::{ErrorKind, Problem};
use crate::model::{KeyValueStoreConfig, SqliteDatabaseConfig};
use crate::paths;
use crate::section::{Section, TypeTable};

#[derive(Clone, Copy)]
enum KvKind {
    Spin,
    Redis,
    Memory,
}

const KV_TYPES: TypeTable<KvKind> = TypeTable {
    what: "key-value store",
    supported: &[
        ("spin", KvKind::Spin),
        ("redis", KvKind::Redis),
        ("memory", KvKind::Memory),
    ],
    spin_only: &["azure_cosmos", "aws_dynamo"],
};

#[derive(Clone, Copy)]
enum SqliteKind {
    Spin,
}

const SQLITE_TYPES: TypeTable<SqliteKind> = TypeTable {
    what: "SQLite database",
    supported: &[("spin", SqliteKind::Spin)],
    spin_only: &["libsql"],
};

/// Fields of a `type = "spin"` store or database.
#[derive(Deserialize)]
struct PathFields {
    path: Option<String>,
}

/// Fields of a `type = "redis"` store.
#[derive(Deserialize)]
struct RedisFields {
    url: String,
}

/// URL schemes the Redis client accepts.
const REDIS_SCHEMES: &[&str] = &["redis", "rediss", "redis+unix", "unix"];

/// Parses one `[key_value_store.<label>]` table.
pub(crate) fn key_value_store(
    section: &Section<'_>,
    base: &Path,
) -> Result<KeyValueStoreConfig, Problem> {
    match section.kind(&KV_TYPES)? {
        KvKind::Spin => {
            section.check_fields(&["type", "path"])?;
            let fields: PathFields = section.deserialize(&["type"])?;
            Ok(KeyValueStoreConfig::Spin {
                path: paths::resolve_field(section, "path", fields.path, base)?,
            })
        }
        KvKind::Redis => {
            section.check_fields(&["type", "url"])?;
            let fields: RedisFields = section.deserialize(&["type"])?;
            check_redis_url(section, &fields.url)?;
            Ok(KeyValueStoreConfig::Redis { url: fields.url })
        }
        KvKind::Memory => {
            section.check_fields(&["type"])?;
            Ok(KeyValueStoreConfig::Memory)
        }
    }
}

/// Parses one `[sqlite_database.<label>]` table.
pub(crate) fn sqlite_database(
    section: &Section<'_>,
    base: &Path,
) -> Result<SqliteDatabaseConfig, Problem> {
    match section.kind(&SQLITE_TYPES)? {
        SqliteKind::Spin => {
            section.check_fields(&["type", "path"])?;
            let fields: PathFields = section.deserialize(&["type"])?;
            Ok(SqliteDatabaseConfig::Spin {
                path: paths::resolve_field(section, "path", fields.path, base)?,
            })
        }
    }
}

/// The URL must parse and use a Redis scheme. The URL itself is not echoed:
/// it may carry a password.
fn check_redis_url(section: &Section<'_>, url: &str) -> Result<(), Problem> {
    let problem = |message: String| {
        Problem::new(
            ErrorKind::Invalid,
            section
                .value_span("url")
                .unwrap_or_else(|| section.span.clone()),
            section.field_of("url"),
            message,
        )
    };
    let parsed =
        url::Url::parse(url).map_err(|e| problem(format!("not a valid Redis URL: {e}")))?;
    if !REDIS_SCHEMES.contains(&parsed.scheme()) {
        return Err(problem(format!(
            "unsupported scheme `{}`; a Redis URL starts with `redis://` or `rediss://`",
            parsed.scheme()
        )));
    }
    Ok(())
}
