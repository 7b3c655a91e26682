//! Resolving paths written in the file.
//!
//! A runtime configuration file travels with the deployment it configures,
//! so a relative path in it means "next to this file", whatever the current
//! directory of the process reading it.

use std::path::{Component, Path, PathBuf};

use crate::section::Section;
use crate::{Kind, Problem};

/// `raw` made absolute against `base` (an absolute folder), with `.`
/// segments dropped. `..` is kept: removing it lexically would be wrong
/// across symlinks.
pub fn resolve(base: &Path, raw: &str) -> PathBuf {
    let joined = base.join(raw);
    joined
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// Resolves the optional path field `key` of `section`; an empty path is an
/// error located at the value.
pub fn resolve_field<K: Kind>(
    section: &Section<'_>,
    key: &str,
    raw: Option<String>,
    base: &Path,
) -> Result<Option<PathBuf>, Problem<K>> {
    match raw {
        None => Ok(None),
        Some(raw) if raw.trim().is_empty() => Err(Problem::new(
            K::INVALID,
            section
                .value_span(key)
                .unwrap_or_else(|| section.span.clone()),
            section.field_of(key),
            "path must not be empty",
        )),
        Some(raw) => Ok(Some(resolve(base, &raw))),
    }
}

/// A table whose only field besides `type` is an optional file `path`
/// (Spin's `type = "spin"` key-value stores and SQLite databases): the
/// path, resolved against `base`.
pub fn path_only<K: Kind>(section: &Section<'_>, base: &Path) -> Result<Option<PathBuf>, Problem<K>> {
    #[derive(serde::Deserialize)]
    struct PathFields {
        path: Option<String>,
    }
    section.check_fields(&["type", "path"])?;
    let fields: PathFields = section.deserialize(&["type"])?;
    resolve_field(section, "path", fields.path, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_the_base_and_drop_dot_segments() {
        let base = Path::new("/srv/app");
        assert_eq!(resolve(base, "data.db"), PathBuf::from("/srv/app/data.db"));
        assert_eq!(
            resolve(base, "./.spin/kv.db"),
            PathBuf::from("/srv/app/.spin/kv.db")
        );
        assert_eq!(resolve(base, "../x"), PathBuf::from("/srv/app/../x"));
        assert_eq!(resolve(base, "/abs/x.db"), PathBuf::from("/abs/x.db"));
    }
}
