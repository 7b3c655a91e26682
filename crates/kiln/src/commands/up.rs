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
    if !app.manifest.redis_triggers.is_empty() {
        tracing::warn!(
            count = app.manifest.redis_triggers.len(),
            "Redis triggers are not served by this version of Kiln; serving HTTP triggers only"
        );
    }
    for kind in app.manifest.other_triggers.keys() {
        tracing::warn!(trigger = %kind, "no such trigger type in Kiln; its triggers are ignored");
    }
    if app.http_triggers().is_empty() {
        bail!("the application has no HTTP triggers: nothing to serve");
    }
    for component in &mut app.components {
        component.environment.extend(args.env.iter().cloned());
    }
    let mut config = EngineConfig::default();
    if args.disable_cache {
        config.cache_dir = None;
    }
    let engine = KilnEngine::new(config).context("cannot create the engine")?;
    tracing::debug!(pooling = engine.is_pooling(), "engine ready");
    let logs = LogOptions {
        dir: Some(args.log_dir.clone().unwrap_or_else(|| app.state_dir().join("logs"))),
        quiet: args.quiet,
        follow: args.follow.clone(),
    };
    let trigger = HttpTrigger::prepare(&app, &engine, &logs)?;
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
    drop(engine);
    Ok(())
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
