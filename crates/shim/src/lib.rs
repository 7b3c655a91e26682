//! The Kiln containerd shim: runs Kiln (and Spin) applications as
//! containers, so Kubernetes schedules them like any pod.
//!
//! Built on runwasi's `containerd-shim-wasm`. containerd starts
//! `containerd-shim-kiln-v1` for runtime `io.containerd.kiln.v1` (the
//! RuntimeClass handler `kiln`) and hands it the image's layers of the
//! media types in [`LAYER_TYPES`]: the locked app and the Wasm and data
//! blobs `kiln registry push` and `spin registry push` write. The sandbox
//! turns them into a [`kiln_app::App`] ([`layers`]) and serves it with
//! [`kiln_serve::serve`], the same code `kiln up` runs, configured from the
//! container's environment ([`container`]).
//!
//! The [`compiler::KilnCompiler`] hook compiles components ahead of time;
//! containerd keeps the artifacts beside the image, so later containers of
//! the same image start without compiling.

pub mod compiler;
pub mod container;
pub mod layers;

use anyhow::Context;
use containerd_shim_wasm::sandbox::context::{RuntimeContext, Source};
use containerd_shim_wasm::sandbox::Sandbox;
use containerd_shim_wasm::shim::{Compiler, Shim, Version};

pub use layers::LAYER_TYPES;

/// The shim: its name, version, layer types and compile hook.
pub struct KilnShim;

impl Shim for KilnShim {
    fn name() -> &'static str {
        "kiln"
    }

    fn version() -> Version {
        containerd_shim_wasm::shim::version!()
    }

    type Sandbox = KilnSandbox;

    async fn compiler() -> Option<impl Compiler> {
        match compiler::KilnCompiler::new() {
            Ok(compiler) => Some(compiler),
            Err(err) => {
                tracing::warn!("no ahead-of-time compilation: {err:#}");
                None
            }
        }
    }

    fn supported_layers_types() -> &'static [&'static str] {
        LAYER_TYPES
    }
}

/// Runs one container: an application served until SIGTERM.
#[derive(Default, Clone)]
pub struct KilnSandbox;

impl Sandbox for KilnSandbox {
    async fn run_wasi(&self, ctx: &impl RuntimeContext) -> anyhow::Result<i32> {
        let source = match ctx.entrypoint().source {
            Source::Oci(layers) => container::AppSource::Layers(layers.to_vec()),
            Source::File(path) => container::AppSource::Path(path),
        };
        let env = ctx.envs().to_vec();
        // Kiln runs its own multi-threaded runtime; the caller is already
        // inside one, where a second cannot be entered, so it gets a thread.
        let serving = std::thread::Builder::new()
            .name("kiln-serve".into())
            .spawn(move || container::run(source, &env))
            .context("cannot start the serving thread")?;
        let code = match serving.join() {
            Ok(Ok(())) => 0,
            Ok(Err(err)) => {
                // The container's stderr: what `kubectl logs` and `ctr run` show.
                eprintln!("Error: {err:#}");
                1
            }
            Err(_) => {
                eprintln!("Error: the Kiln serving thread panicked");
                101
            }
        };
        Ok(code)
    }

    async fn can_handle(&self, ctx: &impl RuntimeContext) -> anyhow::Result<()> {
        match ctx.entrypoint().source {
            Source::Oci(layers) => layers::check(layers),
            Source::File(path) => container::check_path(&path),
        }
    }
}
