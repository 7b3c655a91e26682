//! Serving a loaded application: the engine, the capabilities, the HTTP and
//! Redis triggers, and a drained shutdown.
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
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use kiln_app::App;
use kiln_engine::{EngineConfig, KilnEngine};
use kiln_runtime_config::RuntimeConfig;
use kiln_trigger_http::{HttpTrigger, ServeOptions};
use kiln_trigger_redis::RedisTrigger;
use kiln_world::capabilities::DEFAULT_LABEL;
use kiln_world::{AppCapabilities, CapabilityOptions};

pub use kiln_trigger_http::{HttpLimits, InstanceReuse};
pub use signal::shutdown_signal;

/// Everything about how an app is served, apart from the app itself.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address the HTTP trigger listens on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Engine settings: compile cache, memory limit, request timeout.
    pub engine: EngineConfig,
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
    if app.http_triggers().is_empty() && app.manifest.redis_triggers.is_empty() {
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
    let redis = RedisTrigger::prepare(&app, &engine, &logs, &caps).await?;
    let drain_timeout = config.drain_timeout;
    // One stop signal shared by every trigger, so they drain side by side.
    let stop = broadcast(stop);
    if app.http_triggers().is_empty() {
        release_startup_memory();
        print_redis(&redis);
        Arc::new(redis).run_until(stopped(stop), drain_timeout).await;
        drop(engine);
        return Ok(());
    }
    let redis = (!redis.is_empty()).then(|| {
        print_redis(&redis);
        tokio::spawn(Arc::new(redis).run_until(stopped(stop.clone()), drain_timeout))
    });
    let trigger = HttpTrigger::prepare(&app, &engine, &logs, &caps, config.limits.clone(), config.instance_reuse)?;
    release_startup_memory();
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    print_routes(addr, &trigger);
    kiln_trigger_http::serve(
        Arc::new(trigger),
        listener,
        stopped(stop),
        ServeOptions { drain_timeout },
    )
    .await?;
    if let Some(redis) = redis {
        // Ends within the drain timeout of the signal.
        if let Err(err) = redis.await {
            tracing::error!("Redis trigger task failed: {err}");
        }
    }
    drop(engine);
    Ok(())
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

/// Prints each Redis subscription: `component: address channel`.
fn print_redis(trigger: &RedisTrigger) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Redis triggers:");
    for (address, channel, component) in trigger.subscriptions() {
        let _ = writeln!(out, "  {component}: {address} channel `{channel}`");
    }
    let _ = out.flush();
}

fn print_routes(addr: SocketAddr, trigger: &HttpTrigger) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Serving http://{addr}");
    let _ = writeln!(out, "Available Routes:");
    for (route, target) in trigger.routes() {
        let (path, wildcard) = match route.strip_suffix("/...") {
            Some(prefix) => (if prefix.is_empty() { "/" } else { prefix }.to_string(), " (wildcard)"),
            None => (route.clone(), ""),
        };
        let _ = writeln!(out, "  {target}: http://{addr}{path}{wildcard}");
    }
    let _ = out.flush();
}

/// A flag turned true once `stop` resolves, for several listeners.
fn broadcast(stop: impl Future<Output = ()> + Send + 'static) -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        let _ = tx.send(true);
    });
    rx
}

/// Resolves once `stop` turns true.
async fn stopped(mut stop: tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}
