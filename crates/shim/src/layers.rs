//! From an image's layers to a runnable [`App`].
//!
//! A Kiln or Spin image holds the locked app (a layer of media type
//! [`SPIN_APPLICATION_MEDIA_TYPE`]) and one layer per Wasm or data blob it
//! names by digest. The blobs are written into a folder and the locked app
//! is resolved against them, as `kiln up -f REF` does with its registry
//! cache. An image with a single Wasm layer and no locked app is served as a
//! lone HTTP component on every route, as `kiln up -f app.wasm` does.
//!
//! Layers containerd marks as precompiled hold artifacts the shim's own
//! compile hook produced: they go into the engine's compile cache, so the
//! component loads without compiling. App-supplied bytes never do.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use containerd_shim_wasm::sandbox::context::WasmLayer;
use kiln_app::locked::LockedApp;
use kiln_app::App;
use kiln_engine::KilnEngine;
use kiln_oci::{DATA_LAYER_MEDIA_TYPE, SPIN_APPLICATION_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE};
use sha2::{Digest, Sha256};

/// Plain Wasm layers (runwasi's and the `wasm-to-oci` convention).
const PLAIN_WASM_MEDIA_TYPE: &str = "application/wasm";
/// Wasm component layers of the Bytecode Alliance's `wkg` tooling.
const COMPONENT_LAYER_MEDIA_TYPE: &str = "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm";

/// The layer media types the shim asks containerd for.
pub const LAYER_TYPES: &[&str] = &[
    SPIN_APPLICATION_MEDIA_TYPE,
    WASM_LAYER_MEDIA_TYPE,
    DATA_LAYER_MEDIA_TYPE,
    PLAIN_WASM_MEDIA_TYPE,
    COMPONENT_LAYER_MEDIA_TYPE,
];

fn is_wasm(media_type: &str) -> bool {
    matches!(media_type, WASM_LAYER_MEDIA_TYPE | PLAIN_WASM_MEDIA_TYPE | COMPONENT_LAYER_MEDIA_TYPE)
}

/// The locked app among `layers`, if there is one.
pub fn locked_app(layers: &[WasmLayer]) -> anyhow::Result<Option<LockedApp>> {
    let Some(layer) = layers.iter().find(|l| l.config.media_type().to_string() == SPIN_APPLICATION_MEDIA_TYPE) else {
        return Ok(None);
    };
    let locked = LockedApp::from_json(&layer.layer)
        .with_context(|| format!("the locked app layer {} is not a Spin locked app", layer.config.digest()))?;
    Ok(Some(locked))
}

/// Whether the shim can run an image with these layers.
pub fn check(layers: &[WasmLayer]) -> anyhow::Result<()> {
    if locked_app(layers)?.is_some() {
        return Ok(());
    }
    match layers.iter().filter(|l| is_wasm(&l.config.media_type().to_string())).count() {
        1 => Ok(()),
        0 => bail!("the image has neither a Spin application layer ({SPIN_APPLICATION_MEDIA_TYPE}) nor a Wasm layer"),
        n => bail!("the image has {n} Wasm layers but no Spin application layer ({SPIN_APPLICATION_MEDIA_TYPE}) saying how to run them"),
    }
}

/// Writes the blobs into `dir` and builds the app. `engine` receives the
/// precompiled artifacts in its compile cache.
pub fn stage(layers: &[WasmLayer], dir: &Path, engine: &KilnEngine) -> anyhow::Result<App> {
    let blobs = dir.join("blobs");
    std::fs::create_dir_all(&blobs).with_context(|| format!("cannot create {}", blobs.display()))?;
    let mut paths: HashMap<String, PathBuf> = HashMap::new();
    for layer in layers {
        let media_type = layer.config.media_type().to_string();
        if media_type == SPIN_APPLICATION_MEDIA_TYPE {
            continue;
        }
        let digest = layer.config.digest().to_string();
        let hex = digest.strip_prefix("sha256:").with_context(|| format!("layer digest {digest} is not sha256"))?;
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("layer digest {digest} is not a sha256 digest");
        }
        let path = if layer.precompiled {
            let path = blobs.join(format!("{hex}.cwasm"));
            // containerd marks a layer precompiled only for content this
            // shim's compile hook produced, stored under a key holding the
            // engine's compatibility hash. Keyed by the bytes the loader will
            // read (the artifact itself); the loader's one deserialization
            // checks it suits this engine, and refuses it if not
            // (`EngineError::StalePrecompiled`), rather than compile it.
            if !engine.seed_compile_cache(&layer.layer, &layer.layer) {
                bail!("layer {digest} is precompiled but the compile cache is off");
            }
            path
        } else {
            let actual = hex::encode(Sha256::digest(&layer.layer));
            if actual != hex {
                bail!("layer {digest} holds content with digest sha256:{actual}");
            }
            blobs.join(hex)
        };
        std::fs::write(&path, &layer.layer).with_context(|| format!("cannot write {}", path.display()))?;
        paths.insert(digest, path);
    }
    let base_dir = dir.join("app");
    std::fs::create_dir_all(&base_dir).with_context(|| format!("cannot create {}", base_dir.display()))?;
    match locked_app(layers)? {
        Some(locked) => {
            let blob = |digest: &str| paths.get(digest).cloned();
            App::from_locked(&locked, &blob, base_dir).context("cannot load the application from the image")
        }
        None => {
            check(layers)?;
            let layer = layers
                .iter()
                .find(|l| is_wasm(&l.config.media_type().to_string()))
                .context("no Wasm layer")?;
            let source = &paths[&layer.config.digest().to_string()];
            // A lone component: `App::load` of a .wasm file serves it on `/...`.
            let wasm = base_dir.join("app.wasm");
            std::fs::copy(source, &wasm).with_context(|| format!("cannot write {}", wasm.display()))?;
            App::load(&wasm).context("cannot load the Wasm layer")
        }
    }
}

/// Source digests of the components the compile hook compiles: every
/// component except WAGI ones (they run as core modules, never cached).
pub fn compilable_digests(locked: &LockedApp) -> Vec<String> {
    let wagi: Vec<&str> = locked
        .triggers
        .iter()
        .filter(|t| t.trigger_type == "http" && t.trigger_config["executor"]["type"] == "wagi")
        .filter_map(|t| t.trigger_config["component"].as_str())
        .collect();
    locked
        .components
        .iter()
        .filter(|c| !wagi.contains(&c.id.as_str()) && c.source.content.inline.is_none())
        .filter_map(|c| c.source.content.digest.clone())
        .collect()
}

#[cfg(test)]
mod tests;
