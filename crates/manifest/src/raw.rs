//! Serde shapes shared by manifest versions 1 and 2.
//!
//! Checks that need nothing but the value itself run during
//! deserialization (via `try_from` or hand-written visitors), so toml and
//! `serde_path_to_error` attach the line and field path for free.

use std::fmt;
use std::marker::PhantomData;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde::de::{self, value::MapAccessDeserializer, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use crate::model::{
    ComponentBuild, ComponentDependency, ComponentSource, FileMount, HttpExecutor, StaticResponse,
    Variable, WagiConfig,
};
use crate::{outbound, validate};

/// A value that is either a string or a table, decoded by `from_str` /
/// `from_map`. Hand-written so errors keep their spans and say what was
/// expected (serde's untagged enums lose both).
pub(crate) trait StringOrTable: Sized {
    const EXPECTING: &'static str;
    fn from_str<E: de::Error>(s: &str) -> Result<Self, E>;
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

pub(crate) struct StringOrTableVisitor<T>(pub(crate) PhantomData<T>);

impl<'de, T: StringOrTable> Visitor<'de> for StringOrTableVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::from_str(v)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
}

/// Implements `Deserialize` for a [`StringOrTable`] type.
macro_rules! string_or_table {
    ($ty:ty) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any($crate::raw::StringOrTableVisitor::<$ty>(std::marker::PhantomData))
            }
        }
    };
}
pub(crate) use string_or_table;

/// A validated component or trigger id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct Id(pub String);

impl TryFrom<String> for Id {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        validate::check_id(&s).map(|()| Self(s))
    }
}

/// A validated variable name (application or component variable).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct VarName(pub String);

impl TryFrom<String> for VarName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        validate::check_variable_name(&s).map(|()| Self(s))
    }
}

/// A component variable value: a template whose placeholders are
/// well-formed. References are checked against the application's
/// variables later.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct Template {
    pub text: String,
    pub references: Vec<String>,
}

impl TryFrom<String> for Template {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let references = validate::template_references(&text)?;
        Ok(Self { text, references })
    }
}

/// A syntactically valid `allowed_outbound_hosts` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct OutboundHost(pub String);

impl TryFrom<String> for OutboundHost {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        outbound::validate_entry(&s)
            .map(|()| Self(s))
            .map_err(|e| e.to_string())
    }
}

/// An `allowed_http_hosts` entry, already mapped to outbound entries.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct HttpHost(pub Vec<String>);

impl TryFrom<String> for HttpHost {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        outbound::from_allowed_http_host(&s)
            .map(Self)
            .map_err(|e| e.to_string())
    }
}

/// A validated dependency name (WIT package or interface).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct DependencyName(pub String);

impl TryFrom<String> for DependencyName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        validate::check_dependency_name(&s).map(|()| Self(s))
    }
}

/// A validated HTTP route path (not a private route).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct RoutePath(pub String);

impl TryFrom<String> for RoutePath {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        validate::check_route(&s).map(|()| Self(s))
    }
}

/// An application variable declaration.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "VariableTable")]
pub(crate) struct RawVariable(pub Variable);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariableTable {
    default: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    secret: bool,
}

impl TryFrom<VariableTable> for RawVariable {
    type Error = &'static str;
    fn try_from(t: VariableTable) -> Result<Self, Self::Error> {
        if t.required && t.default.is_some() {
            return Err(
                "a variable cannot have both `default` and `required = true`; remove one of them",
            );
        }
        Ok(Self(Variable {
            default: t.default,
            required: t.required,
            secret: t.secret,
        }))
    }
}

/// `source = "path.wasm"`, `{ url, digest }` or `{ registry?, package, version }`.
#[derive(Debug, Clone)]
pub(crate) struct RawSource(pub ComponentSource);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceTable {
    url: Option<String>,
    digest: Option<String>,
    registry: Option<String>,
    package: Option<String>,
    version: Option<String>,
}

impl StringOrTable for RawSource {
    const EXPECTING: &'static str =
        "a path string, a table `{ url, digest }`, or a table `{ registry (optional), package, version }`";

    fn from_str<E: de::Error>(s: &str) -> Result<Self, E> {
        if s.trim().is_empty() {
            return Err(E::custom("source path must not be empty"));
        }
        Ok(Self(ComponentSource::Local(PathBuf::from(s))))
    }

    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let t = SourceTable::deserialize(MapAccessDeserializer::new(map))?;
        let source = match t {
            SourceTable {
                url: Some(url),
                digest: Some(digest),
                registry: None,
                package: None,
                version: None,
            } => {
                validate::check_digest(&digest).map_err(de::Error::custom)?;
                ComponentSource::Remote { url, digest }
            }
            SourceTable {
                url: Some(_),
                digest: None,
                registry: None,
                package: None,
                version: None,
            } => {
                return Err(de::Error::custom(
                    "a `url` source also needs `digest = \"sha256:...\"`",
                ))
            }
            SourceTable {
                url: None,
                digest: None,
                registry,
                package: Some(package),
                version: Some(version),
            } => ComponentSource::Registry {
                registry,
                package,
                version,
            },
            _ => {
                return Err(de::Error::custom(format!(
                    "invalid source table: expected {}",
                    <Self as StringOrTable>::EXPECTING
                )))
            }
        };
        Ok(Self(source))
    }
}
string_or_table!(RawSource);

/// A `files` entry: a glob pattern or `{ source, destination }`.
#[derive(Debug, Clone)]
pub(crate) struct RawFileMount(pub FileMount);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlacementTable {
    source: String,
    destination: String,
}

impl StringOrTable for RawFileMount {
    const EXPECTING: &'static str = "a glob pattern string or a table `{ source, destination }`";
    fn from_str<E: de::Error>(s: &str) -> Result<Self, E> {
        Ok(Self(FileMount::Pattern(s.to_string())))
    }
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let PlacementTable {
            source,
            destination,
        } = PlacementTable::deserialize(MapAccessDeserializer::new(map))?;
        if !destination.starts_with('/') {
            return Err(de::Error::custom(format!(
                "file destination `{destination}` must be an absolute guest path (e.g. `/{destination}`)"
            )));
        }
        Ok(Self(FileMount::Placement {
            source,
            destination,
        }))
    }
}
string_or_table!(RawFileMount);

/// A string or an array of strings (`build.command`).
#[derive(Debug, Clone, Default)]
pub(crate) struct StringList(pub Vec<String>);

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StringList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StringList, E> {
                Ok(StringList(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StringList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(StringList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[component.<id>.build]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBuild {
    command: StringList,
    workdir: Option<PathBuf>,
    #[serde(default)]
    watch: Vec<String>,
}

impl From<RawBuild> for ComponentBuild {
    fn from(b: RawBuild) -> Self {
        Self {
            command: b.command.0,
            workdir: b.workdir,
            watch: b.watch,
        }
    }
}

/// `executor = { type = "http" | "spin" | "wagi", argv?, entrypoint? }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "ExecutorTable")]
pub(crate) struct RawExecutor(pub HttpExecutor);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecutorTable {
    #[serde(rename = "type")]
    kind: String,
    argv: Option<String>,
    entrypoint: Option<String>,
}

impl TryFrom<ExecutorTable> for RawExecutor {
    type Error = String;
    fn try_from(t: ExecutorTable) -> Result<Self, String> {
        match t.kind.as_str() {
            "http" | "spin" if t.argv.is_none() && t.entrypoint.is_none() => {
                Ok(Self(HttpExecutor::Http))
            }
            "http" | "spin" => Err(format!(
                "`argv` and `entrypoint` apply only to `type = \"wagi\"`, not `{}`",
                t.kind
            )),
            "wagi" => {
                let defaults = WagiConfig::default();
                Ok(Self(HttpExecutor::Wagi(WagiConfig {
                    argv: t.argv.unwrap_or(defaults.argv),
                    entrypoint: t.entrypoint.unwrap_or(defaults.entrypoint),
                })))
            }
            other => Err(format!(
                "unknown executor type `{other}`, expected `http` or `wagi`"
            )),
        }
    }
}

/// `static_response = { status_code?, headers?, body? }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "StaticResponseTable")]
pub(crate) struct RawStaticResponse(pub StaticResponse);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaticResponseTable {
    status_code: Option<u16>,
    #[serde(default)]
    headers: IndexMap<String, String>,
    body: Option<String>,
}

impl TryFrom<StaticResponseTable> for RawStaticResponse {
    type Error = String;
    fn try_from(t: StaticResponseTable) -> Result<Self, String> {
        let status_code = t.status_code.unwrap_or(200);
        if !(100..=599).contains(&status_code) {
            return Err(format!(
                "status_code {status_code} is not an HTTP status (100-599)"
            ));
        }
        Ok(Self(StaticResponse {
            status_code,
            headers: t.headers,
            body: t.body,
        }))
    }
}

/// A dependency: a version string or a table in one of the documented forms.
#[derive(Debug, Clone)]
pub(crate) struct RawDependency(pub ComponentDependency);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DependencyTable {
    version: Option<String>,
    registry: Option<String>,
    package: Option<String>,
    path: Option<PathBuf>,
    url: Option<String>,
    digest: Option<String>,
    component: Option<Id>,
    export: Option<String>,
}

impl StringOrTable for RawDependency {
    const EXPECTING: &'static str = "a version string, or a table `{ version, registry?, package?, export? }`, \
                                     `{ path, export? }`, `{ url, digest, export? }` or `{ component, export? }`";

    fn from_str<E: de::Error>(s: &str) -> Result<Self, E> {
        Ok(Self(ComponentDependency::Package {
            version: s.to_string(),
            registry: None,
            package: None,
            export: None,
        }))
    }

    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let t = DependencyTable::deserialize(MapAccessDeserializer::new(map))?;
        let export = t.export;
        let dep = match (t.version, t.path, t.url, t.component) {
            (Some(version), None, None, None) if t.digest.is_none() => {
                ComponentDependency::Package {
                    version,
                    registry: t.registry,
                    package: t.package,
                    export,
                }
            }
            (None, Some(path), None, None)
                if t.registry.is_none() && t.package.is_none() && t.digest.is_none() =>
            {
                ComponentDependency::Local { path, export }
            }
            (None, None, Some(url), None) if t.registry.is_none() && t.package.is_none() => {
                let digest = t
                    .digest
                    .ok_or_else(|| de::Error::custom("a `url` dependency also needs `digest`"))?;
                validate::check_digest(&digest).map_err(de::Error::custom)?;
                ComponentDependency::Http {
                    url,
                    digest,
                    export,
                }
            }
            (None, None, None, Some(component))
                if t.registry.is_none() && t.package.is_none() && t.digest.is_none() =>
            {
                ComponentDependency::AppComponent {
                    component: component.0,
                    export,
                }
            }
            _ => {
                return Err(de::Error::custom(format!(
                    "invalid dependency table: expected {}",
                    <Self as StringOrTable>::EXPECTING
                )))
            }
        };
        Ok(Self(dep))
    }
}
string_or_table!(RawDependency);

/// Component fields common to both versions, already validated, ready to
/// become a [`crate::Component`].
pub(crate) struct ComponentParts {
    pub description: Option<String>,
    pub source: RawSource,
    pub files: Vec<RawFileMount>,
    pub exclude_files: Vec<String>,
    pub environment: IndexMap<String, String>,
    pub variables: IndexMap<VarName, Spanned<Template>>,
    pub allowed_outbound_hosts: Vec<OutboundHost>,
    pub allowed_http_hosts: Vec<HttpHost>,
    pub key_value_stores: Vec<String>,
    pub sqlite_databases: Vec<String>,
    pub ai_models: Vec<String>,
    pub build: Option<RawBuild>,
}
