//! A loaded template: its metadata, content files and snippets, in memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{io, Error, Result};
use crate::metadata::{Metadata, Parameter};

/// Where a template came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into Kiln.
    Builtin,
    /// Installed with `kiln templates install`, in this folder.
    Installed(PathBuf),
}

/// A content file, by its path below `content/` (with `/` separators).
#[derive(Debug, Clone)]
pub struct ContentFile {
    /// Path below `content/`; may hold Liquid (`{{files-path}}/index.html`).
    pub path: String,
    /// The bytes; UTF-8 files are rendered with Liquid, others copied.
    pub bytes: Vec<u8>,
}

/// Asks for a parameter's value interactively (given its name and definition).
pub type Ask<'a> = &'a mut dyn FnMut(&str, &Parameter) -> Result<String>;

/// A template ready to render.
#[derive(Debug, Clone)]
pub struct Template {
    /// Parsed `metadata/spin-template.toml`.
    pub metadata: Metadata,
    /// Where it came from.
    pub origin: Origin,
    pub(crate) content: Vec<ContentFile>,
    /// Snippet texts by kind (`component`).
    pub(crate) snippets: BTreeMap<String, String>,
}

impl Template {
    /// Builds a template from its files: `(path in the template folder, bytes)`
    /// such as `metadata/spin-template.toml` or `content/src/lib.rs`. Checks
    /// the metadata, the snippets and every Liquid text.
    pub fn from_files(
        location: &str,
        origin: Origin,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<Self> {
        let invalid = |message: String| Error::InvalidTemplate {
            location: location.to_string(),
            message,
        };
        let mut metadata_text = None;
        let mut content = Vec::new();
        let mut snippet_files = BTreeMap::new();
        for (path, bytes) in files {
            if path == "metadata/spin-template.toml" {
                metadata_text = Some(
                    String::from_utf8(bytes)
                        .map_err(|_| invalid("metadata/spin-template.toml is not UTF-8".into()))?,
                );
            } else if let Some(rel) = path.strip_prefix("content/") {
                content.push(ContentFile {
                    path: rel.to_string(),
                    bytes,
                });
            } else if let Some(rel) = path.strip_prefix("metadata/snippets/") {
                snippet_files.insert(rel.to_string(), bytes);
            }
        }
        let metadata_text =
            metadata_text.ok_or_else(|| invalid("no metadata/spin-template.toml".into()))?;
        let metadata = Metadata::parse(&metadata_text, location)?;
        let mut snippets = BTreeMap::new();
        if let Some(add) = &metadata.add_component {
            for (kind, file) in &add.snippets {
                let bytes = snippet_files.get(file).ok_or_else(|| {
                    invalid(format!(
                        "snippet `{kind}` names metadata/snippets/{file}, which is missing"
                    ))
                })?;
                let text = String::from_utf8(bytes.clone())
                    .map_err(|_| invalid(format!("metadata/snippets/{file} is not UTF-8")))?;
                snippets.insert(kind.clone(), text);
            }
            if !snippets.contains_key("component") {
                return Err(invalid(
                    "[add_component.snippets] has no `component` snippet".into(),
                ));
            }
        }
        if content.is_empty() && metadata.supports_new() {
            return Err(invalid("no files in content/".into()));
        }
        let template = Template {
            metadata,
            origin,
            content,
            snippets,
        };
        template.check_liquid()?;
        Ok(template)
    }

    /// Reads a template folder (`content/`, `metadata/`).
    pub fn from_dir(dir: &Path, origin: Origin) -> Result<Self> {
        let mut files = Vec::new();
        for sub in ["content", "metadata"] {
            let root = dir.join(sub);
            if root.is_dir() {
                collect(&root, &format!("{sub}/"), &mut files)?;
            }
        }
        Self::from_files(&dir.display().to_string(), origin, files)
    }

    /// The template id.
    pub fn id(&self) -> &str {
        &self.metadata.id
    }

    /// The one-line description.
    pub fn description(&self) -> &str {
        self.metadata.description.as_deref().unwrap_or("")
    }

    /// Parameters in prompt order.
    pub fn parameters(&self) -> impl Iterator<Item = (&str, &Parameter)> {
        self.metadata
            .parameters
            .iter()
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Whether `kiln add` can use it.
    pub fn supports_add(&self) -> bool {
        self.metadata.add_component.is_some()
    }

    /// Resolves every parameter: a `supplied` value (from `-v` or a values
    /// file) first, else `ask` (interactive prompt, given the default), else
    /// the default. Each value is validated; unknown supplied names are
    /// logged and ignored, as Spin does.
    pub fn resolve_values(
        &self,
        supplied: &BTreeMap<String, String>,
        mut ask: Option<Ask<'_>>,
    ) -> Result<BTreeMap<String, String>> {
        for name in supplied.keys() {
            if !self.metadata.parameters.contains_key(name) {
                tracing::warn!(
                    "template `{}` has no parameter `{name}`; value ignored",
                    self.id()
                );
            }
        }
        let mut values = BTreeMap::new();
        for (name, parameter) in self.parameters() {
            let value = match (supplied.get(name), ask.as_mut(), &parameter.default) {
                (Some(v), _, _) => v.clone(),
                (None, Some(ask), _) => ask(name, parameter)?,
                (None, None, Some(default)) => default.clone(),
                (None, None, None) => {
                    return Err(Error::InvalidValue {
                        name: name.to_string(),
                        message: format!("no value and no default: pass -v {name}=VALUE"),
                    })
                }
            };
            parameter.validate(name, &value)?;
            values.insert(name.to_string(), value);
        }
        Ok(values)
    }

    /// Compiles every Liquid text once so a broken template fails at install.
    fn check_liquid(&self) -> Result<()> {
        let parser = crate::filters::template_parser(self.id())?;
        let check = |file: &str, text: &str| {
            parser.parse(text).map(|_| ()).map_err(|e| Error::Liquid {
                template: self.id().to_string(),
                file: file.to_string(),
                message: e.to_string(),
            })
        };
        for file in &self.content {
            check(&file.path, &file.path)?;
            if let Ok(text) = std::str::from_utf8(&file.bytes) {
                check(&file.path, text)?;
            }
        }
        for (kind, text) in &self.snippets {
            check(&format!("snippet {kind}"), text)?;
        }
        Ok(())
    }
}

/// Appends every file below `dir` as `(prefix + relative path, bytes)`.
pub(crate) fn collect(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<std::result::Result<_, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            collect(&path, &format!("{prefix}{name}/"), out)?;
        } else {
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            out.push((format!("{prefix}{name}"), bytes));
        }
    }
    Ok(())
}
