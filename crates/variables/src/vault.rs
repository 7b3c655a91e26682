//! [`VaultProvider`]: secrets from HashiCorp Vault's KV version 2 engine.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;

use crate::error::ProviderError;
use crate::provider::Provider;

/// Reads variable `name` from the KV v2 secret `{prefix/}{name}` under
/// `mount`: `GET {url}/v1/{mount}/data/{prefix/}{name}` with the token in
/// `X-Vault-Token`, taking the secret's `value` key (`.data.data.value` in
/// the response). A secret that does not exist (404) is `None`, so lower
/// providers and defaults still apply; any other failure is an error.
///
/// # Caching
///
/// Spin re-reads application variables on every `get` so that a rotated
/// secret is picked up without a restart. Asking Vault on every request
/// would put it on the request path, so answers (including "no such
/// secret") are kept for a short time-to-live, [`Self::DEFAULT_CACHE_TTL`]
/// unless set with [`Self::with_cache_ttl`]: a rotated secret is seen within
/// that time, and a burst of requests costs one Vault call per variable.
/// Failures are never cached.
pub struct VaultProvider {
    base: url::Url,
    /// `base` without any password, for messages.
    shown_url: String,
    token: String,
    mount: String,
    prefix: Option<String>,
    client: reqwest::Client,
    cache_ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Option<String>)>>,
}

impl VaultProvider {
    /// How long an answer is reused.
    pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(5);
    /// How long connecting may take.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// How long a whole request may take.
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

    /// A provider for the Vault server at `url` (`http://` or `https://`).
    ///
    /// Fails when the URL is not one, or the token cannot be sent as an
    /// HTTP header.
    pub fn new(
        url: &str,
        token: impl Into<String>,
        mount: impl Into<String>,
        prefix: Option<String>,
    ) -> Result<Self, ProviderError> {
        let base = url::Url::parse(url)
            .map_err(|e| ProviderError::new(format!("Vault URL is not valid: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ProviderError::new(format!(
                "Vault URL must start with http:// or https://, not {}://",
                base.scheme()
            )));
        }
        let mut shown = base.clone();
        if shown.password().is_some() {
            // Cannot fail: a URL with a password has a host.
            let _ = shown.set_password(Some("redacted"));
        }
        let token = token.into();
        let mut token_header = HeaderValue::from_str(&token).map_err(|_| {
            ProviderError::new("the Vault token contains characters not allowed in an HTTP header")
        })?;
        token_header.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("X-Vault-Token", token_header);
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(Self::CONNECT_TIMEOUT)
            .timeout(Self::REQUEST_TIMEOUT)
            .build()
            .map_err(|e| ProviderError::new(format!("cannot set up the Vault client: {e}")))?;
        Ok(Self {
            base,
            shown_url: shown.to_string(),
            token,
            mount: mount.into(),
            prefix,
            client,
            cache_ttl: Self::DEFAULT_CACHE_TTL,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Keeps answers for `ttl`; `Duration::ZERO` asks Vault every time.
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// The secret's path under the mount, for messages: `{prefix/}{name}`.
    fn secret_path(&self, name: &str) -> String {
        match self.prefix.as_deref().map(|p| p.trim_matches('/')) {
            Some(prefix) if !prefix.is_empty() => format!("{prefix}/{name}"),
            _ => name.to_string(),
        }
    }

    /// `{url}/v1/{mount}/data/{prefix/}{name}`, each segment escaped.
    fn secret_url(&self, name: &str) -> Result<url::Url, ProviderError> {
        let mut url = self.base.clone();
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|()| ProviderError::new("Vault URL cannot have a path"))?;
            segments.pop_if_empty().push("v1");
            segments.extend(self.mount.split('/').filter(|s| !s.is_empty()));
            segments.push("data");
            if let Some(prefix) = &self.prefix {
                segments.extend(prefix.split('/').filter(|s| !s.is_empty()));
            }
            segments.push(name);
        }
        Ok(url)
    }

    fn cached(&self, name: &str) -> Option<Option<String>> {
        if self.cache_ttl.is_zero() {
            return None;
        }
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match cache.get(name) {
            Some((at, value)) if at.elapsed() < self.cache_ttl => Some(value.clone()),
            _ => None,
        }
    }

    fn remember(&self, name: &str, value: &Option<String>) {
        if self.cache_ttl.is_zero() {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(name.to_string(), (Instant::now(), value.clone()));
    }

    async fn fetch(&self, name: &str) -> Result<Option<String>, ProviderError> {
        let url = self.secret_url(name)?;
        let path = self.secret_path(name);
        let mount = &self.mount;
        let response = self.client.get(url).send().await.map_err(|e| {
            ProviderError::new(format!(
                "cannot read `{path}` from Vault at {}: {}",
                self.shown_url,
                e.without_url()
            ))
        })?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(None),
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => {
                return Err(ProviderError::new(format!(
                    "Vault refused to read `{path}` in mount `{mount}` ({}): check the token and its policy",
                    response.status()
                )))
            }
            status => {
                return Err(ProviderError::new(format!(
                    "Vault answered {status} reading `{path}` in mount `{mount}`"
                )))
            }
        }
        let body: serde_json::Value = response.json().await.map_err(|e| {
            ProviderError::new(format!(
                "Vault's answer for `{path}` is not JSON: {}",
                e.without_url()
            ))
        })?;
        match body.pointer("/data/data/value") {
            Some(serde_json::Value::String(value)) => Ok(Some(value.clone())),
            Some(_) => Err(ProviderError::new(format!(
                "the `value` key of Vault secret `{path}` is not a string"
            ))),
            None => Err(ProviderError::new(format!(
                "Vault secret `{path}` has no `value` key (store it with `vault kv put {mount}/{path} value=...`)"
            ))),
        }
    }
}

impl fmt::Debug for VaultProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultProvider")
            .field("url", &self.shown_url)
            .field(
                "token",
                &format_args!(
                    "{}",
                    if self.token.is_empty() {
                        ""
                    } else {
                        "<redacted>"
                    }
                ),
            )
            .field("mount", &self.mount)
            .field("prefix", &self.prefix)
            .field("cache_ttl", &self.cache_ttl)
            .finish()
    }
}

#[async_trait]
impl Provider for VaultProvider {
    async fn get(&self, name: &str) -> Result<Option<String>, ProviderError> {
        if let Some(value) = self.cached(name) {
            return Ok(value);
        }
        let value = self.fetch(name).await?;
        tracing::debug!(
            variable = name,
            found = value.is_some(),
            "looked up variable in Vault"
        );
        self.remember(name, &value);
        Ok(value)
    }
}
