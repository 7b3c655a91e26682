//! Startup: compile, pre-link and route every component of an app.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kiln_app::manifest::{HttpExecutor, HttpRoute, StaticResponse};
use kiln_app::{App, AppComponent};
use kiln_engine::KilnEngine;
use kiln_world::stdio::{ComponentLogs, Stream};
use kiln_world::{AppCapabilities, ComponentCapabilities, HostState};
use wasmtime::Store;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::routes::Router;
use crate::spin_inbound::SpinInboundHandler;
use crate::wagi::WagiHandler;
use crate::wasi_http::WasiHttpHandler;
use crate::wasi_http_p3::WasiHttpP3Handler;

/// Why the trigger could not start.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The routes are inconsistent.
    #[error("invalid routes: {0}")]
    Routes(#[from] crate::routes::RouteError),
    /// A component could not be read, compiled or linked.
    #[error("component `{id}`: {message}")]
    Component {
        /// Component id.
        id: String,
        /// What went wrong, with the path where one is involved.
        message: String,
    },
    /// A trigger names a component the app does not have.
    #[error("trigger for route `{route}` names unknown component `{id}`")]
    UnknownComponent {
        /// The route.
        route: String,
        /// The component id.
        id: String,
    },
    /// A log file could not be opened.
    #[error("component `{id}`: {source}")]
    Logs {
        /// Component id.
        id: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Where component output goes.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// Folder for `<component>_stdout.txt` / `_stderr.txt`; `None` writes no files.
    pub dir: Option<PathBuf>,
    /// Echo no component output to the console.
    pub quiet: bool,
    /// Echo only these components (all when empty).
    pub follow: Vec<String>,
}

impl LogOptions {
    fn echo(&self, id: &str) -> bool {
        !self.quiet && (self.follow.is_empty() || self.follow.iter().any(|f| f == id))
    }
}

/// What a route leads to.
#[derive(Clone)]
pub(crate) enum Handler {
    Static(StaticResponse),
    WasiHttp(Arc<WasiHttpHandler>),
    WasiHttpP3(Arc<WasiHttpP3Handler>),
    SpinInbound(Arc<SpinInboundHandler>),
    Wagi(Arc<WagiHandler>),
}

/// An app's HTTP trigger, ready to serve.
pub struct HttpTrigger {
    pub(crate) router: Router<Handler>,
    pub(crate) app_name: String,
    /// Components served by the `http` executor, by id (private routes
    /// included), for in-process `*.spin.internal` requests.
    pub(crate) components: HashMap<String, Handler>,
    /// Where [`crate::server::serve`] installs the in-process dispatcher.
    pub(crate) in_process: kiln_world::InProcessSlot,
}

/// Per-component settings every instance of it gets (public for the other
/// triggers, which instantiate components the same way).
pub struct InstanceSettings {
    /// The component id.
    pub id: Arc<str>,
    /// Environment variables (manifest, then `kiln up -e`).
    pub environment: Vec<(String, String)>,
    /// Folder preopened read-only at `/`, if the component has files.
    pub files_root: Option<PathBuf>,
    /// Where its stdout and stderr go.
    pub logs: ComponentLogs,
    /// What it was granted.
    pub caps: Arc<ComponentCapabilities>,
}

impl InstanceSettings {
    /// Pre-links `component`: the shared base linker plus stand-ins for every
    /// interface Kiln does not provide (see `kiln_world::unavailable`).
    pub fn prelink(
        &self,
        base: &wasmtime::component::Linker<HostState>,
        component: &wasmtime::component::Component,
    ) -> Result<wasmtime::component::InstancePre<HostState>, String> {
        let (linker, unavailable) = kiln_world::linker::component_linker(base, component)
            .map_err(|e| format!("cannot link imports: {e:#}"))?;
        if !unavailable.is_empty() {
            tracing::debug!(
                component = %self.id,
                interfaces = ?unavailable,
                "imports linked as unavailable capabilities"
            );
        }
        linker.instantiate_pre(component).map_err(|e| format!("cannot link imports: {e:#}"))
    }

    /// A fresh store for one instance of the component.
    pub fn new_store(&self, engine: &wasmtime::Engine) -> wasmtime::Result<Store<HostState>> {
        let mut state = HostState::builder(self.id.clone());
        self.wasi(state.wasi())?;
        state.capabilities(self.caps.clone());
        let mut store = Store::new(engine, state.build());
        store.limiter(|s| s.limits());
        // Yield to the scheduler every epoch tick so a busy guest cannot
        // starve the other requests on its worker thread.
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
        Ok(store)
    }

    /// A WASI builder with the component's environment, files and stdio.
    pub fn wasi(&self, wasi: &mut WasiCtxBuilder) -> wasmtime::Result<()> {
        wasi.envs(&self.environment)
            .stdout(self.logs.stream(Stream::Stdout))
            .stderr(self.logs.stream(Stream::Stderr));
        if let Some(root) = &self.files_root {
            wasi.preopened_dir(root, "/", FsPerms::ReadOnly)?;
        }
        Ok(())
    }
}

impl HttpTrigger {
    /// Compiles and pre-links every component the app's HTTP triggers use;
    /// each gets the share of `caps` its manifest entry grants.
    pub fn prepare(
        app: &App,
        engine: &KilnEngine,
        logs: &LogOptions,
        caps: &AppCapabilities,
    ) -> Result<Self, PrepareError> {
        if let Some(dir) = &logs.dir {
            std::fs::create_dir_all(dir).map_err(|source| PrepareError::Logs {
                id: "*".into(),
                source: std::io::Error::new(source.kind(), format!("{}: {source}", dir.display())),
            })?;
        }
        let base_linker = kiln_world::linker::base_linker(engine.wasmtime()).map_err(|e| {
            PrepareError::Component { id: "*".into(), message: format!("linker: {e:#}") }
        })?;
        let mut http: HashMap<String, Handler> = HashMap::new();
        let mut wagi: HashMap<String, Arc<WagiHandler>> = HashMap::new();
        let mut routes = Vec::new();
        for trigger in app.http_triggers() {
            let route = match &trigger.route {
                HttpRoute::Path(route) => route.clone(),
                // Private routes are reachable only in-process (outbound
                // HTTP to `<id>.spin.internal`): prepared, but not routed.
                HttpRoute::Private => String::new(),
            };
            let private = matches!(trigger.route, HttpRoute::Private);
            if private && !matches!(trigger.executor, HttpExecutor::Http) {
                continue;
            }
            if let Some(response) = &trigger.static_response {
                if private {
                    continue;
                }
                routes.push((route, Handler::Static(response.clone())));
                continue;
            }
            let Some(id) = trigger.component.as_deref() else { continue };
            let component = app.component(id).ok_or_else(|| PrepareError::UnknownComponent {
                route: route.clone(),
                id: id.to_string(),
            })?;
            let handler = match &trigger.executor {
                HttpExecutor::Http => match http.get(id) {
                    Some(h) => h.clone(),
                    None => {
                        let settings = settings(component, logs, caps)?;
                        let bytes = read_source(id, &component.source)?;
                        let h = http_handler(engine, &base_linker, &bytes, settings)
                            .map_err(|message| PrepareError::Component { id: id.into(), message })?;
                        http.insert(id.to_string(), h.clone());
                        h
                    }
                },
                HttpExecutor::Wagi(config) => {
                    let handler = match wagi.get(id) {
                        Some(h) => h.clone(),
                        None => {
                            let settings = settings(component, logs, caps)?;
                            let bytes = read_source(id, &component.source)?;
                            let h = Arc::new(WagiHandler::new(engine, &bytes, config.clone(), settings)
                                .map_err(|message| PrepareError::Component { id: id.into(), message })?);
                            wagi.insert(id.to_string(), h.clone());
                            h
                        }
                    };
                    Handler::Wagi(handler)
                }
            };
            if !private {
                routes.push((route, handler));
            }
        }
        Ok(Self {
            router: Router::build(routes)?,
            app_name: app.name().to_string(),
            components: http,
            in_process: caps.in_process_http().clone(),
        })
    }

    /// The routes served, `(route, what serves it)`, in manifest order.
    pub fn routes(&self) -> Vec<(String, String)> {
        self.router
            .routes()
            .map(|(pattern, handler)| {
                let target = match handler {
                    Handler::Static(_) => "static response".to_string(),
                    Handler::WasiHttp(h) => h.settings.id.to_string(),
                    Handler::WasiHttpP3(h) => h.settings.id.to_string(),
                    Handler::SpinInbound(h) => h.settings.id.to_string(),
                    Handler::Wagi(h) => h.settings.id.to_string(),
                };
                (pattern.as_str().to_string(), target)
            })
            .collect()
    }
}

/// Compiles a component for the HTTP executor and picks how to call it by
/// what it exports.
fn http_handler(
    engine: &KilnEngine,
    base: &wasmtime::component::Linker<HostState>,
    bytes: &[u8],
    settings: InstanceSettings,
) -> Result<Handler, String> {
    let component = engine.load_component(bytes).map_err(|e| e.to_string())?;
    let exports = crate::wasi_http::export_names(engine.wasmtime(), &component);
    if exports.iter().any(|e| e.starts_with(crate::wasi_http::EXPORT_PREFIX)) {
        return Ok(Handler::WasiHttp(Arc::new(WasiHttpHandler::new(base, &component, settings)?)));
    }
    if exports.iter().any(|e| e.starts_with(crate::wasi_http_p3::EXPORT_PREFIX)) {
        return Ok(Handler::WasiHttpP3(Arc::new(WasiHttpP3Handler::new(base, &component, settings)?)));
    }
    if SpinInboundHandler::is_exported_by(engine.wasmtime(), &component) {
        return Ok(Handler::SpinInbound(Arc::new(SpinInboundHandler::new(base, &component, settings)?)));
    }
    Err(format!(
        "exports none of {}x, {}x or {}, so it cannot handle HTTP requests; it exports: {}",
        crate::wasi_http::EXPORT_PREFIX,
        crate::wasi_http_p3::EXPORT_PREFIX,
        crate::spin_inbound::EXPORT,
        if exports.is_empty() { "nothing".to_string() } else { exports.join(", ") }
    ))
}

/// The settings for instances of `component`: its environment, files, log
/// streams and the share of `caps` its manifest entry grants.
pub fn settings(
    component: &AppComponent,
    logs: &LogOptions,
    caps: &AppCapabilities,
) -> Result<InstanceSettings, PrepareError> {
    let component_logs = ComponentLogs::open(&component.id, logs.dir.as_deref(), logs.echo(&component.id))
        .map_err(|source| PrepareError::Logs { id: component.id.clone(), source })?;
    Ok(InstanceSettings {
        id: Arc::from(component.id.as_str()),
        environment: component.environment.clone(),
        files_root: component.files_root.clone(),
        logs: component_logs,
        caps: caps.for_component(&component.spec),
    })
}

fn read_source(id: &str, path: &Path) -> Result<Vec<u8>, PrepareError> {
    std::fs::read(path).map_err(|e| PrepareError::Component {
        id: id.to_string(),
        message: format!("cannot read {}: {e}", path.display()),
    })
}
