//! Turning validated component fields into a [`Component`], shared by both
//! manifest versions.

use indexmap::IndexMap;

use crate::error::Problem;
use crate::model::{Component, Variable};
use crate::raw::ComponentParts;

/// Builds a component, checking that its variable templates only name
/// application variables.
///
/// `field` is the component's path for messages (`component.hello`,
/// `component[2]`), `vars_key` the name of its variables table (`variables`
/// in v2, `config` in v1), and `implied_hosts` outbound entries granted
/// without being written (v1 database access).
pub(crate) fn build(
    id: &str,
    parts: ComponentParts,
    field: &str,
    vars_key: &str,
    app_variables: &IndexMap<String, Variable>,
    implied_hosts: &[&str],
) -> Result<Component, Problem> {
    let mut variables = IndexMap::with_capacity(parts.variables.len());
    for (name, template) in parts.variables {
        if let Some(missing) = template
            .get_ref()
            .references
            .iter()
            .find(|r| !app_variables.contains_key(*r))
        {
            return Err(Problem::invalid(
                template.span(),
                format!("{field}.{vars_key}.{}", name.0),
                format!(
                    "`{{{{ {missing} }}}}` refers to application variable `{missing}`, which is not declared; \
                     add it under [variables]{}",
                    known(app_variables.keys())
                ),
            ));
        }
        variables.insert(name.0, template.into_inner().text);
    }

    // Explicit entries first, then those derived from allowed_http_hosts;
    // duplicates are dropped so the list stays as short as it reads.
    let mut allowed_outbound_hosts: Vec<String> = Vec::new();
    let written = parts.allowed_outbound_hosts.into_iter().map(|h| h.0);
    let derived = parts.allowed_http_hosts.into_iter().flat_map(|h| h.0);
    let implied = implied_hosts.iter().map(|h| h.to_string());
    for host in written.chain(derived).chain(implied) {
        if !allowed_outbound_hosts.contains(&host) {
            allowed_outbound_hosts.push(host);
        }
    }

    Ok(Component {
        id: id.to_string(),
        description: parts.description,
        source: parts.source.0,
        files: parts.files.into_iter().map(|f| f.0).collect(),
        exclude_files: parts.exclude_files,
        environment: parts.environment,
        variables,
        allowed_outbound_hosts,
        key_value_stores: parts.key_value_stores,
        sqlite_databases: parts.sqlite_databases,
        ai_models: parts.ai_models,
        build: parts.build.map(Into::into),
        dependencies_inherit_configuration: false,
        dependencies: IndexMap::new(),
        tool: IndexMap::new(),
    })
}

/// `"; declared: `a`, `b`"` for messages, or nothing when the list is empty.
pub(crate) fn known<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let list: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if list.is_empty() {
        String::new()
    } else {
        format!(" (declared: {})", list.join(", "))
    }
}
