//! [`StaticProvider`]: values fixed when the application starts.

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;

use crate::error::ProviderError;
use crate::provider::Provider;

/// A fixed map of values: `--variable name=value` on the command line, or a
/// `type = "static"` provider in the runtime configuration.
///
/// `Debug` lists the names only; the values may be secrets.
#[derive(Clone, Default)]
pub struct StaticProvider {
    values: HashMap<String, String>,
}

impl StaticProvider {
    /// A provider answering with `values`; a name given twice keeps its last
    /// value, as repeated `--variable` flags do.
    pub fn new<K, V>(values: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            values: values
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// How many names have a value.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no name has a value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl fmt::Debug for StaticProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.values.keys().collect();
        names.sort();
        f.debug_struct("StaticProvider")
            .field("names", &names)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Provider for StaticProvider {
    async fn get(&self, name: &str) -> Result<Option<String>, ProviderError> {
        Ok(self.values.get(name).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_from_its_map_and_last_value_wins() {
        let p = StaticProvider::new([("a", "1"), ("b", "2"), ("a", "3")]);
        assert_eq!(p.get("a").await.unwrap().as_deref(), Some("3"));
        assert_eq!(p.get("b").await.unwrap().as_deref(), Some("2"));
        assert_eq!(p.get("c").await.unwrap(), None);
        assert_eq!(p.len(), 2);
        assert!(!p.is_empty());
    }

    #[test]
    fn debug_shows_names_not_values() {
        let p = StaticProvider::new([("api_key", "sk-live-42")]);
        let debug = format!("{p:?}");
        assert!(debug.contains("api_key"), "{debug}");
        assert!(!debug.contains("sk-live-42"), "{debug}");
    }
}
