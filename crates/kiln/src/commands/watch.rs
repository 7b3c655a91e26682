//! `kiln watch`: build, serve, and rebuild or restart when files change.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

/// Examples shown by `kiln watch --help`.
pub const EXAMPLES: &str = "Examples:
  kiln watch                                  build and serve ./spin.toml, rebuild on changes
  kiln watch -c api -d 500                    rebuild only `api`, after 500 ms without changes
  kiln watch --skip-build -- --listen 127.0.0.1:3001 -q
                                              only restart; flags after `--` go to `kiln up`";

/// Arguments of `kiln watch`.
#[derive(Args, Debug)]
pub struct WatchArgs {
    /// The application: a manifest file or a folder containing spin.toml.
    #[arg(short = 'f', long = "from", value_name = "MANIFEST|DIR")]
    from: Option<PathBuf>,

    /// Build and rebuild only this component (repeatable).
    #[arg(short = 'c', long = "component-id", value_name = "ID")]
    components: Vec<String>,

    /// Never run build commands: only restart serving when the manifest, a
    /// component's .wasm or one of its files changes.
    #[arg(long)]
    skip_build: bool,

    /// Milliseconds without further changes before rebuilding or restarting.
    #[arg(short = 'd', long, value_name = "MS", default_value_t = 100)]
    debounce: u64,

    /// Flags for `kiln up`, after `--` or trailing (e.g. `-- --listen 127.0.0.1:3001`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "UP FLAGS")]
    up_args: Vec<String>,
}

/// Runs `kiln watch` until Ctrl-C or SIGTERM.
pub fn run(args: WatchArgs) -> anyhow::Result<()> {
    let manifest_path = kiln_build::manifest_path(args.from.as_deref())?;
    // Bad `up` flags fail now, not at every restart.
    super::build::parse_up_args(&manifest_path, &args.up_args)?;
    let program = std::env::current_exe().context("cannot find the kiln executable to serve with")?;
    let mut serve_args = vec!["up".into(), "--from".into(), manifest_path.clone().into_os_string()];
    serve_args.extend(args.up_args.iter().map(Into::into));
    let options = kiln_build::watcher::WatchOptions {
        manifest_path,
        components: args.components,
        skip_build: args.skip_build,
        debounce: Duration::from_millis(args.debounce),
        serve_program: program,
        serve_args,
    };
    // One thread: the serving child is spawned from it, and its
    // parent-death signal is tied to the spawning thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(kiln_build::watcher::watch(options));
    // Do not wait for a build interrupted by Ctrl-C (its commands got the
    // terminal's SIGINT too).
    runtime.shutdown_background();
    Ok(result?)
}
