//! The shim's compile hook: containerd calls it once per image and engine
//! (keyed by [`Compiler::cache_key`]) and keeps what it returns beside the
//! image, handing it back as precompiled layers to later containers.

use std::hash::Hash;

use anyhow::Context;
use containerd_shim_wasm::sandbox::context::WasmLayer;
use containerd_shim_wasm::shim::Compiler;
use kiln_engine::{EngineConfig, KilnEngine};
use sha2::{Digest, Sha256};

use crate::layers;

/// Compiles an image's components with the engine settings containers use.
pub struct KilnCompiler {
    engine: KilnEngine,
    key: String,
}

impl KilnCompiler {
    /// A compiler whose artifacts load in the serving engine: the same
    /// settings as [`crate::container::serve_config`]'s engine, minus the
    /// cache (this side writes artifacts, it never reads them).
    pub fn new() -> anyhow::Result<Self> {
        let config = EngineConfig { cache_dir: None, ..EngineConfig::default() };
        let engine = KilnEngine::new(config).context("cannot create the engine")?;
        let mut hasher = HashInto(Sha256::new());
        engine.wasmtime().precompile_compatibility_hash().hash(&mut hasher);
        let key = format!("kiln-{}-{}", env!("CARGO_PKG_VERSION"), hex::encode(hasher.0.finalize()));
        Ok(Self { engine, key })
    }

    /// The artifact for each layer, `None` where it stays as it is.
    pub fn compile_layers(&self, layers: &[WasmLayer]) -> anyhow::Result<Vec<Option<Vec<u8>>>> {
        let wanted = match layers::locked_app(layers)? {
            Some(locked) => Some(layers::compilable_digests(&locked)),
            // A lone Wasm layer is an HTTP component: compile it.
            None => None,
        };
        layers
            .iter()
            .map(|layer| {
                let digest = layer.config.digest().to_string();
                let media_type = layer.config.media_type().to_string();
                let compile = !layer.precompiled
                    && match &wanted {
                        Some(digests) => digests.contains(&digest),
                        None => layers::LAYER_TYPES.contains(&media_type.as_str()) && is_wasm_bytes(&layer.layer),
                    };
                if !compile {
                    return Ok(None);
                }
                let artifact = self
                    .engine
                    .precompile_component(&layer.layer)
                    .with_context(|| format!("cannot compile layer {digest}"))?;
                tracing::info!(%digest, bytes = artifact.len(), "compiled ahead of time");
                Ok(Some(artifact))
            })
            .collect()
    }
}

fn is_wasm_bytes(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\0asm")
}

impl Compiler for KilnCompiler {
    fn cache_key(&self) -> impl Hash {
        self.key.clone()
    }

    async fn compile(&self, layers: &[WasmLayer]) -> anyhow::Result<Vec<Option<Vec<u8>>>> {
        self.compile_layers(layers)
    }
}

/// Feeds `Hash` output into SHA-256 (a stable digest, unlike `DefaultHasher`).
struct HashInto(Sha256);

impl std::hash::Hasher for HashInto {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}
