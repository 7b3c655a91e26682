//! A local OCI registry for the tests that push and pull: Debian's
//! `docker-registry` (the CNCF distribution server), started on a free port
//! by `scripts/registry.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::repo_root;

/// A running local registry, stopped on drop.
pub struct Registry {
    /// Its storage and configuration folder.
    pub dir: tempfile::TempDir,
    /// `127.0.0.1:PORT`, where it listens (plain HTTP).
    pub addr: String,
}

impl Registry {
    /// Starts a registry open to anyone, or returns `None` (after printing
    /// why) when docker-registry is not installed, outside CI; under
    /// `CI=true` that panics instead.
    pub fn start() -> Option<Registry> {
        Self::start_with(None)
    }

    /// [`Self::start`], requiring basic auth when `htpasswd` is given.
    pub fn start_with(htpasswd: Option<&Path>) -> Option<Registry> {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/registry.sh"))
            .arg("start")
            .arg(dir.path())
            .args(htpasswd)
            .output()
            .expect("run scripts/registry.sh");
        if out.status.code() == Some(3) {
            let why = String::from_utf8_lossy(&out.stderr);
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{why} (CI requires it)");
            }
            eprintln!("SKIPPED: {why}");
            return None;
        }
        assert!(out.status.success(), "registry.sh failed: {}", String::from_utf8_lossy(&out.stderr));
        let addr = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Some(Registry { dir, addr })
    }

    /// `ADDR/repo` (`repo` may carry a tag).
    pub fn reference(&self, repo: &str) -> String {
        format!("{}/{repo}", self.addr)
    }

    /// The stored file of the blob with `digest`.
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir.path().join(format!("data/docker/registry/v2/blobs/sha256/{}/{hex}/data", &hex[..2]))
    }

    /// How many blobs it stores.
    pub fn blob_count(&self) -> usize {
        let root = self.dir.path().join("data/docker/registry/v2/blobs/sha256");
        std::fs::read_dir(root)
            .map(|d| d.flatten().map(|p| std::fs::read_dir(p.path()).map(|e| e.count()).unwrap_or(0)).sum())
            .unwrap_or(0)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo_root().join("scripts/registry.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}
