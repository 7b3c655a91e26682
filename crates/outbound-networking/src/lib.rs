//! Which network destinations a component may reach.
//!
//! A component's `allowed_outbound_hosts` entries are parsed and validated
//! with the manifest ([`kiln_manifest::outbound`]); entries with
//! `{{ variable }}` templates are resolved once the app's variables are
//! known, and the result is an [`OutboundPolicy`] every outbound capability
//! (HTTP, Redis, PostgreSQL, MySQL, MQTT, sockets) asks before it connects.
//! An empty list allows nothing: no network at all.
//!
//! Matching is on what the guest asked for (scheme, host as written, port);
//! `self` matches requests back to the app itself, which the caller
//! recognises (a relative URL, or the app's own address).

use kiln_manifest::outbound::{default_port, AllowedHostConfig, OutboundHostError};

/// Why a policy could not be built.
#[derive(Debug, thiserror::Error)]
#[error("allowed_outbound_hosts entry `{entry}`: {source}")]
pub struct PolicyError {
    /// The entry as resolved.
    pub entry: String,
    /// What is wrong with it.
    #[source]
    pub source: OutboundHostError,
}

/// The destinations one component may reach.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allowed: Vec<AllowedHostConfig>,
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
                    .map_err(|source| PolicyError { entry: entry.to_string(), source })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed })
    }

    /// Whether any destination at all is allowed.
    pub fn allows_any(&self) -> bool {
        !self.allowed.is_empty()
    }

    /// Whether `scheme://host:port` may be reached. `host` as the guest wrote
    /// it (a name, an IP address, a bracketed IPv6 address, or `self`).
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let allowed = self.allowed.iter().any(|entry| entry.allows(scheme, host, port));
        if !allowed {
            tracing::debug!(scheme, host, port, "outbound connection denied by allowed_outbound_hosts");
        }
        allowed
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

    /// The entries, as written after template resolution.
    pub fn entries(&self) -> impl Iterator<Item = String> + '_ {
        self.allowed.iter().map(ToString::to_string)
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

    #[test]
    fn an_unresolved_or_bad_entry_is_an_error() {
        let err = OutboundPolicy::new(["*"]).unwrap_err();
        assert!(err.to_string().contains("`*`"), "{err}");
    }
}
