//! One container's app and settings: what `kiln up`'s flags are to the
//! command line, the container's environment and files are here.
//!
//! - `SPIN_HTTP_LISTEN_ADDR`: where to listen (default `0.0.0.0:80`);
//! - `SPIN_VARIABLE_<NAME>`: application variables (read by the default
//!   variables provider, as with `kiln up`);
//! - `/runtime-config.toml`, when the pod mounts one (or the file
//!   `RUNTIME_CONFIG_FILE` names): stores, databases, variables providers;
//! - `KILN_STATE_DIR`: where blobs, the compile cache and the default
//!   key-value store and SQLite database live (default `/.kiln`, in the
//!   container's writable root);
//! - `KILN_MAX_INSTANCE_MEMORY`, `KILN_REQUEST_TIMEOUT` (a duration: `30`, `2s`, `500ms`, `1m`),
//!   `KILN_DRAIN_TIMEOUT` (a duration, default 10s; 0 = exit at once): the limits of `kiln up`.
//!
//! Component output goes to the container's stdout and stderr (the pod's
//! log), not to files.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use containerd_shim_wasm::sandbox::context::WasmLayer;
use kiln_app::App;
use kiln_engine::KilnEngine;
use kiln_serve::ServeConfig;

/// Where the app comes from.
pub enum AppSource {
    /// An image of Wasm and locked-app layers.
    Layers(Vec<WasmLayer>),
    /// A path in the container's root: a manifest, a folder holding
    /// `spin.toml`, or a `.wasm` file.
    Path(PathBuf),
}

/// Default listen address, as Spin's shim.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:80";
/// Runtime config file the pod may mount.
pub const RUNTIME_CONFIG_PATH: &str = "/runtime-config.toml";
/// Default state folder inside the container.
pub const DEFAULT_STATE_DIR: &str = "/.kiln";

/// `NAME=value` pairs (an OCI process's environment) as a lookup.
struct Env<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Env<'a> {
    fn new(pairs: &'a [String]) -> Self {
        Self(pairs.iter().filter_map(|p| p.split_once('=')).collect())
    }

    fn get(&self, name: &str) -> Option<&'a str> {
        // The last definition wins, as in a process environment built in order.
        self.0.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

/// The serving configuration a container's environment describes; also
/// returns the state folder.
pub fn serve_config(env: &[String], root: &Path) -> anyhow::Result<(ServeConfig, PathBuf)> {
    let env = Env::new(env);
    let listen = env.get("SPIN_HTTP_LISTEN_ADDR").unwrap_or(DEFAULT_LISTEN);
    let listen: SocketAddr = listen
        .parse()
        .with_context(|| format!("SPIN_HTTP_LISTEN_ADDR: `{listen}` is not an address like 0.0.0.0:80"))?;
    let mut config = ServeConfig::new(listen);
    let state_dir = match env.get("KILN_STATE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root.join(DEFAULT_STATE_DIR.trim_start_matches('/')),
    };
    let runtime_config = match env.get("RUNTIME_CONFIG_FILE") {
        Some(path) => Some(PathBuf::from(path)),
        None => Some(root.join(RUNTIME_CONFIG_PATH.trim_start_matches('/'))).filter(|p| p.is_file()),
    };
    if let Some(path) = runtime_config {
        config.runtime_config = kiln_runtime_config::RuntimeConfig::parse_file(&path)?;
    }
    config.state_dir = Some(config.runtime_config.state_dir.clone().unwrap_or_else(|| state_dir.join("state")));
    config.engine.cache_dir = Some(state_dir.join("compiled"));
    config.log_files = false;
    config.dotenv = false;
    if let Some(bytes) = env.get("KILN_MAX_INSTANCE_MEMORY") {
        config.engine.max_instance_memory = kiln_units::parse_byte_size(bytes)
            .map_err(|e| anyhow::anyhow!("KILN_MAX_INSTANCE_MEMORY: {e}"))?;
    }
    if let Some(value) = env.get("KILN_REQUEST_TIMEOUT") {
        config.request_timeout = Some(duration_of("KILN_REQUEST_TIMEOUT", value)?);
    }
    if let Some(value) = env.get("KILN_DRAIN_TIMEOUT") {
        config.drain_timeout = duration_of("KILN_DRAIN_TIMEOUT", value)?;
    }
    Ok((config, state_dir))
}

/// A `KILN_*` duration (`30`, `30s`, `500ms`, `2m`; 0 is a zero duration),
/// parsed as `kiln up` parses its flags.
fn duration_of(name: &str, value: &str) -> anyhow::Result<Duration> {
    kiln_units::parse_duration(value).map_err(|e| anyhow::anyhow!("{name}: {e}"))
}

/// Whether `path` (a container's command) names something to serve.
pub fn check_path(path: &Path) -> anyhow::Result<()> {
    let candidate = if path.is_dir() { path.join("spin.toml") } else { path.to_path_buf() };
    if candidate.is_file() {
        Ok(())
    } else {
        bail!("{} is neither a Spin manifest, a folder holding spin.toml, nor a Wasm file, and the image has no Wasm layers", path.display())
    }
}

/// Serves the container's app until SIGTERM. Blocking: builds its own
/// runtime.
pub fn run(source: AppSource, env: &[String]) -> anyhow::Result<()> {
    // The process environment is the container's (runwasi leaves it as the
    // shim's): variables providers and guests' `env` look there.
    for (name, value) in env.iter().filter_map(|p| p.split_once('=')) {
        if !name.is_empty() && !name.contains('\0') && !value.contains('\0') {
            std::env::set_var(name, value);
        }
    }
    init_tracing();
    let (config, state_dir) = serve_config(env, Path::new("/"))?;
    std::fs::create_dir_all(&state_dir).with_context(|| format!("cannot create {}", state_dir.display()))?;
    // Mounted files are staged in the temporary folder: keep it in the
    // state folder, which exists and is writable.
    let tmp = state_dir.join("tmp");
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    std::env::set_var("TMPDIR", &tmp);
    // One engine for staging (it receives the precompiled layers in its
    // compile cache) and serving.
    let engine = KilnEngine::new(config.engine.clone()).context("cannot create the engine")?;
    let app = match source {
        AppSource::Layers(layers) => crate::layers::stage(&layers, &state_dir, &engine)?,
        AppSource::Path(path) => App::load(&path)?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(kiln_serve::serve_with_engine(app, config, engine, kiln_serve::shutdown_signal()));
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}


fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KILN_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,wasmtime=warn,cranelift=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[&str]) -> Vec<String> {
        pairs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_listen_on_port_80_and_keep_state_in_the_root() {
        let root = tempfile::tempdir().unwrap();
        let (config, state) = serve_config(&env(&["PATH=/bin"]), root.path()).unwrap();
        assert_eq!(config.listen, "0.0.0.0:80".parse().unwrap());
        assert_eq!(state, root.path().join(".kiln"));
        assert_eq!(config.engine.cache_dir, Some(root.path().join(".kiln/compiled")));
        assert_eq!(config.state_dir, Some(root.path().join(".kiln/state")));
        assert!(!config.log_files && !config.dotenv);
    }

    #[test]
    fn environment_and_mounted_runtime_config_are_read() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("runtime-config.toml"), "[key_value_store.cache]\ntype = \"spin\"\npath = \"/data/cache.db\"\n").unwrap();
        let vars = env(&[
            "SPIN_HTTP_LISTEN_ADDR=0.0.0.0:1",
            "SPIN_HTTP_LISTEN_ADDR=127.0.0.1:8080",
            "KILN_MAX_INSTANCE_MEMORY=64M",
            "KILN_REQUEST_TIMEOUT=2.5",
            "KILN_DRAIN_TIMEOUT=3",
        ]);
        let (config, _) = serve_config(&vars, root.path()).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap(), "the last definition wins");
        assert_eq!(config.engine.max_instance_memory, 64 << 20);
        assert_eq!(config.request_timeout, Some(Duration::from_millis(2500)));
        assert_eq!(config.drain_timeout, Duration::from_secs(3));
        assert!(config.runtime_config.key_value_stores.contains_key("cache"), "{:?}", config.runtime_config);
    }

    #[test]
    fn durations_take_units_and_zero() {
        let root = tempfile::tempdir().unwrap();
        let vars = env(&["KILN_REQUEST_TIMEOUT=500ms", "KILN_DRAIN_TIMEOUT=0"]);
        let (config, _) = serve_config(&vars, root.path()).unwrap();
        assert_eq!(config.request_timeout, Some(Duration::from_millis(500)));
        assert_eq!(config.drain_timeout, Duration::ZERO);
        let (config, _) = serve_config(&env(&["KILN_DRAIN_TIMEOUT=2m"]), root.path()).unwrap();
        assert_eq!(config.drain_timeout, Duration::from_secs(120));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let root = tempfile::tempdir().unwrap();
        for (pair, name) in [
            ("SPIN_HTTP_LISTEN_ADDR=localhost", "SPIN_HTTP_LISTEN_ADDR"),
            ("KILN_REQUEST_TIMEOUT=soon", "KILN_REQUEST_TIMEOUT"),
            ("KILN_MAX_INSTANCE_MEMORY=lots", "KILN_MAX_INSTANCE_MEMORY"),
            ("KILN_DRAIN_TIMEOUT=2 weeks", "KILN_DRAIN_TIMEOUT"),
        ] {
            let err = serve_config(&env(&[pair]), root.path()).unwrap_err();
            assert!(format!("{err:#}").contains(name), "{pair}: {err:#}");
        }
    }
}
