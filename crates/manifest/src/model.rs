//! The normalised application model every manifest version is turned into.
//!
//! Field names follow Spin's manifest version 2; version 1 manifests are
//! mapped onto the same shapes, so consumers never see which version was
//! written.

use std::path::PathBuf;

use indexmap::IndexMap;

/// A parsed, validated and normalised application manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct AppManifest {
    /// The `[application]` table (top-level fields in version 1).
    pub application: ApplicationDetails,
    /// Application variables from `[variables]`, in manifest order.
    pub variables: IndexMap<String, Variable>,
    /// `[[trigger.http]]` entries in manifest order.
    pub http_triggers: Vec<HttpTrigger>,
    /// `[[trigger.redis]]` entries in manifest order.
    pub redis_triggers: Vec<RedisTrigger>,
    /// Triggers of other types (Spin trigger plugins), kept as raw tables
    /// keyed by trigger type. An inline `component` table has been replaced
    /// by the id of the hoisted component.
    pub other_triggers: IndexMap<String, Vec<toml::Table>>,
    /// Components in manifest order, followed by components hoisted from
    /// inline trigger definitions (see [`crate`] docs for their ids).
    pub components: IndexMap<String, Component>,
}

impl AppManifest {
    /// The component with this id, if any.
    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.get(id)
    }
}

/// Application-level metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApplicationDetails {
    /// The application name.
    pub name: String,
    /// The application version, free-form.
    pub version: Option<String>,
    /// A human-readable description.
    pub description: Option<String>,
    /// Authors, free-form.
    pub authors: Vec<String>,
    /// Deployment targets (`[application] targets`, Spin 3).
    pub targets: Vec<String>,
    /// Application-wide trigger settings (`[application.trigger.*]`).
    pub trigger_global: TriggerGlobalConfig,
}

/// Application-wide trigger settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TriggerGlobalConfig {
    /// Default Redis address (`[application.trigger.redis] address`).
    pub redis_address: Option<String>,
    /// Settings for other trigger types, raw, keyed by trigger type.
    pub other: IndexMap<String, toml::Table>,
}

/// An application variable declaration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Variable {
    /// Value used when no provider supplies one. Never set together with
    /// `required`.
    pub default: Option<String>,
    /// Whether a provider must supply a value.
    pub required: bool,
    /// Whether the value must be kept out of logs.
    pub secret: bool,
}

/// An HTTP trigger: a route served by a component or a static response.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpTrigger {
    /// The trigger id, when the manifest gives one.
    pub id: Option<String>,
    /// Where the trigger listens.
    pub route: HttpRoute,
    /// The component handling requests; `None` only with `static_response`.
    pub component: Option<String>,
    /// How the component is invoked.
    pub executor: HttpExecutor,
    /// A fixed response served without running a component.
    pub static_response: Option<StaticResponse>,
}

/// The route of an HTTP trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpRoute {
    /// A public path such as `/hello`, `/users/:id` or `/static/...`.
    /// Version 1 routes already include the application `base`.
    Path(String),
    /// `route = { private = true }`: reachable only from inside the app.
    Private,
}

/// How an HTTP component is invoked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HttpExecutor {
    /// The component exports the WASI / Spin HTTP handler interface
    /// (`type = "http"`, or `"spin"` in version 1).
    #[default]
    Http,
    /// A WAGI (CGI-style) command module.
    Wagi(WagiConfig),
}

/// Settings for the WAGI executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WagiConfig {
    /// Command-line arguments; `${SCRIPT_NAME}` and `${ARGS}` are expanded.
    pub argv: String,
    /// The exported function to call.
    pub entrypoint: String,
}

impl Default for WagiConfig {
    fn default() -> Self {
        Self {
            argv: "${SCRIPT_NAME} ${ARGS}".into(),
            entrypoint: "_start".into(),
        }
    }
}

/// A response an HTTP trigger serves without running a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticResponse {
    /// HTTP status code (default 200).
    pub status_code: u16,
    /// Response headers in manifest order.
    pub headers: IndexMap<String, String>,
    /// Response body, if any.
    pub body: Option<String>,
}

/// A Redis trigger: messages on a channel run a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisTrigger {
    /// The trigger id, when the manifest gives one.
    pub id: Option<String>,
    /// The channel subscribed to.
    pub channel: String,
    /// Redis address overriding `[application.trigger.redis] address`.
    pub address: Option<String>,
    /// The component handling messages.
    pub component: String,
}

/// A component: a Wasm module plus the capabilities granted to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// The component id (the key of `[component.<id>]`).
    pub id: String,
    /// A human-readable description.
    pub description: Option<String>,
    /// Where the Wasm comes from.
    pub source: ComponentSource,
    /// Files made available to the component.
    pub files: Vec<FileMount>,
    /// Glob patterns removed from `files` matches.
    pub exclude_files: Vec<String>,
    /// Environment variables, in manifest order.
    pub environment: IndexMap<String, String>,
    /// Component variables (`config` in version 1); values are templates
    /// such as `"{{ api_key }}"` over application variables.
    pub variables: IndexMap<String, String>,
    /// Permitted outbound destinations, `scheme://host[:port]` strings
    /// (see [`crate::outbound`]); includes entries derived from the
    /// deprecated `allowed_http_hosts`.
    pub allowed_outbound_hosts: Vec<String>,
    /// Key-value store labels the component may open.
    pub key_value_stores: Vec<String>,
    /// SQLite database labels the component may open.
    pub sqlite_databases: Vec<String>,
    /// AI models the component may use.
    pub ai_models: Vec<String>,
    /// How `spin build` builds the component.
    pub build: Option<ComponentBuild>,
    /// Whether dependencies inherit this component's capabilities.
    pub dependencies_inherit_configuration: bool,
    /// Component dependencies keyed by WIT package or interface name.
    pub dependencies: IndexMap<String, ComponentDependency>,
    /// Free-form tables for external tools (`[component.<id>.tool.<name>]`).
    pub tool: IndexMap<String, toml::Table>,
}

/// Where a component's Wasm comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentSource {
    /// A file path, relative to the manifest's folder unless absolute.
    Local(PathBuf),
    /// A download, checked against a digest.
    Remote {
        /// The URL to fetch.
        url: String,
        /// `sha256:<64 hex digits>`.
        digest: String,
    },
    /// A package from a component registry.
    Registry {
        /// The registry; `None` means the default one.
        registry: Option<String>,
        /// The package name, e.g. `example:hello`.
        package: String,
        /// The package version.
        version: String,
    },
}

/// Files made available to a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileMount {
    /// A glob pattern relative to the manifest folder; matches are mounted
    /// at the same relative path.
    Pattern(String),
    /// A file or folder mounted at an explicit guest path.
    Placement {
        /// Path relative to the manifest folder.
        source: String,
        /// Absolute path inside the guest.
        destination: String,
    },
}

/// How `spin build` builds a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentBuild {
    /// Commands run in order (a single string in TOML becomes one entry).
    pub command: Vec<String>,
    /// Folder to run in, relative to the manifest folder.
    pub workdir: Option<PathBuf>,
    /// Glob patterns `spin watch` observes.
    pub watch: Vec<String>,
}

/// A component dependency, satisfied by composing another component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentDependency {
    /// A registry package: `"1.2.0"` or `{ version, registry?, package?, export? }`.
    Package {
        /// Version requirement.
        version: String,
        /// Registry; `None` means the default one.
        registry: Option<String>,
        /// Package name when it differs from the dependency name.
        package: Option<String>,
        /// Export of the dependency to use, when it differs from the name.
        export: Option<String>,
    },
    /// A local Wasm file: `{ path, export? }`.
    Local {
        /// Path relative to the manifest folder.
        path: PathBuf,
        /// Export to use.
        export: Option<String>,
    },
    /// A download: `{ url, digest, export? }`.
    Http {
        /// URL to fetch.
        url: String,
        /// `sha256:<64 hex digits>`.
        digest: String,
        /// Export to use.
        export: Option<String>,
    },
    /// Another component of this application: `{ component, export? }`.
    AppComponent {
        /// Id of the component.
        component: String,
        /// Export to use.
        export: Option<String>,
    },
}
