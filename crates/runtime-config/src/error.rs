//! The error type: a [`kiln_located_error::LocatedError`] over this crate's
//! [`ErrorKind`].
//!
//! Parsing code produces [`Problem`]s, which carry a byte span into the
//! file's text; `RuntimeConfigError::from_problem` turns the span into a
//! line and column once, at the edge.

/// What went wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be read, or its folder could not be made absolute.
    Io,
    /// The text is not valid TOML.
    Syntax,
    /// A field is unknown, missing or of the wrong type.
    Schema,
    /// A store or provider `type`, or a whole section, that Spin knows but
    /// Kiln does not implement.
    Unsupported,
    /// The file is well-formed but a value breaks a rule (an empty path, a
    /// URL that does not parse, ...).
    Invalid,
}

impl kiln_located_error::Kind for ErrorKind {
    const IO: Self = Self::Io;
    const SYNTAX: Self = Self::Syntax;
    const SCHEMA: Self = Self::Schema;
    const INVALID: Self = Self::Invalid;
    const UNSUPPORTED: Self = Self::Unsupported;
}

/// A runtime configuration file could not be read or parsed.
///
/// Displays as `{file}:{line}:{column}: {field}: {message}`, leaving out
/// the parts that are unknown.
pub type RuntimeConfigError = kiln_located_error::LocatedError<ErrorKind>;

/// A located error before it is tied to a file; the parsers produce these.
pub type Problem = kiln_located_error::Problem<ErrorKind>;
