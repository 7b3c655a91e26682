//! The plain data a runtime configuration file is parsed into.
//!
//! Every path in here is absolute: relative paths in the file have been
//! resolved against the file's folder.

use std::fmt;
use std::path::PathBuf;

use indexmap::IndexMap;

/// A parsed runtime configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuntimeConfig {
    /// The file it was read from, absolute; `None` for a configuration
    /// built in code (e.g. `RuntimeConfig::default()` when no file is given).
    pub path: Option<PathBuf>,
    /// `state_dir`: where Spin keeps default stores and logs. `None` when
    /// absent or empty (Spin treats `state_dir = ""` as "unset").
    pub state_dir: Option<PathBuf>,
    /// `log_dir`: where component logs go. `None` when absent or empty.
    pub log_dir: Option<PathBuf>,
    /// `[key_value_store.<label>]` tables, in file order.
    pub key_value_stores: IndexMap<String, KeyValueStoreConfig>,
    /// `[sqlite_database.<label>]` tables, in file order.
    pub sqlite_databases: IndexMap<String, SqliteDatabaseConfig>,
    /// `[[variables_provider]]` and the older `[[config_provider]]` entries,
    /// in file order. The first listed has the highest priority.
    pub variables_providers: Vec<VariablesProviderConfig>,
    /// `[outbound_http]`, when present.
    pub outbound_http: Option<OutboundHttpConfig>,
    /// `[outbound_networking] block_networks`, in file order (empty when
    /// absent).
    pub block_networks: Vec<BlockedNetwork>,
}

/// One entry of `[outbound_networking] block_networks`: addresses no guest
/// may connect to, whatever its `allowed_outbound_hosts` say. Checked after
/// name resolution, so a name that resolves into a blocked range is blocked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockedNetwork {
    /// An address range such as `10.0.0.0/8` or `fd00::/8` (a bare address
    /// is a range of one).
    Net(ipnet::IpNet),
    /// `"private"`: every non-public range — RFC 1918 (`10/8`, `172.16/12`,
    /// `192.168/16`), carrier-grade NAT (`100.64/10`), link-local
    /// (`169.254/16`, where cloud metadata services live; `fe80::/10`) and
    /// IPv6 unique local (`fc00::/7`). Loopback is not included: block
    /// `127.0.0.0/8` and `::1/128` explicitly if you mean it.
    Private,
}

impl BlockedNetwork {
    /// Whether `ip` falls in this network. IPv4-mapped IPv6 addresses
    /// (`::ffff:10.0.0.1`) are checked as the IPv4 address they carry.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let ip = match ip {
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map(std::net::IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match self {
            Self::Net(net) => match (net, ip) {
                // A mapped range written in IPv6 still matches its IPv4 form.
                (ipnet::IpNet::V6(v6net), std::net::IpAddr::V4(v4)) => v6net.contains(&v4.to_ipv6_mapped()),
                _ => net.contains(&ip),
            },
            Self::Private => PRIVATE_RANGES.iter().any(|range| {
                range.parse::<ipnet::IpNet>().is_ok_and(|net| net.contains(&ip))
            }),
        }
    }
}

const PRIVATE_RANGES: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
];

impl fmt::Display for BlockedNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Net(net) => write!(f, "{net}"),
            Self::Private => f.write_str("private"),
        }
    }
}

/// The backend of one key-value store label: `kiln-key-value` parses its
/// own section (`Debug` hides the password of a Redis URL).
pub type KeyValueStoreConfig = kiln_key_value::Backend;

/// The backend of one SQLite database label: `kiln-sqlite` parses its own
/// section.
pub type SqliteDatabaseConfig = kiln_sqlite::Backend;

/// One application-variables provider.
///
/// `Debug` never shows the Vault token or static values: both may be
/// secrets, and configurations end up in logs.
#[derive(Clone, PartialEq, Eq)]
pub enum VariablesProviderConfig {
    /// `type = "vault"`: HashiCorp Vault, KV secrets engine version 2.
    Vault {
        /// The Vault server, e.g. `http://127.0.0.1:8200`.
        url: String,
        /// The token sent as `X-Vault-Token`. Secret.
        token: String,
        /// The mount point of the KV v2 engine, e.g. `secret`.
        mount: String,
        /// A path prefix put before every variable name.
        prefix: Option<String>,
    },
    /// `type = "env"`: process environment variables.
    Env {
        /// Environment variable prefix; Spin's default is `SPIN_VARIABLE`.
        prefix: Option<String>,
        /// A dotenv file consulted for variables the environment lacks,
        /// absolute.
        dotenv_path: Option<PathBuf>,
    },
    /// `type = "static"`: fixed values from the `values` table.
    Static {
        /// Variable name to value. May hold secrets.
        values: IndexMap<String, String>,
    },
}

/// Stands in for a secret in `Debug` output.
const REDACTED: &str = "<redacted>";

impl fmt::Debug for VariablesProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Vault {
                url,
                token: _,
                mount,
                prefix,
            } => f
                .debug_struct("Vault")
                .field("url", url)
                .field("token", &format_args!("{REDACTED}"))
                .field("mount", mount)
                .field("prefix", prefix)
                .finish(),
            Self::Env {
                prefix,
                dotenv_path,
            } => f
                .debug_struct("Env")
                .field("prefix", prefix)
                .field("dotenv_path", dotenv_path)
                .finish(),
            Self::Static { values } => {
                let names: Vec<&String> = values.keys().collect();
                f.debug_struct("Static")
                    .field("names", &names)
                    .field("values", &format_args!("{REDACTED}"))
                    .finish()
            }
        }
    }
}

/// `[outbound_http]`: limits on the application's outbound HTTP.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboundHttpConfig {
    /// `connection_pooling`: whether connections to the same destination
    /// are reused (Spin's default: true).
    pub connection_pooling: Option<bool>,
    /// `max_concurrent_requests`: a cap on concurrent outbound requests
    /// (Spin's default: none).
    pub max_concurrent_requests: Option<usize>,
}
