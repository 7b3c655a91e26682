//! `kiln up`: load, prepare and serve an application.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use kiln_app::App;
use kiln_engine::{EngineConfig, KilnEngine};
use kiln_trigger_http::{HttpLimits, HttpTrigger, InstanceReuse, LogOptions, ServeOptions};
use kiln_trigger_redis::RedisTrigger;
use kiln_world::capabilities::DEFAULT_LABEL;
use kiln_world::{AppCapabilities, CapabilityOptions};

/// Arguments of `kiln up`.
#[derive(Args, Debug)]
pub struct UpArgs {
    /// The application: a manifest file, a folder containing spin.toml, a
    /// .wasm file, or a registry reference (`registry/repository:tag`).
    #[arg(short = 'f', long = "from", value_name = "MANIFEST|DIR|WASM|REF")]
    from: Option<PathBuf>,

    /// Serve an application from a registry (pulled into the cache first).
    #[arg(long, value_name = "REF", conflicts_with = "from")]
    from_registry: Option<String>,

    /// Use plain HTTP for the registry (registries on this machine get it
    /// without this flag).
    #[arg(long)]
    insecure: bool,

    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "SPIN_HTTP_LISTEN_ADDR", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,

    /// Folder for component logs (default: .spin/logs beside the manifest).
    #[arg(long, value_name = "DIR")]
    log_dir: Option<PathBuf>,

    /// Echo only this component's output to the console (repeatable).
    #[arg(long, value_name = "ID")]
    follow: Vec<String>,

    /// Echo no component output to the console.
    #[arg(short, long)]
    quiet: bool,

    /// Set an environment variable for every component (repeatable).
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    env: Vec<(String, String)>,

    /// Compile every component afresh instead of using the on-disk compile cache.
    #[arg(long)]
    disable_cache: bool,

    /// Seconds in-flight requests get to finish after Ctrl-C or SIGTERM.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    drain_timeout: u64,

    /// Largest size each linear memory of an instance may grow to (suffixes
    /// K, M, G); growth beyond it fails inside the guest.
    #[arg(long, value_name = "BYTES", default_value = "512M", value_parser = kiln_trigger_http::limits::parse_byte_size)]
    max_instance_memory: u64,

    /// Seconds an instance may run before it is stopped (the client gets 504);
    /// default: no limit.
    #[arg(long, value_name = "SECONDS", value_parser = kiln_trigger_http::limits::parse_seconds)]
    request_timeout: Option<Duration>,

    /// Largest request body in bytes (suffixes K, M, G); larger ones get 413.
    /// Default: no limit (bodies read whole are capped by --max-buffered-bytes).
    #[arg(long, value_name = "BYTES", value_parser = kiln_trigger_http::limits::parse_byte_size)]
    max_request_body_size: Option<u64>,

    /// Largest request line plus headers in bytes (at least 8K); larger ones get 431.
    #[arg(long, value_name = "BYTES", default_value = "64K", value_parser = kiln_trigger_http::limits::parse_byte_size)]
    max_header_size: u64,

    /// Seconds an HTTP/1 client may take to send its request headers before
    /// the connection is closed (slow clients).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = kiln_trigger_http::limits::parse_seconds)]
    header_read_timeout: Duration,

    /// Requests the app runs at once; more wait in line.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_concurrent_requests: usize,

    /// Requests that may wait for a turn; beyond it they get 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_queued_requests: usize,

    /// Most bytes the host buffers for one guest (suffixes K, M, G): request
    /// bodies Spin 1 and WAGI guests receive whole (413 beyond) and WAGI output.
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = kiln_trigger_http::limits::parse_byte_size)]
    max_buffered_bytes: u64,

    /// Requests one instance of a Preview 3 (wasi:http 0.3) component serves
    /// before it is dropped; 1 gives a fresh instance per request. Preview 2,
    /// Spin 1 and WAGI components always get a fresh instance.
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..))]
    max_instance_reuse_count: u32,

    /// Requests one Preview 3 instance serves at the same time (P3 only).
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    max_instance_concurrent_reuse_count: u32,

    /// How long an idle Preview 3 instance is kept for later requests, e.g.
    /// 500ms, 2s (P3 only).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = kiln_trigger_http::reuse::parse_duration)]
    idle_instance_timeout: Duration,

    /// Runtime configuration: key-value stores, SQLite databases, variables
    /// providers, state and log folders.
    #[arg(long, env = "RUNTIME_CONFIG_FILE", value_name = "FILE")]
    runtime_config_file: Option<PathBuf>,

    /// Folder for the default key-value store and SQLite database (default:
    /// the runtime config's `state_dir`, else .spin beside the manifest).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,

    /// Set an application variable, or `@FILE` for a JSON or TOML file of them
    /// (repeatable; beats every other provider).
    #[arg(long = "variable", value_name = "NAME=VALUE|@FILE")]
    variables: Vec<String>,

    /// Set a key in the default key-value store before serving (repeatable).
    #[arg(long = "key-value", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    key_values: Vec<(String, String)>,

    /// Run SQL, or `@FILE` of SQL, against the default SQLite database before
    /// serving (repeatable, in order).
    #[arg(long = "sqlite", value_name = "STATEMENT|@FILE")]
    sqlite: Vec<String>,

    /// Run the components' build commands first (as `kiln build` does).
    #[arg(long)]
    build: bool,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

/// Runs `kiln up` to completion (until Ctrl-C or SIGTERM).
pub fn run(args: UpArgs) -> anyhow::Result<()> {
    if args.build && args.from_registry.is_none() {
        super::build::build_before_up(args.from.as_deref())?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(up(args));
    // Requests still running after the drain timeout must not hold the exit:
    // a guest spinning without epoch ticks (the engine is gone) never yields.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

async fn up(args: UpArgs) -> anyhow::Result<()> {
    let mut app = super::registry::load_for_up(args.from.clone(), args.from_registry.clone(), args.insecure).await?;
    for kind in app.manifest.other_triggers.keys() {
        tracing::warn!(trigger = %kind, "no such trigger type in Kiln; its triggers are ignored");
    }
    if app.http_triggers().is_empty() && app.manifest.redis_triggers.is_empty() {
        bail!("the application has no HTTP or Redis triggers: nothing to serve");
    }
    for component in &mut app.components {
        component.environment.extend(args.env.iter().cloned());
    }
    let runtime_config = match &args.runtime_config_file {
        Some(path) => kiln_runtime_config::RuntimeConfig::parse_file(path)?,
        None => kiln_runtime_config::RuntimeConfig::default(),
    };
    let state_dir = args
        .state_dir
        .clone()
        .or_else(|| runtime_config.state_dir.clone())
        .unwrap_or_else(|| app.state_dir());
    let log_dir = args
        .log_dir
        .clone()
        .or_else(|| runtime_config.log_dir.clone())
        .unwrap_or_else(|| state_dir.join("logs"));
    let caps = capabilities(&args, &app, state_dir, runtime_config).await?;
    let mut config = EngineConfig::default();
    if args.disable_cache {
        config.cache_dir = None;
    }
    config.max_instance_memory = args.max_instance_memory;
    config.request_timeout = args.request_timeout;
    let limits = http_limits(&args)?;
    let engine = KilnEngine::new(config).context("cannot create the engine")?;
    tracing::debug!(pooling = engine.is_pooling(), "engine ready");
    let logs = LogOptions {
        dir: Some(log_dir),
        quiet: args.quiet,
        follow: args.follow.clone(),
    };
    let redis = RedisTrigger::prepare(&app, &engine, &logs, &caps).await?;
    let drain_timeout = Duration::from_secs(args.drain_timeout);
    // One signal listener: every trigger stops on it and drains at once.
    let stop = shutdown_broadcast();
    if app.http_triggers().is_empty() {
        // Only Redis triggers: no HTTP listener.
        print_redis(&redis);
        Arc::new(redis).run_until(stopped(stop), drain_timeout).await;
        drop(engine);
        return Ok(());
    }
    // Served beside HTTP; on the signal both stop taking work and drain
    // side by side, each within the drain timeout.
    let redis = (!redis.is_empty()).then(|| {
        print_redis(&redis);
        tokio::spawn(Arc::new(redis).run_until(stopped(stop.clone()), drain_timeout))
    });
    let trigger = HttpTrigger::prepare(&app, &engine, &logs, &caps)?.with_instance_reuse(InstanceReuse {
        max_reuse_count: args.max_instance_reuse_count as usize,
        max_concurrent_reuse_count: args.max_instance_concurrent_reuse_count as usize,
        idle_timeout: args.idle_instance_timeout,
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    print_routes(addr, &trigger);
    kiln_trigger_http::serve(
        Arc::new(trigger),
        listener,
        stopped(stop),
        ServeOptions { drain_timeout, limits },
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

/// The serving limits from the command line.
fn http_limits(args: &UpArgs) -> anyhow::Result<HttpLimits> {
    let too_big = |flag: &str| anyhow::anyhow!("{flag}: value too large for this platform");
    let limits = HttpLimits {
        max_request_body_size: args.max_request_body_size,
        max_header_size: usize::try_from(args.max_header_size).map_err(|_| too_big("--max-header-size"))?,
        header_read_timeout: args.header_read_timeout,
        max_concurrent_requests: args.max_concurrent_requests,
        max_queued_requests: args.max_queued_requests,
        max_buffered_bytes: usize::try_from(args.max_buffered_bytes).map_err(|_| too_big("--max-buffered-bytes"))?,
    };
    limits.validate().context("invalid limits")?;
    Ok(limits)
}

/// The app's stores, databases and variables, seeded from the command line.
async fn capabilities(
    args: &UpArgs,
    app: &App,
    state_dir: PathBuf,
    runtime_config: kiln_runtime_config::RuntimeConfig,
) -> anyhow::Result<AppCapabilities> {
    let mut cli_variables = Vec::new();
    for arg in &args.variables {
        cli_variables.extend(kiln_variables::parse_cli_variable(arg).with_context(|| format!("--variable {arg}"))?);
    }
    let options = CapabilityOptions {
        state_dir,
        runtime_config,
        cli_variables,
        dotenv_path: Some(app.base_dir.join(".env")),
    };
    let caps = AppCapabilities::new(&app.manifest, options).await?;
    if !args.key_values.is_empty() {
        let store = caps.stores().open(DEFAULT_LABEL).await.context("--key-value: default store")?;
        for (key, value) in &args.key_values {
            store.set(key, value.as_bytes()).await.with_context(|| format!("--key-value {key}"))?;
        }
    }
    if !args.sqlite.is_empty() {
        let database = caps.databases().open(DEFAULT_LABEL).await.context("--sqlite: default database")?;
        for arg in &args.sqlite {
            let sql = match arg.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path).with_context(|| format!("--sqlite: cannot read {path}"))?,
                None => arg.clone(),
            };
            database.execute_batch(&sql).await.with_context(|| format!("--sqlite {arg}"))?;
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

/// A flag turned true once Ctrl-C or SIGTERM arrives (one listener,
/// installed now, shared by every trigger).
fn shutdown_broadcast() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = tx.send(true);
    });
    rx
}

/// Resolves once `stop` turns true.
async fn stopped(mut stop: tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(err) => {
                tracing::warn!("cannot listen for SIGTERM: {err}");
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
