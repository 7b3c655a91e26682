//! `kiln kube scaffold`: Kubernetes objects for an app in a registry.

use clap::{Args, Subcommand};
use kiln_kube::ScaffoldOptions;

/// Examples shown by `kiln kube --help`.
pub const EXAMPLES: &str = "Examples:
  kiln kube scaffold -f ghcr.io/me/shop:1.0 | kubectl apply -f -
  kiln kube scaffold -f localhost:5000/hello:v1 --insecure --replicas 3 --name hello
  kiln kube scaffold -f ghcr.io/me/shop:1.0 --runtime-config-secret shop-runtime > shop.yaml";

/// Arguments of `kiln kube`.
#[derive(Args, Debug)]
pub struct KubeArgs {
    #[command(subcommand)]
    command: KubeCommand,
}

#[derive(Subcommand, Debug)]
enum KubeCommand {
    /// Print a RuntimeClass, Deployment, Service and the app's variables as
    /// a ConfigMap and a Secret, for nodes with containerd-shim-kiln-v1.
    #[command(after_help = EXAMPLES)]
    Scaffold(ScaffoldArgs),
}

#[derive(Args, Debug)]
struct ScaffoldArgs {
    /// The app in a registry (pushed with `kiln registry push`).
    #[arg(short = 'f', long = "from", value_name = "REF")]
    from: String,
    /// Name of the Deployment and Service (default: the repository name).
    #[arg(long)]
    name: Option<String>,
    /// Pods to run.
    #[arg(long, default_value_t = 1)]
    replicas: u32,
    /// RuntimeClass name and containerd runtime handler.
    #[arg(long, default_value = "kiln")]
    runtime_class: String,
    /// Port the app listens on inside the pod; the Service exposes it too.
    #[arg(long, default_value_t = 80)]
    port: u16,
    /// CPU limit of each pod.
    #[arg(long, default_value = "500m")]
    cpu_limit: String,
    /// Memory limit of each pod.
    #[arg(long, default_value = "256Mi")]
    memory_limit: String,
    /// A Secret with a `runtime-config.toml` key, mounted at /runtime-config.toml.
    #[arg(long, value_name = "SECRET")]
    runtime_config_secret: Option<String>,
    /// Use plain HTTP to read the app from the registry.
    #[arg(long)]
    insecure: bool,
}

/// Runs `kiln kube …`.
pub fn run(args: KubeArgs) -> anyhow::Result<()> {
    match args.command {
        KubeCommand::Scaffold(args) => scaffold(args),
    }
}

fn scaffold(args: ScaffoldArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // The app's variables decide the ConfigMap and Secret keys, so read the
    // locked app (and check the reference exists) before printing anything.
    let client = super::registry::client(args.insecure);
    let pulled = runtime.block_on(client.pull(&args.from))?;
    let name = args.name.unwrap_or_else(|| kiln_kube::name_from_reference(&args.from));
    let mut options = ScaffoldOptions::new(name, &args.from);
    options.replicas = args.replicas;
    options.runtime_class = args.runtime_class;
    options.container_port = args.port;
    options.service_port = args.port;
    options.cpu_limit = args.cpu_limit;
    options.memory_limit = args.memory_limit;
    options.runtime_config_secret = args.runtime_config_secret;
    options.variables = pulled.locked.variables.clone();
    print!("{}", kiln_kube::scaffold(&options)?);
    Ok(())
}
