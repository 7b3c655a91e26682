//! The content-addressed cache of pulled apps.
//!
//! ```text
//! <root>/blobs/sha256/<hex>                     every layer and config, by digest
//! <root>/refs/<registry>/<repository>/<tag>/    the last pull of a reference:
//!     manifest.json, pulled.json                  OCI manifest; its digest and the locked app's
//! <root>/apps/<registry>/<repository>/<tag>/    the app's base folder (`.spin` state, logs)
//! ```
//!
//! Blobs are written to a temporary file, hashed while written, and renamed
//! into place only when the hash matches; a blob is hashed again before
//! every use, so a corrupted entry is never run.

use std::path::{Path, PathBuf};

use futures::{Stream, StreamExt};
use oci_client::Reference;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::OciError;

/// The cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// What a pull of a reference recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullRecord {
    /// The reference as given.
    pub reference: String,
    /// The manifest digest.
    pub manifest_digest: String,
    /// Digest of the locked-app blob.
    pub locked_digest: String,
}

impl Cache {
    /// A cache in `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$KILN_CACHE_DIR/registry`, else `$XDG_CACHE_HOME/kiln/registry`, else
    /// `~/.cache/kiln/registry`.
    pub fn default_root() -> PathBuf {
        if let Some(dir) = std::env::var_os("KILN_CACHE_DIR") {
            return Path::new(&dir).join("registry");
        }
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("kiln")
            .join("registry")
    }

    /// The cache folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob with `digest` lives (whether or not it is there).
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf, OciError> {
        let hex = sha256_hex(digest)?;
        Ok(self.root.join("blobs").join("sha256").join(hex))
    }

    /// The blob with `digest`, if cached and intact.
    pub fn verified_blob(&self, digest: &str) -> Option<PathBuf> {
        let path = self.blob_path(digest).ok()?;
        let mut file = std::fs::File::open(&path).ok()?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher).ok()?;
        if format!("sha256:{}", hex::encode(hasher.finalize())) == digest {
            Some(path)
        } else {
            tracing::warn!(%digest, path = %path.display(), "cached blob does not match its digest; ignoring it");
            None
        }
    }

    /// Writes a blob from `stream`, verifying it hashes to `digest` and has
    /// `size` bytes; calls `progress` with each chunk's length. Returns the
    /// number of bytes written.
    pub async fn write_blob<S, E>(
        &self,
        digest: &str,
        size: Option<u64>,
        mut stream: S,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, OciError>
    where
        S: Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let path = self.blob_path(digest)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| self.root.clone());
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OciError::Io { path, source }
        };
        tokio::fs::create_dir_all(&dir).await.map_err(io(&dir))?;
        let tmp = dir.join(format!(".{}.part{}", sha256_hex(digest)?, std::process::id()));
        let result: Result<u64, OciError> = async {
            let mut file = tokio::fs::File::create(&tmp).await.map_err(io(&tmp))?;
            let mut hasher = Sha256::new();
            let mut written = 0u64;
            let mut failure = None;
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(bytes) => {
                        hasher.update(&bytes);
                        file.write_all(&bytes).await.map_err(io(&tmp))?;
                        written += bytes.len() as u64;
                        progress(bytes.len() as u64);
                    }
                    // The client's own verification fails the last read on a
                    // mismatch: judge by our own hash below when all bytes came.
                    Err(e) => {
                        failure = Some(e.to_string());
                        break;
                    }
                }
            }
            file.flush().await.map_err(io(&tmp))?;
            let actual = format!("sha256:{}", hex::encode(hasher.finalize()));
            let complete = size.is_none_or(|s| s == written);
            if complete && actual != digest {
                return Err(OciError::DigestMismatch { digest: digest.to_string(), actual });
            }
            if let Some(message) = failure {
                return Err(OciError::Registry { registry: String::new(), message: format!("downloading {digest}: {message}") });
            }
            if !complete {
                return Err(OciError::Registry {
                    registry: String::new(),
                    message: format!("downloading {digest}: got {written} bytes, the manifest says {}", size.unwrap_or(0)),
                });
            }
            tokio::fs::rename(&tmp, &path).await.map_err(io(&path))?;
            Ok(written)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    fn ref_segments(reference: &Reference) -> PathBuf {
        let safe = |s: &str| s.replace([':', '@'], "_");
        let mut p = PathBuf::from(safe(reference.resolve_registry()));
        for part in reference.repository().split('/') {
            p.push(safe(part));
        }
        match (reference.digest(), reference.tag()) {
            (Some(d), _) => p.push(safe(d)),
            (None, Some(t)) => p.push(safe(t)),
            (None, None) => p.push("latest"),
        }
        p
    }

    /// The folder recording the last pull of `reference`.
    pub fn ref_dir(&self, reference: &Reference) -> PathBuf {
        self.root.join("refs").join(Self::ref_segments(reference))
    }

    /// The base folder (state, logs) of the app pulled as `reference`.
    pub fn app_dir(&self, reference: &Reference) -> PathBuf {
        self.root.join("apps").join(Self::ref_segments(reference))
    }

    /// Records a pull of `reference`.
    pub fn save_pull(&self, reference: &Reference, record: &PullRecord, manifest_json: &[u8]) -> Result<(), OciError> {
        let dir = self.ref_dir(reference);
        let io = |path: PathBuf| move |source| OciError::Io { path, source };
        std::fs::create_dir_all(&dir).map_err(io(dir.clone()))?;
        let manifest = dir.join("manifest.json");
        std::fs::write(&manifest, manifest_json).map_err(io(manifest.clone()))?;
        let pulled = dir.join("pulled.json");
        let text = serde_json::to_vec_pretty(record).map_err(|e| OciError::Io { path: pulled.clone(), source: e.into() })?;
        std::fs::write(&pulled, text).map_err(io(pulled.clone()))
    }

    /// The last pull of `reference`, if recorded.
    pub fn load_pull(&self, reference: &Reference) -> Option<PullRecord> {
        let bytes = std::fs::read(self.ref_dir(reference).join("pulled.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// The hex of a `sha256:<64 hex>` digest.
pub(crate) fn sha256_hex(digest: &str) -> Result<&str, OciError> {
    digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .ok_or_else(|| OciError::Registry {
            registry: String::new(),
            message: format!("digest `{digest}` is not `sha256:<64 lowercase hex digits>`"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(bytes: &[u8]) -> String {
        format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
    }

    fn stream(chunks: Vec<&'static [u8]>) -> impl Stream<Item = Result<bytes::Bytes, std::io::Error>> + Unpin {
        futures::stream::iter(chunks.into_iter().map(|c| Ok(bytes::Bytes::from_static(c))))
    }

    #[tokio::test]
    async fn verified_write_and_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let d = digest(b"hello world");
        let mut seen = 0;
        let n = cache.write_blob(&d, Some(11), stream(vec![&b"hello "[..], &b"world"[..]]), |n| seen += n).await.unwrap();
        assert_eq!((n, seen), (11, 11));
        let path = cache.verified_blob(&d).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello world");
        // Corrupt it: it is no longer served.
        std::fs::write(&path, b"hello WORLD").unwrap();
        assert!(cache.verified_blob(&d).is_none());
    }

    #[tokio::test]
    async fn mismatched_content_is_refused_and_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let d = digest(b"expected");
        let err = cache.write_blob(&d, Some(8), stream(vec![&b"tampered"[..]]), |_| {}).await.unwrap_err();
        assert!(matches!(err, OciError::DigestMismatch { .. }), "{err}");
        assert!(cache.verified_blob(&d).is_none());
        let left: Vec<_> = std::fs::read_dir(dir.path().join("blobs/sha256")).unwrap().collect();
        assert!(left.is_empty(), "partial file left behind: {left:?}");
    }

    #[test]
    fn bad_digest_is_refused() {
        let cache = Cache::new("/nonexistent");
        assert!(cache.blob_path("sha256:../../etc").is_err());
        assert!(cache.blob_path("md5:abc").is_err());
    }

    #[test]
    fn reference_folders_are_filesystem_safe() {
        let cache = Cache::new("/c");
        let r: Reference = "127.0.0.1:5000/team/app:v1".parse().unwrap();
        assert_eq!(cache.ref_dir(&r), Path::new("/c/refs/127.0.0.1_5000/team/app/v1"));
        assert_eq!(cache.app_dir(&r), Path::new("/c/apps/127.0.0.1_5000/team/app/v1"));
    }
}
