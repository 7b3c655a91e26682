//! On-disk cache of compiled components.
//!
//! Entries are keyed by the SHA-256 of the guest bytes and the engine's
//! compatibility hash (wasmtime version, target and every setting that
//! affects code generation), so a cache shared between Kiln builds never
//! serves a foreign artifact. Each entry also records the SHA-256 of the
//! artifact itself, checked before deserializing: a truncated or tampered file
//! is discarded and rebuilt, never loaded blindly.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

/// Numbers temporary file names within this process.
static NEXT_TMP: AtomicU64 = AtomicU64::new(0);

/// A folder of compiled components.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

/// A `std::hash::Hasher` over SHA-256, to fold wasmtime's compatibility hash
/// into the key without depending on `DefaultHasher`'s unstable algorithm.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

impl CompileCache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The default location: `$KILN_CACHE_DIR`, else `$XDG_CACHE_HOME/kiln/compiled`,
    /// else `~/.cache/kiln/compiled`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("KILN_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
        Some(base.join("kiln").join("compiled"))
    }

    fn key(engine: &wasmtime::Engine, bytes: &[u8]) -> String {
        let mut hasher = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        hasher.0.update(Sha256::digest(bytes));
        hex::encode(hasher.0.finalize())
    }

    /// Loads the component for `bytes`, compiling (with `compile`) and storing
    /// it on a miss. Cache I/O problems are logged and fall back to compiling.
    pub fn get_or_compile(
        &self,
        engine: &wasmtime::Engine,
        bytes: &[u8],
        compile: impl FnOnce() -> Result<Vec<u8>, crate::EngineError>,
    ) -> Result<Component, crate::EngineError> {
        let key = Self::key(engine, bytes);
        let artifact = self.dir.join(format!("{key}.cwasm"));
        let checksum = self.dir.join(format!("{key}.sha256"));
        if let Some(component) = self.load(engine, &artifact, &checksum) {
            return Ok(component);
        }
        let serialized = compile()?;
        self.store(&artifact, &checksum, &serialized);
        // SAFETY: `serialized` was produced by this engine a moment ago.
        unsafe { Component::deserialize(engine, &serialized) }.map_err(crate::EngineError::Compile)
    }

    /// Stores `artifact` as the entry for `bytes` (see
    /// [`crate::KilnEngine::seed_compile_cache`]).
    pub fn insert(&self, engine: &wasmtime::Engine, bytes: &[u8], artifact: &[u8]) {
        let key = Self::key(engine, bytes);
        self.store(&self.dir.join(format!("{key}.cwasm")), &self.dir.join(format!("{key}.sha256")), artifact);
    }

    fn load(&self, engine: &wasmtime::Engine, artifact: &Path, checksum: &Path) -> Option<Component> {
        let expected = std::fs::read_to_string(checksum).ok()?;
        let data = std::fs::read(artifact).ok()?;
        if hex::encode(Sha256::digest(&data)) != expected.trim() {
            tracing::warn!(path = %artifact.display(), "compile cache entry is corrupt; rebuilding");
            return None;
        }
        // SAFETY: the checksum proves these are the bytes this cache wrote,
        // and the key includes the engine's compatibility hash; wasmtime
        // additionally checks its own header.
        match unsafe { Component::deserialize(engine, &data) } {
            Ok(component) => Some(component),
            Err(err) => {
                tracing::warn!(path = %artifact.display(), "compile cache entry unusable ({err}); rebuilding");
                None
            }
        }
    }

    fn store(&self, artifact: &Path, checksum: &Path, data: &[u8]) {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            // Write-then-rename so concurrent `kiln up`s never read half a file.
            // Unique per process and call: threads compiling the same
            // component at once must not write into one temporary file.
            let unique = format!("tmp{}-{}", std::process::id(), NEXT_TMP.fetch_add(1, Ordering::Relaxed));
            let tmp = artifact.with_extension(&unique);
            std::fs::write(&tmp, data)?;
            std::fs::rename(&tmp, artifact)?;
            let tmp = checksum.with_extension(&unique);
            std::fs::write(&tmp, hex::encode(Sha256::digest(data)))?;
            std::fs::rename(&tmp, checksum)
        };
        if let Err(err) = write() {
            tracing::warn!(dir = %self.dir.display(), "cannot write compile cache: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPONENT: &str = r#"(component (core module $m (func (export "f"))))"#;

    #[test]
    fn hit_after_miss_and_corrupt_entries_are_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::new(dir.path());
        let engine = wasmtime::Engine::default();
        let bytes = wat::parse_str(COMPONENT).unwrap();
        let compile = || engine.precompile_component(&bytes).map_err(crate::EngineError::Compile);

        let mut compiled = 0;
        cache.get_or_compile(&engine, &bytes, || { compiled += 1; compile() }).unwrap();
        cache.get_or_compile(&engine, &bytes, || { compiled += 1; compile() }).unwrap();
        assert_eq!(compiled, 1, "second load is a cache hit");

        let artifact = std::fs::read_dir(dir.path()).unwrap().filter_map(Result::ok)
            .map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "cwasm")).unwrap();
        let mut data = std::fs::read(&artifact).unwrap();
        let last = data.len() - 1;
        data[last] ^= 0xff;
        std::fs::write(&artifact, data).unwrap();
        cache.get_or_compile(&engine, &bytes, || { compiled += 1; compile() }).unwrap();
        assert_eq!(compiled, 2, "corrupt entry is recompiled");
        cache.get_or_compile(&engine, &bytes, || { compiled += 1; compile() }).unwrap();
        assert_eq!(compiled, 2, "and rewritten");
    }

    #[test]
    fn an_inserted_artifact_is_loaded_without_compiling() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::new(dir.path());
        let engine = wasmtime::Engine::default();
        let bytes = wat::parse_str(COMPONENT).unwrap();
        let artifact = engine.precompile_component(&bytes).unwrap();
        cache.insert(&engine, &bytes, &artifact);
        let component = cache
            .get_or_compile(&engine, &bytes, || panic!("compiled although an artifact was inserted"))
            .unwrap();
        assert!(component.component_type().exports(&engine).next().is_none());
        let other = wat::parse_str(r#"(component)"#).unwrap();
        let mut compiled = false;
        cache.get_or_compile(&engine, &other, || { compiled = true; engine.precompile_component(&other).map_err(crate::EngineError::Compile) }).unwrap();
        assert!(compiled, "an entry only serves the bytes it was inserted for");
    }
}
