//! Serving a loaded application: the engine, the capabilities, the linker
//! built once, every trigger type the app uses (each a
//! `kiln_instance::TriggerFactory`, listed in one place), and a drained
//! shutdown.
//!
//! `kiln up` and the containerd shim (`containerd-shim-kiln-v1`) both end in
//! [`serve`]: they differ only in where the [`App`] and the [`ServeConfig`]
//! come from (command-line flags and a folder or registry, or a container's
//! environment and OCI layers), never in how the app runs.
//!
//! ```no_run
//! # async fn example(app: kiln_app::App) -> anyhow::Result<()> {
//! let config = kiln_serve::ServeConfig::new("127.0.0.1:3000".parse()?);
//! kiln_serve::serve(app, config, kiln_serve::shutdown_signal()).await
//! # }
//! ```
//!
//! Errors are `anyhow` with context: this crate is the last layer before a
//! binary prints them to an operator.

mod signal;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use kiln_app::App;
use kiln_engine::{EngineConfig, KilnEngine};
use kiln_instance::{StopSignal, Trigger, TriggerContext, TriggerFactory};
use kiln_runtime_config::RuntimeConfig;
use kiln_trigger_http::HttpTriggerFactory;
use kiln_trigger_redis::RedisTriggerFactory;
use kiln_world::capabilities::DEFAULT_LABEL;
use kiln_world::{AppCapabilities, CapabilityOptions};

pub use kiln_trigger_http::{HttpLimits, InstanceReuse};
pub use signal::shutdown_signal;

/// Everything about how an app is served, apart from the app itself.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address the HTTP trigger listens on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Engine settings: compile cache, pooling, memory limit.
    pub engine: EngineConfig,
    /// How long one instance may run before it is stopped (HTTP: the
    /// client gets 504); `None` lets guests run as long as they like.
    pub request_timeout: Option<Duration>,
    /// Request size, slow-client and concurrency limits of the HTTP trigger.
    pub limits: HttpLimits,
    /// How Preview 3 instances are reused.
    pub instance_reuse: InstanceReuse,
    /// Time in-flight requests and messages get to finish after the stop signal.
    pub drain_timeout: Duration,
    /// Environment variables added to every component.
    pub env: Vec<(String, String)>,
    /// Key-value stores, databases, variables providers, state and log folders.
    pub runtime_config: RuntimeConfig,
    /// Folder of the default key-value store and SQLite database; `None`
    /// takes the runtime config's `state_dir`, else `.spin` beside the app.
    pub state_dir: Option<PathBuf>,
    /// Folder for component output files; `None` takes the runtime config's
    /// `log_dir`, else `logs` in the state folder.
    pub log_dir: Option<PathBuf>,
    /// Write component output to files in the log folder; off, output only
    /// goes to the console (a container's log).
    pub log_files: bool,
    /// Echo no component output to the console.
    pub quiet: bool,
    /// Echo only these components' output (all when empty).
    pub follow: Vec<String>,
    /// Variable values that beat every provider (`--variable`).
    pub variables: Vec<(String, String)>,
    /// Read `SPIN_VARIABLE_*` values from a `.env` file beside the app too.
    pub dotenv: bool,
    /// Keys set in the default key-value store before serving.
    pub seed_key_values: Vec<(String, String)>,
    /// SQL run against the default SQLite database before serving, in order.
    pub seed_sql: Vec<String>,
}

impl ServeConfig {
    /// The defaults of `kiln up`, listening on `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            engine: EngineConfig::default(),
            request_timeout: None,
            limits: HttpLimits::default(),
            instance_reuse: InstanceReuse::default(),
            drain_timeout: Duration::from_secs(10),
            env: Vec::new(),
            runtime_config: RuntimeConfig::default(),
            state_dir: None,
            log_dir: None,
            log_files: true,
            quiet: false,
            follow: Vec::new(),
            variables: Vec::new(),
            dotenv: true,
            seed_key_values: Vec::new(),
            seed_sql: Vec::new(),
        }
    }
}

/// Serves `app` until `stop` resolves, then drains in-flight work (within
/// [`ServeConfig::drain_timeout`]) and returns.
///
/// Prints the routes and Redis subscriptions to stdout once listening.
pub async fn serve(app: App, config: ServeConfig, stop: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let engine = KilnEngine::new(config.engine.clone()).context("cannot create the engine")?;
    serve_with_engine(app, config, engine, stop).await
}

/// [`serve`] on an engine the caller made, from `config.engine`, earlier
/// (the containerd shim seeds its compile cache while staging the image).
pub async fn serve_with_engine(
    mut app: App,
    config: ServeConfig,
    engine: KilnEngine,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    for kind in app.manifest.other_triggers.keys() {
        tracing::warn!(trigger = %kind, "no such trigger type in Kiln; its triggers are ignored");
    }
    let factories: Vec<Box<dyn TriggerFactory>> =
        triggers(&config).into_iter().filter(|factory| factory.is_used_by(&app)).collect();
    if factories.is_empty() {
        bail!("the application has no HTTP or Redis triggers: nothing to serve");
    }
    for component in &mut app.components {
        component.environment.extend(config.env.iter().cloned());
    }
    let state_dir = config
        .state_dir
        .clone()
        .or_else(|| config.runtime_config.state_dir.clone())
        .unwrap_or_else(|| app.state_dir());
    let log_dir = config
        .log_dir
        .clone()
        .or_else(|| config.runtime_config.log_dir.clone())
        .unwrap_or_else(|| state_dir.join("logs"));
    let caps = capabilities(&config, &app, state_dir).await?;
    tracing::debug!(pooling = engine.is_pooling(), "engine ready");
    let logs = kiln_instance::LogOptions {
        dir: config.log_files.then_some(log_dir),
        quiet: config.quiet,
        follow: config.follow.clone(),
    };
    let linker = kiln_world::linker::base_linker(engine.wasmtime())
        .map_err(|e| anyhow::anyhow!("cannot build the linker: {e:#}"))?;
    let ctx = TriggerContext {
        app: &app,
        engine: &engine,
        linker: &linker,
        caps: &caps,
        logs: &logs,
        limits: engine.instance_limits(config.request_timeout),
    };
    let mut prepared = Vec::new();
    for factory in &factories {
        let trigger = factory.prepare(&ctx).await.map_err(anyhow::Error::from_boxed)?;
        prepared.push(trigger);
    }
    release_startup_memory();
    announce(&prepared);
    // One stop signal for every trigger, so they drain side by side.
    let stop = StopSignal::new(stop);
    let runs = prepared.into_iter().map(|trigger| trigger.run(stop.clone(), config.drain_timeout));
    let mut failure = None;
    for (result, factory) in futures::future::join_all(runs).await.into_iter().zip(&factories) {
        if let Err(err) = result {
            tracing::error!(trigger = factory.kind(), "trigger failed: {err}");
            failure.get_or_insert_with(|| anyhow::Error::from_boxed(err).context(format!("{} trigger", factory.kind())));
        }
    }
    drop(engine);
    failure.map_or(Ok(()), Err)
}

/// Every trigger type Kiln serves, configured from `config`, in the order
/// they are prepared and announced. A new trigger type is one entry here.
fn triggers(config: &ServeConfig) -> Vec<Box<dyn TriggerFactory>> {
    vec![
        Box::new(RedisTriggerFactory),
        Box::new(HttpTriggerFactory::new(config.listen, config.limits.clone(), config.instance_reuse)),
    ]
}

/// Prints what each trigger serves to stdout, once everything is ready.
fn announce(triggers: &[Box<dyn Trigger>]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for trigger in triggers {
        if let Err(err) = trigger.announce(&mut out) {
            tracing::debug!("cannot print what is served: {err}");
        }
    }
    let _ = out.flush();
}

/// Hands back to the operating system the memory start-up freed.
///
/// Compiling, deserializing and pre-linking components runs on one thread
/// per core, and glibc keeps what those threads freed in their own arenas:
/// measured on a hello-world app, over ten megabytes of a resident set that
/// serving never touches again. `malloc_trim` releases the free pages of
/// every arena once, before the server takes requests.
fn release_startup_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only returns free pages to the kernel; glibc
        // allows it at any time, from any thread.
        let released = unsafe { libc::malloc_trim(0) };
        tracing::debug!(released = released != 0, "start-up memory trimmed");
    }
}

/// The app's stores, databases and variables, seeded as configured.
async fn capabilities(config: &ServeConfig, app: &App, state_dir: PathBuf) -> anyhow::Result<AppCapabilities> {
    let options = CapabilityOptions {
        state_dir,
        runtime_config: config.runtime_config.clone(),
        cli_variables: config.variables.clone(),
        dotenv_path: config.dotenv.then(|| app.base_dir.join(".env")),
        max_result_bytes: config.limits.max_buffered_bytes,
    };
    let caps = AppCapabilities::new(&app.manifest, options).await?;
    if !config.seed_key_values.is_empty() {
        let store = caps.stores().open(DEFAULT_LABEL).await.context("--key-value: default store")?;
        for (key, value) in &config.seed_key_values {
            store.set(key, value.as_bytes()).await.with_context(|| format!("--key-value {key}"))?;
        }
    }
    if !config.seed_sql.is_empty() {
        let database = caps.databases().open(DEFAULT_LABEL).await.context("--sqlite: default database")?;
        for sql in &config.seed_sql {
            database.execute_batch(sql).await.with_context(|| format!("--sqlite {sql}"))?;
        }
    }
    Ok(caps)
}

