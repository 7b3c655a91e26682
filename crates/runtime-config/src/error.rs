//! The error type, and the internal `Problem` it is built from.
//!
//! Parsing code produces [`Problem`]s, which carry a byte span into the
//! file's text; [`RuntimeConfigError::from_problem`] turns the span into a
//! line and column once, at the edge, so the parsers never deal with
//! file names or line counting.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

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

/// A runtime configuration file could not be read or parsed.
///
/// Displays as `{file}:{line}:{column}: {field}: {message}`, leaving out
/// the parts that are unknown.
#[derive(Debug, thiserror::Error)]
pub struct RuntimeConfigError {
    kind: ErrorKind,
    file: PathBuf,
    line: Option<usize>,
    column: Option<usize>,
    field: Option<String>,
    message: String,
    #[source]
    io: Option<std::io::Error>,
}

impl RuntimeConfigError {
    /// The broad category of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The runtime configuration file the error is about, as given.
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

    /// Dotted path of the offending field, e.g. `key_value_store.cache.url`
    /// or `variables_provider[1].token`.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// What was wrong and what was expected, without location.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn io(file: &Path, what: &str, err: std::io::Error) -> Self {
        Self {
            kind: ErrorKind::Io,
            file: file.to_path_buf(),
            line: None,
            column: None,
            field: None,
            message: format!("{what}: {err}"),
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

impl fmt::Display for RuntimeConfigError {
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
    /// A problem of `kind` at `span` in `field`.
    pub fn new(
        kind: ErrorKind,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            span: Some(span),
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A TOML syntax error.
    pub fn syntax(err: &toml::de::Error) -> Self {
        Self {
            kind: ErrorKind::Syntax,
            span: err.span(),
            field: None,
            message: one_line(err.message()),
        }
    }

    /// A deserialization error from `serde_path_to_error` over toml.
    ///
    /// `prefix` is prepended to the error's own path, for values that were
    /// deserialized on their own (out of a larger document); `locate` maps
    /// the first segment of that path (a field name) to a span, for errors
    /// that carry no span of their own; `fallback` is used when neither
    /// gives one.
    pub fn from_serde(
        err: serde_path_to_error::Error<toml::de::Error>,
        prefix: Option<&str>,
        locate: impl Fn(&str) -> Option<Range<usize>>,
        fallback: Option<Range<usize>>,
    ) -> Self {
        let segments = field_segments(err.path());
        let located = segments.first().and_then(|first| locate(first));
        let path = join_segments(&segments);
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
            span: inner.span().or(located).or(fallback),
            field,
            message: one_line(inner.message()),
        }
    }
}

/// toml's messages may span lines ("invalid table header\nexpected ..."); the
/// error format is one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The segments of a serde path, `[1]` for sequence indices, dropping the
/// synthetic segments `toml::Spanned` introduces.
fn field_segments(path: &serde_path_to_error::Path) -> Vec<String> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(format!("[{index}]")),
            Segment::Map { key } if key.starts_with("$__serde_spanned_private") => None,
            Segment::Map { key } | Segment::Enum { variant: key } => Some(key.clone()),
            Segment::Unknown => Some("?".to_string()),
        })
        .collect()
}

/// Renders segments as `a.b[1].c`.
fn join_segments(segments: &[String]) -> String {
    let mut out = String::new();
    for segment in segments {
        if !out.is_empty() && !segment.starts_with('[') {
            out.push('.');
        }
        out.push_str(segment);
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
            kind: ErrorKind::Syntax,
            span: None,
            field: None,
            message: "boom".into(),
        };
        let e = RuntimeConfigError::from_problem(Path::new("rc.toml"), "", p);
        assert_eq!(e.to_string(), "rc.toml: boom");

        let p = Problem::new(ErrorKind::Invalid, 4..5, "a.b", "bad");
        let e = RuntimeConfigError::from_problem(Path::new("x/rc.toml"), "abc\nde", p);
        assert_eq!(e.to_string(), "x/rc.toml:2:1: a.b: bad");
        assert_eq!(
            (e.line(), e.column(), e.field(), e.kind()),
            (Some(2), Some(1), Some("a.b"), ErrorKind::Invalid)
        );
    }

    #[test]
    fn segments_join_with_dots_and_brackets() {
        let segments: Vec<String> = ["a", "[2]", "b"].iter().map(|s| s.to_string()).collect();
        assert_eq!(join_segments(&segments), "a[2].b");
        assert_eq!(join_segments(&[]), "");
    }
}
