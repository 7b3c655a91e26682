//! Manifest version 2 (`spin_manifest_version = 2`): raw schema and its
//! conversion to the model.

use std::collections::HashSet;
use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, value::MapAccessDeserializer, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use crate::component::{self, known};
use crate::error::Problem;
use crate::model::{
    AppManifest, ApplicationDetails, Component, ComponentDependency, HttpRoute, HttpTrigger,
    RedisTrigger, TriggerGlobalConfig,
};
use crate::raw::{
    ComponentParts, DependencyName, HttpHost, Id, OutboundHost, RawBuild, RawDependency,
    RawExecutor, RawFileMount, RawSource, RawStaticResponse, RawVariable, RoutePath, Template,
    VarName, string_or_table, StringOrTable,
};
use crate::validate;

/// The whole document.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManifestV2 {
    // Checked before this schema is chosen; kept so it is not "unknown".
    #[serde(rename = "spin_manifest_version")]
    _version: toml::Value,
    application: ApplicationV2,
    #[serde(default)]
    variables: IndexMap<VarName, RawVariable>,
    #[serde(default)]
    trigger: Triggers,
    #[serde(default)]
    component: IndexMap<Id, Spanned<ComponentV2>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicationV2 {
    name: String,
    version: Option<String>,
    description: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    trigger: AppTriggers,
}

/// `[application.trigger.*]`: typed for redis, raw for everything else.
#[derive(Default)]
struct AppTriggers {
    redis: Option<RedisGlobal>,
    other: IndexMap<String, toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedisGlobal {
    address: Option<String>,
}

impl<'de> Deserialize<'de> for AppTriggers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AppTriggers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of trigger types")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AppTriggers, A::Error> {
                let mut out = AppTriggers::default();
                while let Some(kind) = map.next_key::<String>()? {
                    if kind == "redis" {
                        out.redis = Some(map.next_value()?);
                    } else {
                        let table = map.next_value()?;
                        out.other.insert(kind, table);
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// `[trigger]`: one list per trigger type, in manifest order.
#[derive(Default)]
struct Triggers(Vec<(String, TriggerGroup)>);

enum TriggerGroup {
    Http(Vec<Spanned<HttpTriggerV2>>),
    Redis(Vec<Spanned<RedisTriggerV2>>),
    Other(Vec<Spanned<OtherTriggerV2>>),
}

impl<'de> Deserialize<'de> for Triggers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Triggers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of trigger arrays, e.g. [[trigger.http]]")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Triggers, A::Error> {
                let mut out = Vec::new();
                while let Some(kind) = map.next_key::<String>()? {
                    let group = match kind.as_str() {
                        "http" => TriggerGroup::Http(map.next_value()?),
                        "redis" => TriggerGroup::Redis(map.next_value()?),
                        _ => TriggerGroup::Other(map.next_value()?),
                    };
                    out.push((kind, group));
                }
                Ok(Triggers(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpTriggerV2 {
    id: Option<Spanned<Id>>,
    route: RouteV2,
    component: Option<Spanned<ComponentRef>>,
    executor: Option<RawExecutor>,
    static_response: Option<RawStaticResponse>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedisTriggerV2 {
    id: Option<Spanned<Id>>,
    channel: String,
    address: Option<String>,
    component: Spanned<ComponentRef>,
}

/// A trigger of a plugin type: `id` and `component` are understood, the
/// rest is kept raw for the plugin.
struct OtherTriggerV2 {
    id: Option<Spanned<Id>>,
    component: Option<Spanned<ComponentRef>>,
    rest: toml::Table,
}

impl<'de> Deserialize<'de> for OtherTriggerV2 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OtherTriggerV2;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a trigger table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OtherTriggerV2, A::Error> {
                let mut out = OtherTriggerV2 {
                    id: None,
                    component: None,
                    rest: toml::Table::new(),
                };
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "id" => out.id = Some(map.next_value()?),
                        "component" => out.component = Some(map.next_value()?),
                        _ => {
                            let value = map.next_value()?;
                            out.rest.insert(key, value);
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// `route = "/path"` or `route = { private = true }`.
enum RouteV2 {
    Path(String),
    Private,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrivateRoute {
    private: bool,
}

impl StringOrTable for RouteV2 {
    const EXPECTING: &'static str = "a route string such as \"/hello/...\", or `{ private = true }`";
    fn from_str<E: de::Error>(v: &str) -> Result<Self, E> {
        RoutePath::try_from(v.to_string()).map(|r| RouteV2::Path(r.0)).map_err(E::custom)
    }
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        match PrivateRoute::deserialize(MapAccessDeserializer::new(map))? {
            PrivateRoute { private: true } => Ok(RouteV2::Private),
            PrivateRoute { private: false } => {
                Err(de::Error::custom("`private = false` is not a route; give a path such as \"/hello\" instead"))
            }
        }
    }
}
string_or_table!(RouteV2);

/// `component = "id"` or an inline component table.
enum ComponentRef {
    Id(String),
    Inline(Box<ComponentV2>),
}

impl StringOrTable for ComponentRef {
    const EXPECTING: &'static str = "a component id string or an inline component table";
    fn from_str<E: de::Error>(v: &str) -> Result<Self, E> {
        Id::try_from(v.to_string()).map(|id| ComponentRef::Id(id.0)).map_err(E::custom)
    }
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        ComponentV2::deserialize(MapAccessDeserializer::new(map)).map(|c| ComponentRef::Inline(Box::new(c)))
    }
}
string_or_table!(ComponentRef);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentV2 {
    description: Option<String>,
    source: RawSource,
    #[serde(default)]
    files: Vec<RawFileMount>,
    #[serde(default)]
    exclude_files: Vec<String>,
    #[serde(default)]
    environment: IndexMap<String, String>,
    #[serde(default)]
    variables: IndexMap<VarName, Spanned<Template>>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<OutboundHost>,
    #[serde(default)]
    allowed_http_hosts: Vec<HttpHost>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    ai_models: Vec<String>,
    build: Option<RawBuild>,
    #[serde(default)]
    dependencies_inherit_configuration: bool,
    #[serde(default)]
    dependencies: IndexMap<DependencyName, Spanned<RawDependency>>,
    #[serde(default)]
    tool: IndexMap<String, toml::Table>,
}

/// Conversion state: the model being built plus what is needed to name
/// hoisted components and spot duplicate trigger ids.
struct Normaliser {
    variables: IndexMap<String, crate::model::Variable>,
    components: IndexMap<String, Component>,
    declared: Vec<String>,
    trigger_ids: HashSet<String>,
    // Component fields with a dependency on another app component, checked
    // once every component (including hoisted ones) is known.
    app_component_deps: Vec<(Spanned<String>, String)>,
}

/// Validates and normalises a version 2 manifest.
pub(crate) fn normalise(raw: ManifestV2) -> Result<AppManifest, Problem> {
    let variables = raw.variables.into_iter().map(|(k, v)| (k.0, v.0)).collect();
    let mut n = Normaliser {
        variables,
        components: IndexMap::new(),
        declared: raw.component.keys().map(|id| id.0.clone()).collect(),
        trigger_ids: HashSet::new(),
        app_component_deps: Vec::new(),
    };
    for (id, comp) in raw.component {
        let field = format!("component.{}", id.0);
        let built = n.component(&id.0, comp.into_inner(), &field)?;
        n.components.insert(id.0, built);
    }

    let mut http_triggers = Vec::new();
    let mut redis_triggers = Vec::new();
    let mut other_triggers: IndexMap<String, Vec<toml::Table>> = IndexMap::new();
    for (kind, group) in raw.trigger.0 {
        match group {
            TriggerGroup::Http(list) => {
                for (i, t) in list.into_iter().enumerate() {
                    http_triggers.push(n.http_trigger(i, t)?);
                }
            }
            TriggerGroup::Redis(list) => {
                for (i, t) in list.into_iter().enumerate() {
                    redis_triggers.push(n.redis_trigger(i, t)?);
                }
            }
            TriggerGroup::Other(list) => {
                let mut tables = Vec::with_capacity(list.len());
                for (i, t) in list.into_iter().enumerate() {
                    tables.push(n.other_trigger(&kind, i, t)?);
                }
                other_triggers.insert(kind, tables);
            }
        }
    }

    for (target, field) in &n.app_component_deps {
        if !n.components.contains_key(target.get_ref()) {
            return Err(Problem::invalid(
                target.span(),
                field.clone(),
                format!(
                    "dependency on component `{}`, which is not defined{}",
                    target.get_ref(),
                    known(n.declared.iter())
                ),
            ));
        }
    }

    let app = raw.application;
    Ok(AppManifest {
        application: ApplicationDetails {
            name: app.name,
            version: app.version,
            description: app.description,
            authors: app.authors,
            targets: app.targets,
            trigger_global: TriggerGlobalConfig {
                redis_address: app.trigger.redis.and_then(|r| r.address),
                other: app.trigger.other,
            },
        },
        variables: n.variables,
        http_triggers,
        redis_triggers,
        other_triggers,
        components: n.components,
    })
}

impl Normaliser {
    fn component(&mut self, id: &str, c: ComponentV2, field: &str) -> Result<Component, Problem> {
        let parts = ComponentParts {
            description: c.description,
            source: c.source,
            files: c.files,
            exclude_files: c.exclude_files,
            environment: c.environment,
            variables: c.variables,
            allowed_outbound_hosts: c.allowed_outbound_hosts,
            allowed_http_hosts: c.allowed_http_hosts,
            key_value_stores: c.key_value_stores,
            sqlite_databases: c.sqlite_databases,
            ai_models: c.ai_models,
            build: c.build,
        };
        let mut built = component::build(id, parts, field, "variables", &self.variables, &[])?;
        built.dependencies_inherit_configuration = c.dependencies_inherit_configuration;
        built.tool = c.tool;
        for (name, dep) in c.dependencies {
            let span = dep.span();
            let dep = dep.into_inner().0;
            if let ComponentDependency::AppComponent { component, .. } = &dep {
                let dep_field = format!("{field}.dependencies.{}", name.0);
                if component == id {
                    return Err(Problem::invalid(
                        span,
                        dep_field,
                        "a component cannot depend on itself",
                    ));
                }
                self.app_component_deps
                    .push((Spanned::new(span, component.clone()), dep_field));
            }
            built.dependencies.insert(name.0, dep);
        }
        Ok(built)
    }

    /// Records a trigger id, rejecting duplicates across all trigger types.
    fn trigger_id(
        &mut self,
        id: Option<Spanned<Id>>,
        field: &str,
    ) -> Result<Option<String>, Problem> {
        let Some(id) = id else { return Ok(None) };
        let span = id.span();
        let id = id.into_inner().0;
        if !self.trigger_ids.insert(id.clone()) {
            return Err(Problem::invalid(
                span,
                format!("{field}.id"),
                format!("duplicate trigger id `{id}`"),
            ));
        }
        Ok(Some(id))
    }

    /// Resolves a trigger's component to an id, hoisting inline tables.
    fn resolve(
        &mut self,
        component: Spanned<ComponentRef>,
        kind: &str,
        index: usize,
        trigger_id: Option<&str>,
        field: &str,
        describe: &str,
    ) -> Result<String, Problem> {
        let span = component.span();
        match component.into_inner() {
            ComponentRef::Id(id) if self.declared.contains(&id) => Ok(id),
            ComponentRef::Id(id) => Err(Problem::invalid(
                span,
                format!("{field}.component"),
                format!(
                    "{describe} uses component `{id}`, which is not defined{}",
                    known(self.declared.iter())
                ),
            )),
            ComponentRef::Inline(c) => {
                let id = self.inline_id(kind, index, trigger_id);
                let built = self.component(&id, *c, &format!("{field}.component"))?;
                self.components.insert(id.clone(), built);
                Ok(id)
            }
        }
    }

    /// Id for an inline component: `<trigger-id>-component` when the trigger
    /// has an id, else `<type>-trigger<n>-component` (n counts that type's
    /// triggers from 1); a number is appended if the id is taken.
    fn inline_id(&self, kind: &str, index: usize, trigger_id: Option<&str>) -> String {
        let base = match trigger_id {
            Some(id) => format!("{id}-component"),
            None => format!("{kind}-trigger{}-component", index + 1),
        };
        // Plugin trigger types need not be valid ids themselves.
        let base = if validate::check_id(&base).is_ok() {
            base
        } else {
            format!("inline-trigger{}-component", index + 1)
        };
        if !self.components.contains_key(&base) && !self.declared.contains(&base) {
            return base;
        }
        let mut n = 2usize;
        loop {
            let candidate = format!("{base}{n}");
            if !self.components.contains_key(&candidate) && !self.declared.contains(&candidate) {
                return candidate;
            }
            n += 1;
        }
    }

    fn http_trigger(
        &mut self,
        index: usize,
        t: Spanned<HttpTriggerV2>,
    ) -> Result<HttpTrigger, Problem> {
        let field = format!("trigger.http[{index}]");
        let span = t.span();
        let t = t.into_inner();
        let id = self.trigger_id(t.id, &field)?;
        let route = match t.route {
            RouteV2::Path(p) => HttpRoute::Path(p),
            RouteV2::Private => HttpRoute::Private,
        };
        let describe = match (&id, &route) {
            (Some(id), _) => format!("trigger `{id}`"),
            (None, HttpRoute::Path(p)) => format!("the http trigger for route `{p}`"),
            (None, HttpRoute::Private) => "the private http trigger".to_string(),
        };
        let (component, static_response) = match (t.component, t.static_response) {
            (Some(_), Some(_)) => {
                return Err(Problem::invalid(
                    span,
                    field,
                    format!("{describe} sets both `component` and `static_response`; keep one"),
                ))
            }
            (None, None) => {
                return Err(Problem::invalid(
                    span,
                    field,
                    format!("{describe} needs `component` (or `static_response`)"),
                ))
            }
            (Some(c), None) => (
                Some(self.resolve(c, "http", index, id.as_deref(), &field, &describe)?),
                None,
            ),
            (None, Some(s)) => (None, Some(s.0)),
        };
        Ok(HttpTrigger {
            id,
            route,
            component,
            executor: t.executor.map(|e| e.0).unwrap_or_default(),
            static_response,
        })
    }

    fn redis_trigger(
        &mut self,
        index: usize,
        t: Spanned<RedisTriggerV2>,
    ) -> Result<RedisTrigger, Problem> {
        let field = format!("trigger.redis[{index}]");
        let t = t.into_inner();
        let id = self.trigger_id(t.id, &field)?;
        let describe = match &id {
            Some(id) => format!("trigger `{id}`"),
            None => format!("the redis trigger for channel `{}`", t.channel),
        };
        let component = self.resolve(
            t.component,
            "redis",
            index,
            id.as_deref(),
            &field,
            &describe,
        )?;
        Ok(RedisTrigger {
            id,
            channel: t.channel,
            address: t.address,
            component,
        })
    }

    fn other_trigger(
        &mut self,
        kind: &str,
        index: usize,
        t: Spanned<OtherTriggerV2>,
    ) -> Result<toml::Table, Problem> {
        let field = format!("trigger.{kind}[{index}]");
        let t = t.into_inner();
        let id = self.trigger_id(t.id, &field)?;
        let mut table = toml::Table::new();
        if let Some(id) = &id {
            table.insert("id".into(), toml::Value::String(id.clone()));
        }
        if let Some(c) = t.component {
            let describe = match &id {
                Some(id) => format!("trigger `{id}`"),
                None => format!("the {kind} trigger {field}"),
            };
            let component = self.resolve(c, kind, index, id.as_deref(), &field, &describe)?;
            table.insert("component".into(), toml::Value::String(component));
        }
        table.extend(t.rest);
        Ok(table)
    }
}
