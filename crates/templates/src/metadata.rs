//! `metadata/spin-template.toml`: Spin's template metadata, manifest version 1.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::error::{Error, Result};

/// A template's metadata.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// Always `"1"`.
    pub manifest_version: String,
    /// The id used with `-t`.
    pub id: String,
    /// One line shown by `kiln templates list`.
    #[serde(default)]
    pub description: Option<String>,
    /// Free-form tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Settings for `kiln new`.
    #[serde(default)]
    pub new_application: Option<NewApplication>,
    /// Settings for `kiln add`; absent when the template cannot be added.
    #[serde(default)]
    pub add_component: Option<AddComponent>,
    /// Parameters in declaration order (the prompt order).
    #[serde(default)]
    pub parameters: IndexMap<String, Parameter>,
}

/// `[new_application]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// `false` when the template is only for `kiln add`.
    #[serde(default = "yes")]
    pub supported: bool,
    /// Content files left out of a new application.
    #[serde(default)]
    pub skip_files: Vec<String>,
}

/// `[add_component]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddComponent {
    /// Content files left out when adding (the template's own `spin.toml`).
    #[serde(default)]
    pub skip_files: Vec<String>,
    /// Snippet files in `metadata/snippets/`, by kind; `component` is the
    /// manifest text (trigger + component) merged into the app's manifest.
    #[serde(default)]
    pub snippets: IndexMap<String, String>,
}

fn yes() -> bool {
    true
}

/// One `[parameters]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Only `"string"` is supported, as in Spin.
    #[serde(rename = "type")]
    pub data_type: String,
    /// The question asked interactively.
    pub prompt: String,
    /// Value taken without asking (`--accept-defaults`, no terminal).
    #[serde(default)]
    pub default: Option<String>,
    /// A regular expression the value must match.
    #[serde(default)]
    pub pattern: Option<String>,
    /// The only values allowed, when given.
    #[serde(default)]
    pub allowed_values: Option<Vec<String>>,
}

impl Parameter {
    /// Checks `value` against the pattern and allowed values.
    pub fn validate(&self, name: &str, value: &str) -> Result<()> {
        if let Some(allowed) = &self.allowed_values {
            if !allowed.iter().any(|a| a == value) {
                return Err(Error::InvalidValue {
                    name: name.to_string(),
                    message: format!("`{value}` is not one of: {}", allowed.join(", ")),
                });
            }
        }
        if let Some(pattern) = &self.pattern {
            let re = regex::Regex::new(pattern).map_err(|e| Error::InvalidValue {
                name: name.to_string(),
                message: format!("the template's pattern is invalid: {e}"),
            })?;
            if !re.is_match(value) {
                return Err(Error::InvalidValue {
                    name: name.to_string(),
                    message: format!("`{value}` does not match the pattern {pattern}"),
                });
            }
        }
        Ok(())
    }
}

impl Metadata {
    /// Parses and checks `text`, read from `location` (for errors).
    pub fn parse(text: &str, location: &str) -> Result<Self> {
        let invalid = |message: String| Error::InvalidTemplate {
            location: location.to_string(),
            message,
        };
        let metadata: Metadata = toml::from_str(text)
            .map_err(|e| invalid(format!("metadata/spin-template.toml: {e}")))?;
        if metadata.manifest_version != "1" {
            return Err(invalid(format!(
                "metadata/spin-template.toml: manifest_version `{}` is not supported (only \"1\")",
                metadata.manifest_version
            )));
        }
        if !valid_id(&metadata.id) {
            return Err(invalid(format!(
                "metadata/spin-template.toml: id `{}` must be letters, digits, `-` and `_`",
                metadata.id
            )));
        }
        for (name, parameter) in &metadata.parameters {
            if parameter.data_type != "string" {
                return Err(invalid(format!(
                    "metadata/spin-template.toml: parameter `{name}` has type `{}`; only \"string\" is supported",
                    parameter.data_type
                )));
            }
            if let Some(pattern) = &parameter.pattern {
                regex::Regex::new(pattern).map_err(|e| {
                    invalid(format!(
                        "metadata/spin-template.toml: parameter `{name}`: bad pattern: {e}"
                    ))
                })?;
            }
            if let Some(default) = &parameter.default {
                parameter
                    .validate(name, default)
                    .map_err(|e| invalid(format!("default of {e}")))?;
            }
        }
        Ok(metadata)
    }

    /// Whether `kiln new` may use the template.
    pub fn supports_new(&self) -> bool {
        self.new_application.as_ref().is_none_or(|n| n.supported)
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parameters_in_order() {
        let m = Metadata::parse(
            r#"manifest_version = "1"
id = "t"
description = "d"
[add_component]
skip_files = ["spin.toml"]
[add_component.snippets]
component = "component.txt"
[parameters]
zeta = { type = "string", prompt = "Z", default = "z" }
alpha = { type = "string", prompt = "A", default = "/...", pattern = "^/\\S*$" }
"#,
            "t",
        )
        .unwrap();
        assert_eq!(m.parameters.keys().collect::<Vec<_>>(), ["zeta", "alpha"]);
        assert_eq!(
            m.add_component.unwrap().snippets["component"],
            "component.txt"
        );
        assert!(m.parameters["alpha"].validate("alpha", "no-slash").is_err());
        assert!(m.parameters["alpha"].validate("alpha", "/api/...").is_ok());
    }

    #[test]
    fn rejects_bad_metadata() {
        let err = Metadata::parse("manifest_version = \"2\"\nid = \"t\"\n", "dir").unwrap_err();
        assert!(err.to_string().contains("manifest_version"), "{err}");
        let err = Metadata::parse("manifest_version = \"1\"\nid = \"../x\"\n", "dir").unwrap_err();
        assert!(err.to_string().contains("id"), "{err}");
        let err = Metadata::parse(
            "manifest_version = \"1\"\nid = \"t\"\n[parameters]\np = { type = \"string\", prompt = \"P\", default = \"x\", pattern = \"^/\" }\n",
            "dir",
        )
        .unwrap_err();
        assert!(err.to_string().contains("pattern"), "{err}");
        let err = Metadata::parse("manifest_version = \"1\"\nid = \"t\"\nbogus = 1\n", "dir")
            .unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }
}
