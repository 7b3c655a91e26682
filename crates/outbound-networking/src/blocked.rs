//! `[outbound_networking] block_networks`: addresses no guest may reach,
//! whatever its `allowed_outbound_hosts` say.
//!
//! The allow list matches what the guest wrote; this list matches where a
//! connection would really go, so it is applied after name resolution: a
//! name that resolves into a blocked range, a decimal or hex spelling of a
//! blocked address, or an IPv4-mapped IPv6 form are all blocked alike.

use std::net::{IpAddr, SocketAddr};

use kiln_runtime_config::BlockedNetwork;

/// Why [`BlockedNetworks::resolve`] found nowhere to connect.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The name did not resolve.
    #[error("cannot resolve `{host}`: {source}")]
    Dns {
        /// The name.
        host: String,
        /// The resolver's error.
        #[source]
        source: std::io::Error,
    },
    /// Every address the name resolved to is blocked.
    #[error("`{host}` resolves only to blocked addresses (block_networks)")]
    Blocked {
        /// The name.
        host: String,
    },
}

/// The app's blocked networks (empty: nothing blocked).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BlockedNetworks {
    networks: Vec<BlockedNetwork>,
}

impl BlockedNetworks {
    /// Blocks every address in `networks`.
    pub fn new(networks: Vec<BlockedNetwork>) -> Self {
        Self { networks }
    }

    /// Whether nothing is blocked.
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    /// Whether a connection to `ip` is blocked.
    pub fn blocks(&self, ip: IpAddr) -> bool {
        let blocked = self.networks.iter().any(|n| n.contains(ip));
        if blocked {
            tracing::info!(%ip, "outbound connection refused: the address is in block_networks");
        }
        blocked
    }

    /// Resolves `host` (a name or an address, IPv6 with or without
    /// brackets) and keeps the addresses that are not blocked, in resolver
    /// order; fails if none is left.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, ResolveError> {
        let addrs = lookup(host, port).await?;
        let allowed: Vec<SocketAddr> = addrs.iter().copied().filter(|a| !self.blocks(a.ip())).collect();
        if allowed.is_empty() && !addrs.is_empty() {
            return Err(ResolveError::Blocked { host: host.to_string() });
        }
        Ok(allowed)
    }

    /// Checks, before a client library connects to `host` by name itself,
    /// that none of the addresses it could pick is blocked. (The library
    /// resolves again; a name whose answers change in between is the one
    /// case this cannot see.)
    pub async fn check_all(&self, host: &str, port: u16) -> Result<(), ResolveError> {
        if self.is_empty() {
            return Ok(());
        }
        if lookup(host, port).await?.iter().any(|a| self.blocks(a.ip())) {
            return Err(ResolveError::Blocked { host: host.to_string() });
        }
        Ok(())
    }

    /// A stable text of the list, to tell two lists apart (e.g. to keep
    /// connection pools of apps with different lists apart).
    pub fn key(&self) -> String {
        self.networks.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
    }
}

/// Every address `host` (a name or an address, IPv6 with or without
/// brackets) resolves to, in resolver order.
async fn lookup(host: &str, port: u16) -> Result<Vec<SocketAddr>, ResolveError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    Ok(tokio::net::lookup_host((bare, port))
        .await
        .map_err(|source| ResolveError::Dns { host: host.to_string(), source })?
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(entries: &[&str]) -> BlockedNetworks {
        let text = format!(
            "[outbound_networking]\nblock_networks = [{}]\n",
            entries.iter().map(|e| format!("{e:?}")).collect::<Vec<_>>().join(",")
        );
        let config = kiln_runtime_config::RuntimeConfig::parse_str(&text, std::path::Path::new("rc.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        BlockedNetworks::new(config.block_networks)
    }

    #[tokio::test]
    async fn names_and_other_spellings_are_checked_after_resolution() {
        let list = blocked(&["127.0.0.0/8", "::1"]);
        for host in ["localhost", "127.0.0.1", "2130706433", "0x7f000001", "127.1", "[::1]", "::ffff:127.0.0.1"] {
            match list.resolve(host, 80).await {
                Err(ResolveError::Blocked { .. }) => {}
                // A resolver that does not know a spelling is fine too: nothing connects.
                Err(ResolveError::Dns { .. }) => {}
                Ok(addrs) => panic!("{host} resolved to unblocked {addrs:?}"),
            }
        }
        let open = BlockedNetworks::default();
        assert!(open.is_empty());
        assert!(!open.resolve("127.0.0.1", 80).await.unwrap().is_empty());
        assert!(!blocked(&["10.0.0.0/8"]).resolve("127.0.0.1", 80).await.unwrap().is_empty());
    }
}
