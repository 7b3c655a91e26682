//! Errors of template loading, rendering and installing.

use std::path::PathBuf;

/// What can go wrong with a template.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No built-in or installed template has this id.
    #[error("no template `{id}`; known templates: {}", known.join(", "))]
    UnknownTemplate {
        /// The id asked for.
        id: String,
        /// Every known id.
        known: Vec<String>,
    },
    /// A template's `metadata/spin-template.toml` is invalid.
    #[error("template {location}: {message}")]
    InvalidTemplate {
        /// The template folder or id.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A Liquid template (a content file, a snippet or a path) failed.
    #[error("template `{template}`, file {file}: {message}")]
    Liquid {
        /// Template id.
        template: String,
        /// The file (or path) being rendered.
        file: String,
        /// Liquid's message.
        message: String,
    },
    /// A parameter value is missing or does not fit the parameter.
    #[error("parameter `{name}`: {message}")]
    InvalidValue {
        /// Parameter name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The output folder exists and is not empty.
    #[error("{} already exists and is not empty (pass --allow-overwrite to write into it anyway)", path.display())]
    OutputNotEmpty {
        /// The folder.
        path: PathBuf,
    },
    /// A file the template writes exists already.
    #[error("{} already exists (pass --allow-overwrite to replace it)", path.display())]
    WouldOverwrite {
        /// The file.
        path: PathBuf,
    },
    /// The template cannot be used with `kiln add`.
    #[error("template `{0}` has no component to add (it can only create a new application)")]
    CannotAdd(String),
    /// The manifest already has a component with this id.
    #[error("{}: a component `{id}` already exists", manifest.display())]
    DuplicateComponent {
        /// The manifest file.
        manifest: PathBuf,
        /// The component id.
        id: String,
    },
    /// The manifest cannot take the component.
    #[error("{}: {message}", manifest.display())]
    Manifest {
        /// The manifest file.
        manifest: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A template with this id is installed already.
    #[error("template `{0}` is already installed (pass --upgrade to replace it)")]
    AlreadyInstalled(String),
    /// An installed template may not take a built-in template's id.
    #[error("template `{0}` is built in and cannot be replaced by an installed one")]
    BuiltinClash(String),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Maps an I/O error to [`Error::Io`] naming `path`.
pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
