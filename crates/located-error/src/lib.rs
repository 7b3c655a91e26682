//! Errors located in a TOML file: `{file}:{line}:{column}: {field}: {message}`.
//!
//! Parsers produce a [`Problem`] (a byte span, a field path and a message);
//! [`LocatedError::from_problem`] turns the span into a line and column once,
//! at the edge, so parsers never deal with file names or line counting. The
//! manifest and the runtime configuration share [`ErrorKind`]; the kind is
//! generic ([`Kind`]) so another file format can bring its own.
//!
//! [`section`] and [`paths`] are the helpers for typed TOML tables (a
//! `type` picked from a table of supported names, unknown keys pointing at
//! the key, paths resolved next to the file) that the runtime configuration
//! and the capability crates parsing their own sections share.
//!
//! This crate holds no parsing rules of its own and knows no file format
//! beyond TOML spans and serde paths.

mod located;
pub mod paths;
mod problem;
pub mod section;

pub use located::{line_column, LocatedError};
pub use problem::{one_line, Problem};

/// The categories every located-error kind enum must offer, so the shared
/// constructors can pick one.
pub trait Kind: Copy + std::fmt::Debug + Send + Sync + 'static {
    /// The file could not be read.
    const IO: Self;
    /// The text is not valid TOML.
    const SYNTAX: Self;
    /// A field is unknown, missing or of the wrong type.
    const SCHEMA: Self;
    /// The file is well-formed but a value breaks a rule.
    const INVALID: Self;
    /// A `type` or section Spin knows and Kiln does not implement.
    const UNSUPPORTED: Self;
}

/// The kinds the manifest and the runtime configuration report: what went
/// wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be read, or its folder could not be made absolute.
    Io,
    /// The text is not valid TOML.
    Syntax,
    /// The manifest's `spin_manifest_version` is missing or unsupported.
    Version,
    /// A field is unknown, missing or of the wrong type.
    Schema,
    /// A store or provider `type`, or a whole section, that Spin knows but
    /// Kiln does not implement.
    Unsupported,
    /// The file is well-formed but a value breaks a rule (a bad route, a
    /// missing component, an empty path, a URL that does not parse, ...).
    Invalid,
}

impl Kind for ErrorKind {
    const IO: Self = Self::Io;
    const SYNTAX: Self = Self::Syntax;
    const SCHEMA: Self = Self::Schema;
    const INVALID: Self = Self::Invalid;
    const UNSUPPORTED: Self = Self::Unsupported;
}
