//! `kiln up`: load, prepare and serve an application.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use kiln_app::App;
use kiln_engine::{EngineConfig, KilnEngine};
use kiln_trigger_http::{HttpTrigger, LogOptions, ServeOptions};
use kiln_trigger_redis::RedisTrigger;
use kiln_world::capabilities::DEFAULT_LABEL;
use kiln_world::{AppCapabilities, CapabilityOptions};

/// Arguments of `kiln up`.
#[derive(Args, Debug)]
pub struct UpArgs {
    /// The application: a manifest file, a folder containing spin.toml, or a .wasm file.
    #[arg(short = 'f', long = "from", value_name = "MANIFEST|DIR|WASM")]
    from: Option<PathBuf>,

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
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

/// Runs `kiln up` to completion (until Ctrl-C or SIGTERM).
pub fn run(args: UpArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(up(args))
}

async fn up(args: UpArgs) -> anyhow::Result<()> {
    let from = args.from.clone().unwrap_or_else(|| PathBuf::from("."));
    // Loading may download `{ url, digest }` sources: keep it off the async workers.
    let mut app = tokio::task::spawn_blocking(move || App::load(&from))
        .await
        .context("application loader panicked")??;
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
    let engine = KilnEngine::new(config).context("cannot create the engine")?;
    tracing::debug!(pooling = engine.is_pooling(), "engine ready");
    let logs = LogOptions {
        dir: Some(log_dir),
        quiet: args.quiet,
        follow: args.follow.clone(),
    };
    let redis = RedisTrigger::prepare(&app, &engine, &logs, &caps).await?;
    if app.http_triggers().is_empty() {
        // Only Redis triggers: no HTTP listener.
        print_redis(&redis);
        tokio::select! {
            _ = Arc::new(redis).run() => {},
            _ = shutdown_signal() => {},
        }
        drop(engine);
        return Ok(());
    }
    // Served beside HTTP; dropped (every subscription and handler with it)
    // when the HTTP server has stopped.
    let redis = (!redis.is_empty()).then(|| {
        print_redis(&redis);
        tokio::spawn(Arc::new(redis).run())
    });
    let trigger = HttpTrigger::prepare(&app, &engine, &logs, &caps)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    print_routes(addr, &trigger);
    kiln_trigger_http::serve(
        Arc::new(trigger),
        listener,
        shutdown_signal(),
        ServeOptions { drain_timeout: Duration::from_secs(args.drain_timeout) },
    )
    .await?;
    if let Some(redis) = redis {
        redis.abort();
    }
    drop(engine);
    Ok(())
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
