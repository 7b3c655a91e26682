//! Push, pull and login against one registry.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Once;

use kiln_app::locked::{LockedApp, LockedBuild};
use kiln_app::App;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::manifest::{OciDescriptor, OciImageManifest, OCI_IMAGE_MEDIA_TYPE};
use oci_client::secrets::RegistryAuth;
use oci_client::{Reference, RegistryOperation};
use futures::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

use crate::auth::{self, Credentials};
use crate::cache::{Cache, PullRecord};
use crate::progress::{human, Progress};
use crate::reference::{self, is_local, registry_of};
use crate::{
    OciError, ARCHIVE_LAYER_MEDIA_TYPE, DATA_LAYER_MEDIA_TYPE, SPIN_APPLICATION_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE,
};

/// How to talk to registries.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Plain HTTP for every registry (registries on this machine get plain
    /// HTTP without it, as Docker does for `localhost`).
    pub insecure: bool,
    /// Where pulled apps go.
    pub cache: Cache,
    /// No progress output.
    pub quiet: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self { insecure: false, cache: Cache::new(Cache::default_root()), quiet: false }
    }
}

/// A registry client for Spin applications.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    options: ClientOptions,
}

/// What a push did.
#[derive(Debug, Clone)]
pub struct PushReport {
    /// The manifest digest (`sha256:…`): pull `repo@digest` for exactly this.
    pub digest: String,
    /// Blobs uploaded.
    pub uploaded: usize,
    /// Bytes uploaded.
    pub uploaded_bytes: u64,
    /// Blobs the registry already had, not sent again.
    pub skipped: usize,
}

/// A pulled application, its blobs in the cache.
#[derive(Debug, Clone)]
pub struct PulledApp {
    /// The reference pulled.
    pub reference: Reference,
    /// The manifest digest.
    pub manifest_digest: String,
    /// The locked app.
    pub locked: LockedApp,
    /// Blobs downloaded by this pull.
    pub downloaded: usize,
    /// Bytes downloaded by this pull.
    pub downloaded_bytes: u64,
    /// Blobs that were already in the cache.
    pub cached: usize,
}

impl PulledApp {
    /// Builds the runnable app: Wasm from the cache, files staged, and the
    /// app's base folder (where `.spin` state goes) a per-reference folder
    /// in the cache. Blocking (hashes and copies files).
    pub fn to_app(&self, cache: &Cache) -> Result<App, OciError> {
        let base_dir = cache.app_dir(&self.reference);
        std::fs::create_dir_all(&base_dir).map_err(|source| OciError::Io { path: base_dir.clone(), source })?;
        let blob = |digest: &str| cache.verified_blob(digest);
        Ok(App::from_locked(&self.locked, &blob, base_dir)?)
    }
}

fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only if another provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl RegistryClient {
    /// A client with `options`.
    pub fn new(options: ClientOptions) -> Self {
        install_crypto_provider();
        Self { options }
    }

    /// The cache pulled apps go to.
    pub fn cache(&self) -> &Cache {
        &self.options.cache
    }

    fn oci(&self, registry: &str) -> oci_client::Client {
        let protocol = if self.options.insecure {
            ClientProtocol::Http
        } else if is_local(registry) {
            ClientProtocol::HttpsExcept(vec![registry.to_string()])
        } else {
            ClientProtocol::Https
        };
        // One PUT per blob rather than POST, PATCH…, PUT: fewer round trips.
        oci_client::Client::new(ClientConfig { protocol, use_monolithic_push: true, ..ClientConfig::default() })
    }

    /// Pushes a locked app (see [`kiln_app::locked::lock`]) as `reference`.
    /// Blobs the registry already holds are not uploaded again.
    pub async fn push(&self, build: &LockedBuild, reference: &str) -> Result<PushReport, OciError> {
        let image = reference::parse(reference)?;
        let registry = registry_of(&image);
        let fail = |e| OciError::from_oci(e, &registry, reference);
        let oci = self.oci(&registry);
        let auth = auth::registry_auth(&registry)?;
        oci.auth(&image, &auth, RegistryOperation::Push).await.map_err(fail)?;

        let locked_json = serde_json::to_vec(&build.locked).map_err(kiln_app::locked::LockedError::from)?;
        let locked_digest = sha256_digest(&locked_json);
        let config_json = image_config(&locked_digest);
        let config_digest = sha256_digest(&config_json);

        let mut layers: Vec<OciDescriptor> = build
            .blobs
            .iter()
            .map(|b| descriptor(if b.wasm { WASM_LAYER_MEDIA_TYPE } else { DATA_LAYER_MEDIA_TYPE }, &b.digest, b.size))
            .collect();
        layers.push(descriptor(SPIN_APPLICATION_MEDIA_TYPE, &locked_digest, locked_json.len() as u64));

        let total = build.blobs.iter().map(|b| b.size).sum::<u64>() + (locked_json.len() + config_json.len()) as u64;
        let progress = Progress::start("Pushing", reference, total, self.options.quiet);
        let mut report = PushReport { digest: String::new(), uploaded: 0, uploaded_bytes: 0, skipped: 0 };
        let mut jobs: Vec<(String, BlobSource)> =
            build.blobs.iter().map(|b| (b.digest.clone(), BlobSource::File(b.path.clone(), b.size))).collect();
        jobs.push((locked_digest.clone(), BlobSource::Bytes(locked_json)));
        jobs.push((config_digest.clone(), BlobSource::Bytes(config_json.clone())));
        // Uploads run side by side; each first asks whether the registry has it.
        let upload = |(digest, source): (String, BlobSource)| {
            let (oci, image, progress) = (&oci, &image, &progress);
            async move {
                let present = oci.blob_exists(image, &digest).await.map_err(fail)?;
                let size = if present {
                    source.size()
                } else {
                    let bytes = source.read(&digest).await?;
                    let size = bytes.len() as u64;
                    oci.push_blob(image, bytes, &digest).await.map_err(fail)?;
                    size
                };
                progress.advance(size);
                progress.blob(&digest, size, if present { "already present" } else { "uploaded" });
                Ok::<_, OciError>((present, size))
            }
        };
        let results: Vec<(bool, u64)> =
            futures::stream::iter(jobs).map(upload).buffer_unordered(PARALLEL_BLOBS).try_collect().await?;
        for (present, size) in results {
            if present {
                report.skipped += 1;
            } else {
                report.uploaded += 1;
                report.uploaded_bytes += size;
            }
        }

        let mut annotations = BTreeMap::new();
        if let Some(name) = build.locked.name() {
            annotations.insert("org.opencontainers.image.title".to_string(), name.to_string());
        }
        if let Some(version) = build.locked.metadata.get("version").and_then(|v| v.as_str()) {
            annotations.insert("org.opencontainers.image.version".to_string(), version.to_string());
        }
        let manifest = OciImageManifest {
            schema_version: 2,
            media_type: Some(OCI_IMAGE_MEDIA_TYPE.to_string()),
            config: descriptor(oci_client::manifest::IMAGE_CONFIG_MEDIA_TYPE, &config_digest, config_json.len() as u64),
            layers,
            subject: None,
            artifact_type: None,
            annotations: (!annotations.is_empty()).then_some(annotations),
        };
        let body = serde_json::to_vec(&manifest).map_err(kiln_app::locked::LockedError::from)?;
        let digest = sha256_digest(&body);
        let content_type = http::HeaderValue::from_static(OCI_IMAGE_MEDIA_TYPE);
        oci.push_manifest_raw(&image, body, content_type).await.map_err(fail)?;
        report.digest = digest;
        progress.finish(&format!(
            "Pushed {reference} ({}; {} blobs uploaded, {} already present)",
            report.digest, report.uploaded, report.skipped
        ));
        Ok(report)
    }

    /// Pulls `reference` into the cache (blobs already there are not
    /// downloaded again) and returns the app.
    pub async fn pull(&self, reference: &str) -> Result<PulledApp, OciError> {
        let image = reference::parse(reference)?;
        let registry = registry_of(&image);
        let fail = |e| OciError::from_oci(e, &registry, reference);
        let oci = self.oci(&registry);
        let auth = auth::registry_auth(&registry)?;
        let (manifest, manifest_digest) = oci.pull_image_manifest(&image, &auth).await.map_err(fail)?;

        // Spin 2 stored the locked app as the config; Spin 3 as a layer.
        let locked_desc = if manifest.config.media_type == SPIN_APPLICATION_MEDIA_TYPE {
            manifest.config.clone()
        } else {
            manifest
                .layers
                .iter()
                .find(|l| l.media_type == SPIN_APPLICATION_MEDIA_TYPE)
                .cloned()
                .ok_or_else(|| OciError::NotSpinApp {
                    reference: reference.to_string(),
                    media_type: manifest.config.media_type.clone(),
                })?
        };
        let mut wanted: Vec<&OciDescriptor> = vec![&locked_desc];
        for layer in &manifest.layers {
            if layer.media_type == ARCHIVE_LAYER_MEDIA_TYPE {
                tracing::warn!(digest = %layer.digest, "archive layers are not supported; skipping it");
                continue;
            }
            if !wanted.iter().any(|w| w.digest == layer.digest) {
                wanted.push(layer);
            }
        }
        let total = wanted.iter().map(|d| d.size.max(0) as u64).sum();
        let progress = Progress::start("Pulling", reference, total, self.options.quiet);
        let cache = &self.options.cache;
        let (mut downloaded, mut downloaded_bytes, mut cached) = (0, 0u64, 0);
        let fetch = |desc: &OciDescriptor| {
            let (oci, image, progress, registry) = (&oci, &image, &progress, &registry);
            let desc = desc.clone();
            async move {
                let size = desc.size.max(0) as u64;
                if cache.verified_blob(&desc.digest).is_some() {
                    progress.advance(size);
                    progress.blob(&desc.digest, size, "cached");
                    return Ok::<_, OciError>(None);
                }
                let stream = oci.pull_blob_stream(image, &desc).await.map_err(fail)?;
                let written = cache
                    .write_blob(&desc.digest, Some(size), stream, |n| progress.advance(n))
                    .await
                    .map_err(|e| with_registry(e, registry))?;
                progress.blob(&desc.digest, size, "downloaded");
                Ok(Some(written))
            }
        };
        let results: Vec<Option<u64>> =
            futures::stream::iter(wanted).map(fetch).buffer_unordered(PARALLEL_BLOBS).try_collect().await?;
        for written in results {
            match written {
                Some(bytes) => {
                    downloaded += 1;
                    downloaded_bytes += bytes;
                }
                None => cached += 1,
            }
        }
        let locked_path = cache.blob_path(&locked_desc.digest)?;
        let locked_bytes =
            std::fs::read(&locked_path).map_err(|source| OciError::Io { path: locked_path.clone(), source })?;
        let locked = LockedApp::from_json(&locked_bytes)?;
        let record = PullRecord {
            reference: reference.to_string(),
            manifest_digest: manifest_digest.clone(),
            locked_digest: locked_desc.digest.clone(),
        };
        let manifest_json = serde_json::to_vec_pretty(&manifest).map_err(kiln_app::locked::LockedError::from)?;
        cache.save_pull(&image, &record, &manifest_json)?;
        progress.finish(&format!(
            "Pulled {reference} ({manifest_digest}; {downloaded} blobs downloaded ({}), {cached} cached)",
            human(downloaded_bytes)
        ));
        Ok(PulledApp { reference: image, manifest_digest, locked, downloaded, downloaded_bytes, cached })
    }

    /// The last pull of `reference` from the cache, without the network.
    pub fn cached(&self, reference: &str) -> Result<PulledApp, OciError> {
        let image = reference::parse(reference)?;
        let cache = &self.options.cache;
        let record = cache.load_pull(&image).ok_or_else(|| OciError::NotCached(reference.to_string()))?;
        let path = cache.verified_blob(&record.locked_digest).ok_or_else(|| OciError::NotCached(reference.to_string()))?;
        let bytes = std::fs::read(&path).map_err(|source| OciError::Io { path: path.clone(), source })?;
        let locked = LockedApp::from_json(&bytes)?;
        if locked.digests().iter().any(|d| cache.verified_blob(d).is_none()) {
            return Err(OciError::NotCached(reference.to_string()));
        }
        Ok(PulledApp {
            reference: image,
            manifest_digest: record.manifest_digest,
            locked,
            downloaded: 0,
            downloaded_bytes: 0,
            cached: 0,
        })
    }

    /// Checks `credentials` against `server` (its token handshake, where it
    /// has one) and stores them in Kiln's credentials file.
    pub async fn login(&self, server: &str, credentials: &Credentials) -> Result<PathBuf, OciError> {
        let server = server.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
        let probe = reference::parse(&format!("{server}/kiln/login:latest"))?;
        let registry = registry_of(&probe);
        let oci = self.oci(&registry);
        let auth = RegistryAuth::Basic(credentials.username.clone(), credentials.password.clone());
        let token = oci
            .auth(&probe, &auth, RegistryOperation::Pull)
            .await
            .map_err(|e| OciError::from_oci(e, &registry, server))?;
        if token.is_none() {
            // No token handshake (basic auth, or none): the credentials are
            // only checked on use, so make one authenticated request.
            match oci.fetch_manifest_digest(&probe, &auth).await {
                Ok(_) => {}
                Err(e) => match OciError::from_oci(e, &registry, server) {
                    OciError::ManifestUnknown { .. } => {}
                    other => return Err(other),
                },
            }
        }
        auth::store(&registry, credentials)
    }
}

/// Blobs moved at once on push and pull.
const PARALLEL_BLOBS: usize = 4;

/// Where a blob to push comes from.
enum BlobSource {
    /// A local file and its size when locked; re-hashed when read (it may
    /// have changed since).
    File(PathBuf, u64),
    /// Bytes built in memory.
    Bytes(Vec<u8>),
}

impl BlobSource {
    fn size(&self) -> u64 {
        match self {
            Self::Bytes(bytes) => bytes.len() as u64,
            Self::File(_, size) => *size,
        }
    }

    async fn read(self, digest: &str) -> Result<Vec<u8>, OciError> {
        match self {
            Self::Bytes(bytes) => Ok(bytes),
            Self::File(path, _) => {
                let bytes = tokio::fs::read(&path).await.map_err(|source| OciError::Io { path: path.clone(), source })?;
                let actual = sha256_digest(&bytes);
                if actual != digest {
                    return Err(OciError::DigestMismatch { digest: digest.to_string(), actual });
                }
                Ok(bytes)
            }
        }
    }
}

fn with_registry(err: OciError, registry: &str) -> OciError {
    match err {
        OciError::Registry { registry: r, message } if r.is_empty() => {
            OciError::Registry { registry: registry.to_string(), message }
        }
        other => other,
    }
}

fn descriptor(media_type: &str, digest: &str, size: u64) -> OciDescriptor {
    OciDescriptor {
        media_type: media_type.to_string(),
        digest: digest.to_string(),
        size: size as i64,
        ..OciDescriptor::default()
    }
}

/// An OCI image config (what container runtimes expect) naming the locked
/// app's digest, so different apps never share an image id.
fn image_config(locked_digest: &str) -> Vec<u8> {
    use oci_client::config::{Architecture, Config, ConfigFile, Os};
    let labels = HashMap::from([("com.fermyon.spin.lockedAppDigest".to_string(), locked_digest.to_string())]);
    let file = ConfigFile {
        architecture: Architecture::Wasm,
        os: Os::Other("wasip1".to_string()),
        config: Some(Config { labels: Some(labels), ..Config::default() }),
        ..ConfigFile::default()
    };
    // A plain struct of strings: serialising cannot fail.
    serde_json::to_vec(&file).unwrap_or_default()
}
