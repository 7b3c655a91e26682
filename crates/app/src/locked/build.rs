//! A loaded [`App`] to a [`LockedApp`] whose content is addressed by digest.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use kiln_manifest::{HttpExecutor, HttpRoute};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{ContentRef, LockedApp, LockedComponent, LockedError, LockedFile, LockedSource, LockedTrigger, LockedVariable, WASM_CONTENT_TYPE};
use crate::{App, AppComponent};

/// A locked app and the local files behind its digests.
#[derive(Debug, Clone)]
pub struct LockedBuild {
    /// The locked app; sources and files refer to content by digest (small
    /// files are inlined instead).
    pub locked: LockedApp,
    /// Each distinct blob once, in first-use order.
    pub blobs: Vec<LocalBlob>,
}

/// A local file to upload under its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBlob {
    /// `sha256:<hex>`.
    pub digest: String,
    /// Where the bytes are.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// A component's Wasm (as opposed to a mounted file).
    pub wasm: bool,
}

/// Locks `app`: every component source and every staged file is hashed;
/// files of at most `inline_max` bytes are inlined (as Spin does, since
/// some registries refuse tiny blobs). Blocking (reads every file).
pub fn lock(app: &App, inline_max: u64) -> Result<LockedBuild, LockedError> {
    let mut blobs = Blobs::default();
    let mut components = Vec::with_capacity(app.components.len());
    for component in &app.components {
        components.push(lock_component(component, inline_max, &mut blobs)?);
    }
    let host_requirements = Map::new();
    let mut must_understand = Vec::new();
    if components.iter().any(|c| !c.host_requirements.is_empty()) {
        must_understand.push("component_host_requirements".to_string());
    }
    let spin_lock_version = if must_understand.is_empty() { 0 } else { 1 };
    let variables = app
        .manifest
        .variables
        .iter()
        .map(|(name, v)| {
            let locked = LockedVariable { description: None, default: v.default.clone(), secret: v.secret };
            (name.clone(), locked)
        })
        .collect();
    let locked = LockedApp {
        spin_lock_version,
        must_understand,
        metadata: app_metadata(app),
        host_requirements,
        variables,
        triggers: triggers(app),
        components,
    };
    Ok(LockedBuild { locked, blobs: blobs.list })
}

#[derive(Default)]
struct Blobs {
    list: Vec<LocalBlob>,
    seen: HashSet<String>,
}

impl Blobs {
    /// Hashes `path`; returns its content reference (inline when small).
    fn add(&mut self, path: &Path, wasm: bool, inline_max: u64) -> Result<ContentRef, LockedError> {
        let io = |source| LockedError::Io { path: path.to_path_buf(), source };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if !wasm && size <= inline_max {
            use base64::Engine as _;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(io)?;
            return Ok(ContentRef {
                inline: Some(base64::engine::general_purpose::STANDARD.encode(&bytes)),
                digest: Some(format!("sha256:{}", hex::encode(Sha256::digest(&bytes)))),
                source: None,
            });
        }
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher).map_err(io)?;
        let digest = format!("sha256:{}", hex::encode(hasher.finalize()));
        if self.seen.insert(digest.clone()) {
            self.list.push(LocalBlob { digest: digest.clone(), path: path.to_path_buf(), size, wasm });
        }
        Ok(ContentRef { digest: Some(digest), ..ContentRef::default() })
    }
}

fn lock_component(c: &AppComponent, inline_max: u64, blobs: &mut Blobs) -> Result<LockedComponent, LockedError> {
    let spec = &c.spec;
    if !spec.dependencies.is_empty() {
        return Err(LockedError::Unsupported(format!(
            "component `{}` has dependencies; composing components is not supported yet",
            c.id
        )));
    }
    let mut metadata = Map::new();
    if let Some(d) = &spec.description {
        metadata.insert("description".into(), d.clone().into());
    }
    metadata.insert("allowed_outbound_hosts".into(), json!(spec.allowed_outbound_hosts));
    metadata.insert("key_value_stores".into(), json!(spec.key_value_stores));
    metadata.insert("databases".into(), json!(spec.sqlite_databases));
    metadata.insert("ai_models".into(), json!(spec.ai_models));
    let source = LockedSource { content_type: WASM_CONTENT_TYPE.into(), content: blobs.add(&c.source, true, 0)? };
    let mut files = Vec::new();
    if let Some(root) = &c.files_root {
        let mut paths = Vec::new();
        walk(root, root, &mut paths)?;
        paths.sort();
        for (guest_path, host_path) in paths {
            files.push(LockedFile { content: blobs.add(&host_path, false, inline_max)?, path: guest_path });
        }
    }
    let mut host_requirements = Map::new();
    if spec.allowed_outbound_hosts.iter().any(|h| h.contains(".spin.internal")) {
        host_requirements.insert("local_service_chaining".into(), "required".into());
    }
    Ok(LockedComponent {
        id: c.id.clone(),
        metadata,
        source,
        env: c.environment.iter().cloned().collect(),
        files,
        config: spec.variables.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        dependencies: Map::new(),
        host_requirements,
    })
}

/// Every file under `dir`, as (`/`-separated path relative to `root`, path).
fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), LockedError> {
    let io = |source| LockedError::Io { path: dir.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if path.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let guest: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.push((guest.join("/"), path));
        }
    }
    Ok(())
}

fn app_metadata(app: &App) -> Map<String, Value> {
    let details = &app.manifest.application;
    let mut meta = Map::new();
    meta.insert("name".into(), details.name.clone().into());
    if let Some(v) = &details.version {
        meta.insert("version".into(), v.clone().into());
    }
    if let Some(d) = &details.description {
        meta.insert("description".into(), d.clone().into());
    }
    if !details.authors.is_empty() {
        meta.insert("authors".into(), json!(details.authors));
    }
    let mut global: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(address) = &details.trigger_global.redis_address {
        global.insert("redis".into(), json!({ "address": address }));
    }
    for (kind, table) in &details.trigger_global.other {
        global.insert(kind.clone(), serde_json::to_value(table).unwrap_or(Value::Null));
    }
    if !global.is_empty() {
        meta.insert("triggers".into(), json!(global));
    }
    // Spin also writes the single trigger type's settings under `trigger`.
    let types = trigger_types(app);
    if let [only] = types.as_slice() {
        let mut single = match global.get(only) {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        single.insert("type".into(), only.clone().into());
        meta.insert("trigger".into(), Value::Object(single));
    }
    meta
}

fn trigger_types(app: &App) -> Vec<String> {
    let m = &app.manifest;
    let mut types = Vec::new();
    if !m.http_triggers.is_empty() {
        types.push("http".to_string());
    }
    if !m.redis_triggers.is_empty() {
        types.push("redis".to_string());
    }
    types.extend(m.other_triggers.iter().filter(|(_, t)| !t.is_empty()).map(|(k, _)| k.clone()));
    types
}

fn triggers(app: &App) -> Vec<LockedTrigger> {
    let m = &app.manifest;
    let mut ids = HashSet::new();
    let mut unique = |given: Option<&String>, kind: &str, n: usize| -> String {
        let base = given.cloned().unwrap_or_else(|| format!("{kind}-trigger{n}"));
        let mut id = base.clone();
        let mut i = 2;
        while !ids.insert(id.clone()) {
            id = format!("{base}-{i}");
            i += 1;
        }
        id
    };
    let mut out = Vec::new();
    for (n, t) in m.http_triggers.iter().enumerate() {
        let mut config = Map::new();
        let route = match &t.route {
            HttpRoute::Path(p) => Value::from(p.clone()),
            HttpRoute::Private => json!({ "private": true }),
        };
        config.insert("route".into(), route);
        if let Some(c) = &t.component {
            config.insert("component".into(), c.clone().into());
        }
        if let HttpExecutor::Wagi(w) = &t.executor {
            config.insert(
                "executor".into(),
                json!({ "type": "wagi", "argv": w.argv, "entrypoint": w.entrypoint }),
            );
        }
        if let Some(r) = &t.static_response {
            let mut sr = Map::new();
            sr.insert("status_code".into(), r.status_code.into());
            if !r.headers.is_empty() {
                sr.insert("headers".into(), json!(r.headers));
            }
            if let Some(body) = &r.body {
                sr.insert("body".into(), body.clone().into());
            }
            config.insert("static_response".into(), Value::Object(sr));
        }
        let id = unique(t.id.as_ref(), "http", n + 1);
        out.push(LockedTrigger { id, trigger_type: "http".into(), trigger_config: Value::Object(config) });
    }
    for (n, t) in m.redis_triggers.iter().enumerate() {
        let mut config = Map::new();
        config.insert("channel".into(), t.channel.clone().into());
        config.insert("component".into(), t.component.clone().into());
        if let Some(a) = &t.address {
            config.insert("address".into(), a.clone().into());
        }
        let id = unique(t.id.as_ref(), "redis", n + 1);
        out.push(LockedTrigger { id, trigger_type: "redis".into(), trigger_config: Value::Object(config) });
    }
    for (kind, tables) in &m.other_triggers {
        for (n, table) in tables.iter().enumerate() {
            let given = table.get("id").and_then(|v| v.as_str()).map(str::to_string);
            let mut config = serde_json::to_value(table).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut config {
                map.remove("id");
            }
            let id = unique(given.as_ref(), kind, n + 1);
            out.push(LockedTrigger { id, trigger_type: kind.clone(), trigger_config: config });
        }
    }
    out
}
