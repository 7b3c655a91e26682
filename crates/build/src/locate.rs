//! Finding the manifest that `-f` names.

use std::path::{Path, PathBuf};

/// The manifest file name looked for in a folder.
pub const MANIFEST_FILE_NAME: &str = "spin.toml";

/// Why no manifest could be found.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    /// The path does not exist.
    #[error("{0}: no such file or directory")]
    NotFound(PathBuf),
    /// A folder without a `spin.toml`.
    #[error("no {MANIFEST_FILE_NAME} in {0}")]
    NoManifest(PathBuf),
    /// The current directory could not be read.
    #[error("cannot read the current directory: {0}")]
    CurrentDir(#[source] std::io::Error),
}

/// The absolute path of the manifest `from` names: a manifest file, or a
/// folder holding `spin.toml`; `None` means the current folder.
pub fn manifest_path(from: Option<&Path>) -> Result<PathBuf, LocateError> {
    let from = from.unwrap_or(Path::new("."));
    let meta = std::fs::metadata(from).map_err(|_| LocateError::NotFound(from.to_path_buf()))?;
    // Canonical, so paths reported by the file watcher compare equal.
    let from = from
        .canonicalize()
        .map_err(|_| LocateError::NotFound(from.to_path_buf()))?;
    if meta.is_dir() {
        let manifest = from.join(MANIFEST_FILE_NAME);
        if !manifest.is_file() {
            return Err(LocateError::NoManifest(from));
        }
        return Ok(manifest);
    }
    Ok(from)
}

/// The folder a manifest's relative paths resolve against.
pub fn base_dir(manifest_path: &Path) -> PathBuf {
    manifest_path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Joins `path` to `base` and removes `.` and `..` segments without touching
/// the file system (the path may not exist yet).
pub fn resolve(base: &Path, path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in base.join(path).components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_manifest_in_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let err = manifest_path(Some(dir.path())).unwrap_err();
        assert!(err.to_string().starts_with("no spin.toml in"), "{err}");
        std::fs::write(dir.path().join("spin.toml"), "").unwrap();
        let found = manifest_path(Some(dir.path())).unwrap();
        assert_eq!(found, dir.path().canonicalize().unwrap().join("spin.toml"));
        assert_eq!(manifest_path(Some(&found)).unwrap(), found);
        let missing = dir.path().join("nope.toml");
        assert!(matches!(manifest_path(Some(&missing)), Err(LocateError::NotFound(_))));
    }

    #[test]
    fn resolve_is_lexical() {
        assert_eq!(
            resolve(Path::new("/a/b"), Path::new("./c/../d")),
            PathBuf::from("/a/b/d")
        );
        assert_eq!(resolve(Path::new("/a/b"), Path::new("/x/y")), PathBuf::from("/x/y"));
        assert_eq!(resolve(Path::new("/a/b"), Path::new("../c")), PathBuf::from("/a/c"));
    }
}
