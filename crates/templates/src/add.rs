//! `kiln add`: renders a template's component into a subfolder and merges
//! its manifest snippet into an existing `spin.toml` with `toml_edit`, so the
//! file's comments, order and formatting stay as they were.

use std::path::{Component, Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table};

use crate::error::{io, Error, Result};
use crate::render::{check_output_dir, render_content, write_files, RenderInput, Renderer};
use crate::template::Template;

/// Where `kiln add` writes.
#[derive(Debug, Clone)]
pub struct AddTarget {
    /// The application's `spin.toml`.
    pub manifest: PathBuf,
    /// The component's folder (usually `<manifest dir>/<name>`); must be
    /// inside the manifest's folder.
    pub dir: PathBuf,
    /// Write into a non-empty `dir` anyway.
    pub allow_overwrite: bool,
}

impl Template {
    /// Adds the template's component to `target.manifest`: the content files
    /// (less `skip_files`) go to `target.dir`, and the `component` snippet,
    /// rendered with `output-path` = `target.dir` relative to the manifest,
    /// is merged into the manifest. Returns the files written.
    pub fn add(&self, input: &RenderInput, target: &AddTarget) -> Result<Vec<PathBuf>> {
        let add = self
            .metadata
            .add_component
            .as_ref()
            .ok_or_else(|| Error::CannotAdd(self.id().to_string()))?;
        let manifest_dir = target.manifest.parent().unwrap_or(Path::new("."));
        let output_path =
            relative_slash_path(manifest_dir, &target.dir).ok_or_else(|| Error::Manifest {
                manifest: target.manifest.clone(),
                message: format!(
                    "the component folder {} is not inside the manifest's folder",
                    target.dir.display()
                ),
            })?;
        let renderer = Renderer::new(self, input, Some(&output_path))?;
        let snippet_text = self
            .snippets
            .get("component")
            .ok_or_else(|| Error::CannotAdd(self.id().to_string()))?;
        let snippet = renderer.render("metadata/snippets/component", snippet_text)?;

        let manifest_text =
            std::fs::read_to_string(&target.manifest).map_err(io(&target.manifest))?;
        let merged = merge_component(&manifest_text, &target.manifest, &snippet)?;
        let files = render_content(self, &renderer, &add.skip_files)?;
        check_output_dir(&target.dir, target.allow_overwrite)?;
        std::fs::create_dir_all(&target.dir).map_err(io(&target.dir))?;
        let mut written = write_files(&target.dir, &files)?;
        std::fs::write(&target.manifest, merged).map_err(io(&target.manifest))?;
        written.push(target.manifest.clone());
        Ok(written)
    }
}

/// `dir` relative to `base`, with `/` separators (`.` when equal); `None`
/// when `dir` is not below `base`. Both are compared lexically after
/// making them absolute, so neither has to exist yet.
fn relative_slash_path(base: &Path, dir: &Path) -> Option<String> {
    let cwd = std::env::current_dir().ok()?;
    let base = normalize(&cwd.join(base));
    let dir = normalize(&cwd.join(dir));
    let rel = dir.strip_prefix(&base).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Merges a rendered `component` snippet (`[[trigger.KIND]]` entries,
/// `[component.ID]` tables, optionally `[variables]`) into the manifest
/// text. New tables go after everything already there, in snippet order.
pub fn merge_component(manifest_text: &str, manifest: &Path, snippet: &str) -> Result<String> {
    let manifest_err = |message: String| Error::Manifest {
        manifest: manifest.to_path_buf(),
        message,
    };
    let mut doc: DocumentMut = manifest_text
        .parse()
        .map_err(|e| manifest_err(format!("not valid TOML: {e}")))?;
    match doc.get("spin_manifest_version").and_then(Item::as_integer) {
        Some(2) => {}
        _ => {
            return Err(manifest_err(
                "`kiln add` needs a version 2 manifest (`spin_manifest_version = 2`)".into(),
            ))
        }
    }
    let mut snippet: DocumentMut = snippet.parse().map_err(|e| {
        manifest_err(format!(
            "the template's component snippet is not valid TOML: {e}"
        ))
    })?;

    // Renumber the snippet's tables to follow the manifest's, keeping their
    // order, and separate the first from what precedes it by a blank line.
    // Text after the manifest's last table (toml_edit keeps it as the
    // document's trailing text) would otherwise end up after the new tables.
    let trailing = doc.trailing().as_str().unwrap_or("").to_string();
    doc.set_trailing("");
    let mut last = 0;
    visit_tables(doc.as_table_mut(), &mut |t| {
        last = last.max(t.position().unwrap_or(0))
    });
    let mut first: Option<usize> = None;
    visit_tables(snippet.as_table_mut(), &mut |t| {
        if t.position().is_some() && !t.is_implicit() {
            first = Some(first.map_or(t.position().unwrap_or(0), |f| {
                f.min(t.position().unwrap_or(0))
            }));
        }
    });
    visit_tables(snippet.as_table_mut(), &mut |t| {
        let position = t.position().unwrap_or(0);
        if Some(position) == first && !t.is_implicit() {
            t.decor_mut().set_prefix(format!("{trailing}\n"));
        }
        t.set_position(last + 1 + position);
    });

    for (key, item) in snippet.as_table_mut().iter_mut() {
        match key.get() {
            "trigger" => {
                let kinds = item
                    .as_table_mut()
                    .ok_or_else(|| manifest_err("snippet: `trigger` is not a table".into()))?;
                for (kind, entries) in kinds.iter_mut() {
                    let entries = entries.as_array_of_tables_mut().ok_or_else(|| {
                        manifest_err(format!(
                            "snippet: `trigger.{}` is not [[trigger.{0}]]",
                            kind.get()
                        ))
                    })?;
                    let target = section(&mut doc, "trigger", manifest)?
                        .entry(kind.get())
                        .or_insert_with(|| Item::ArrayOfTables(Default::default()));
                    let target = target.as_array_of_tables_mut().ok_or_else(|| {
                        manifest_err(format!(
                            "`trigger.{}` is not an array of tables ([[trigger.{0}]])",
                            kind.get()
                        ))
                    })?;
                    for entry in entries.iter() {
                        target.push(entry.clone());
                    }
                }
            }
            "component" => {
                let components = item
                    .as_table_mut()
                    .ok_or_else(|| manifest_err("snippet: `component` is not a table".into()))?;
                for (id, table) in components.iter_mut() {
                    let target = section(&mut doc, "component", manifest)?;
                    if target.contains_key(id.get()) {
                        return Err(Error::DuplicateComponent {
                            manifest: manifest.to_path_buf(),
                            id: id.get().to_string(),
                        });
                    }
                    target.insert(id.get(), std::mem::take(table));
                }
            }
            "variables" => {
                let vars = item
                    .as_table_mut()
                    .ok_or_else(|| manifest_err("snippet: `variables` is not a table".into()))?;
                let target = section(&mut doc, "variables", manifest)?;
                for (name, value) in vars.iter_mut() {
                    if !target.contains_key(name.get()) {
                        target.insert(name.get(), std::mem::take(value));
                    }
                }
            }
            other => {
                return Err(manifest_err(format!(
                    "snippet: unsupported top-level key `{other}`"
                )))
            }
        }
    }
    Ok(doc.to_string())
}

/// The top-level table `name`, created (implicit, so no empty `[name]`
/// header is written) when missing.
fn section<'d>(doc: &'d mut DocumentMut, name: &str, manifest: &Path) -> Result<&'d mut Table> {
    let item = doc.entry(name).or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    item.as_table_mut().ok_or_else(|| Error::Manifest {
        manifest: manifest.to_path_buf(),
        message: format!("`{name}` is not a table"),
    })
}

/// Calls `f` on every table below `table` (not `table` itself), including
/// array-of-tables entries; inline tables are values, not visited.
fn visit_tables(table: &mut Table, f: &mut dyn FnMut(&mut Table)) {
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => {
                f(t);
                visit_tables(t, f);
            }
            Item::ArrayOfTables(a) => {
                for t in a.iter_mut() {
                    f(t);
                    visit_tables(t, f);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"# My app: keep this comment.
spin_manifest_version = 2

[application]
name = "app"   # trailing comment

# The first component.
[[trigger.http]]
route = "/first/..."
component = "first"

[component.first]
source = "first.wasm"
"#;

    const SNIPPET: &str = r#"[[trigger.http]]
route = "/second/..."
component = "second"

[component.second]
source = "second/target/second.wasm"
[component.second.build]
command = "cargo build"
workdir = "second"
"#;

    #[test]
    fn merge_keeps_comments_and_appends_in_order() {
        let merged = merge_component(MANIFEST, Path::new("spin.toml"), SNIPPET).unwrap();
        assert!(
            merged.starts_with(MANIFEST),
            "existing text must be unchanged:\n{merged}"
        );
        let added = &merged[MANIFEST.len()..];
        assert_eq!(added, format!("\n{SNIPPET}"), "{merged}");
        let doc: DocumentMut = merged.parse().unwrap();
        assert_eq!(
            doc["trigger"]["http"].as_array_of_tables().unwrap().len(),
            2
        );
        assert_eq!(
            doc["component"]["second"]["build"]["workdir"].as_str(),
            Some("second")
        );
    }

    #[test]
    fn merge_into_manifest_without_components() {
        let manifest = "spin_manifest_version = 2\n\n[application]\nname = \"empty\"\n\n# Add components here.\n";
        let merged = merge_component(manifest, Path::new("spin.toml"), SNIPPET).unwrap();
        assert!(merged.starts_with(manifest), "{merged}");
        let doc: DocumentMut = merged.parse().unwrap();
        assert_eq!(
            doc["component"]["second"]["source"].as_str(),
            Some("second/target/second.wasm")
        );
        assert!(
            !merged.contains("[trigger]") && !merged.contains("[component]\n"),
            "{merged}"
        );
    }

    #[test]
    fn duplicate_component_is_rejected() {
        let snippet = SNIPPET.replace("second", "first");
        let err = merge_component(MANIFEST, Path::new("app/spin.toml"), &snippet).unwrap_err();
        assert!(
            matches!(err, Error::DuplicateComponent { ref id, .. } if id == "first"),
            "{err}"
        );
        assert!(err.to_string().contains("app/spin.toml"), "{err}");
    }

    #[test]
    fn version_1_manifest_is_rejected() {
        let err = merge_component(
            "spin_manifest_version = \"1\"\nname = \"x\"\n",
            Path::new("spin.toml"),
            SNIPPET,
        )
        .unwrap_err();
        assert!(err.to_string().contains("version 2"), "{err}");
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_slash_path(Path::new("/a/b"), Path::new("/a/b/c/d")).as_deref(),
            Some("c/d")
        );
        assert_eq!(
            relative_slash_path(Path::new("/a/b"), Path::new("/a/b")).as_deref(),
            Some(".")
        );
        assert_eq!(
            relative_slash_path(Path::new("/a/b"), Path::new("/a/x")),
            None
        );
        assert_eq!(
            relative_slash_path(Path::new("/a/b"), Path::new("/a/b/../c")),
            None
        );
    }
}
