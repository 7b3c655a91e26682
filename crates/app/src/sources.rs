//! Remote component sources: `source = { url = "…", digest = "sha256:…" }`.
//!
//! The file is downloaded once into a content-addressed cache and verified
//! against its digest; a cached copy is re-verified before every use, so a
//! corrupted cache entry is fetched again instead of being run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::AppError;

/// The default download cache: `$XDG_CACHE_HOME/kiln/sources`, else
/// `~/.cache/kiln/sources`, else a folder in the temp dir.
pub fn default_cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("kiln")
        .join("sources")
}

/// Returns a local, verified copy of `url`, downloading it if needed.
/// Blocking: call it outside async contexts (or in `spawn_blocking`).
pub(crate) fn fetch(component: &str, url: &str, digest: &str, cache: &Path) -> Result<PathBuf, AppError> {
    let err = |message: String| AppError::Source { component: component.to_string(), url: url.to_string(), message };
    let expected = digest
        .strip_prefix("sha256:")
        .filter(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| err(format!("digest `{digest}` is not `sha256:<64 hex digits>`")))?
        .to_ascii_lowercase();
    let path = cache.join(format!("sha256-{expected}.wasm"));
    if let Ok(bytes) = std::fs::read(&path) {
        if hex::encode(Sha256::digest(&bytes)) == expected {
            return Ok(path);
        }
        tracing::warn!(path = %path.display(), "cached source does not match its digest; downloading again");
    }
    tracing::info!(component, url, "downloading component source");
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .map_err(|e| err(format!("cannot create HTTP client: {e}")))?;
    let response = client.get(url).send().map_err(|e| err(format!("download failed: {e}")))?;
    if !response.status().is_success() {
        return Err(err(format!("download failed: server answered {}", response.status())));
    }
    let bytes = response.bytes().map_err(|e| err(format!("download failed: {e}")))?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != expected {
        return Err(err(format!("digest mismatch: manifest says sha256:{expected}, download is sha256:{actual}")));
    }
    let io = |source| AppError::Io { path: path.clone(), source };
    std::fs::create_dir_all(cache).map_err(io)?;
    let tmp = path.with_extension(format!("part{}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// Serves `body` to `hits` requests on a local port; returns the URL.
    fn serve(body: &'static [u8], hits: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(hits) {
                let mut stream = stream.unwrap();
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(body).unwrap();
            }
        });
        format!("http://{addr}/app.wasm")
    }

    const BODY: &[u8] = b"\0asm\x01\0\0\0";

    fn digest_of(bytes: &[u8]) -> String {
        format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
    }

    #[test]
    fn downloads_verifies_and_caches() {
        let cache = tempfile::tempdir().unwrap();
        let url = serve(BODY, 1);
        let path = fetch("web", &url, &digest_of(BODY), cache.path()).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), BODY);
        // The server is gone now: the second load must come from the cache.
        let again = fetch("web", &url, &digest_of(BODY), cache.path()).unwrap();
        assert_eq!(again, path);
    }

    #[test]
    fn digest_mismatch_is_refused_and_not_cached() {
        let cache = tempfile::tempdir().unwrap();
        let url = serve(BODY, 1);
        let wrong = digest_of(b"something else");
        let err = fetch("web", &url, &wrong, cache.path()).unwrap_err().to_string();
        assert!(err.contains("digest mismatch"), "{err}");
        assert!(err.contains("component `web`"), "{err}");
        assert_eq!(std::fs::read_dir(cache.path()).map(|d| d.count()).unwrap_or(0), 0);
    }

    #[test]
    fn corrupt_cache_entry_is_fetched_again() {
        let cache = tempfile::tempdir().unwrap();
        let digest = digest_of(BODY);
        let hex = digest.trim_start_matches("sha256:");
        std::fs::write(cache.path().join(format!("sha256-{hex}.wasm")), b"tampered").unwrap();
        let url = serve(BODY, 1);
        let path = fetch("web", &url, &digest, cache.path()).unwrap();
        assert_eq!(std::fs::read(path).unwrap(), BODY);
    }

    #[test]
    fn unreachable_url_is_a_clear_error() {
        let cache = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x.wasm", listener.local_addr().unwrap());
        drop(listener);
        let err = fetch("web", &url, &digest_of(BODY), cache.path()).unwrap_err().to_string();
        assert!(err.contains("download failed"), "{err}");
        assert!(err.contains(&url), "{err}");
    }
}
