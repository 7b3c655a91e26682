//! Manifest version 1 (`spin_manifest_version = "1"`): raw schema and its
//! normalisation onto the version 2 model.
//!
//! Differences handled here: application fields live at the top level;
//! the trigger type is app-wide (`trigger = { type = "http", base = "/" }`)
//! with per-component `[component.trigger]` settings; HTTP routes are joined
//! with `base`; `config` becomes component `variables`; and, as in Spin,
//! components keep the unrestricted Redis, MySQL and PostgreSQL access
//! version 1 implied.

use std::collections::HashSet;
use std::ops::Range;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::Spanned;

use crate::component;
use crate::error::Problem;
use crate::model::{
    AppManifest, ApplicationDetails, HttpRoute, HttpTrigger, RedisTrigger, TriggerGlobalConfig,
};
use crate::raw::{
    ComponentParts, HttpHost, Id, OutboundHost, RawBuild, RawExecutor, RawFileMount, RawSource,
    RawVariable, Template, VarName,
};
use crate::validate;

/// Outbound access version 1 granted implicitly.
const V1_DATABASE_HOSTS: &[&str] = &["redis://*:*", "mysql://*:*", "postgres://*:*"];

/// A table whose keys depend on the trigger type, with each value's span.
type SpannedTable = IndexMap<String, Spanned<toml::Value>>;

/// The whole document.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManifestV1 {
    // Checked before this schema is chosen; kept so they are not "unknown".
    #[serde(rename = "spin_manifest_version")]
    _version: Option<toml::Value>,
    #[serde(rename = "spin_version")]
    _legacy_version: Option<toml::Value>,
    name: String,
    version: Option<String>,
    description: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    trigger: Spanned<SpannedTable>,
    #[serde(default)]
    variables: IndexMap<VarName, RawVariable>,
    #[serde(default)]
    component: Vec<Spanned<ComponentV1>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentV1 {
    id: Spanned<Id>,
    description: Option<String>,
    source: RawSource,
    #[serde(default)]
    files: Vec<RawFileMount>,
    #[serde(default)]
    exclude_files: Vec<String>,
    #[serde(default)]
    environment: IndexMap<String, String>,
    #[serde(default)]
    allowed_http_hosts: Vec<HttpHost>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<OutboundHost>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    ai_models: Vec<String>,
    #[serde(default)]
    config: IndexMap<VarName, Spanned<Template>>,
    trigger: Option<Spanned<SpannedTable>>,
    build: Option<RawBuild>,
}

/// The app-wide trigger: `{ type = "http", base? }`, `{ type = "redis",
/// address? }`, or a plugin type with free-form settings.
enum AppTrigger {
    Http { base: String },
    Redis,
    Other(String),
}

/// Validates and normalises a version 1 manifest.
pub(crate) fn normalise(raw: ManifestV1) -> Result<AppManifest, Problem> {
    let mut trigger_global = TriggerGlobalConfig::default();
    let app_trigger = app_trigger(raw.trigger, &mut trigger_global)?;
    let variables: IndexMap<_, _> = raw.variables.into_iter().map(|(k, v)| (k.0, v.0)).collect();

    let mut manifest = AppManifest {
        application: ApplicationDetails {
            name: raw.name,
            version: raw.version,
            description: raw.description,
            authors: raw.authors,
            targets: Vec::new(),
            trigger_global,
        },
        variables: IndexMap::new(),
        http_triggers: Vec::new(),
        redis_triggers: Vec::new(),
        other_triggers: IndexMap::new(),
        components: IndexMap::new(),
    };

    let mut seen = HashSet::new();
    for (index, c) in raw.component.into_iter().enumerate() {
        let field = format!("component[{index}]");
        let c = c.into_inner();
        let id_span = c.id.span();
        let id = c.id.into_inner().0;
        if !seen.insert(id.clone()) {
            return Err(Problem::invalid(
                id_span,
                format!("{field}.id"),
                format!("duplicate component id `{id}`"),
            ));
        }
        let parts = ComponentParts {
            description: c.description,
            source: c.source,
            files: c.files,
            exclude_files: c.exclude_files,
            environment: c.environment,
            variables: c.config,
            allowed_outbound_hosts: c.allowed_outbound_hosts,
            allowed_http_hosts: c.allowed_http_hosts,
            key_value_stores: c.key_value_stores,
            sqlite_databases: c.sqlite_databases,
            ai_models: c.ai_models,
            build: c.build,
        };
        let built = component::build(&id, parts, &field, "config", &variables, V1_DATABASE_HOSTS)?;
        manifest.components.insert(id.clone(), built);
        if let Some(trigger) = c.trigger {
            component_trigger(
                &mut manifest,
                &app_trigger,
                trigger,
                &id,
                &format!("{field}.trigger"),
            )?;
        }
    }
    manifest.variables = variables;
    Ok(manifest)
}

fn app_trigger(
    trigger: Spanned<SpannedTable>,
    global: &mut TriggerGlobalConfig,
) -> Result<AppTrigger, Problem> {
    let span = trigger.span();
    let mut table = trigger.into_inner();
    let kind: String = take(&mut table, "type", "trigger")?.ok_or_else(|| {
        Problem::invalid(
            span.clone(),
            "trigger",
            "missing field `type` (e.g. `type = \"http\"`)",
        )
    })?;
    match kind.as_str() {
        "http" => {
            reject_unknown(&table, "trigger", &["type", "base"])?;
            let base: String = take(&mut table, "base", "trigger")?.unwrap_or_else(|| "/".into());
            if !base.starts_with('/') {
                return Err(Problem::invalid(
                    span,
                    "trigger.base",
                    format!("base `{base}` must start with `/`"),
                ));
            }
            Ok(AppTrigger::Http { base })
        }
        "redis" => {
            reject_unknown(&table, "trigger", &["type", "address"])?;
            global.redis_address = take(&mut table, "address", "trigger")?;
            Ok(AppTrigger::Redis)
        }
        _ => {
            let rest = table
                .into_iter()
                .map(|(k, v)| (k, v.into_inner()))
                .collect();
            global.other.insert(kind.clone(), rest);
            Ok(AppTrigger::Other(kind))
        }
    }
}

fn component_trigger(
    manifest: &mut AppManifest,
    app_trigger: &AppTrigger,
    trigger: Spanned<SpannedTable>,
    component: &str,
    field: &str,
) -> Result<(), Problem> {
    let span = trigger.span();
    let mut table = trigger.into_inner();
    match app_trigger {
        AppTrigger::Http { base } => {
            reject_unknown(&table, field, &["route", "executor"])?;
            let route_span = table.get("route").map_or(span.clone(), Spanned::span);
            let route: String = take(&mut table, "route", field)?.ok_or_else(|| {
                Problem::invalid(
                    span,
                    field,
                    "missing field `route` (e.g. `route = \"/hello\"`)",
                )
            })?;
            let executor: Option<RawExecutor> = take(&mut table, "executor", field)?;
            let joined = join_route(base, &route);
            validate::check_route(&route)
                .and_then(|()| validate::check_route(&joined))
                .map_err(|e| Problem::invalid(route_span, format!("{field}.route"), e))?;
            manifest.http_triggers.push(HttpTrigger {
                id: None,
                route: HttpRoute::Path(joined),
                component: Some(component.to_string()),
                executor: executor.map(|e| e.0).unwrap_or_default(),
                static_response: None,
            });
        }
        AppTrigger::Redis => {
            reject_unknown(&table, field, &["channel"])?;
            let channel: String = take(&mut table, "channel", field)?
                .ok_or_else(|| Problem::invalid(span, field, "missing field `channel`"))?;
            manifest.redis_triggers.push(RedisTrigger {
                id: None,
                channel,
                address: None,
                component: component.to_string(),
            });
        }
        AppTrigger::Other(kind) => {
            let mut raw: toml::Table = table
                .into_iter()
                .map(|(k, v)| (k, v.into_inner()))
                .collect();
            raw.insert(
                "component".into(),
                toml::Value::String(component.to_string()),
            );
            manifest
                .other_triggers
                .entry(kind.clone())
                .or_default()
                .push(raw);
        }
    }
    Ok(())
}

/// `base` + `route`, with exactly one `/` between them.
fn join_route(base: &str, route: &str) -> String {
    let base = base.trim_end_matches('/');
    match (base.is_empty(), route) {
        (true, _) => route.to_string(),
        (false, "/") => base.to_string(),
        (false, _) => format!("{base}{route}"),
    }
}

/// Removes `key` from a trigger table and deserializes it, locating errors
/// at the value.
fn take<T: DeserializeOwned>(
    table: &mut SpannedTable,
    key: &str,
    field: &str,
) -> Result<Option<T>, Problem> {
    let Some(value) = table.shift_remove(key) else {
        return Ok(None);
    };
    let span: Range<usize> = value.span();
    let prefix = format!("{field}.{key}");
    serde_path_to_error::deserialize(value.into_inner())
        .map(Some)
        .map_err(|e| Problem::from_serde(e, Some(&prefix), |_| None, Some(span)))
}

/// Errors on the first key that is not one of `expected`.
fn reject_unknown(table: &SpannedTable, field: &str, expected: &[&str]) -> Result<(), Problem> {
    match table
        .iter()
        .find(|(key, _)| !expected.contains(&key.as_str()))
    {
        None => Ok(()),
        Some((key, value)) => {
            let expected: Vec<String> = expected.iter().map(|k| format!("`{k}`")).collect();
            Err(Problem {
                kind: crate::ErrorKind::Schema,
                span: Some(value.span()),
                field: Some(format!("{field}.{key}")),
                message: format!(
                    "unknown field `{key}`, expected one of {}",
                    expected.join(", ")
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::join_route;

    #[test]
    fn routes_join_with_base() {
        assert_eq!(join_route("/", "/hello"), "/hello");
        assert_eq!(join_route("/api", "/hello/..."), "/api/hello/...");
        assert_eq!(join_route("/api/", "/hello"), "/api/hello");
        assert_eq!(join_route("/api", "/"), "/api");
        assert_eq!(join_route("/", "/"), "/");
    }
}
