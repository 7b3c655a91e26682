//! Which network destinations a component may reach.
//!
//! A component's `allowed_outbound_hosts` entries are parsed and validated
//! with the manifest ([`kiln_manifest::outbound`]), and the result is an
//! [`OutboundPolicy`] every outbound capability (HTTP, Redis, PostgreSQL,
//! MySQL, MQTT, sockets) asks before it connects. An empty list allows
//! nothing: no network at all.
//!
//! Entries with `{{ variable }}` templates are resolved at runtime
//! ([`OutboundPolicy::with_templates`]): variable providers may be dynamic
//! (a Vault secret rotated while the app runs), so
//! [`OutboundPolicy::refresh`] renders them again through a
//! [`TemplateRenderer`] and swaps in the new entries when a value changed.
//! The async checks ([`OutboundPolicy::allows_now`],
//! [`OutboundPolicy::allows_url_now`]) refresh first; the sync ones use the
//! entries of the last refresh.
//!
//! Matching is on what the guest asked for (scheme, host as written, port);
//! `self` matches requests back to the app itself, which the caller
//! recognises (a relative URL, or the app's own address). The runtime
//! config's `block_networks` ([`BlockedNetworks`]) is the second check, on
//! the addresses a name resolves to, made where connections are opened.

mod blocked;

pub use blocked::{BlockedNetworks, ResolveError};

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use kiln_manifest::outbound::{default_port, AllowedHostConfig, OutboundHostError};

/// Why a policy could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// An entry (as resolved) is not a valid entry.
    #[error("allowed_outbound_hosts entry `{entry}`: {source}")]
    Invalid {
        /// The entry as resolved.
        entry: String,
        /// What is wrong with it.
        #[source]
        source: OutboundHostError,
    },
    /// An entry's `{{ variable }}` template could not be rendered.
    #[error("allowed_outbound_hosts entry `{entry}`: {message}")]
    Template {
        /// The entry as written.
        entry: String,
        /// Why (names the variable, never a value).
        message: String,
    },
}

/// What [`TemplateRenderer::render`] returns: the entry with its variables
/// filled in, or why that failed (naming the variable, never a value).
pub type RenderFuture<'a> = Pin<Box<dyn Future<Output = Result<String, String>> + Send + 'a>>;

/// Fills in the `{{ variable }}` templates of a component's entries; the
/// embedder implements it over its variable providers.
pub trait TemplateRenderer: Send + Sync {
    /// Renders one `allowed_outbound_hosts` entry.
    fn render<'a>(&'a self, entry: &'a str) -> RenderFuture<'a>;
}

/// The entries with templates, and what they last rendered to.
struct Templated {
    templates: Vec<String>,
    renderer: Arc<dyn TemplateRenderer>,
    current: RwLock<Arc<Rendered>>,
}

/// One rendering of the templated entries: the texts (to see whether a
/// value changed) and the entries they parse to (failed ones left out).
#[derive(Default)]
struct Rendered {
    texts: Vec<Option<String>>,
    allowed: Vec<AllowedHostConfig>,
}

/// The destinations one component may reach.
#[derive(Clone, Default)]
pub struct OutboundPolicy {
    allowed: Vec<AllowedHostConfig>,
    templated: Option<Arc<Templated>>,
    blocked: Arc<BlockedNetworks>,
}

impl std::fmt::Debug for OutboundPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Rendered entries may hold variable values: only the templates show.
        f.debug_struct("OutboundPolicy")
            .field("allowed", &self.allowed)
            .field("templates", &self.templated.as_ref().map(|t| &t.templates))
            .field("blocked", &self.blocked)
            .finish()
    }
}

impl OutboundPolicy {
    /// Allows nothing.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Builds a policy from entries whose `{{ variable }}` templates have
    /// already been resolved.
    pub fn new<S: AsRef<str>>(entries: impl IntoIterator<Item = S>) -> Result<Self, PolicyError> {
        let allowed = entries
            .into_iter()
            .map(|entry| {
                let entry = entry.as_ref();
                AllowedHostConfig::parse(entry)
                    .map_err(|source| PolicyError::Invalid { entry: entry.to_string(), source })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed, templated: None, blocked: Arc::default() })
    }

    /// Builds a policy from `entries`, those with `{{ variable }}` templates
    /// rendered by `renderer` now and again at every [`Self::refresh`].
    /// Fails on an invalid literal entry, a template that cannot be rendered
    /// now, or one that renders to an invalid entry: so a mistake stops the
    /// app at startup, naming the entry.
    pub async fn with_templates<S: AsRef<str>>(
        entries: impl IntoIterator<Item = S>,
        renderer: Arc<dyn TemplateRenderer>,
    ) -> Result<Self, PolicyError> {
        let (templates, literals): (Vec<String>, Vec<String>) =
            entries.into_iter().map(|e| e.as_ref().to_string()).partition(|e| e.contains("{{"));
        let mut policy = Self::new(literals)?;
        if templates.is_empty() {
            return Ok(policy);
        }
        let mut rendered = Rendered::default();
        for template in &templates {
            let text = renderer
                .render(template)
                .await
                .map_err(|message| PolicyError::Template { entry: template.clone(), message })?;
            // The error names the template, not the rendered text: that may
            // hold a secret value.
            let entry = AllowedHostConfig::parse(&text)
                .map_err(|source| PolicyError::Invalid { entry: template.clone(), source })?;
            rendered.allowed.push(entry);
            rendered.texts.push(Some(text));
        }
        policy.templated =
            Some(Arc::new(Templated { templates, renderer, current: RwLock::new(Arc::new(rendered)) }));
        Ok(policy)
    }

    /// Renders the templated entries again and keeps the result when a value
    /// changed. An entry that no longer renders, or renders to an invalid
    /// entry, allows nothing until it is fixed (logged, without values).
    /// Without templates this does nothing.
    pub async fn refresh(&self) {
        let Some(templated) = &self.templated else { return };
        let mut texts = Vec::with_capacity(templated.templates.len());
        for template in &templated.templates {
            match templated.renderer.render(template).await {
                Ok(text) => texts.push(Some(text)),
                Err(message) => {
                    tracing::warn!(entry = %template, "allowed_outbound_hosts entry cannot be resolved; it allows nothing: {message}");
                    texts.push(None);
                }
            }
        }
        if texts == templated.snapshot().texts {
            return;
        }
        let allowed = texts
            .iter()
            .zip(&templated.templates)
            .filter_map(|(text, template)| match AllowedHostConfig::parse(text.as_deref()?) {
                Ok(entry) => Some(entry),
                Err(err) => {
                    tracing::warn!(entry = %template, "allowed_outbound_hosts entry resolves to an invalid entry; it allows nothing: {err}");
                    None
                }
            })
            .collect();
        tracing::debug!(templates = ?templated.templates, "allowed_outbound_hosts templates resolved to new values");
        *templated.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Rendered { texts, allowed });
    }

    /// This policy, with the app's blocked networks checked where
    /// connections are opened.
    pub fn with_blocked_networks(mut self, blocked: Arc<BlockedNetworks>) -> Self {
        self.blocked = blocked;
        self
    }

    /// The app's blocked networks, for the code that resolves and connects.
    pub fn blocked_networks(&self) -> &Arc<BlockedNetworks> {
        &self.blocked
    }

    /// Whether any entry holds a `{{ variable }}` template.
    pub fn has_templates(&self) -> bool {
        self.templated.is_some()
    }

    /// Whether any destination at all is allowed.
    pub fn allows_any(&self) -> bool {
        !self.allowed.is_empty() || self.templated.as_ref().is_some_and(|t| !t.snapshot().allowed.is_empty())
    }

    /// Whether `scheme://host:port` may be reached. `host` as the guest wrote
    /// it (a name, an IP address, a bracketed IPv6 address, or `self`).
    /// Templated entries count as last rendered (see [`Self::allows_now`]).
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let allowed = self.allowed.iter().any(|entry| entry.allows(scheme, host, port))
            || self
                .templated
                .as_ref()
                .is_some_and(|t| t.snapshot().allowed.iter().any(|entry| entry.allows(scheme, host, port)));
        if !allowed {
            tracing::debug!(scheme, host, port, "outbound connection denied by allowed_outbound_hosts");
        }
        allowed
    }

    /// [`Self::allows`] with the templated entries rendered afresh.
    pub async fn allows_now(&self, scheme: &str, host: &str, port: u16) -> bool {
        self.refresh().await;
        self.allows(scheme, host, port)
    }

    /// [`Self::allows_url`] with the templated entries rendered afresh.
    pub async fn allows_url_now(&self, url: &str) -> bool {
        self.refresh().await;
        self.allows_url(url)
    }

    /// The check to make right before a client library (Redis, PostgreSQL,
    /// MySQL, MQTT) connects to `scheme://host:port` by name:
    /// [`Self::allows_now`], then, with `block_networks`, no address the
    /// name resolves to may be blocked. Denials are logged.
    pub async fn allows_connect(&self, scheme: &str, host: &str, port: u16) -> bool {
        if !self.allows_now(scheme, host, port).await {
            return false;
        }
        match self.blocked.check_all(host, port).await {
            Ok(()) => true,
            Err(err) => {
                tracing::info!(scheme, host, port, "outbound connection refused: {err}");
                false
            }
        }
    }

    /// [`Self::allows_connect`] for a URL (the scheme's well-known port when
    /// it has none); a URL without a host or known port is refused.
    pub async fn allows_connect_url(&self, url: &str) -> bool {
        let Ok(parsed) = url::Url::parse(url) else { return false };
        let (Some(host), Some(port)) = (parsed.host_str(), parsed.port().or_else(|| default_port(parsed.scheme())))
        else {
            return false;
        };
        self.allows_connect(parsed.scheme(), host, port).await
    }

    /// Whether the URL may be reached: its scheme, host and port (the
    /// scheme's well-known port when the URL has none). A URL without a host
    /// or without a known port is refused.
    pub fn allows_url(&self, url: &str) -> bool {
        let Ok(parsed) = url::Url::parse(url) else { return false };
        let Some(host) = parsed.host_str() else { return false };
        let Some(port) = parsed.port().or_else(|| default_port(parsed.scheme())) else {
            return false;
        };
        self.allows(parsed.scheme(), host, port)
    }

    /// The entries, templated ones as last rendered.
    pub fn entries(&self) -> impl Iterator<Item = String> + '_ {
        let rendered: Vec<String> = self
            .templated
            .as_ref()
            .map(|t| t.snapshot().allowed.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        self.allowed.iter().map(ToString::to_string).chain(rendered)
    }
}

impl Templated {
    fn snapshot(&self) -> Arc<Rendered> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_list_allows_nothing() {
        let policy = OutboundPolicy::new(Vec::<String>::new()).unwrap();
        assert!(!policy.allows_any());
        assert!(!policy.allows("http", "127.0.0.1", 80));
        assert!(!policy.allows_url("http://example.com/"));
    }

    #[test]
    fn urls_match_scheme_host_and_default_port() {
        let policy = OutboundPolicy::new(["https://example.com", "redis://127.0.0.1:6379", "postgres://10.0.0.0/8"]).unwrap();
        assert!(policy.allows_url("https://example.com/path?q=1"));
        assert!(!policy.allows_url("http://example.com/"));
        assert!(!policy.allows_url("https://example.com:8443/"));
        assert!(policy.allows_url("redis://127.0.0.1:6379/2"));
        assert!(!policy.allows_url("redis://127.0.0.1:6380"));
        assert!(policy.allows("postgres", "10.1.2.3", 5432));
        assert!(!policy.allows("postgres", "11.1.2.3", 5432));
        assert!(!policy.allows_url("not a url"));
    }

    #[test]
    fn wildcards_and_self() {
        let policy = OutboundPolicy::new(["*://*.example.com:*", "http://self"]).unwrap();
        assert!(policy.allows("mqtt", "broker.example.com", 1883));
        assert!(!policy.allows("mqtt", "example.com", 1883));
        assert!(policy.allows("http", "self", 80));
    }

    /// Renders `{{ host }}` to whatever `host` holds at the time.
    struct Variable(std::sync::Mutex<Option<String>>);

    impl TemplateRenderer for Variable {
        fn render<'a>(&'a self, entry: &'a str) -> RenderFuture<'a> {
            let value = self.0.lock().unwrap().clone();
            Box::pin(async move {
                let value = value.ok_or_else(|| "variable `host` has no value".to_string())?;
                Ok(entry.replace("{{ host }}", &value))
            })
        }
    }

    #[tokio::test]
    async fn templates_are_rendered_again_when_checked() {
        let host = Arc::new(Variable(std::sync::Mutex::new(Some("127.0.0.1:8080".into()))));
        let policy =
            OutboundPolicy::with_templates(["http://{{ host }}", "https://example.com"], host.clone()).await.unwrap();
        assert!(policy.has_templates());
        assert!(policy.allows_now("http", "127.0.0.1", 8080).await);
        assert!(!policy.allows_now("http", "127.0.0.1", 9090).await);
        *host.0.lock().unwrap() = Some("127.0.0.1:9090".into());
        // The sync check sees the last rendering until something refreshes.
        assert!(policy.allows("http", "127.0.0.1", 8080));
        assert!(policy.allows_now("http", "127.0.0.1", 9090).await);
        assert!(!policy.allows("http", "127.0.0.1", 8080));
        assert!(policy.allows_url_now("https://example.com/").await);
        // A value that disappears, or turns invalid, allows nothing; literal
        // entries keep working.
        *host.0.lock().unwrap() = None;
        assert!(!policy.allows_now("http", "127.0.0.1", 9090).await);
        assert!(policy.allows_now("https", "example.com", 443).await);
        *host.0.lock().unwrap() = Some("a/path".into());
        assert!(!policy.allows_now("http", "a", 80).await);
    }

    #[tokio::test]
    async fn a_template_that_cannot_be_rendered_at_startup_is_an_error() {
        let host = Arc::new(Variable(std::sync::Mutex::new(None)));
        let err = OutboundPolicy::with_templates(["http://{{ host }}"], host.clone()).await.unwrap_err();
        assert!(err.to_string().contains("`http://{{ host }}`") && err.to_string().contains("no value"), "{err}");
        *host.0.lock().unwrap() = Some("*".into());
        let err = OutboundPolicy::with_templates(["{{ host }}"], host).await.unwrap_err();
        assert!(err.to_string().contains("`{{ host }}`"), "{err}");
    }

    #[test]
    fn an_unresolved_or_bad_entry_is_an_error() {
        let err = OutboundPolicy::new(["*"]).unwrap_err();
        assert!(err.to_string().contains("`*`"), "{err}");
    }
}
