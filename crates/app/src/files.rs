//! Staging a component's `files` into one directory the guest sees as `/`.
//!
//! Copying (as `spin up` does) rather than preopening each source keeps
//! overlapping destinations simple and means the guest can only ever see the
//! matched files: nothing outside the app folder is reachable through a mount.
//! Symbolic links are followed only while they stay inside the app folder, so
//! `static/passwd -> /etc/passwd` is refused rather than copied, and a link
//! cycle is copied once rather than followed forever.

use std::path::{Component, Path, PathBuf};

use kiln_manifest::FileMount;

/// Copies the files `spec` mounts into `root`.
pub(crate) fn stage(base: &Path, spec: &kiln_manifest::Component, root: &Path) -> Result<(), String> {
    std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let inside = Inside::new(base)?;
    let excluded = spec
        .exclude_files
        .iter()
        .map(|p| glob::Pattern::new(p).map_err(|e| format!("exclude_files pattern `{p}`: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let is_excluded = |rel: &Path| excluded.iter().any(|p| p.matches_path(rel));
    for mount in &spec.files {
        match mount {
            FileMount::Pattern(pattern) => {
                let full = base.join(pattern);
                let full = full.to_str().ok_or_else(|| format!("pattern `{pattern}` is not UTF-8"))?;
                let entries = glob::glob(full).map_err(|e| format!("pattern `{pattern}`: {e}"))?;
                let mut matched = false;
                for entry in entries {
                    let path = entry.map_err(|e| format!("pattern `{pattern}`: {e}"))?;
                    if !path.is_file() {
                        continue;
                    }
                    let rel = path.strip_prefix(base).map_err(|_| {
                        format!("pattern `{pattern}` matches {} outside the app folder", path.display())
                    })?;
                    check_inside(rel, pattern)?;
                    if is_excluded(rel) {
                        continue;
                    }
                    inside.check(&path)?;
                    copy(&path, &root.join(rel))?;
                    matched = true;
                }
                if !matched {
                    tracing::warn!(component = %spec.id, %pattern, "files pattern matches no files");
                }
            }
            FileMount::Placement { source, destination } => {
                let src = base.join(source);
                let dest_rel = destination.trim_start_matches('/');
                check_inside(Path::new(dest_rel), destination)?;
                let dest = root.join(dest_rel);
                if src.exists() {
                    inside.check(&src)?;
                }
                if src.is_dir() {
                    copy_dir(&src, &dest, Path::new(""), &is_excluded, &inside, &mut Vec::new())?;
                } else if src.is_file() {
                    copy(&src, &dest)?;
                } else {
                    return Err(format!("source {} does not exist", src.display()));
                }
            }
        }
    }
    Ok(())
}

fn check_inside(rel: &Path, what: &str) -> Result<(), String> {
    if rel.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(format!("`{what}` leaves the app folder"));
    }
    Ok(())
}

/// The app folder, resolved, to check where copied paths really lead.
struct Inside {
    base: PathBuf,
}

impl Inside {
    fn new(base: &Path) -> Result<Self, String> {
        let base = base.canonicalize().map_err(|e| format!("{}: {e}", base.display()))?;
        Ok(Self { base })
    }

    /// Resolves `path` (following links) and refuses it outside the app folder.
    fn check(&self, path: &Path) -> Result<PathBuf, String> {
        let real = path.canonicalize().map_err(|e| format!("{}: {e}", path.display()))?;
        if !real.starts_with(&self.base) {
            return Err(format!(
                "{} leads to {}, outside the app folder {}; files outside it are never mounted",
                path.display(),
                real.display(),
                self.base.display()
            ));
        }
        Ok(real)
    }
}

fn copy_dir(
    src: &Path,
    dest: &Path,
    rel: &Path,
    is_excluded: &dyn Fn(&Path) -> bool,
    inside: &Inside,
    ancestors: &mut Vec<PathBuf>,
) -> Result<(), String> {
    let real = inside.check(src)?;
    if ancestors.contains(&real) {
        tracing::warn!(path = %src.display(), "symbolic link cycle in files; not followed again");
        return Ok(());
    }
    ancestors.push(real);
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let entries = std::fs::read_dir(src).map_err(|e| format!("{}: {e}", src.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", src.display()))?;
        let name = entry.file_name();
        let path = entry.path();
        let rel: PathBuf = rel.join(&name);
        if is_excluded(&rel) {
            continue;
        }
        if path.is_dir() {
            copy_dir(&path, &dest.join(&name), &rel, is_excluded, inside, ancestors)?;
        } else if path.is_file() {
            inside.check(&path)?;
            copy(&path, &dest.join(&name))?;
        }
    }
    ancestors.pop();
    Ok(())
}

fn copy(src: &Path, dest: &Path) -> Result<(), String> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::copy(src, dest).map_err(|e| format!("copying {}: {e}", src.display()))?;
    Ok(())
}
