//! The `kiln` command line: parses arguments and delegates to the library
//! crates (`kiln-app`, `kiln-serve`, `kiln-oci`, …).

mod commands;

use clap::{CommandFactory, Parser, Subcommand};

/// Kiln runs Spin applications on a serverless WebAssembly platform.
#[derive(Parser)]
#[command(name = "kiln", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve an application (a spin.toml, a folder holding one, or a .wasm file).
    #[command(after_help = "Examples:\n  kiln up                                     serve ./spin.toml on 127.0.0.1:3000\n  kiln up -f examples/hello --listen 127.0.0.1:3001\n  kiln up --build -f apps/shop                build first (like `kiln build --up`)")]
    // Boxed: by far the largest variant.
    Up(Box<commands::up::UpArgs>),
    /// Run the build command of each component, in manifest order.
    #[command(after_help = commands::build::EXAMPLES)]
    Build(commands::build::BuildArgs),
    /// Build and serve, rebuilding and restarting when files change.
    #[command(after_help = commands::watch::EXAMPLES)]
    Watch(commands::watch::WatchArgs),
    /// Find common problems in an application and explain how to fix them.
    #[command(after_help = commands::doctor::EXAMPLES)]
    Doctor(commands::doctor::DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, ...).
    #[command(after_help = commands::completions::EXAMPLES)]
    Completions(commands::completions::CompletionsArgs),
    /// Create a new application from a template.
    #[command(after_help = commands::new::NEW_EXAMPLES)]
    New(commands::new::NewArgs),
    /// Add a component (and its trigger) from a template to an existing application.
    #[command(after_help = commands::new::ADD_EXAMPLES)]
    Add(commands::new::AddArgs),
    /// List and install application templates.
    #[command(after_help = commands::templates::EXAMPLES)]
    Templates(commands::templates::TemplatesArgs),
    /// Push applications to OCI registries, pull them, store credentials.
    #[command(after_help = commands::registry::EXAMPLES)]
    Registry(commands::registry::RegistryArgs),
    /// Kubernetes objects for an app in a registry (nodes run containerd-shim-kiln-v1).
    #[command(after_help = commands::kube::EXAMPLES)]
    Kube(commands::kube::KubeArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        Command::Up(args) => commands::up::run(*args),
        Command::Build(args) => commands::build::run(args),
        Command::Watch(args) => commands::watch::run(args),
        Command::Doctor(args) => commands::doctor::run(args),
        Command::Completions(args) => commands::completions::run(args, &mut Cli::command()),
        Command::New(args) => commands::new::run_new(args),
        Command::Add(args) => commands::new::run_add(args),
        Command::Templates(args) => commands::templates::run(args),
        Command::Registry(args) => commands::registry::run(args),
        Command::Kube(args) => commands::kube::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KILN_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,wasmtime=warn,cranelift=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
