//! The resolved Kiln application.
//!
//! [`App::load`] takes what the user pointed `kiln up` at — a `spin.toml`, a
//! folder holding one, or a bare `.wasm` file — and resolves it into what the
//! engine and triggers need: every component with its source file checked to
//! exist, its file mounts staged into one read-only directory, its
//! environment, and the app's triggers. All paths are absolute.

mod files;
pub mod locked;
pub mod sources;

use std::path::{Path, PathBuf};

pub use kiln_manifest as manifest;
use kiln_manifest::{AppManifest, ComponentSource, HttpExecutor, HttpRoute, HttpTrigger};

/// The manifest file name looked for in a folder.
pub const MANIFEST_FILE_NAME: &str = "spin.toml";

/// Why an application could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The manifest is invalid; the inner error names file, line and field.
    #[error(transparent)]
    Manifest(#[from] kiln_manifest::ManifestError),
    /// What `--from` named does not exist.
    #[error("{0}: no such file or directory")]
    NotFound(PathBuf),
    /// A folder without a manifest.
    #[error("no {MANIFEST_FILE_NAME} in {0}")]
    NoManifest(PathBuf),
    /// A component's Wasm file is missing.
    #[error("component `{component}`: source file {path} does not exist")]
    MissingSource {
        /// Component id.
        component: String,
        /// The resolved path.
        path: PathBuf,
    },
    /// A `{ url, digest }` source could not be fetched or did not verify.
    #[error("component `{component}`: source {url}: {message}")]
    Source {
        /// Component id.
        component: String,
        /// The source URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A component source kind this build cannot fetch.
    #[error("component `{component}`: {what} sources are not supported yet; fetch the component and point `source` at the .wasm file")]
    UnsupportedSource {
        /// Component id.
        component: String,
        /// The kind of source (`registry`).
        what: &'static str,
    },
    /// Staging a component's `files` failed.
    #[error("component `{component}`: files: {message}")]
    Files {
        /// Component id.
        component: String,
        /// What went wrong.
        message: String,
    },
    /// A locked app (from a registry) is invalid or needs what Kiln lacks.
    #[error(transparent)]
    Locked(#[from] locked::LockedError),
    /// Any other I/O failure, with the path involved.
    #[error("{path}: {source}")]
    Io {
        /// Path being read or written.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A loaded application.
#[derive(Debug)]
pub struct App {
    /// The manifest file, when there is one (none for a bare `.wasm`).
    pub manifest_path: Option<PathBuf>,
    /// The folder relative paths resolve against; `.spin/` lives here.
    pub base_dir: PathBuf,
    /// The normalised manifest.
    pub manifest: AppManifest,
    /// Components in manifest order.
    pub components: Vec<AppComponent>,
    // Keeps staged file mounts alive as long as the app.
    _staging: Option<tempfile::TempDir>,
}

/// A component ready to compile and instantiate.
#[derive(Debug, Clone)]
pub struct AppComponent {
    /// Component id.
    pub id: String,
    /// Absolute path of the Wasm file.
    pub source: PathBuf,
    /// A directory to preopen read-only at `/` in the guest, if it has files.
    pub files_root: Option<PathBuf>,
    /// Environment variables from the manifest.
    pub environment: Vec<(String, String)>,
    /// The component's manifest entry, for capability settings.
    pub spec: kiln_manifest::Component,
}

impl App {
    /// Loads from a manifest file, a folder containing `spin.toml`, or a bare
    /// Wasm file (served on `/...` as component named after the file).
    ///
    /// Blocking (it may download `{ url, digest }` sources): from async code,
    /// call it in `spawn_blocking`.
    pub fn load(from: &Path) -> Result<Self, AppError> {
        let meta = std::fs::metadata(from).map_err(|_| AppError::NotFound(from.to_path_buf()))?;
        let from = absolute(from)?;
        if meta.is_dir() {
            let manifest = from.join(MANIFEST_FILE_NAME);
            if !manifest.is_file() {
                return Err(AppError::NoManifest(from));
            }
            return Self::from_manifest(&manifest);
        }
        if from.extension().is_some_and(|e| e == "wasm") {
            return Self::from_wasm(&from);
        }
        Self::from_manifest(&from)
    }

    fn from_manifest(path: &Path) -> Result<Self, AppError> {
        let manifest = kiln_manifest::parse_file(path)?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::resolve(Some(path.to_path_buf()), base_dir, manifest)
    }

    fn from_wasm(path: &Path) -> Result<Self, AppError> {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("app");
        let id = component_id_from(stem);
        let text = format!(
            "spin_manifest_version = 2\n[application]\nname = {id:?}\n\
             [[trigger.http]]\nroute = \"/...\"\ncomponent = {id:?}\n\
             [component.{id}]\nsource = {source:?}\n",
            source = path.display().to_string(),
        );
        let manifest = kiln_manifest::parse_str(&text, path)?;
        let base_dir = std::env::current_dir().map_err(|source| AppError::Io {
            path: PathBuf::from("."),
            source,
        })?;
        Self::resolve(None, base_dir, manifest)
    }

    fn resolve(
        manifest_path: Option<PathBuf>,
        base_dir: PathBuf,
        manifest: AppManifest,
    ) -> Result<Self, AppError> {
        let mut staging = None;
        let mut components = Vec::with_capacity(manifest.components.len());
        for (id, spec) in &manifest.components {
            let source = match &spec.source {
                ComponentSource::Local(path) => base_dir.join(path),
                ComponentSource::Remote { url, digest } => {
                    sources::fetch(id, url, digest, &sources::default_cache_dir())?
                }
                ComponentSource::Registry { .. } => {
                    return Err(AppError::UnsupportedSource {
                        component: id.clone(),
                        what: "registry",
                    })
                }
            };
            if !source.is_file() {
                return Err(AppError::MissingSource { component: id.clone(), path: source });
            }
            let files_root = if spec.files.is_empty() {
                None
            } else {
                if staging.is_none() {
                    staging = Some(tempfile::Builder::new().prefix("kiln-files-").tempdir().map_err(
                        |source| AppError::Io { path: std::env::temp_dir(), source },
                    )?);
                }
                let root = staging.as_ref().map(|s| s.path().join(id)).unwrap_or_default();
                files::stage(&base_dir, spec, &root).map_err(|message| AppError::Files {
                    component: id.clone(),
                    message,
                })?;
                Some(root)
            };
            components.push(AppComponent {
                id: id.clone(),
                source,
                files_root,
                environment: spec.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                spec: spec.clone(),
            });
        }
        Ok(Self { manifest_path, base_dir, manifest, components, _staging: staging })
    }

    /// The app's name from `[application]`.
    pub fn name(&self) -> &str {
        &self.manifest.application.name
    }

    /// A component by id.
    pub fn component(&self, id: &str) -> Option<&AppComponent> {
        self.components.iter().find(|c| c.id == id)
    }

    /// HTTP triggers in manifest order.
    pub fn http_triggers(&self) -> &[HttpTrigger] {
        &self.manifest.http_triggers
    }

    /// The `.spin` state folder beside the manifest.
    pub fn state_dir(&self) -> PathBuf {
        self.base_dir.join(".spin")
    }

    /// Ids of components a trigger runs with the WAGI executor.
    pub fn is_wagi(&self, component_id: &str) -> bool {
        self.http_triggers().iter().any(|t| {
            t.component.as_deref() == Some(component_id) && matches!(t.executor, HttpExecutor::Wagi(_))
        })
    }

    /// The public routes, `(route, component or "static response")`, in order.
    pub fn route_list(&self) -> Vec<(String, String)> {
        self.http_triggers()
            .iter()
            .filter_map(|t| match &t.route {
                HttpRoute::Path(p) => Some((
                    p.clone(),
                    t.component.clone().unwrap_or_else(|| "static response".into()),
                )),
                HttpRoute::Private => None,
            })
            .collect()
    }
}

fn absolute(path: &Path) -> Result<PathBuf, AppError> {
    std::path::absolute(path).map_err(|source| AppError::Io { path: path.to_path_buf(), source })
}

/// A valid component id from a file name: lowercase words of letters and
/// digits joined by `-`, each starting with a letter (a word starting with a
/// digit is glued to the word before it, or to `app`).
fn component_id_from(stem: &str) -> String {
    let lowered: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let mut id = String::new();
    for word in lowered.split('-').filter(|w| !w.is_empty()) {
        if word.starts_with(|c: char| c.is_ascii_digit()) {
            if id.is_empty() {
                id.push_str("app");
            }
        } else if !id.is_empty() {
            id.push('-');
        }
        id.push_str(word);
    }
    if id.is_empty() {
        id.push_str("app");
    }
    id
}

#[cfg(test)]
mod tests;
