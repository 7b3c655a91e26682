//! Spin's runtime configuration file (`spin up --runtime-config-file FILE`),
//! parsed into plain data.
//!
//! The file says where an application's state lives and which backends
//! serve its capabilities: key-value stores, SQLite databases and
//! application-variable providers. This crate only reads it: it parses
//! the top level and hands each `[key_value_store.<label>]` and
//! `[sqlite_database.<label>]` table to the capability crate that owns it
//! (`kiln_key_value::Backend::from_section`,
//! `kiln_sqlite::Backend::from_section`), so a new backend is added in that
//! crate alone. It opens nothing and refuses anything it does not
//! understand.
//!
//! # What is accepted
//!
//! | key | becomes |
//! |---|---|
//! | `state_dir`, `log_dir` | [`RuntimeConfig::state_dir`], [`RuntimeConfig::log_dir`]; `""` means unset |
//! | `[key_value_store.<label>]` | `type = "spin"` (`path`), `"redis"` (`url`), `"memory"` |
//! | `[sqlite_database.<label>]` | `type = "spin"` (`path`) |
//! | `[[variables_provider]]`, `[[config_provider]]` | `type = "vault"` (`url`, `token`, `mount`, `prefix`), `"env"` (`prefix`, `dotenv_path`), `"static"` (`values`) |
//! | `[outbound_http]` | `connection_pooling`, `max_concurrent_requests` |
//! | `[outbound_networking]` | `block_networks`: CIDR ranges, addresses and `"private"` ([`BlockedNetwork`]) |
//!
//! Relative paths (`state_dir`, `log_dir`, `path`, `dotenv_path`) resolve
//! against the folder holding the file, so a configuration means the same
//! thing whatever directory Kiln is started from; every path comes out
//! absolute.
//!
//! # Strictness
//!
//! A typo in this file would otherwise silently fall back to a default
//! (a store kept in memory instead of on disk, a secret not read from
//! Vault), so anything not understood is an error:
//!
//! - unknown keys, at any level;
//! - `type`s Kiln does not implement, including Spin's `azure_cosmos`,
//!   `aws_dynamo`, `libsql` and `azure_key_vault` (the message lists the
//!   supported types);
//! - Spin sections Kiln does not implement (`llm_compute`, `client_tls`,
//!   `blob_store`).
//!
//! Every error is a [`RuntimeConfigError`] that displays as
//! `file:line:column: field: message`, e.g.
//! ``runtime-config.toml:4:1: key_value_store.cache: unknown field `urll`, expected one of `type`, `url` ``.
//!
//! # Secrets
//!
//! The Vault token and static provider values are secrets: the `Debug`
//! output of [`VariablesProviderConfig`] redacts them, a Redis URL's
//! password is redacted in [`KeyValueStoreConfig`]'s `Debug`, and no error
//! message echoes a value that could be one.

mod document;
mod error;
mod model;
mod providers;

use std::path::Path;

pub use error::{ErrorKind, RuntimeConfigError};
pub use model::{
    BlockedNetwork, KeyValueStoreConfig, OutboundHttpConfig, RuntimeConfig, SqliteDatabaseConfig,
    VariablesProviderConfig,
};

impl RuntimeConfig {
    /// Reads and parses the runtime configuration file at `path`.
    ///
    /// A file that cannot be read gives an [`ErrorKind::Io`] error naming
    /// `path`.
    pub fn parse_file(path: &Path) -> Result<Self, RuntimeConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| RuntimeConfigError::io(path, "cannot read runtime config file", e))?;
        Self::parse_str(&text, path)
    }

    /// Parses runtime configuration text as if read from `path`: errors name
    /// `path` as given, and relative paths in the text resolve against its
    /// folder (made absolute against the current directory if need be). The
    /// file itself is not read.
    pub fn parse_str(text: &str, path: &Path) -> Result<Self, RuntimeConfigError> {
        let absolute = std::path::absolute(path)
            .map_err(|e| RuntimeConfigError::io(path, "cannot make the path absolute", e))?;
        let base = absolute.parent().unwrap_or(&absolute).to_path_buf();
        let mut config = document::parse(text, &base)
            .map_err(|problem| RuntimeConfigError::from_problem(path, text, problem))?;
        config.path = Some(absolute);
        Ok(config)
    }
}

#[cfg(test)]
mod tests;
