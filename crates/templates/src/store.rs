//! Where templates come from: built into Kiln, or installed by the user into
//! the templates folder (`$KILN_DATA_DIR/templates`, else
//! `$XDG_DATA_HOME/kiln/templates`, else `~/.local/share/kiln/templates`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{io, Error, Result};
use crate::template::{Origin, Template};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_templates.rs"));
}

/// The built-in template ids, sorted.
pub fn builtin_ids() -> Vec<&'static str> {
    let mut ids: Vec<&str> = builtin::FILES.iter().map(|(id, _, _)| *id).collect();
    ids.dedup();
    ids
}

/// Loads built-in template `id`.
pub fn builtin(id: &str) -> Option<Result<Template>> {
    let files: Vec<(String, Vec<u8>)> = builtin::FILES
        .iter()
        .filter(|(t, _, _)| *t == id)
        .map(|(_, path, bytes)| (path.to_string(), bytes.to_vec()))
        .collect();
    (!files.is_empty()).then(|| Template::from_files(id, Origin::Builtin, files))
}

/// The default user templates folder, from the environment.
pub fn default_user_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = env("KILN_DATA_DIR") {
        return Some(dir.join("templates"));
    }
    if let Some(dir) = env("XDG_DATA_HOME") {
        return Some(dir.join("kiln/templates"));
    }
    env("HOME").map(|h| h.join(".local/share/kiln/templates"))
}

/// One line of `kiln templates list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Template id.
    pub id: String,
    /// Description.
    pub description: String,
    /// Whether it is installed (not built in).
    pub installed: bool,
}

/// Built-in templates plus those installed in one folder.
#[derive(Debug, Clone)]
pub struct TemplateStore {
    user_dir: Option<PathBuf>,
}

impl TemplateStore {
    /// A store whose installed templates live in `user_dir` (`None`: only
    /// the built-in ones).
    pub fn new(user_dir: Option<PathBuf>) -> Self {
        TemplateStore { user_dir }
    }

    /// The folder installed templates go to.
    pub fn user_dir(&self) -> Option<&Path> {
        self.user_dir.as_deref()
    }

    /// Installed template folders by id. A broken one is logged and skipped.
    fn installed(&self) -> BTreeMap<String, PathBuf> {
        let mut out = BTreeMap::new();
        let Some(dir) = &self.user_dir else {
            return out;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return out;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.join("metadata/spin-template.toml").is_file() && !name.starts_with('.') {
                out.insert(name, path);
            }
        }
        out
    }

    /// Every template: built-in first, then installed, each sorted by id.
    pub fn list(&self) -> Vec<Summary> {
        let mut out = Vec::new();
        for id in builtin_ids() {
            match builtin(id) {
                Some(Ok(t)) => out.push(Summary {
                    id: id.into(),
                    description: t.description().into(),
                    installed: false,
                }),
                Some(Err(e)) => tracing::warn!("built-in template {id}: {e}"),
                None => {}
            }
        }
        for (id, path) in self.installed() {
            match Template::from_dir(&path, Origin::Installed(path.clone())) {
                Ok(t) => out.push(Summary {
                    id,
                    description: t.description().into(),
                    installed: true,
                }),
                Err(e) => tracing::warn!("installed template {}: {e}", path.display()),
            }
        }
        out
    }

    /// The template `id`, or [`Error::UnknownTemplate`] listing the known ones.
    pub fn get(&self, id: &str) -> Result<Template> {
        if let Some(t) = builtin(id) {
            return t;
        }
        if let Some(path) = self.installed().get(id) {
            return Template::from_dir(path, Origin::Installed(path.clone()));
        }
        Err(Error::UnknownTemplate {
            id: id.to_string(),
            known: self.list().into_iter().map(|s| s.id).collect(),
        })
    }

    /// Installs the template in `source` (a folder holding
    /// `metadata/spin-template.toml`), or every template in its subfolders
    /// (or in its `templates/` subfolder, Spin's repository layout). Each is
    /// validated first; an installed id is replaced only with `upgrade`.
    /// Returns the ids installed.
    pub fn install(&self, source: &Path, upgrade: bool) -> Result<Vec<String>> {
        let user_dir = self
            .user_dir
            .as_ref()
            .ok_or_else(|| Error::InvalidTemplate {
                location: source.display().to_string(),
                message: "no templates folder: set KILN_DATA_DIR or HOME".into(),
            })?;
        let dirs = template_dirs(source)?;
        // Validate all before copying any.
        let mut templates = Vec::new();
        for dir in dirs {
            let template = Template::from_dir(&dir, Origin::Installed(dir.clone()))?;
            let id = template.id().to_string();
            if builtin(&id).is_some() {
                return Err(Error::BuiltinClash(id));
            }
            if user_dir.join(&id).exists() && !upgrade {
                return Err(Error::AlreadyInstalled(id));
            }
            templates.push((id, dir));
        }
        std::fs::create_dir_all(user_dir).map_err(io(user_dir))?;
        let mut ids = Vec::new();
        for (id, dir) in templates {
            let dest = user_dir.join(&id);
            // Copy beside the destination, then swap, so a failed copy never
            // leaves half a template installed.
            let staging = user_dir.join(format!(".{id}.installing"));
            if staging.exists() {
                std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
            }
            for sub in ["content", "metadata"] {
                if dir.join(sub).is_dir() {
                    copy_dir(&dir.join(sub), &staging.join(sub))?;
                }
            }
            if dest.exists() {
                std::fs::remove_dir_all(&dest).map_err(io(&dest))?;
            }
            std::fs::rename(&staging, &dest).map_err(io(&dest))?;
            tracing::info!("installed template {id} into {}", dest.display());
            ids.push(id);
        }
        Ok(ids)
    }
}

/// The template folders in `source`.
fn template_dirs(source: &Path) -> Result<Vec<PathBuf>> {
    if source.join("metadata/spin-template.toml").is_file() {
        return Ok(vec![source.to_path_buf()]);
    }
    let root = if source.join("templates").is_dir() {
        source.join("templates")
    } else {
        source.to_path_buf()
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map_err(io(&root))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("metadata/spin-template.toml").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(Error::InvalidTemplate {
            location: source.display().to_string(),
            message:
                "no template here: expected metadata/spin-template.toml in it or in its subfolders"
                    .into(),
        });
    }
    Ok(dirs)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &dest)?;
        } else {
            std::fs::copy(&path, &dest).map_err(io(&path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED: [&str; 7] = [
        "http-empty",
        "http-js",
        "http-py",
        "http-rust",
        "redis-rust",
        "static-fileserver",
        "wagi-rust",
    ];

    #[test]
    fn every_builtin_template_loads() {
        assert_eq!(builtin_ids(), EXPECTED);
        for id in EXPECTED {
            let t = builtin(id).unwrap().unwrap();
            assert_eq!(t.id(), id);
            assert!(!t.description().is_empty(), "{id} has no description");
            assert_eq!(t.supports_add(), id != "http-empty", "{id}");
        }
    }

    #[test]
    fn static_fileserver_carries_the_server_source() {
        let t = builtin("static-fileserver").unwrap().unwrap();
        let paths: Vec<&str> = t.content.iter().map(|f| f.path.as_str()).collect();
        assert!(paths.contains(&"fileserver/src/main.rs"), "{paths:?}");
        assert!(paths.contains(&"fileserver/Cargo.toml"), "{paths:?}");
    }

    #[test]
    fn unknown_template_lists_known_ones() {
        let store = TemplateStore::new(None);
        let err = store.get("http-cobol").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("http-cobol") && text.contains("http-rust") && text.contains("wagi-rust"),
            "{text}"
        );
    }

    fn write_template(dir: &Path, id: &str, description: &str) {
        std::fs::create_dir_all(dir.join("metadata")).unwrap();
        std::fs::create_dir_all(dir.join("content")).unwrap();
        std::fs::write(
            dir.join("metadata/spin-template.toml"),
            format!("manifest_version = \"1\"\nid = \"{id}\"\ndescription = \"{description}\"\n"),
        )
        .unwrap();
        std::fs::write(
            dir.join("content/spin.toml"),
            "name = \"{{project-name}}\"\n",
        )
        .unwrap();
    }

    #[test]
    fn install_list_get_and_upgrade() {
        let src = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let store = TemplateStore::new(Some(data.path().join("templates")));
        write_template(&src.path().join("templates/mine"), "mine", "first");
        assert_eq!(store.install(src.path(), false).unwrap(), ["mine"]);
        let listed = store.list();
        assert!(listed.contains(&Summary {
            id: "mine".into(),
            description: "first".into(),
            installed: true
        }));
        assert_eq!(store.get("mine").unwrap().description(), "first");

        write_template(&src.path().join("templates/mine"), "mine", "second");
        let err = store.install(src.path(), false).unwrap_err();
        assert!(matches!(err, Error::AlreadyInstalled(_)), "{err}");
        store
            .install(&src.path().join("templates/mine"), true)
            .unwrap();
        assert_eq!(store.get("mine").unwrap().description(), "second");
    }

    #[test]
    fn install_rejects_invalid_and_builtin_ids() {
        let src = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let store = TemplateStore::new(Some(data.path().join("templates")));
        write_template(src.path(), "http-rust", "clash");
        assert!(matches!(
            store.install(src.path(), true).unwrap_err(),
            Error::BuiltinClash(_)
        ));

        let bad = tempfile::tempdir().unwrap();
        write_template(bad.path(), "bad", "broken");
        std::fs::write(bad.path().join("content/x.txt"), "{% if %}").unwrap();
        let err = store.install(bad.path(), false).unwrap_err();
        assert!(err.to_string().contains("x.txt"), "{err}");
        assert!(!data.path().join("templates/bad").exists());

        let empty = tempfile::tempdir().unwrap();
        assert!(store
            .install(empty.path(), false)
            .unwrap_err()
            .to_string()
            .contains("no template here"));
    }
}
