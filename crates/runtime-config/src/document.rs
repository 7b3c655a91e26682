//! The file's top level, and turning it into a [`RuntimeConfig`].

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{ErrorKind, Problem};
use crate::model::{BlockedNetwork, OutboundHttpConfig, RuntimeConfig};
use crate::providers;
use kiln_located_error::paths;
use kiln_located_error::section::{Entries, Section};

/// The top level as written. Unknown keys are rejected by serde, which
/// locates them; the tables underneath are kept as located [`Entries`] and
/// checked per `type`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    state_dir: Option<Spanned<String>>,
    log_dir: Option<Spanned<String>>,
    #[serde(default)]
    key_value_store: IndexMap<String, Spanned<Entries>>,
    #[serde(default)]
    sqlite_database: IndexMap<String, Spanned<Entries>>,
    #[serde(default)]
    variables_provider: Vec<Spanned<Entries>>,
    #[serde(default)]
    config_provider: Vec<Spanned<Entries>>,
    outbound_http: Option<Spanned<Entries>>,
    outbound_networking: Option<Spanned<Entries>>,
    // Spin sections Kiln does not implement. They are named here so that the
    // error says "not supported" rather than "unknown".
    llm_compute: Option<Spanned<toml::Value>>,
    client_tls: Option<Spanned<toml::Value>>,
    blob_store: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct OutboundHttpFields {
    connection_pooling: Option<bool>,
    max_concurrent_requests: Option<usize>,
}

/// Parses `text`; relative paths resolve against `base`, an absolute folder.
/// The returned configuration's `path` is left `None` for the caller to set.
pub(crate) fn parse(text: &str, base: &Path) -> Result<RuntimeConfig, Problem> {
    // A first pass as a plain table reports syntax errors as such, before
    // any schema error can mask them.
    toml::from_str::<toml::Table>(text).map_err(|e| Problem::syntax(&e))?;
    let raw: RawDocument = serde_path_to_error::deserialize(toml::Deserializer::new(text))
        .map_err(|e| Problem::from_serde(e, None, |_| None, None))?;

    reject_unsupported(&raw)?;

    let mut key_value_stores = IndexMap::with_capacity(raw.key_value_store.len());
    for (label, table) in &raw.key_value_store {
        let section = Section::new(format!("key_value_store.{label}"), table);
        key_value_stores.insert(label.clone(), kiln_key_value::Backend::from_section(&section, base)?);
    }

    let mut sqlite_databases = IndexMap::with_capacity(raw.sqlite_database.len());
    for (label, table) in &raw.sqlite_database {
        let section = Section::new(format!("sqlite_database.{label}"), table);
        sqlite_databases.insert(label.clone(), kiln_sqlite::Backend::from_section(&section, base)?);
    }

    // Both spellings may appear; priority is file order across the two.
    let mut provider_sections: Vec<Section<'_>> = raw
        .variables_provider
        .iter()
        .enumerate()
        .map(|(i, t)| Section::new(format!("variables_provider[{i}]"), t))
        .chain(
            raw.config_provider
                .iter()
                .enumerate()
                .map(|(i, t)| Section::new(format!("config_provider[{i}]"), t)),
        )
        .collect();
    provider_sections.sort_by_key(|s| s.span.start);
    let variables_providers = provider_sections
        .iter()
        .map(|s| providers::variables_provider(s, base))
        .collect::<Result<Vec<_>, _>>()?;

    let outbound_http = match &raw.outbound_http {
        None => None,
        Some(table) => {
            let section = Section::new("outbound_http", table);
            section.check_fields(&["connection_pooling", "max_concurrent_requests"])?;
            let fields: OutboundHttpFields = section.deserialize(&[])?;
            Some(OutboundHttpConfig {
                connection_pooling: fields.connection_pooling,
                max_concurrent_requests: fields.max_concurrent_requests,
            })
        }
    };

    let block_networks = match &raw.outbound_networking {
        None => Vec::new(),
        Some(table) => block_networks(&Section::new("outbound_networking", table))?,
    };

    Ok(RuntimeConfig {
        path: None,
        state_dir: directory(raw.state_dir.as_ref(), base),
        log_dir: directory(raw.log_dir.as_ref(), base),
        key_value_stores,
        sqlite_databases,
        variables_providers,
        outbound_http,
        block_networks,
    })
}

#[derive(Deserialize)]
struct OutboundNetworkingFields {
    #[serde(default)]
    block_networks: Vec<String>,
}

/// `[outbound_networking] block_networks`: each entry a CIDR range, a bare
/// address, or `"private"`.
fn block_networks(section: &Section<'_>) -> Result<Vec<BlockedNetwork>, Problem> {
    section.check_fields(&["block_networks"])?;
    let fields: OutboundNetworkingFields = section.deserialize(&[])?;
    let span = section.value_span("block_networks").unwrap_or_else(|| section.span.clone());
    fields
        .block_networks
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            parse_blocked(entry).ok_or_else(|| {
                Problem::new(
                    ErrorKind::Invalid,
                    span.clone(),
                    format!("outbound_networking.block_networks[{i}]"),
                    format!(
                        "`{entry}` is not a network: write a CIDR range (`10.0.0.0/8`, `fd00::/8`), \
                         an IP address, or `private`"
                    ),
                )
            })
        })
        .collect()
}

fn parse_blocked(entry: &str) -> Option<BlockedNetwork> {
    let entry = entry.trim();
    if entry.eq_ignore_ascii_case("private") {
        return Some(BlockedNetwork::Private);
    }
    if let Ok(net) = entry.parse::<ipnet::IpNet>() {
        return Some(BlockedNetwork::Net(net.trunc()));
    }
    let bare = entry.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<std::net::IpAddr>().ok().map(|ip| BlockedNetwork::Net(ipnet::IpNet::from(ip)))
}

/// `state_dir` / `log_dir`: an empty string means "unset", as in Spin.
fn directory(value: Option<&Spanned<String>>, base: &Path) -> Option<std::path::PathBuf> {
    let value = value?.get_ref();
    if value.is_empty() {
        None
    } else {
        Some(paths::resolve(base, value))
    }
}

/// Spin sections that Kiln would otherwise silently ignore.
fn reject_unsupported(raw: &RawDocument) -> Result<(), Problem> {
    let sections = [
        ("llm_compute", &raw.llm_compute, "the LLM compute backend"),
        (
            "client_tls",
            &raw.client_tls,
            "outbound client TLS settings",
        ),
        ("blob_store", &raw.blob_store, "blob stores"),
    ];
    for (key, value, what) in sections {
        if let Some(value) = value {
            return Err(Problem::new(
                ErrorKind::Unsupported,
                value.span(),
                key,
                format!("Spin's `{key}` section ({what}) is not supported by Kiln; remove it"),
            ));
        }
    }
    Ok(())
}
