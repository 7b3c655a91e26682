//! `kiln up`: load, prepare and serve an application.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use kiln_serve::{HttpLimits, InstanceReuse, ServeConfig};

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

    /// How long in-flight requests get to finish after Ctrl-C or SIGTERM
    /// (e.g. 10, 10s, 500ms; 0 exits at once).
    #[arg(long, value_name = "DURATION", default_value = "10", value_parser = kiln_units::parse_duration)]
    drain_timeout: Duration,

    /// Largest size each linear memory of an instance may grow to (suffixes
    /// K, M, G); growth beyond it fails inside the guest.
    #[arg(long, value_name = "BYTES", default_value = "512M", value_parser = kiln_units::parse_byte_size)]
    max_instance_memory: u64,

    /// How long an instance may run before it is stopped (the client gets
    /// 504), e.g. 30, 2s, 500ms, 1m; default: no limit.
    #[arg(long, value_name = "DURATION", value_parser = kiln_units::parse_duration)]
    request_timeout: Option<Duration>,

    /// Largest request body in bytes (suffixes K, M, G); larger ones get 413.
    /// Default: no limit (bodies read whole are capped by --max-buffered-bytes).
    #[arg(long, value_name = "BYTES", value_parser = kiln_units::parse_byte_size)]
    max_request_body_size: Option<u64>,

    /// Largest request line plus headers in bytes (at least 8K); larger ones get 431.
    #[arg(long, value_name = "BYTES", default_value = "64K", value_parser = kiln_units::parse_byte_size)]
    max_header_size: u64,

    /// How long an HTTP/1 client may take to send its request headers before
    /// the connection is closed (slow clients), e.g. 30, 30s.
    #[arg(long, value_name = "DURATION", default_value = "30", value_parser = kiln_units::parse_duration)]
    header_read_timeout: Duration,

    /// Requests the app runs at once; more wait in line.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_concurrent_requests: usize,

    /// Requests that may wait for a turn; beyond it they get 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_queued_requests: usize,

    /// Most bytes the host buffers for one guest (suffixes K, M, G): request
    /// bodies Spin 1 and WAGI guests receive whole (413 beyond) and WAGI output.
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = kiln_units::parse_byte_size)]
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
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = kiln_units::parse_duration)]
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
        super::prebuild::build_before_up(args.from.as_deref())?;
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
    let app = super::registry::load_for_up(args.from.clone(), args.from_registry.clone(), args.insecure).await?;
    let config = serve_config(args)?;
    kiln_serve::serve(app, config, kiln_serve::shutdown_signal()).await
}

/// The serving configuration the flags describe.
fn serve_config(args: UpArgs) -> anyhow::Result<ServeConfig> {
    let mut config = ServeConfig::new(args.listen);
    if let Some(path) = &args.runtime_config_file {
        config.runtime_config = kiln_runtime_config::RuntimeConfig::parse_file(path)?;
    }
    if args.disable_cache {
        config.engine.cache_dir = None;
    }
    config.engine.max_instance_memory = args.max_instance_memory;
    config.request_timeout = args.request_timeout;
    config.limits = http_limits(&args)?;
    config.instance_reuse = InstanceReuse {
        max_reuse_count: args.max_instance_reuse_count as usize,
        max_concurrent_reuse_count: args.max_instance_concurrent_reuse_count as usize,
        idle_timeout: args.idle_instance_timeout,
    };
    config.drain_timeout = args.drain_timeout;
    for arg in &args.variables {
        config
            .variables
            .extend(kiln_variables::parse_cli_variable(arg).with_context(|| format!("--variable {arg}"))?);
    }
    for arg in &args.sqlite {
        config.seed_sql.push(match arg.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path).with_context(|| format!("--sqlite: cannot read {path}"))?,
            None => arg.clone(),
        });
    }
    config.env = args.env;
    config.state_dir = args.state_dir;
    config.log_dir = args.log_dir;
    config.quiet = args.quiet;
    config.follow = args.follow;
    config.seed_key_values = args.key_values;
    Ok(config)
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
