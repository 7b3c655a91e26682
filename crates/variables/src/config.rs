//! Building providers from runtime configuration.

use std::sync::Arc;

use kiln_runtime_config::VariablesProviderConfig;

use crate::env::EnvProvider;
use crate::error::ProviderError;
use crate::fixed::StaticProvider;
use crate::provider::Provider;
use crate::vault::VaultProvider;

/// The provider a `[[variables_provider]]` entry describes.
///
/// Fails only for a Vault entry whose URL or token is unusable.
pub fn provider_from_config(
    config: &VariablesProviderConfig,
) -> Result<Arc<dyn Provider>, ProviderError> {
    Ok(match config {
        VariablesProviderConfig::Vault {
            url,
            token,
            mount,
            prefix,
        } => Arc::new(VaultProvider::new(
            url,
            token.clone(),
            mount.clone(),
            prefix.clone(),
        )?),
        VariablesProviderConfig::Env {
            prefix,
            dotenv_path,
        } => {
            let mut provider = EnvProvider::new();
            if let Some(prefix) = prefix {
                provider = provider.with_prefix(prefix.clone());
            }
            if let Some(path) = dotenv_path {
                provider = provider.with_dotenv(path.clone());
            }
            Arc::new(provider)
        }
        VariablesProviderConfig::Static { values } => Arc::new(StaticProvider::new(
            values.iter().map(|(k, v)| (k.clone(), v.clone())),
        )),
    })
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;

    #[tokio::test]
    async fn each_config_becomes_its_provider() {
        let mut values = IndexMap::new();
        values.insert("greeting".to_string(), "hello".to_string());
        let p = provider_from_config(&VariablesProviderConfig::Static { values }).unwrap();
        assert_eq!(p.get("greeting").await.unwrap().as_deref(), Some("hello"));

        std::env::set_var("KILNCFG_FROM_CONFIG", "env-value");
        let p = provider_from_config(&VariablesProviderConfig::Env {
            prefix: Some("KILNCFG".into()),
            dotenv_path: None,
        })
        .unwrap();
        assert_eq!(
            p.get("from_config").await.unwrap().as_deref(),
            Some("env-value")
        );

        let p = provider_from_config(&VariablesProviderConfig::Vault {
            url: "http://127.0.0.1:8200".into(),
            token: "s.hidden-token".into(),
            mount: "secret".into(),
            prefix: None,
        })
        .unwrap();
        let debug = format!("{p:?}");
        assert!(debug.starts_with("VaultProvider"), "{debug}");
        assert!(!debug.contains("hidden-token"), "{debug}");

        let err = provider_from_config(&VariablesProviderConfig::Vault {
            url: "not a url".into(),
            token: "t".into(),
            mount: "secret".into(),
            prefix: None,
        })
        .unwrap_err();
        assert!(err.message().contains("Vault URL"), "{err}");
    }
}
