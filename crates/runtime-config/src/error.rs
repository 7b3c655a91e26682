//! The error type: a [`kiln_located_error::LocatedError`] over this crate's
//! [`ErrorKind`].
//!
//! Parsing code produces [`Problem`]s, which carry a byte span into the
//! file's text; `RuntimeConfigError::from_problem` turns the span into a
//! line and column once, at the edge.

/// What went wrong, broadly (shared with the manifest).
pub use kiln_located_error::ErrorKind;

/// A runtime configuration file could not be read or parsed.
///
/// Displays as `{file}:{line}:{column}: {field}: {message}`, leaving out
/// the parts that are unknown.
pub type RuntimeConfigError = kiln_located_error::LocatedError<ErrorKind>;

/// A located error before it is tied to a file; the parsers produce these.
pub type Problem = kiln_located_error::Problem<ErrorKind>;
