//! The error tied to a file, with the span resolved to line and column.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::{Kind, Problem};

/// A file could not be read, parsed or validated.
///
/// Displays as `{file}:{line}:{column}: {field}: {message}`, leaving out
/// the parts that are unknown.
#[derive(Debug, thiserror::Error)]
pub struct LocatedError<K: Kind> {
    kind: K,
    file: PathBuf,
    line: Option<usize>,
    column: Option<usize>,
    field: Option<String>,
    message: String,
    #[source]
    io: Option<std::io::Error>,
}

impl<K: Kind> LocatedError<K> {
    /// The broad category of the error.
    pub fn kind(&self) -> K {
        self.kind
    }

    /// The file the error is about, as given.
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

    /// An I/O error about `file`, displayed as `{file}: {what}: {err}`.
    pub fn io(file: &Path, what: &str, err: std::io::Error) -> Self {
        Self {
            kind: K::IO,
            file: file.to_path_buf(),
            line: None,
            column: None,
            field: None,
            message: format!("{what}: {err}"),
            io: Some(err),
        }
    }

    /// Ties `problem` to `file`, locating its span in `text`.
    pub fn from_problem(file: &Path, text: &str, problem: Problem<K>) -> Self {
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

impl<K: Kind> fmt::Display for LocatedError<K> {
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
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum K {
        Io,
        Syntax,
        Schema,
        Invalid,
    }

    impl Kind for K {
        const IO: Self = K::Io;
        const SYNTAX: Self = K::Syntax;
        const SCHEMA: Self = K::Schema;
        const INVALID: Self = K::Invalid;
        const UNSUPPORTED: Self = K::Invalid;
    }

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
            kind: K::Syntax,
            span: None,
            field: None,
            message: "boom".into(),
        };
        let e = LocatedError::from_problem(Path::new("rc.toml"), "", p);
        assert_eq!(e.to_string(), "rc.toml: boom");

        let p = Problem::new(K::Invalid, 4..5, "a.b", "bad");
        let e = LocatedError::from_problem(Path::new("x/rc.toml"), "abc\nde", p);
        assert_eq!(e.to_string(), "x/rc.toml:2:1: a.b: bad");
        assert_eq!(
            (e.line(), e.column(), e.field(), e.kind()),
            (Some(2), Some(1), Some("a.b"), K::Invalid)
        );
        let io = std::io::Error::other("gone");
        let e: LocatedError<K> = LocatedError::io(Path::new("f"), "cannot read", io);
        assert_eq!((e.to_string(), e.kind()), ("f: cannot read: gone".into(), K::Io));
        assert_eq!(Problem::<K>::invalid(0..1, "f", "m").kind, K::Invalid);
        let _ = (K::Schema, K::Io);
    }
}
