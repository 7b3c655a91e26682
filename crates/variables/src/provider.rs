//! The provider interface.

use async_trait::async_trait;

use crate::error::ProviderError;

/// A source of application-variable values: the command line, the
/// environment, a secrets store.
///
/// Providers are asked in priority order by [`crate::Resolver`]; the first
/// one with a value wins. `Debug` output must not contain values or
/// credentials.
#[async_trait]
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// The value of application variable `name` (lowercase, as in the
    /// manifest), or `None` when this provider has none.
    async fn get(&self, name: &str) -> Result<Option<String>, ProviderError>;
}
