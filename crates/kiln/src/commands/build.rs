//! `kiln build`: run each component's build command; `--up` then serves.

use std::path::{Path, PathBuf};

use clap::{Args, Parser};

use super::up::UpArgs;

/// Examples shown by `kiln build --help`.
pub const EXAMPLES: &str = "Examples:
  kiln build                                  build every component of ./spin.toml
  kiln build -f apps/shop -c api -c web       build two components of apps/shop/spin.toml
  kiln build --up --listen 127.0.0.1:3001     build, then serve (flags after --up go to `kiln up`)";

/// Arguments of `kiln build`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    /// The application: a manifest file or a folder containing spin.toml.
    #[arg(short = 'f', long = "from", value_name = "MANIFEST|DIR")]
    from: Option<PathBuf>,

    /// Build only this component (repeatable).
    #[arg(short = 'c', long = "component-id", value_name = "ID")]
    components: Vec<String>,

    /// Serve the application after a successful build.
    #[arg(long)]
    up: bool,

    /// Flags for `kiln up` (with --up), e.g. `--listen 127.0.0.1:3001 -q`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        requires = "up",
        value_name = "UP FLAGS"
    )]
    up_args: Vec<String>,
}

/// `kiln up`'s flags on their own, to parse what follows `--up`.
#[derive(Parser, Debug)]
#[command(name = "kiln up", no_binary_name = true)]
struct UpFlags {
    #[command(flatten)]
    up: UpArgs,
}

/// Parses `kiln up` flags for the app at `manifest`; `--from` is set here.
pub fn parse_up_args(manifest: &Path, flags: &[String]) -> anyhow::Result<UpArgs> {
    let argv = ["--from".into(), manifest.as_os_str().to_owned()]
        .into_iter()
        .chain(flags.iter().map(Into::into));
    let parsed =
        UpFlags::try_parse_from(argv).map_err(|e| anyhow::anyhow!("invalid `kiln up` flags: {}", e.render()))?;
    Ok(parsed.up)
}

/// Runs `kiln build`.
pub fn run(args: BuildArgs) -> anyhow::Result<()> {
    let manifest_path = kiln_build::manifest_path(args.from.as_deref())?;
    // Check `up` flags before spending time on a build.
    let up = args
        .up
        .then(|| parse_up_args(&manifest_path, &args.up_args))
        .transpose()?;
    super::prebuild::build_manifest(&manifest_path, &args.components)?;
    match up {
        Some(up) => super::up::run(up),
        None => Ok(()),
    }
}
