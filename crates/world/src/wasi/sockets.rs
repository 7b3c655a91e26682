//! `wasi:sockets` gating: a component may open TCP connections and send UDP
//! datagrams only to what its `allowed_outbound_hosts` lists with a `tcp://`
//! or `udp://` scheme (or `*://`); everything else fails with the
//! interface's `access-denied`.
//!
//! Guests connect to addresses, not names, so an entry naming a host
//! (`tcp://db.example.com:5432`) allows the addresses that name resolves to
//! when the guest connects. Name lookup itself (`ip-name-lookup`) and the
//! local binds a connection needs are allowed only to components with at
//! least one such entry; listening and accepting are never allowed.

use std::net::SocketAddr;
use std::sync::Arc;

use kiln_manifest::outbound::{AllowedHostConfig, HostConfig};
use kiln_outbound_networking::OutboundPolicy;
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::WasiCtxBuilder;

/// Configures `wasi` so its sockets obey `policy` (which schemes it grants
/// at all is decided now, per instance, from the entries as last rendered).
pub(crate) fn configure(wasi: &mut WasiCtxBuilder, policy: &Arc<OutboundPolicy>) {
    let tcp = grants_any(policy, "tcp");
    let udp = grants_any(policy, "udp");
    wasi.allow_tcp(tcp).allow_udp(udp).allow_ip_name_lookup(tcp || udp);
    if !(tcp || udp) {
        return;
    }
    let policy = policy.clone();
    wasi.socket_addr_check(move |addr, usage| {
        let policy = policy.clone();
        Box::pin(async move {
            let allowed = match usage {
                SocketAddrUse::TcpBind => tcp,
                SocketAddrUse::UdpBind => udp,
                SocketAddrUse::TcpConnect => allows(&policy, "tcp", addr).await,
                SocketAddrUse::UdpSend | SocketAddrUse::UdpReceive => allows(&policy, "udp", addr).await,
                SocketAddrUse::TcpListen | SocketAddrUse::TcpAccept => false,
            };
            if !allowed {
                tracing::info!(%addr, ?usage, "socket use denied: not in allowed_outbound_hosts");
            }
            allowed
        })
    });
}

/// Whether any entry could allow `scheme` at all.
fn grants_any(policy: &OutboundPolicy, scheme: &str) -> bool {
    entries(policy).any(|entry| match &entry.scheme {
        kiln_manifest::outbound::SchemeConfig::Any => true,
        kiln_manifest::outbound::SchemeConfig::Named(s) => s.eq_ignore_ascii_case(scheme),
    })
}

fn entries(policy: &OutboundPolicy) -> impl Iterator<Item = AllowedHostConfig> + '_ {
    policy.entries().filter_map(|entry| AllowedHostConfig::parse(&entry).ok())
}

/// Whether `scheme://addr` is allowed: by address, or because a named entry
/// for that scheme and port resolves to it. `{{ variable }}` entries are
/// rendered afresh first.
async fn allows(policy: &Arc<OutboundPolicy>, scheme: &str, addr: SocketAddr) -> bool {
    if policy.has_templates() {
        // On a task of its own: wasmtime wants a `Sync` check future, and
        // rendering (a variables provider's future) is not.
        let policy = policy.clone();
        if let Err(err) = tokio::spawn(async move { policy.refresh().await }).await {
            tracing::warn!("allowed_outbound_hosts refresh failed: {err}");
        }
    }
    if policy.blocked_networks().blocks(addr.ip()) {
        return false;
    }
    let ip = match addr.ip() {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    };
    if policy.allows(scheme, &ip, addr.port()) {
        return true;
    }
    let names: Vec<String> = entries(policy)
        .filter_map(|entry| match &entry.host {
            HostConfig::Name(name) if entry.allows(scheme, name, addr.port()) => Some(name.clone()),
            _ => None,
        })
        .collect();
    for name in names {
        match tokio::net::lookup_host((name.as_str(), addr.port())).await {
            Ok(mut resolved) => {
                if resolved.any(|r| r.ip() == addr.ip()) {
                    return true;
                }
            }
            Err(err) => tracing::debug!(host = %name, "cannot resolve allowed host: {err}"),
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> Arc<OutboundPolicy> {
        Arc::new(OutboundPolicy::new(entries.iter().copied()).unwrap())
    }

    #[tokio::test]
    async fn addresses_match_tcp_and_udp_entries_only() {
        let p = policy(&["tcp://127.0.0.1:5000", "http://127.0.0.1:5001", "udp://10.0.0.0/8:53"]);
        assert!(grants_any(&p, "tcp") && grants_any(&p, "udp"));
        assert!(allows(&p, "tcp", "127.0.0.1:5000".parse().unwrap()).await);
        assert!(!allows(&p, "tcp", "127.0.0.1:5001".parse().unwrap()).await);
        assert!(!allows(&p, "udp", "127.0.0.1:5000".parse().unwrap()).await);
        assert!(allows(&p, "udp", "10.1.2.3:53".parse().unwrap()).await);
        assert!(!grants_any(&policy(&["https://example.com"]), "tcp"));
    }

    #[tokio::test]
    async fn a_named_entry_allows_the_addresses_it_resolves_to() {
        let p = policy(&["tcp://localhost:6000"]);
        assert!(allows(&p, "tcp", "127.0.0.1:6000".parse().unwrap()).await);
        assert!(!allows(&p, "tcp", "127.0.0.1:6001".parse().unwrap()).await);
    }
}
