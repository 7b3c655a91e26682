//! The error type: a [`kiln_located_error::LocatedError`] over this crate's
//! [`ErrorKind`].

/// What went wrong, broadly (shared with the runtime configuration).
pub use kiln_located_error::ErrorKind;

/// A manifest could not be read, parsed or validated.
///
/// Displays as `{file}:{line}:{column}: {field}: {message}`, leaving out
/// the parts that are unknown.
pub type ManifestError = kiln_located_error::LocatedError<ErrorKind>;

/// A located error before it is tied to a file; the parsers produce these.
pub(crate) type Problem = kiln_located_error::Problem<ErrorKind>;

pub(crate) use kiln_located_error::one_line;

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The format itself is tested in `kiln-located-error`; this pins the
    /// manifest's kinds onto it.
    #[test]
    fn kinds_map_onto_the_shared_constructors() {
        let e = ManifestError::from_problem(Path::new("s"), "x", Problem::invalid(0..1, "f", "m"));
        assert_eq!((e.kind(), e.to_string().as_str()), (ErrorKind::Invalid, "s:1:1: f: m"));
    }
}
