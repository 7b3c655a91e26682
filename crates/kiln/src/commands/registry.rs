//! `kiln registry push|pull|login`, and `kiln up -f REF`'s loading.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use kiln_app::App;
use kiln_oci::{Cache, ClientOptions, Credentials, OciError, RegistryClient};

/// Examples shown by `kiln registry --help`.
pub const EXAMPLES: &str = "Examples:
  kiln registry push localhost:5000/hello:v1            push the app in the current folder
  kiln registry push -f apps/shop ghcr.io/me/shop:1.0   push another app
  kiln registry pull ghcr.io/me/shop:1.0                pull into ~/.cache/kiln/registry
  kiln up -f ghcr.io/me/shop:1.0                        pull what is missing, then serve
  echo \"$TOKEN\" | kiln registry login ghcr.io -u me --password-stdin";

/// Arguments of `kiln registry`.
#[derive(Args, Debug)]
pub struct RegistryArgs {
    #[command(subcommand)]
    command: RegistryCommand,
}

#[derive(Subcommand, Debug)]
enum RegistryCommand {
    /// Push an application to an OCI registry (Spin's artifact format).
    #[command(after_help = "Example:\n  kiln registry push -f examples/hello-rust localhost:5000/hello:v1")]
    Push(PushArgs),
    /// Pull an application into the local cache.
    #[command(after_help = "Example:\n  kiln registry pull localhost:5000/hello:v1 && kiln up -f localhost:5000/hello:v1")]
    Pull(PullArgs),
    /// Store credentials for a registry (Docker's config is read too).
    #[command(after_help = "Example:\n  echo \"$TOKEN\" | kiln registry login ghcr.io -u me --password-stdin")]
    Login(LoginArgs),
}

#[derive(Args, Debug)]
struct PushArgs {
    /// The application: a manifest file or a folder containing spin.toml.
    #[arg(short = 'f', long = "from", value_name = "MANIFEST|DIR", default_value = ".")]
    from: PathBuf,
    /// Where to push: `registry/repository[:tag]`.
    #[arg(value_name = "REF")]
    reference: String,
    /// Use plain HTTP (registries on this machine get it without this flag).
    #[arg(long)]
    insecure: bool,
    /// Run the components' build commands first.
    #[arg(long)]
    build: bool,
}

#[derive(Args, Debug)]
struct PullArgs {
    /// What to pull: `registry/repository[:tag|@digest]`.
    #[arg(value_name = "REF")]
    reference: String,
    /// Use plain HTTP (registries on this machine get it without this flag).
    #[arg(long)]
    insecure: bool,
}

#[derive(Args, Debug)]
struct LoginArgs {
    /// The registry, e.g. `ghcr.io` or `localhost:5000`.
    #[arg(value_name = "SERVER")]
    server: String,
    /// User name.
    #[arg(short = 'u', long)]
    username: String,
    /// Password or token (visible to other users in the process list: prefer --password-stdin).
    #[arg(short = 'p', long, conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the password or token from standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Use plain HTTP.
    #[arg(long)]
    insecure: bool,
}

pub(crate) fn client(insecure: bool) -> RegistryClient {
    RegistryClient::new(ClientOptions { insecure, cache: Cache::new(Cache::default_root()), quiet: false })
}

/// Runs `kiln registry …`.
pub fn run(args: RegistryArgs) -> anyhow::Result<()> {
    if let RegistryCommand::Push(push) = &args.command {
        if push.build {
            super::prebuild::build_before_up(Some(&push.from))?;
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match args.command {
            RegistryCommand::Push(a) => push(a).await,
            RegistryCommand::Pull(a) => pull(a).await,
            RegistryCommand::Login(a) => login(a).await,
        }
    })
}

async fn push(args: PushArgs) -> anyhow::Result<()> {
    let from = args.from.clone();
    // The app stays alive until the push is done: its staged files are the blobs.
    let (app, build) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let app = App::load(&from)?;
        let build = kiln_oci::lock_app(&app)?;
        Ok((app, build))
    })
    .await
    .context("application loader panicked")??;
    let report = client(args.insecure).push(&build, &args.reference).await?;
    drop(app);
    println!("Pushed {}@{}", args.reference, report.digest);
    println!(
        "{} blobs uploaded ({} bytes), {} already in the registry",
        report.uploaded, report.uploaded_bytes, report.skipped
    );
    Ok(())
}

async fn pull(args: PullArgs) -> anyhow::Result<()> {
    let client = client(args.insecure);
    let pulled = client.pull(&args.reference).await?;
    println!("Pulled {}@{}", args.reference, pulled.manifest_digest);
    println!(
        "{} blobs downloaded ({} bytes), {} already cached in {}",
        pulled.downloaded,
        pulled.downloaded_bytes,
        pulled.cached,
        client.cache().root().display()
    );
    Ok(())
}

async fn login(args: LoginArgs) -> anyhow::Result<()> {
    let password = match (args.password, args.password_stdin) {
        (Some(p), _) => p,
        (None, true) => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).context("cannot read the password from standard input")?;
            text.trim_end_matches(['\r', '\n']).to_string()
        }
        (None, false) => bail!("give the password with --password-stdin (or -p)"),
    };
    if password.is_empty() {
        bail!("the password is empty");
    }
    let credentials = Credentials { username: args.username, password };
    let path = client(args.insecure).login(&args.server, &credentials).await?;
    println!("Login succeeded; credentials for {} stored in {}", args.server, path.display());
    Ok(())
}

/// The app `kiln up` serves: `from_registry`, else `from` when it is an
/// existing path (or none: the current folder), else `from` as a registry
/// reference. A registry app is pulled (only missing blobs download); when
/// the registry is unreachable, the last pull in the cache is served.
pub async fn load_for_up(from: Option<PathBuf>, from_registry: Option<String>, insecure: bool) -> anyhow::Result<App> {
    let reference = match (&from_registry, &from) {
        (Some(r), _) => Some(r.clone()),
        (None, Some(path)) if !path.exists() => path
            .to_str()
            .filter(|s| kiln_oci::reference::looks_like_reference(s))
            .map(str::to_string),
        _ => None,
    };
    let Some(reference) = reference else {
        let from = from.unwrap_or_else(|| PathBuf::from("."));
        // Loading may download `{ url, digest }` sources: keep it off the async workers.
        return Ok(tokio::task::spawn_blocking(move || App::load(&from))
            .await
            .context("application loader panicked")??);
    };
    let client = client(insecure);
    let pulled = match client.pull(&reference).await {
        Ok(p) => p,
        Err(err @ OciError::Unreachable { .. }) => match client.cached(&reference) {
            Ok(p) => {
                tracing::warn!("{err}; serving the cached copy {}", p.manifest_digest);
                p
            }
            Err(_) => return Err(err.into()),
        },
        Err(err) => return Err(err.into()),
    };
    let cache = client.cache().clone();
    Ok(tokio::task::spawn_blocking(move || pulled.to_app(&cache))
        .await
        .context("application loader panicked")??)
}
