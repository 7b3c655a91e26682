//! `[[variables_provider]]` (and `[[config_provider]]`) tables.

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::error::{ErrorKind, Problem};
use crate::model::VariablesProviderConfig;
use kiln_located_error::paths;
use kiln_located_error::section::{Section, TypeTable};

#[derive(Clone, Copy)]
enum ProviderKind {
    Vault,
    Env,
    Static,
}

const PROVIDER_TYPES: TypeTable<ProviderKind> = TypeTable {
    what: "variables provider",
    supported: &[
        ("vault", ProviderKind::Vault),
        ("env", ProviderKind::Env),
        ("static", ProviderKind::Static),
    ],
    spin_only: &["azure_key_vault"],
};

#[derive(Deserialize)]
struct VaultFields {
    url: String,
    token: String,
    mount: String,
    prefix: Option<String>,
}

#[derive(Deserialize)]
struct EnvFields {
    prefix: Option<String>,
    dotenv_path: Option<String>,
}

/// Parses one provider table.
pub(crate) fn variables_provider(
    section: &Section<'_>,
    base: &Path,
) -> Result<VariablesProviderConfig, Problem> {
    match section.kind(&PROVIDER_TYPES)? {
        ProviderKind::Vault => {
            section.check_fields(&["type", "url", "token", "mount", "prefix"])?;
            let fields: VaultFields = section.deserialize(&["type"])?;
            check_http_url(section, "url", &fields.url)?;
            Ok(VariablesProviderConfig::Vault {
                url: fields.url,
                token: fields.token,
                mount: fields.mount,
                prefix: fields.prefix,
            })
        }
        ProviderKind::Env => {
            section.check_fields(&["type", "prefix", "dotenv_path"])?;
            let fields: EnvFields = section.deserialize(&["type"])?;
            Ok(VariablesProviderConfig::Env {
                prefix: fields.prefix,
                dotenv_path: paths::resolve_field(
                    section,
                    "dotenv_path",
                    fields.dotenv_path,
                    base,
                )?,
            })
        }
        ProviderKind::Static => {
            section.check_fields(&["type", "values"])?;
            Ok(VariablesProviderConfig::Static {
                values: static_values(section)?,
            })
        }
    }
}

/// The `values` table of a static provider. Checked by hand rather than by
/// serde so that a mistyped value is never echoed: it may be a secret.
fn static_values(section: &Section<'_>) -> Result<IndexMap<String, String>, Problem> {
    let Some(span) = section.value_span("values") else {
        return Err(Problem::new(
            ErrorKind::Schema,
            section.span.clone(),
            &section.field,
            "missing field `values` (a table of variable name = \"value\")",
        ));
    };
    let table = section
        .entries
        .iter()
        .find(|(k, _)| k.get_ref() == "values")
        .and_then(|(_, v)| v.get_ref().as_table());
    let Some(table) = table else {
        return Err(Problem::new(
            ErrorKind::Schema,
            span,
            section.field_of("values"),
            "expected a table of variable name = \"value\"",
        ));
    };
    let mut values = IndexMap::with_capacity(table.len());
    for (name, value) in table {
        let Some(value) = value.as_str() else {
            return Err(Problem::new(
                ErrorKind::Schema,
                span,
                format!("{}.{name}", section.field_of("values")),
                format!("expected a string, found {}", value.type_str()),
            ));
        };
        values.insert(name.clone(), value.to_string());
    }
    Ok(values)
}

/// The field must be an `http://` or `https://` URL.
fn check_http_url(section: &Section<'_>, key: &str, url: &str) -> Result<(), Problem> {
    let problem = |message: String| {
        Problem::new(
            ErrorKind::Invalid,
            section
                .value_span(key)
                .unwrap_or_else(|| section.span.clone()),
            section.field_of(key),
            message,
        )
    };
    let parsed = url::Url::parse(url).map_err(|e| problem(format!("not a valid URL: {e}")))?;
    match parsed.scheme() {
        "http" | "https" => Ok(()),
        other => Err(problem(format!(
            "unsupported scheme `{other}`; expected `http://` or `https://`"
        ))),
    }
}
