//! Rendering a template into files: `kiln new` (a whole application) and the
//! files half of `kiln add` (the component's folder).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::error::{io, Error, Result};
use crate::template::Template;

/// What a render needs besides the template: the name and parameter values.
#[derive(Debug, Clone, Default)]
pub struct RenderInput {
    /// `project-name`: the app's (or added component's) name.
    pub name: String,
    /// `authors`, e.g. `Jane Doe <jane@example.com>`; may be empty.
    pub authors: String,
    /// Parameter values, resolved with [`Template::resolve_values`].
    pub values: BTreeMap<String, String>,
}

/// Renders Liquid texts against one set of globals.
pub(crate) struct Renderer {
    template: String,
    parser: liquid::Parser,
    globals: liquid::Object,
}

impl Renderer {
    /// Globals: `project-name`, `authors`, every parameter, and
    /// `output-path` when adding a component.
    pub(crate) fn new(
        template: &Template,
        input: &RenderInput,
        output_path: Option<&str>,
    ) -> Result<Self> {
        let mut globals = liquid::Object::new();
        let mut set = |k: &str, v: &str| {
            globals.insert(
                k.to_string().into(),
                liquid::model::Value::scalar(v.to_string()),
            );
        };
        set("project-name", &input.name);
        set("authors", &input.authors);
        for (k, v) in &input.values {
            set(k, v);
        }
        if let Some(path) = output_path {
            set("output-path", path);
        }
        Ok(Renderer {
            template: template.id().to_string(),
            parser: crate::filters::template_parser(template.id())?,
            globals,
        })
    }

    /// Renders `text` (from `file`, for errors).
    pub(crate) fn render(&self, file: &str, text: &str) -> Result<String> {
        let err = |e: liquid::Error| Error::Liquid {
            template: self.template.clone(),
            file: file.to_string(),
            message: e.to_string(),
        };
        self.parser
            .parse(text)
            .map_err(err)?
            .render(&self.globals)
            .map_err(err)
    }
}

/// Renders the content files (less `skip`) into `(relative path, bytes)`.
/// A rendered path must stay inside the output folder.
pub(crate) fn render_content(
    template: &Template,
    renderer: &Renderer,
    skip: &[String],
) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    for file in &template.content {
        if skip.iter().any(|s| s == &file.path) {
            continue;
        }
        let rendered_path = renderer.render(&file.path, &file.path)?;
        let relative = safe_relative(&rendered_path).ok_or_else(|| Error::Liquid {
            template: template.id().to_string(),
            file: file.path.clone(),
            message: format!(
                "renders to `{rendered_path}`, which is not a path inside the output folder"
            ),
        })?;
        let bytes = match std::str::from_utf8(&file.bytes) {
            Ok(text) => renderer.render(&file.path, text)?.into_bytes(),
            Err(_) => file.bytes.clone(),
        };
        out.push((relative, bytes));
    }
    Ok(out)
}

/// `path` as a relative path with no `..`, root or empty parts.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    if path.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(p.to_path_buf())
}

/// How [`Template::generate`] treats what is already in the output folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// The folder must be missing or empty.
    EmptyDir,
    /// Any folder; no file the template writes may exist yet (`--init`).
    KeepExisting,
    /// Any folder; existing files are replaced (`--allow-overwrite`).
    Overwrite,
}

/// Errors with [`Error::OutputNotEmpty`] when `dir` holds anything and
/// overwriting was not allowed.
pub(crate) fn check_output_dir(dir: &Path, allow_overwrite: bool) -> Result<()> {
    if allow_overwrite || !dir.exists() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
    if entries.next().is_some() {
        return Err(Error::OutputNotEmpty {
            path: dir.to_path_buf(),
        });
    }
    Ok(())
}

/// Writes rendered files below `dir`, creating folders.
pub(crate) fn write_files(dir: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (relative, bytes) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, bytes).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}

impl Template {
    /// `kiln new`: renders the whole application into `dir` and returns the
    /// files written.
    pub fn generate(
        &self,
        input: &RenderInput,
        dir: &Path,
        mode: WriteMode,
    ) -> Result<Vec<PathBuf>> {
        if !self.metadata.supports_new() {
            return Err(Error::InvalidTemplate {
                location: self.id().to_string(),
                message: "this template can only add components (`kiln add`)".into(),
            });
        }
        check_output_dir(dir, mode != WriteMode::EmptyDir)?;
        let renderer = Renderer::new(self, input, None)?;
        let skip = self
            .metadata
            .new_application
            .as_ref()
            .map(|n| n.skip_files.clone())
            .unwrap_or_default();
        let files = render_content(self, &renderer, &skip)?;
        if mode == WriteMode::KeepExisting {
            if let Some((existing, _)) = files.iter().find(|(rel, _)| dir.join(rel).exists()) {
                return Err(Error::WouldOverwrite {
                    path: dir.join(existing),
                });
            }
        }
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        write_files(dir, &files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Origin;

    fn template(files: &[(&str, &str)]) -> Template {
        let files = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect();
        Template::from_files("test", Origin::Builtin, files).unwrap()
    }

    const META: &str = "manifest_version = \"1\"\nid = \"t\"\n[parameters]\ngreeting = { type = \"string\", prompt = \"G\", default = \"hi\" }\n";

    #[test]
    fn renders_content_and_paths() {
        let t = template(&[
            ("metadata/spin-template.toml", META),
            (
                "content/spin.toml",
                "name = \"{{project-name | kebab_case}}\"\n",
            ),
            (
                "content/src/{{project-name | snake_case}}.txt",
                "{{greeting}} {{project-name | pascal_case}}",
            ),
        ]);
        let values = t.resolve_values(&BTreeMap::new(), None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("app");
        let input = RenderInput {
            name: "My App".into(),
            authors: String::new(),
            values,
        };
        let written = t.generate(&input, &out, WriteMode::EmptyDir).unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(
            std::fs::read_to_string(out.join("spin.toml")).unwrap(),
            "name = \"my-app\"\n"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("src/my_app.txt")).unwrap(),
            "hi MyApp"
        );
        // A second run into the now non-empty folder is refused.
        let err = t.generate(&input, &out, WriteMode::EmptyDir).unwrap_err();
        assert!(matches!(err, Error::OutputNotEmpty { .. }), "{err}");
        let err = t
            .generate(&input, &out, WriteMode::KeepExisting)
            .unwrap_err();
        assert!(matches!(err, Error::WouldOverwrite { .. }), "{err}");
        std::fs::write(out.join("spin.toml"), "changed").unwrap();
        t.generate(&input, &out, WriteMode::Overwrite).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("spin.toml")).unwrap(),
            "name = \"my-app\"\n"
        );
    }

    #[test]
    fn supplied_values_override_and_are_validated() {
        let t = template(&[
            (
                "metadata/spin-template.toml",
                "manifest_version = \"1\"\nid = \"t\"\n[parameters]\nhttp-path = { type = \"string\", prompt = \"P\", default = \"/...\", pattern = \"^/\\\\S*$\" }\n",
            ),
            ("content/spin.toml", "route = \"{{http-path}}\""),
        ]);
        let mut supplied = BTreeMap::new();
        supplied.insert("http-path".to_string(), "/api/...".to_string());
        assert_eq!(
            t.resolve_values(&supplied, None).unwrap()["http-path"],
            "/api/..."
        );
        supplied.insert("http-path".to_string(), "api".to_string());
        let err = t.resolve_values(&supplied, None).unwrap_err();
        assert!(err.to_string().contains("http-path"), "{err}");
        let mut ask = |_: &str, _: &crate::Parameter| Ok("/asked".to_string());
        assert_eq!(
            t.resolve_values(&BTreeMap::new(), Some(&mut ask)).unwrap()["http-path"],
            "/asked"
        );
    }

    #[test]
    fn path_escaping_the_output_is_refused() {
        let t = template(&[
            ("metadata/spin-template.toml", META),
            ("content/{{greeting}}/x", "x"),
        ]);
        let mut values = BTreeMap::new();
        values.insert("greeting".to_string(), "..".to_string());
        let dir = tempfile::tempdir().unwrap();
        let input = RenderInput {
            name: "a".into(),
            authors: String::new(),
            values,
        };
        let err = t
            .generate(&input, &dir.path().join("o"), WriteMode::EmptyDir)
            .unwrap_err();
        assert!(err.to_string().contains("not a path inside"), "{err}");
    }

    #[test]
    fn broken_liquid_is_an_error_naming_the_file() {
        let files = vec![
            (
                "metadata/spin-template.toml".to_string(),
                META.as_bytes().to_vec(),
            ),
            ("content/bad.txt".to_string(), b"{{ unclosed".to_vec()),
        ];
        let err = Template::from_files("t", Origin::Builtin, files).unwrap_err();
        assert!(err.to_string().contains("bad.txt"), "{err}");
    }
}
