//! [`EnvProvider`]: variables from the process environment and a dotenv file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use async_trait::async_trait;

use crate::error::ProviderError;
use crate::provider::Provider;

/// Reads variable `name` from the environment variable
/// `<PREFIX>_<NAME>` (`SPIN_VARIABLE_API_KEY` for `api_key`), falling back
/// to the same key in a dotenv file when one is configured.
///
/// The process environment wins over the file. The environment is read on
/// every lookup (it is cheap, and tests and embedders may change it); the
/// dotenv file is read once, on first use, and kept. A dotenv file that
/// does not exist is treated as empty, so the default `.env` can be
/// configured unconditionally.
#[derive(Debug)]
pub struct EnvProvider {
    prefix: String,
    dotenv_path: Option<PathBuf>,
    dotenv: OnceLock<HashMap<String, String>>,
}

impl EnvProvider {
    /// Spin's prefix.
    pub const DEFAULT_PREFIX: &'static str = "SPIN_VARIABLE";

    /// A provider with the default prefix and no dotenv file.
    pub fn new() -> Self {
        Self {
            prefix: Self::DEFAULT_PREFIX.to_string(),
            dotenv_path: None,
            dotenv: OnceLock::new(),
        }
    }

    /// Uses `prefix` instead of `SPIN_VARIABLE`. Unless empty, it is joined
    /// to the upper-cased name with `_`.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Also consults the dotenv file at `path` for keys the environment
    /// lacks.
    pub fn with_dotenv(mut self, path: impl Into<PathBuf>) -> Self {
        self.dotenv_path = Some(path.into());
        self.dotenv = OnceLock::new();
        self
    }

    /// The environment variable consulted for `name`.
    pub fn env_key(&self, name: &str) -> String {
        let upper = name.to_ascii_uppercase();
        if self.prefix.is_empty() {
            upper
        } else {
            format!("{}_{upper}", self.prefix)
        }
    }

    fn dotenv_value(&self, key: &str) -> Result<Option<String>, ProviderError> {
        let Some(path) = &self.dotenv_path else {
            return Ok(None);
        };
        if let Some(loaded) = self.dotenv.get() {
            return Ok(loaded.get(key).cloned());
        }
        // A failed load is not kept: the file may be fixed while running.
        let loaded = load_dotenv(path)?;
        let value = loaded.get(key).cloned();
        // Another lookup may have loaded it meanwhile; either copy is good.
        let _ = self.dotenv.set(loaded);
        Ok(value)
    }
}

impl Default for EnvProvider {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads a dotenv file. Errors never quote the file's lines: they hold
/// secrets.
fn load_dotenv(path: &Path) -> Result<HashMap<String, String>, ProviderError> {
    let entries = match dotenvy::from_path_iter(path) {
        Ok(entries) => entries,
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::debug!(path = %path.display(), "no dotenv file; treating it as empty");
            return Ok(HashMap::new());
        }
        Err(e) => {
            return Err(ProviderError::new(format!(
                "cannot read dotenv file {}: {}",
                path.display(),
                describe_dotenv_error(&e)
            )))
        }
    };
    let mut values = HashMap::new();
    for (index, entry) in entries.enumerate() {
        let (key, value) = entry.map_err(|e| {
            ProviderError::new(format!(
                "cannot read dotenv file {}: entry {} (after {index} good entries): {}",
                path.display(),
                index + 1,
                describe_dotenv_error(&e)
            ))
        })?;
        values.insert(key, value);
    }
    Ok(values)
}

/// dotenvy's own messages include the offending line; this one does not.
fn describe_dotenv_error(e: &dotenvy::Error) -> String {
    match e {
        dotenvy::Error::Io(io) => io.to_string(),
        dotenvy::Error::LineParse(_, _) => {
            "a line is not of the form KEY=value (the line is not shown: it may hold a secret)"
                .to_string()
        }
        dotenvy::Error::EnvVar(_) => "a substituted variable is not valid".to_string(),
        _ => "malformed file".to_string(),
    }
}

#[async_trait]
impl Provider for EnvProvider {
    async fn get(&self, name: &str) -> Result<Option<String>, ProviderError> {
        let key = self.env_key(name);
        match std::env::var(&key) {
            Ok(value) => Ok(Some(value)),
            Err(std::env::VarError::NotPresent) => self.dotenv_value(&key),
            Err(std::env::VarError::NotUnicode(_)) => Err(ProviderError::new(format!(
                "environment variable {key} is not valid UTF-8"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test uses its own variable names: tests run in parallel and
    // share the process environment.

    #[tokio::test]
    async fn reads_prefixed_upper_case_environment_variables() {
        std::env::set_var("SPIN_VARIABLE_KILN_ENV_TEST_ONE", "from-env");
        let p = EnvProvider::new();
        assert_eq!(
            p.env_key("kiln_env_test_one"),
            "SPIN_VARIABLE_KILN_ENV_TEST_ONE"
        );
        assert_eq!(
            p.get("kiln_env_test_one").await.unwrap().as_deref(),
            Some("from-env")
        );
        assert_eq!(p.get("kiln_env_test_absent").await.unwrap(), None);
    }

    #[tokio::test]
    async fn custom_and_empty_prefixes() {
        std::env::set_var("KILNTEST_CUSTOM_VAR", "custom");
        let p = EnvProvider::new().with_prefix("KILNTEST");
        assert_eq!(
            p.get("custom_var").await.unwrap().as_deref(),
            Some("custom")
        );

        std::env::set_var("KILN_ENV_TEST_BARE", "bare");
        let p = EnvProvider::new().with_prefix("");
        assert_eq!(p.env_key("kiln_env_test_bare"), "KILN_ENV_TEST_BARE");
        assert_eq!(
            p.get("kiln_env_test_bare").await.unwrap().as_deref(),
            Some("bare")
        );
    }

    #[tokio::test]
    async fn dotenv_file_fills_in_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(
            &path,
            "# comment\nSPIN_VARIABLE_KILN_DOTENV_ONLY=\"from file\"\nSPIN_VARIABLE_KILN_DOTENV_BOTH=file\n",
        )
        .unwrap();
        std::env::set_var("SPIN_VARIABLE_KILN_DOTENV_BOTH", "env");
        let p = EnvProvider::new().with_dotenv(&path);
        assert_eq!(
            p.get("kiln_dotenv_only").await.unwrap().as_deref(),
            Some("from file")
        );
        assert_eq!(
            p.get("kiln_dotenv_both").await.unwrap().as_deref(),
            Some("env")
        );
        assert_eq!(p.get("kiln_dotenv_neither").await.unwrap(), None);
    }

    #[tokio::test]
    async fn missing_dotenv_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = EnvProvider::new().with_dotenv(dir.path().join("absent.env"));
        assert_eq!(p.get("kiln_dotenv_missing_file").await.unwrap(), None);
    }

    #[tokio::test]
    async fn malformed_dotenv_file_is_an_error_that_hides_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "SPIN_VARIABLE_A=ok\nthis is 'not-a-secret-line\n").unwrap();
        let p = EnvProvider::new().with_dotenv(&path);
        let err = p.get("kiln_dotenv_malformed").await.unwrap_err();
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(!message.contains("not-a-secret-line"), "{message}");
    }
}
