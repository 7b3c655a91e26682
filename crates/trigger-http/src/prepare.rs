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
    /// Request limits, set by [`crate::server::serve`].
    pub(crate) limits: std::sync::OnceLock<crate::limits::HttpLimits>,
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
    /// Memory and run-time limits of each instance.
    pub limits: kiln_engine::InstanceLimits,
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

    /// These settings with other instance limits (the engine's, see
    /// [`kiln_engine::KilnEngine::instance_limits`]).
    pub fn with_limits(mut self, limits: kiln_engine::InstanceLimits) -> Self {
        self.limits = limits;
        self
    }

    /// A fresh store for one instance of the component, its memory capped
    /// and its epoch deadline armed (see [`kiln_engine::InstanceLimits::arm`]).
    pub fn new_store(&self, engine: &wasmtime::Engine) -> wasmtime::Result<Store<HostState>> {
        Ok(self.new_store_with_deadline(engine)?.0)
    }

    /// Like [`Self::new_store`], also returning the instance's deadline, for
    /// [`kiln_engine::Deadline::run`] around everything the instance does.
    pub fn new_store_with_deadline(
        &self,
        engine: &wasmtime::Engine,
    ) -> wasmtime::Result<(Store<HostState>, kiln_engine::Deadline)> {
        let mut state = HostState::builder(self.id.clone());
        self.wasi(state.wasi())?;
        state.capabilities(self.caps.clone());
        state.max_memory(self.limits.max_memory);
        let mut store = Store::new(engine, state.build());
        store.limiter(|s| s.limits());
        let deadline = self.limits.arm(&mut store);
        Ok((store, deadline))
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
        // Walk the triggers first (cheap, and failing in manifest order),
        // then compile every component at once, then route.
        let mut jobs: Vec<Job> = Vec::new();
        let mut planned: Vec<(String, Planned)> = Vec::new();
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
                if !private {
                    planned.push((route, Planned::Static(response.clone())));
                }
                continue;
            }
            let Some(id) = trigger.component.as_deref() else { continue };
            let component = app.component(id).ok_or_else(|| PrepareError::UnknownComponent {
                route: route.clone(),
                id: id.to_string(),
            })?;
            let wagi = match &trigger.executor {
                HttpExecutor::Http => None,
                HttpExecutor::Wagi(config) => Some(config),
            };
            let index = match jobs.iter().position(|j| j.id == id && j.wagi.is_some() == wagi.is_some()) {
                Some(index) => index,
                None => {
                    jobs.push(Job {
                        id: id.to_string(),
                        wagi: wagi.cloned(),
                        settings: settings(component, logs, caps)?.with_limits(engine.instance_limits()),
                        bytes: read_source(id, &component.source)?,
                    });
                    jobs.len() - 1
                }
            };
            if !private {
                planned.push((route, Planned::Component(index)));
            }
        }
        let ids: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
        let compiled = compile_all(engine, &base_linker, jobs)
            .into_iter()
            .zip(&ids)
            .map(|(result, id)| result.map_err(|message| PrepareError::Component { id: id.clone(), message }))
            .collect::<Result<Vec<Handler>, PrepareError>>()?;
        let http: HashMap<String, Handler> = ids
            .iter()
            .zip(&compiled)
            .filter(|(_, h)| !matches!(h, Handler::Wagi(_)))
            .map(|(id, h)| (id.clone(), h.clone()))
            .collect();
        let routes = planned
            .into_iter()
            .map(|(route, planned)| match planned {
                Planned::Static(response) => (route, Handler::Static(response)),
                Planned::Component(index) => (route, compiled[index].clone()),
            })
            .collect();
        Ok(Self {
            router: Router::build(routes)?,
            app_name: app.name().to_string(),
            components: http,
            in_process: caps.in_process_http().clone(),
            limits: std::sync::OnceLock::new(),
        })
    }

    /// Sets how Preview 3 components reuse instances (see [`crate::reuse`]);
    /// other components always get a fresh instance per request.
    pub fn with_instance_reuse(self, reuse: crate::reuse::InstanceReuse) -> Self {
        for handler in self.components.values() {
            if let Handler::WasiHttpP3(h) = handler {
                h.set_reuse(reuse);
            }
        }
        self
    }

    /// The request limits in force.
    pub(crate) fn limits(&self) -> &crate::limits::HttpLimits {
        self.limits.get_or_init(crate::limits::HttpLimits::default)
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

/// What a route will lead to, before the components are compiled.
enum Planned {
    Static(StaticResponse),
    /// An index into the compile jobs.
    Component(usize),
}

/// One component to compile: for the `http` executor, or WAGI with its
/// settings.
struct Job {
    id: String,
    wagi: Option<kiln_app::manifest::WagiConfig>,
    settings: InstanceSettings,
    bytes: Vec<u8>,
}

/// Compiles and pre-links `jobs` on all cores; results in the order of
/// `jobs`. Jobs with identical bytes run one after another on one thread,
/// so the second finds the first's compile cache entry instead of racing
/// it for the same file.
fn compile_all(
    engine: &KilnEngine,
    base: &wasmtime::component::Linker<HostState>,
    jobs: Vec<Job>,
) -> Vec<Result<Handler, String>> {
    let count = jobs.len();
    let mut groups: Vec<Vec<(usize, Job)>> = Vec::new();
    for (index, job) in jobs.into_iter().enumerate() {
        match groups.iter_mut().find(|g| g[0].1.bytes == job.bytes) {
            Some(group) => group.push((index, job)),
            None => groups.push(vec![(index, job)]),
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(groups.len());
    let queue = std::sync::Mutex::new(groups);
    let next = || queue.lock().map_or(None, |mut q| q.pop());
    let compile = |job: Job| -> Result<Handler, String> {
        let _span = tracing::debug_span!("compile", component = %job.id).entered();
        match job.wagi {
            None => http_handler(engine, base, &job.bytes, job.settings),
            Some(config) => WagiHandler::new(engine, &job.bytes, config, job.settings)
                .map(|h| Handler::Wagi(Arc::new(h))),
        }
    };
    let mut results: Vec<Option<Result<Handler, String>>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while let Some(group) = next() {
                        for (index, job) in group {
                            done.push((index, compile(job)));
                        }
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            match worker.join() {
                Ok(done) => done.into_iter().for_each(|(index, result)| results[index] = Some(result)),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("was not compiled".to_string())))
        .collect()
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
        limits: kiln_engine::InstanceLimits::default(),
    })
}

fn read_source(id: &str, path: &Path) -> Result<Vec<u8>, PrepareError> {
    std::fs::read(path).map_err(|e| PrepareError::Component {
        id: id.to_string(),
        message: format!("cannot read {}: {e}", path.display()),
    })
}
