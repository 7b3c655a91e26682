//! Parsing and validation of Spin application manifests (`spin.toml`).
//!
//! [`parse_file`] and [`parse_str`] accept manifest version 2
//! (`spin_manifest_version = 2`) and version 1
//! (`spin_manifest_version = "1"`, or the older `spin_version = "1"`) and
//! return one normalised model, [`AppManifest`], shaped like version 2.
//!
//! Every problem is reported as a [`ManifestError`] naming the file, the
//! line and column, the dotted field path (`trigger.http[1].route`) and what
//! was expected. Unknown fields are errors in both versions.
//!
//! Validation covers: component and trigger ids, HTTP routes, variable
//! names and `{{ variable }}` references, `default`/`required` exclusivity,
//! `allowed_outbound_hosts` syntax (see [`outbound`]), source digests, and
//! references from triggers and dependencies to components.
//!
//! # Inline components
//!
//! A trigger may define its component inline (`component = { source = ... }`).
//! Such components are hoisted into [`AppManifest::components`], after the
//! declared ones, and the trigger refers to them by a generated id:
//!
//! - `<trigger-id>-component` when the trigger has an `id`;
//! - otherwise `<trigger-type>-trigger<n>-component`, where `n` is the
//!   trigger's 1-based position among triggers of its type (so the second
//!   `[[trigger.http]]` gives `http-trigger2-component`);
//! - if that id is already taken, the smallest number from 2 that makes it
//!   unique is appended (`http-trigger2-component2`).
//!
//! # Version 1
//!
//! Version 1 manifests are mapped as Spin maps them: top-level `name`,
//! `version`, `description` and `authors` become [`ApplicationDetails`];
//! each component's `[component.trigger]` becomes an HTTP trigger (its
//! `route` joined to the app trigger's `base`), a Redis trigger, or a raw
//! plugin trigger; `config` becomes component `variables`; and components
//! are granted `redis://*:*`, `mysql://*:*` and `postgres://*:*`, which
//! version 1 allowed without declaration. In both versions
//! `allowed_http_hosts` entries are mapped onto `allowed_outbound_hosts`
//! (see [`outbound::from_allowed_http_host`]).

mod component;
mod error;
mod model;
pub mod outbound;
mod raw;
mod v1;
mod v2;
pub mod validate;

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

pub use error::{ErrorKind, ManifestError};
pub use model::*;

use error::Problem;

/// Reads and parses the manifest at `path`.
///
/// A file that cannot be read gives an [`ErrorKind::Io`] error naming
/// `path`.
pub fn parse_file(path: &Path) -> Result<AppManifest, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|e| ManifestError::io(path, "cannot read manifest", e))?;
    parse_str(&text, path)
}

/// Parses manifest text; `file` is used only in error messages.
pub fn parse_str(text: &str, file: &Path) -> Result<AppManifest, ManifestError> {
    parse_text(text).map_err(|problem| ManifestError::from_problem(file, text, problem))
}

fn parse_text(text: &str) -> Result<AppManifest, Problem> {
    match detect_version(text)? {
        Version::V1 => v1::normalise(deserialize_document(text)?),
        Version::V2 => v2::normalise(deserialize_document(text)?),
    }
}

enum Version {
    V1,
    V2,
}

/// Just the version keys; parsing this also reports TOML syntax errors.
#[derive(Deserialize)]
struct VersionProbe {
    spin_manifest_version: Option<Spanned<toml::Value>>,
    spin_version: Option<Spanned<toml::Value>>,
}

const SUPPORTED: &str =
    "supported are `spin_manifest_version = 2` and `spin_manifest_version = \"1\"`";

fn detect_version(text: &str) -> Result<Version, Problem> {
    let probe: VersionProbe = toml::from_str(text).map_err(|e| Problem {
        kind: ErrorKind::Syntax,
        span: e.span(),
        field: None,
        message: error::one_line(e.message()),
    })?;
    let (key, value) = match (probe.spin_manifest_version, probe.spin_version) {
        (Some(v), _) => ("spin_manifest_version", v),
        (None, Some(v)) => ("spin_version", v),
        (None, None) => {
            return Err(Problem {
                kind: ErrorKind::Version,
                span: None,
                field: Some("spin_manifest_version".into()),
                message: format!("missing manifest version; {SUPPORTED}"),
            })
        }
    };
    let span = value.span();
    let message = match value.into_inner() {
        toml::Value::Integer(2) if key == "spin_manifest_version" => return Ok(Version::V2),
        toml::Value::String(s) if s == "1" => return Ok(Version::V1),
        toml::Value::Integer(1) => return Ok(Version::V1),
        toml::Value::String(s) if s == "2" => {
            "version 2 is written as the integer `spin_manifest_version = 2`, not a string"
                .to_string()
        }
        other => format!("unsupported manifest version `{other}`; {SUPPORTED}"),
    };
    Err(Problem {
        kind: ErrorKind::Version,
        span: Some(span),
        field: Some(key.into()),
        message,
    })
}

/// Deserializes the whole document, keeping field paths and spans.
fn deserialize_document<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Problem> {
    serde_path_to_error::deserialize(toml::Deserializer::new(text))
        .map_err(|e| Problem::from_serde(e, None, |_| None, None))
}

#[cfg(test)]
mod tests;
