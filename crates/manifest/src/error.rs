//! The error type, and the internal `Problem` it is built from.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// What went wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be read.
    Io,
    /// The text is not valid TOML.
    Syntax,
    /// `spin_manifest_version` is missing or unsupported.
    Version,
    /// A field is unknown, missing or of the wrong type.
    Schema,
    /// The manifest is well-formed but breaks a rule (bad route, missing
    /// component, ...).
    Invalid,
}

/// A manifest could not be read, parsed or validated.
///
/// Displays as `{file}:{line}:{column}: {field}: {message}`, leaving out
/// the parts that are unknown.
#[derive(Debug, thiserror::Error)]
pub struct ManifestError {
    kind: ErrorKind,
    file: PathBuf,
    line: Option<usize>,
    column: Option<usize>,
    field: Option<String>,
    message: String,
    #[source]
    io: Option<std::io::Error>,
}

impl ManifestError {
    /// The broad category of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The manifest file the error is about.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// 1-based line, when the error can be located.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// 1-based column (in characters), when the error can be located.
    pub fn column(&self) -> Option<usize> {
        self.column
    }

    /// Dotted path of the offending field, e.g. `trigger.http[1].route`.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// What was wrong and what was expected, without location.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn io(file: &Path, err: std::io::Error) -> Self {
        Self {
            kind: ErrorKind::Io,
            file: file.to_path_buf(),
            line: None,
            column: None,
            field: None,
            message: format!("cannot read manifest: {err}"),
            io: Some(err),
        }
    }

    pub(crate) fn from_problem(file: &Path, text: &str, problem: Problem) -> Self {
        let (line, column) = match problem.span {
            Some(span) => {
                let (l, c) = line_column(text, span.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Self {
            kind: problem.kind,
            file: file.to_path_buf(),
            line,
            column,
            field: problem.field,
            message: problem.message,
            io: None,
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// 1-based line and character column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    // Clamp to a char boundary so slicing cannot panic on odd spans.
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A located error before it is tied to a file; the parsers produce these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub kind: ErrorKind,
    pub span: Option<Range<usize>>,
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    /// A rule violation at `span` in `field`.
    pub fn invalid(
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind: ErrorKind::Invalid,
            span: Some(span),
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A deserialization error from `serde_path_to_error` over toml.
    ///
    /// `prefix` is prepended to the path when the value was deserialized on
    /// its own (out of a larger document); `fallback` locates errors that
    /// carry no span of their own.
    pub fn from_serde(
        err: serde_path_to_error::Error<toml::de::Error>,
        prefix: Option<&str>,
        fallback: Option<Range<usize>>,
    ) -> Self {
        let path = field_path(err.path());
        let field = match (prefix, path.is_empty()) {
            (Some(p), true) => Some(p.to_string()),
            (Some(p), false) if path.starts_with('[') => Some(format!("{p}{path}")),
            (Some(p), false) => Some(format!("{p}.{path}")),
            (None, true) => None,
            (None, false) => Some(path),
        };
        let inner = err.into_inner();
        Self {
            kind: ErrorKind::Schema,
            span: inner.span().or(fallback),
            field,
            message: one_line(inner.message()),
        }
    }
}

/// toml's messages may span lines ("invalid table header\nexpected ..."); the
/// error format is one line.
pub(crate) fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Renders a serde path as `a.b[1].c`, dropping the synthetic segments
/// `toml::Spanned` introduces.
fn field_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } if key.starts_with("$__serde_spanned_private") => {}
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one_in_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // `=` follows a two-byte character: byte 10, character column 4.
        assert_eq!(line_column(text, 10), (2, 4));
        // Offsets inside a character or past the end do not panic.
        assert_eq!(line_column(text, 8), (2, 2));
        assert_eq!(line_column(text, 999), (3, 1));
    }

    #[test]
    fn display_leaves_out_unknown_parts() {
        let p = Problem {
            kind: ErrorKind::Version,
            span: None,
            field: None,
            message: "boom".into(),
        };
        let e = ManifestError::from_problem(Path::new("spin.toml"), "", p);
        assert_eq!(e.to_string(), "spin.toml: boom");

        let p = Problem::invalid(4..5, "a.b", "bad");
        let e = ManifestError::from_problem(Path::new("x/spin.toml"), "abc\nde", p);
        assert_eq!(e.to_string(), "x/spin.toml:2:1: a.b: bad");
        assert_eq!(
            (e.line(), e.column(), e.field()),
            (Some(2), Some(1), Some("a.b"))
        );
    }
}
