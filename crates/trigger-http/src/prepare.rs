//! Startup: compile, pre-link and route every component of an app.

use std::collections::HashMap;
use std::sync::Arc;

use kiln_app::manifest::{HttpExecutor, HttpRoute, StaticResponse};
use kiln_engine::KilnEngine;
use kiln_instance::{instance_settings, read_source, InstanceSettings, PrepareError, TriggerContext};
use kiln_world::HostState;

use crate::limits::HttpLimits;
use crate::reuse::InstanceReuse;
use crate::routes::Router;
use crate::spin_inbound::SpinInboundHandler;
use crate::wagi::WagiHandler;
use crate::wasi_http::WasiHttpHandler;
use crate::wasi_http_p3::WasiHttpP3Handler;

/// Why the HTTP trigger could not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpPrepareError {
    /// The routes are inconsistent.
    #[error("invalid routes: {0}")]
    Routes(#[from] crate::routes::RouteError),
    /// A component could not be prepared.
    #[error(transparent)]
    Instance(#[from] PrepareError),
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
    /// Where [`crate::serve`] installs the in-process dispatcher.
    pub(crate) in_process: kiln_world::InProcessSlot,
    /// Request limits, given to [`Self::prepare`].
    pub(crate) limits: HttpLimits,
}

impl HttpTrigger {
    /// Compiles and pre-links every component the app's HTTP triggers use
    /// against `ctx.linker`; each gets the share of `ctx.caps` its manifest
    /// entry grants and `ctx.limits`. `limits` bound what clients may send;
    /// `reuse` says how Preview 3 components reuse instances (see
    /// [`crate::reuse`]; other components always get a fresh instance per
    /// request).
    pub fn prepare(ctx: &TriggerContext<'_>, limits: HttpLimits, reuse: InstanceReuse) -> Result<Self, HttpPrepareError> {
        let TriggerContext { app, engine, linker: base_linker, caps, logs, .. } = *ctx;
        ctx.create_log_dir()?;
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
                        settings: instance_settings(component, logs, caps, ctx.limits)?,
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
        let compiled = compile_all(engine, base_linker, reuse, jobs)
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
            limits,
        })
    }

    /// The request limits in force.
    pub(crate) fn limits(&self) -> &HttpLimits {
        &self.limits
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
    reuse: InstanceReuse,
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
            None => http_handler(engine, base, &job.bytes, job.settings, reuse),
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
    reuse: InstanceReuse,
) -> Result<Handler, String> {
    let component = engine.load_component(bytes).map_err(|e| e.to_string())?;
    let exports = crate::wasi_http::export_names(engine.wasmtime(), &component);
    if exports.iter().any(|e| e.starts_with(crate::wasi_http::EXPORT_PREFIX)) {
        return Ok(Handler::WasiHttp(Arc::new(WasiHttpHandler::new(base, &component, settings)?)));
    }
    if exports.iter().any(|e| e.starts_with(crate::wasi_http_p3::EXPORT_PREFIX)) {
        return Ok(Handler::WasiHttpP3(Arc::new(WasiHttpP3Handler::new(base, &component, settings, reuse)?)));
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

