//! `kiln-oci` against a real registry (Debian's `docker-registry`, started
//! by `scripts/registry.sh`): artifacts in both Spin layouts, foreign
//! artifacts refused. Without docker-registry the tests skip with a message,
//! except under `CI=true`, where they fail.

use std::path::Path;

use kiln_app::locked::{ContentRef, LockedApp, LockedComponent, LockedSource, LockedTrigger};
use kiln_oci::{Cache, ClientOptions, OciError, RegistryClient, SPIN_APPLICATION_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE};
use kiln_test_support::Registry;
use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::secrets::RegistryAuth;

fn raw_client() -> oci_client::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    oci_client::Client::new(ClientConfig { protocol: ClientProtocol::Http, ..ClientConfig::default() })
}

fn kiln_client(cache: &Path) -> RegistryClient {
    RegistryClient::new(ClientOptions { insecure: true, cache: Cache::new(cache), quiet: true })
}

/// A tiny valid component-model-less module, enough to pull and stage.
const WASM: &[u8] = b"\0asm\x01\0\0\0 a module padded past any inline limit ..............................................................";

fn locked_app(wasm_digest: &str) -> LockedApp {
    LockedApp {
        spin_lock_version: 0,
        must_understand: Vec::new(),
        metadata: serde_json::json!({ "name": "spin2-style" }).as_object().cloned().unwrap_or_default(),
        host_requirements: Default::default(),
        variables: Default::default(),
        triggers: vec![LockedTrigger {
            id: "t".into(),
            trigger_type: "http".into(),
            trigger_config: serde_json::json!({ "route": "/...", "component": "c" }),
        }],
        components: vec![LockedComponent {
            id: "c".into(),
            metadata: Default::default(),
            source: LockedSource {
                content_type: "application/wasm".into(),
                content: ContentRef { digest: Some(wasm_digest.into()), ..ContentRef::default() },
            },
            env: Default::default(),
            files: Vec::new(),
            config: Default::default(),
            dependencies: Default::default(),
            host_requirements: Default::default(),
        }],
    }
}

#[tokio::test]
async fn reads_spin2_layout_with_the_locked_app_as_config() {
    let Some(registry) = Registry::start() else { return };
    let reference = format!("{}/spin2:v1", registry.addr);
    let image: oci_client::Reference = reference.parse().unwrap();
    let wasm = ImageLayer::new(WASM.to_vec(), WASM_LAYER_MEDIA_TYPE.to_string(), None);
    let locked = serde_json::to_vec(&locked_app(&wasm.sha256_digest())).unwrap();
    let config = Config::new(locked, SPIN_APPLICATION_MEDIA_TYPE.to_string(), None);
    raw_client().push(&image, &[wasm], config, &RegistryAuth::Anonymous, None).await.unwrap();

    let cache = tempfile::tempdir().unwrap();
    let client = kiln_client(cache.path());
    let pulled = client.pull(&reference).await.unwrap();
    assert_eq!(pulled.locked.name(), Some("spin2-style"));
    assert_eq!(pulled.downloaded, 2);
    let app = pulled.to_app(client.cache()).unwrap();
    assert_eq!(std::fs::read(&app.components[0].source).unwrap(), WASM);
    assert!(app.base_dir.starts_with(cache.path()));

    // The cached copy loads without the network.
    drop(registry);
    let cached = client.cached(&reference).unwrap();
    assert_eq!(cached.manifest_digest, pulled.manifest_digest);
}

#[tokio::test]
async fn a_container_image_is_not_a_spin_app() {
    let Some(registry) = Registry::start() else { return };
    let reference = format!("{}/container:v1", registry.addr);
    let image: oci_client::Reference = reference.parse().unwrap();
    let layer = ImageLayer::oci_v1(b"not a tarball, but a layer all the same".to_vec(), None);
    let config = Config::oci_v1(br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec(), None);
    raw_client().push(&image, &[layer], config, &RegistryAuth::Anonymous, None).await.unwrap();

    let cache = tempfile::tempdir().unwrap();
    let err = kiln_client(cache.path()).pull(&reference).await.unwrap_err();
    assert!(matches!(err, OciError::NotSpinApp { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("is not a Spin application") && text.contains("application/vnd.oci.image.config.v1+json"), "{text}");
}

#[tokio::test]
async fn unknown_tag_and_uncached_reference() {
    let Some(registry) = Registry::start() else { return };
    let cache = tempfile::tempdir().unwrap();
    let client = kiln_client(cache.path());
    let reference = format!("{}/nothing:here", registry.addr);
    let err = client.pull(&reference).await.unwrap_err();
    assert!(matches!(err, OciError::ManifestUnknown { .. }), "{err}");
    let err = client.cached(&reference).unwrap_err();
    assert!(matches!(err, OciError::NotCached(_)), "{err}");
}
