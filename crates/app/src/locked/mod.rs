//! Spin's "locked app": the fully resolved application as JSON.
//!
//! This is what `spin registry push` stores in an OCI artifact (and what
//! `spin up` runs from), so an app pushed by Kiln runs in Spin and the other
//! way round. The types follow Spin's published format:
//!
//! ```json
//! { "spin_lock_version": 1,
//!   "metadata": { "name": "hello", "triggers": { "redis": { "address": "…" } } },
//!   "variables": { "greeting": { "default": "hi" }, "key": { "secret": true } },
//!   "triggers": [ { "id": "t1", "trigger_type": "http",
//!                   "trigger_config": { "route": "/...", "component": "web" } } ],
//!   "components": [ { "id": "web",
//!                     "metadata": { "allowed_outbound_hosts": [], "key_value_stores": ["default"] },
//!                     "source": { "content_type": "application/wasm", "digest": "sha256:…" },
//!                     "env": { "A": "1" }, "config": { "k": "{{ key }}" },
//!                     "files": [ { "digest": "sha256:…", "path": "static/index.html" } ] } ] }
//! ```
//!
//! [`lock`] turns a loaded [`App`](crate::App) into a [`LockedApp`] plus the
//! blobs it refers to; [`App::from_locked`](crate::App::from_locked) does the
//! reverse from blobs already on disk.

mod build;
mod load;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use build::{lock, LocalBlob, LockedBuild};

/// Content type of a component's Wasm source.
pub const WASM_CONTENT_TYPE: &str = "application/wasm";

/// Host features the app may require that Kiln provides: service chaining
/// (`http://<component>.spin.internal`).
const SUPPORTED_HOST_REQUIREMENTS: &[&str] = &["local_service_chaining"];

/// Fields a locked app may flag as must-understand that Kiln does understand.
const UNDERSTOOD: &[&str] = &["host_requirements", "component_host_requirements"];

/// Why a locked app could not be built or used.
#[derive(Debug, thiserror::Error)]
pub enum LockedError {
    /// The JSON does not parse as a locked app.
    #[error("locked app: {0}")]
    Json(#[from] serde_json::Error),
    /// A part of the locked app Kiln cannot run.
    #[error("locked app: {0}")]
    Unsupported(String),
    /// A field has a value of the wrong shape.
    #[error("locked app: {field}: {message}")]
    Invalid {
        /// Dotted path of the field, e.g. `components[1].source`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A fully resolved Spin application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockedApp {
    /// Format version: Spin writes 0 (no host requirements) or 1.
    pub spin_lock_version: u32,
    /// Fields the host must understand or refuse the app.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub must_understand: Vec<String>,
    /// App metadata: `name`, `version`, `description`, `authors`,
    /// `triggers` (app-wide trigger settings by type) and `trigger`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// Host features the app needs (`"required"`) or can use (`"optional"`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub host_requirements: Map<String, Value>,
    /// Application variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, LockedVariable>,
    /// Triggers of every type, in manifest order within a type.
    pub triggers: Vec<LockedTrigger>,
    /// Components in manifest order.
    pub components: Vec<LockedComponent>,
}

/// An application variable. No default means the variable is required.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LockedVariable {
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Whether the value must stay out of logs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}

/// A trigger: its type and its type-specific settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockedTrigger {
    /// Unique within the app.
    pub id: String,
    /// `http`, `redis` or a plugin trigger type.
    pub trigger_type: String,
    /// For HTTP: `route`, `component`, `executor`, `static_response`; for
    /// Redis: `channel`, `component`, `address`.
    pub trigger_config: Value,
}

/// A component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockedComponent {
    /// Component id.
    pub id: String,
    /// `description`, `allowed_outbound_hosts`, `key_value_stores`,
    /// `databases` (SQLite labels), `ai_models`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// The Wasm.
    pub source: LockedSource,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Files mounted into the guest, by guest path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<LockedFile>,
    /// Component variables (templates over app variables).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, String>,
    /// Component dependencies (composition); Kiln does not compose yet.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub dependencies: Map<String, Value>,
    /// Host features this component needs.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub host_requirements: Map<String, Value>,
}

/// A component's Wasm source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedSource {
    /// `application/wasm`.
    pub content_type: String,
    /// Where the bytes are.
    #[serde(flatten)]
    pub content: ContentRef,
}

/// A file mounted into a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedFile {
    /// Where the bytes are.
    #[serde(flatten)]
    pub content: ContentRef,
    /// Guest path, relative to `/`, with `/` separators.
    pub path: String,
}

/// Where content lives: a digest (a blob), inline bytes, or a URL.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContentRef {
    /// A URL (`file://…` in Spin's local lock files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The bytes themselves, base64 (standard alphabet, padded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline: Option<String>,
    /// `sha256:<hex>` of the bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl ContentRef {
    /// The inline bytes, decoded, if any.
    pub fn inline_bytes(&self) -> Result<Option<Vec<u8>>, String> {
        use base64::Engine as _;
        self.inline
            .as_deref()
            .map(|text| {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|e| format!("`inline` is not base64: {e}"))
            })
            .transpose()
    }
}

impl LockedApp {
    /// Parses locked-app JSON and checks Kiln can run it.
    pub fn from_json(bytes: &[u8]) -> Result<Self, LockedError> {
        let app: Self = serde_json::from_slice(bytes)?;
        app.check_supported()?;
        Ok(app)
    }

    /// Pretty JSON, as Spin writes it.
    pub fn to_json(&self) -> Result<Vec<u8>, LockedError> {
        Ok(serde_json::to_vec_pretty(self)?)
    }

    /// The app name from the metadata.
    pub fn name(&self) -> Option<&str> {
        self.metadata.get("name").and_then(Value::as_str)
    }

    /// Refuses versions and required features this build does not know.
    pub fn check_supported(&self) -> Result<(), LockedError> {
        if self.spin_lock_version > 1 {
            return Err(LockedError::Unsupported(format!(
                "spin_lock_version {} is newer than this Kiln understands (0 or 1)",
                self.spin_lock_version
            )));
        }
        if let Some(field) = self.must_understand.iter().find(|f| !UNDERSTOOD.contains(&f.as_str())) {
            return Err(LockedError::Unsupported(format!("the app requires support for `{field}`")));
        }
        let required = |reqs: &Map<String, Value>| -> Vec<String> {
            reqs.iter()
                .filter(|(k, v)| v.as_str() != Some("optional") && !SUPPORTED_HOST_REQUIREMENTS.contains(&k.as_str()))
                .map(|(k, _)| k.clone())
                .collect()
        };
        let mut missing = required(&self.host_requirements);
        for component in &self.components {
            missing.extend(required(&component.host_requirements));
        }
        if !missing.is_empty() {
            missing.sort();
            missing.dedup();
            return Err(LockedError::Unsupported(format!(
                "the app requires host features Kiln lacks: {}",
                missing.join(", ")
            )));
        }
        Ok(())
    }

    /// Every digest the app refers to (component sources and files), once each.
    pub fn digests(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in &self.components {
            let refs = std::iter::once(&c.source.content).chain(c.files.iter().map(|f| &f.content));
            for r in refs {
                if let Some(d) = r.digest.as_deref() {
                    if r.inline.is_none() && !out.contains(&d) {
                        out.push(d);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
