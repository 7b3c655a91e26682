use std::str::FromStr;

use kiln_engine::EngineConfig;
use oci_spec::image::{Descriptor, Digest as OciDigest, MediaType};

use super::*;
use crate::compiler::KilnCompiler;

const COMPONENT: &str = r#"(component (core module (func (export "f"))))"#;
const MODULE: &str = r#"(module (func (export "_start")))"#;

fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn layer(media_type: &str, bytes: Vec<u8>) -> WasmLayer {
    let digest = OciDigest::from_str(&digest_of(&bytes)).unwrap();
    WasmLayer {
        config: Descriptor::new(MediaType::Other(media_type.to_string()), bytes.len() as u64, digest),
        precompiled: false,
        layer: bytes,
    }
}

/// An image like `kiln registry push` writes: an HTTP component, a WAGI
/// module, a data file and the locked app naming them.
fn image() -> Vec<WasmLayer> {
    let component = wat::parse_str(COMPONENT).unwrap();
    let module = wat::parse_str(MODULE).unwrap();
    let data = b"static file".to_vec();
    let locked = serde_json::json!({
        "spin_lock_version": 1,
        "metadata": { "name": "shop" },
        "triggers": [
            { "id": "t1", "trigger_type": "http", "trigger_config": { "route": "/...", "component": "api" } },
            { "id": "t2", "trigger_type": "http", "trigger_config": { "route": "/cgi/...", "component": "cgi", "executor": { "type": "wagi" } } },
        ],
        "components": [
            { "id": "api", "source": { "content_type": "application/wasm", "digest": digest_of(&component) },
              "files": [ { "digest": digest_of(&data), "path": "data/file.txt" } ] },
            { "id": "cgi", "source": { "content_type": "application/wasm", "digest": digest_of(&module) } },
        ],
    });
    vec![
        layer(WASM_LAYER_MEDIA_TYPE, component),
        layer(WASM_LAYER_MEDIA_TYPE, module),
        layer(DATA_LAYER_MEDIA_TYPE, data),
        layer(SPIN_APPLICATION_MEDIA_TYPE, serde_json::to_vec(&locked).unwrap()),
    ]
}

fn engine(cache: &Path) -> KilnEngine {
    KilnEngine::new(EngineConfig { cache_dir: Some(cache.to_path_buf()), pooling: false, ..EngineConfig::default() }).unwrap()
}

#[test]
fn an_image_stages_into_the_app_it_locks() {
    let dir = tempfile::tempdir().unwrap();
    let layers = image();
    let app = stage(&layers, dir.path(), &engine(&dir.path().join("compiled"))).unwrap();
    let ids: Vec<_> = app.components.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["api", "cgi"]);
    let api = &app.components[0];
    assert_eq!(std::fs::read(&api.source).unwrap(), layers[0].layer);
    assert_eq!(app.base_dir, dir.path().join("app"));
}

#[test]
fn content_that_does_not_match_its_digest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut layers = image();
    layers[0].layer.push(0);
    let err = stage(&layers, dir.path(), &engine(&dir.path().join("compiled"))).unwrap_err();
    assert!(format!("{err:#}").contains("holds content with digest"), "{err:#}");
}

#[test]
fn the_compile_hook_compiles_components_only_and_its_artifacts_load_without_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let mut layers = image();
    let compiler = KilnCompiler::new().unwrap();
    let compiled = compiler.compile_layers(&layers).unwrap();
    assert_eq!(compiled.len(), layers.len());
    assert!(compiled[0].is_some(), "the HTTP component is compiled");
    assert!(compiled[1].is_none(), "WAGI modules run as core modules: not compiled");
    assert!(compiled[2].is_none() && compiled[3].is_none(), "data and the locked app stay");
    // containerd hands the artifact back in place of the original layer.
    layers[0].layer = compiled[0].clone().unwrap();
    layers[0].precompiled = true;
    let engine = KilnEngine::new(EngineConfig { cache_dir: Some(dir.path().join("compiled")), ..EngineConfig::default() }).unwrap();
    let app = stage(&layers, dir.path(), &engine).unwrap();
    let bytes = std::fs::read(&app.components[0].source).unwrap();
    assert!(!bytes.starts_with(b"\0asm"), "the staged source is the native artifact");
    // Loading it as Wasm would fail: it can only come from the cache.
    engine.load_component(&bytes).expect("the artifact loads from the compile cache");
    let uncached = KilnEngine::new(EngineConfig { cache_dir: None, ..EngineConfig::default() }).unwrap();
    assert!(uncached.load_component(&bytes).is_err(), "an artifact is never compiled as Wasm");
}

#[test]
fn a_precompiled_layer_for_another_engine_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut layers = image();
    let other = wasmtime::Engine::new(wasmtime::Config::new().wasm_component_model(true)).unwrap();
    layers[0].layer = other.precompile_component(&layers[0].layer).unwrap();
    layers[0].precompiled = true;
    let engine = engine(&dir.path().join("compiled"));
    let app = stage(&layers, dir.path(), &engine).unwrap();
    let bytes = std::fs::read(&app.components[0].source).unwrap();
    let err = engine.load_component(&bytes).unwrap_err();
    assert!(matches!(err, kiln_engine::EngineError::StalePrecompiled), "{err}");
    assert!(err.to_string().contains("pull it again"), "{err}");
}

#[test]
fn a_lone_wasm_layer_is_an_app_and_other_shapes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let lone = vec![layer("application/wasm", wat::parse_str(COMPONENT).unwrap())];
    check(&lone).unwrap();
    let app = stage(&lone, dir.path(), &engine(&dir.path().join("compiled"))).unwrap();
    assert_eq!(app.components.len(), 1);
    assert_eq!(app.http_triggers().len(), 1);

    let two = vec![lone[0].clone(), layer("application/wasm", wat::parse_str(MODULE).unwrap())];
    assert!(format!("{:#}", check(&two).unwrap_err()).contains("2 Wasm layers"));
    let data_only = vec![layer(DATA_LAYER_MEDIA_TYPE, b"x".to_vec())];
    assert!(format!("{:#}", check(&data_only).unwrap_err()).contains("neither"));
}
