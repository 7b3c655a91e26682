//! What each component may use: [`AppCapabilities`] gathers every
//! capability's app state (built by the capability's own module from the
//! manifest and runtime configuration), and [`ComponentCapabilities`] is the
//! share of it each component's manifest entry grants.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use kiln_key_value::{ComponentStores, StoreManager};
use kiln_manifest::AppManifest;
use kiln_outbound_networking::OutboundPolicy;
use kiln_runtime_config::RuntimeConfig;
use kiln_sqlite::{ComponentDatabases, DatabaseManager};
use kiln_variables::Resolver;

use crate::clients::OutboundClients;

/// The label of the store and the database every app has.
pub const DEFAULT_LABEL: &str = "default";
/// The default key-value store's file in the state folder (Spin's name).
pub const DEFAULT_KEY_VALUE_FILE: &str = "sqlite_key_value.db";
/// The default SQLite database's file in the state folder (Spin's name).
pub const DEFAULT_SQLITE_FILE: &str = "sqlite_db.db";

/// Why an app's capabilities could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum CapabilityError {
    /// A component's variables are invalid, or a required variable has no
    /// value (the message names the variable, never a value).
    #[error(transparent)]
    Variables(#[from] kiln_variables::Error),
    /// A variables provider from the runtime configuration could not be made.
    #[error("variables provider: {0}")]
    Provider(String),
    /// The `[outbound_http]` runtime config cannot be applied.
    #[error(transparent)]
    OutboundHttp(#[from] kiln_outbound_http::HttpConfigError),
    /// A component's `allowed_outbound_hosts` entry is invalid once its
    /// templates are resolved, or a template could not be resolved.
    #[error("component `{component}`: {message}")]
    Outbound {
        /// The component id.
        component: String,
        /// What is wrong.
        message: String,
    },
}

/// The cap on a database result set the host buffers, unless set
/// (`--max-buffered-bytes`'s default).
pub use kiln_result_budget::DEFAULT_MAX_RESULT_BYTES;

/// Where the app's capabilities come from, besides its manifest.
#[derive(Debug)]
pub struct CapabilityOptions {
    /// The app's state folder (`.spin` beside the manifest, or the runtime
    /// config's `state_dir`): default stores live here.
    pub state_dir: PathBuf,
    /// The runtime configuration file's settings.
    pub runtime_config: RuntimeConfig,
    /// `--variable` values from the command line; they beat every provider.
    pub cli_variables: Vec<(String, String)>,
    /// A `.env` file read by the default environment provider.
    pub dotenv_path: Option<PathBuf>,
    /// Most bytes of one database result set (PostgreSQL, MySQL, SQLite
    /// `query`) the host buffers for a guest before the query fails
    /// (`--max-buffered-bytes`; default 64 MiB).
    pub max_result_bytes: usize,
}

impl Default for CapabilityOptions {
    fn default() -> Self {
        Self {
            state_dir: PathBuf::new(),
            runtime_config: RuntimeConfig::default(),
            cli_variables: Vec::new(),
            dotenv_path: None,
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
        }
    }
}

/// An app's key-value stores, databases and variables, shared by every
/// component and instance.
pub struct AppCapabilities {
    stores: Arc<StoreManager>,
    databases: Arc<DatabaseManager>,
    variables: Arc<Resolver>,
    outbound: HashMap<String, Arc<OutboundPolicy>>,
    in_process: kiln_outbound_http::InProcessSlot,
    postgres: Arc<crate::postgres::AppState>,
    mysql: Arc<crate::mysql::AppState>,
    clients: OutboundClients,
}

impl AppCapabilities {
    /// Builds the app's stores, databases and variable providers and checks
    /// that every required variable has a value.
    pub async fn new(manifest: &AppManifest, options: CapabilityOptions) -> Result<Self, CapabilityError> {
        let CapabilityOptions { state_dir, runtime_config, cli_variables, dotenv_path, max_result_bytes } = options;
        let stores = crate::key_value::backends(&state_dir, &runtime_config.key_value_stores);
        let databases = crate::sqlite::backends(&state_dir, &runtime_config.sqlite_databases);
        let providers = crate::variables::providers(&runtime_config.variables_providers, cli_variables, dotenv_path)?;
        let mut resolver = Resolver::new(&manifest.variables, providers);
        for (id, component) in &manifest.components {
            resolver.add_component(id, &component.variables)?;
        }
        resolver.validate().await?;
        let resolver = Arc::new(resolver);
        let clients = OutboundClients::new(runtime_config.outbound_http.as_ref())?;
        let blocked = Arc::new(kiln_outbound_networking::BlockedNetworks::new(runtime_config.block_networks.clone()));
        let mut outbound = HashMap::new();
        for (id, component) in &manifest.components {
            let policy = outbound_policy(&resolver, id, &component.allowed_outbound_hosts)
                .await?
                .with_blocked_networks(blocked.clone());
            outbound.insert(id.clone(), Arc::new(policy));
        }
        Ok(Self {
            stores: Arc::new(StoreManager::new(stores)),
            databases: Arc::new(DatabaseManager::new(databases).with_max_result_bytes(max_result_bytes)),
            variables: resolver,
            outbound,
            in_process: Default::default(),
            postgres: Arc::new(crate::postgres::AppState::new(max_result_bytes)),
            mysql: Arc::new(crate::mysql::AppState::new(max_result_bytes)),
            clients,
        })
    }

    /// The app's stores by label, for seeding (`kiln up --key-value`).
    pub fn stores(&self) -> &Arc<StoreManager> {
        &self.stores
    }

    /// The app's databases by label, for `kiln up --sqlite`.
    pub fn databases(&self) -> &Arc<DatabaseManager> {
        &self.databases
    }

    /// The app's variables, for resolving trigger settings (`{{ name }}`).
    pub fn variables(&self) -> &Arc<Resolver> {
        &self.variables
    }

    /// Where the HTTP trigger installs the app's in-process dispatcher, for
    /// outbound requests to the app itself (relative URLs, `self`,
    /// `*.spin.internal`).
    pub fn in_process_http(&self) -> &kiln_outbound_http::InProcessSlot {
        &self.in_process
    }

    /// What component `component` may use: the stores and databases its
    /// manifest entry lists, and its own variables.
    pub fn for_component(&self, component: &kiln_manifest::Component) -> Arc<ComponentCapabilities> {
        Arc::new(ComponentCapabilities {
            key_value: ComponentStores::new(self.stores.clone(), component.key_value_stores.iter().cloned()),
            sqlite: ComponentDatabases::new(self.databases.clone(), component.sqlite_databases.iter().cloned()),
            variables: self.variables.clone(),
            outbound: self.outbound.get(&component.id).cloned().unwrap_or_default(),
            in_process: self.in_process.clone(),
            postgres: self.postgres.clone(),
            mysql: self.mysql.clone(),
            clients: self.clients.clone(),
        })
    }
}

/// A component's `allowed_outbound_hosts`. Entries with `{{ variable }}`
/// templates over the component's variables are checked now (a missing
/// variable stops the app) and rendered again whenever the policy is asked
/// afresh, so a provider's changed value (Vault) moves the allowed host.
async fn outbound_policy(
    resolver: &Arc<Resolver>,
    component: &str,
    entries: &[String],
) -> Result<OutboundPolicy, CapabilityError> {
    let error = |message: String| CapabilityError::Outbound { component: component.to_string(), message };
    for entry in entries {
        kiln_variables::Template::parse(entry)
            .map_err(|e| error(format!("allowed_outbound_hosts entry `{entry}`: {e}")))?;
    }
    let renderer = Arc::new(OutboundRenderer { resolver: resolver.clone(), component: component.to_string() });
    OutboundPolicy::with_templates(entries, renderer).await.map_err(|e| error(e.to_string()))
}

/// Renders `allowed_outbound_hosts` templates over one component's variables.
struct OutboundRenderer {
    resolver: Arc<Resolver>,
    component: String,
}

impl kiln_outbound_networking::TemplateRenderer for OutboundRenderer {
    fn render<'a>(&'a self, entry: &'a str) -> kiln_outbound_networking::RenderFuture<'a> {
        Box::pin(async move {
            let template = kiln_variables::Template::parse(entry).map_err(|e| e.to_string())?;
            let mut text = String::new();
            for part in template.parts() {
                match part {
                    kiln_variables::Part::Literal(literal) => text.push_str(literal),
                    kiln_variables::Part::Variable(name) => {
                        let value = self
                            .resolver
                            .resolve(&self.component, name)
                            .await
                            .map_err(|e| format!("variable `{name}`: {e}"))?;
                        text.push_str(&value);
                    }
                }
            }
            Ok(text)
        })
    }
}

/// `default`'s backend, then the configured ones (which may redefine it):
/// the stores or databases of an app.
pub(crate) fn with_default<B: Clone>(default: B, configured: &IndexMap<String, B>) -> IndexMap<String, B> {
    let mut backends = IndexMap::new();
    backends.insert(DEFAULT_LABEL.to_string(), default);
    backends.extend(configured.iter().map(|(label, backend)| (label.clone(), backend.clone())));
    backends
}

/// The capabilities granted to one component, shared by all its instances.
pub struct ComponentCapabilities {
    /// Key-value stores it may open (`key_value_stores`).
    pub key_value: ComponentStores,
    /// SQLite databases it may open (`sqlite_databases`).
    pub sqlite: ComponentDatabases,
    /// The app's variables; the component reads the ones it declares.
    pub variables: Arc<Resolver>,
    /// Where it may connect (`allowed_outbound_hosts`, resolved).
    pub outbound: Arc<OutboundPolicy>,
    /// The app's in-process HTTP dispatcher, once a trigger installed it.
    pub in_process: kiln_outbound_http::InProcessSlot,
    /// The app's PostgreSQL pools and result cap (SQLite's cap lives in its
    /// [`DatabaseManager`]).
    pub postgres: Arc<crate::postgres::AppState>,
    /// The app's MySQL pools and result cap.
    pub mysql: Arc<crate::mysql::AppState>,
    /// The app's outbound HTTP, Redis and MQTT clients.
    pub clients: OutboundClients,
}

impl ComponentCapabilities {
    /// Grants nothing: every store and database is denied, every variable
    /// undefined. For components run outside an app (tests, bare modules).
    pub fn none() -> Self {
        Self {
            key_value: ComponentStores::new(Arc::new(StoreManager::new(IndexMap::new())), []),
            sqlite: ComponentDatabases::new(Arc::new(DatabaseManager::new(IndexMap::new())), []),
            variables: Arc::new(Resolver::new(&IndexMap::new(), Vec::new())),
            outbound: Arc::new(OutboundPolicy::deny_all()),
            in_process: Default::default(),
            postgres: Arc::new(crate::postgres::AppState::new(DEFAULT_MAX_RESULT_BYTES)),
            mysql: Arc::new(crate::mysql::AppState::new(DEFAULT_MAX_RESULT_BYTES)),
            clients: OutboundClients::default(),
        }
    }
}
