//! A [`LockedApp`] whose blobs are on disk back to a runnable [`App`].

use std::path::{Component as PathComponent, Path, PathBuf};

use indexmap::IndexMap;
use kiln_manifest::{
    AppManifest, ApplicationDetails, Component, ComponentSource, FileMount, HttpExecutor, HttpRoute, HttpTrigger,
    RedisTrigger, StaticResponse, TriggerGlobalConfig, Variable, WagiConfig,
};
use serde_json::{Map, Value};

use super::{ContentRef, LockedApp, LockedComponent, LockedError, LockedTrigger};
use crate::{App, AppComponent, AppError};

impl App {
    /// Builds the app a locked app describes. `blob` maps a digest to a
    /// local, already verified file with that content; `base_dir` is where
    /// the `.spin` state folder and `.env` are looked for. Mounted files are
    /// staged into a private temporary folder, as [`App::load`] does.
    pub fn from_locked(
        locked: &LockedApp,
        blob: &dyn Fn(&str) -> Option<PathBuf>,
        base_dir: PathBuf,
    ) -> Result<Self, AppError> {
        locked.check_supported()?;
        let staging = tempfile::Builder::new()
            .prefix("kiln-files-")
            .tempdir()
            .map_err(|source| AppError::Io { path: std::env::temp_dir(), source })?;
        let mut manifest_components = IndexMap::new();
        let mut components = Vec::with_capacity(locked.components.len());
        for (i, lc) in locked.components.iter().enumerate() {
            let field = format!("components[{i}]");
            let (app_component, spec) = component(lc, &field, blob, staging.path())?;
            manifest_components.insert(lc.id.clone(), spec);
            components.push(app_component);
        }
        let mut http_triggers = Vec::new();
        let mut redis_triggers = Vec::new();
        let mut other_triggers: IndexMap<String, Vec<toml::Table>> = IndexMap::new();
        for (i, t) in locked.triggers.iter().enumerate() {
            let field = format!("triggers[{i}]");
            let config = object(&t.trigger_config, &format!("{field}.trigger_config"))?;
            if let Some(c) = config.get("component").and_then(Value::as_str) {
                if !manifest_components.contains_key(c) {
                    return Err(invalid(format!("{field}.trigger_config.component"), format!("no component `{c}`")).into());
                }
            }
            match t.trigger_type.as_str() {
                "http" => http_triggers.push(http_trigger(t, config, &field)?),
                "redis" => redis_triggers.push(redis_trigger(t, config, &field)?),
                other => {
                    let mut table = to_toml(&t.trigger_config, &format!("{field}.trigger_config"))?;
                    table.insert("id".into(), toml::Value::String(t.id.clone()));
                    other_triggers.entry(other.to_string()).or_default().push(table);
                }
            }
        }
        let variables = locked
            .variables
            .iter()
            .map(|(name, v)| {
                let var = Variable { default: v.default.clone(), required: v.default.is_none(), secret: v.secret };
                (name.clone(), var)
            })
            .collect();
        let manifest = AppManifest {
            application: application(&locked.metadata)?,
            variables,
            http_triggers,
            redis_triggers,
            other_triggers,
            components: manifest_components,
        };
        Ok(Self { manifest_path: None, base_dir, manifest, components, _staging: Some(staging) })
    }
}

fn invalid(field: String, message: impl Into<String>) -> LockedError {
    LockedError::Invalid { field, message: message.into() }
}

fn object<'a>(value: &'a Value, field: &str) -> Result<&'a Map<String, Value>, LockedError> {
    value.as_object().ok_or_else(|| invalid(field.to_string(), "expected an object"))
}

fn string_at(map: &Map<String, Value>, key: &str, field: &str) -> Result<Option<String>, LockedError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("{field}.{key}"), "expected a string")),
    }
}

fn strings_at(map: &Map<String, Value>, key: &str, field: &str) -> Result<Vec<String>, LockedError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid(format!("{field}.{key}"), "expected an array of strings")),
        Some(_) => Err(invalid(format!("{field}.{key}"), "expected an array of strings")),
    }
}

fn to_toml(value: &Value, field: &str) -> Result<toml::Table, LockedError> {
    serde_json::from_value(value.clone()).map_err(|e| invalid(field.to_string(), e.to_string()))
}

fn application(meta: &Map<String, Value>) -> Result<ApplicationDetails, LockedError> {
    let mut trigger_global = TriggerGlobalConfig::default();
    if let Some(triggers) = meta.get("triggers") {
        for (kind, settings) in object(triggers, "metadata.triggers")? {
            let field = format!("metadata.triggers.{kind}");
            if kind == "redis" {
                trigger_global.redis_address = string_at(object(settings, &field)?, "address", &field)?;
            } else {
                trigger_global.other.insert(kind.clone(), to_toml(settings, &field)?);
            }
        }
    } else if let Some(Value::Object(single)) = meta.get("trigger") {
        // Older lock files carry only the single trigger type's settings.
        if single.get("type").and_then(Value::as_str) == Some("redis") {
            trigger_global.redis_address = string_at(single, "address", "metadata.trigger")?;
        }
    }
    Ok(ApplicationDetails {
        name: string_at(meta, "name", "metadata")?.unwrap_or_else(|| "app".into()),
        version: string_at(meta, "version", "metadata")?,
        description: string_at(meta, "description", "metadata")?,
        authors: strings_at(meta, "authors", "metadata")?,
        targets: Vec::new(),
        trigger_global,
    })
}

/// Bytes of `content`: a file holding them (from the blob store, or written
/// to `inline_dest` from inline content).
fn materialise(
    content: &ContentRef,
    field: &str,
    blob: &dyn Fn(&str) -> Option<PathBuf>,
    inline_dest: &Path,
) -> Result<PathBuf, AppError> {
    if let Some(bytes) = content.inline_bytes().map_err(|m| invalid(field.to_string(), m))? {
        write(inline_dest, &bytes)?;
        return Ok(inline_dest.to_path_buf());
    }
    let digest = content
        .digest
        .as_deref()
        .ok_or_else(|| invalid(field.to_string(), "neither `digest` nor `inline` is set"))?;
    blob(digest).ok_or_else(|| invalid(field.to_string(), format!("content {digest} is not in the local cache")).into())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let io = |source| AppError::Io { path: path.to_path_buf(), source };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, bytes).map_err(io)
}

fn component(
    lc: &LockedComponent,
    field: &str,
    blob: &dyn Fn(&str) -> Option<PathBuf>,
    staging: &Path,
) -> Result<(AppComponent, Component), AppError> {
    if !lc.dependencies.is_empty() {
        return Err(LockedError::Unsupported(format!(
            "component `{}` has dependencies; composing components is not supported yet",
            lc.id
        ))
        .into());
    }
    let inline_wasm = staging.join(".sources").join(format!("{}.wasm", lc.id));
    let source = materialise(&lc.source.content, &format!("{field}.source"), blob, &inline_wasm)?;
    let mut mounts = Vec::with_capacity(lc.files.len());
    let files_root = if lc.files.is_empty() {
        None
    } else {
        let root = staging.join(&lc.id);
        for (i, file) in lc.files.iter().enumerate() {
            let ffield = format!("{field}.files[{i}]");
            let rel = file.path.trim_start_matches('/');
            if rel.is_empty() || Path::new(rel).components().any(|c| !matches!(c, PathComponent::Normal(_))) {
                return Err(invalid(format!("{ffield}.path"), format!("`{}` is not a plain relative path", file.path)).into());
            }
            let dest = root.join(rel);
            let src = materialise(&file.content, &ffield, blob, &dest)?;
            if src != dest {
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent).map_err(|source| AppError::Io { path: parent.to_path_buf(), source })?;
                }
                std::fs::copy(&src, &dest).map_err(|source| AppError::Io { path: dest.clone(), source })?;
            }
            mounts.push(FileMount::Placement { source: rel.to_string(), destination: format!("/{rel}") });
        }
        std::fs::create_dir_all(&root).map_err(|source| AppError::Io { path: root.clone(), source })?;
        Some(root)
    };
    let meta = &lc.metadata;
    let mfield = format!("{field}.metadata");
    let environment: IndexMap<String, String> = lc.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let spec = Component {
        id: lc.id.clone(),
        description: string_at(meta, "description", &mfield)?,
        source: ComponentSource::Local(source.clone()),
        files: mounts,
        exclude_files: Vec::new(),
        environment: environment.clone(),
        variables: lc.config.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        allowed_outbound_hosts: strings_at(meta, "allowed_outbound_hosts", &mfield)?,
        key_value_stores: strings_at(meta, "key_value_stores", &mfield)?,
        sqlite_databases: strings_at(meta, "databases", &mfield)?,
        ai_models: strings_at(meta, "ai_models", &mfield)?,
        build: None,
        dependencies_inherit_configuration: false,
        dependencies: IndexMap::new(),
        tool: IndexMap::new(),
    };
    let app_component = AppComponent {
        id: lc.id.clone(),
        source,
        files_root,
        environment: environment.into_iter().collect(),
        spec: spec.clone(),
    };
    Ok((app_component, spec))
}

fn http_trigger(t: &LockedTrigger, config: &Map<String, Value>, field: &str) -> Result<HttpTrigger, LockedError> {
    let cfield = format!("{field}.trigger_config");
    let route = match config.get("route") {
        Some(Value::String(p)) => HttpRoute::Path(p.clone()),
        Some(Value::Object(o)) if o.get("private") == Some(&Value::Bool(true)) => HttpRoute::Private,
        _ => return Err(invalid(format!("{cfield}.route"), "expected a path or `{ \"private\": true }`")),
    };
    let executor = match config.get("executor") {
        None | Some(Value::Null) => HttpExecutor::Http,
        Some(value) => {
            let efield = format!("{cfield}.executor");
            let e = object(value, &efield)?;
            match string_at(e, "type", &efield)?.as_deref() {
                None | Some("http") | Some("spin") => HttpExecutor::Http,
                Some("wagi") => {
                    let defaults = WagiConfig::default();
                    HttpExecutor::Wagi(WagiConfig {
                        argv: string_at(e, "argv", &efield)?.unwrap_or(defaults.argv),
                        entrypoint: string_at(e, "entrypoint", &efield)?.unwrap_or(defaults.entrypoint),
                    })
                }
                Some(other) => return Err(invalid(format!("{efield}.type"), format!("unknown executor `{other}`"))),
            }
        }
    };
    let static_response = match config.get("static_response") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let sfield = format!("{cfield}.static_response");
            let s = object(value, &sfield)?;
            let status_code = match s.get("status_code") {
                None => 200,
                Some(v) => v
                    .as_u64()
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|n| (100..=599).contains(n))
                    .ok_or_else(|| invalid(format!("{sfield}.status_code"), "expected an HTTP status (100-599)"))?,
            };
            let headers = match s.get("headers") {
                None => IndexMap::new(),
                Some(h) => serde_json::from_value(h.clone())
                    .map_err(|e| invalid(format!("{sfield}.headers"), e.to_string()))?,
            };
            Some(StaticResponse { status_code, headers, body: string_at(s, "body", &sfield)? })
        }
    };
    let component = string_at(config, "component", &cfield)?;
    if component.is_none() && static_response.is_none() {
        return Err(invalid(format!("{cfield}.component"), "an HTTP trigger needs a component or a static_response"));
    }
    Ok(HttpTrigger { id: Some(t.id.clone()), route, component, executor, static_response })
}

fn redis_trigger(t: &LockedTrigger, config: &Map<String, Value>, field: &str) -> Result<RedisTrigger, LockedError> {
    let cfield = format!("{field}.trigger_config");
    let required = |key: &str| {
        string_at(config, key, &cfield)?.ok_or_else(|| invalid(format!("{cfield}.{key}"), "missing"))
    };
    Ok(RedisTrigger {
        id: Some(t.id.clone()),
        channel: required("channel")?,
        address: string_at(config, "address", &cfield)?,
        component: required("component")?,
    })
}
